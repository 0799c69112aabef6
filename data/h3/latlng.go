package h3

import "math"

// This file is the port of H3's latLngToCell (h3_latLng.c, h3_faceijk.c,
// h3_coordijk.c, h3_h3Index.c) and cellToParent, checked cell for cell
// against h3-go in h3_test.go. The C library evaluates a few constants in
// long double; the port uses float64, so a point within about 1e-15 relative
// distance of a cell edge could in principle fall in the neighbouring cell
// (none did in the tests' random points).

type baseCellRot struct{ baseCell, ccwRot60 int8 }

type baseCellDatum struct {
	face, i, j, k        int8
	isPentagon           int8
	cwOffset0, cwOffset1 int8
}

const (
	h3ResOffset  = 52
	h3BCOffset   = 45
	h3ModeOffset = 59
	h3ResMask    = uint64(15) << h3ResOffset
	// h3Init is an index with every digit set to 7 (unused).
	h3Init uint64 = 35184372088831

	mAp7RotRads   = 0.333473172251832115336090755351601070065900389
	res0UGnomonic = 0.38196601125010500003
	mSqrt7        = 2.6457513110645905905016157536392604257102
	mSin60        = 0.8660254037844386467637231707529361834714
	h3Epsilon     = 0.0000000000000001
	degsToRads    = math.Pi / 180.0

	kAxesDigit = 1
)

type coordIJK struct{ i, j, k int }

// latLngToCell returns the H3 cell of a point (degrees) at res, or 0 for
// non-finite input or a resolution outside 0..15.
func latLngToCell(latDeg, lngDeg float64, res int) uint64 {
	if res < 0 || res > 15 || math.IsNaN(latDeg) || math.IsNaN(lngDeg) ||
		math.IsInf(latDeg, 0) || math.IsInf(lngDeg, 0) {
		return 0
	}
	lat, lng := degsToRads*latDeg, degsToRads*lngDeg
	face, x, y := geoToHex2d(lat, lng, res)
	c := hex2dToCoordIJK(x, y)
	return faceIjkToH3(face, c, res)
}

func posAngleRads(rads float64) float64 {
	tmp := rads
	if rads < 0 {
		tmp = rads + 2*math.Pi
	}
	if rads >= 2*math.Pi {
		tmp -= 2 * math.Pi
	}
	return tmp
}

func geoToHex2d(lat, lng float64, res int) (face int, x, y float64) {
	sinLat, cosLat := math.Sincos(lat)
	sinLng, cosLng := math.Sincos(lng)
	vx, vy, vz := cosLng*cosLat, sinLng*cosLat, sinLat
	sqd := 5.0
	for f := 0; f < 20; f++ {
		p := &faceCenterPoint[f]
		dx, dy, dz := p[0]-vx, p[1]-vy, p[2]-vz
		d := dx*dx + dy*dy + dz*dz
		if d < sqd {
			face, sqd = f, d
		}
	}
	r := math.Acos(1 - sqd/2)
	if r < h3Epsilon {
		return face, 0, 0
	}
	fc := &faceCenterGeo[face]
	sinD, cosD := math.Sincos(lng - fc[1])
	sinF, cosF := math.Sincos(fc[0])
	az := math.Atan2(cosLat*sinD, cosF*sinLat-sinF*cosLat*cosD)
	theta := posAngleRads(faceAxesAzRadsCII[face][0] - posAngleRads(az))
	if res%2 == 1 {
		theta = posAngleRads(theta - mAp7RotRads)
	}
	r = math.Tan(r)
	r /= res0UGnomonic
	for i := 0; i < res; i++ {
		r *= mSqrt7
	}
	sinT, cosT := math.Sincos(theta)
	return face, r * cosT, r * sinT
}

func hex2dToCoordIJK(x, y float64) coordIJK {
	var h coordIJK
	a1 := math.Abs(x)
	a2 := math.Abs(y)
	x2 := a2 / mSin60
	x1 := a1 + x2/2.0
	m1 := int(x1)
	m2 := int(x2)
	r1 := x1 - float64(m1)
	r2 := x2 - float64(m2)
	if r1 < 0.5 {
		if r1 < 1.0/3.0 {
			if r2 < (1.0+r1)/2.0 {
				h.i, h.j = m1, m2
			} else {
				h.i, h.j = m1, m2+1
			}
		} else {
			if r2 < 1.0-r1 {
				h.j = m2
			} else {
				h.j = m2 + 1
			}
			if 1.0-r1 <= r2 && r2 < 2.0*r1 {
				h.i = m1 + 1
			} else {
				h.i = m1
			}
		}
	} else {
		if r1 < 2.0/3.0 {
			if r2 < 1.0-r1 {
				h.j = m2
			} else {
				h.j = m2 + 1
			}
			if 2.0*r1-1.0 < r2 && r2 < 1.0-r1 {
				h.i = m1
			} else {
				h.i = m1 + 1
			}
		} else {
			if r2 < r1/2.0 {
				h.i, h.j = m1+1, m2
			} else {
				h.i, h.j = m1+1, m2+1
			}
		}
	}
	if x < 0 {
		if h.j%2 == 0 {
			axisi := h.j / 2
			diff := h.i - axisi
			h.i = h.i - 2*diff
		} else {
			axisi := (h.j + 1) / 2
			diff := h.i - axisi
			h.i = h.i - (2*diff + 1)
		}
	}
	if y < 0 {
		h.i = h.i - (2*h.j+1)/2
		h.j = -h.j
	}
	ijkNormalize(&h)
	return h
}

func ijkNormalize(c *coordIJK) {
	if c.i < 0 {
		c.j -= c.i
		c.k -= c.i
		c.i = 0
	}
	if c.j < 0 {
		c.i -= c.j
		c.k -= c.j
		c.j = 0
	}
	if c.k < 0 {
		c.i -= c.k
		c.j -= c.k
		c.k = 0
	}
	m := min(c.i, c.j, c.k)
	if m > 0 {
		c.i -= m
		c.j -= m
		c.k -= m
	}
}

// lroundDiv7 is C's lroundl(n / 7.0L). n/7 is never exactly halfway between
// two integers, so it is the nearest integer, floor((n+3)/7), computed
// without floating point.
func lroundDiv7(n int) int {
	m := n + 3
	q := m / 7
	if m%7 < 0 {
		q--
	}
	return q
}

// ijDigit maps a unit (or zero) vector in two-axis coordinates (i−k, j−k)
// to its H3 digit; 7 if it is not one.
func ijDigit(da, db int) int {
	if uint(da+1) > 2 || uint(db+1) > 2 {
		return 7
	}
	return int(ijDigits[(da+1)*3+db+1])
}

// ijDigits: the unit vectors of digits 0-6, (i,j,k) = (0,0,0) (0,0,1)
// (0,1,0) (0,1,1) (1,0,0) (1,0,1) (1,1,0), as (i−k, j−k).
var ijDigits = [9]uint8{
	1, 3, 7, // da = −1: db = −1, 0, 1
	5, 0, 2, // da = 0
	7, 4, 6, // da = 1
}

func cellRes(h uint64) int { return int(h&h3ResMask) >> h3ResOffset }

func cellDigit(h uint64, r int) int { return int(h>>((15-r)*3)) & 7 }

func setCellDigit(h uint64, r, d int) uint64 {
	s := uint((15 - r) * 3)
	return h&^(7<<s) | uint64(d)<<s
}

func leadingNonZeroDigit(h uint64) int {
	for r, res := 1, cellRes(h); r <= res; r++ {
		if d := cellDigit(h, r); d != 0 {
			return d
		}
	}
	return 0
}

var rot60ccw = [8]int{0, 5, 3, 1, 6, 4, 2, 7}
var rot60cw = [8]int{0, 3, 6, 2, 5, 1, 4, 7}

func h3Rotate60ccw(h uint64) uint64 {
	for r, res := 1, cellRes(h); r <= res; r++ {
		h = setCellDigit(h, r, rot60ccw[cellDigit(h, r)])
	}
	return h
}

func h3Rotate60cw(h uint64) uint64 {
	for r, res := 1, cellRes(h); r <= res; r++ {
		h = setCellDigit(h, r, rot60cw[cellDigit(h, r)])
	}
	return h
}

func h3RotatePent60ccw(h uint64) uint64 {
	found := false
	for r, res := 1, cellRes(h); r <= res; r++ {
		h = setCellDigit(h, r, rot60ccw[cellDigit(h, r)])
		if !found && cellDigit(h, r) != 0 {
			found = true
			if leadingNonZeroDigit(h) == kAxesDigit {
				h = h3Rotate60ccw(h)
			}
		}
	}
	return h
}

func faceIjkToH3(face int, c coordIJK, res int) uint64 {
	h := h3Init
	h = h&^(15<<h3ModeOffset) | 1<<h3ModeOffset
	h = h&^h3ResMask | uint64(res)<<h3ResOffset
	if res == 0 {
		if c.i > 2 || c.j > 2 || c.k > 2 {
			return 0
		}
		bc := faceIjkBaseCells[face][c.i][c.j][c.k].baseCell
		return h | uint64(bc)<<h3BCOffset
	}
	// Walk up from res to the base cell in two-axis (i−k, j−k) coordinates,
	// which ijk normalisation does not change, so none is needed inside the
	// loop: C's _upAp7/_upAp7r and _downAp7/_downAp7r rewritten for them.
	a, b := c.i-c.k, c.j-c.k
	for r := res - 1; r >= 0; r-- {
		la, lb := a, b
		var ca, cb int
		if (r+1)%2 == 1 { // Class III child: ccw aperture 7
			a, b = lroundDiv7(3*a-b), lroundDiv7(a+2*b)
			ca, cb = 2*a+b, 3*b-a
		} else { // Class II child: cw aperture 7
			a, b = lroundDiv7(2*a+b), lroundDiv7(3*b-a)
			ca, cb = 3*a-b, a+2*b
		}
		h = setCellDigit(h, r+1, ijDigit(la-ca, lb-cb))
	}
	c = coordIJK{a, b, 0}
	ijkNormalize(&c)
	if c.i > 2 || c.j > 2 || c.k > 2 {
		return 0
	}
	bcr := faceIjkBaseCells[face][c.i][c.j][c.k]
	bc := int(bcr.baseCell)
	h |= uint64(bc) << h3BCOffset
	numRots := int(bcr.ccwRot60)
	if bd := &baseCellData[bc]; bd.isPentagon != 0 {
		if leadingNonZeroDigit(h) == kAxesDigit {
			if int(bd.cwOffset0) == face || int(bd.cwOffset1) == face {
				h = h3Rotate60cw(h)
			} else {
				h = h3Rotate60ccw(h)
			}
		}
		for i := 0; i < numRots; i++ {
			h = h3RotatePent60ccw(h)
		}
	} else {
		for i := 0; i < numRots; i++ {
			h = h3Rotate60ccw(h)
		}
	}
	return h
}

// cellParent returns the parent of cell h at resolution res (res not above
// h's resolution): H3's cellToParent, which is pure bit manipulation.
func cellParent(h uint64, res int) uint64 {
	cr := cellRes(h)
	if res > cr || res < 0 {
		return 0
	}
	h = h&^h3ResMask | uint64(res)<<h3ResOffset
	for r := res + 1; r <= cr; r++ {
		h = setCellDigit(h, r, 7)
	}
	return h
}
