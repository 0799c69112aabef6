//go:build unix

package tiles

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the test process used so
// far: on a shared machine wall time depends on other load, CPU time much
// less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
