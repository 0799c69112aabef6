package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func loadFile(t testing.TB, name string, spec data.LayerSpec) []data.Area {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	areas, err := LoadGeoJSON(f, spec)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return areas
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n got: %s\nwant: %s", name, got, want)
	}
}

var (
	day2020 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	day2024 = time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
)

func squaresSpec() data.LayerSpec {
	return data.LayerSpec{Layer: "zone", IDProperty: "code", NameProperty: "name"}
}

// testJurisdiction has a custom layer "zone" (squares) and wards with a
// generation change.
func testIndex(t testing.TB) *Index {
	t.Helper()
	j := &data.Jurisdiction{ID: "test", Name: "Test", TimeZone: "UTC", OutsideMessage: "outside the test city: call 555",
		EmergencyMessage: "call 911",
		Layers:           []data.LayerSpec{squaresSpec(), {Layer: data.LayerWard, IDProperty: "ward", Ignore: []string{"OUT"}}},
		Services: []data.ServiceType{
			{Code: "FIX", Name: "Fixed", Kind: data.KindServiceRequest, Department: "Dept", Unit: "Unit 9", SLADays: 3},
			{Code: "WARD", Name: "By ward", Kind: data.KindServiceRequest, Department: "Streets", UnitLayer: data.LayerWard, UnitFormat: "Ward %s office", SLADays: 5},
			{Code: "BOTH", Name: "By ward or fixed", Kind: data.KindServiceRequest, Department: "Streets", Unit: "Central", UnitLayer: data.LayerWard, SLADays: 5},
			{Code: "ROB", Name: "Robbery", Kind: data.KindServiceRequest, Department: "Police", Emergency: true},
		}}
	wardSpec := j.Layers[1]
	gens := []*data.Generation{
		{ID: "zone@2020-01-01", Layer: "zone", EffectiveFrom: day2020, Active: true, Areas: loadFile(t, "squares.geojson", squaresSpec())},
		{ID: "ward@2020-01-01", Layer: "ward", EffectiveFrom: day2020, Active: true, Areas: loadFile(t, "wards_2020.geojson", wardSpec)},
		{ID: "ward@2024-05-20", Layer: "ward", EffectiveFrom: day2024, Active: true, Areas: loadFile(t, "wards_2024.geojson", wardSpec)},
	}
	ix, err := NewIndex(j, gens)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestLoadGeoJSONSquares(t *testing.T) {
	areas := loadFile(t, "squares.geojson", squaresSpec())
	var ids []string
	for _, a := range areas {
		ids = append(ids, a.ID)
		if a.Layer != "zone" {
			t.Errorf("%s: layer %q", a.ID, a.Layer)
		}
	}
	if want := []string{"NE", "NW", "SE", "SW", "X"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
	if got := len(areas[0].Geometry[0]); got != 2 {
		t.Errorf("NE has %d rings, want outer + hole", got)
	}
	if got := len(areas[4].Geometry); got != 2 {
		t.Errorf("X (two features) has %d polygons, want 2 merged", got)
	}
	if areas[4].Name != "Islands, part 1" || areas[0].Properties["name"] != "North-east, with a hole" {
		t.Errorf("names/properties: %q %v", areas[4].Name, areas[0].Properties)
	}
}

func TestNormalizeID(t *testing.T) {
	for _, c := range []struct {
		in   string
		pad  int
		want string
	}{
		{"8", 2, "08"}, {" 8 ", 2, "08"}, {"111", 4, "0111"}, {"1713", 4, "1713"}, {"31", 2, "31"},
		{"8.0", 2, "08"}, {"8.5", 2, "8.5"}, {"OUT", 2, "OUT"}, {"12345", 4, "12345"}, {"12", 0, "12"}, {"", 4, ""},
	} {
		if got := NormalizeID(c.in, c.pad); got != c.want {
			t.Errorf("NormalizeID(%q, %d) = %q, want %q", c.in, c.pad, got, c.want)
		}
	}
}

func TestLoadGeoJSONIDs(t *testing.T) {
	src := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":7,"properties":{"dist_num":"8","n":12.5,"flag":true,"nested":{"a":1},"nil":null},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
	 {"type":"Feature","properties":{"dist_num":"OUT"},"geometry":{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,5]]]}}]}`
	areas, err := LoadGeoJSON(strings.NewReader(src), data.LayerSpec{Layer: "district", IDProperty: "dist_num", PadID: 2, Ignore: []string{"OUT"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 1 || areas[0].ID != "08" {
		t.Fatalf("got %+v", areas)
	}
	p := areas[0].Properties
	if p["n"] != "12.5" || p["flag"] != "true" || p["nested"] != `{"a":1}` {
		t.Errorf("properties %v", p)
	}
	if _, ok := p["nil"]; ok {
		t.Errorf("null property kept")
	}
	// The feature id member when no id property is named.
	areas, err = LoadGeoJSON(strings.NewReader(src), data.LayerSpec{Layer: "x", PadID: 3})
	if err == nil || !strings.Contains(err.Error(), "features[1]") {
		t.Fatalf("second feature has no id member: want an error naming features[1], got %v (%v)", err, areas)
	}
}

func TestLoadGeoJSONErrors(t *testing.T) {
	poly := func(coords string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
		{"type":"Feature","properties":{"id":"B7"},"geometry":{"type":"Polygon","coordinates":` + coords + `}}]}`
	}
	for _, c := range []struct{ name, src, want string }{
		{"not json", `{`, "not a GeoJSON"},
		{"not a collection", `{"type":"Feature"}`, "FeatureCollection"},
		{"unclosed", poly(`[[[0,0],[1,0],[1,1],[0,1]]]`), `features[1]: id "B7": polygon 0 ring 0 is not closed`},
		{"too short", poly(`[[[0,0],[1,0],[0,0]]]`), "needs at least 4"},
		{"degenerate", poly(`[[[0,0],[1,1],[2,2],[0,0]]]`), "degenerate"},
		{"lon range", poly(`[[[0,0],[181,0],[1,1],[0,0]]]`), "longitude 181 out of range"},
		{"lat range", poly(`[[[0,0],[1,-91],[1,1],[0,0]]]`), "latitude -91 out of range"},
		{"short position", poly(`[[[0,0],[1],[1,1],[0,0]]]`), "position 1 has 1 numbers"},
		{"hole unclosed", poly(`[[[0,0],[4,0],[4,4],[0,0]],[[1,1],[2,1],[2,2]]]`), "polygon 0 ring 1"},
		{"point", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"P"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, `features[0]: id "P": geometry type "Point"`},
		{"no geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"P"},"geometry":null}]}`, "geometry is missing"},
		{"no id", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}`, `features[0]: feature has no id (property "id"`},
		{"string coords", poly(`[[["a",0]]]`), "polygon coordinates"},
		{"crs", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3435"}},"features":[]}`, "crs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadGeoJSON(strings.NewReader(c.src), data.LayerSpec{Layer: "test", IDProperty: "id"})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, data.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// TestTieRule: points on shared edges and vertices go south and east (CPD
// G01-04); points on the outer south/east edge belong to the area they touch.
func TestTieRule(t *testing.T) {
	ix := testIndex(t)
	at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		lon, lat float64
		zone     string // "" = none
	}{
		{"interior", 0.5, 0.5, "SW"},
		{"vertical shared edge -> east", 1, 1.5, "NE"},
		{"vertical shared edge low -> east", 1, 0.5, "SE"},
		{"horizontal shared edge -> south", 0.5, 1, "SW"},
		{"horizontal shared edge east half -> south", 1.5, 1, "SE"},
		{"shared vertex of four -> south-east", 1, 1, "SE"},
		{"shared vertex on north edge -> east", 1, 2, "NE"},
		{"shared vertex on south edge -> east", 1, 0, "SE"},
		{"outer east edge", 2, 0.5, "SE"},
		{"outer south edge", 0.5, 0, "SW"},
		{"outer south-east corner", 2, 0, "SE"},
		{"outer north edge", 0.5, 2, "NW"},
		{"outer west edge", 0, 0.5, "SW"},
		{"within tolerance west of a shared edge -> east", 1 - 0.4*TieTolerance, 0.5, "SE"},
		{"beyond tolerance west of a shared edge", 1 - 2*TieTolerance, 0.5, "SW"},
		{"within tolerance north of a shared edge -> south", 0.5, 1 + 0.4*TieTolerance, "SW"},
		{"in the hole", 1.5, 1.5, ""},
		{"on the hole's west edge -> covered", 1.4, 1.5, "NE"},
		{"on the hole's east edge -> east, out of the hole", 1.6, 1.5, "NE"},
		{"multipolygon first part", 3.5, 0.5, "X"},
		{"multipolygon second part", 5.5, 0.5, "X"},
		{"between the parts", 4.5, 0.5, ""},
		{"outside", -1, -1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			refs, err := ix.Locate(c.lon, c.lat, at)
			got := ""
			for _, r := range refs {
				if r.Layer == "zone" {
					got = r.ID
				}
			}
			if got != c.zone {
				t.Errorf("(%v, %v): zone %q, want %q (refs %v, err %v)", c.lon, c.lat, got, c.zone, refs, err)
			}
			if len(refs) == 0 && !errors.Is(err, data.ErrOutsideJurisdiction) {
				t.Errorf("no area but error %v", err)
			}
		})
	}
}

func TestSmallestIDWinsOnOverlap(t *testing.T) {
	areas := loadFile(t, "defects.geojson", data.LayerSpec{Layer: "d", IDProperty: "id"})
	j := &data.Jurisdiction{ID: "t", OutsideMessage: "out"}
	ix, err := NewIndex(j, []*data.Generation{{ID: "d@1", Layer: "d", EffectiveFrom: day2020, Active: true, Areas: areas}})
	if err != nil {
		t.Fatal(err)
	}
	refs, err := ix.Locate(1.5, 1.5, day2024)
	if err != nil || len(refs) != 1 || refs[0].ID != "A" {
		t.Fatalf("overlap of A and B: got %v %v, want A", refs, err)
	}
	if refs, _ := ix.Locate(2.5, 2.5, day2024); len(refs) != 1 || refs[0].ID != "B" {
		t.Fatalf("B only: %v", refs)
	}
}

func TestGenerations(t *testing.T) {
	ix := testIndex(t)
	ward := func(at time.Time, lon, lat float64) string {
		refs, _ := ix.Locate(lon, lat, at)
		for _, r := range refs {
			if r.Layer == data.LayerWard {
				return r.ID + " " + r.Generation
			}
		}
		return ""
	}
	for _, c := range []struct {
		at   time.Time
		lon  float64
		want string
	}{
		{day2020.Add(-time.Nanosecond), 1.25, ""},
		{day2020, 1.25, "2 ward@2020-01-01"},
		{day2024.Add(-time.Nanosecond), 1.25, "2 ward@2020-01-01"},
		{day2024, 1.25, "1 ward@2024-05-20"},
		{day2024.AddDate(5, 0, 0), 1.25, "1 ward@2024-05-20"},
		{day2020, 2.5, ""}, // "OUT" is ignored: no ward there
	} {
		if got := ward(c.at, c.lon, 1); got != c.want {
			t.Errorf("ward at %v, lon %v: %q, want %q", c.at, c.lon, got, c.want)
		}
	}
	a, gen, ok := ix.Area(data.LayerWard, "1", day2024)
	if !ok || gen != "ward@2024-05-20" || a.Geometry.Bound().Max[0] != 1.5 {
		t.Errorf("Area(ward 1, 2024) = %v %q %v", a, gen, ok)
	}
	if _, _, ok := ix.Area(data.LayerWard, "1", day2020.AddDate(0, 0, -1)); ok {
		t.Error("Area before any generation found something")
	}
	if got := len(ix.Generations()); got != 3 {
		t.Errorf("Generations: %d", got)
	}
}

func TestLocateErrors(t *testing.T) {
	ix := testIndex(t)
	for _, c := range []struct {
		lon, lat float64
		field    string
	}{
		{math.NaN(), 0, "lon"}, {0, math.NaN(), "lat"}, {math.Inf(1), 0, "lon"}, {0, math.Inf(-1), "lat"},
		{181, 0, "lon"}, {-180.5, 0, "lon"}, {0, 90.1, "lat"}, {0, -91, "lat"},
	} {
		_, err := ix.Locate(c.lon, c.lat, day2024)
		if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != c.field {
			t.Errorf("Locate(%v, %v): %v, want invalid %s", c.lon, c.lat, err, c.field)
		}
	}
	_, err := ix.Locate(10, 10, day2024)
	if !errors.Is(err, data.ErrOutsideJurisdiction) || !strings.Contains(err.Error(), "call 555") {
		t.Errorf("outside: %v", err)
	}
}

func TestLocateIntoZeroAlloc(t *testing.T) {
	ix := testIndex(t)
	dst := make([]data.AreaRef, 0, 4)
	allocs := testing.AllocsPerRun(1000, func() {
		dst, _ = ix.LocateInto(1, 1, day2024, dst[:0])
		dst, _ = ix.LocateInto(9, 9, day2024, dst[:0]) // outside: a prebuilt error
	})
	if allocs != 0 {
		t.Errorf("LocateInto allocates %v times per run", allocs)
	}
}

func TestNewIndexErrors(t *testing.T) {
	j, _ := LookupJurisdiction("chicago")
	sq := loadFile(t, "squares.geojson", squaresSpec())
	for _, c := range []struct {
		name string
		gens []*data.Generation
		want string
	}{
		{"inactive", []*data.Generation{{ID: "zone@1", Layer: "zone", EffectiveFrom: day2020, Areas: sq}}, "not active"},
		{"twice", []*data.Generation{{ID: "zone@1", Layer: "zone", Active: true, Areas: sq}, {ID: "zone@1", Layer: "zone", Active: true, Areas: sq}}, "twice"},
		{"same start", []*data.Generation{{ID: "zone@1", Layer: "zone", Active: true, Areas: sq}, {ID: "zone@2", Layer: "zone", Active: true, Areas: sq}}, "same time"},
		{"derived", []*data.Generation{{ID: "sector@1", Layer: "sector", Active: true, Areas: sq}}, "derived"},
		{"duplicate ids", []*data.Generation{{ID: "zone@1", Layer: "zone", Active: true, Areas: append(sq[:1:1], sq[0])}}, "duplicate"},
		{"bad ring", []*data.Generation{{ID: "zone@1", Layer: "zone", Active: true, Areas: []data.Area{{ID: "Z", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}}}}}}}}, "needs at least 4"},
		{"nan", []*data.Generation{{ID: "zone@1", Layer: "zone", Active: true, Areas: []data.Area{{ID: "Z", Geometry: orb.MultiPolygon{{{{0, 0}, {math.NaN(), 0}, {1, 1}, {0, 0}}}}}}}}, "finite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewIndex(j, c.gens)
			if !errors.Is(err, data.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want invalid containing %q", err, c.want)
			}
		})
	}
}

func TestValidateGolden(t *testing.T) {
	for _, c := range []struct {
		file string
		spec data.LayerSpec
		ok   bool
	}{
		{"defects.geojson", data.LayerSpec{Layer: "d", IDProperty: "id"}, false},
		{"squares.geojson", squaresSpec(), false}, // the hole in NE is enclosed: a gap
		{"wards_2024.geojson", data.LayerSpec{Layer: "ward", IDProperty: "ward"}, true},
	} {
		t.Run(c.file, func(t *testing.T) {
			r, err := Validate(loadFile(t, c.file, c.spec))
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() != c.ok {
				t.Errorf("OK() = %v", r.OK())
			}
			b, _ := json.MarshalIndent(r, "", "  ")
			golden(t, "validate_"+strings.TrimSuffix(c.file, ".geojson")+".golden.json", append(b, '\n'))
		})
	}
}

func TestValidateDefects(t *testing.T) {
	r, err := Validate(loadFile(t, "defects.geojson", data.LayerSpec{Layer: "d", IDProperty: "id"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Overlaps) != 1 || !reflect.DeepEqual(r.Overlaps[0].Areas, []string{"A", "B"}) {
		t.Fatalf("overlaps %+v", r.Overlaps)
	}
	// A and B overlap on 1 square degree; at this latitude about 1.2e10 m2.
	if a := r.Overlaps[0].ApproxAreaM2; math.Abs(a-1.236e10)/1.236e10 > 0.05 {
		t.Errorf("overlap area %v", a)
	}
	if len(r.Gaps) != 2 {
		t.Fatalf("gaps %+v", r.Gaps)
	}
	for _, g := range r.Gaps {
		if len(g.Areas) < 3 {
			t.Errorf("gap bordered by %v", g.Areas)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	sq := loadFile(t, "squares.geojson", squaresSpec())
	mixed := []data.Area{sq[0], {Layer: "other", ID: "Q", Geometry: sq[1].Geometry}}
	for _, c := range []struct {
		name  string
		areas []data.Area
		want  string
	}{
		{"empty", nil, "no areas"},
		{"duplicate", []data.Area{sq[0], sq[0]}, `duplicate area id "NE"`},
		{"layers", mixed, "validate one layer"},
		{"no id", []data.Area{{Layer: "zone", Geometry: sq[0].Geometry}}, "no id"},
		{"unclosed", []data.Area{{Layer: "zone", ID: "U", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}}, "not closed"},
		{"degenerate", []data.Area{{Layer: "zone", ID: "U", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}}}}, "degenerate"},
		{"range", []data.Area{{Layer: "zone", ID: "U", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 95}, {2, 2}, {0, 0}}}}}}, "latitude"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Validate(c.areas)
			if !errors.Is(err, data.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want invalid containing %q", err, c.want)
			}
		})
	}
}

func square(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func TestDissolve(t *testing.T) {
	// Two squares sharing an edge: one square ring with 4 corners (the
	// shared edge's end points stay as collinear vertices).
	mp, ok := Dissolve([]orb.Polygon{square(0, 0, 1, 1), square(1, 0, 2, 1)})
	if !ok || len(mp) != 1 || len(mp[0]) != 1 || multiPolygonArea(mp) != 2 {
		t.Fatalf("two squares: %v %v", mp, ok)
	}
	if Covers(mp, 1, 0.5) != true || Covers(mp, 2.5, 0.5) {
		t.Error("dissolved cover")
	}
	// A T-junction: the left square's edge is split by the right squares' vertex.
	mp, ok = Dissolve([]orb.Polygon{square(0, 0, 1, 2), square(1, 0, 2, 1), square(1, 1, 2, 2)})
	if !ok || len(mp) != 1 || len(mp[0]) != 1 || multiPolygonArea(mp) != 4 {
		t.Fatalf("T-junction: %v %v", mp, ok)
	}
	// A ring of 8 squares around a missing centre: one polygon with a hole.
	var ring []orb.Polygon
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if i != 1 || j != 1 {
				ring = append(ring, square(float64(i), float64(j), float64(i+1), float64(j+1)))
			}
		}
	}
	mp, ok = Dissolve(ring)
	if !ok || len(mp) != 1 || len(mp[0]) != 2 || multiPolygonArea(mp) != 8 || Covers(mp, 1.5, 1.5) {
		t.Fatalf("ring with hole: %v %v", mp, ok)
	}
	// Squares touching at one corner stay two polygons.
	mp, ok = Dissolve([]orb.Polygon{square(0, 0, 1, 1), square(1, 1, 2, 2)})
	if !ok || len(mp) != 2 || multiPolygonArea(mp) != 2 {
		t.Fatalf("corner: %v %v", mp, ok)
	}
	// Overlapping members share no edge: they come back as they are.
	mp, _ = Dissolve([]orb.Polygon{square(0, 0, 2, 2), square(1, 1, 3, 3)})
	if len(mp) != 2 || multiPolygonArea(mp) != 8 {
		t.Fatalf("overlap: %v", mp)
	}
	// An invalid member (a hole outside its outer ring) leaves a hole no
	// outer ring covers: the members come back unchanged.
	bad := orb.Polygon{square(1, 0, 2, 1)[0], square(5, 5, 6, 6)[0]}
	mp, ok = Dissolve([]orb.Polygon{square(0, 0, 1, 1), bad})
	if ok || len(mp) != 2 || len(mp[1]) != 2 {
		t.Fatalf("fallback: %v %v", mp, ok)
	}
}

func TestDeriveSectors(t *testing.T) {
	beats := []data.Area{
		{Layer: data.LayerBeat, ID: "0111", Geometry: orb.MultiPolygon{square(0, 0, 1, 1)}},
		{Layer: data.LayerBeat, ID: "0112", Geometry: orb.MultiPolygon{square(1, 0, 2, 1)}},
		{Layer: data.LayerBeat, ID: "0121", Geometry: orb.MultiPolygon{square(0, 1, 2, 2)}},
		{Layer: data.LayerBeat, ID: "12", Geometry: orb.MultiPolygon{square(5, 5, 6, 6)}}, // too short: skipped
	}
	s := DeriveSectors(beats)
	if len(s) != 2 || s[0].ID != "011" || s[1].ID != "012" {
		t.Fatalf("sectors %+v", s)
	}
	if s[0].Layer != data.LayerSector || s[0].Properties["beats"] != "0111,0112" || s[0].Properties["dissolve"] != "edges" || s[0].Properties["district"] != "01" {
		t.Errorf("sector 011: %+v", s[0])
	}
	if len(s[0].Geometry) != 1 || multiPolygonArea(s[0].Geometry) != 2 {
		t.Errorf("sector 011 geometry %v", s[0].Geometry)
	}
}

func TestCatalogues(t *testing.T) {
	if got := Jurisdictions(); !reflect.DeepEqual(got, []string{"chicago", "demo", "minneapolis"}) {
		t.Errorf("Jurisdictions() = %v", got)
	}
	for _, id := range Jurisdictions() {
		j, err := LookupJurisdiction(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if j.ID != id || j.OutsideMessage == "" || !strings.Contains(j.EmergencyMessage, "911") {
			t.Errorf("%s: %+v", id, j)
		}
	}
	for _, id := range []string{"springfield", "", "../chicago", "chicago.json"} {
		if _, err := LookupJurisdiction(id); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("LookupJurisdiction(%q): %v", id, err)
		}
	}
	chi, _ := LookupJurisdiction("chicago")
	if !strings.Contains(chi.OutsideMessage, "312.744.5000") {
		t.Errorf("chicago outside message %q", chi.OutsideMessage)
	}
	spec, _ := chi.LayerSpec(data.LayerDistrict)
	if spec.IDProperty != "dist_num" || spec.PadID != 2 {
		t.Errorf("district spec %+v", spec)
	}
	spec, _ = chi.LayerSpec(data.LayerWard)
	if !reflect.DeepEqual(spec.Ignore, []string{"OUT"}) {
		t.Errorf("ward spec %+v", spec)
	}
	ph, _ := chi.Service("PHF")
	if !ph.Dedupe.SameStreet || ph.Dedupe.RadiusM != 40 || ph.Department != "Chicago Department of Transportation" {
		t.Errorf("PHF %+v", ph)
	}
	sl, _ := chi.Service("SLA")
	if sl.Dedupe.WindowDays != 30 {
		t.Errorf("SLA %+v", sl.Dedupe)
	}
	for _, s := range chi.Services {
		switch {
		case s.Code == "CC-BLDG" || s.Code == "CC-VACANT":
			if s.Unit != "241" || s.Kind != data.KindCommunityConcern {
				t.Errorf("%s: %+v", s.Code, s)
			}
		case s.Police && !s.Emergency:
			if s.UnitLayer != data.LayerDistrict || !strings.Contains(s.UnitFormat, "Community Policing Office") {
				t.Errorf("%s: police types go to the district's community policing office: %+v", s.Code, s)
			}
		}
	}
	mpls, _ := LookupJurisdiction("minneapolis")
	emergency, report := 0, 0
	for _, s := range mpls.Services {
		if !s.Police {
			continue
		}
		if s.Emergency {
			emergency++
		} else {
			report++
			if s.UnitLayer != data.LayerPrecinct {
				t.Errorf("%s unit layer %q", s.Code, s.UnitLayer)
			}
		}
	}
	if emergency != 5 || report != 7 {
		t.Errorf("minneapolis: %d emergency, %d report-only police types", emergency, report)
	}
	demo, _ := LookupJurisdiction("demo")
	if !reflect.DeepEqual(demo.Services, chi.Services) {
		t.Error("demo does not reuse chicago's services")
	}
	// Copies are independent.
	chi.Services[0].Name = "changed"
	again, _ := LookupJurisdiction("chicago")
	if again.Services[0].Name == "changed" {
		t.Error("LookupJurisdiction returns shared state")
	}
}

func TestParseJurisdictionErrors(t *testing.T) {
	base := func(mod string) string {
		return `{"id":"x","time_zone":"UTC","outside_message":"o","emergency_message":"e","layers":[{"layer":"ward"}],"services":[` + mod + `]}`
	}
	for _, c := range []struct{ src, want string }{
		{`{"id":"x","bogus":1}`, "unknown field"},
		{`{"id":"x","time_zone":"Mars/Base","outside_message":"o","emergency_message":"e"}`, "time_zone"},
		{base(`{"code":"A","name":"a","kind":"x","department":"d","unit":"u"}`), "kind"},
		{base(`{"code":"A","name":"a","kind":"service_request","department":"d"}`), "neither unit"},
		{base(`{"code":"A","name":"a","kind":"service_request","department":"d","unit_layer":"beat"}`), "unit_layer"},
		{base(`{"code":"A","name":"a","kind":"service_request","department":"d","unit":"u"},{"code":"A","name":"b","kind":"service_request","department":"d","unit":"u"}`), "twice"},
		{base(`{"code":"A","name":"a","kind":"service_request","department":"d","unit":"u","attributes":[{"code":"c","datatype":"singlevaluelist"}]}`), "needs values"},
	} {
		if _, err := ParseJurisdiction([]byte(c.src)); !errors.Is(err, data.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.src, err, c.want)
		}
	}
}

func TestRoute(t *testing.T) {
	r := NewRouter(testIndex(t))
	if r.Jurisdiction().ID != "test" || r.Index() == nil {
		t.Fatal("accessors")
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rt, err := r.Route(1.25, 0.5, at, "WARD")
	if err != nil || rt.Department != "Streets" || rt.Unit != "Ward 1 office" || rt.SLADays != 5 || rt.ServiceCode != "WARD" {
		t.Fatalf("WARD: %+v %v", rt, err)
	}
	if a, ok := rt.Area("zone"); !ok || a.ID != "SE" {
		t.Errorf("zone %v", rt.Areas)
	}
	rt, _ = r.Route(1.25, 0.5, at.AddDate(-3, 0, 0), "WARD")
	if rt.Unit != "Ward 2 office" {
		t.Errorf("2022 ward unit %q", rt.Unit)
	}
	if rt, _ := r.Route(0.5, 0.5, at, "FIX"); rt.Unit != "Unit 9" || rt.Department != "Dept" {
		t.Errorf("FIX %+v", rt)
	}
	// Unit layer without an area there: the fixed unit.
	if rt, err := r.Route(3.5, 0.5, at, "BOTH"); err != nil || rt.Unit != "Central" {
		t.Errorf("BOTH outside wards: %+v %v", rt, err)
	}
	if rt, err := r.Route(0.5, 0.5, at, ""); err != nil || rt.Department != "" || len(rt.Areas) != 2 {
		t.Errorf("no service: %+v %v", rt, err)
	}
	for _, c := range []struct {
		lon, lat float64
		code     string
		kind     error
		field    string
		msg      string
	}{
		{0.5, math.NaN(), "FIX", data.ErrInvalid, "lat", "finite"},
		{math.Inf(1), 0.5, "FIX", data.ErrInvalid, "lon", "finite"},
		{0.5, 91, "FIX", data.ErrInvalid, "lat", "between -90 and 90"},
		{-200, 0.5, "FIX", data.ErrInvalid, "lon", "between -180 and 180"},
		{0.5, 0.5, "NOPE", data.ErrInvalid, "service_code", "NOPE"},
		{0.5, 0.5, "ROB", data.ErrEmergency, "", "call 911"},
		{50, 50, "ROB", data.ErrEmergency, "", "call 911"},
		{50, 50, "FIX", data.ErrOutsideJurisdiction, "", "call 555"},
	} {
		_, err := r.Route(c.lon, c.lat, at, c.code)
		if !errors.Is(err, c.kind) || data.ErrorField(err) != c.field || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Route(%v, %v, %s): %v; want %v field %q containing %q", c.lon, c.lat, c.code, err, c.kind, c.field, c.msg)
		}
	}
}

func TestFormatUnit(t *testing.T) {
	for _, c := range []struct{ f, id, want string }{
		{"", "08", "08"}, {"District %s", "08", "District 08"}, {"Precinct", "3", "Precinct 3"}, {"%s%%", "1", "1%%"},
	} {
		if got := FormatUnit(c.f, c.id); got != c.want {
			t.Errorf("FormatUnit(%q, %q) = %q", c.f, c.id, got)
		}
	}
}

// bruteLocate answers the routing rule with the exact covering test over
// every area, independently of the grid.
func bruteLocate(areas []data.Area, lon, lat float64) string {
	return newBrute(areas)(lon, lat)
}

// newBrute prepares bruteLocate over areas (bounds and flattened edges per
// polygon) for many points.
func newBrute(areas []data.Area) func(lon, lat float64) string {
	type poly struct {
		id string
		b  orb.Bound
		es []float64
	}
	var polys []poly
	for _, a := range areas {
		for _, p := range a.Geometry {
			var es []float64
			for _, r := range p {
				es = flatRing(es, r)
			}
			polys = append(polys, poly{a.ID, p.Bound(), es})
		}
	}
	return func(lon, lat float64) string {
		for _, p := range [][2]float64{{lon + TieTolerance, lat - TieTolerance}, {lon, lat}} {
			best := ""
			for _, q := range polys {
				if p[0] < q.b.Min[0] || p[0] > q.b.Max[0] || p[1] < q.b.Min[1] || p[1] > q.b.Max[1] {
					continue
				}
				if (best == "" || q.id < best) && coverEdges(q.es, false, p[0], p[1]) {
					best = q.id
				}
			}
			if best != "" {
				return best
			}
		}
		return ""
	}
}

func TestOrientExact(t *testing.T) {
	// Nearly collinear points where the naive determinant's sign is wrong or zero.
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		ax, ay := rng.Float64()*100-50, rng.Float64()*100-50
		bx, by := ax+rng.Float64()*1e-3, ay+rng.Float64()*1e-3
		tt := rng.Float64()
		px, py := ax+tt*(bx-ax), ay+tt*(by-ay)
		got := orient(ax, ay, bx, by, px, py)
		want := orientExact(ax, ay, bx, by, px, py)
		if (got > 0) != (want > 0) || (got == 0) != (want == 0) {
			t.Fatalf("orient and orientExact disagree at %v", []float64{ax, ay, bx, by, px, py})
		}
	}
	if orient(0, 0, 1, 1, 0.5, 0.5) != 0 || orient(0, 0, 1, 0, 0.5, 1) <= 0 || orient(0, 0, 1, 0, 0.5, -1) >= 0 {
		t.Error("orient basics")
	}
	// 0.1+0.2 is not 0.3 in binary: the exact sign is not zero.
	if o := orientExact(0, 0, 0.3, 0.3, 0.1, 0.2); o == 0 {
		t.Error("orientExact rounded a non-collinear point to collinear")
	}
}

func TestInteriorPoint(t *testing.T) {
	// A U shape whose centroid lies outside it.
	u := orb.MultiPolygon{{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}}
	p, ok := InteriorPoint(u)
	if !ok || !Covers(u, p[0], p[1]) || edgeDistance(flatEdges(u), p[0], p[1]) < 0.1 {
		t.Fatalf("U: %v %v", p, ok)
	}
	sq := loadFile(t, "squares.geojson", squaresSpec())
	p, ok = InteriorPoint(sq[0].Geometry) // NE with a hole in its middle
	if !ok || !Covers(sq[0].Geometry, p[0], p[1]) || (p[0] > 1.4 && p[0] < 1.6 && p[1] > 1.4 && p[1] < 1.6) {
		t.Fatalf("NE: %v %v", p, ok)
	}
	if _, ok := InteriorPoint(nil); ok {
		t.Error("empty")
	}
}
