package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int64
		wantErr  string
	}{
		{"typical", "Name:\tgeo311\nVmPeak:\t 1000 kB\nVmRSS:\t   71656 kB\nRssAnon:\t 5 kB\n", 71656 * 1024, ""},
		{"spaces", "VmRSS: 1 kB", 1024, ""},
		{"zero", "VmRSS:\t0 kB\n", 0, ""},
		{"first VmRSS wins", "VmRSS: 2 kB\nVmRSS: 3 kB\n", 2048, ""},
		{"kernel thread", "Name:\tkthreadd\nState:\tS\n", 0, "no VmRSS line"},
		{"empty", "", 0, "no VmRSS line"},
		{"unit", "VmRSS: 5 MB\n", 0, "is not"},
		{"no unit", "VmRSS: 5\n", 0, "is not"},
		{"negative", "VmRSS: -5 kB\n", 0, "not a size"},
		{"huge", "VmRSS: 99999999999999999999 kB\n", 0, "not a size"},
		{"text", "VmRSS: lots kB\n", 0, "not a size"},
		{"prefix only in a longer key", "XVmRSS: 5 kB\n", 0, "no VmRSS line"},
	} {
		got, err := parseVmRSS(strings.NewReader(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

// testdata/status.txt is a real /proc/PID/status (VmRSS 1612 kB).
func TestParseVmRSSFile(t *testing.T) {
	f, err := os.Open("testdata/status.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseVmRSS(f)
	if err != nil || got != 1612*1024 {
		t.Errorf("parseVmRSS(status.txt) = %d, %v", got, err)
	}
}

func TestReadRSSSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc: RSS sampling is Linux-only")
	}
	got, err := readRSS(os.Getpid())
	if err != nil || got < 1<<20 || got > 1<<40 {
		t.Errorf("readRSS(self) = %d, %v", got, err)
	}
	if _, err := readRSS(-1); err == nil {
		t.Error("readRSS(-1) succeeded")
	}
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add("VmRSS:\t   71656 kB\n")
	f.Add("Name:\tx\nVmRSS: 0 kB")
	f.Add("VmRSS: 9223372036854775807 kB")
	f.Add("VmRSS:")
	if b, err := os.ReadFile("testdata/status.txt"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseVmRSS(strings.NewReader(in))
		if err != nil {
			if got != 0 {
				t.Errorf("error %v with value %d", err, got)
			}
			return
		}
		if got < 0 || got%1024 != 0 || got > 1<<50 {
			t.Errorf("parseVmRSS(%q) = %d", in, got)
		}
		if !strings.Contains(in, "VmRSS:") {
			t.Errorf("parseVmRSS(%q) = %d without a VmRSS line", in, got)
		}
	})
}
