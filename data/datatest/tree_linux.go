//go:build linux

package datatest

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// TreeCPU returns the CPU time (user + system) that process pid and its
// children have used: its own, that of its children it has reaped, and that
// of its live children (from /proc). For a PostgreSQL postmaster this is
// the whole server: backends, background workers, and parallel workers that
// have exited. False where /proc cannot tell (another platform, no such
// process).
func TreeCPU(pid int) (time.Duration, bool) {
	self, ppid, ok := procStat(strconv.Itoa(pid))
	if !ok || ppid < 0 {
		return 0, false
	}
	total := self
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		if c, parent, ok := procStat(e.Name()); ok && parent == pid {
			total += c
		}
	}
	return total, true
}

// PidCPU returns the CPU time (user + system, and that of children it has
// reaped) of process pid, from /proc; false where /proc cannot tell.
func PidCPU(pid int) (time.Duration, bool) {
	c, _, ok := procStat(strconv.Itoa(pid))
	return c, ok
}

// procStat reads /proc/<pid>/stat: utime + stime + cutime + cstime, and the
// parent's pid.
func procStat(pid string) (cpu time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	// The command name is in parentheses and may hold spaces; the fields
	// after it start with state (field 3): ppid is field 4, utime 14,
	// stime 15, cutime 16, cstime 17.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	fs := strings.Fields(s[i+1:])
	if len(fs) < 15 {
		return 0, 0, false
	}
	if ppid, err = strconv.Atoi(fs[1]); err != nil {
		return 0, 0, false
	}
	var ticks int64
	for _, f := range fs[11:15] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += n
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(ticks) * tick, ppid, true
}
