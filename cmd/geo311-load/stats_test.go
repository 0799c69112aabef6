package main

import (
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, v := range ms {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", durations(7), 0.5, 7 * time.Millisecond},
		{"one p99", durations(7), 0.99, 7 * time.Millisecond},
		{"two p50", durations(1, 2), 0.5, 1 * time.Millisecond},
		{"two p51", durations(1, 2), 0.51, 2 * time.Millisecond},
		{"four p50", durations(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"hundred p50", durations(hundred...), 0.5, 50 * time.Millisecond},
		{"hundred p99", durations(hundred...), 0.99, 99 * time.Millisecond},
		{"hundred p100", durations(hundred...), 1, 100 * time.Millisecond},
		{"hundred tiny p", durations(hundred...), 0.0001, 1 * time.Millisecond},
		{"thousand-ish p99 rounds up", durations(append(hundred, 101)...), 0.99, 100 * time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestQuantilesOfDoesNotSortInPlace(t *testing.T) {
	lat := durations(5, 1, 9, 3)
	q := quantilesOf(lat)
	if q.P50 != 3*time.Millisecond || q.P99 != 9*time.Millisecond || q.Max != 9*time.Millisecond {
		t.Errorf("quantiles %+v", q)
	}
	if lat[0] != 5*time.Millisecond {
		t.Errorf("the caller's slice was reordered: %v", lat)
	}
}

func TestRecorderIntervals(t *testing.T) {
	var r recorder
	r.fired()
	r.fired()
	r.fired()
	r.record(kindRoute, 2*time.Millisecond, 0, true, "")
	r.record(kindRoute, 4*time.Millisecond, 0, true, "status 500")
	r.record(kindTile, 0, 0, false, "not sent")
	iv, sent, done := r.takeInterval()
	if sent != 3 || done != 3 {
		t.Errorf("sent %d done %d", sent, done)
	}
	if got := iv[kindRoute]; got.count != 2 || got.errors != 1 || len(got.latency) != 2 {
		t.Errorf("route interval %+v", got)
	}
	if got := iv[kindTile]; got.count != 1 || got.errors != 1 || len(got.latency) != 0 {
		t.Errorf("tile interval (not sent: no latency) %+v", got)
	}
	r.record(kindRoute, time.Millisecond, 0, true, "")
	iv, _, done = r.takeInterval()
	if iv[kindRoute].count != 1 || iv[kindTile].count != 0 || done != 4 {
		t.Errorf("second interval %+v, done %d", iv, done)
	}
	if r.total[kindRoute].count != 3 || r.total[kindRoute].errors != 1 || len(r.samples) != 2 {
		t.Errorf("totals %+v, samples %q", r.total[kindRoute], r.samples)
	}
}

func rss(mb ...int64) []rssSample {
	out := make([]rssSample, len(mb))
	for i, v := range mb {
		out[i] = rssSample{At: time.Duration(i+1) * time.Second, RSS: v << 20}
	}
	return out
}

func TestRSSThirds(t *testing.T) {
	for _, tc := range []struct {
		name        string
		samples     []rssSample
		first, last int64
		growth      float64
		judged      bool
	}{
		{"too few", rss(10, 20), 0, 0, 0, false},
		{"flat", rss(100, 100, 100), 100, 100, 0, true},
		{"sawtooth, flat", rss(80, 120, 90, 110, 85, 118), 120, 118, 118.0/120 - 1, true},
		{"warm-up in the first third", rss(50, 100, 102, 101, 103, 104), 100, 104, 0.04, true},
		{"leak", rss(100, 110, 120, 130, 140, 150, 160, 170, 180), 120, 180, 0.5, true},
		{"middle ignored", rss(100, 500, 100), 100, 100, 0, true},
		{"seven: thirds of two", rss(100, 100, 900, 900, 900, 100, 125), 100, 125, 0.25, true},
	} {
		f, l, g, j := rssThirds(tc.samples)
		if j != tc.judged || f != tc.first<<20 || l != tc.last<<20 || (j && abs(g-tc.growth) > 1e-9) {
			t.Errorf("%s: rssThirds = %d, %d, %v, %v; want %d MB, %d MB, %v, %v", tc.name, f>>20, l>>20, g, j, tc.first, tc.last, tc.growth, tc.judged)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
