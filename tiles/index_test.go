package tiles

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// public reports whether a fixture request may appear in tiles.
func public(j *data.Jurisdiction, r *data.Request) bool { return !r.Police(j) }

// bruteMatch is the filter semantics, spelled out independently.
func bruteMatch(r *data.Request, f Filter) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, r.ServiceCode) {
		return false
	}
	if !f.IncludeDuplicates && r.Duplicate {
		return false
	}
	if f.Status != "" && r.State.Open311() != f.Status {
		return false
	}
	if !f.From.IsZero() && r.RequestedAt.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !r.RequestedAt.Before(f.To) {
		return false
	}
	return true
}

func queryIDs(ix *RequestIndex, b orb.Bound, f Filter) []uint64 {
	var ids []uint64
	ix.Query(b, f, func(p Point) bool { ids = append(ids, p.ID); return true })
	slices.Sort(ids)
	return ids
}

func bruteIDs(j *data.Jurisdiction, rs map[string]*data.Request, b orb.Bound, f Filter) []uint64 {
	var ids []uint64
	box := boundBox(b)
	x0, y0, x1, y1, _ := intBox(box)
	for _, r := range rs {
		x, y := worldXY(r.Lon, r.Lat)
		if public(j, r) && bruteMatch(r, f) && x >= x0 && x <= x1 && y >= y0 && y <= y1 {
			ids = append(ids, FeatureID(r.Number))
		}
	}
	slices.Sort(ids)
	return ids
}

var testFilters = []Filter{
	{},
	{IncludeDuplicates: true},
	{Types: []string{"PHF"}},
	{Types: []string{"SLA", "GRAF"}, Status: "open"},
	{Status: "closed", IncludeDuplicates: true},
	{From: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)},
	{Types: []string{"POL"}}, // police: always empty
	{Types: []string{"NOPE"}},
}

// TestQueryMatchesBruteForce checks the Z-order index against a linear
// scan for random boxes and every test filter, through adds, updates,
// removals and compactions.
func TestQueryMatchesBruteForce(t *testing.T) {
	j := testJurisdiction()
	all := fixtureRequests(3000)
	rs := map[string]*data.Request{}
	for _, r := range all[:2000] {
		rs[r.Number] = r
	}
	ix := NewRequestIndex(j, all[:2000])
	ix.compactAt = 300 // compact several times during the test
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(stage string) {
		t.Helper()
		for k := 0; k < 6; k++ {
			lon, lat := loop[0]+(rng.Float64()-0.5)*0.05, loop[1]+(rng.Float64()-0.5)*0.04
			w, h := rng.Float64()*0.02, rng.Float64()*0.015
			b := orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon + w, lat + h}}
			for _, f := range testFilters {
				got, want := queryIDs(ix, b, f), bruteIDs(j, rs, b, f)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: box %v filter %+v: %d ids, want %d", stage, b, f, len(got), len(want))
				}
			}
		}
		public := 0
		for _, r := range rs {
			if !r.Police(j) {
				public++
			}
		}
		if ix.Len() != public {
			t.Fatalf("%s: Len %d, want %d", stage, ix.Len(), public)
		}
	}
	check("built")
	for i, r := range all[2000:] { // adds
		if err := ix.Add(r); err != nil {
			t.Fatal(err)
		}
		rs[r.Number] = r
		if i == 150 {
			check("delta")
		}
	}
	check("added")
	for i := 0; i < 1000; i++ { // updates: move, close, re-type, mark duplicate
		r := *all[rng.IntN(len(all))]
		r.Lon += (rng.Float64() - 0.5) * 0.01
		r.State = data.StateClosed
		r.Duplicate = rng.IntN(4) == 0
		r.ServiceCode = []string{"PHF", "SLA", "GRAF", "POL"}[rng.IntN(4)]
		if err := ix.Update(&r); err != nil {
			t.Fatal(err)
		}
		rs[r.Number] = &r
	}
	check("updated")
	for i := 0; i < 500; i++ { // removals
		r := all[rng.IntN(len(all))]
		_, had := rs[r.Number]
		had = had && !rs[r.Number].Police(j)
		if got := ix.Remove(r.Number); got != had {
			t.Fatalf("Remove(%s) = %v, want %v", r.Number, got, had)
		}
		delete(rs, r.Number)
	}
	check("removed")
}

func TestAddRejectsBadCoordinates(t *testing.T) {
	ix := NewRequestIndex(nil, nil)
	v := ix.Version()
	for _, c := range []struct {
		lon, lat float64
		field    string
	}{{0, 91, "lat"}, {181, 0, "lon"}, {0, nan(), "lat"}} {
		err := ix.Add(&data.Request{Number: "SR25-00000001", Lon: c.lon, Lat: c.lat})
		if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != c.field {
			t.Errorf("Add(%v,%v) = %v, want invalid %s", c.lon, c.lat, err, c.field)
		}
	}
	if ix.Version() != v || ix.Len() != 0 {
		t.Error("a rejected Add changed the index")
	}
	b := NewIndexBuilder(nil)
	b.Add(&data.Request{Number: "SR25-00000001", Lon: 0, Lat: 95})
	b.Add(&data.Request{Number: "SR25-00000002", Lon: 1, Lat: 1})
	if ix := b.Build(); ix.Skipped() != 1 || ix.Len() != 1 {
		t.Errorf("Skipped %d Len %d, want 1 and 1", ix.Skipped(), ix.Len())
	}
}

func nan() float64 { var z float64; return z / z }

func TestPoliceNeverInTiles(t *testing.T) {
	j := testJurisdiction()
	rs := fixtureRequests(400)
	ix := NewRequestIndex(j, rs)
	police := map[uint64]bool{}
	for _, r := range rs {
		if r.Police(j) {
			police[FeatureID(r.Number)] = true
		}
	}
	if len(police) < 50 {
		t.Fatalf("fixture has only %d police requests", len(police))
	}
	// A public request turning police-related leaves the index.
	moved := *rs[0]
	moved.ServiceCode = "POL"
	if err := ix.Update(&moved); err != nil {
		t.Fatal(err)
	}
	police[FeatureID(moved.Number)] = true
	for z := maptile.Zoom(13); z <= 16; z++ {
		tl := loopTile(z)
		for _, f := range testFilters {
			l := ix.RequestsLayer(tl, f, fixedAt, RequestsOptions{})
			for _, ft := range l.Features {
				if _, ok := ft.Geometry.(orb.Point); ok && police[ft.ID.(uint64)] {
					t.Fatalf("z%d filter %+v: police request %v in tile", z, f, ft.ID)
				}
			}
		}
	}
	// Counts leave them out too: total over a box covering all = public.
	cells, err := ix.CountCells(context.Background(), orb.Bound{Min: orb.Point{-88, 41.5}, Max: orb.Point{-87, 42.5}}, 7, Filter{IncludeDuplicates: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cells {
		n += c.Count
	}
	if n != ix.Len() || n != 400-len(police) {
		t.Errorf("counted %d, index %d, want %d public", n, ix.Len(), 400-len(police))
	}
}

func TestRequestsLayerPoints(t *testing.T) {
	j := testJurisdiction()
	rs := fixtureRequests(400)
	ix := NewRequestIndex(j, rs)
	byID := map[uint64]*data.Request{}
	for _, r := range rs {
		byID[FeatureID(r.Number)] = r
	}
	tl := loopTile(15)
	p := newTileProj(tl)
	for _, f := range testFilters {
		l := ix.RequestsLayer(tl, f, fixedAt, RequestsOptions{})
		want := bruteIDs(j, toMap(rs), boxBound(tileBox(tl, Buffer)), f)
		if len(l.Features) != len(want) {
			t.Errorf("filter %+v: %d features, want %d", f, len(l.Features), len(want))
		}
		for _, ft := range l.Features {
			r := byID[ft.ID.(uint64)]
			if r == nil {
				t.Fatalf("unknown id %v", ft.ID)
			}
			x, y := worldXYf(r.Lon, r.Lat)
			want := p.point(x, y)
			got := ft.Geometry.(orb.Point)
			if d := got.X() - want.X(); d < -1 || d > 1 {
				t.Errorf("%s at %v, want %v", r.Number, got, want)
			}
			age := int64(fixedAt.Sub(r.RequestedAt) / (24 * time.Hour))
			if ft.Properties["type"] != r.ServiceCode || ft.Properties["status"] != r.State.Open311() || ft.Properties["age_days"] != age {
				t.Errorf("%s: properties %v", r.Number, ft.Properties)
			}
		}
	}
}

func toMap(rs []*data.Request) map[string]*data.Request {
	m := map[string]*data.Request{}
	for _, r := range rs {
		m[r.Number] = r
	}
	return m
}

func TestRequestsLayerAggregates(t *testing.T) {
	ix := NewRequestIndex(testJurisdiction(), fixtureRequests(400))
	tl := loopTile(14)
	// Dense tile: more than MaxPoints -> hexagons with whole-cell counts.
	l := ix.RequestsLayer(tl, Filter{}, fixedAt, RequestsOptions{MaxPoints: 10})
	if len(l.Features) == 0 {
		t.Fatal("no features")
	}
	for _, ft := range l.Features {
		if _, ok := ft.Geometry.(orb.Polygon); !ok {
			t.Fatalf("feature %T, want hexagon", ft.Geometry)
		}
		cell := ft.ID.(uint64)
		if h3.Cell(cell).Resolution() != HexResolution(14) {
			t.Errorf("cell resolution %d, want %d", h3.Cell(cell).Resolution(), HexResolution(14))
		}
		// Whole-cell count: count the requests of that cell anywhere.
		n := 0
		ix.Query(orb.Bound{Min: orb.Point{-88, 41}, Max: orb.Point{-87, 42}}, Filter{}, func(p Point) bool {
			if cellParent(p.Cell, HexResolution(14)) == cell {
				n++
			}
			return true
		})
		if ft.Properties["count"] != n {
			t.Errorf("cell %x: count %v, want %d", cell, ft.Properties["count"], n)
		}
	}
	// Low zoom: always hexagons, even for a few points.
	l = ix.RequestsLayer(loopTile(8), Filter{Types: []string{"PHF"}}, fixedAt, RequestsOptions{})
	if len(l.Features) == 0 {
		t.Fatal("z8: no features")
	}
	for _, ft := range l.Features {
		if _, ok := ft.Geometry.(orb.Polygon); !ok {
			t.Fatalf("z8: feature %T, want hexagon", ft.Geometry)
		}
	}
}

func TestCellParent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		c := h3.LatLngToCell(h3.NewLatLng(rng.Float64()*170-85, rng.Float64()*360-180), 9)
		for res := 0; res <= 9; res++ {
			if got, want := cellParent(uint64(c), res), uint64(c.Parent(res)); got != want {
				t.Fatalf("cellParent(%v, %d) = %x, want %x", c, res, got, want)
			}
		}
	}
}

func TestFeatureID(t *testing.T) {
	for _, n := range []string{"SR26-00000001", "CC25-12345678", "11-00002767", "SR99-99999999"} {
		id := FeatureID(n)
		if id >= 1<<53 {
			t.Errorf("%s: id %d not exact in JavaScript", n, id)
		}
		if got, ok := FeatureNumber(id); !ok || got != n {
			t.Errorf("FeatureNumber(FeatureID(%q)) = %q, %v", n, got, ok)
		}
	}
	a, b := FeatureID("X-1"), FeatureID("X-2")
	if a == b || a < 1<<63 {
		t.Errorf("hashed ids %x %x", a, b)
	}
	if _, ok := FeatureNumber(a); ok {
		t.Error("hashed id reversed")
	}
}

// TestConcurrentReadWrite runs tile reads against writers under -race.
func TestConcurrentReadWrite(t *testing.T) {
	rs := fixtureRequests(2000)
	ix := NewRequestIndex(testJurisdiction(), rs[:1000])
	ix.compactAt = 200
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1000 + w; i < 2000; i += 2 {
				if err := ix.Add(rs[i]); err != nil {
					t.Error(err)
				}
				if i%7 == 0 {
					ix.Remove(rs[i-500].Number)
				}
			}
		}()
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				l := ix.RequestsLayer(loopTile(maptile.Zoom(12+i%4)), Filter{}, fixedAt, RequestsOptions{})
				if _, _, err := Marshal(l); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	want := 0
	ix.Query(orb.Bound{Min: orb.Point{-88, 41}, Max: orb.Point{-87, 42}}, Filter{IncludeDuplicates: true}, func(Point) bool { want++; return true })
	if ix.Len() != want {
		t.Errorf("Len %d, query finds %d", ix.Len(), want)
	}
}

func TestVersionBumps(t *testing.T) {
	rs := fixtureRequests(10)
	ix := NewRequestIndex(nil, rs[:5])
	v0 := ix.Version()
	ix.Add(rs[5])
	v1 := ix.Version()
	ix.Update(rs[5])
	v2 := ix.Version()
	ix.Remove(rs[5].Number)
	v3 := ix.Version()
	ix.Remove("SR25-99999999") // absent: no change
	if !(v0 < v1 && v1 < v2 && v2 < v3) || ix.Version() != v3 {
		t.Errorf("versions %d %d %d %d %d", v0, v1, v2, v3, ix.Version())
	}
}

// Tiles at the edge of the data, z0, z22, and empty tiles.
func TestTileEdges(t *testing.T) {
	j := testJurisdiction()
	rs := fixtureRequests(400)
	// One request exactly on a z14 tile corner: it belongs to the tile
	// whose top-left corner it is, and sits in its neighbours' buffers.
	corner := loopTile(14)
	lon, lat := lonLat(float64(corner.X)*tileSpan(14), float64(corner.Y)*tileSpan(14))
	edge := &data.Request{Number: "SR25-90000000", Kind: data.KindServiceRequest, ServiceCode: "PHF",
		State: data.StateNew, Lon: lon, Lat: lat, RequestedAt: fixedAt.Add(-48 * time.Hour)}
	ix := NewRequestIndex(j, append(rs, edge))
	id := FeatureID(edge.Number)
	find := func(tl maptile.Tile) (orb.Point, bool) {
		for _, ft := range ix.RequestsLayer(tl, Filter{}, fixedAt, RequestsOptions{}).Features {
			if ft.ID == id {
				return ft.Geometry.(orb.Point), true
			}
		}
		return orb.Point{}, false
	}
	if p, ok := find(corner); !ok || p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1 {
		t.Errorf("corner request in its tile at %v (found %v), want about (0,0)", p, ok)
	}
	west := maptile.New(corner.X-1, corner.Y, 14)
	if p, ok := find(west); !ok || p[0] < Extent-1 || p[0] > Extent+1 {
		t.Errorf("corner request in the western neighbour at %v (found %v), want x about %d", p, ok, Extent)
	}

	// z0: the whole world, aggregated, non-empty, every hexagon clipped
	// into the buffered tile.
	l0 := ix.RequestsLayer(maptile.New(0, 0, 0), Filter{}, fixedAt, RequestsOptions{})
	if len(l0.Features) == 0 {
		t.Error("z0: empty")
	}
	b0, ok, err := Marshal(l0)
	if err != nil || !ok {
		t.Fatalf("z0: %v %v", ok, err)
	}
	checkRaw(t, b0)

	// z22 over the edge request: exactly that point, at the tile origin.
	t22 := maptile.At(orb.Point{lon + 1e-9, lat - 1e-9}, 22)
	l22 := ix.RequestsLayer(t22, Filter{}, fixedAt, RequestsOptions{})
	if len(l22.Features) != 1 || l22.Features[0].ID != id {
		t.Fatalf("z22: %d features", len(l22.Features))
	}
	if p := l22.Features[0].Geometry.(orb.Point); p[0] < 0 || p[0] > 4 || p[1] < 0 || p[1] > 4 {
		t.Errorf("z22 point at %v, want within 4 units of the origin", p)
	}
	if l22.Features[0].Properties["age_days"] != int64(2) {
		t.Errorf("age_days %v, want 2", l22.Features[0].Properties["age_days"])
	}

	// Empty tiles, every layer, every way of being empty: nil, false.
	b := NewBoundaries(fixtureAreas())
	ch, _ := NewChronic(fixtureChronic())
	far := maptile.At(orb.Point{2.35, 48.85}, 12) // Paris: no data
	hex, err := HexbinsLayer(context.Background(), far, ix, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	empties := map[string]*mvt.Layer{
		"requests far":           ix.RequestsLayer(far, Filter{}, fixedAt, RequestsOptions{}),
		"requests filtered":      ix.RequestsLayer(loopTile(14), Filter{Types: []string{"NOPE"}}, fixedAt, RequestsOptions{}),
		"requests low zoom":      ix.RequestsLayer(maptile.New(1, 1, 1), Filter{}, fixedAt, RequestsOptions{}),
		"hexbins far":            hex,
		"boundaries far":         b.Layer(far),
		"boundaries z22 in hole": b.Layer(maptile.At(orb.Point{-87.615, 41.8675}, 22)),
		"chronic far":            ch.Layer(far),
	}
	for name, l := range empties {
		data, ok, err := Marshal(l)
		if data != nil || ok || err != nil {
			t.Errorf("%s: Marshal = %d bytes, %v, %v; want nil, false, nil", name, len(data), ok, err)
		}
	}
}

func TestHexbinsCounter(t *testing.T) {
	ix := NewRequestIndex(testJurisdiction(), fixtureRequests(400))
	// A counter backed by something else (as the trends cube would be):
	// the layer draws exactly what it returns.
	c := fakeCounter{cells: []CellCount{{uint64(h3.LatLngToCell(h3.NewLatLng(loop[1], loop[0]), HexResolution(13))), 42}}}
	l, err := HexbinsLayer(context.Background(), loopTile(13), c, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Features) != 1 || l.Features[0].Properties["count"] != 42 {
		t.Fatalf("features %v", l.Features)
	}
	if _, err := HexbinsLayer(context.Background(), loopTile(13), fakeCounter{err: errors.New("down")}, Filter{}); err == nil {
		t.Error("counter error not returned")
	}
	if _, err := ix.CountCells(context.Background(), orb.Bound{}, 10, Filter{}); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("resolution 10: %v", err)
	}
	// The index's own counts match the requests layer's hexagons.
	hl, err := HexbinsLayer(context.Background(), loopTile(12), ix, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	rl := ix.RequestsLayer(loopTile(12), Filter{}, fixedAt, RequestsOptions{})
	if len(hl.Features) == 0 || len(hl.Features) != len(rl.Features) {
		t.Fatalf("hexbins %d features, requests %d", len(hl.Features), len(rl.Features))
	}
	for i := range hl.Features {
		if hl.Features[i].ID != rl.Features[i].ID || hl.Features[i].Properties["count"] != rl.Features[i].Properties["count"] {
			t.Errorf("feature %d differs", i)
		}
	}
}

type fakeCounter struct {
	cells []CellCount
	err   error
}

func (f fakeCounter) CountCells(context.Context, orb.Bound, int, Filter) ([]CellCount, error) {
	return slices.Clone(f.cells), f.err
}
func (f fakeCounter) Version() uint64 { return 1 }

func TestCoverRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 60; i++ {
		x0, y0 := rng.Uint32()>>8, rng.Uint32()>>8
		x1, y1 := x0+rng.Uint32()>>12, y0+rng.Uint32()>>12
		rs := coverRanges(x0, y0, x1, y1, 12+rng.IntN(12), nil)
		in := func(x, y uint32) bool {
			m := interleave(x, y)
			for _, r := range rs {
				if m >= r.lo && (r.hi == 0 || m < r.hi) {
					return true
				}
			}
			return false
		}
		for k := 0; k < 50; k++ {
			x, y := x0+uint32(rng.Uint64N(uint64(x1-x0)+1)), y0+uint32(rng.Uint64N(uint64(y1-y0)+1))
			if !in(x, y) {
				t.Fatalf("box %d,%d-%d,%d: point %d,%d not covered", x0, y0, x1, y1, x, y)
			}
		}
		for k := 1; k < len(rs); k++ {
			if rs[k].lo <= rs[k-1].lo {
				t.Fatal("ranges not ascending")
			}
		}
	}
}
