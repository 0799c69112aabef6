package dedupe

import (
	"flag"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// intakeFixture: one million open requests of the synthetic city's mix
// received over the 30 days before benchNow, indexed, and a pool of new
// requests to decide. Built once per test binary (about 10 s).
type intakeFixture struct {
	ix    *Index
	j     *data.Jurisdiction
	rules map[string]data.DedupeRule
	pool  []*data.Request
}

var (
	benchNow     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	intakeOnce   sync.Once
	intakeShared *intakeFixture
)

func intakeBench(b *testing.B) *intakeFixture {
	intakeOnce.Do(func() {
		j := synthJurisdiction()
		rs := synth(1_000_000, 42, benchNow.Add(-30*24*time.Hour), 30, 0.10, true, true)
		ix := NewIndex(j)
		for _, r := range rs {
			if err := ix.Add(r); err != nil {
				panic(err)
			}
		}
		pool := synth(20000, 43, benchNow.Add(-time.Hour), 1, 0, false, true)
		rules := map[string]data.DedupeRule{}
		for _, st := range j.Services {
			rules[st.Code] = st.Dedupe
		}
		keep := pool[:0]
		for _, r := range pool { // the decision only runs for deduped types
			if rules[r.ServiceCode].RadiusM > 0 {
				r.Number = "NEW-" + r.Number
				keep = append(keep, r)
			}
		}
		intakeShared = &intakeFixture{ix: ix, j: j, rules: rules, pool: keep}
	})
	runtime.GC() // no collection of the set-up's garbage inside the timing
	return intakeShared
}

// BenchmarkIntakeDecision is the intake decision with one million open
// requests indexed: the new request's H3 cell and search disk (data/h3, pure Go),
// candidates from the (group, cell) buckets, filters and scoring. It reports
// ns/op and the median and 99th percentile of sampled per-decision times.
func BenchmarkIntakeDecision(b *testing.B) {
	f := intakeBench(b)
	samples := make([]time.Duration, 0, min(b.N, 1<<20))
	dups, cands := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := datatest.CPU()
	for i := 0; i < b.N; i++ {
		r := f.pool[i%len(f.pool)]
		start := time.Now()
		d, err := f.ix.Decide(r, f.rules[r.ServiceCode], benchNow)
		el := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(samples) < cap(samples) {
			samples = append(samples, el)
		}
		if d.Duplicate {
			dups++
		}
		cands += d.Considered
	}
	b.StopTimer()
	b.ReportMetric(float64((datatest.CPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	reportPercentiles(b, samples)
	b.ReportMetric(float64(cands)/float64(b.N), "cands/op")
	b.ReportMetric(float64(dups)/float64(b.N), "dup-rate")
}

// BenchmarkIntakeDecisionPublic is the same decision through the public
// path a store would use: Candidates (a fresh slice) then Decide, which
// parses the candidates' addresses and descriptions as it goes.
func BenchmarkIntakeDecisionPublic(b *testing.B) {
	f := intakeBench(b)
	samples := make([]time.Duration, 0, min(b.N, 1<<20))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := f.pool[i%len(f.pool)]
		start := time.Now()
		rule := f.rules[r.ServiceCode]
		cs, err := f.ix.Candidates(r, rule, benchNow)
		if err != nil {
			b.Fatal(err)
		}
		_ = Decide(r, rule, cs, benchNow)
		if len(samples) < cap(samples) {
			samples = append(samples, time.Since(start))
		}
	}
	b.StopTimer()
	reportPercentiles(b, samples)
}

func reportPercentiles(b *testing.B, s []time.Duration) {
	if len(s) == 0 {
		return
	}
	slices.Sort(s)
	b.ReportMetric(float64(s[len(s)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(s[len(s)*99/100].Nanoseconds()), "p99-ns")
}

func BenchmarkSearchCells(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([][2]float64, 1024)
	for i := range pts {
		pts[i][0], pts[i][1] = randomPoint(rng, false)
	}
	for _, radius := range []float64{40, 250} {
		b.Run(meters(radius), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p := pts[i%len(pts)]
				if _, err := SearchCells(p[0], p[1], radius); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRecluster re-clusters 200,000 synthetic requests over 36 days
// (the density of a 2-million-request year). Cells are not stored, so the
// run computes them (data/h3, pure Go).
func BenchmarkRecluster(b *testing.B) {
	benchRecluster(b, 200_000, 36, false)
}

// BenchmarkRecluster2M re-clusters a synthetic year of 2 million requests
// that carry their stored H3 cell. It runs only when named (-bench Recluster2M): building the input takes
// most of a minute and 3 GB.
func BenchmarkRecluster2M(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "2M") {
		b.Skip("run with -bench Recluster2M")
	}
	benchRecluster(b, 2_000_000, 365, true)
}

// benchRecluster: withH3 gives the requests their stored cell, as a store
// hands them over (data.Request.H3).
func benchRecluster(b *testing.B, n, days int, withH3 bool) {
	rs := synth(n, 9, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), days, 0.10, withH3, false)
	j := synthJurisdiction()
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	var dups int
	cpu0 := datatest.CPU()
	for i := 0; i < b.N; i++ {
		dups = 0
		for _, a := range Recluster(j, rs) {
			if a.Primary != "" {
				dups++
			}
		}
	}
	b.StopTimer()
	// CPU seconds used by the process per run: what the run costs whatever
	// else the shared machine is doing (wall time on an idle two-core machine
	// is about half of it, the work being parallel).
	b.ReportMetric((datatest.CPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "requests")
	b.ReportMetric(float64(dups)/float64(n), "dup-rate")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/request")
}
