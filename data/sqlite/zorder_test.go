package sqlite

import (
	"math"
	"math/rand/v2"
	"testing"
)

func inRanges(rs [][2]int64, k int64) bool {
	for _, r := range rs {
		if k >= r[0] && k <= r[1] {
			return true
		}
	}
	return false
}

// TestZRangesCoverBox: for boxes from centimetres to continents, every
// point inside the box (edges included) has its key in one of at most
// zBudget sorted, disjoint ranges; and the ranges cover little outside the
// box (the rows a query reads and then drops).
func TestZRangesCoverBox(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		w := math.Pow(10, -6+rng.Float64()*8) // 1e-6 to 100 degrees
		h := w * (0.2 + rng.Float64()*2)
		minLon, minLat := -180+rng.Float64()*(360-w), -90+rng.Float64()*(180-min(h, 179))
		maxLon, maxLat := minLon+w, min(90, minLat+h)
		rs := zRanges(minLon, minLat, maxLon, maxLat)
		if len(rs) == 0 || len(rs) > zBudget {
			t.Fatalf("box %d: %d ranges", i, len(rs))
		}
		for j := 1; j < len(rs); j++ {
			if rs[j][0] <= rs[j-1][1]+1 || rs[j][0] > rs[j][1] {
				t.Fatalf("box %d: ranges %v not sorted, disjoint and merged", i, rs)
			}
		}
		corners := [][2]float64{{minLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {maxLon, minLat}}
		for range 50 {
			corners = append(corners, [2]float64{minLon + rng.Float64()*w, minLat + rng.Float64()*(maxLat-minLat)})
		}
		for _, p := range corners {
			if !inRanges(rs, zKey(p[0], p[1])) {
				t.Fatalf("box %d [%g %g %g %g]: point %v key %d outside the ranges %v", i, minLon, minLat, maxLon, maxLat, p, zKey(p[0], p[1]), rs)
			}
		}
		// Points on the globe in a box three times as wide and high: those
		// in the ranges but outside the box are the overhead.
		in, extra := 0, 0
		for range 2000 {
			lon, lat := minLon-w+rng.Float64()*3*w, minLat-h+rng.Float64()*3*h
			if math.Abs(lon) > 180 || math.Abs(lat) > 90 {
				continue // clamped onto the globe's edge
			}
			inBox := lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat
			switch hit := inRanges(rs, zKey(lon, lat)); {
			case inBox && !hit:
				t.Fatalf("box %d: point (%g, %g) missed", i, lon, lat)
			case inBox:
				in++
			case hit:
				extra++
			}
		}
		if in > 100 && float64(extra) > 2.5*float64(in) {
			t.Errorf("box %d (%g x %g deg): %d points read outside for %d inside", i, w, h, extra, in)
		}
	}
}

func TestZRangesEdges(t *testing.T) {
	for _, tc := range []struct {
		name                           string
		minLon, minLat, maxLon, maxLat float64
		ranges                         int // -1: at least one
	}{
		{"empty", 1, 1, 0, 0, 0},
		{"NaN", math.NaN(), 0, 1, 1, 0},
		{"a point", -87.63, 41.88, -87.63, 41.88, 1},
		{"the globe", -180, -90, 180, 90, 1},
		{"beyond the globe", -400, -100, 400, 100, 1},
		{"across the antimeridian clamped", 170, -10, 190, 10, -1},
	} {
		rs := zRanges(tc.minLon, tc.minLat, tc.maxLon, tc.maxLat)
		if (tc.ranges >= 0 && len(rs) != tc.ranges) || (tc.ranges < 0 && len(rs) == 0) || len(rs) > zBudget {
			t.Errorf("%s: %d ranges %v", tc.name, len(rs), rs)
		}
	}
	if got := zRanges(-180, -90, 180, 90); got[0] != [2]int64{0, 1<<62 - 1} {
		t.Errorf("the globe is %v, want every key", got)
	}
	if k := zKey(180, 90); k != 1<<62-1 {
		t.Errorf("zKey(180, 90) = %d, want the highest key", k)
	}
	if got := zRangesJSON([][2]int64{{1, 2}, {5, 9}}); got != "[[1,2],[5,9]]" {
		t.Errorf("zRangesJSON = %s", got)
	}
	if got := zRangesJSON(nil); got != "[]" {
		t.Errorf("zRangesJSON(nil) = %s", got)
	}
}
