//go:build !unix

package tiles

import "time"

// processCPU is unavailable here: CPU metrics read 0.
func processCPU() time.Duration { return 0 }
