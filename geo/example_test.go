package geo_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

const twoBeats = `{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"beat_num":"111"},"geometry":{"type":"Polygon","coordinates":[[[-87.64,41.88],[-87.63,41.88],[-87.63,41.89],[-87.64,41.89],[-87.64,41.88]]]}},
 {"type":"Feature","properties":{"beat_num":"112"},"geometry":{"type":"Polygon","coordinates":[[[-87.63,41.88],[-87.62,41.88],[-87.62,41.89],[-87.63,41.89],[-87.63,41.88]]]}}]}`

func ExampleLoadGeoJSON() {
	areas, err := geo.LoadGeoJSON(strings.NewReader(twoBeats),
		data.LayerSpec{Layer: data.LayerBeat, IDProperty: "beat_num", PadID: 4})
	if err != nil {
		panic(err)
	}
	for _, a := range areas {
		fmt.Println(a.Layer, a.ID, len(a.Geometry))
	}
	// Output:
	// beat 0111 1
	// beat 0112 1
}

func ExampleIndex_Locate() {
	j, err := geo.LookupJurisdiction("chicago")
	if err != nil {
		panic(err)
	}
	spec, _ := j.LayerSpec(data.LayerBeat)
	beats, _ := geo.LoadGeoJSON(strings.NewReader(twoBeats), *spec)
	from := time.Date(2012, 12, 19, 0, 0, 0, 0, time.UTC)
	ix, err := geo.NewIndex(j, []*data.Generation{{
		ID: data.GenerationID(data.LayerBeat, from), Layer: data.LayerBeat, EffectiveFrom: from, Active: true, Areas: beats,
	}})
	if err != nil {
		panic(err)
	}
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	// A point on the shared edge belongs to the beat to its east (CPD G01-04).
	refs, _ := ix.Locate(-87.63, 41.885, at)
	for _, r := range refs {
		fmt.Println(r.Layer, r.ID, r.Generation)
	}
	_, err = ix.Locate(-87.70, 41.885, at)
	fmt.Println(errors.Is(err, data.ErrOutsideJurisdiction))
	// Output:
	// beat 0112 beat@2012-12-19
	// sector 011 sector@2012-12-19
	// true
}

func ExampleRouter_Route() {
	j, gens := geo.Demo(1)
	ix, err := geo.NewIndex(j, gens)
	if err != nil {
		panic(err)
	}
	r := geo.NewRouter(ix)
	beat, _, _ := ix.Area(data.LayerBeat, "0111", time.Time{})
	p, _ := geo.InteriorPoint(beat.Geometry)
	rt, err := r.Route(p[0], p[1], time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "PMC")
	if err != nil {
		panic(err)
	}
	b, _ := rt.Area(data.LayerBeat)
	fmt.Println(b.ID, rt.Department, "/", rt.Unit, "/", rt.SLADays, "days")
	_, err = r.Route(p[0], p[1], time.Time{}, "EMERGENCY")
	fmt.Println(errors.Is(err, data.ErrEmergency))
	// Output:
	// 0111 Chicago Police Department / Community Policing Office, District 01 / 7 days
	// true
}

func ExampleDemo() {
	_, gens := geo.Demo(7)
	for _, g := range gens {
		fmt.Println(g.ID, g.Active)
	}
	// Output:
	// beat@2020-01-01 true
	// district@2020-01-01 true
	// ward@2020-01-01 true
	// ward@2024-05-20 true
	// community_area@2020-01-01 true
}
