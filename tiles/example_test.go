package tiles_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

func ExampleParseTile() {
	t, err := tiles.ParseTile("14", "4202", "6091")
	fmt.Println(t, err)
	_, err = tiles.ParseTile("14", "16384", "0")
	fmt.Println(err)
	// Output:
	// {4202 6091 14} <nil>
	// x: 16384 is outside 0-16383 at zoom 14
}

func ExampleService() {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rs := []*data.Request{
		{Number: "SR25-00000001", Kind: data.KindServiceRequest, ServiceCode: "PHF", State: data.StateNew,
			Lon: -87.6298, Lat: 41.8781, RequestedAt: at.Add(-72 * time.Hour)},
		{Number: "CC25-00000001", Kind: data.KindCommunityConcern, ServiceCode: "CPD", State: data.StateNew,
			Lon: -87.6297, Lat: 41.8782, RequestedAt: at}, // never in a tile
	}
	s := &tiles.Service{
		Index: tiles.NewRequestIndex(nil, rs),
		Cache: tiles.NewCache(64 << 20),
		Now:   func() time.Time { return at },
	}
	t := maptile.At(orb.Point{-87.6298, 41.8781}, 16)
	f, _ := tiles.ParseFilter(url.Values{"status": {"open"}}, nil)
	e, err := s.Requests(context.Background(), t, f)
	if err != nil {
		panic(err)
	}
	layers, _ := mvt.Unmarshal(e.Data)
	for _, l := range layers {
		for _, ft := range l.Features {
			number, _ := tiles.FeatureNumber(uint64(ft.ID.(float64)))
			fmt.Println(l.Name, l.Version, number, ft.Properties["type"], ft.Properties["age_days"])
		}
	}
	far, _ := s.Requests(context.Background(), maptile.New(0, 0, 16), f)
	fmt.Println("empty:", far.Empty)
	// Output:
	// requests 2 SR25-00000001 PHF 3
	// empty: true
}

func ExampleBoundaries() {
	b := tiles.NewBoundaries([]data.Area{{Layer: data.LayerWard, ID: "42", Name: "Ward 42",
		Geometry: orb.MultiPolygon{{{{-87.64, 41.87}, {-87.62, 41.87}, {-87.62, 41.89}, {-87.64, 41.89}, {-87.64, 41.87}}}}}})
	t, _ := tiles.ParseTile("12", "1050", "1522")
	data, ok, err := tiles.Marshal(b.Layer(t))
	layers, _ := mvt.Unmarshal(data)
	fmt.Println(ok, err, layers[0].Name, layers[0].Features[0].ID, layers[0].Features[0].Properties["name"])
	// Output: true <nil> boundaries 42 Ward 42
}

func ExampleTileJSON() {
	b, _ := tiles.TileJSON("hexbins", "https://geo311.example",
		orb.Bound{Min: orb.Point{-87.94, 41.64}, Max: orb.Point{-87.52, 42.02}}, [3]float64{-87.63, 41.88, 10}, 0, 16)
	fmt.Println(string(b[:80]))
	// Output:
	// {
	//   "tilejson": "3.0.0",
	//   "name": "geo311 hexbins",
	//   "description": "Request c
}
