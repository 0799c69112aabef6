package dedupe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Address
		str  string
	}{
		{"1234 W FULLERTON AVE", Address{Number: 1234, Dir: "W", Name: "FULLERTON AVE"}, "1234 W FULLERTON AVE"},
		{"  1234 west fullerton avenue ", Address{Number: 1234, Dir: "W", Name: "FULLERTON AVE"}, "1234 W FULLERTON AVE"},
		{"1234A W. Fullerton Ave., Chicago, IL 60614", Address{Number: 1234, Dir: "W", Name: "FULLERTON AVE"}, "1234 W FULLERTON AVE"},
		{"1234 1/2 N CLARK ST APT 3", Address{Number: 1234, Dir: "N", Name: "CLARK ST"}, "1234 N CLARK ST"},
		{"1200-1210 N CLARK STREET #2F", Address{Number: 1200, Dir: "N", Name: "CLARK ST"}, "1200 N CLARK ST"},
		{"7100 S PULASKI RD", Address{Number: 7100, Dir: "S", Name: "PULASKI RD"}, "7100 S PULASKI RD"},
		{"10132 S EGGLESTON AVE", Address{Number: 10132, Dir: "S", Name: "EGGLESTON AVE"}, "10132 S EGGLESTON AVE"},
		{"W FULLERTON AVE & N CLARK ST", Address{Dir: "W", Name: "FULLERTON AVE", CrossDir: "N", CrossName: "CLARK ST"}, "W FULLERTON AVE & N CLARK ST"},
		{"W Fullerton Ave and N Clark St", Address{Dir: "W", Name: "FULLERTON AVE", CrossDir: "N", CrossName: "CLARK ST"}, "W FULLERTON AVE & N CLARK ST"},
		{"2400 N CLARK ST / W FULLERTON", Address{Dir: "N", Name: "CLARK ST", CrossDir: "W", CrossName: "FULLERTON"}, "N CLARK ST & W FULLERTON"},
		{"0 N STATE ST", Address{Dir: "N", Name: "STATE ST"}, "N STATE ST"},
		{"WEST END AVE", Address{Dir: "W", Name: "END AVE"}, "W END AVE"},
		{"BROADWAY", Address{Name: "BROADWAY"}, "BROADWAY"},
		{"1500 N LAKE SHORE DRIVE", Address{Number: 1500, Dir: "N", Name: "LAKE SHORE DR"}, "1500 N LAKE SHORE DR"},
		{"3400 W O'BRIEN PL", Address{Number: 3400, Dir: "W", Name: "OBRIEN PL"}, "3400 W OBRIEN PL"},
		{"", Address{}, ""},
		{"   ,  ", Address{}, ""},
		{"1234", Address{}, ""},
		{"APT 4", Address{}, ""},
		{"1234567 N CLARK ST", Address{Name: "1234567 N CLARK ST"}, "1234567 N CLARK ST"},
	} {
		got := ParseAddress(tc.in)
		if got != tc.want {
			t.Errorf("ParseAddress(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseAddress(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
	}
}

func TestRelate(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want place
	}{
		{"1234 W FULLERTON AVE", "1234 West Fullerton Avenue", placeSame},
		{"1234 W FULLERTON AVE", "1236 W FULLERTON AVE", placeNear},
		{"1234 W FULLERTON AVE", "1242 W FULLERTON AVE", placeNear},
		{"1234 W FULLERTON AVE", "1243 W FULLERTON AVE", placeFar},
		{"1234 W FULLERTON AVE", "1234 W BELDEN AVE", placeOther},
		{"1234 W FULLERTON AVE", "1234 E FULLERTON AVE", placeOther},
		{"1234 W FULLERTON AVE", "FULLERTON AVE", placeSameStreet},
		{"1234 W FULLERTON AVE", "W FULLERTON AVE & N CLARK ST", placeSameStreet},
		{"2400 N CLARK ST", "W FULLERTON AVE & N CLARK ST", placeSameStreet},
		{"W FULLERTON AVE & N CLARK ST", "N CLARK ST AND W FULLERTON AVE", placeSame},
		{"W FULLERTON AVE & N CLARK ST", "W FULLERTON AVE & N HALSTED ST", placeSameStreet},
		{"W FULLERTON AVE & N CLARK ST", "W BELDEN AVE & N HALSTED ST", placeOther},
		{"", "1234 W FULLERTON AVE", placeUnknown},
		{"1234 W FULLERTON AVE", "", placeUnknown},
	} {
		a, b := ParseAddress(tc.a), ParseAddress(tc.b)
		if got := relate(&a, &b); got != tc.want {
			t.Errorf("relate(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := relate(&b, &a); got != tc.want {
			t.Errorf("relate(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
		ok   bool
	}{
		{"Deep pothole in the curb lane", "deep POTHOLE, curb lane!", 1, true},
		{"deep pothole curb lane", "pothole near the bus stop", 1.0 / 6, true},
		{"graffiti on garage", "", 0, false},
		{"the a of", "graffiti", 0, false},
		{"Rats in alley behind 1234", "rats alley 1234", 0.75, true},
	} {
		got, ok := Similarity(tc.a, tc.b)
		if ok != tc.ok || (ok && abs(got-tc.want) > 1e-9) {
			t.Errorf("Similarity(%q, %q) = %v, %v; want %v, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// FuzzParseAddress: the parser never panics, its output is normalised
// (upper case, single spaces, valid UTF-8), formatting and re-parsing gives
// the same address, and relate is symmetric and reflexive on it.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"1234 W FULLERTON AVE", "1234 1/2 N CLARK ST APT 3", "W FULLERTON AVE & N CLARK ST",
		"1200-1210 N CLARK STREET #2F", "0 N STATE ST", "", "&", "1 & 2", "##", "99999999999 X",
		"west end avenue", "N", "1234 N", "A/B/C @ D AND E", "\xff\xfe 12 ST", "ÉCOLE ST", "12 - -",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := ParseAddress(s)
		out := a.String()
		if !utf8.ValidString(out) && utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
		}
		if strings.Contains(out, "  ") || strings.TrimSpace(out) != out {
			t.Fatalf("not normalised: %q from %q", out, s)
		}
		if a.Number < 0 || (a.Number > 0 && !a.Known()) {
			t.Fatalf("bad number %d in %+v from %q", a.Number, a, s)
		}
		b := ParseAddress(out)
		if b != a {
			t.Fatalf("round trip: %q -> %+v -> %q -> %+v", s, a, out, b)
		}
		if a.Known() && relate(&a, &b) != placeSame && a.CrossName == "" && a.Number > 0 {
			t.Fatalf("relate(a, a) = %v for %+v", relate(&a, &b), a)
		}
	})
}
