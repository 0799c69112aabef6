package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/geo311/geo311/data"
)

// benchServer serves the HTTP API over a demo store, or over the real
// Chicago layers when chicago is set.
func benchServer(b *testing.B, chicago bool) (*httptest.Server, [4]float64) {
	b.Helper()
	dir := b.TempDir()
	cfg := defaultConfig()
	cfg.Database, cfg.LogLevel = filepath.Join(dir, "bench.db"), "error"
	bbox := [4]float64{-88.45, 41.10, -88.15, 41.30} // demo city
	vars := map[string]string{"GEO311_DATABASE": cfg.Database, "GEO311_LOG_LEVEL": "error"}
	if chicago {
		for _, l := range []struct{ layer, file, from string }{
			{"beat", "police_beats.geojson", "2012-12-19"},
			{"district", "police_districts.geojson", "2012-12-19"},
			{"ward", "wards_2023.geojson", "2023-05-15"},
			{"community_area", "community_areas.geojson", "1980-01-01"},
		} {
			mustCLI(b, vars, "boundaries", "load", "--layer", l.layer, "--from", l.from, "--activate", sharedDir(b, "data/chicago/"+l.file))
		}
		bbox = [4]float64{-87.94, 41.645, -87.525, 42.022}
	} else {
		cfg.Jurisdiction, cfg.Demo = "demo", true
	}
	cfg.finish()
	cfg.Database = vars["GEO311_DATABASE"]
	log := newLogger(&cfg, io.Discard)
	a, err := openApp(context.Background(), &cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	rh := newRouterHolder(a)
	if err := rh.Reload(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(serverDeps{cfg: &cfg, log: log, app: a, routers: rh}))
	b.Cleanup(srv.Close)
	return srv, bbox
}

// pointsCSV generates n random points in a bounding box as CSV, lazily.
type pointsCSV struct {
	n, i int
	bbox [4]float64
	rng  *rand.Rand
	buf  []byte
}

func (p *pointsCSV) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		if len(p.buf) == 0 {
			if p.i > p.n {
				break
			}
			if p.i == 0 {
				p.buf = append(p.buf[:0], "lat,lon,time\n"...)
			} else {
				lat := p.bbox[1] + p.rng.Float64()*(p.bbox[3]-p.bbox[1])
				lon := p.bbox[0] + p.rng.Float64()*(p.bbox[2]-p.bbox[0])
				p.buf = fmt.Appendf(p.buf[:0], "%.6f,%.6f,2024-06-01\n", lat, lon)
			}
			p.i++
		}
		c := copy(b[n:], p.buf)
		p.buf = p.buf[c:]
		n += c
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func benchmarkBatch(b *testing.B, chicago bool) {
	srv, bbox := benchServer(b, chicago)
	const points = 100_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := &pointsCSV{n: points, bbox: bbox, rng: rand.New(rand.NewPCG(1, uint64(i)))}
		resp, err := http.Post(srv.URL+"/v1/route/batch", "text/csv", body)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Trailer.Get("Geo311-Rows") != fmt.Sprint(points) {
			b.Fatalf("status %d, rows %s, %d bytes", resp.StatusCode, resp.Trailer.Get("Geo311-Rows"), n)
		}
	}
	b.ReportMetric(float64(b.N*points)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*points), "ns/point")
}

// BenchmarkRouteBatchCSVDemo streams 100,000 random points per operation
// through POST /v1/route/batch (CSV in and out, over loopback HTTP) against
// the demo city.
func BenchmarkRouteBatchCSVDemo(b *testing.B) { benchmarkBatch(b, false) }

// BenchmarkRouteBatchCSVChicago does the same over Chicago's real beats,
// sectors, districts, wards (2023) and community areas, with random points
// in the city's bounding box (some fall outside and are answered inline).
func BenchmarkRouteBatchCSVChicago(b *testing.B) { benchmarkBatch(b, true) }

var _ = data.LayerBeat
