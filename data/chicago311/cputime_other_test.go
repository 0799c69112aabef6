//go:build !unix

package chicago311

import "time"

func processCPU() time.Duration { return 0 }
