package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
	"github.com/geo311/geo311/data/postgis/pgtest"
)

// intakeBenchServer serves the demo city over a fresh store (SQLite file in
// a temp dir, or the PostGIS database at url) and returns an intake key and
// points inside the city.
func intakeBenchServer(b *testing.B, dbURL string) (*httptest.Server, string, [][2]float64) {
	b.Helper()
	c := defaultConfig()
	c.DatabaseURL = dbURL
	cfg, a, rh, log, secret := demoApp(b, c, data.RoleIntake, "bench")
	rng := rand.New(rand.NewPCG(1, 2))
	var pts [][2]float64
	for len(pts) < 4096 {
		lat, lon := 41.10+rng.Float64()*0.2, -88.45+rng.Float64()*0.3
		if _, err := rh.Load().Route(lon, lat, time.Time{}, "SGA"); err == nil {
			pts = append(pts, [2]float64{lat, lon})
		}
	}
	srv := httptest.NewServer(NewServer(serverDeps{cfg: cfg, log: log, app: a, routers: rh}))
	b.Cleanup(srv.Close)
	return srv, secret, pts
}

// benchmarkIntake posts b.N Open311 service requests from 8 concurrent
// clients through the HTTP handler; each answer arrives only after the
// store made the request durable (SQLite: WAL fsync; PostGIS: commit with
// fsync on). Reports intakes/s, the median and 99th percentile latency, and
// the CPU time per intake of this process (server and clients: go-cpu-ms)
// and, when serverPid is a local PostgreSQL server's postmaster, of the
// server (pg-cpu-ms). On a shared machine the CPU figures are steadier
// than the rate, which also counts the time others hold the cores; steal-%
// is how much of the machine's CPU time the hypervisor gave to other
// guests meanwhile.
func benchmarkIntake(b *testing.B, dbURL string, serverPid int) {
	srv, key, pts := intakeBenchServer(b, dbURL)
	const clients = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	goCPU := datatest.StartCPU()
	pgCPU, pgOK := datatest.TreeCPU(serverPid)
	stolen, stealOK := datatest.StolenCPU()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				p := pts[i%int64(len(pts))]
				form := url.Values{"api_key": {key}, "service_code": {"SGA"}, "lat": {fmt.Sprint(p[0])}, "long": {fmt.Sprint(p[1])},
					"description": {fmt.Sprintf("rats seen near the garage, report %d", i)}, "email": {"bench@example.org"}}
				t0 := time.Now()
				resp, err := client.Post(srv.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
				if err != nil {
					failed.Store(err.Error())
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Store(fmt.Sprintf("status %d: %s", resp.StatusCode, body))
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if d, ok := goCPU.Elapsed(); ok {
		b.ReportMetric(float64(d.Microseconds())/1000/float64(b.N), "go-cpu-ms/intake")
	}
	if after, ok := datatest.TreeCPU(serverPid); ok && pgOK && serverPid > 0 {
		b.ReportMetric(float64((after-pgCPU).Microseconds())/1000/float64(b.N), "pg-cpu-ms/intake")
	}
	if after, ok := datatest.StolenCPU(); ok && stealOK {
		// The share of the machine's CPU time the hypervisor gave to other
		// guests during the run: a run with much of it is slow for reasons
		// outside this code.
		b.ReportMetric(100*float64(after-stolen)/float64(el*time.Duration(runtime.NumCPU())), "steal-%")
	}
	b.StopTimer()
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/el.Seconds(), "intakes/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkIntakeSQLite: durable Open311 intakes per second on the embedded
// store, 8 concurrent clients.
func BenchmarkIntakeSQLite(b *testing.B) { benchmarkIntake(b, "", 0) }

// BenchmarkIntakePostGIS: the same on a throwaway PostGIS cluster.
func BenchmarkIntakePostGIS(b *testing.B) {
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		b.Logf("pgtest.Start: %v", err)
		pgtest.Need(b, nil)
	}
	b.Cleanup(func() { c.Stop() })
	u, err := c.NewDatabase(ctx, "geo311_intake_bench")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkIntake(b, u, c.Pid())
}
