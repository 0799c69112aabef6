package geo

import (
	"math"
	"slices"
	"strings"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// DeriveSectors dissolves Chicago police beats into police sectors: a beat
// id DDSB (district, sector, beat) belongs to sector DDS. Ids shorter than
// four characters are skipped. Each sector is the union of its beats, made
// by cancelling shared edges (see Dissolve); its properties list the member
// beats ("beats") and the method used ("dissolve": "edges" or "members").
// The result is sorted by id, with Layer data.LayerSector.
func DeriveSectors(beats []data.Area) []data.Area {
	groups := map[string][]int{}
	var ids []string
	for i, b := range beats {
		if len(b.ID) < sectorPrefix+1 {
			continue
		}
		id := b.ID[:sectorPrefix]
		if _, ok := groups[id]; !ok {
			ids = append(ids, id)
		}
		groups[id] = append(groups[id], i)
	}
	slices.Sort(ids)
	out := make([]data.Area, 0, len(ids))
	for _, id := range ids {
		var polys []orb.Polygon
		var members []string
		for _, i := range groups[id] {
			polys = append(polys, beats[i].Geometry...)
			members = append(members, beats[i].ID)
		}
		slices.Sort(members)
		mp, dissolved := Dissolve(polys)
		method := "edges"
		if !dissolved {
			method = "members"
		}
		out = append(out, data.Area{
			Layer: data.LayerSector,
			ID:    id,
			Properties: map[string]string{
				"district": id[:2], "sector": id[2:], "beats": strings.Join(members, ","), "dissolve": method,
			},
			Geometry: mp,
		})
	}
	return out
}

// Dissolve returns the union of polygons that tile a region without
// overlapping (neighbouring areas of one layer). It orients every ring
// (outer counter-clockwise, holes clockwise), splits edges at vertices of
// other members lying exactly on them (T-junctions), cancels every pair of
// opposite edges (a shared boundary, where vertices coincide exactly),
// chains the remaining edges into rings (at a vertex with several ways out,
// the sharpest left turn, which keeps rings that touch at a point apart) and
// assigns holes to the smallest outer ring covering them.
//
// If the result is not sound (a ring that does not close, a hole outside
// every outer ring, or a total area differing from the members' by more
// than one part in a million) it falls back to the members themselves as a
// MultiPolygon, and dissolved is false. Areas are compared in square
// degrees. Boundaries that nearly but not exactly coincide are not snapped:
// they leave the members' edges in place (a sliver), which the area check
// accepts as long as the slivers are tiny. Overlapping members share no edge
// and come back as separate polygons: dissolving assumes a partition.
func Dissolve(polys []orb.Polygon) (mp orb.MultiPolygon, dissolved bool) {
	fallback := func() (orb.MultiPolygon, bool) {
		out := make(orb.MultiPolygon, 0, len(polys))
		for _, p := range polys {
			out = append(out, p.Clone())
		}
		return out, false
	}
	if len(polys) == 0 {
		return nil, false
	}
	var want float64
	var rings [][]orb.Point
	for _, p := range polys {
		want += polygonArea(p)
		for ri, r := range p {
			pts := openRing(r)
			if len(pts) < 3 {
				continue
			}
			a := ringArea(orb.Ring(append(slices.Clone(pts), pts[0])))
			if (ri == 0) != (a > 0) {
				slices.Reverse(pts)
			}
			rings = append(rings, pts)
		}
	}
	// Vertices sorted by x for the T-junction search.
	var verts []orb.Point
	for _, r := range rings {
		verts = append(verts, r...)
	}
	slices.SortFunc(verts, func(a, b orb.Point) int {
		if a[0] != b[0] {
			return cmpFloat(a[0], b[0])
		}
		return cmpFloat(a[1], b[1])
	})
	verts = slices.Compact(verts)
	type edge struct{ a, b orb.Point }
	var edges []edge
	var on []orb.Point
	for _, r := range rings {
		for i := range r {
			a, b := r[i], r[(i+1)%len(r)]
			// Vertices strictly inside the segment, ordered along it.
			on = on[:0]
			lo, hi := math.Min(a[0], b[0]), math.Max(a[0], b[0])
			ylo, yhi := math.Min(a[1], b[1]), math.Max(a[1], b[1])
			k, _ := slices.BinarySearchFunc(verts, lo, func(p orb.Point, x float64) int { return cmpFloat(p[0], x) })
			for ; k < len(verts) && verts[k][0] <= hi; k++ {
				v := verts[k]
				if v[1] < ylo || v[1] > yhi || v == a || v == b {
					continue
				}
				if orient(a[0], a[1], b[0], b[1], v[0], v[1]) == 0 {
					on = append(on, v)
				}
			}
			if len(on) > 0 {
				slices.SortFunc(on, func(p, q orb.Point) int {
					return cmpFloat(sqDist(a, p), sqDist(a, q))
				})
				prev := a
				for _, v := range on {
					edges = append(edges, edge{prev, v})
					prev = v
				}
				edges = append(edges, edge{prev, b})
			} else {
				edges = append(edges, edge{a, b})
			}
		}
	}
	// Cancel opposite pairs.
	count := make(map[edge]int, len(edges))
	for _, e := range edges {
		count[e]++
	}
	var rest []edge
	for _, e := range edges {
		rev := edge{e.b, e.a}
		if count[e] > 0 && count[rev] > 0 {
			count[e]--
			count[rev]--
			continue
		}
		if count[e] > 0 {
			count[e]--
			rest = append(rest, e)
		}
	}
	// Chain into rings.
	out := map[orb.Point][]int{}
	for i, e := range rest {
		out[e.a] = append(out[e.a], i)
	}
	used := make([]bool, len(rest))
	var outers []orb.Ring
	var holes []orb.Ring
	for i := range rest {
		if used[i] {
			continue
		}
		ring := orb.Ring{rest[i].a}
		used[i] = true
		cur := i
		for rest[cur].b != ring[0] {
			v := rest[cur].b
			ring = append(ring, v)
			dx, dy := v[0]-rest[cur].a[0], v[1]-rest[cur].a[1]
			next, best := -1, math.Inf(-1)
			for _, k := range out[v] {
				if used[k] {
					continue
				}
				ox, oy := rest[k].b[0]-v[0], rest[k].b[1]-v[1]
				if t := math.Atan2(dx*oy-dy*ox, dx*ox+dy*oy); t > best {
					next, best = k, t
				}
			}
			if next < 0 {
				return fallback() // the ring does not close
			}
			used[next] = true
			cur = next
		}
		ring = append(ring, ring[0])
		switch a := ringArea(ring); {
		case len(ring) < 4 || a == 0:
			// a zero-area remnant (two copies of one edge): nothing to keep
		case a > 0:
			outers = append(outers, ring)
		default:
			holes = append(holes, ring)
		}
	}
	if len(outers) == 0 {
		return fallback()
	}
	slices.SortStableFunc(outers, func(a, b orb.Ring) int { return cmpFloat(ringArea(a), ringArea(b)) })
	res := make(orb.MultiPolygon, len(outers))
	outerEdges := make([][]float64, len(outers))
	for i, o := range outers {
		res[i] = orb.Polygon{o}
		outerEdges[i] = flatRing(nil, o)
	}
	for _, h := range holes {
		placed := false
		for i := range outers {
			if coverEdges(outerEdges[i], false, h[0][0], h[0][1]) && coverEdges(outerEdges[i], false, h[len(h)/2][0], h[len(h)/2][1]) {
				res[i] = append(res[i], h)
				placed = true
				break
			}
		}
		if !placed {
			return fallback()
		}
	}
	got := multiPolygonArea(res)
	if math.Abs(got-want) > 1e-6*math.Abs(want) {
		return fallback()
	}
	// Largest polygon first, the order the member files usually use.
	slices.Reverse(res)
	return res, true
}

// openRing returns the ring's positions without the closing one and without
// consecutive duplicates.
func openRing(r orb.Ring) []orb.Point {
	pts := make([]orb.Point, 0, len(r))
	for _, p := range r {
		if len(pts) == 0 || pts[len(pts)-1] != p {
			pts = append(pts, p)
		}
	}
	for len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	return pts
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sqDist(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}
