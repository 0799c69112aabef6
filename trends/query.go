package trends

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	h3 "github.com/uber/h3-go/v4"
)

// Area restricts a query in space. Every filter given must hold; an empty
// Area is everywhere. Filters are applied to the cube's finest cells (their
// centres for BBox and Polygon; their ancestry for Cells), and the counts of
// the cells that pass are then rolled up to the answer's resolution.
type Area struct {
	// BBox keeps cells whose centre lies in the bound (lon/lat).
	BBox *orb.Bound `json:"bbox,omitempty"`
	// Cells keeps cells equal to or inside one of the listed H3 cells (of any
	// resolution up to the cube's finest): a beat or district turned into
	// cells by the caller, or a clicked hexagon.
	Cells []uint64 `json:"cells,omitempty"`
	// Polygon keeps cells whose centre lies inside it: an orb.Polygon or
	// orb.MultiPolygon (lon/lat), such as a district's geometry.
	Polygon orb.Geometry `json:"-"`
}

func (a Area) empty() bool { return a.BBox == nil && len(a.Cells) == 0 && a.Polygon == nil }

// maskLocked returns which finest cells pass the area (nil: all).
func (c *Cube) maskLocked(a Area) ([]bool, error) {
	if a.empty() {
		return nil, nil
	}
	var poly *polyIndex
	if a.Polygon != nil {
		var err error
		if poly, err = newPolyIndex(a.Polygon); err != nil {
			return nil, err
		}
	}
	var byRes map[int]map[uint64]bool
	if len(a.Cells) > 0 {
		byRes = map[int]map[uint64]bool{}
		for _, cell := range a.Cells {
			if !h3.Cell(cell).IsValid() {
				return nil, data.Invalid("cells", "%x is not an H3 cell", cell)
			}
			r := cellRes(cell)
			if r > c.maxRes {
				return nil, data.Invalid("cells", "cell %s has resolution %d, finer than the cube's %d", Cell(cell), r, c.maxRes)
			}
			if byRes[r] == nil {
				byRes[r] = map[uint64]bool{}
			}
			byRes[r][cell] = true
		}
	}
	finest := c.cells[len(c.cells)-1]
	mask := make([]bool, len(finest))
	parallel(len(finest), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := c.centers[i]
			if a.BBox != nil && !a.BBox.Contains(p) {
				continue
			}
			if poly != nil && !poly.contains(p) {
				continue
			}
			if byRes != nil {
				in := false
				for r, set := range byRes {
					if set[cellParent(finest[i], r)] {
						in = true
						break
					}
				}
				if !in {
					continue
				}
			}
			mask[i] = true
		}
	})
	return mask, nil
}

// polyIndex answers point-in-polygon for a (multi)polygon with
// pre-flattened rings and per-polygon bounds (even-odd rule over a
// polygon's outer ring and holes).
type polyIndex struct {
	bound orb.Bound
	polys []polyRings
}

type polyRings struct {
	bound orb.Bound
	rings []orb.Ring
}

func newPolyIndex(g orb.Geometry) (*polyIndex, error) {
	var mp orb.MultiPolygon
	switch v := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		mp = v
	default:
		return nil, data.Invalid("polygon", "a %T is not a Polygon or MultiPolygon", g)
	}
	ix := &polyIndex{}
	first := true
	for _, p := range mp {
		if len(p) == 0 || len(p[0]) < 4 {
			return nil, data.Invalid("polygon", "a polygon needs an outer ring of at least 4 points")
		}
		b := p.Bound()
		ix.polys = append(ix.polys, polyRings{b, p})
		if first {
			ix.bound, first = b, false
		} else {
			ix.bound = ix.bound.Union(b)
		}
	}
	if first {
		return nil, data.Invalid("polygon", "the polygon is empty")
	}
	return ix, nil
}

func (ix *polyIndex) contains(pt orb.Point) bool {
	if !ix.bound.Contains(pt) {
		return false
	}
	for i := range ix.polys {
		p := &ix.polys[i]
		if !p.bound.Contains(pt) {
			continue
		}
		in := false
		for _, ring := range p.rings {
			if ringCrossings(ring, pt) {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}

// ringCrossings reports whether a ray from pt eastwards crosses the ring an
// odd number of times.
func ringCrossings(ring orb.Ring, pt orb.Point) bool {
	x, y := pt[0], pt[1]
	in := false
	n := len(ring)
	j := n - 1
	for i := 0; i < n; i++ {
		yi, yj := ring[i][1], ring[j][1]
		if (yi > y) != (yj > y) {
			xi, xj := ring[i][0], ring[j][0]
			if x < xi+(y-yi)*(xj-xi)/(yj-yi) {
				in = !in
			}
		}
		j = i
	}
	return in
}

// ResolutionForZoom maps a web-map zoom level to an H3 resolution, so that
// hexagons draw about 20 to 60 pixels across at Chicago's latitude (256-pixel
// tiles): zoom below 12 gives resolution 7 (edge about 1.2 km), [12,13) gives
// 8 (460 m), [13,14) gives 9 (174 m) and 14 or more gives 10 (66 m).
func ResolutionForZoom(zoom float64) int {
	switch {
	case zoom < 12:
		return 7
	case zoom < 13:
		return 8
	case zoom < 14:
		return 9
	}
	return 10
}

// filter is the non-spatial part of a query.
type filter struct {
	typeOK []bool // by type id; nil: every type
	// keys in [lo, hi) have the wanted event and duplicate flags.
	lo, hi uint64
}

func (f *filter) keep(key uint64) bool {
	return key >= f.lo && key < f.hi && (f.typeOK == nil || f.typeOK[keyType(key)])
}

// run returns the part of a block's sorted keys with the wanted flags.
func (f *filter) run(keys []uint64) (int, int) {
	a, _ := slices.BinarySearch(keys, f.lo)
	b, _ := slices.BinarySearch(keys[a:], f.hi)
	return a, a + b
}

func (c *Cube) filterLocked(types []string, ev Event, dups bool) (filter, error) {
	var f filter
	if ev != Opened && ev != Closed {
		return f, data.Invalid("event", "unknown event %d", ev)
	}
	f.lo = packKey(uint8(ev)<<1, 0, 0)
	f.hi = packKey(uint8(ev)<<1+1, 0, 0)
	if dups {
		f.hi = packKey(uint8(ev)<<1+2, 0, 0)
	}
	if len(types) > 0 {
		f.typeOK = make([]bool, len(c.types))
		for _, t := range types {
			if id, ok := c.typeIDs[t]; ok {
				f.typeOK[id] = true
			}
		}
	}
	return f, nil
}

// dayRange turns a window [from, to) into local day numbers lo..hi
// (inclusive) clipped to the cube's days; ok is false if nothing is left.
// The cube counts whole local days, so a window is widened to the days it
// touches (exact when from and to are local midnights).
func (c *Cube) dayRangeLocked(from, to time.Time) (lo, hi int32, ok bool, err error) {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return 0, 0, false, data.Invalid("from", "from (%s) must be before to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	lo, hi = math.MinInt32, math.MaxInt32
	if !from.IsZero() {
		lo = dayOf(from, c.loc)
	}
	if !to.IsZero() {
		hi = dayOf(to.Add(-time.Nanosecond), c.loc)
	}
	if len(c.days) == 0 {
		return lo, hi, false, nil
	}
	lo = max(lo, c.base)
	hi = min(hi, c.base+int32(len(c.days))-1)
	return lo, hi, lo <= hi, nil
}

// HeatmapQuery asks for counts per cell.
type HeatmapQuery struct {
	Area
	// From, To: the window [From, To); zero means unbounded.
	From, To time.Time
	// Types: service codes; empty means every type.
	Types []string
	Event Event
	// Duplicates counts duplicates too; by default a duplicate's primary is
	// counted once and the duplicate not at all.
	Duplicates bool
	// Resolution of the answer; when 0, derived from Zoom with
	// ResolutionForZoom (clamped to the cube's resolutions).
	Resolution int
	Zoom       float64
}

// CellCount is a cell and its count.
type CellCount struct {
	Cell  Cell  `json:"cell"`
	Count int64 `json:"count"`
}

func (c *Cube) resolution(res int, zoom float64) (int, error) {
	if res == 0 {
		if zoom <= 0 || zoom > 30 || math.IsNaN(zoom) {
			return 0, data.Invalid("resolution", "give a resolution (%d-%d) or a zoom level", c.minRes, c.maxRes)
		}
		return min(max(ResolutionForZoom(zoom), c.minRes), c.maxRes), nil
	}
	if res < c.minRes || res > c.maxRes {
		return 0, data.Invalid("resolution", "resolution %d is outside %d-%d", res, c.minRes, c.maxRes)
	}
	return res, nil
}

// Heatmap counts requests per cell at the query's resolution, sorted by
// cell. Cells with no count are left out.
func (c *Cube) Heatmap(q HeatmapQuery) ([]CellCount, error) {
	res, err := c.resolution(q.Resolution, q.Zoom)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	f, err := c.filterLocked(q.Types, q.Event, q.Duplicates)
	if err != nil {
		return nil, err
	}
	lo, hi, ok, err := c.dayRangeLocked(q.From, q.To)
	if err != nil || !ok {
		return []CellCount{}, err
	}
	mask, err := c.maskLocked(q.Area)
	if err != nil {
		return nil, err
	}
	k := res - c.minRes
	pm := c.parent[k] // nil at the finest resolution
	ncell := len(c.cells[k])
	span := int(hi-lo) + 1
	var mu sync.Mutex
	acc := make([]int64, ncell)
	parallel(span, func(a, b int) {
		local := make([]int64, ncell)
		for d := a; d < b; d++ {
			blk := &c.days[int(lo-c.base)+d]
			a, b := f.run(blk.keys)
			keys, counts := blk.keys[a:b], blk.counts[a:b]
			for i, key := range keys {
				if f.typeOK != nil && !f.typeOK[keyType(key)] {
					continue
				}
				fid := keyCell(key)
				if mask != nil && !mask[fid] {
					continue
				}
				if pm != nil {
					fid = pm[fid]
				}
				local[fid] += int64(counts[i])
			}
		}
		mu.Lock()
		for i, v := range local {
			acc[i] += v
		}
		mu.Unlock()
	})
	for dk, n := range c.delta {
		if dk.day < lo || dk.day > hi {
			continue
		}
		if !f.keep(dk.key) {
			continue
		}
		fid := keyCell(dk.key)
		if mask != nil && !mask[fid] {
			continue
		}
		if pm != nil {
			fid = pm[fid]
		}
		acc[fid] += int64(n)
	}
	n := 0
	for _, v := range acc {
		if v != 0 {
			n++
		}
	}
	out := make([]CellCount, 0, n)
	for _, id := range c.sortedIDsLocked(k) {
		if v := acc[id]; v != 0 {
			out = append(out, CellCount{Cell(c.cells[k][id]), v})
		}
	}
	return out, nil
}

// scanLocked calls fn for every entry of days lo..hi passing f and mask.
func (c *Cube) scanLocked(lo, hi int32, f filter, mask []bool, fn func(day int32, fid uint32, n int32)) {
	visit := func(day int32, key uint64, n int32) {
		if !f.keep(key) {
			return
		}
		fid := keyCell(key)
		if mask != nil && !mask[fid] {
			return
		}
		fn(day, fid, n)
	}
	for d := lo; d <= hi; d++ {
		blk := &c.days[d-c.base]
		a, b := f.run(blk.keys)
		for i := a; i < b; i++ {
			visit(d, blk.keys[i], blk.counts[i])
		}
	}
	for dk, n := range c.delta {
		if dk.day >= lo && dk.day <= hi {
			visit(dk.day, dk.key, n)
		}
	}
}
