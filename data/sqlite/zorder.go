package sqlite

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// The point index (migration 0006): requests.zkey is the Z-order (Morton)
// code of the request's point, lon and lat each quantized to 31 bits over
// the whole globe (about 2 cm by 1 cm), bits interleaved, so a quadtree
// cell is one contiguous run of keys and requests_zkey, a plain B-tree
// index, answers a box as a few key ranges. zRanges covers a box with at
// most zBudget cells, so a query seeks at most that many ranges whatever
// the box's size; the cells overlap the box's edges, so the exact lon/lat
// test follows. It replaced an R*Tree, whose per-row inserts were a fifth
// of an import.

const (
	zBits = 31
	zMax  = 1<<zBits - 1
	// zBudget is the most cells (index ranges) a box is covered with:
	// refining stops before the next level would need more. The cells on
	// the box's edge at that level are a band about an eighth of the box
	// wide, so a query reads at most about twice the rows inside the box.
	zBudget = 32
)

// zQuant maps v in [lo, lo+span] to a cell coordinate, clamping outside
// values to the edges (monotone, so a box's points stay inside its
// quantized box).
func zQuant(v, lo, span float64) uint32 {
	q := math.Floor((v - lo) / span * (1 << zBits))
	switch {
	case !(q >= 0): // also NaN
		return 0
	case q > zMax:
		return zMax
	}
	return uint32(q)
}

// spread moves the low 31 bits of v to the even bit positions.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

func morton(x, y uint32) int64 { return int64(spread(x) | spread(y)<<1) }

// zKey is the stored zkey of a point (62 bits, never negative).
func zKey(lon, lat float64) int64 {
	return morton(zQuant(lon, -180, 360), zQuant(lat, -90, 180))
}

// zCell is a quadtree cell: its lower corner (x, y) and side, a power of 2.
type zCell struct{ x, y, side uint32 }

// zRanges returns the sorted, disjoint key ranges (inclusive) of at most
// zBudget cells covering the box; none if the box is empty.
func zRanges(minLon, minLat, maxLon, maxLat float64) [][2]int64 {
	if !(minLon <= maxLon && minLat <= maxLat) {
		return nil
	}
	x0, x1 := zQuant(minLon, -180, 360), zQuant(maxLon, -180, 360)
	y0, y1 := zQuant(minLat, -90, 180), zQuant(maxLat, -90, 180)
	inside := func(c zCell) bool {
		return c.x >= x0 && c.x+c.side-1 <= x1 && c.y >= y0 && c.y+c.side-1 <= y1
	}
	meets := func(c zCell) bool {
		return c.x <= x1 && c.x+c.side-1 >= x0 && c.y <= y1 && c.y+c.side-1 >= y0
	}
	// Start from the smallest cell holding the box, refine level by level.
	side := uint32(1) << zBits
	for side > 1 && x0/(side/2) == x1/(side/2) && y0/(side/2) == y1/(side/2) {
		side /= 2
	}
	var full []zCell
	edge := []zCell{{x0 / side * side, y0 / side * side, side}}
	if inside(edge[0]) {
		full, edge = edge, nil
	}
	for side > 1 && len(edge) > 0 {
		half := side / 2
		var nextFull, nextEdge []zCell
		for _, c := range edge {
			for _, k := range [4]zCell{{c.x, c.y, half}, {c.x + half, c.y, half}, {c.x, c.y + half, half}, {c.x + half, c.y + half, half}} {
				switch {
				case inside(k):
					nextFull = append(nextFull, k)
				case meets(k):
					nextEdge = append(nextEdge, k)
				}
			}
		}
		if len(full)+len(nextFull)+len(nextEdge) > zBudget {
			break
		}
		full, edge, side = append(full, nextFull...), nextEdge, half
	}
	rs := make([][2]int64, 0, len(full)+len(edge))
	for _, c := range append(full, edge...) {
		lo := morton(c.x, c.y)
		rs = append(rs, [2]int64{lo, lo + int64(c.side)*int64(c.side) - 1})
	}
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	out := rs[:1]
	for _, r := range rs[1:] {
		if last := &out[len(out)-1]; r[0] == last[1]+1 {
			last[1] = r[1]
		} else {
			out = append(out, r)
		}
	}
	return out
}

// zRangesJSON writes ranges as a JSON array of [lo, hi] pairs, what the
// filter's json_each reads; an empty list matches nothing.
func zRangesJSON(rs [][2]int64) string {
	b := make([]byte, 0, 2+len(rs)*42)
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, r[0], 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, r[1], 10)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}
