package postgis

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/geo311/geo311/data"
)

// chicagoTime is midnight of a date in America/Chicago as a fixed offset
// (standard time), enough for fixtures.
func day(t testing.TB, date string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", date, time.FixedZone("CST", -6*3600))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// loadFixture reads a small GeoJSON file of testdata/ into a generation: a
// minimal loader (ids from one property, left-padded with zeros to pad),
// enough for hand-written fixtures; the real loader is geo.LoadGeoJSON.
func loadFixture(t testing.TB, file string, layer data.Layer, idProp string, pad int, from string) *data.Generation {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	eff := day(t, from)
	g := &data.Generation{ID: data.GenerationID(layer, eff), Layer: layer, EffectiveFrom: eff, Source: file}
	for i, f := range fc.Features {
		id := strings.TrimSpace(f.Properties.MustString(idProp, ""))
		if id == "" {
			t.Fatalf("%s: feature %d has no %s", file, i, idProp)
		}
		for len(id) < pad {
			id = "0" + id
		}
		var mp orb.MultiPolygon
		switch geom := f.Geometry.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{geom}
		case orb.MultiPolygon:
			mp = geom
		default:
			t.Fatalf("%s: feature %d is a %s", file, i, geom.GeoJSONType())
		}
		props := map[string]string{}
		for k, v := range f.Properties {
			props[k] = fmt.Sprint(v)
		}
		g.Areas = append(g.Areas, data.Area{Layer: layer, ID: id, Name: string(layer) + " " + id, Properties: props, Geometry: mp})
	}
	return g
}

// square is a generation of one square area.
func square(t testing.TB, id string, layer data.Layer, from, areaID string, x0, y0, x1, y1 float64) *data.Generation {
	eff := day(t, from)
	return &data.Generation{ID: id, Layer: layer, EffectiveFrom: eff, Source: "square", Areas: []data.Area{{
		Layer: layer, ID: areaID,
		Geometry: orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}},
	}}}
}

// testville is the jurisdiction of the fixtures.
var testville = &data.Jurisdiction{
	ID:             "testville",
	Name:           "Testville",
	OutsideMessage: "This location is outside Testville: call 555-0100 from outside the town.",
	Layers: []data.LayerSpec{
		{Layer: data.LayerBeat, IDProperty: "beat_num", PadID: 4},
		{Layer: data.LayerSector, DerivedFrom: data.LayerBeat},
		{Layer: data.LayerDistrict, IDProperty: "dist_num", PadID: 2},
		{Layer: data.LayerWard, IDProperty: "ward"},
		{Layer: "zone", IDProperty: "zone"},
		{Layer: data.LayerCommunityArea, IDProperty: "area_numbe"}, // no generation loaded
	},
}

// loadTestville stores and activates the fixtures (and one inactive ward map).
func loadTestville(t testing.TB, db *DB) {
	t.Helper()
	ctx := context.Background()
	gens := []struct {
		file   string
		layer  data.Layer
		prop   string
		pad    int
		from   string
		active bool
	}{
		{"beats.geojson", data.LayerBeat, "beat_num", 4, "2012-12-19", true},
		{"districts.geojson", data.LayerDistrict, "dist_num", 2, "2012-12-19", true},
		{"wards_2003.geojson", data.LayerWard, "ward", 0, "2003-05-01", true},
		{"wards_2015.geojson", data.LayerWard, "ward", 0, "2015-05-18", true},
		{"wards_2023_inactive.geojson", data.LayerWard, "ward", 0, "2023-05-15", false},
		{"zones.geojson", "zone", "zone", 0, "2000-01-01", true},
	}
	for _, gs := range gens {
		g := loadFixture(t, gs.file, gs.layer, gs.prop, gs.pad, gs.from)
		if err := db.CreateGeneration(ctx, g); err != nil {
			t.Fatal(err)
		}
		if gs.active {
			if err := db.ActivateGeneration(ctx, g.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// closedPort returns a TCP port on 127.0.0.1 that was just free.
func closedPort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
