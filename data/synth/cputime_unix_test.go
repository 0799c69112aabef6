//go:build unix

package synth

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the test process used so
// far, to report throughput per CPU second on a shared machine where wall
// time depends on other load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
