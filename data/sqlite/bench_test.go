package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/storetest"
)

// sharedData returns the path of a file under the shared data folder
// (GEO311_SHARED, else ../shared beside the module root). A missing file
// fails the test under CI=true and skips it elsewhere.
func sharedData(tb testing.TB, rel string) string {
	tb.Helper()
	dir := os.Getenv("GEO311_SHARED")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	name := filepath.Join(dir, rel)
	if _, err := os.Stat(name); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("real data missing (CI=true): %v; set GEO311_SHARED to the shared folder", err)
		}
		tb.Skipf("real data missing: %v; set GEO311_SHARED to the shared folder holding data/chicago", err)
	}
	return name
}

// chicagoBeats reads the city's police beats as one generation: features
// sharing a beat_num (beat 3100 has three) merge into one multipolygon.
// It parses with orb/geojson directly so this package's tests do not depend
// on the geo package.
func chicagoBeats(tb testing.TB) (g *data.Generation, vertices int) {
	tb.Helper()
	b, err := os.ReadFile(sharedData(tb, "data/chicago/police_beats.geojson"))
	if err != nil {
		tb.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		tb.Fatal(err)
	}
	from := time.Date(2012, 12, 19, 0, 0, 0, 0, time.FixedZone("CST", -6*3600))
	g = &data.Generation{
		ID: data.GenerationID(data.LayerBeat, from), Layer: data.LayerBeat, EffectiveFrom: from,
		Source: "police_beats.geojson", LoadedAt: time.Now(),
	}
	index := map[string]int{}
	for i, f := range fc.Features {
		id, _ := f.Properties["beat_num"].(string)
		if id == "" {
			tb.Fatalf("feature %d has no beat_num", i)
		}
		var polys orb.MultiPolygon
		switch geom := f.Geometry.(type) {
		case orb.MultiPolygon:
			polys = geom
		case orb.Polygon:
			polys = orb.MultiPolygon{geom}
		default:
			tb.Fatalf("feature %d (%s): geometry %T", i, id, geom)
		}
		for _, p := range polys {
			for _, r := range p {
				vertices += len(r)
			}
		}
		if j, ok := index[id]; ok {
			g.Areas[j].Geometry = append(g.Areas[j].Geometry, polys...)
			continue
		}
		props := map[string]string{}
		for k, v := range f.Properties {
			if s, ok := v.(string); ok && k != "beat_num" {
				props[k] = s
			}
		}
		index[id] = len(g.Areas)
		g.Areas = append(g.Areas, data.Area{Layer: data.LayerBeat, ID: id, Name: "Beat " + id, Properties: props, Geometry: polys})
	}
	sort.Slice(g.Areas, func(i, j int) bool { return g.Areas[i].ID < g.Areas[j].ID })
	return g, vertices
}

// TestChicagoBeatsRoundTrip stores and reads back the real beat layer
// bit-exactly.
func TestChicagoBeatsRoundTrip(t *testing.T) {
	g, vertices := chicagoBeats(t)
	if len(g.Areas) != 275 || vertices < 72000 {
		t.Fatalf("parsed %d beats with %d vertices, want 275 beats and about 72,667 vertices", len(g.Areas), vertices)
	}
	db := openTest(t)
	if err := db.CreateGeneration(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	got, err := db.Generation(t.Context(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *g
	want.AreaCount = len(g.Areas)
	if d := storetest.DiffGeneration(got, &want); d != "" {
		t.Error(d)
	}
}

// BenchmarkChicagoBeats: storing (one transaction, fsynced) and loading the
// 275 beats / 72,667 vertices of Chicago's beat layer.
func BenchmarkChicagoBeats(b *testing.B) {
	g, vertices := chicagoBeats(b)
	ctx := context.Background()
	b.Run("Create", func(b *testing.B) {
		db := openTest(b)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			c := *g
			c.ID = fmt.Sprintf("beat@bench-%d", i)
			i++
			if err := db.CreateGeneration(ctx, &c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(vertices), "ns/vertex")
	})
	db := openTest(b)
	if err := db.CreateGeneration(ctx, g); err != nil {
		b.Fatal(err)
	}
	if err := db.ActivateGeneration(ctx, g.ID); err != nil {
		b.Fatal(err)
	}
	b.Run("Generation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.Generation(ctx, g.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(vertices), "ns/vertex")
	})
	b.Run("ActiveGenerations", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gens, err := db.ActiveGenerations(ctx)
			if err != nil || len(gens) != 1 {
				b.Fatal(len(gens), err)
			}
		}
	})
}

// BenchmarkParallelReads measures the reader pool size: concurrent
// Generation reads of a 20,000-vertex generation.
func BenchmarkParallelReads(b *testing.B) {
	ctx := context.Background()
	g := storetest.Synthetic(data.LayerWard, time.Date(2023, 5, 15, 0, 0, 0, 0, time.UTC), 50, 400)
	for _, readers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			db := openBench(b, config{readers: readers, busyTimeout: busyTimeout})
			if err := db.CreateGeneration(ctx, g); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(4) // 4 goroutines per GOMAXPROCS
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.Generation(ctx, g.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkMixed compares the two designs under a mixed load: 8 goroutines
// per core, one operation in 10 a durable write (activation toggle), the
// rest Generation reads. "split" is Open's design (one writer connection,
// a query-only reader pool); "shared" is one pool of 8 connections doing
// both, writers contending through SQLite's busy handler.
func BenchmarkMixed(b *testing.B) {
	ctx := context.Background()
	for _, shared := range []bool{false, true} {
		name := "split"
		if shared {
			name = "shared"
		}
		b.Run(name, func(b *testing.B) {
			db := openBench(b, config{readers: 8, busyTimeout: busyTimeout, sharedPool: shared})
			g := storetest.Synthetic(data.LayerWard, time.Date(2023, 5, 15, 0, 0, 0, 0, time.UTC), 20, 100)
			if err := db.CreateGeneration(ctx, g); err != nil {
				b.Fatal(err)
			}
			var n, busy atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var err error
					if i := n.Add(1); i%10 == 0 {
						if i%20 == 0 {
							err = db.ActivateGeneration(ctx, g.ID)
						} else {
							err = db.DeactivateGeneration(ctx, g.ID)
						}
					} else {
						_, err = db.Generation(ctx, g.ID)
					}
					if errors.Is(err, data.ErrUnavailable) {
						busy.Add(1)
					} else if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(busy.Load()), "busy-failures")
		})
	}
}

func openBench(b *testing.B, cfg config) *DB {
	b.Helper()
	db, err := open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
