package datatest

import (
	"testing"
	"time"
)

// CPUTimer measures the process's CPU time (user + system) across a
// benchmark. On a shared machine wall time includes the time other processes
// hold the cores; CPU time tells what the measured code costs.
type CPUTimer struct {
	start time.Duration
	ok    bool
}

// StartCPU starts a CPUTimer.
func StartCPU() CPUTimer {
	t, ok := ProcessCPU()
	return CPUTimer{start: t, ok: ok}
}

// Elapsed returns the CPU time used since StartCPU, and false where the
// platform cannot tell.
func (c CPUTimer) Elapsed() (time.Duration, bool) {
	t, ok := ProcessCPU()
	if !ok || !c.ok {
		return 0, false
	}
	return t - c.start, true
}

// Report adds the metric cpu-ns/op (CPU time since StartCPU per b.N) to b.
func (c CPUTimer) Report(b *testing.B) {
	if d, ok := c.Elapsed(); ok && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// CPU returns the CPU time the process has used, or 0 where the platform
// cannot tell.
func CPU() time.Duration {
	t, _ := ProcessCPU()
	return t
}
