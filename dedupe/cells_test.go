package dedupe

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/uber/h3-go/v4"
)

// destination moves distM metres from (lat, lon) along bearing (radians).
func destination(lat, lon, bearing, distM float64) (float64, float64) {
	const rad = math.Pi / 180
	φ1, λ1 := lat*rad, lon*rad
	δ := distM / EarthRadiusM
	φ2 := math.Asin(math.Sin(φ1)*math.Cos(δ) + math.Cos(φ1)*math.Sin(δ)*math.Cos(bearing))
	λ2 := λ1 + math.Atan2(math.Sin(bearing)*math.Sin(δ)*math.Cos(φ1), math.Cos(δ)-math.Sin(φ1)*math.Sin(φ2))
	lon2 := math.Mod(λ2/rad+540, 360) - 180
	return φ2 / rad, lon2
}

// chicagoBox is the city's extent (SOURCES.md).
var chicagoBox = [4]float64{41.6445, -87.9401, 42.0230, -87.5241}

func randomPoint(rng *rand.Rand, global bool) (float64, float64) {
	if global {
		return math.Asin(2*rng.Float64()-1) * 180 / math.Pi * 0.97, rng.Float64()*360 - 180
	}
	return chicagoBox[0] + rng.Float64()*(chicagoBox[2]-chicagoBox[0]), chicagoBox[1] + rng.Float64()*(chicagoBox[3]-chicagoBox[1])
}

func TestSearchK(t *testing.T) {
	for _, tc := range []struct {
		r float64
		k int
	}{{0, 1}, {10, 1}, {30, 1}, {129, 1}, {130, 2}, {250, 2}, {324, 2}, {325, 3}, {519, 3}, {520, 4}, {1000, 6}, {5000, 26}} {
		if got := SearchK(tc.r); got != tc.k {
			t.Errorf("SearchK(%v) = %d, want %d", tc.r, got, tc.k)
		}
	}
}

// TestSearchCellsContainRadius: every point within the radius lies in one of
// the search cells, in Chicago and anywhere on the globe, including at the
// rim of the circle.
func TestSearchCellsContainRadius(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tighter := 0 // points a disk one ring smaller would miss: k is not loose
	n := 4000
	if testing.Short() {
		n = 500
	}
	for _, radius := range []float64{0, 15, 30, 100, 129, 130, 250, 324, 325, 519, 1000} {
		for i := 0; i < n; i++ {
			lat, lon := randomPoint(rng, i%4 == 0)
			cells, err := SearchCells(lat, lon, radius)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(cells) {
				t.Fatalf("cells not sorted")
			}
			if k := SearchK(radius); len(cells) > 3*k*(k+1)+1 {
				t.Fatalf("%d cells for k=%d", len(cells), k)
			}
			d := radius
			if i%2 == 1 {
				d = radius * math.Sqrt(rng.Float64())
			}
			qlat, qlon := destination(lat, lon, rng.Float64()*2*math.Pi, d)
			q, err := Cell(qlat, qlon)
			if err != nil {
				t.Fatal(err)
			}
			if _, found := slices.BinarySearch(cells, q); !found {
				t.Fatalf("point %.1f m from (%v,%v) lies in cell %x outside the search disk (r=%v)", d, lat, lon, q, radius)
			}
			if radius == 250 && !slices.Contains(diskOf(mustCell(t, lat, lon), SearchK(radius)-1), q) {
				tighter++
			}
		}
	}
	if tighter == 0 {
		t.Errorf("a disk of k-1 rings held every 250 m point: the test cannot tell a too small k")
	}
	t.Logf("points beyond a k-1 disk at 250 m: %d of %d", tighter, n)
}

func mustCell(t *testing.T, lat, lon float64) uint64 {
	t.Helper()
	c, err := Cell(lat, lon)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLockKeysShared proves the shared-key property over many random pairs:
// two requests within the radius of each other always share a lock key.
func TestLockKeysShared(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	radii := []float64{10, 30, 50, 100, 129, 130, 150, 250, 324, 400}
	sizes := map[int]int{}
	for i := 0; i < n; i++ {
		radius := radii[i%len(radii)]
		lat, lon := randomPoint(rng, i%5 == 0)
		d := radius * (0.9 + 0.1*rng.Float64()) // mostly near the rim, the hard case
		if i%3 == 0 {
			d = radius * rng.Float64()
		}
		qlat, qlon := destination(lat, lon, rng.Float64()*2*math.Pi, d)
		if Haversine(lat, lon, qlat, qlon) > radius {
			continue
		}
		a, err := LockKeys(lat, lon, radius)
		if err != nil {
			t.Fatal(err)
		}
		b, err := LockKeys(qlat, qlon, radius)
		if err != nil {
			t.Fatal(err)
		}
		for _, keys := range [][]int64{a, b} {
			if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
				t.Fatalf("keys not sorted and distinct: %v", keys)
			}
			for _, k := range keys {
				if k <= 0 || h3.Cell(k).Resolution() != LockResolution || !h3.Cell(k).IsValid() {
					t.Fatalf("key %x is not a valid resolution-%d cell", k, LockResolution)
				}
			}
		}
		shared := false
		for _, k := range a {
			if _, ok := slices.BinarySearch(b, k); ok {
				shared = true
				break
			}
		}
		if !shared {
			t.Fatalf("(%v,%v) and (%v,%v), %.1f m apart (r=%v), share no lock key: %v vs %v", lat, lon, qlat, qlon, d, radius, a, b)
		}
		if radius == 250 && i%5 != 0 {
			sizes[len(a)]++
		}
	}
	t.Logf("lock keys per 250 m intake in Chicago (count: intakes): %v", sizes)
}

// TestCellsMatchH3 checks Cell, SearchCells and LockKeys (computed with
// the pure-Go data/h3) against the H3 C library through h3-go: the cell,
// the grid disk as a sorted set without H3's zero fillers, and the distinct
// resolution-7 parents, in Chicago, over the globe and next to pentagons.
func TestCellsMatchH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(lat, lon, radius float64) {
		t.Helper()
		want := h3.LatLngToCell(h3.NewLatLng(lat, lon), 9)
		got, err := Cell(lat, lon)
		if err != nil || got != uint64(want) {
			t.Fatalf("Cell(%v, %v) = %x, %v; h3 says %x", lat, lon, got, err, uint64(want))
		}
		var disk []uint64
		keys := []int64{}
		for _, c := range h3.GridDisk(want, SearchK(radius)) {
			if c != 0 {
				disk = append(disk, uint64(c))
				if k := int64(c.Parent(LockResolution)); !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		slices.Sort(disk)
		slices.Sort(keys)
		cells, err := SearchCells(lat, lon, radius)
		if err != nil || !slices.Equal(cells, disk) {
			t.Fatalf("SearchCells(%v, %v, %v) = %x, %v; h3 says %x", lat, lon, radius, cells, err, disk)
		}
		lk, err := LockKeys(lat, lon, radius)
		if err != nil || !slices.Equal(lk, keys) {
			t.Fatalf("LockKeys(%v, %v, %v) = %x, %v; h3 says %x", lat, lon, radius, lk, err, keys)
		}
	}
	radii := []float64{0, 30, 129, 250, 400, 1000, MaxRadiusM}
	for i := 0; i < 3000; i++ {
		lat, lon := randomPoint(rng, i%3 == 0)
		check(lat, lon, radii[i%len(radii)])
	}
	for _, p := range h3.Pentagons(9) {
		ll := p.LatLng()
		for i := 0; i < 30; i++ {
			check(ll.Lat+(rng.Float64()-0.5)*0.05, ll.Lng+(rng.Float64()-0.5)*0.05, radii[i%len(radii)])
		}
	}
}

func TestHaversine(t *testing.T) {
	for _, tc := range []struct {
		lat1, lon1, lat2, lon2, want, tol float64
	}{
		{41.8781, -87.6298, 41.8781, -87.6298, 0, 1e-9},
		// one degree of latitude: πR/180
		{41, -87, 42, -87, EarthRadiusM * math.Pi / 180, 1e-6},
		// Willis Tower to Wrigley Field, about 8.4 km
		{41.8789, -87.6359, 41.9484, -87.6553, 7900, 100},
		{0, 179.9, 0, -179.9, 0.2 * EarthRadiusM * math.Pi / 180, 1e-6},
	} {
		if got := Haversine(tc.lat1, tc.lon1, tc.lat2, tc.lon2); math.Abs(got-tc.want) > tc.tol {
			t.Errorf("Haversine(%v,%v,%v,%v) = %v, want %v±%v", tc.lat1, tc.lon1, tc.lat2, tc.lon2, got, tc.want, tc.tol)
		}
	}
}

// TestNearNeverDropsInside: the pre-filter keeps every point within the radius.
func TestNearNeverDropsInside(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 100000; i++ {
		lat, lon := randomPoint(rng, i%2 == 0)
		r := []float64{5, 30, 250, 1000, MaxRadiusM}[i%5]
		qlat, qlon := destination(lat, lon, rng.Float64()*2*math.Pi, r*rng.Float64())
		n := newNear(lat, lon, r)
		if Haversine(lat, lon, qlat, qlon) <= r && !n.ok(qlat, qlon) {
			t.Fatalf("pre-filter dropped (%v,%v) within %v m of (%v,%v)", qlat, qlon, r, lat, lon)
		}
	}
}

func TestSearchCellsInvalid(t *testing.T) {
	for _, tc := range []struct {
		lat, lon, r float64
		field       string
	}{
		{91, 0, 10, "lat"}, {math.NaN(), 0, 10, "lat"}, {0, -181, 10, "lon"}, {0, math.NaN(), 10, "lon"},
		{41.9, -87.6, -1, "radius"}, {41.9, -87.6, math.Inf(1), "radius"}, {41.9, -87.6, MaxRadiusM + 1, "radius"},
	} {
		_, err := SearchCells(tc.lat, tc.lon, tc.r)
		if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != tc.field {
			t.Errorf("SearchCells(%v,%v,%v) error %v, want invalid %s", tc.lat, tc.lon, tc.r, err, tc.field)
		}
		if _, err := LockKeys(tc.lat, tc.lon, tc.r); !errors.Is(err, data.ErrInvalid) {
			t.Errorf("LockKeys(%v,%v,%v) error %v, want invalid", tc.lat, tc.lon, tc.r, err)
		}
	}
}
