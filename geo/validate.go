package geo

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// Report describes a layer's areas and the overlaps and gaps between them.
//
// Overlaps and gaps are found by sampling: the layer's bounding box is
// covered by a lattice of about ValidateSamples points (spacing
// SampleSpacingM metres, reported), and every sample is located exactly with
// the same covering test as the Index. A sample covered by two or more areas
// belongs to an overlap of those areas; an uncovered sample that cannot
// reach the edge of the box through uncovered samples belongs to a gap
// (an enclosed hole of the layer: an unassigned sliver, or a legitimate
// enclave such as a town surrounded by the city). Findings thinner than
// the sample spacing can be missed, and reported areas are approximations
// (samples times the area of one lattice cell); samples on a shared boundary
// count for both areas, so overlaps of a single sample along an edge are not
// reported.
type Report struct {
	Layer          data.Layer `json:"layer"`
	Areas          int        `json:"areas"`
	Polygons       int        `json:"polygons"`
	Holes          int        `json:"holes"`
	Vertices       int        `json:"vertices"`
	BBox           [4]float64 `json:"bbox"` // min lon, min lat, max lon, max lat
	Samples        int        `json:"samples"`
	SampleSpacingM float64    `json:"sample_spacing_m"`
	Overlaps       []Finding  `json:"overlaps"`
	Gaps           []Finding  `json:"gaps"`
}

// Finding is one overlap or gap.
type Finding struct {
	Kind string `json:"kind"` // "overlap" or "gap"
	// Areas are the overlapping areas, or the areas bordering the gap.
	Areas []string `json:"areas"`
	// Lon, Lat is a sample point inside the finding.
	Lon          float64 `json:"lon"`
	Lat          float64 `json:"lat"`
	Samples      int     `json:"samples"`
	ApproxAreaM2 float64 `json:"approx_area_m2"`
}

// OK reports whether the layer has neither overlaps nor gaps.
func (r *Report) OK() bool { return len(r.Overlaps) == 0 && len(r.Gaps) == 0 }

// ValidateSamples is the number of sample points Validate lays over a layer.
const ValidateSamples = 250_000

// Validate checks the areas of one layer. Hard errors (data.ErrInvalid,
// field "areas") are areas of different layers, an empty or duplicate id, and
// any geometry defect LoadGeoJSON refuses (unclosed or degenerate rings,
// NaN or out-of-range coordinates). Otherwise it returns a Report of the
// overlaps and gaps between the areas (see Report for the method).
func Validate(areas []data.Area) (*Report, error) {
	if len(areas) == 0 {
		return nil, data.Invalid("areas", "no areas to validate")
	}
	r := &Report{Layer: areas[0].Layer, Areas: len(areas), Overlaps: []Finding{}, Gaps: []Finding{}}
	sorted := slices.Clone(areas)
	slices.SortStableFunc(sorted, func(a, b data.Area) int { return strings.Compare(a.ID, b.ID) })
	for i, a := range sorted {
		if a.Layer != r.Layer {
			return nil, data.Invalid("areas", "area %q is of layer %q, area %q of layer %q: validate one layer at a time", a.ID, a.Layer, sorted[0].ID, r.Layer)
		}
		if strings.TrimSpace(a.ID) == "" {
			return nil, data.Invalid("areas", "an area of layer %s has no id", r.Layer)
		}
		if i > 0 && sorted[i-1].ID == a.ID {
			return nil, data.Invalid("areas", "duplicate area id %q in layer %s", a.ID, r.Layer)
		}
		if err := checkMultiPolygon(a.Geometry); err != nil {
			return nil, data.Invalid("areas", "area %q: %v", a.ID, err)
		}
		r.Polygons += len(a.Geometry)
		for _, p := range a.Geometry {
			r.Holes += len(p) - 1
			for _, ring := range p {
				r.Vertices += len(ring) - 1
			}
		}
	}
	geoms := make([]orb.MultiPolygon, len(sorted))
	for i := range sorted {
		geoms[i] = sorted[i].Geometry
	}
	_, _, b := gridEdges(geoms)
	r.BBox = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	g := newGrid(geoms, newFrame(b, r.Vertices))

	// The sample lattice, square on the ground.
	mx, my := metresPerDegree((b.Min[1] + b.Max[1]) / 2)
	wM, hM := (b.Max[0]-b.Min[0])*mx, (b.Max[1]-b.Min[1])*my
	spacing := math.Sqrt(wM * hM / ValidateSamples)
	nx := max(1, int(math.Round(wM/spacing)))
	ny := max(1, int(math.Round(hM/spacing)))
	dx, dy := (b.Max[0]-b.Min[0])/float64(nx), (b.Max[1]-b.Min[1])/float64(ny)
	r.Samples = nx * ny
	r.SampleSpacingM = round(math.Sqrt(dx*mx*dy*my), 1)
	cellM2 := dx * mx * dy * my
	at := func(i, j int) (float64, float64) {
		return b.Min[0] + (float64(i)+0.5)*dx, b.Min[1] + (float64(j)+0.5)*dy
	}
	// cover[k]: number of covering areas (capped), first covering area.
	count := make([]uint8, nx*ny)
	first := make([]int32, nx*ny)
	type agg struct {
		f    Finding
		seen bool
	}
	overlaps := map[string]*agg{}
	var hits []int
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			x, y := at(i, j)
			hits = g.appendAll(hits[:0], x, y)
			k := j*nx + i
			count[k] = uint8(min(len(hits), 255))
			first[k] = -1
			if len(hits) > 0 {
				first[k] = int32(hits[0])
			}
			if len(hits) < 2 {
				continue
			}
			// On a shared boundary a sample is covered by both sides: not an overlap.
			onEdge := false
			for _, a := range hits {
				if edgeDistance(flatEdgesNear(geoms[a], x, y, dx, dy), x, y) == 0 {
					onEdge = true
					break
				}
			}
			if onEdge {
				continue
			}
			ids := make([]string, len(hits))
			for n, a := range hits {
				ids[n] = sorted[a].ID
			}
			key := strings.Join(ids, "\x00")
			o := overlaps[key]
			if o == nil {
				o = &agg{f: Finding{Kind: "overlap", Areas: ids, Lon: round(x, 7), Lat: round(y, 7)}}
				overlaps[key] = o
			}
			o.f.Samples++
		}
	}
	for _, o := range overlaps {
		o.f.ApproxAreaM2 = math.Round(float64(o.f.Samples) * cellM2)
		r.Overlaps = append(r.Overlaps, o.f)
	}
	// Gaps: uncovered samples not connected to the border.
	reach := make([]bool, nx*ny)
	var stack []int
	push := func(k int) {
		if count[k] == 0 && !reach[k] {
			reach[k] = true
			stack = append(stack, k)
		}
	}
	for i := 0; i < nx; i++ {
		push(i)
		push((ny-1)*nx + i)
	}
	for j := 0; j < ny; j++ {
		push(j * nx)
		push(j*nx + nx - 1)
	}
	flood := func(visit func(k int)) {
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			visit(k)
			i, j := k%nx, k/nx
			if i > 0 {
				push(k - 1)
			}
			if i < nx-1 {
				push(k + 1)
			}
			if j > 0 {
				push(k - nx)
			}
			if j < ny-1 {
				push(k + nx)
			}
		}
	}
	flood(func(int) {})
	for k := range count {
		if count[k] != 0 || reach[k] {
			continue
		}
		x, y := at(k%nx, k/nx)
		f := Finding{Kind: "gap", Lon: round(x, 7), Lat: round(y, 7)}
		around := map[int32]bool{}
		push(k)
		flood(func(k int) {
			f.Samples++
			i, j := k%nx, k/nx
			for _, n := range [4][2]int{{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}} {
				if n[0] >= 0 && n[0] < nx && n[1] >= 0 && n[1] < ny {
					if a := first[n[1]*nx+n[0]]; a >= 0 {
						around[a] = true
					}
				}
			}
		})
		for a := range around {
			f.Areas = append(f.Areas, sorted[a].ID)
		}
		slices.Sort(f.Areas)
		f.ApproxAreaM2 = math.Round(float64(f.Samples) * cellM2)
		r.Gaps = append(r.Gaps, f)
	}
	byFinding := func(a, b Finding) int {
		if c := cmp.Compare(b.Samples, a.Samples); c != 0 {
			return c
		}
		if c := slices.Compare(a.Areas, b.Areas); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Lat, b.Lat); c != 0 {
			return c
		}
		return cmp.Compare(a.Lon, b.Lon)
	}
	slices.SortFunc(r.Overlaps, byFinding)
	slices.SortFunc(r.Gaps, byFinding)
	return r, nil
}

// flatEdgesNear returns the edges of mp whose bounds come within (dx, dy) of (x, y).
func flatEdgesNear(mp orb.MultiPolygon, x, y, dx, dy float64) []float64 {
	var es []float64
	for _, p := range mp {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				if math.Max(a[0], b[0]) < x-dx || math.Min(a[0], b[0]) > x+dx || math.Max(a[1], b[1]) < y-dy || math.Min(a[1], b[1]) > y+dy {
					continue
				}
				es = append(es, a[0], a[1], b[0], b[1])
			}
		}
	}
	return es
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
