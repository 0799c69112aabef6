package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// percentile is the nearest-rank p-quantile (0 < p <= 1) of sorted: the
// smallest value with at least p of the values at or below it. It is 0 for
// no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// kindStats are the outcomes of one kind over a period.
type kindStats struct {
	count   int             // requests due (sent or not)
	errors  int             // failed: see doc.go
	latency []time.Duration // of every request sent, from its due time to its answer (or failure)
}

func (s *kindStats) add(o kindStats) {
	s.count += o.count
	s.errors += o.errors
	s.latency = append(s.latency, o.latency...)
}

// quantiles summarises latencies: p50, p99 and max.
type quantiles struct {
	P50, P99, Max time.Duration
}

func quantilesOf(lat []time.Duration) quantiles {
	s := slices.Clone(lat)
	slices.Sort(s)
	q := quantiles{P50: percentile(s, 0.50), P99: percentile(s, 0.99)}
	if len(s) > 0 {
		q.Max = s[len(s)-1]
	}
	return q
}

// recorder collects outcomes from the request goroutines: per kind for the
// current interval and for the whole run.
type recorder struct {
	mu       sync.Mutex
	interval [numKinds]kindStats
	total    [numKinds]kindStats
	sent     int             // requests fired (sent or refused for --max-inflight)
	done     int             // requests finished
	lag      []time.Duration // dispatch lateness: send time minus due time
	linked   int             // intakes dedupe linked to an earlier request
	samples  []string        // the first errors, for the report
}

const maxErrorSamples = 20

func (r *recorder) fired() {
	r.mu.Lock()
	r.sent++
	r.mu.Unlock()
}

// record adds one finished request: its latency if it was sent (sent
// false: refused before sending), its failure if any.
func (r *recorder) record(k kind, lat, lag time.Duration, sent bool, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	for _, s := range []*kindStats{&r.interval[k], &r.total[k]} {
		s.count++
		if sent {
			s.latency = append(s.latency, lat)
		}
		if failure != "" {
			s.errors++
		}
	}
	if sent {
		r.lag = append(r.lag, lag)
	}
	if failure != "" && len(r.samples) < maxErrorSamples {
		r.samples = append(r.samples, k.String()+": "+failure)
	}
}

func (r *recorder) addLinked() {
	r.mu.Lock()
	r.linked++
	r.mu.Unlock()
}

// takeInterval returns the current interval's stats and starts a new one.
func (r *recorder) takeInterval() (iv [numKinds]kindStats, sent, done int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	iv = r.interval
	r.interval = [numKinds]kindStats{}
	return iv, r.sent, r.done
}

// rssSample is one resident-memory sample of the server, with what its
// /metrics said at the same time (0 when they could not be read).
type rssSample struct {
	At         time.Duration // since the load started
	RSS        int64         // bytes
	Heap       int64         // Go heap in use, bytes
	GoSys      int64         // memory the Go runtime holds from the OS, bytes
	TileHits   float64       // tile cache hits since the server started
	TileMisses float64
}

// rssThirds compares the highest RSS of the last third of samples with the
// highest of the first third: growth is lastMax/firstMax - 1. It needs at
// least 3 samples (judged false otherwise).
func rssThirds(samples []rssSample) (firstMax, lastMax int64, growth float64, judged bool) {
	n := len(samples)
	if n < 3 {
		return 0, 0, 0, false
	}
	third := n / 3
	for _, s := range samples[:third] {
		firstMax = max(firstMax, s.RSS)
	}
	for _, s := range samples[n-third:] {
		lastMax = max(lastMax, s.RSS)
	}
	if firstMax <= 0 {
		return firstMax, lastMax, 0, false
	}
	return firstMax, lastMax, float64(lastMax)/float64(firstMax) - 1, true
}
