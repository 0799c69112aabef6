package data_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
)

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		kind data.Kind
		year int
		seq  int64
		want string
	}{
		{data.KindServiceRequest, 2026, 1, "SR26-00000001"},
		{data.KindServiceRequest, 2019, 1209373, "SR19-01209373"}, // a real Chicago number
		{data.KindCommunityConcern, 2026, 42, "CC26-00000042"},
		{data.KindCommunityConcern, 2000, data.MaxNumberSeq, "CC00-99999999"},
		{data.KindServiceRequest, 2099, 10, "SR99-00000010"},
	}
	for _, tt := range tests {
		got := data.FormatNumber(tt.kind, tt.year, tt.seq)
		if got != tt.want {
			t.Errorf("FormatNumber(%s, %d, %d) = %q, want %q", tt.kind, tt.year, tt.seq, got, tt.want)
		}
		if p := data.NumberPrefix(tt.kind, tt.year); !strings.HasPrefix(got, p) || len(p) != 5 {
			t.Errorf("NumberPrefix(%s, %d) = %q, not the 5-character prefix of %q", tt.kind, tt.year, p, got)
		}
		kind, year, seq, err := data.ParseNumber(got)
		if err != nil || kind != tt.kind || year != tt.year || seq != tt.seq {
			t.Errorf("ParseNumber(%q) = %s, %d, %d, %v; want the inputs back", got, kind, year, seq, err)
		}
	}
}

func TestFormatNumberPanicsOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		kind data.Kind
		year int
		seq  int64
	}{
		{"seq 0", data.KindServiceRequest, 2026, 0},
		{"seq negative", data.KindServiceRequest, 2026, -1},
		{"seq too large", data.KindServiceRequest, 2026, data.MaxNumberSeq + 1},
		{"year too early", data.KindServiceRequest, 1999, 1},
		{"year too late", data.KindServiceRequest, 2100, 1},
		{"unknown kind", data.Kind("pothole"), 2026, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("FormatNumber(%q, %d, %d) did not panic", tt.kind, tt.year, tt.seq)
				}
			}()
			s := data.FormatNumber(tt.kind, tt.year, tt.seq)
			t.Logf("got %q", s)
		})
	}
}

func TestParseNumberRejects(t *testing.T) {
	bad := []string{
		"",
		"SR26-0000001",   // 7 digits
		"SR26-000000001", // 9 digits
		"sr26-00000001",  // lower case: strict
		"XX26-00000001",  // unknown prefix
		"SR2600000001",   // no dash
		"SR26_00000001",  // wrong separator
		"SR2a-00000001",  // year not digits
		"SR26-0000000a",  // sequence not digits
		"SR26-+0000001",  // sign
		"SR26-00000000",  // sequence 0 never issued
		" SR26-0000001",  // space
		"11-00002767",    // legacy: ValidNumber only
		"SR26-00000001\x00",
		"SR２6-00000001", // full-width digit
	}
	for _, s := range bad {
		_, _, _, err := data.ParseNumber(s)
		if !errors.Is(err, data.ErrInvalid) {
			t.Errorf("ParseNumber(%q) error = %v, want ErrInvalid", s, err)
			continue
		}
		if f := data.ErrorField(err); f != "service_request_id" {
			t.Errorf("ParseNumber(%q) error field = %q, want service_request_id", s, f)
		}
	}
}

func TestValidNumber(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"SR26-00000001", true},
		{"CC26-00000001", true},
		{"SR19-01209373", true},
		{"11-00002767", true}, // legacy export (chicago_311_legacy_*.csv)
		{"12-01234567", true},
		{"10-00862558", true},
		{"1-00002767", false},
		{"11-0000276", false},
		{"11_00002767", false},
		{"aa-00002767", false},
		{"sr26-00000001", false}, // NormalizeNumber first
		{"SR26-00000000", false},
		{"", false},
		{"'; DROP TABLE requests;--", false},
	}
	for _, tt := range tests {
		if got := data.ValidNumber(tt.s); got != tt.want {
			t.Errorf("ValidNumber(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"  sr26-00000001\n", "SR26-00000001", true},
		{"cc26-00000007", "CC26-00000007", true},
		{" 11-00002767 ", "11-00002767", true},
		{"sr26 00000001", "SR26 00000001", false},
	}
	for _, tt := range tests {
		got, ok := data.NormalizeNumber(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{
		"SR26-00000001", "CC26-00000001", "SR19-01209373", "11-00002767",
		"SR26-00000000", "sr26-00000001", "", "SR26-", "CC99-99999999", "SR26-0000000\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, year, seq, err := data.ParseNumber(s)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != "service_request_id" {
				t.Fatalf("ParseNumber(%q) error %v is not ErrInvalid on service_request_id", s, err)
			}
			if kind != "" || year != 0 || seq != 0 {
				t.Fatalf("ParseNumber(%q) failed but returned %q, %d, %d", s, kind, year, seq)
			}
			return
		}
		// Whatever parses formats back to the same string, and is valid for lookups.
		if back := data.FormatNumber(kind, year, seq); back != s {
			t.Fatalf("ParseNumber(%q) = %s, %d, %d, which formats as %q", s, kind, year, seq, back)
		}
		if !data.ValidNumber(s) {
			t.Fatalf("ParseNumber accepts %q but ValidNumber does not", s)
		}
	})
}
