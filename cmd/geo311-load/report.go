package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// KindSummary is one row of the final table.
type KindSummary struct {
	Kind   string  `json:"kind"`
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// RSSPoint is one RSS sample in the summary.
type RSSPoint struct {
	ElapsedS   float64 `json:"elapsed_s"`
	Bytes      int64   `json:"bytes"`
	HeapBytes  int64   `json:"go_heap_inuse_bytes"`
	GoSysBytes int64   `json:"go_sys_bytes"`
}

// Summary is the result of a run (printed, and written by --json).
type Summary struct {
	Rate        float64       `json:"rate"`
	DurationS   float64       `json:"duration_s"`
	ElapsedS    float64       `json:"elapsed_s"` // first due time to last answer
	Sent        int           `json:"sent"`
	Throughput  float64       `json:"throughput"` // answered requests per second of ElapsedS
	Kinds       []KindSummary `json:"kinds"`
	All         KindSummary   `json:"all"`
	LagP99Ms    float64       `json:"dispatch_lag_p99_ms"`
	LagMaxMs    float64       `json:"dispatch_lag_max_ms"`
	Linked      int           `json:"linked"`
	Preload     int           `json:"preload"`
	Store       string        `json:"store"`
	RSSStart    int64         `json:"rss_start_bytes"`
	HeapStart   int64         `json:"go_heap_inuse_start_bytes"`
	TileHits    float64       `json:"tile_cache_hits"`   // during the load
	TileMisses  float64       `json:"tile_cache_misses"` // during the load
	RSS         []RSSPoint    `json:"rss"`
	RSSFirstMax int64         `json:"rss_first_third_max_bytes"`
	RSSLastMax  int64         `json:"rss_last_third_max_bytes"`
	RSSGrowth   float64       `json:"rss_growth"`
	MaxGrowth   float64       `json:"max_rss_growth"`
	RSSJudged   bool          `json:"rss_judged"`
	ServerErrs  int           `json:"server_error_lines"`
	Errors      []string      `json:"error_samples,omitempty"`
	ServerLog   []string      `json:"server_error_samples,omitempty"`
	Failures    []string      `json:"failures,omitempty"`
	Pass        bool          `json:"pass"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func kindSummary(name string, s kindStats) KindSummary {
	q := quantilesOf(s.latency)
	return KindSummary{Kind: name, Count: s.count, Errors: s.errors, P50Ms: ms(q.P50), P99Ms: ms(q.P99), MaxMs: ms(q.Max)}
}

// summarize builds the summary of a finished run and its verdict.
func summarize(cfg *Config, rec *recorder, elapsed time.Duration, start rssSample, samples []rssSample, serverErrs int, serverLog []string) *Summary {
	s := &Summary{
		Rate: cfg.Rate, DurationS: cfg.Duration.Seconds(), ElapsedS: elapsed.Seconds(),
		Preload: cfg.Preload, Store: "sqlite", RSSStart: start.RSS, HeapStart: start.Heap, MaxGrowth: cfg.MaxRSSGrowth,
		ServerErrs: serverErrs, ServerLog: serverLog,
	}
	if cfg.DatabaseURL != "" {
		s.Store = "postgis"
	}
	rec.mu.Lock()
	var all kindStats
	for k := range numKinds {
		if cfg.Mix[k] == 0 && rec.total[k].count == 0 {
			continue
		}
		s.Kinds = append(s.Kinds, kindSummary(k.String(), rec.total[k]))
		all.add(rec.total[k])
	}
	s.Sent, s.Linked, s.Errors = rec.sent, rec.linked, append([]string(nil), rec.samples...)
	lag := quantilesOf(rec.lag)
	rec.mu.Unlock()
	s.All = kindSummary("all", all)
	s.LagP99Ms, s.LagMaxMs = ms(lag.P99), ms(lag.Max)
	if elapsed > 0 {
		s.Throughput = float64(all.count-all.errors) / elapsed.Seconds()
	}
	for _, p := range samples {
		s.RSS = append(s.RSS, RSSPoint{ElapsedS: p.At.Seconds(), Bytes: p.RSS, HeapBytes: p.Heap, GoSysBytes: p.GoSys})
	}
	if n := len(samples); n > 0 && samples[n-1].TileHits+samples[n-1].TileMisses > 0 {
		s.TileHits = samples[n-1].TileHits - start.TileHits
		s.TileMisses = samples[n-1].TileMisses - start.TileMisses
	}
	s.RSSFirstMax, s.RSSLastMax, s.RSSGrowth, s.RSSJudged = rssThirds(samples)
	s.verdict()
	return s
}

// verdict decides pass or fail: no failed request, no ERROR line in the
// server's log, flat memory.
func (s *Summary) verdict() {
	s.Failures = nil
	if s.All.Errors > 0 {
		s.Failures = append(s.Failures, fmt.Sprintf("%d of %d requests failed", s.All.Errors, s.All.Count))
	}
	if s.ServerErrs > 0 {
		s.Failures = append(s.Failures, fmt.Sprintf("the server logged %d ERROR lines", s.ServerErrs))
	}
	switch {
	case !s.RSSJudged:
		s.Failures = append(s.Failures, fmt.Sprintf("memory not judged: %d RSS samples, at least 3 are needed", len(s.RSS)))
	case s.RSSGrowth > s.MaxGrowth:
		s.Failures = append(s.Failures, fmt.Sprintf("memory not flat: the highest RSS of the last third is %+.1f%% against the first third's (bound %+.0f%%)", 100*s.RSSGrowth, 100*s.MaxGrowth))
	}
	s.Pass = len(s.Failures) == 0
}

// fmtMS prints a duration in milliseconds with 2-3 significant digits.
func fmtMS(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func mb(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}

// rowHeader is the header of the interval rows: the kinds of the mix.
func rowHeader(w io.Writer, m mix) {
	fmt.Fprintf(w, "%8s %8s %8s %8s %6s %8s %8s", "elapsed", "sent", "answered", "req/s", "errors", "rss_MB", "heap_MB")
	for k := range numKinds {
		if m[k] > 0 {
			fmt.Fprintf(w, " %13s", k.String())
		}
	}
	fmt.Fprintln(w, "   (p50/p99 ms over the interval)")
}

// row prints one interval: per kind p50/p99 of the requests answered in it.
func row(w io.Writer, m mix, span time.Duration, sent, done int, iv [numKinds]kindStats, sample rssSample) {
	n, errs := 0, 0
	for _, s := range iv {
		n += s.count
		errs += s.errors
	}
	rate := 0.0
	if span > 0 {
		rate = float64(n) / span.Seconds()
	}
	fmt.Fprintf(w, "%7.0fs %8d %8d %8.1f %6d %8s %8s", sample.At.Seconds(), sent, done, rate, errs, mb(sample.RSS), mb(sample.Heap))
	for k := range numKinds {
		if m[k] == 0 {
			continue
		}
		if len(iv[k].latency) == 0 {
			fmt.Fprintf(w, " %13s", "-")
			continue
		}
		q := quantilesOf(iv[k].latency)
		fmt.Fprintf(w, " %13s", fmtMS(ms(q.P50))+"/"+fmtMS(ms(q.P99)))
	}
	fmt.Fprintln(w)
}

// print writes the final report.
func (s *Summary) print(w io.Writer) {
	fmt.Fprintf(w, "\nsummary: %d requests due at %.0f/s over %.0f s (%s store, %d preloaded requests); %.1f answered/s over %.1f s\n",
		s.Sent, s.Rate, s.DurationS, s.Store, s.Preload, s.Throughput, s.ElapsedS)
	fmt.Fprintf(w, "%-8s %8s %7s %9s %9s %9s\n", "kind", "count", "errors", "p50_ms", "p99_ms", "max_ms")
	for _, k := range append(append([]KindSummary(nil), s.Kinds...), s.All) {
		fmt.Fprintf(w, "%-8s %8d %7d %9s %9s %9s\n", k.Kind, k.Count, k.Errors, fmtMS(k.P50Ms), fmtMS(k.P99Ms), fmtMS(k.MaxMs))
	}
	fmt.Fprintf(w, "dispatch lag (send time after due time): p99 %s ms, max %s ms\n", fmtMS(s.LagP99Ms), fmtMS(s.LagMaxMs))
	fmt.Fprintf(w, "dedupe: %d intakes and concerns linked to an earlier request\n", s.Linked)
	if len(s.RSS) > 0 {
		first, last, peak := s.RSS[0].Bytes, s.RSS[len(s.RSS)-1].Bytes, int64(0)
		for _, p := range s.RSS {
			peak = max(peak, p.Bytes)
		}
		fmt.Fprintf(w, "rss MB: before load %s, first sample %s, last %s, max %s\n", mb(s.RSSStart), mb(first), mb(last), mb(peak))
		h0, h1, hmax := s.RSS[0].HeapBytes, s.RSS[len(s.RSS)-1].HeapBytes, int64(0)
		for _, p := range s.RSS {
			hmax = max(hmax, p.HeapBytes)
		}
		fmt.Fprintf(w, "go heap in use MB (server's /metrics): before load %s, first sample %s, last %s, max %s; Go runtime total at the end %s\n",
			mb(s.HeapStart), mb(h0), mb(h1), mb(hmax), mb(s.RSS[len(s.RSS)-1].GoSysBytes))
	}
	if s.TileHits+s.TileMisses > 0 {
		fmt.Fprintf(w, "tile cache during the load: %.0f hits, %.0f misses (%.0f%% hits)\n", s.TileHits, s.TileMisses, 100*s.TileHits/(s.TileHits+s.TileMisses))
	}
	if s.RSSJudged {
		state := "flat"
		if s.RSSGrowth > s.MaxGrowth {
			state = "NOT flat"
		}
		fmt.Fprintf(w, "memory: highest RSS in the first third %s MB, in the last third %s MB: %+.1f%% (bound %+.0f%%): %s\n",
			mb(s.RSSFirstMax), mb(s.RSSLastMax), 100*s.RSSGrowth, 100*s.MaxGrowth, state)
	}
	fmt.Fprintf(w, "server ERROR log lines: %d\n", s.ServerErrs)
	for _, e := range s.ServerLog {
		fmt.Fprintf(w, "  %s\n", e)
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "first errors:\n")
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if s.Pass {
		fmt.Fprintln(w, "verdict: PASS (no errors, flat memory)")
		return
	}
	fmt.Fprintf(w, "verdict: FAIL: %s\n", strings.Join(s.Failures, "; "))
}
