package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// coverEdges decides whether the point (px, py) is covered (interior or
// boundary) by the region whose boundary edges are listed in es (flattened
// ax, ay, bx, by quadruples), given the parity of the region at the end of a
// ray cast from the point towards +x: start is true if the ray's end point
// lies inside. es must hold every edge that touches the ray between the point
// and that end point. A point on an edge is covered (closed polygons, like
// PostGIS ST_Covers). Crossings use the half-open rule, orientation signs are
// exact.
func coverEdges(es []float64, start bool, px, py float64) bool {
	inside := start
	for i := 0; i+3 < len(es); i += 4 {
		ax, ay, bx, by := es[i], es[i+1], es[i+2], es[i+3]
		if (ay > py && by > py) || (ay < py && by < py) {
			continue
		}
		// py lies in [min(ay,by), max(ay,by)].
		detl := (ax - px) * (by - py)
		detr := (ay - py) * (bx - px)
		d := detl - detr
		if bound := ccwErrBound * (math.Abs(detl) + math.Abs(detr)); d <= bound && -d <= bound {
			d = orientExact(ax, ay, bx, by, px, py)
		}
		if d == 0 {
			if (px >= ax || px >= bx) && (px <= ax || px <= bx) {
				return true // on the edge
			}
			continue
		}
		if (ay <= py) != (by <= py) && (d > 0) == (by > ay) {
			inside = !inside
		}
	}
	return inside
}

// flatRing appends the edges of a ring (closed or not) to dst as flattened
// quadruples, skipping zero-length edges.
func flatRing(dst []float64, r orb.Ring) []float64 {
	n := len(r)
	if n < 2 {
		return dst
	}
	if r[0] == r[n-1] {
		n--
	}
	for i := 0; i < n; i++ {
		a, b := r[i], r[(i+1)%n]
		if a == b {
			continue
		}
		dst = append(dst, a[0], a[1], b[0], b[1])
	}
	return dst
}

// flatEdges returns every boundary edge of mp flattened.
func flatEdges(mp orb.MultiPolygon) []float64 {
	var es []float64
	for _, p := range mp {
		for _, r := range p {
			es = flatRing(es, r)
		}
	}
	return es
}

// Covers reports whether the closed multipolygon mp covers the point (lon,
// lat): inside or on its boundary (PostGIS ST_Covers). It is exact but walks
// every edge; the Index answers the same question in constant time.
func Covers(mp orb.MultiPolygon, lon, lat float64) bool {
	for _, p := range mp {
		if len(p) == 0 {
			continue
		}
		b := p[0].Bound()
		if lon < b.Min[0] || lon > b.Max[0] || lat < b.Min[1] || lat > b.Max[1] {
			continue
		}
		var es []float64
		for _, r := range p {
			es = flatRing(es, r)
		}
		if coverEdges(es, false, lon, lat) {
			return true
		}
	}
	return false
}

// ringArea returns the signed area of a ring in square degrees (positive when
// counter-clockwise).
func ringArea(r orb.Ring) float64 {
	n := len(r)
	if n < 3 {
		return 0
	}
	var s float64
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < n; i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}

// polygonArea returns the area of a polygon (outer minus holes), square degrees.
func polygonArea(p orb.Polygon) float64 {
	var s float64
	for i, r := range p {
		a := math.Abs(ringArea(r))
		if i == 0 {
			s += a
		} else {
			s -= a
		}
	}
	return s
}

func multiPolygonArea(mp orb.MultiPolygon) float64 {
	var s float64
	for _, p := range mp {
		s += polygonArea(p)
	}
	return s
}

// clipSegment reports whether the segment a-b intersects the closed
// rectangle [x0,x1]x[y0,y1] (Liang-Barsky).
func clipSegment(ax, ay, bx, by, x0, y0, x1, y1 float64) bool {
	if math.Max(ax, bx) < x0 || math.Min(ax, bx) > x1 || math.Max(ay, by) < y0 || math.Min(ay, by) > y1 {
		return false
	}
	t0, t1 := 0.0, 1.0
	dx, dy := bx-ax, by-ay
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			if r > t0 {
				t0 = r
			}
		} else {
			if r < t0 {
				return false
			}
			if r < t1 {
				t1 = r
			}
		}
		return true
	}
	return clip(-dx, ax-x0) && clip(dx, x1-ax) && clip(-dy, ay-y0) && clip(dy, y1-ay)
}

// InteriorPoint returns a point strictly inside mp, away from its boundary:
// the middle of the widest inside run of a horizontal scan line through the
// largest polygon, trying several scan lines and keeping the point farthest
// from any edge. Unlike a centroid it lies inside concave and holed shapes.
// ok is false for an empty or degenerate multipolygon.
func InteriorPoint(mp orb.MultiPolygon) (pt orb.Point, ok bool) {
	best := -1.0
	bi := -1
	for i, p := range mp {
		if a := polygonArea(p); a > best {
			best, bi = a, i
		}
	}
	if bi < 0 || best <= 0 {
		return orb.Point{}, false
	}
	poly := mp[bi]
	var es []float64
	for _, r := range poly {
		es = flatRing(es, r)
	}
	all := flatEdges(mp)
	b := poly[0].Bound()
	const lines = 17
	bestDist := -1.0
	var xs []float64
	for k := 0; k < lines; k++ {
		// Irrational-ish fractions avoid scan lines through grid-aligned vertices.
		f := (float64(k) + 0.5 + 0.1234567) / (lines + 0.25)
		y := b.Min[1] + f*(b.Max[1]-b.Min[1])
		xs = xs[:0]
		for i := 0; i+3 < len(es); i += 4 {
			ax, ay, bx, by := es[i], es[i+1], es[i+2], es[i+3]
			if (ay <= y) != (by <= y) {
				xs = append(xs, ax+(y-ay)*(bx-ax)/(by-ay))
			}
		}
		sort.Float64s(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			x := (xs[i] + xs[i+1]) / 2
			if !coverEdges(es, false, x, y) {
				continue
			}
			d := edgeDistance(all, x, y)
			if d > bestDist {
				bestDist = d
				pt = orb.Point{x, y}
			}
		}
	}
	return pt, bestDist > 0
}

// edgeDistance returns the smallest distance (degrees, planar) from (x, y) to
// any of the flattened edges.
func edgeDistance(es []float64, x, y float64) float64 {
	best := math.Inf(1)
	for i := 0; i+3 < len(es); i += 4 {
		ax, ay, bx, by := es[i], es[i+1], es[i+2], es[i+3]
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l := dx*dx + dy*dy; l > 0 {
			t = ((x-ax)*dx + (y-ay)*dy) / l
			t = math.Max(0, math.Min(1, t))
		}
		ex, ey := ax+t*dx-x, ay+t*dy-y
		if d := math.Hypot(ex, ey); d < best {
			best = d
		}
	}
	return best
}

// metresPerDegree returns the approximate length in metres of one degree of
// longitude and of latitude at latitude lat.
func metresPerDegree(lat float64) (mx, my float64) {
	const r = 6371008.8
	my = r * math.Pi / 180
	mx = my * math.Cos(lat*math.Pi/180)
	return
}
