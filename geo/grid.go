package geo

import (
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// grid is the point-in-area structure of one generation of one layer. The
// layer's bounding box is cut into cells (roughly square in metres). A cell
// touched by no boundary edge is uniform: it is covered entirely by one area
// (or by none), stored in the cell word itself. A cell touched by edges is
// mixed: it lists, per candidate area in ascending area order, a short
// pre-flattened list of edges and the parity at the end of a ray cast from
// the query point across the cell and on until a cell side that no edge of
// the area touches (towards +x, or towards +y when that list is shorter).
// The covering test is then an exact crossing count over that list.
//
// A mixed cell's data lies contiguously in arena, so that resolving it costs
// one cache miss: at the cell's offset, the number of entries, then per
// entry its area, its flags (1: covered at the ray's end, 2: ray towards +y,
// edges stored with x and y swapped), its number of edges and the edges as
// ax, ay, bx, by. Small integers are exact in float64.
type grid struct {
	frame
	cells []uint32
	arena []float64
}

// frame is the cell geometry of a grid. All layers of an Index share one
// frame, so that one cell number addresses the same cell in every layer.
type frame struct {
	minX, minY, maxX, maxY float64 // query domain (the cells' extent)
	x0, y0                 float64
	dx, dy                 float64
	invDx, invDy           float64
	nx, ny                 int
}

// cell returns the cell number of (x, y), or -1 outside the frame.
func (f *frame) cell(x, y float64) int {
	if !(x >= f.minX && x <= f.maxX && y >= f.minY && y <= f.maxY) {
		return -1
	}
	cx := int((x - f.x0) * f.invDx)
	if cx >= f.nx {
		cx = f.nx - 1
	}
	cy := int((y - f.y0) * f.invDy)
	if cy >= f.ny {
		cy = f.ny - 1
	}
	return cy*f.nx + cx
}

// newFrame returns a frame over bound with about gridCellsPerEdge cells per
// boundary edge (within gridMinCells..gridMaxCells), cells roughly square on
// the ground.
func newFrame(bound orb.Bound, edges int) frame {
	var f frame
	if edges == 0 || bound.Min[0] > bound.Max[0] {
		f.minX, f.minY, f.maxX, f.maxY = 1, 1, 0, 0 // empty domain: every lookup misses
		f.nx, f.ny, f.dx, f.dy, f.invDx, f.invDy = 1, 1, 1, 1, 1, 1
		return f
	}
	w, h := bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]
	pad := 1e-7 + 1e-6*math.Max(w, h)
	f.x0, f.y0 = bound.Min[0]-pad, bound.Min[1]-pad
	w, h = w+2*pad, h+2*pad
	mx, my := metresPerDegree((bound.Min[1] + bound.Max[1]) / 2)
	target := float64(min(max(gridCellsPerEdge*edges, gridMinCells), gridMaxCells))
	cellM := math.Sqrt(w * mx * h * my / target)
	f.nx = max(1, int(math.Ceil(w*mx/cellM)))
	f.ny = max(1, int(math.Ceil(h*my/cellM)))
	f.dx, f.dy = w/float64(f.nx), h/float64(f.ny)
	f.invDx, f.invDy = 1/f.dx, 1/f.dy
	f.minX, f.minY = f.x0, f.y0
	f.maxX, f.maxY = f.x0+w, f.y0+h
	return f
}

const (
	cellTagShift = 30
	cellMask     = 1<<cellTagShift - 1
	cellEmpty    = 0 << cellTagShift
	cellUniform  = 1 << cellTagShift
	cellMixed    = 2 << cellTagShift
)

// gridMargin pads cell rectangles when edges are assigned to cells, so that
// rounding in the cell computation of a query can never miss an edge.
const gridMargin = 1e-9

// find returns the smallest area index whose closed polygon covers (x, y), or -1.
func (g *grid) find(x, y float64) int {
	c := g.cell(x, y)
	if c < 0 {
		return -1
	}
	return g.resolve(g.cells[c], x, y)
}

// resolve answers find for a point in a cell whose word is v.
func (g *grid) resolve(v uint32, x, y float64) int {
	switch v &^ cellMask {
	case cellEmpty:
		return -1
	case cellUniform:
		return int(v & cellMask)
	}
	a := g.arena[v&cellMask:]
	n := int(a[0])
	p := 1
	for i := 0; i < n; i++ {
		flags, ne := int(a[p+1]), int(a[p+2])
		px, py := x, y
		if flags&2 != 0 {
			px, py = y, x
		}
		if coverEdges(a[p+3:p+3+4*ne], flags&1 != 0, px, py) {
			return int(a[p])
		}
		p += 3 + 4*ne
	}
	return -1
}

// touch loads the first word of a mixed cell's data, so that the caller can
// start the cache misses of several layers before resolving any.
func (g *grid) touch(v uint32) float64 {
	if v&^cellMask != cellMixed {
		return 0
	}
	return g.arena[v&cellMask]
}

// appendAll appends to dst every area covering (x, y), in ascending order.
func (g *grid) appendAll(dst []int, x, y float64) []int {
	c := g.cell(x, y)
	if c < 0 {
		return dst
	}
	v := g.cells[c]
	switch v &^ cellMask {
	case cellEmpty:
		return dst
	case cellUniform:
		return append(dst, int(v&cellMask))
	}
	a := g.arena[v&cellMask:]
	n := int(a[0])
	p := 1
	for i := 0; i < n; i++ {
		flags, ne := int(a[p+1]), int(a[p+2])
		px, py := x, y
		if flags&2 != 0 {
			px, py = y, x
		}
		if coverEdges(a[p+3:p+3+4*ne], flags&1 != 0, px, py) {
			dst = append(dst, int(a[p]))
		}
		p += 3 + 4*ne
	}
	return dst
}

// gridCellsPerEdge sets the grid resolution: about this many cells per
// boundary edge, capped by gridMaxCells. Tuned on Chicago's layers.
const (
	gridCellsPerEdge = 3
	gridMinCells     = 256
	gridMaxCells     = 1 << 19
)

type cellEdge struct {
	cell uint32
	area uint32
	edge uint32
}

// gridEdges flattens the edges of geoms and returns them with their area
// and their bound.
func gridEdges(geoms []orb.MultiPolygon) (edges []float64, edgeArea []uint32, bound orb.Bound) {
	bound = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for ai, mp := range geoms {
		before := len(edges)
		edges = append(edges, flatEdges(mp)...)
		for k := before; k < len(edges); k += 4 {
			edgeArea = append(edgeArea, uint32(ai))
			bound = bound.Extend(orb.Point{edges[k], edges[k+1]})
		}
	}
	return edges, edgeArea, bound
}

// newGrid builds the grid of the given areas (index i = area i) on frame f,
// which must contain them.
func newGrid(geoms []orb.MultiPolygon, f frame) *grid {
	edges, edgeArea, _ := gridEdges(geoms)
	g := &grid{frame: f}
	ne := len(edgeArea)
	if ne == 0 || f.minX > f.maxX {
		g.cells = make([]uint32, f.nx*f.ny)
		return g
	}
	nx, ny := g.nx, g.ny
	g.cells = make([]uint32, nx*ny)

	// Assign edges to the (padded) cells they touch.
	var ce []cellEdge
	for e := 0; e < ne; e++ {
		ax, ay, bx, by := edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3]
		c0 := max(0, int((math.Min(ax, bx)-g.x0-gridMargin)*g.invDx))
		c1 := min(nx-1, int((math.Max(ax, bx)-g.x0+gridMargin)*g.invDx))
		r0 := max(0, int((math.Min(ay, by)-g.y0-gridMargin)*g.invDy))
		r1 := min(ny-1, int((math.Max(ay, by)-g.y0+gridMargin)*g.invDy))
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				x0, y0, x1, y1 := g.cellRect(c, r)
				if clipSegment(ax, ay, bx, by, x0, y0, x1, y1) {
					ce = append(ce, cellEdge{uint32(r*nx + c), edgeArea[e], uint32(e)})
				}
			}
		}
	}
	slices.SortFunc(ce, func(a, b cellEdge) int {
		if a.cell != b.cell {
			return int(a.cell) - int(b.cell)
		}
		if a.area != b.area {
			return int(a.area) - int(b.area)
		}
		return int(a.edge) - int(b.edge)
	})
	cellStart := make([]uint32, nx*ny+1)
	for _, x := range ce {
		cellStart[x.cell+1]++
	}
	for i := 1; i < len(cellStart); i++ {
		cellStart[i] += cellStart[i-1]
	}
	// areaEdges returns the edges of area a in cell (c, r).
	areaEdges := func(c, r int, a uint32, dst []uint32) []uint32 {
		cell := r*nx + c
		lst := ce[cellStart[cell]:cellStart[cell+1]]
		i := sort.Search(len(lst), func(i int) bool { return lst[i].area >= a })
		for ; i < len(lst) && lst[i].area == a; i++ {
			dst = append(dst, lst[i].edge)
		}
		return dst
	}

	// Edges per row band and per column band, for the parity of ray ends
	// and for the uniform cells.
	rowEdges := make([][]uint32, ny)
	colEdges := make([][]uint32, nx)
	for e := 0; e < ne; e++ {
		ax, ay, bx, by := edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3]
		r0 := max(0, int((math.Min(ay, by)-g.y0)*g.invDy))
		r1 := min(ny-1, int((math.Max(ay, by)-g.y0)*g.invDy))
		for r := r0; r <= r1; r++ {
			rowEdges[r] = append(rowEdges[r], uint32(e))
		}
		c0 := max(0, int((math.Min(ax, bx)-g.x0)*g.invDx))
		c1 := min(nx-1, int((math.Max(ax, bx)-g.x0)*g.invDx))
		for c := c0; c <= c1; c++ {
			colEdges[c] = append(colEdges[c], uint32(e))
		}
	}
	// parityAt: is (x, y) inside area a? The ray goes towards +x over the
	// edges of the row band holding y (or towards +y over the column band
	// holding x when vertical). (x, y) must not lie on a boundary.
	var tmp []float64
	parityAt := func(a uint32, x, y float64, vertical bool) bool {
		tmp = tmp[:0]
		var lst []uint32
		if vertical {
			lst = colEdges[min(nx-1, max(0, int((x-g.x0)*g.invDx)))]
		} else {
			lst = rowEdges[min(ny-1, max(0, int((y-g.y0)*g.invDy)))]
		}
		for _, e := range lst {
			if edgeArea[e] != a {
				continue
			}
			if vertical {
				tmp = append(tmp, edges[4*e+1], edges[4*e], edges[4*e+3], edges[4*e+2])
			} else {
				tmp = append(tmp, edges[4*e:4*e+4]...)
			}
		}
		if vertical {
			return coverEdges(tmp, false, y, x)
		}
		return coverEdges(tmp, false, x, y)
	}

	// Uniform cells and full covers: sweep each row's centre line.
	type crossing struct {
		x    float64
		area uint32
	}
	fullCover := map[uint32][]uint32{} // mixed cell -> areas covering it without edges in it
	var xs []crossing
	var insideList []uint32
	insideFlag := make([]bool, len(geoms))
	for r := 0; r < ny; r++ {
		yc := g.y0 + (float64(r)+0.5)*g.dy
		xs = xs[:0]
		for _, e := range rowEdges[r] {
			ax, ay, bx, by := edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3]
			if (ay <= yc) != (by <= yc) {
				xs = append(xs, crossing{ax + (yc-ay)*(bx-ax)/(by-ay), edgeArea[e]})
			}
		}
		slices.SortFunc(xs, func(a, b crossing) int {
			switch {
			case a.x < b.x:
				return -1
			case a.x > b.x:
				return 1
			}
			return int(a.area) - int(b.area)
		})
		for _, a := range insideList {
			insideFlag[a] = false
		}
		insideList = insideList[:0]
		k := 0
		for c := 0; c < nx; c++ {
			xc := g.x0 + (float64(c)+0.5)*g.dx
			for ; k < len(xs) && xs[k].x < xc; k++ {
				a := xs[k].area
				insideFlag[a] = !insideFlag[a]
				if insideFlag[a] {
					insideList = append(insideList, a)
				} else {
					insideList = slices.DeleteFunc(insideList, func(v uint32) bool { return v == a })
				}
			}
			cell := r*nx + c
			if cellStart[cell] != cellStart[cell+1] {
				// Mixed: areas covering the centre but with no edge here
				// cover the whole cell.
				lst := ce[cellStart[cell]:cellStart[cell+1]]
				for _, a := range insideList {
					i := sort.Search(len(lst), func(i int) bool { return lst[i].area >= a })
					if i == len(lst) || lst[i].area != a {
						fullCover[uint32(cell)] = append(fullCover[uint32(cell)], a)
					}
				}
				continue
			}
			switch len(insideList) {
			case 0:
				g.cells[cell] = cellEmpty
			case 1:
				g.cells[cell] = cellUniform | insideList[0]
			default: // overlapping areas: a mixed cell of full covers
				fullCover[uint32(cell)] = append(fullCover[uint32(cell)], insideList...)
			}
		}
	}

	// Mixed cells.
	var buf, hbuf, vbuf []uint32
	addEntry := func(area uint32, es []uint32, parity, swap bool) {
		flags := 0.0
		if parity {
			flags++
		}
		if swap {
			flags += 2
		}
		g.arena = append(g.arena, float64(area), flags, float64(len(es)))
		for _, e := range es {
			if swap {
				g.arena = append(g.arena, edges[4*e+1], edges[4*e], edges[4*e+3], edges[4*e+2])
			} else {
				g.arena = append(g.arena, edges[4*e:4*e+4]...)
			}
		}
	}
	for r := 0; r < ny; r++ {
		for c := 0; c < nx; c++ {
			cell := r*nx + c
			lst := ce[cellStart[cell]:cellStart[cell+1]]
			fc := fullCover[uint32(cell)]
			if len(lst) == 0 && len(fc) == 0 {
				continue
			}
			// Candidate areas in ascending order.
			var areas []uint32
			for i := 0; i < len(lst); i++ {
				if i == 0 || lst[i].area != lst[i-1].area {
					areas = append(areas, lst[i].area)
				}
			}
			areas = append(areas, fc...)
			slices.Sort(areas)
			areas = slices.Compact(areas)
			head := len(g.arena)
			g.cells[cell] = cellMixed | uint32(head)
			g.arena = append(g.arena, float64(len(areas)))
			for _, a := range areas {
				if slices.Contains(fc, a) {
					addEntry(a, nil, true, false)
					continue
				}
				var xStop, yStop float64
				hbuf, xStop = g.chainX(c, r, a, areaEdges, edges, hbuf[:0], buf[:0])
				hPar := false
				if xStop < g.x0+float64(nx)*g.dx {
					hPar = parityAt(a, xStop, g.y0+(float64(r)+0.5)*g.dy, false)
				}
				own := len(areaEdges(c, r, a, buf[:0]))
				if len(hbuf) <= own {
					addEntry(a, hbuf, hPar, false)
					continue
				}
				vbuf, yStop = g.chainY(c, r, a, areaEdges, edges, vbuf[:0], buf[:0])
				if len(vbuf) < len(hbuf) {
					vPar := false
					if yStop < g.y0+float64(ny)*g.dy {
						vPar = parityAt(a, g.x0+(float64(c)+0.5)*g.dx, yStop, true)
					}
					addEntry(a, vbuf, vPar, true)
				} else {
					addEntry(a, hbuf, hPar, false)
				}
			}
		}
	}
	if len(g.arena) > cellMask {
		panic("geo: grid arena exceeds 2^30 words")
	}
	g.arena = slices.Clip(g.arena)
	return g
}

func (g *grid) cellRect(c, r int) (x0, y0, x1, y1 float64) {
	x0 = g.x0 + float64(c)*g.dx - gridMargin
	y0 = g.y0 + float64(r)*g.dy - gridMargin
	x1 = g.x0 + float64(c+1)*g.dx + gridMargin
	y1 = g.y0 + float64(r+1)*g.dy + gridMargin
	return
}

type areaEdgesFunc func(c, r int, a uint32, dst []uint32) []uint32

// chainX collects the edges of area a that a ray from any point of cell
// (c, r) towards +x can meet before the first cell side x = xStop that no
// edge of a touches within the row band. It returns them (deduplicated,
// restricted to the rectangle from the cell's left side to xStop) and xStop.
func (g *grid) chainX(c, r int, a uint32, areaEdges areaEdgesFunc, edges []float64, out, buf []uint32) ([]uint32, float64) {
	_, y0, _, y1 := g.cellRect(c, r)
	xLeft := g.x0 + float64(c)*g.dx - gridMargin
	k := c
	for {
		n0 := len(buf)
		buf = areaEdges(k, r, a, buf)
		xb := g.x0 + float64(k+1)*g.dx
		touched := false
		for _, e := range buf[n0:] {
			if clipSegment(edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3], xb, y0, xb, y1) {
				touched = true
				break
			}
		}
		if !touched || k == g.nx-1 {
			slices.Sort(buf)
			buf = slices.Compact(buf)
			for _, e := range buf {
				if clipSegment(edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3], xLeft, y0, xb, y1) {
					out = append(out, e)
				}
			}
			return out, xb
		}
		k++
	}
}

// chainY is chainX towards +y.
func (g *grid) chainY(c, r int, a uint32, areaEdges areaEdgesFunc, edges []float64, out, buf []uint32) ([]uint32, float64) {
	x0, _, x1, _ := g.cellRect(c, r)
	yLow := g.y0 + float64(r)*g.dy - gridMargin
	k := r
	for {
		n0 := len(buf)
		buf = areaEdges(c, k, a, buf)
		yb := g.y0 + float64(k+1)*g.dy
		touched := false
		for _, e := range buf[n0:] {
			if clipSegment(edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3], x0, yb, x1, yb) {
				touched = true
				break
			}
		}
		if !touched || k == g.ny-1 {
			slices.Sort(buf)
			buf = slices.Compact(buf)
			for _, e := range buf {
				if clipSegment(edges[4*e], edges[4*e+1], edges[4*e+2], edges[4*e+3], x0, yLow, x1, yb) {
					out = append(out, e)
				}
			}
			return out, yb
		}
		k++
	}
}
