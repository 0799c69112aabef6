package geo

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func TestDemoDeterministic(t *testing.T) {
	j1, g1 := Demo(1)
	j2, g2 := Demo(1)
	if !reflect.DeepEqual(j1, j2) || !reflect.DeepEqual(g1, g2) {
		t.Fatal("Demo(1) differs between calls")
	}
	_, g3 := Demo(2)
	if reflect.DeepEqual(g1[0].Areas, g3[0].Areas) {
		t.Fatal("Demo(1) and Demo(2) have the same beats")
	}
}

func TestDemo(t *testing.T) {
	j, gens := Demo(42)
	if j.ID != DemoID {
		t.Fatal(j.ID)
	}
	counts := map[data.Layer]int{}
	for _, g := range gens {
		counts[g.Layer]++
		if !g.Active || g.AreaCount != len(g.Areas) || g.ID != data.GenerationID(g.Layer, g.EffectiveFrom) {
			t.Errorf("%s: %+v", g.ID, g)
		}
		// A planar partition: no overlaps, no gaps, every ring valid.
		r, err := Validate(g.Areas)
		if err != nil {
			t.Fatalf("%s: %v", g.ID, err)
		}
		if !r.OK() {
			t.Errorf("%s: overlaps %v gaps %v", g.ID, r.Overlaps, r.Gaps)
		}
		// Realistic shapes: irregular polygons, not axis-aligned rectangles.
		for _, a := range g.Areas {
			r := a.Geometry[0][0]
			slanted := 0
			for i := 0; i+1 < len(r); i++ {
				if r[i][0] != r[i+1][0] && r[i][1] != r[i+1][1] {
					slanted++
				}
			}
			if len(r) < 7 || slanted < len(r)/2 {
				t.Errorf("%s %s: %d vertices, %d slanted edges", g.ID, a.ID, len(r), slanted)
			}
		}
		// Not near Chicago's real areas.
		if b := g.Areas[0].Geometry.Bound(); b.Max[0] > -88.0 || b.Min[1] < 40.9 || b.Max[1] > 41.5 {
			t.Errorf("%s: demo areas at %v", g.ID, b)
		}
	}
	if counts[data.LayerBeat] != 1 || counts[data.LayerWard] != 2 || counts[data.LayerDistrict] != 1 || counts[data.LayerCommunityArea] != 1 {
		t.Errorf("generations per layer %v", counts)
	}
	beats := gens[0].Areas
	if len(beats) < 30 || len(gens[1].Areas) != demoDistricts || len(gens[2].Areas) != demoWards {
		t.Errorf("%d beats, %d districts, %d wards", len(beats), len(gens[1].Areas), len(gens[2].Areas))
	}
	ix, err := NewIndex(j, gens)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// Every beat's interior point: the beat, its sector and its district.
	for _, b := range beats {
		p, ok := InteriorPoint(b.Geometry)
		if !ok {
			t.Fatalf("beat %s: no interior point", b.ID)
		}
		rt, err := NewRouter(ix).Route(p[0], p[1], at, "PMC")
		if err != nil {
			t.Fatalf("beat %s: %v", b.ID, err)
		}
		want := map[data.Layer]string{data.LayerBeat: b.ID, data.LayerSector: b.ID[:3], data.LayerDistrict: b.ID[:2]}
		for l, id := range want {
			if a, ok := rt.Area(l); !ok || a.ID != id {
				t.Errorf("beat %s point %v: %s %v, want %s", b.ID, p, l, a, id)
			}
		}
		if _, ok := rt.Area(data.LayerWard); !ok {
			t.Errorf("beat %s: no ward", b.ID)
		}
		if rt.Unit != "Community Policing Office, District "+b.ID[:2] {
			t.Errorf("unit %q", rt.Unit)
		}
	}
	// Wards cut across districts.
	wardsPerDistrict := map[string]map[string]bool{}
	// The ward remap changes some points' ward.
	changed := 0
	rng := rand.New(rand.NewPCG(9, 9))
	bd := gens[0].Areas[0].Geometry.Bound()
	for _, a := range beats {
		bd = bd.Union(a.Geometry.Bound())
	}
	before, after := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3000; i++ {
		lon := bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0])
		lat := bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])
		r1, err1 := ix.Locate(lon, lat, before)
		r2, err2 := ix.Locate(lon, lat, after)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("city extent changed with the ward remap at %v,%v", lon, lat)
		}
		if err1 != nil {
			if !errors.Is(err1, data.ErrOutsideJurisdiction) {
				t.Fatal(err1)
			}
			continue
		}
		if len(r1) != 5 {
			t.Fatalf("point %v,%v: %v", lon, lat, r1)
		}
		w1, _ := (&data.Routing{Areas: r1}).Area(data.LayerWard)
		w2, _ := (&data.Routing{Areas: r2}).Area(data.LayerWard)
		d, _ := (&data.Routing{Areas: r1}).Area(data.LayerDistrict)
		if wardsPerDistrict[d.ID] == nil {
			wardsPerDistrict[d.ID] = map[string]bool{}
		}
		wardsPerDistrict[d.ID][w1.ID] = true
		if w1.ID != w2.ID {
			changed++
			if w1.Generation != "ward@2020-01-01" || w2.Generation != "ward@2024-05-20" {
				t.Errorf("generations %s %s", w1.Generation, w2.Generation)
			}
		}
		// The index agrees with the brute-force rule.
		for _, g := range gens {
			if g.Layer == data.LayerWard && g.EffectiveFrom.After(before) {
				continue
			}
			want := bruteLocate(g.Areas, lon, lat)
			got, _ := (&data.Routing{Areas: r1}).Area(g.Layer)
			if got.ID != want {
				t.Errorf("%s at %v,%v: index %q, brute force %q", g.Layer, lon, lat, got.ID, want)
			}
		}
	}
	if changed == 0 {
		t.Error("the ward remap changed no sampled point")
	}
	cross := 0
	for _, ws := range wardsPerDistrict {
		if len(ws) > 1 {
			cross++
		}
	}
	if cross < demoDistricts/2 {
		t.Errorf("wards do not cut across districts: %v", wardsPerDistrict)
	}
	if _, err := ix.Locate(-87.6298, 41.8781, at); !errors.Is(err, data.ErrOutsideJurisdiction) {
		t.Errorf("Chicago city hall in the demo: %v", err)
	}
}
