package tiles

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// Test fixtures: a small jurisdiction around Chicago's Loop.

var (
	loop    = orb.Point{-87.6298, 41.8781}
	fixedAt = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
)

func testJurisdiction() *data.Jurisdiction {
	return &data.Jurisdiction{
		ID: "test", Name: "Test City", TimeZone: "America/Chicago",
		Services: []data.ServiceType{
			{Code: "PHF", Name: "Pothole", Kind: data.KindServiceRequest, SLADays: 7},
			{Code: "SLA", Name: "Street light out", Kind: data.KindServiceRequest, SLADays: 10},
			{Code: "GRAF", Name: "Graffiti", Kind: data.KindServiceRequest, SLADays: 7},
			{Code: "POL", Name: "Police miscellaneous", Kind: data.KindServiceRequest, Police: true},
		},
	}
}

// fixtureRequests returns n deterministic requests spread within about
// 1.5 km of the Loop, with every fifth one of each flavour: closed,
// duplicate, police type, community concern.
func fixtureRequests(n int) []*data.Request {
	rng := rand.New(rand.NewPCG(7, 11))
	codes := []string{"PHF", "SLA", "GRAF"}
	var rs []*data.Request
	for i := 0; i < n; i++ {
		r := &data.Request{
			Number:      data.FormatNumber(data.KindServiceRequest, 2025, int64(i+1)),
			Kind:        data.KindServiceRequest,
			ServiceCode: codes[i%3],
			State:       data.StateNew,
			Lon:         loop[0] + (rng.Float64()-0.5)*0.036,
			Lat:         loop[1] + (rng.Float64()-0.5)*0.027,
			RequestedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(360*24)) * time.Hour),
		}
		switch i % 10 {
		case 1, 6:
			r.State = data.StateClosed
		case 3:
			r.Duplicate = true
			r.ParentNumber = rs[i-1].Number
		case 4:
			r.ServiceCode = "POL" // police type: never public
		case 9:
			r.Kind = data.KindCommunityConcern
			r.Number = data.FormatNumber(data.KindCommunityConcern, 2025, int64(i+1))
			r.ServiceCode = "PHF"
		}
		rs = append(rs, r)
	}
	return rs
}

// square returns a closed ring (anticlockwise in lon/lat) of a box.
func square(lon0, lat0, lon1, lat1 float64) orb.Ring {
	return orb.Ring{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}
}

// fixtureAreas: two beats sharing an edge across the Loop, one with a hole,
// and a two-part beat; plus a wiggly edge to exercise simplification.
func fixtureAreas() []data.Area {
	wiggle := orb.Ring{{-87.66, 41.86}}
	for i := 1; i < 200; i++ { // an edge with 10 m noise: simplified away at low zoom
		wiggle = append(wiggle, orb.Point{-87.66 + 0.03*float64(i)/200, 41.86 + 0.0001*math.Sin(float64(i))})
	}
	wiggle = append(wiggle, orb.Point{-87.63, 41.86}, orb.Point{-87.63, 41.875}, orb.Point{-87.66, 41.875}, orb.Point{-87.66, 41.86})
	return []data.Area{
		{Layer: data.LayerBeat, ID: "0111", Name: "Beat 111", Geometry: orb.MultiPolygon{{wiggle}}},
		{Layer: data.LayerBeat, ID: "0112", Name: "Beat 112", Geometry: orb.MultiPolygon{{
			square(-87.63, 41.86, -87.60, 41.875),
			square(-87.62, 41.865, -87.61, 41.87), // hole
		}}},
		{Layer: data.LayerBeat, ID: "0113", Name: "Beat 113", Geometry: orb.MultiPolygon{
			{square(-87.66, 41.875, -87.63, 41.89)},
			{square(-87.62, 41.88, -87.61, 41.885)},
		}},
	}
}

// fixtureChronic: a few res-9 cells near the Loop.
func fixtureChronic() []ChronicCell {
	cats := []string{"new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic"}
	var cs []ChronicCell
	for i, c := range cats {
		cell := h3.LatLngToCell(h3.NewLatLng(loop[1]+0.004*float64(i%3), loop[0]+0.006*float64(i/3)), 9)
		cs = append(cs, ChronicCell{Cell: uint64(cell), Category: c, Z: 1.96 + float64(i)/3, Count: 10 + i})
	}
	return cs
}

// loopTile is the tile at zoom z holding the Loop.
func loopTile(z maptile.Zoom) maptile.Tile { return maptile.At(loop, z) }

// synthCity streams n synthetic requests over Chicago's bounding box with
// realistic clustering, deterministically for a seed: 45 % uniform, 55 %
// from 300 hot spots with log-normal weights (a few dominate) and Gaussian
// spreads of 100-400 m, ten of them downtown drawing about 8 % of all
// requests (Chicago's densest community areas take a few per cent each); 30 service types
// with Zipf-like shares; a year of requested times; 70 % closed, 6 %
// duplicates, 3 % police-related. fn may keep r only for the call.
func synthCity(n int, seed uint64, fn func(r *data.Request)) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const lon0, lat0, lon1, lat1 = -87.94, 41.645, -87.525, 42.023
	type spot struct{ lon, lat, sd, w float64 }
	spots := make([]spot, 300)
	total := 0.0
	for i := range spots {
		s := spot{lon0 + rng.Float64()*(lon1-lon0), lat0 + rng.Float64()*(lat1-lat0),
			100 + rng.Float64()*300, math.Exp(rng.NormFloat64() * 1.5)}
		if i < 10 { // downtown: the Loop, River North, the West Loop
			s.lon, s.lat = loop[0]+(rng.Float64()-0.5)*0.03, loop[1]+(rng.Float64()-0.5)*0.03
			s.w = 16 // about 15 % of hot-spot draws: 8 % of all requests downtown
		}
		spots[i] = s
		total += s.w
	}
	cum := make([]float64, len(spots))
	acc := 0.0
	for i, s := range spots {
		acc += s.w / total
		cum[i] = acc
	}
	codes := make([]string, 30)
	cw := make([]float64, 30)
	acc = 0
	for i := range codes {
		codes[i] = fmt.Sprintf("T%02d", i)
		acc += 1 / float64(i+1)
		cw[i] = acc
	}
	codes[29] = "POL"
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	r := &data.Request{}
	for i := 0; i < n; i++ {
		var lon, lat float64
		if rng.Float64() < 0.45 {
			lon, lat = lon0+rng.Float64()*(lon1-lon0), lat0+rng.Float64()*(lat1-lat0)
		} else {
			u := rng.Float64()
			k := 0
			for k < len(cum)-1 && cum[k] < u {
				k++
			}
			s := spots[k]
			lat = s.lat + rng.NormFloat64()*s.sd/111320
			lon = s.lon + rng.NormFloat64()*s.sd/(111320*math.Cos(s.lat*math.Pi/180))
		}
		u := rng.Float64() * acc
		t := 0
		for t < len(cw)-1 && cw[t] < u {
			t++
		}
		*r = data.Request{
			Number:      data.FormatNumber(data.KindServiceRequest, 2025, int64(i+1)),
			Kind:        data.KindServiceRequest,
			ServiceCode: codes[t],
			State:       data.StateNew,
			Lon:         lon,
			Lat:         lat,
			RequestedAt: time.Unix(start+rng.Int64N(365*86400), 0).UTC(),
			Duplicate:   rng.Float64() < 0.06,
		}
		if rng.Float64() < 0.7 {
			r.State = data.StateClosed
		}
		if rng.Float64() < 0.03 {
			r.ServiceCode = "POL"
		}
		fn(r)
	}
}

func synthJurisdiction() *data.Jurisdiction {
	j := &data.Jurisdiction{ID: "synth"}
	for i := 0; i < 29; i++ {
		j.Services = append(j.Services, data.ServiceType{Code: fmt.Sprintf("T%02d", i), Kind: data.KindServiceRequest})
	}
	j.Services = append(j.Services, data.ServiceType{Code: "POL", Kind: data.KindServiceRequest, Police: true})
	return j
}
