//go:build !linux

package main

import "syscall"

// childAttr: only Linux can tie the child's life to this process.
func childAttr() *syscall.SysProcAttr { return nil }
