package postgis

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uber/h3-go/v4"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// BenchmarkCreateRequest: durable intakes from 8 concurrent clients, each a
// full dedupe intake (advisory locks on its neighbourhood, candidates read
// by distance, Decide) at its own place, on a store already holding 20,000
// requests. Reports intakes/s, per-intake latency percentiles and the CPU
// per intake of the whole server (server-cpu-us: WAL writer and
// checkpointer included), of the pool's backends (backend-cpu-us) and of
// this process (go-cpu-us), read from /proc (Linux, local server).
//
//	go test -run '^$' -bench BenchmarkCreateRequest -benchtime 5000x ./data/postgis/
func BenchmarkCreateRequest(b *testing.B) { benchmarkCreateRequest(b, false) }

// BenchmarkCreateRequestCells is BenchmarkCreateRequest with the
// candidates the HTTP intake asks for (cmd/geo311/intake.go): the H3 cells
// within a ring of the point, the last 30 days, open requests, every
// service code. These intakes read their candidates together, in one
// statement per group (selectGroupCandidates).
func BenchmarkCreateRequestCells(b *testing.B) { benchmarkCreateRequest(b, true) }

func benchmarkCreateRequest(b *testing.B, cells bool) {
	db := openDB(b)
	seedRequests(b, db, 20_000, 0)
	ctx := context.Background()
	const clients = 8
	var (
		seq  atomic.Int64
		mu   sync.Mutex
		lats []time.Duration
	)
	at0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs) // RunParallel starts parallelism x GOMAXPROCS goroutines
	srv0, ok1 := serverCPU()
	be0, ok2 := backendCPU(ctx, db)
	go0, ok3 := datatest.ProcessCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(seq.Add(1000)), 1))
		var mine []time.Duration
		for pb.Next() {
			n := seq.Add(1)
			lat := 41.70 + rng.Float64()*0.3
			in := intakeAt(at0.Add(time.Duration(n)*time.Second), lat)
			in.Request.Lon = -87.85 + rng.Float64()*0.3
			in.Candidates.Near = &data.Circle{Lon: in.Request.Lon, Lat: lat, RadiusM: 100}
			if cells {
				r := in.Request
				r.H3 = uint64(h3.LatLngToCell(h3.LatLng{Lat: r.Lat, Lng: r.Lon}, data.H3Resolution))
				var f data.RequestFilter
				for _, c := range h3.GridDisk(h3.Cell(r.H3), 1) {
					f.Cells = append(f.Cells, uint64(c))
				}
				f.From, f.Status = r.RequestedAt.Add(-30*data.Day), "open"
				in.Candidates = f
			}
			in.LockKeys = []int64{int64(rng.IntN(1 << 20)), int64(1<<20 + rng.IntN(1<<20))}
			in.Notes = []data.Note{{Actor: "resident", Event: data.EventCreated, Text: "Received through the web form"}}
			t0 := time.Now()
			if _, _, err := db.CreateRequest(ctx, in); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lats = append(lats, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "intakes/s")
	srv1, ok4 := serverCPU()
	be1, ok5 := backendCPU(ctx, db)
	go1, ok6 := datatest.ProcessCPU()
	if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 {
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
		b.ReportMetric(per(srv1-srv0), "server-cpu-us/intake")
		b.ReportMetric(per(be1-be0), "backend-cpu-us/intake")
		b.ReportMetric(per(go1-go0), "go-cpu-us/intake")
	}
	if g := db.intake.groups.Load(); g > 0 {
		b.ReportMetric(float64(db.intake.intakes.Load())/float64(g), "intakes/group")
		b.ReportMetric(float64(db.intake.fallbacks.Load()), "fallbacks")
	}
	if len(lats) > 0 {
		slices.Sort(lats)
		b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkImport: ImportRequests of new requests in calls of 100,000 (one
// transaction each) into an empty table. Reports rows/s. The default size is
// 100,000 rows; the million-row run is gated behind its name:
//
//	go test -run '^$' -bench 'BenchmarkImport/rows=1000000' -benchtime 1x ./data/postgis/
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			if n > 100_000 && !strings.Contains(benchPattern(), fmt.Sprint(n)) {
				b.Skipf("%d rows: select it with -bench 'BenchmarkImport/rows=%d'", n, n)
			}
			db := openDB(b)
			rs := synthRequests(n, 0)
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if _, err := db.pool.Exec(ctx, "TRUNCATE requests CASCADE; TRUNCATE number_counters"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for i := 0; i < len(rs); i += 100_000 {
					ins, _, err := db.ImportRequests(ctx, rs[i:min(i+100_000, len(rs))])
					if err != nil {
						b.Fatal(err)
					}
					if ins != min(100_000, len(rs)-i) {
						b.Fatalf("inserted %d", ins)
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func benchPattern() string {
	if f := flag.Lookup("test.bench"); f != nil {
		return f.Value.String()
	}
	return ""
}
