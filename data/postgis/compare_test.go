package postgis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis/pgtest"
	"github.com/geo311/geo311/geo"
)

// The comparison of issue 2: the real Chicago layers loaded into the Go
// index and into PostGIS; 100,000 points routed through both must get
// identical answers.

// sharedDir finds ../shared/data: $GEO311_SHARED, else ../shared beside the
// module root. Missing data fails under CI=true and skips elsewhere.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	var candidates []string
	if d := os.Getenv("GEO311_SHARED"); d != "" {
		candidates = append(candidates, d)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				candidates = append(candidates, filepath.Join(dir, "..", "shared"))
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, d := range candidates {
		if _, err := os.Stat(filepath.Join(d, "data", "chicago", "police_beats.geojson")); err == nil {
			return filepath.Join(d, "data")
		}
	}
	msg := fmt.Sprintf("Chicago boundary data not found in %q (set GEO311_SHARED to the shared folder)", candidates)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// chicago holds the real layers loaded into both implementations.
type chicago struct {
	j     *data.Jurisdiction
	gens  []*data.Generation
	ix    *geo.Index
	db    *DB
	bound [4]float64 // lon0, lat0, lon1, lat1 of the city
}

var (
	chicagoOnce sync.Once
	chicagoData *chicago
	chicagoErr  error
)

// loadChicago loads the Chicago layers once per test binary (the test and the
// benchmark share them) with geo.LoadGeoJSON, builds geo.NewIndex and stores
// and activates the same generations in a fresh PostGIS database.
func loadChicago(tb testing.TB) *chicago {
	tb.Helper()
	dir := sharedDir(tb)
	pgtest.Need(tb, cluster)
	chicagoOnce.Do(func() { chicagoData, chicagoErr = buildChicago(tb, dir) })
	if chicagoErr != nil {
		tb.Fatal(chicagoErr)
	}
	return chicagoData
}

func buildChicago(tb testing.TB, dir string) (*chicago, error) {
	j, err := geo.LookupJurisdiction("chicago")
	if err != nil {
		return nil, err
	}
	tz, err := time.LoadLocation(j.TimeZone)
	if err != nil {
		tz = time.FixedZone("CST", -6*3600)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, tz) }
	files := []struct {
		layer data.Layer
		from  time.Time
		file  string
	}{
		{data.LayerBeat, day(2012, 12, 19), "police_beats.geojson"},
		{data.LayerDistrict, day(2012, 12, 19), "police_districts.geojson"},
		{data.LayerWard, day(2003, 5, 1), "wards_2003_2015.geojson"},
		{data.LayerWard, day(2015, 5, 18), "wards_2015_2023.geojson"},
		{data.LayerWard, day(2023, 5, 15), "wards_2023.geojson"},
		{data.LayerCommunityArea, day(1980, 1, 1), "community_areas.geojson"},
	}
	c := &chicago{j: j}
	for _, f := range files {
		spec, ok := j.LayerSpec(f.layer)
		if !ok {
			return nil, fmt.Errorf("jurisdiction chicago has no layer %s", f.layer)
		}
		r, err := os.Open(filepath.Join(dir, "chicago", f.file))
		if err != nil {
			return nil, err
		}
		areas, err := geo.LoadGeoJSON(r, *spec)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.file, err)
		}
		c.gens = append(c.gens, &data.Generation{
			ID: data.GenerationID(f.layer, f.from), Layer: f.layer, EffectiveFrom: f.from,
			Active: true, Source: f.file, Areas: areas,
		})
	}
	if c.ix, err = geo.NewIndex(j, c.gens); err != nil {
		return nil, err
	}
	ctx := context.Background()
	url, err := cluster.NewDatabase(ctx, fmt.Sprintf("chicago_%d", dbSeq.Add(1)))
	if err != nil {
		return nil, err
	}
	if c.db, err = Open(ctx, url); err != nil {
		return nil, err
	}
	for _, g := range c.gens {
		if err := c.db.CreateGeneration(ctx, g); err != nil {
			return nil, err
		}
		if err := c.db.ActivateGeneration(ctx, g.ID); err != nil {
			return nil, err
		}
	}
	if _, err := c.db.pool.Exec(ctx, "ANALYZE"); err != nil {
		return nil, err
	}
	c.bound = [4]float64{-87.9401, 41.6445, -87.5241, 42.0230} // SOURCES.md
	return c, nil
}

// comparePoints makes n seeded points: most uniform in the city's bounding
// box, and edgeShare of them exactly on boundary vertices or on edges of
// the areas (shared and outer edges alike), at dates spread over every ward
// era, including the first instant of each generation and the microsecond
// before it.
func (c *chicago) comparePoints(n int, edgeShare float64, seed uint64) []Point {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var starts []time.Time
	for _, g := range c.gens {
		starts = append(starts, g.EffectiveFrom)
	}
	lo := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	date := func() time.Time {
		switch k := r.IntN(20); {
		case k == 0:
			return starts[r.IntN(len(starts))]
		case k == 1:
			return starts[r.IntN(len(starts))].Add(-time.Microsecond)
		default:
			return lo.Add(time.Duration(r.Int64N(int64(hi.Sub(lo)))))
		}
	}
	pts := make([]Point, n)
	edges := int(float64(n) * edgeShare)
	for i := range pts {
		pts[i].At = date()
		if i < edges {
			g := c.gens[r.IntN(len(c.gens))]
			a := g.Areas[r.IntN(len(g.Areas))]
			poly := a.Geometry[r.IntN(len(a.Geometry))]
			ring := poly[r.IntN(len(poly))]
			k := r.IntN(len(ring) - 1)
			p, q := ring[k], ring[k+1]
			if i%2 == 0 {
				pts[i].Lon, pts[i].Lat = p[0], p[1] // a vertex
			} else {
				t := r.Float64() // a point on the edge, as close as float64 gets
				pts[i].Lon, pts[i].Lat = p[0]+t*(q[0]-p[0]), p[1]+t*(q[1]-p[1])
			}
			continue
		}
		pts[i].Lon = c.bound[0] + r.Float64()*(c.bound[2]-c.bound[0])
		pts[i].Lat = c.bound[1] + r.Float64()*(c.bound[3]-c.bound[1])
	}
	r.Shuffle(len(pts), func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
	return pts
}

// sameAnswer compares the Go index's answer with PostGIS's: the same areas
// (layer, id, name, generation) in the same order, or the same error kind and
// message.
func sameAnswer(goRefs []data.AreaRef, goErr error, pg Located) bool {
	if goErr != nil || pg.Err != nil {
		if goErr == nil || pg.Err == nil {
			return false
		}
		return errors.Is(goErr, data.ErrOutsideJurisdiction) == errors.Is(pg.Err, data.ErrOutsideJurisdiction) &&
			errors.Is(goErr, data.ErrInvalid) == errors.Is(pg.Err, data.ErrInvalid) &&
			data.ErrorMessage(goErr) == data.ErrorMessage(pg.Err)
	}
	return slices.Equal(goRefs, pg.Areas)
}

func TestCompareWithGoIndexChicago(t *testing.T) {
	if testing.Short() {
		t.Skip("routes 100,000 points through PostGIS")
	}
	c := loadChicago(t)
	if TieTolerance != geo.TieTolerance {
		t.Fatalf("postgis.TieTolerance %v != geo.TieTolerance %v", TieTolerance, geo.TieTolerance)
	}
	const n = 100_000
	pts := c.comparePoints(n, 0.04, 20250101)

	start := time.Now()
	goRefs := make([][]data.AreaRef, n)
	goErrs := make([]error, n)
	for i, p := range pts {
		goRefs[i], goErrs[i] = c.ix.Locate(p.Lon, p.Lat, p.At)
	}
	goTime := time.Since(start)

	start = time.Now()
	pg, err := c.db.LocateBatch(context.Background(), c.j, pts)
	if err != nil {
		t.Fatal(err)
	}
	pgTime := time.Since(start)

	mismatches, outside, areas := 0, 0, 0
	perLayer := map[data.Layer]int{}
	for i, p := range pts {
		if errors.Is(goErrs[i], data.ErrOutsideJurisdiction) {
			outside++
		}
		for _, a := range goRefs[i] {
			perLayer[a.Layer]++
			areas++
		}
		if sameAnswer(goRefs[i], goErrs[i], pg[i]) {
			continue
		}
		mismatches++
		if mismatches <= 20 {
			t.Errorf("point %d (%.17g, %.17g) at %s:\n  geo     %s\n  postgis %s", i, p.Lon, p.Lat,
				p.At.Format(time.RFC3339Nano), describeFull(goRefs[i], goErrs[i]), describeFull(pg[i].Areas, pg[i].Err))
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d points answered differently", mismatches, n)
	}
	t.Logf("%d points (%.0f%% on boundary vertices and edges): %d outside, %d areas %v; geo %v (%v/point), PostGIS batch %v (%v/point)",
		n, 4.0, outside, areas, perLayer, goTime, goTime/n, pgTime, pgTime/n)
	// The check must have teeth: both answers cover every layer somewhere
	// and both outside and inside points occur.
	for _, l := range []data.Layer{data.LayerBeat, data.LayerSector, data.LayerDistrict, data.LayerWard, data.LayerCommunityArea} {
		if perLayer[l] < n/10 {
			t.Errorf("only %d answers of layer %s", perLayer[l], l)
		}
	}
	if outside < n/10 || outside > n*9/10 {
		t.Errorf("%d of %d points outside: the sample does not test both sides", outside, n)
	}
}

// describeFull is describe with names, for mismatch reports.
func describeFull(areas []data.AreaRef, err error) string {
	if err != nil {
		return describe(areas, err) + ": " + data.ErrorMessage(err)
	}
	s := ""
	for _, a := range areas {
		s += fmt.Sprintf("%s=%s(%q)@%s ", a.Layer, a.ID, a.Name, a.Generation)
	}
	return s
}

// BenchmarkLocateGoVsPostGIS routes the same random Chicago points (all
// layers, dates over every ward era) through the Go index, one by one on one
// goroutine, and through PostGIS in batches of 10,000 (LocateBatch, up to two
// connections), and reports both costs per point and their ratio.
func BenchmarkLocateGoVsPostGIS(b *testing.B) {
	c := loadChicago(b)
	const batch = 10_000
	pts := c.comparePoints(batch, 0.04, 7)
	ctx := context.Background()
	var goTime, pgTime time.Duration
	dst := make([]data.AreaRef, 0, 8)
	for b.Loop() {
		start := time.Now()
		for _, p := range pts {
			dst, _ = c.ix.LocateInto(p.Lon, p.Lat, p.At, dst[:0])
		}
		goTime += time.Since(start)
		start = time.Now()
		if _, err := c.db.LocateBatch(ctx, c.j, pts); err != nil {
			b.Fatal(err)
		}
		pgTime += time.Since(start)
	}
	points := float64(b.N) * batch
	b.ReportMetric(float64(goTime.Nanoseconds())/points, "geo-ns/point")
	b.ReportMetric(float64(pgTime.Nanoseconds())/points, "postgis-ns/point")
	b.ReportMetric(float64(pgTime)/float64(goTime), "geo/postgis-throughput")
}

// BenchmarkCreateGenerationBeats stores the Chicago beat layer (275 areas,
// 72,667 vertices): COPY of the areas and their cutting into pieces.
func BenchmarkCreateGenerationBeats(b *testing.B) {
	c := loadChicago(b)
	beats := c.gens[0]
	ctx := context.Background()
	i := 0
	for b.Loop() {
		g := *beats
		i++
		g.ID = fmt.Sprintf("beat@bench-%d", i)
		if err := c.db.CreateGeneration(ctx, &g); err != nil {
			b.Fatal(err)
		}
	}
}
