package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/uber/h3-go/v4"
)

// clipBound is the tile plus its buffer, in tile coordinates.
var clipBound = orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}

// tilePolygon turns a polygon in fractional tile coordinates into the
// rings an MVT polygon feature carries: clipped to the tile plus buffer,
// snapped to the integer grid, repeated points dropped, degenerate rings
// (fewer than three distinct points or zero area) dropped, and wound as the
// MVT 2.1 specification (4.3.4.4) asks: the exterior ring clockwise in tile
// coordinates (y down; positive area by the surveyor's formula), interior
// rings anticlockwise. It returns nil when nothing of the exterior is left.
func tilePolygon(p orb.Polygon) orb.Polygon {
	var out orb.Polygon
	for i, r := range p {
		r = clip.Ring(clipBound, r)
		if r == nil {
			if i == 0 {
				return nil
			}
			continue
		}
		r = snapRing(r)
		if r == nil {
			if i == 0 {
				return nil
			}
			continue
		}
		a := ringArea2(r)
		if i > 0 && math.Abs(a) >= math.Abs(ringArea2(out[0])) {
			// A hole covering all that is left of the exterior (the tile
			// lies inside the hole): nothing to draw.
			return nil
		}
		if (i == 0) != (a > 0) {
			reverse(r)
		}
		out = append(out, r)
	}
	return out
}

// snapRing floors a (clipped) ring to integer tile coordinates, drops
// consecutive repeats and returns a closed ring, or nil when degenerate.
func snapRing(r orb.Ring) orb.Ring {
	out := make(orb.Ring, 0, len(r)+1)
	for _, p := range r {
		q := orb.Point{math.Floor(p[0] + 0.5), math.Floor(p[1] + 0.5)}
		if n := len(out); n > 0 && out[n-1] == q {
			continue
		}
		out = append(out, q)
	}
	for len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	if len(out) < 3 || ringArea2(out) == 0 {
		return nil
	}
	return append(out, out[0])
}

// ringArea2 is twice the signed area of a ring by the surveyor's formula
// (positive: clockwise on screen, y down).
func ringArea2(r orb.Ring) float64 {
	var s float64
	n := len(r)
	for i := 0; i < n; i++ {
		a, b := r[i], r[(i+1)%n]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s
}

func reverse(r orb.Ring) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

// cellRing returns an H3 cell's boundary in world coordinates (closed).
func cellRing(c uint64) orb.Ring {
	b := h3.CellToBoundary(h3.Cell(c))
	r := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		x, y := worldXYf(ll.Lng, ll.Lat)
		r = append(r, orb.Point{x, y})
	}
	return append(r, r[0])
}

// ringBox is the world box of a ring.
func ringBox(r orb.Ring) wbox {
	b := wbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range r {
		b.x0, b.y0 = math.Min(b.x0, p[0]), math.Min(b.y0, p[1])
		b.x1, b.y1 = math.Max(b.x1, p[0]), math.Max(b.y1, p[1])
	}
	return b
}

// toTile projects a world ring to fractional tile coordinates (a new ring:
// clipping works in place).
func (p tileProj) ring(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, q := range r {
		out[i] = orb.Point{(q[0] - p.ox) * p.scale, (q[1] - p.oy) * p.scale}
	}
	return out
}

// HexResolution is the H3 resolution of the hexagons drawn at zoom z (for
// the hexbins layer and the aggregated requests layer), chosen so that a
// hexagon is about 15-50 pixels across on a 256-pixel tile at Chicago's
// latitude:
//
//	zoom   0-6  7  8-9  10  11-12  13+
//	res      4  5    6   7      8    9
//
// Resolution 9 (data.H3Resolution, the resolution every request is indexed
// at) is the finest.
func HexResolution(z int) int {
	switch {
	case z <= 6:
		return 4
	case z == 7:
		return 5
	case z <= 9:
		return 6
	case z == 10:
		return 7
	case z <= 12:
		return 8
	}
	return 9
}

// cellMargin is a distance in world units, at the latitude of box, that
// exceeds the diameter of any H3 cell of resolution res near it: a cell
// touching box has all its area within box expanded by it.
func cellMargin(box wbox, res int) float64 {
	_, latTop := lonLat(0, math.Max(0, box.y0))
	_, latBot := lonLat(0, math.Min(worldSize, box.y1))
	lat := math.Max(math.Abs(latTop), math.Abs(latBot))
	edge := h3.HexagonEdgeLengthAvgM(res)
	// Cells vary in size by about 2x across the globe; an edge of 3x the
	// average covers the diameter (2 edges) with room to spare.
	return 3 * edge / metresPerWorldUnit(math.Min(lat, 85))
}
