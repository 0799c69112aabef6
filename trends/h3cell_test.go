package trends

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/geo311/geo311/data/datatest"
	h3 "github.com/uber/h3-go/v4"
)

// TestLatLngToCellMatchesH3 checks the pure-Go port against the H3 C library
// (through h3-go) cell for cell: random points over the whole sphere (every
// face, pentagons included) at every resolution, and points over Chicago at
// the cube's resolutions.
func TestLatLngToCellMatchesH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 1000
	if testing.Short() {
		n = 200
	}
	check := func(lat, lng float64, res int) {
		t.Helper()
		want := uint64(h3.LatLngToCell(h3.LatLng{Lat: lat, Lng: lng}, res))
		if got := latLngToCell(lat, lng, res); got != want {
			t.Fatalf("latLngToCell(%v, %v, %d) = %x, h3 says %x", lat, lng, res, got, want)
		}
	}
	for i := 0; i < n; i++ {
		// uniform on the sphere
		lat := math.Asin(2*rng.Float64()-1) * 180 / math.Pi
		lng := rng.Float64()*360 - 180
		for res := 0; res <= 15; res++ {
			check(lat, lng, res)
		}
	}
	for i := 0; i < 10*n; i++ {
		lat := 41.64 + rng.Float64()*0.39
		lng := -87.94 + rng.Float64()*0.42
		for res := 7; res <= 10; res++ {
			check(lat, lng, res)
		}
	}
	// every pentagon centre and points near it
	for res := 0; res <= 12; res++ {
		for _, p := range h3.Pentagons(res) {
			ll := p.LatLng()
			check(ll.Lat, ll.Lng, res)
			for k := 0; k < 20; k++ {
				check(ll.Lat+(rng.Float64()-0.5)*1e-2, ll.Lng+(rng.Float64()-0.5)*1e-2, res)
			}
		}
	}
	for _, bad := range [][2]float64{{math.NaN(), 0}, {0, math.Inf(1)}} {
		if got := latLngToCell(bad[0], bad[1], 9); got != 0 {
			t.Errorf("latLngToCell(%v) = %x, want 0", bad, got)
		}
	}
	if latLngToCell(0, 0, 16) != 0 || latLngToCell(0, 0, -1) != 0 {
		t.Error("resolution out of range should give 0")
	}
}

func TestCellParentMatchesH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		lat := math.Asin(2*rng.Float64()-1) * 180 / math.Pi
		lng := rng.Float64()*360 - 180
		c := h3.LatLngToCell(h3.LatLng{Lat: lat, Lng: lng}, 12)
		for res := 0; res <= 12; res++ {
			if got, want := cellParent(uint64(c), res), uint64(c.Parent(res)); got != want {
				t.Fatalf("cellParent(%x, %d) = %x, want %x", uint64(c), res, got, want)
			}
		}
		if cellParent(uint64(c), 13) != 0 {
			t.Fatal("parent at a finer resolution should be 0")
		}
	}
}

func BenchmarkLatLngToCellGo(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, 1024)
	for i := range pts {
		pts[i] = [2]float64{41.64 + rng.Float64()*0.39, -87.94 + rng.Float64()*0.42}
	}
	var s uint64
	cpu := datatest.StartCPU()
	for i := 0; b.Loop(); i++ {
		p := pts[i&1023]
		s ^= latLngToCell(p[0], p[1], 10)
	}
	cpu.Report(b)
	_ = s
}
