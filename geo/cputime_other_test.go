//go:build !unix

package geo

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
