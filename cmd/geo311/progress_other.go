//go:build !linux

package main

import "os"

// isTerminal reports whether f is a terminal: a character device (an
// approximation outside Linux; /dev/null counts as one).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
