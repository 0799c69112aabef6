package tiles

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/maptile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenTiles renders the golden cases from the fixtures.
func goldenTiles(t *testing.T) map[string][]byte {
	t.Helper()
	ix := NewRequestIndex(testJurisdiction(), fixtureRequests(400))
	b := NewBoundaries(fixtureAreas())
	ch, err := NewChronic(fixtureChronic())
	if err != nil {
		t.Fatal(err)
	}
	hex13, err := HexbinsLayer(context.Background(), loopTile(13), ix, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]*mvt.Layer{
		"requests_z14_points":   ix.RequestsLayer(loopTile(14), Filter{}, fixedAt, RequestsOptions{}),
		"requests_z12_hexagons": ix.RequestsLayer(loopTile(12), Filter{}, fixedAt, RequestsOptions{}),
		"requests_z15_open_phf": ix.RequestsLayer(loopTile(15), Filter{Types: []string{"PHF"}, Status: "open"}, fixedAt, RequestsOptions{}),
		"hexbins_z13":           hex13,
		"boundaries_z12":        b.Layer(loopTile(12)),
		"boundaries_z15_hole":   b.Layer(maptile.At(orb.Point{-87.615, 41.8675}, 15)),
		"chronic_z14":           ch.Layer(loopTile(14)),
	}
	out := map[string][]byte{}
	for name, l := range layers {
		data, ok, err := Marshal(l)
		if err != nil || !ok {
			t.Fatalf("%s: Marshal: ok=%v err=%v", name, ok, err)
		}
		out[name] = data
	}
	return out
}

func TestGolden(t *testing.T) {
	for name, got := range goldenTiles(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".mvt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./tiles -run TestGolden -update)", err)
			}
			checkRaw(t, want)
			checkRaw(t, got)
			compareTiles(t, want, got, 1)
		})
	}
}

// compareTiles decodes two tiles and compares them layer by layer and
// feature by feature: names, version, extent, ids, properties and
// geometry (coordinates within tol tile units).
func compareTiles(t *testing.T, want, got []byte, tol float64) {
	t.Helper()
	wl, err := mvt.Unmarshal(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	gl, err := mvt.Unmarshal(got)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	if len(wl) != len(gl) {
		t.Fatalf("%d layers, want %d", len(gl), len(wl))
	}
	for i := range wl {
		w, g := wl[i], gl[i]
		if g.Name != w.Name || g.Version != 2 || w.Version != 2 || g.Extent != Extent || w.Extent != Extent {
			t.Errorf("layer %q v%d extent %d, want %q v2 extent %d", g.Name, g.Version, g.Extent, w.Name, Extent)
		}
		if len(g.Features) != len(w.Features) {
			t.Errorf("layer %s: %d features, want %d", w.Name, len(g.Features), len(w.Features))
			continue
		}
		for k := range w.Features {
			wf, gf := w.Features[k], g.Features[k]
			if !reflect.DeepEqual(wf.ID, gf.ID) {
				t.Errorf("layer %s feature %d: id %v, want %v", w.Name, k, gf.ID, wf.ID)
			}
			if !reflect.DeepEqual(map[string]any(wf.Properties), map[string]any(gf.Properties)) {
				t.Errorf("layer %s feature %d: properties %v, want %v", w.Name, k, gf.Properties, wf.Properties)
			}
			if d := geomDiff(wf.Geometry, gf.Geometry, tol); d != "" {
				t.Errorf("layer %s feature %d (id %v): %s", w.Name, k, wf.ID, d)
			}
		}
	}
}

// geomDiff describes how two decoded geometries differ beyond tol.
func geomDiff(a, b orb.Geometry, tol float64) string {
	if a.GeoJSONType() != b.GeoJSONType() {
		return fmt.Sprintf("geometry %s, want %s", b.GeoJSONType(), a.GeoJSONType())
	}
	pa, pb := flatten(a), flatten(b)
	if len(pa) != len(pb) {
		return fmt.Sprintf("%d ring/line parts, want %d", len(pb), len(pa))
	}
	for i := range pa {
		if len(pa[i]) != len(pb[i]) {
			return fmt.Sprintf("part %d: %d points, want %d", i, len(pb[i]), len(pa[i]))
		}
		for k := range pa[i] {
			if math.Abs(pa[i][k][0]-pb[i][k][0]) > tol || math.Abs(pa[i][k][1]-pb[i][k][1]) > tol {
				return fmt.Sprintf("part %d point %d: %v, want %v", i, k, pb[i][k], pa[i][k])
			}
		}
	}
	return ""
}

func flatten(g orb.Geometry) [][]orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return [][]orb.Point{{g}}
	case orb.MultiPoint:
		return [][]orb.Point{g}
	case orb.Polygon:
		var out [][]orb.Point
		for _, r := range g {
			out = append(out, r)
		}
		return out
	case orb.MultiPolygon:
		var out [][]orb.Point
		for _, p := range g {
			out = append(out, flatten(p)...)
		}
		return out
	}
	panic(fmt.Sprintf("unexpected geometry %T", g))
}

// checkRaw decodes the protobuf directly (not through orb's decoder, which
// would hide winding mistakes) and checks every layer's version and extent
// and the winding of every polygon: the first ring of a feature has
// positive area in tile coordinates (clockwise, y down), later rings are
// either holes (negative) or new exteriors (positive), and no ring is
// degenerate.
func checkRaw(t *testing.T, b []byte) {
	t.Helper()
	var vt vectortile.Tile
	if err := vt.Unmarshal(b); err != nil {
		t.Fatalf("protobuf: %v", err)
	}
	for _, l := range vt.Layers {
		if l.GetVersion() != 2 || l.GetExtent() != Extent {
			t.Errorf("layer %s: version %d extent %d", l.GetName(), l.GetVersion(), l.GetExtent())
		}
		for fi, f := range l.Features {
			if f.GetType() != vectortile.Tile_POLYGON {
				continue
			}
			rings := rawRings(t, f.Geometry)
			if len(rings) == 0 {
				t.Errorf("layer %s feature %d: polygon without rings", l.GetName(), fi)
			}
			for ri, r := range rings {
				a := ringArea2(r)
				if a == 0 {
					t.Errorf("layer %s feature %d ring %d: zero area", l.GetName(), fi, ri)
				}
				if ri == 0 && a < 0 {
					t.Errorf("layer %s feature %d: exterior ring is anticlockwise (area %v)", l.GetName(), fi, a/2)
				}
			}
		}
	}
}

// rawRings decodes MVT polygon commands into rings (implicitly closed).
func rawRings(t *testing.T, g []uint32) []orb.Ring {
	t.Helper()
	var rings []orb.Ring
	var cur orb.Ring
	var x, y int32
	for i := 0; i < len(g); {
		cmd, n := g[i]&7, int(g[i]>>3)
		i++
		switch cmd {
		case 1, 2:
			for k := 0; k < n; k++ {
				if i+1 >= len(g) {
					t.Fatalf("truncated geometry")
				}
				x += int32(g[i]>>1) ^ -int32(g[i]&1)
				y += int32(g[i+1]>>1) ^ -int32(g[i+1]&1)
				i += 2
				if cmd == 1 {
					cur = orb.Ring{}
				}
				cur = append(cur, orb.Point{float64(x), float64(y)})
			}
		case 7:
			rings = append(rings, cur)
		default:
			t.Fatalf("bad command %d", cmd)
		}
	}
	return rings
}

func TestGoldenStable(t *testing.T) {
	// Rendering twice gives identical bytes: feature order and property
	// encoding are deterministic, so ETags keyed on inputs are honest.
	a, b := goldenTiles(t), goldenTiles(t)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two renderings differ", name)
		}
	}
}
