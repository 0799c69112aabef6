package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// Dates of Chicago's boundary generations.
var (
	chicagoTZ, _  = time.LoadLocation("America/Chicago")
	beatsFrom     = time.Date(2012, 12, 19, 0, 0, 0, 0, chicagoTZ)
	wards2003From = time.Date(2003, 5, 1, 0, 0, 0, 0, chicagoTZ) // approximate: the 2003 map took effect with the May 2003 council
	wards2015From = time.Date(2015, 5, 18, 0, 0, 0, 0, chicagoTZ)
	wards2023From = time.Date(2023, 5, 15, 0, 0, 0, 0, chicagoTZ)
	communityFrom = time.Date(1980, 1, 1, 0, 0, 0, 0, chicagoTZ)
	districtsFrom = beatsFrom
	chicagoOnce   sync.Once
	chicagoIx     *Index
	chicagoErr    error
)

// chicagoGenerations loads every real Chicago layer as an active generation.
func chicagoGenerations(tb testing.TB, j *data.Jurisdiction) []*data.Generation {
	tb.Helper()
	spec := func(l data.Layer) data.LayerSpec {
		s, ok := j.LayerSpec(l)
		if !ok {
			tb.Fatalf("chicago has no layer %s", l)
		}
		return *s
	}
	gen := func(l data.Layer, from time.Time, file string) *data.Generation {
		areas := loadShared(tb, "chicago/"+file, spec(l))
		return &data.Generation{ID: data.GenerationID(l, from), Layer: l, EffectiveFrom: from, Active: true,
			Source: file, AreaCount: len(areas), Areas: areas}
	}
	return []*data.Generation{
		gen(data.LayerBeat, beatsFrom, "police_beats.geojson"),
		gen(data.LayerDistrict, districtsFrom, "police_districts.geojson"),
		gen(data.LayerWard, wards2003From, "wards_2003_2015.geojson"),
		gen(data.LayerWard, wards2015From, "wards_2015_2023.geojson"),
		gen(data.LayerWard, wards2023From, "wards_2023.geojson"),
		gen(data.LayerCommunityArea, communityFrom, "community_areas.geojson"),
	}
}

// chicagoIndex builds (once per test binary) the index of the real Chicago layers.
func chicagoIndex(tb testing.TB) *Index {
	tb.Helper()
	sharedDir(tb) // skip or fail before the Once when data is missing
	chicagoOnce.Do(func() {
		j, err := LookupJurisdiction("chicago")
		if err != nil {
			chicagoErr = err
			return
		}
		chicagoIx, chicagoErr = NewIndex(j, chicagoGenerations(tb, j))
	})
	if chicagoErr != nil {
		tb.Fatal(chicagoErr)
	}
	return chicagoIx
}

// chicagoPoints returns n random points inside Chicago: covered by all five
// layers (beat 3100 / district 31 also covers land outside the city's wards).
func chicagoPoints(tb testing.TB, ix *Index, n int, seed uint64) [][2]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	var pts [][2]float64
	buf := make([]data.AreaRef, 0, 8)
	for len(pts) < n {
		lon := -87.9401 + rng.Float64()*(0.4160)
		lat := 41.6445 + rng.Float64()*(0.3785)
		refs, err := ix.LocateInto(lon, lat, at, buf[:0])
		if err != nil {
			continue
		}
		if len(refs) == 5 {
			pts = append(pts, [2]float64{lon, lat})
		}
	}
	return pts
}

// BenchmarkLocateChicago routes random points inside Chicago to beat, sector,
// district, ward (three generations loaded) and community area together, on
// one goroutine. One op = one point, all layers.
func BenchmarkLocateChicago(b *testing.B) {
	ix := chicagoIndex(b)
	pts := chicagoPoints(b, ix, 1<<16, 7)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	dst := make([]data.AreaRef, 0, 8)
	b.ReportAllocs()
	cpu := datatest.StartCPU()
	b.ResetTimer()
	var err error
	for i := 0; i < b.N; i++ {
		p := pts[i&(len(pts)-1)]
		dst, err = ix.LocateInto(p[0], p[1], at, dst[:0])
		if err != nil || len(dst) != 5 {
			b.Fatalf("%v: %v %v", p, dst, err)
		}
	}
	b.StopTimer()
	cpu.Report(b)
}

// BenchmarkLocateChicagoParallel is BenchmarkLocateChicago on GOMAXPROCS goroutines.
func BenchmarkLocateChicagoParallel(b *testing.B) {
	ix := chicagoIndex(b)
	pts := chicagoPoints(b, ix, 1<<16, 8)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	b.ReportAllocs()
	cpu := datatest.StartCPU()
	b.ResetTimer()
	defer cpu.Report(b)
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]data.AreaRef, 0, 8)
		i := 0
		for pb.Next() {
			p := pts[i&(len(pts)-1)]
			i++
			var err error
			dst, err = ix.LocateInto(p[0], p[1], at, dst[:0])
			if err != nil || len(dst) != 5 {
				b.Errorf("%v: %v %v", p, dst, err)
				return
			}
		}
	})
}

func TestChicagoLoad(t *testing.T) {
	j, _ := LookupJurisdiction("chicago")
	spec := func(l data.Layer) data.LayerSpec { s, _ := j.LayerSpec(l); return *s }
	beats := loadShared(t, "chicago/police_beats.geojson", spec(data.LayerBeat))
	if len(beats) != 275 {
		t.Errorf("%d beats, want 275", len(beats))
	}
	for _, b := range beats {
		if len(b.ID) != 4 {
			t.Errorf("beat id %q", b.ID)
		}
		if b.ID == "3100" && len(b.Geometry) < 3 {
			t.Errorf("beat 3100 (three features) has %d polygons", len(b.Geometry))
		}
	}
	dists := loadShared(t, "chicago/police_districts.geojson", spec(data.LayerDistrict))
	var ids []string
	for _, d := range dists {
		ids = append(ids, d.ID)
	}
	if len(dists) != 23 || ids[0] != "01" || ids[7] != "08" || ids[22] != "31" {
		t.Errorf("districts %v", ids)
	}
	if w := loadShared(t, "chicago/wards_2003_2015.geojson", spec(data.LayerWard)); len(w) != 50 {
		t.Errorf("2003 wards: %d, want 50 (OUT ignored)", len(w))
	}
	sectors := DeriveSectors(beats)
	if len(sectors) != 68 {
		t.Errorf("%d sectors, want 68", len(sectors))
	}
	byID := map[string]float64{}
	for _, b := range beats {
		byID[b.ID[:3]] += multiPolygonArea(b.Geometry)
	}
	dissolved := 0
	for _, s := range sectors {
		if s.Properties["dissolve"] == "edges" {
			dissolved++
		}
		if a, want := multiPolygonArea(s.Geometry), byID[s.ID]; math.Abs(a-want) > 1e-6*want {
			t.Errorf("sector %s area %v, beats %v", s.ID, a, want)
		}
	}
	t.Logf("%d of %d sectors dissolved by edge cancellation", dissolved, len(sectors))
	if dissolved < len(sectors)*9/10 {
		t.Errorf("only %d of %d sectors dissolved", dissolved, len(sectors))
	}
}

// TestChicagoBeats: every beat's interior point routes to that beat, and the
// sector and the district (from the separate district file) agree with the
// beat number.
func TestChicagoBeats(t *testing.T) {
	ix := chicagoIndex(t)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	beats, _, _ := ix.Areas(data.LayerBeat, at)
	if len(beats) != 275 {
		t.Fatalf("%d beats", len(beats))
	}
	for _, b := range beats {
		p, ok := InteriorPoint(b.Geometry)
		if !ok {
			t.Fatalf("beat %s: no interior point", b.ID)
		}
		refs, err := ix.Locate(p[0], p[1], at)
		if err != nil {
			t.Fatalf("beat %s at %v: %v", b.ID, p, err)
		}
		rt := data.Routing{Areas: refs}
		for l, want := range map[data.Layer]string{data.LayerBeat: b.ID, data.LayerSector: b.ID[:3], data.LayerDistrict: b.ID[:2]} {
			if a, ok := rt.Area(l); !ok || a.ID != want {
				t.Errorf("beat %s interior point %v: %s = %v, want %s", b.ID, p, l, a, want)
			}
		}
	}
}

func TestChicagoKnownPlaces(t *testing.T) {
	ix := chicagoIndex(t)
	r := NewRouter(ix)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	// City Hall, 121 N LaSalle St: the Loop (community area 32), 1st district.
	rt, err := r.Route(-87.6321, 41.8837, at, "CC-NARC")
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := rt.Area(data.LayerCommunityArea); a.ID != "32" || a.Name != "LOOP" {
		t.Errorf("community area %v", a)
	}
	if a, _ := rt.Area(data.LayerDistrict); a.ID != "01" || rt.Unit != "Community Policing Office, District 01" {
		t.Errorf("district %v unit %q", a, rt.Unit)
	}
	if rt, _ := r.Route(-87.6321, 41.8837, at, "CC-BLDG"); rt.Unit != "241" {
		t.Errorf("problem building unit %q", rt.Unit)
	}
	// Evanston is outside: the message says to call 312.744.5000.
	_, err = r.Route(-87.6877, 42.0451, at, "PHF")
	if !errors.Is(err, data.ErrOutsideJurisdiction) || !strings.Contains(err.Error(), "312.744.5000") {
		t.Errorf("Evanston: %v", err)
	}
}

// TestChicagoWardsByDate: the three ward maps answer by date, each as the
// brute-force rule over its own file says, and some points change ward.
func TestChicagoWardsByDate(t *testing.T) {
	ix := chicagoIndex(t)
	dates := []time.Time{wards2003From.AddDate(1, 0, 0), wards2015From, wards2023From.AddDate(0, 1, 0)}
	var maps [3][]data.Area
	for k, d := range dates {
		maps[k], _, _ = ix.Areas(data.LayerWard, d)
	}
	if len(maps[0]) != 50 || len(maps[1]) != 50 || len(maps[2]) != 50 {
		t.Fatal("ward maps not loaded")
	}
	changed := 0
	for _, w := range maps[1] {
		p, _ := InteriorPoint(w.Geometry)
		var got [3]string
		for k, d := range dates {
			refs, err := ix.Locate(p[0], p[1], d)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := (&data.Routing{Areas: refs}).Area(data.LayerWard)
			got[k] = a.ID
			if want := bruteLocate(maps[k], p[0], p[1]); a.ID != want {
				t.Errorf("%v on %s: ward %q, brute force %q", p, d.Format("2006-01-02"), a.ID, want)
			}
			if a.ID != "" && a.Generation != data.GenerationID(data.LayerWard, [3]time.Time{wards2003From, wards2015From, wards2023From}[k]) {
				t.Errorf("generation %s on %v", a.Generation, d)
			}
		}
		if got[1] != w.ID {
			t.Errorf("2015 ward %s's interior point is in ward %q", w.ID, got[1])
		}
		if got[0] != got[1] || got[1] != got[2] {
			changed++
			if changed == 1 {
				t.Logf("point %.5f,%.5f: ward %s (2003 map), %s (2015), %s (2023)", p[0], p[1], got[0], got[1], got[2])
			}
		}
	}
	if changed < 3 {
		t.Errorf("only %d of 50 interior points changed ward across the maps", changed)
	}
	// A fixed point in Chicago Lawn whose ward changed with the 2023 map.
	p := [2]float64{-87.72740, 41.77083}
	want := [3]string{"13", "13", "23"}
	var got [3]string
	for k, d := range dates {
		refs, _ := ix.Locate(p[0], p[1], d)
		a, _ := (&data.Routing{Areas: refs}).Area(data.LayerWard)
		got[k] = a.ID
		if want := bruteLocate(maps[k], p[0], p[1]); want != a.ID {
			t.Errorf("%v on %v: %s, brute force %s", p, d, a.ID, want)
		}
	}
	if got != want {
		t.Errorf("wards by map at %v: %v, want %v", p, got, want)
	}
}

// TestChicagoBruteForce: the index agrees with the exact rule over every
// area on random points, for every layer.
func TestChicagoBruteForce(t *testing.T) {
	ix := chicagoIndex(t)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	rng := rand.New(rand.NewPCG(11, 12))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	layers := []data.Layer{data.LayerBeat, data.LayerDistrict, data.LayerWard, data.LayerCommunityArea}
	brute := map[data.Layer]func(lon, lat float64) string{}
	for _, l := range layers {
		areas, _, _ := ix.Areas(l, at)
		brute[l] = newBrute(areas)
	}
	for i := 0; i < n; i++ {
		lon := -87.96 + rng.Float64()*0.46
		lat := 41.63 + rng.Float64()*0.41
		refs, _ := ix.Locate(lon, lat, at)
		rt := data.Routing{Areas: refs}
		for _, l := range layers {
			got, _ := rt.Area(l)
			if want := brute[l](lon, lat); got.ID != want {
				t.Errorf("%s at %v,%v: index %q, brute force %q", l, lon, lat, got.ID, want)
			}
		}
	}
}

func TestChicagoValidate(t *testing.T) {
	ix := chicagoIndex(t)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	beats, _, _ := ix.Areas(data.LayerBeat, at)
	r, err := Validate(beats)
	if err != nil {
		t.Fatal(err)
	}
	if r.Areas != 275 || r.Vertices < 70000 || r.Samples < ValidateSamples*9/10 {
		t.Errorf("report %+v", r)
	}
	t.Logf("beats: %d areas, %d vertices, %d samples at %.0f m: %d overlaps, %d gaps", r.Areas, r.Vertices, r.Samples, r.SampleSpacingM, len(r.Overlaps), len(r.Gaps))
	for _, f := range append(r.Overlaps, r.Gaps...) {
		t.Logf("  %s %v at %v,%v: ~%.0f m2", f.Kind, f.Areas, f.Lon, f.Lat, f.ApproxAreaM2)
	}
}

func TestMinneapolis(t *testing.T) {
	j, err := LookupJurisdiction("minneapolis")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := j.LayerSpec(data.LayerPrecinct)
	areas := loadShared(t, "minneapolis/police_precincts.geojson", *spec)
	if len(areas) != 5 {
		t.Fatalf("%d precincts", len(areas))
	}
	from := time.Date(2016, 1, 1, 0, 0, 0, 0, chicagoTZ)
	ix, err := NewIndex(j, []*data.Generation{{ID: data.GenerationID(data.LayerPrecinct, from), Layer: data.LayerPrecinct, EffectiveFrom: from, Active: true, Areas: areas}})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRouter(ix)
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, chicagoTZ)
	for _, a := range areas {
		p, _ := InteriorPoint(a.Geometry)
		rt, err := r.Route(p[0], p[1], at, "MPD-THEFT")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := rt.Area(data.LayerPrecinct); got.ID != a.ID || rt.Unit != "Precinct "+a.ID || rt.Department != "Minneapolis Police Department" {
			t.Errorf("precinct %s: %+v", a.ID, rt)
		}
	}
	// Downtown Minneapolis (Nicollet Mall) is in the 1st precinct.
	if rt, err := r.Route(-93.2725, 44.9765, at, "MPD-LOST-PROPERTY"); err != nil || rt.Unit != "Precinct 1" {
		t.Errorf("downtown: %+v %v", rt, err)
	}
	for _, code := range []string{"MPD-ROBBERY", "MPD-ASSAULT", "MPD-BURGLARY", "MPD-ARSON", "MPD-IN-PROGRESS"} {
		if _, err := r.Route(-93.2725, 44.9765, at, code); !errors.Is(err, data.ErrEmergency) || !strings.Contains(err.Error(), "911") {
			t.Errorf("%s: %v", code, err)
		}
	}
	if _, err := r.Route(-87.6321, 41.8837, at, "MPD-THEFT"); !errors.Is(err, data.ErrOutsideJurisdiction) {
		t.Errorf("Chicago in Minneapolis: %v", err)
	}
}
