package main

import (
	"context"
	"testing"
	"time"
)

func TestDueAtAndCount(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rate float64
		i    int
		want time.Duration
	}{
		{200, 0, 0}, {200, 1, 5 * time.Millisecond}, {200, 36000, 180 * time.Second},
		{3, 1, 333333333}, {0.5, 3, 6 * time.Second},
	} {
		if got := dueAt(t0, tc.rate, tc.i).Sub(t0); got != tc.want {
			t.Errorf("dueAt(rate %v, %d) = %v, want %v", tc.rate, tc.i, got, tc.want)
		}
	}
	for _, tc := range []struct {
		rate float64
		d    time.Duration
		want int
	}{
		{200, 3 * time.Minute, 36000}, {20, 5 * time.Second, 100}, {3, time.Second, 3},
		{0.3, 10 * time.Second, 3}, {7, 1500 * time.Millisecond, 11}, {1000, time.Millisecond, 1},
	} {
		got := requestCount(tc.rate, tc.d)
		if got != tc.want {
			t.Errorf("requestCount(%v, %v) = %d, want %d", tc.rate, tc.d, got, tc.want)
		}
		// Every request counted is due before the end, the next one is not.
		t0 := time.Time{}
		if got > 0 && !dueAt(t0, tc.rate, got-1).Before(t0.Add(tc.d)) || dueAt(t0, tc.rate, got).Before(t0.Add(tc.d)) {
			t.Errorf("requestCount(%v, %v) = %d is not the number due before the end", tc.rate, tc.d, got)
		}
	}
}

// fakeClock advances only when slept on, or when a test moves it.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

func TestDispatchOnTime(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &fakeClock{now: start}
	var fired []time.Duration
	n, err := dispatch(context.Background(), c, start, 100, 5, func(i int, due time.Time) {
		if c.now.Before(due) {
			t.Errorf("request %d fired at %v, before its due time %v", i, c.now, due)
		}
		fired = append(fired, due.Sub(start))
	})
	if err != nil || n != 5 {
		t.Fatalf("dispatch = %d, %v", n, err)
	}
	want := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond}
	for i := range want {
		if fired[i] != want[i] {
			t.Errorf("request %d due at +%v, want +%v", i, fired[i], want[i])
		}
	}
}

// A late dispatcher (fire took 35 ms of the clock) fires the overdue
// requests at once, each keeping its own due time: the rate is not lowered
// and the lateness shows in latencies counted from due.
func TestDispatchLateKeepsSchedule(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &fakeClock{now: start}
	type shot struct{ at, due time.Duration }
	var shots []shot
	_, err := dispatch(context.Background(), c, start, 100, 6, func(i int, due time.Time) {
		shots = append(shots, shot{c.now.Sub(start), due.Sub(start)})
		if i == 0 {
			c.now = c.now.Add(35 * time.Millisecond)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	want := []shot{{0, 0}, {35 * ms, 10 * ms}, {35 * ms, 20 * ms}, {35 * ms, 30 * ms}, {40 * ms, 40 * ms}, {50 * ms, 50 * ms}}
	if len(shots) != len(want) {
		t.Fatalf("fired %d, want %d", len(shots), len(want))
	}
	for i := range want {
		if shots[i] != want[i] {
			t.Errorf("request %d fired at +%v due +%v, want +%v due +%v", i, shots[i].at, shots[i].due, want[i].at, want[i].due)
		}
	}
}

func TestDispatchStopsOnCancel(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &fakeClock{now: start}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := dispatch(ctx, c, start, 10, 100, func(i int, _ time.Time) {
		if i == 2 {
			cancel()
		}
	})
	if n != 3 || err != context.Canceled {
		t.Errorf("dispatch after cancel = %d, %v; want 3, context.Canceled", n, err)
	}
	// Overdue requests are not fired once cancelled either.
	c.now = start.Add(time.Hour)
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if n, err := dispatch(ctx2, c, start, 10, 100, func(int, time.Time) {}); n != 0 || err == nil {
		t.Errorf("dispatch on a cancelled context, late = %d, %v", n, err)
	}
}

func TestSequence(t *testing.T) {
	for _, m := range []mix{defaultMix, {kindRoute: 1}, {kindIntake: 3, kindTile: 1}, {kindConcern: 1, kindStatus: 4, kindList: 7}} {
		seq := sequence(m)
		if len(seq) != m.total() {
			t.Fatalf("%v: cycle of %d, want %d", m, len(seq), m.total())
		}
		var got mix
		for _, k := range seq {
			got[k]++
		}
		if got != m {
			t.Errorf("%v: one cycle holds %v", m, got)
		}
		// Smooth: a kind of weight w never waits more than twice its
		// average spacing total/w between two of its requests (across
		// cycles too); a blocked sequence would wait total-w+1.
		for k := range numKinds {
			if m[k] == 0 {
				continue
			}
			last, maxGap := -1, 0
			for i := range 2 * len(seq) {
				if seq[i%len(seq)] == k {
					if last >= 0 {
						maxGap = max(maxGap, i-last)
					}
					last = i
				}
			}
			if limit := 2 * ((m.total() + m[k] - 1) / m[k]); maxGap > limit {
				t.Errorf("%v: %s waits up to %d slots, more than %d", m, k, maxGap, limit)
			}
		}
	}
}
