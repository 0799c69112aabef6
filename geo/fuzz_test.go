package geo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
)

// FuzzLoadGeoJSON: any input either loads into valid areas or fails with
// ErrInvalid, never panics; loaded areas pass Validate's hard checks and
// index without error.
func FuzzLoadGeoJSON(f *testing.F) {
	for _, name := range []string{"squares.geojson", "wards_2020.geojson", "defects.geojson"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":8},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1e308,0],[1,1],[0,0]]]}}]}`))
	f.Add([]byte(`[[[[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		areas, err := LoadGeoJSON(strings.NewReader(string(b)), data.LayerSpec{Layer: "fz", IDProperty: "id", PadID: 3, Ignore: []string{"OUT"}})
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, a := range areas {
			if a.ID == "" || seen[a.ID] || a.Layer != "fz" {
				t.Fatalf("bad area %+v", a)
			}
			seen[a.ID] = true
			if err := checkMultiPolygon(a.Geometry); err != nil {
				t.Fatalf("loaded a defective geometry: %v", err)
			}
		}
		if len(areas) == 0 || len(areas) > 50 {
			return
		}
		ix, err := NewIndex(&data.Jurisdiction{ID: "fz", OutsideMessage: "out"},
			[]*data.Generation{{ID: "fz@1", Layer: "fz", Active: true, Areas: areas}})
		if err != nil {
			t.Fatalf("index of loaded areas: %v", err)
		}
		for _, a := range areas {
			p := a.Geometry[0][0][0]
			if _, err := ix.Locate(p[0], p[1], day2024); err != nil && !errors.Is(err, data.ErrOutsideJurisdiction) {
				t.Fatalf("locate vertex %v: %v", p, err)
			}
		}
	})
}
