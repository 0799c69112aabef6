//go:build linux

package datatest

import (
	"testing"
	"time"
)

func TestParseSteal(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		{"cpu  4705 356 584 3699 23 23 0 1234 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n", 12340 * time.Millisecond, true},
		{"cpu  4705 356 584 3699 23 23 0 0\n", 0, true},
		{"cpu  4705 356 584 3699 23 23 0\n", 0, false},       // a kernel without steal
		{"cpu0 4705 356 584 3699 23 23 0 7 0 0\n", 0, false}, // not the aggregate line
		{"cpu  4705 356 584 3699 23 23 0 x 0 0\n", 0, false},
		{"", 0, false},
	} {
		got, ok := parseSteal(tc.stat)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseSteal(%q) = %v, %v; want %v, %v", tc.stat, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := StolenCPU(); !ok {
		t.Error("StolenCPU: /proc/stat has no steal field on this Linux")
	}
}
