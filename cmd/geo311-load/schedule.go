package main

import (
	"context"
	"time"
)

// The open-loop schedule: request i is due at start + i/rate, and is fired
// then (or at once, if the dispatcher is late) without waiting for any
// earlier request's answer.

// dueAt is the time request i is due at rate requests per second.
func dueAt(start time.Time, rate float64, i int) time.Time {
	return start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
}

// requestCount is how many requests a run of d at rate sends: those due
// strictly before start+d.
func requestCount(rate float64, d time.Duration) int {
	n := int(rate * d.Seconds())
	// Float rounding must not add one due at or after the end.
	for n > 0 && !dueAt(time.Time{}, rate, n-1).Before(time.Time{}.Add(d)) {
		n--
	}
	for dueAt(time.Time{}, rate, n).Before(time.Time{}.Add(d)) {
		n++
	}
	return n
}

// clock is the time source of the dispatcher (a fake one in tests).
type clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dispatch calls fire(i, due) for i = 0..n-1, each no earlier than its due
// time. fire must not block (it starts the request and returns): a late
// dispatcher fires every overdue request at once, each with its own due
// time, so that latency counted from due includes the lateness. It returns
// how many were fired, and ctx.Err() if ctx ended first.
func dispatch(ctx context.Context, c clock, start time.Time, rate float64, n int, fire func(i int, due time.Time)) (int, error) {
	for i := range n {
		due := dueAt(start, rate, i)
		if wait := due.Sub(c.Now()); wait > 0 {
			if err := c.Sleep(ctx, wait); err != nil {
				return i, err
			}
		} else if err := ctx.Err(); err != nil {
			return i, err
		}
		fire(i, due)
	}
	return n, nil
}

// sequence is a smooth weighted round-robin over the kinds: one cycle of
// m.total() slots holds each kind exactly its weight's number of times,
// spread as evenly as the weights allow (nginx's algorithm).
func sequence(m mix) []kind {
	total := m.total()
	seq := make([]kind, 0, total)
	var current [numKinds]int
	for range total {
		best := kind(-1)
		for k := range numKinds {
			current[k] += m[k]
			if m[k] > 0 && (best < 0 || current[k] > current[best]) {
				best = k
			}
		}
		current[best] -= total
		seq = append(seq, best)
	}
	return seq
}
