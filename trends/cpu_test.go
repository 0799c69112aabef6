package trends

import (
	"syscall"
	"testing"
	"time"
)

// cpuTimer measures the process's CPU time (user+system) across a benchmark,
// reported beside the wall-clock ns/op: the machine is shared, and CPU time
// tells how much work a call costs when other processes take the cores.
type cpuTimer struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuTimer { return cpuTimer{cpuNow()} }

// report adds cpu-ns/op to the benchmark's metrics.
func (c cpuTimer) report(b *testing.B) {
	b.ReportMetric(float64(cpuNow()-c.start)/float64(b.N), "cpu-ns/op")
}
