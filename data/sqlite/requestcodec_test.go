package sqlite

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestFormatTime checks formatTime's digit-by-digit path against
// time.Format: the ends of the years it writes, leap days, zones other
// than UTC, monotonic readings, years it leaves to Format, and random
// instants.
func TestFormatTime(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		chicago = time.FixedZone("CST", -6*3600)
	}
	ts := []time.Time{
		{},
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 1, time.UTC),
		time.Date(2012, 12, 19, 0, 0, 0, 0, chicago),
		time.Date(2025, 12, 31, 23, 30, 0, 5, time.FixedZone("east", 3600)),
		time.Now(),
	}
	rng := rand.New(rand.NewPCG(3, 11))
	for range 10000 {
		ts = append(ts, time.Unix(rng.Int64N(400*365*86400)-200*365*86400, rng.Int64N(1e9)).In(chicago))
	}
	for _, tt := range ts {
		if got, want := formatTime(tt), tt.UTC().Format(timeLayout); got != want {
			t.Fatalf("formatTime(%v) = %q, want %q", tt, got, want)
		}
	}
}

// FuzzEncodeAreas checks encodeAreas's direct path against json.Marshal:
// the same text for any strings (escaped ones, HTML characters, invalid
// UTF-8 go through json.Marshal itself).
func FuzzEncodeAreas(f *testing.F) {
	for _, s := range [][4]string{
		{"beat", "0111", "", "beat@2012-12-19"},
		{"ward", "42", "Ward <42> & co", "ward@2023-05-15"},
		{"ssa", "a\"b", "back\\slash", "g"},
		{"x", "\x00\x1f\x7f", "Zoë", "\xff"},
		{"", "", "", ""},
		{"community_area", "32", "LINCOLN PARK", "community_area@2018-01-01"},
		{"l", "\u2028", "\u2029", "~ }"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, layer, id, name, gen string) {
		as := []data.AreaRef{{Layer: data.Layer(layer), ID: id, Name: name, Generation: gen},
			{Layer: data.LayerBeat, ID: "0111", Generation: "beat@2012-12-19"}}
		for _, list := range [][]data.AreaRef{as[:1], as, {as[1], as[0]}} {
			want, err := json.Marshal(list)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeAreas(list)
			if err != nil || got != string(want) {
				t.Fatalf("encodeAreas(%#v) = %q, %v; json.Marshal: %q", list, got, err, want)
			}
		}
	})
}
