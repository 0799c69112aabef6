package main

import (
	"errors"
	"math"
	"net/url"
	"testing"

	"github.com/geo311/geo311/data"
)

func TestWhereamiPrefersHTML(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"application/json", false},
		{"text/html", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
		{"application/json, text/html", false},
		{"text/html, application/json", true},
		{"application/json;q=0.5, text/html", true},
		{"text/html;q=0", false},
		{"text/html;q=0.4, application/json;q=0.9", false},
		{"garbage;;;, text/html", true},
	} {
		if got := prefersHTML(tc.accept); got != tc.want {
			t.Errorf("prefersHTML(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

func TestWhereamiParseQuery(t *testing.T) {
	for _, tc := range []struct {
		query, accept string
		field         string // "" for no error
		html          bool
	}{
		{"lat=41.88&lon=-87.63", "", "", false},
		{"lat=41.88&lon=-87.63&format=HTML", "", "", true},
		{"lat=41.88&lon=-87.63", "text/html", "", true},
		{"lat=41.88&lon=-87.63&format=json", "text/html", "", false},
		{"lat=90&lon=180", "", "", false},
		{"lat=-90.0001&lon=0", "", "lat", false},
		{"lat=%20&lon=0", "", "lat", false},
		{"lat=1e400&lon=0", "", "lat", false},
		{"lat=0&lon=-Inf", "", "lon", false},
		{"lat=0&lon=0&lon=1", "", "lon", false},
		{"lat=0&lon=0&format=pdf", "", "format", false},
		{"address_id=7&lat=0&lon=0", "", "address_id", false},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		_, _, html, err := parseWhereami(q, tc.accept)
		if got := data.ErrorField(err); got != tc.field || (err != nil) != (tc.field != "") {
			t.Errorf("%s: error %v, want field %q", tc.query, err, tc.field)
		}
		if err == nil && html != tc.html {
			t.Errorf("%s (Accept %q): html %v", tc.query, tc.accept, html)
		}
	}
}

// FuzzWhereamiQuery: any query string either yields a finite point in
// range or an ErrInvalid naming a field.
func FuzzWhereamiQuery(f *testing.F) {
	for _, s := range []string{"lat=41.88&lon=-87.63", "lat=NaN&lon=0", "address_id=1", "lat=1&lon=2&format=html",
		"lat=0x1p-2&lon=1_0", "lat=&lon=", "%zz", "lat=1;lon=2"} {
		f.Add(s, "text/html")
	}
	f.Fuzz(func(t *testing.T, raw, accept string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lat, lon, _, err := parseWhereami(q, accept)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) == "" {
				t.Fatalf("%q: error %v is not ErrInvalid naming a field", raw, err)
			}
			return
		}
		if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			t.Fatalf("%q: accepted %v, %v", raw, lat, lon)
		}
	})
}
