//go:build !unix

package datatest

import "time"

// ProcessCPU returns false: this platform has no getrusage.
func ProcessCPU() (time.Duration, bool) { return 0, false }
