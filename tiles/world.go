package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// World coordinates: Web Mercator scaled to a 2^32 x 2^32 grid, x growing
// east from longitude -180, y growing south from latitude +85.0511 (the
// slippy-map convention). One unit is about 9 mm at the equator, so a point
// keeps sub-unit precision in tile coordinates up to zoom 20 (extent 4096)
// and lands on a multiple of 2^(z-20) units above it (4 units at z22, about
// 2 mm on the ground).

const (
	worldBits = 32
	worldSize = float64(1 << worldBits)
	maxLat    = 85.05112877980659
	// Extent is the MVT extent of every layer geo311 writes.
	Extent = 4096
	// Buffer is the width, in tile units, of the margin around a tile that
	// features are kept and clipped to (so symbols and strokes crossing a
	// tile edge draw seamlessly).
	Buffer = 64
	// MaxZoom is the highest zoom ParseTile accepts.
	MaxZoom = 22

	extentBits = 12 // log2(Extent)
)

// worldXY projects lon/lat to world coordinates (floored to the grid,
// clamped to it).
func worldXY(lon, lat float64) (uint32, uint32) {
	fx, fy := worldXYf(lon, lat)
	return clampWorld(fx), clampWorld(fy)
}

// worldXYf projects lon/lat to fractional world coordinates.
func worldXYf(lon, lat float64) (float64, float64) {
	if lat > maxLat {
		lat = maxLat
	} else if lat < -maxLat {
		lat = -maxLat
	}
	x := (lon + 180) / 360 * worldSize
	s := math.Sin(lat * math.Pi / 180)
	y := (0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * worldSize
	return x, y
}

// lonLat inverts worldXYf.
func lonLat(x, y float64) (float64, float64) {
	lon := x/worldSize*360 - 180
	n := math.Pi - 2*math.Pi*y/worldSize
	lat := 180 / math.Pi * math.Atan(math.Sinh(n))
	return lon, lat
}

func clampWorld(f float64) uint32 {
	if f <= 0 || math.IsNaN(f) {
		return 0
	}
	if f >= worldSize-1 {
		return 1<<worldBits - 1
	}
	return uint32(f)
}

// wbox is a closed rectangle of world coordinates, in float64 so buffers
// may reach past the world's edge.
type wbox struct{ x0, y0, x1, y1 float64 }

func (b wbox) intersects(o wbox) bool {
	return b.x0 <= o.x1 && o.x0 <= b.x1 && b.y0 <= o.y1 && o.y0 <= b.y1
}

func (b wbox) containsXY(x, y float64) bool {
	return x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1
}

// expand grows the box by d world units on every side.
func (b wbox) expand(d float64) wbox {
	return wbox{b.x0 - d, b.y0 - d, b.x1 + d, b.y1 + d}
}

// tileSpan is the width of a tile at zoom z in world units.
func tileSpan(z maptile.Zoom) float64 { return worldSize / float64(uint64(1)<<z) }

// tileBox returns the world box of tile t with a margin of buf tile units
// (of Extent per tile).
func tileBox(t maptile.Tile, buf float64) wbox {
	s := tileSpan(t.Z)
	m := buf / Extent * s
	x0, y0 := float64(t.X)*s, float64(t.Y)*s
	return wbox{x0 - m, y0 - m, x0 + s + m, y0 + s + m}
}

// boundBox converts a lon/lat bound to a world box.
func boundBox(b orb.Bound) wbox {
	x0, y1 := worldXYf(b.Min[0], b.Min[1])
	x1, y0 := worldXYf(b.Max[0], b.Max[1])
	return wbox{x0, y0, x1, y1}
}

// boxBound converts a world box to a lon/lat bound (clamped to the world).
func boxBound(b wbox) orb.Bound {
	c := func(v float64) float64 { return math.Max(0, math.Min(worldSize, v)) }
	lon0, lat0 := lonLat(c(b.x0), c(b.y1))
	lon1, lat1 := lonLat(c(b.x1), c(b.y0))
	return orb.Bound{Min: orb.Point{lon0, lat0}, Max: orb.Point{lon1, lat1}}
}

// tileProj maps world coordinates to the tile coordinates of one tile:
// (w - origin) * scale, floored like orb's own projection.
type tileProj struct {
	ox, oy, scale float64
}

func newTileProj(t maptile.Tile) tileProj {
	s := tileSpan(t.Z)
	return tileProj{ox: float64(t.X) * s, oy: float64(t.Y) * s, scale: Extent / s}
}

func (p tileProj) point(x, y float64) orb.Point {
	return orb.Point{math.Floor((x - p.ox) * p.scale), math.Floor((y - p.oy) * p.scale)}
}

// metresPerWorldUnit returns the ground size of a world unit at latitude lat.
func metresPerWorldUnit(lat float64) float64 {
	const earthCircumference = 40075016.686
	return earthCircumference * math.Cos(lat*math.Pi/180) / worldSize
}

// interleave spreads the bits of x and y into a 64-bit Morton (Z-order)
// code, y bits odd, x bits even. Records sorted by it put every quadtree
// cell (so every map tile) in one contiguous run.
func interleave(x, y uint32) uint64 {
	return spread(x) | spread(y)<<1
}

func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// mrange is a half-open range of Morton codes [lo, hi), hi == 0 meaning 2^64.
type mrange struct{ lo, hi uint64 }

// coverRanges returns Morton ranges whose union holds every grid point of
// the closed integer box [x0,x1]x[y0,y1], descending the quadtree no deeper
// than maxLevel (cells at maxLevel that straddle the box are returned whole,
// so callers still test each point). Adjacent ranges are merged.
func coverRanges(x0, y0, x1, y1 uint32, maxLevel int, out []mrange) []mrange {
	if maxLevel > worldBits {
		maxLevel = worldBits
	}
	var rec func(level int, cx, cy uint64)
	rec = func(level int, cx, cy uint64) {
		shift := uint(worldBits - level)
		minX, minY := cx<<shift, cy<<shift
		maxX, maxY := minX+(1<<shift)-1, minY+(1<<shift)-1
		if maxX < uint64(x0) || minX > uint64(x1) || maxY < uint64(y0) || minY > uint64(y1) {
			return
		}
		inside := minX >= uint64(x0) && maxX <= uint64(x1) && minY >= uint64(y0) && maxY <= uint64(y1)
		if inside || level == maxLevel {
			lo := interleave(uint32(minX), uint32(minY))
			var hi uint64
			if 2*shift < 64 {
				hi = lo + 1<<(2*shift)
			}
			if n := len(out); n > 0 && out[n-1].hi == lo && lo != 0 {
				out[n-1].hi = hi
			} else {
				out = append(out, mrange{lo, hi})
			}
			return
		}
		// Children in Morton order: (0,0), (1,0), (0,1), (1,1).
		rec(level+1, cx*2, cy*2)
		rec(level+1, cx*2+1, cy*2)
		rec(level+1, cx*2, cy*2+1)
		rec(level+1, cx*2+1, cy*2+1)
	}
	rec(0, 0, 0)
	return out
}

// intBox converts a world box to the clamped closed integer box, reporting
// false if it lies wholly outside the world.
func intBox(b wbox) (x0, y0, x1, y1 uint32, ok bool) {
	if b.x1 < 0 || b.y1 < 0 || b.x0 >= worldSize || b.y0 >= worldSize {
		return 0, 0, 0, 0, false
	}
	return clampWorld(math.Ceil(b.x0)), clampWorld(math.Ceil(b.y0)), clampWorld(b.x1), clampWorld(b.y1), true
}
