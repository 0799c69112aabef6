//go:build !unix

package export

import "time"

func processCPU() time.Duration { return 0 }
