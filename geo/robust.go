package geo

import "math"

// ccwErrBound is Shewchuk's error bound for the floating-point evaluation of
// the 2D orientation determinant: if |det| exceeds it times the sum of the
// magnitudes of the two products, the sign of det is certainly right.
const ccwErrBound = (3.0 + 16.0*epsilon) * epsilon

const epsilon = 1.0 / (1 << 53)

// orient returns a positive value if p lies to the left of the directed line
// a->b, a negative value if it lies to the right and exactly 0 if the three
// points are collinear. The sign is exact: a fast floating-point evaluation
// is used when its error bound proves the sign, an exact expansion
// (Shewchuk's arithmetic, no allocation) otherwise.
func orient(ax, ay, bx, by, px, py float64) float64 {
	detl := (ax - px) * (by - py)
	detr := (ay - py) * (bx - px)
	det := detl - detr
	bound := ccwErrBound * (math.Abs(detl) + math.Abs(detr))
	if det > bound || -det > bound {
		return det
	}
	return orientExact(ax, ay, bx, by, px, py)
}

func twoSum(a, b float64) (x, y float64) {
	x = a + b
	bv := x - a
	av := x - bv
	y = (a - av) + (b - bv)
	return
}

func twoDiff(a, b float64) (x, y float64) {
	x = a - b
	bv := a - x
	av := x + bv
	y = (a - av) + (bv - b)
	return
}

func twoProduct(a, b float64) (x, y float64) {
	x = a * b
	y = math.FMA(a, b, -x)
	return
}

// orientExact evaluates (ax-px)(by-py) - (ay-py)(bx-px) exactly and returns a
// value with its sign (its most significant expansion component).
func orientExact(ax, ay, bx, by, px, py float64) float64 {
	a1, a0 := twoDiff(ax, px)
	b1, b0 := twoDiff(by, py)
	c1, c0 := twoDiff(ay, py)
	d1, d0 := twoDiff(bx, px)
	var terms [16]float64
	n := 0
	for _, u := range [2]float64{a1, a0} {
		for _, v := range [2]float64{b1, b0} {
			h, l := twoProduct(u, v)
			terms[n], terms[n+1] = h, l
			n += 2
		}
	}
	for _, u := range [2]float64{c1, c0} {
		for _, v := range [2]float64{d1, d0} {
			h, l := twoProduct(u, v)
			terms[n], terms[n+1] = -h, -l
			n += 2
		}
	}
	// Grow a non-overlapping expansion, smallest component first.
	var e [17]float64
	m := 0
	for _, t := range terms {
		q := t
		for i := 0; i < m; i++ {
			var h float64
			q, h = twoSum(q, e[i])
			e[i] = h
		}
		e[m] = q
		m++
	}
	for i := m - 1; i >= 0; i-- {
		if e[i] != 0 {
			return e[i]
		}
	}
	return 0
}
