//go:build !linux

package datatest

import "time"

// TreeCPU returns false: only Linux's /proc tells a process tree's CPU time.
func TreeCPU(pid int) (time.Duration, bool) { return 0, false }

// PidCPU returns false: only Linux's /proc tells another process's CPU time.
func PidCPU(pid int) (time.Duration, bool) { return 0, false }

// StolenCPU returns false: only Linux's /proc/stat tells stolen time.
func StolenCPU() (time.Duration, bool) { return 0, false }
