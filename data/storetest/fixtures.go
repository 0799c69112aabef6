package storetest

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
)

// Fixed zones rather than time.LoadLocation, so the suite needs no tz
// database: Chicago standard and daylight time, and a zone east of UTC.
var (
	cst    = time.FixedZone("CST", -6*3600)
	cdt    = time.FixedZone("CDT", -5*3600)
	plus5  = time.FixedZone("+05", 5*3600)
	loaded = time.Date(2024, 3, 10, 7, 59, 58, 123456000, time.UTC)
)

// rect returns a closed counter-clockwise ring.
func rect(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// reversed returns r in the opposite orientation (same closing point).
func reversed(r orb.Ring) orb.Ring {
	out := slices.Clone(r)
	slices.Reverse(out)
	return out
}

// next returns the float64 immediately above x: coordinates that survive only
// a bit-exact store (no decimal text, no float32, no rounding).
func next(x float64) float64 { return math.Nextafter(x, math.Inf(1)) }

// beatGeneration is a small police beat layer modelled on Chicago's: ids
// given out of order; a plain square; a square with a hole; beat 3100 as a
// multipolygon of three parts (one with two holes, one clockwise); awkward
// property values; coordinates taken verbatim from the city's file and
// one ulp off round numbers.
func beatGeneration() *data.Generation {
	from := time.Date(2012, 12, 19, 0, 0, 0, 0, cst)
	real := orb.Ring{
		{-87.7047252651434, 41.975774430214464},
		{-87.70472499089577, 41.97576664149016},
		{-87.7047228498448, 41.97574141349812},
		{-87.70471410758663, 41.97569921186896},
		{-87.7046959528449, 41.975671726141684},
		{-87.7047252651434, 41.975774430214464},
	}
	return &data.Generation{
		ID:            data.GenerationID(data.LayerBeat, from),
		Layer:         data.LayerBeat,
		EffectiveFrom: from,
		Source:        "police_beats.geojson",
		LoadedAt:      loaded,
		Areas: []data.Area{
			{
				Layer: data.LayerBeat, ID: "3100", Name: "Beat 3100",
				Properties: map[string]string{"district": "31", "sector": "0", "beat": "0", "note": "three separate parts"},
				Geometry: orb.MultiPolygon{
					{rect(-87.94, 41.96, -87.90, 42.00),
						reversed(rect(-87.935, 41.965, -87.93, 41.97)),
						reversed(rect(-87.92, 41.98, next(-87.915), next(41.985)))},
					{reversed(rect(-87.85, 41.70, -87.84, 41.71))},
					{real},
				},
			},
			{
				Layer: data.LayerBeat, ID: "0111", Name: "",
				Properties: map[string]string{"district": "01", "sector": "1", "beat": "1"},
				Geometry:   orb.MultiPolygon{{rect(-87.64, 41.88, next(-87.62), 41.89)}},
			},
			{
				Layer: data.LayerBeat, ID: "0112", Name: "Beat 0112 — Loop/\"South\" \\ 'Printer's Row'",
				Properties: map[string]string{
					"district": "01", "empty": "", "quote\"key": "a\nb\tc\\d", "unicode": "Łódź 北京 🚓",
					"json": `{"x":[1,2]}`, "dotted.key": "0.1",
				},
				Geometry: orb.MultiPolygon{{
					rect(next(0.3), math.Copysign(0, -1), 1.0/3, 2.0/3),
					reversed(rect(0.31, 0.01, next(0.32), 0.1)),
				}},
			},
			{
				Layer: data.LayerBeat, ID: "0113", Name: "Beat 0113",
				Properties: nil,
				Geometry: orb.MultiPolygon{{orb.Ring{
					{-87.63, 41.87}, {-87.62, 41.87}, {-87.625, 41.875}, {math.SmallestNonzeroFloat64, 41.87}, {-87.63, 41.87},
				}}},
			},
		},
	}
}

// simpleGeneration is a generation of n small square areas with ids
// "A000", "A001", ..., each ring holding vertices points.
func simpleGeneration(layer data.Layer, from time.Time, n, vertices int) *data.Generation {
	g := &data.Generation{
		ID:            data.GenerationID(layer, from),
		Layer:         layer,
		EffectiveFrom: from,
		Source:        fmt.Sprintf("synthetic %s %d areas", layer, n),
		LoadedAt:      loaded,
	}
	for i := range n {
		x0, y0 := -87.9+float64(i%50)*0.01, 41.6+float64(i/50)*0.01
		ring := make(orb.Ring, 0, vertices+1)
		// A circle-ish ring with irrational coordinates.
		for v := range vertices {
			a := 2 * math.Pi * float64(v) / float64(vertices)
			ring = append(ring, orb.Point{x0 + 0.004*math.Cos(a), y0 + 0.004*math.Sin(a)})
		}
		ring = append(ring, ring[0])
		g.Areas = append(g.Areas, data.Area{
			Layer:      layer,
			ID:         fmt.Sprintf("A%03d", i),
			Name:       fmt.Sprintf("Area %d", i),
			Properties: map[string]string{"i": fmt.Sprint(i)},
			Geometry:   orb.MultiPolygon{{ring}},
		})
	}
	return g
}

// stored returns what a store must return after CreateGeneration(g): a deep
// copy, inactive, with AreaCount = len(Areas) and areas sorted by ID.
func stored(g *data.Generation) *data.Generation {
	w := cloneGeneration(g)
	w.Active = false
	w.AreaCount = len(w.Areas)
	slices.SortFunc(w.Areas, func(a, b data.Area) int { return strings.Compare(a.ID, b.ID) })
	return w
}

// cloneGeneration deep-copies g.
func cloneGeneration(g *data.Generation) *data.Generation {
	c := *g
	c.Areas = make([]data.Area, len(g.Areas))
	for i, a := range g.Areas {
		a.Properties = maps.Clone(a.Properties)
		a.Geometry = cloneMultiPolygon(a.Geometry)
		c.Areas[i] = a
	}
	return &c
}

func cloneMultiPolygon(mp orb.MultiPolygon) orb.MultiPolygon {
	if mp == nil {
		return nil
	}
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			out[i][j] = slices.Clone(r)
		}
	}
	return out
}

// withoutAreas is the listing form of a stored generation.
func withoutAreas(g *data.Generation) *data.Generation {
	c := *g
	c.Areas = nil
	return &c
}

// SampleGeneration returns a small beat generation exercising everything a
// store must keep exactly (holes, a three-part multipolygon, clockwise and
// counter-clockwise rings, awkward properties, ulp-level coordinates), and
// the generation a store must return for it after CreateGeneration (and
// before activation). Each call returns new values.
func SampleGeneration() (input, want *data.Generation) {
	g := beatGeneration()
	return g, stored(g)
}

// Synthetic returns a generation of the layer starting at from, with the
// given number of areas (ids "A000", "A001"...), each a single ring of the
// given number of vertices (plus the closing one) at irrational coordinates
// around Chicago. For stores' own tests and benchmarks.
func Synthetic(layer data.Layer, from time.Time, areas, vertices int) *data.Generation {
	return simpleGeneration(layer, from, areas, vertices)
}
