//go:build linux

package datatest

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// StolenCPU returns the CPU time the hypervisor has given to other guests
// while this machine's CPUs wanted to run, summed over all CPUs, since boot
// (the steal field of /proc/stat). On a shared virtual machine it tells a
// slow benchmark run from slow code: false where /proc cannot tell.
func StolenCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	return parseSteal(string(b))
}

// parseSteal reads the steal field of the aggregate "cpu" line of
// /proc/stat text: user nice system idle iowait irq softirq steal ...
func parseSteal(stat string) (time.Duration, bool) {
	line, _, _ := strings.Cut(stat, "\n")
	fs := strings.Fields(line)
	if len(fs) < 9 || fs[0] != "cpu" {
		return 0, false
	}
	n, err := strconv.ParseInt(fs[8], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(n) * tick, true
}
