package tiles

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// Benchmarks over 2 million synthetic requests (synthCity, seed 1) over
// Chicago's bounding box, the index built once per process.
//
//	go test ./tiles -run '^$' -bench . -benchtime 2s

const benchN = 2_000_000

var (
	benchOnce sync.Once
	benchIx   *RequestIndex
)

func benchIndex(b *testing.B) *RequestIndex {
	benchOnce.Do(func() {
		bl := NewIndexBuilder(synthJurisdiction())
		synthCity(benchN, 1, func(r *data.Request) { bl.Add(r) })
		benchIx = bl.Build()
	})
	return benchIx
}

// downtown returns the 3x3 block of tiles at zoom z centred on the Loop.
func downtown(z maptile.Zoom) []maptile.Tile {
	c := loopTile(z)
	var ts []maptile.Tile
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			ts = append(ts, maptile.New(uint32(int(c.X)+dx), uint32(int(c.Y)+dy), z))
		}
	}
	return ts
}

// benchTiles renders the requests layer (uncached, no gzip) round the
// downtown tiles and reports the median time per tile besides the mean.
func benchTiles(b *testing.B, z maptile.Zoom, f Filter) {
	ix := benchIndex(b)
	ts := downtown(z)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	durs := make([]time.Duration, 0, b.N)
	cpus := make([]time.Duration, 0, b.N)
	feats, size := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0, t0 := datatest.CPU(), time.Now()
		l := ix.RequestsLayer(ts[i%len(ts)], f, now, RequestsOptions{})
		data, _, err := Marshal(l)
		durs = append(durs, time.Since(t0))
		cpus = append(cpus, datatest.CPU()-c0)
		if err != nil {
			b.Fatal(err)
		}
		feats += len(l.Features)
		size += len(data)
	}
	b.StopTimer()
	reportMedians(b, durs, cpus)
	b.ReportMetric(float64(feats)/float64(b.N), "features/tile")
	b.ReportMetric(float64(size)/float64(b.N), "bytes/tile")
}

var benchFilters = []struct {
	name string
	f    Filter
}{
	{"all", Filter{}},
	{"type-open-90d", Filter{Types: []string{"T03"}, Status: "open",
		From: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
}

func BenchmarkRequestsTileZ14(b *testing.B) {
	for _, c := range benchFilters {
		b.Run(c.name, func(b *testing.B) { benchTiles(b, 14, c.f) })
	}
}

func BenchmarkRequestsTileZ12(b *testing.B) {
	for _, c := range benchFilters {
		b.Run(c.name, func(b *testing.B) { benchTiles(b, 12, c.f) })
	}
}

func BenchmarkHexbinsTileZ12(b *testing.B) {
	ix := benchIndex(b)
	ts := downtown(12)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := HexbinsLayer(context.Background(), ts[i%len(ts)], ix, Filter{})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Marshal(l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedTile serves a warm tile from the Service's cache: key,
// lookup and the entry (bytes, gzip and ETags ready).
func BenchmarkCachedTile(b *testing.B) {
	ix := benchIndex(b)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Service{Index: ix, Cache: NewCache(256 << 20), Now: func() time.Time { return now }}
	ts := downtown(14)
	ctx := context.Background()
	for _, t := range ts {
		if _, err := s.Requests(ctx, t, Filter{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := s.Requests(ctx, ts[i%len(ts)], Filter{})
		if err != nil || e.Data == nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := s.Cache.Stats(); st.Misses != uint64(len(ts)) {
		b.Fatalf("cache misses %d, want %d", st.Misses, len(ts))
	}
}

// buildInput is the benchmark city as compact columns, so that the build
// benchmark times the index, not the generator.
type buildInput struct {
	reqs []data.Request // Number, ServiceCode share strings; H3 filled
}

var (
	inputOnce sync.Once
	input     buildInput
)

func benchInput() *buildInput {
	inputOnce.Do(func() {
		input.reqs = make([]data.Request, 0, benchN)
		synthCity(benchN, 1, func(r *data.Request) {
			input.reqs = append(input.reqs, data.Request{Number: r.Number, Kind: r.Kind, ServiceCode: r.ServiceCode,
				State: r.State, Lon: r.Lon, Lat: r.Lat, RequestedAt: r.RequestedAt, Duplicate: r.Duplicate})
		})
		rs := input.reqs
		parallel(len(rs), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				rs[i].H3 = uint64(h3.LatLngToCell(h3.NewLatLng(rs[i].Lat, rs[i].Lon), data.H3Resolution))
			}
		})
	})
	return &input
}

// BenchmarkIndexBuild streams 2 million requests into an IndexBuilder and
// builds the index: with the H3 cells the store keeps on every request
// (h3=stored), and with none, so Build computes them on all cores through
// cgo (h3=computed). Run with -benchtime 1x.
func BenchmarkIndexBuild(b *testing.B) {
	in := benchInput()
	j := synthJurisdiction()
	for _, stored := range []bool{true, false} {
		name := "h3=stored"
		if !stored {
			name = "h3=computed"
		}
		b.Run(name, func(b *testing.B) {
			c0 := datatest.CPU()
			for i := 0; i < b.N; i++ {
				bl := NewIndexBuilder(j)
				bl.Grow(len(in.reqs))
				var r data.Request
				for k := range in.reqs {
					r = in.reqs[k]
					if !stored {
						r.H3 = 0
					}
					bl.Add(&r)
				}
				ix := bl.Build()
				if ix.Len() < benchN*9/10 {
					b.Fatalf("only %d requests indexed", ix.Len())
				}
			}
			b.ReportMetric(float64((datatest.CPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkAdd measures an intake's index update (delta append, including
// the H3 cell through cgo and periodic compaction).
func BenchmarkAdd(b *testing.B) {
	ix := benchIndex(b)
	rs := make([]*data.Request, 0, 10000)
	synthCity(10000, 99, func(r *data.Request) {
		c := *r
		c.Number = data.FormatNumber(data.KindServiceRequest, 2026, int64(len(rs)+1))
		rs = append(rs, &c)
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ix.Add(rs[i%len(rs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// reportMedians reports the median wall time and the median and mean CPU
// time per tile (the machine is shared: wall time includes waiting for a
// core, CPU time does not; getrusage ticks are coarse, so the CPU median is
// taken over many tiles).
func reportMedians(b *testing.B, durs, cpus []time.Duration) {
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
	var sum time.Duration
	for _, c := range cpus {
		sum += c
	}
	slices.Sort(cpus)
	b.ReportMetric(float64(cpus[len(cpus)/2].Nanoseconds()), "p50-cpu-ns")
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(cpus)), "cpu-ns/op")
}
