package main

import "syscall"

// childAttr makes the child die with this process (a killed load test
// leaves no server behind).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
