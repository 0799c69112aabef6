package synth

import (
	"math"

	"github.com/paulmach/orb"
)

// polyIndex answers "is this point inside polygon i" quickly: each polygon's
// edges (outer ring and holes, even-odd rule) are bucketed into horizontal
// bands, so a test looks at the few edges crossing the point's band; a coarse
// grid over all polygons lists the candidates for a point.
type polyIndex struct {
	polys []bandPoly
	// weights: cumulative area weights for sampling a polygon.
	cum []float64
	// grid over the union bound.
	bound      orb.Bound
	gx, gy     int
	cellW      float64
	cellH      float64
	cells      [][]int32
	totalArea  float64
	areaOfPoly []float64
}

type bandPoly struct {
	b      orb.Bound
	y0     float64
	invH   float64
	nbands int
	bands  [][]float64 // per band: x1, y1, x2, y2 per edge
}

func newBandPoly(p orb.Polygon) bandPoly {
	bp := bandPoly{b: p.Bound()}
	edges := 0
	for _, r := range p {
		edges += len(r)
	}
	bp.nbands = max(1, min(512, edges/6))
	h := bp.b.Max[1] - bp.b.Min[1]
	if h <= 0 {
		h = 1e-12
	}
	bp.y0 = bp.b.Min[1]
	bp.invH = float64(bp.nbands) / h
	bp.bands = make([][]float64, bp.nbands)
	for _, r := range p {
		n := len(r)
		for i := 0; i < n; i++ {
			a, c := r[i], r[(i+1)%n]
			if a == c {
				continue
			}
			lo, hi := bp.band(math.Min(a[1], c[1])), bp.band(math.Max(a[1], c[1]))
			for k := lo; k <= hi; k++ {
				bp.bands[k] = append(bp.bands[k], a[0], a[1], c[0], c[1])
			}
		}
	}
	return bp
}

func (bp *bandPoly) band(y float64) int {
	k := int((y - bp.y0) * bp.invH)
	if k < 0 {
		return 0
	}
	if k >= bp.nbands {
		return bp.nbands - 1
	}
	return k
}

// contains is the even-odd crossing test over the edges of the point's band.
func (bp *bandPoly) contains(x, y float64) bool {
	if x < bp.b.Min[0] || x > bp.b.Max[0] || y < bp.b.Min[1] || y > bp.b.Max[1] {
		return false
	}
	e := bp.bands[bp.band(y)]
	in := false
	for i := 0; i+3 < len(e); i += 4 {
		x1, y1, x2, y2 := e[i], e[i+1], e[i+2], e[i+3]
		if (y1 > y) != (y2 > y) && x < (x2-x1)*(y-y1)/(y2-y1)+x1 {
			in = !in
		}
	}
	return in
}

// ringArea is the absolute planar area of a ring in degrees², scaled by the
// cosine of its latitude so it is proportional to ground area.
func ringArea(r orb.Ring) float64 {
	s := 0.0
	lat := 0.0
	n := len(r)
	for i := 0; i < n; i++ {
		a, c := r[i], r[(i+1)%n]
		s += a[0]*c[1] - c[0]*a[1]
		lat += a[1]
	}
	if n == 0 {
		return 0
	}
	return math.Abs(s) / 2 * math.Cos(lat/float64(n)*math.Pi/180)
}

func newPolyIndex(mps []orb.MultiPolygon) *polyIndex {
	ix := &polyIndex{}
	first := true
	for _, mp := range mps {
		for _, p := range mp {
			if len(p) == 0 || len(p[0]) < 3 {
				continue
			}
			a := ringArea(p[0])
			for _, h := range p[1:] {
				a -= ringArea(h)
			}
			if a <= 0 || math.IsNaN(a) {
				continue
			}
			bp := newBandPoly(p)
			ix.polys = append(ix.polys, bp)
			ix.totalArea += a
			ix.areaOfPoly = append(ix.areaOfPoly, a)
			ix.cum = append(ix.cum, ix.totalArea)
			if first {
				ix.bound, first = bp.b, false
			} else {
				ix.bound = ix.bound.Union(bp.b)
			}
		}
	}
	if len(ix.polys) == 0 {
		return ix
	}
	ix.gx, ix.gy = 64, 64
	ix.cellW = (ix.bound.Max[0] - ix.bound.Min[0]) / float64(ix.gx)
	ix.cellH = (ix.bound.Max[1] - ix.bound.Min[1]) / float64(ix.gy)
	if ix.cellW <= 0 {
		ix.cellW = 1e-9
	}
	if ix.cellH <= 0 {
		ix.cellH = 1e-9
	}
	ix.cells = make([][]int32, ix.gx*ix.gy)
	for i, bp := range ix.polys {
		x0, y0 := ix.cell(bp.b.Min[0], bp.b.Min[1])
		x1, y1 := ix.cell(bp.b.Max[0], bp.b.Max[1])
		for cy := y0; cy <= y1; cy++ {
			for cx := x0; cx <= x1; cx++ {
				ix.cells[cy*ix.gx+cx] = append(ix.cells[cy*ix.gx+cx], int32(i))
			}
		}
	}
	return ix
}

func (ix *polyIndex) cell(x, y float64) (int, int) {
	cx := int((x - ix.bound.Min[0]) / ix.cellW)
	cy := int((y - ix.bound.Min[1]) / ix.cellH)
	return max(0, min(ix.gx-1, cx)), max(0, min(ix.gy-1, cy))
}

// inside reports whether the point lies in any polygon.
func (ix *polyIndex) inside(x, y float64) bool {
	if x < ix.bound.Min[0] || x > ix.bound.Max[0] || y < ix.bound.Min[1] || y > ix.bound.Max[1] {
		return false
	}
	cx, cy := ix.cell(x, y)
	for _, i := range ix.cells[cy*ix.gx+cx] {
		if ix.polys[i].contains(x, y) {
			return true
		}
	}
	return false
}

// sample returns a point uniformly distributed over the polygons' ground
// area: a polygon chosen by area, then rejection inside its bound. u01 draws
// uniform numbers in [0, 1).
func (ix *polyIndex) sample(u01 func() float64) (x, y float64, ok bool) {
	t := u01() * ix.totalArea
	lo, hi := 0, len(ix.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if ix.cum[mid] > t {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	bp := &ix.polys[lo]
	for try := 0; try < 100000; try++ {
		x = bp.b.Min[0] + u01()*(bp.b.Max[0]-bp.b.Min[0])
		y = bp.b.Min[1] + u01()*(bp.b.Max[1]-bp.b.Min[1])
		if bp.contains(x, y) {
			return x, y, true
		}
	}
	return 0, 0, false
}
