package h3

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/geo311/geo311/data/datatest"
	ref "github.com/uber/h3-go/v4"
)

// The reference for every test here is the H3 C library through h3-go.

func randSphere(rng *rand.Rand) (lat, lng float64) {
	return math.Asin(2*rng.Float64()-1) * 180 / math.Pi, rng.Float64()*360 - 180
}

// TestLatLngToCellMatchesH3 checks the port cell for cell: random points
// over the whole sphere (every face, pentagons included) at every
// resolution, points over Chicago at the resolutions geo311 uses, and every
// pentagon centre with points near it.
func TestLatLngToCellMatchesH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 1000
	if testing.Short() {
		n = 200
	}
	check := func(lat, lng float64, res int) {
		t.Helper()
		want := Cell(ref.LatLngToCell(ref.LatLng{Lat: lat, Lng: lng}, res))
		if got := LatLngToCell(lat, lng, res); got != want {
			t.Fatalf("LatLngToCell(%v, %v, %d) = %v, h3 says %v", lat, lng, res, got, want)
		}
	}
	for i := 0; i < n; i++ {
		lat, lng := randSphere(rng)
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
	for res := 0; res <= 12; res++ {
		for _, p := range ref.Pentagons(res) {
			ll := p.LatLng()
			check(ll.Lat, ll.Lng, res)
			for k := 0; k < 20; k++ {
				check(ll.Lat+(rng.Float64()-0.5)*1e-2, ll.Lng+(rng.Float64()-0.5)*1e-2, res)
			}
		}
	}
}

func TestLatLngToCellInvalid(t *testing.T) {
	for _, tc := range []struct {
		lat, lng float64
		res      int
	}{
		{math.NaN(), 0, 9}, {0, math.Inf(1), 9}, {math.Inf(-1), 0, 9}, {0, math.NaN(), 9},
		{0, 0, 16}, {0, 0, -1},
	} {
		if got := LatLngToCell(tc.lat, tc.lng, tc.res); got != 0 {
			t.Errorf("LatLngToCell(%v, %v, %d) = %v, want 0", tc.lat, tc.lng, tc.res, got)
		}
	}
}

func TestParentResolutionPentagonMatchH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		lat, lng := randSphere(rng)
		c := ref.LatLngToCell(ref.LatLng{Lat: lat, Lng: lng}, 12)
		for res := 0; res <= 12; res++ {
			if got, want := Cell(c).Parent(res), Cell(c.Parent(res)); got != want {
				t.Fatalf("Parent(%v, %d) = %v, want %v", c, res, got, want)
			}
		}
		if Cell(c).Parent(13) != 0 || Cell(c).Parent(-1) != 0 {
			t.Fatal("parent at a finer or negative resolution should be 0")
		}
		if Cell(c).Resolution() != c.Resolution() || Cell(c).BaseCell() != c.BaseCellNumber() {
			t.Fatalf("resolution/base cell of %v differ", c)
		}
	}
	for res := 0; res <= 15; res++ {
		pents := ref.Pentagons(res)
		if len(pents) != 12 {
			t.Fatalf("h3 gives %d pentagons at res %d", len(pents), res)
		}
		for _, p := range pents {
			if !Cell(p).IsPentagon() {
				t.Errorf("%v is a pentagon", p)
			}
			nb := ref.GridDisk(p, 1)
			for _, c := range nb {
				if c != 0 && c != p && Cell(c).IsPentagon() {
					t.Errorf("%v (next to pentagon %v) is not a pentagon", c, p)
				}
			}
		}
	}
}

// TestGridDiskMatchesH3 compares GridDisk with h3-go's as sets (h3-go pads
// with zeros near pentagons; the order is unspecified in both): random cells
// over the sphere at several resolutions and radii, Chicago cells at
// resolution 9 for the dedupe radii, and cells on and round every pentagon
// (where H3 falls back to its safe traversal) at every resolution.
func TestGridDiskMatchesH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(c ref.Cell, k int) {
		t.Helper()
		var want []Cell
		for _, d := range ref.GridDisk(c, k) {
			if d != 0 {
				want = append(want, Cell(d))
			}
		}
		got := GridDisk(Cell(c), k)
		if len(got) != len(want) {
			t.Fatalf("GridDisk(%v, %d): %d cells, h3 gives %d", c, k, len(got), len(want))
		}
		slices.Sort(want)
		got = slices.Clone(got)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("GridDisk(%v, %d) = %v, h3 gives %v", c, k, got, want)
		}
		if got[0] == 0 || slices.Contains(got, 0) {
			t.Fatalf("GridDisk(%v, %d) holds 0", c, k)
		}
		for x := 1; x < len(got); x++ {
			if got[x] == got[x-1] {
				t.Fatalf("GridDisk(%v, %d) repeats %v", c, k, got[x])
			}
		}
	}
	n := 600
	if testing.Short() {
		n = 150
	}
	for i := 0; i < n; i++ {
		lat, lng := randSphere(rng)
		for _, res := range []int{0, 1, 2, 5, 7, 9, 12, 15} {
			c := ref.LatLngToCell(ref.LatLng{Lat: lat, Lng: lng}, res)
			for _, k := range []int{0, 1, 2, 3, 5} {
				check(c, k)
			}
		}
	}
	for i := 0; i < 4*n; i++ {
		c := ref.LatLngToCell(ref.LatLng{Lat: 41.64 + rng.Float64()*0.39, Lng: -87.94 + rng.Float64()*0.42}, 9)
		check(c, 1+i%4)
	}
	check(ref.LatLngToCell(ref.LatLng{Lat: 41.88, Lng: -87.63}, 9), 26) // MaxRadiusM in dedupe
	for res := 0; res <= 15; res++ {
		for _, p := range ref.Pentagons(res) {
			for _, k := range []int{0, 1, 2, 3, 4, 7} {
				check(p, k)
			}
			// cells in the pentagon's neighbourhood, whose disks reach it
			ks := 4
			if res < 2 {
				ks = 2
			}
			for _, c := range ref.GridDisk(p, ks) {
				if c != 0 {
					for _, k := range []int{1, 2, 3, 5} {
						check(c, k)
					}
				}
			}
		}
	}
	// all 122 base cells
	for _, c := range ref.Res0Cells() {
		for _, k := range []int{1, 2, 3} {
			check(c, k)
		}
	}
}

func TestGridDiskEdgeCases(t *testing.T) {
	c := LatLngToCell(41.88, -87.63, 9)
	if got := GridDisk(c, -1); got != nil {
		t.Errorf("GridDisk(k=-1) = %v, want nil", got)
	}
	if got := GridDisk(0, 1); got != nil {
		t.Errorf("GridDisk(0) = %v, want nil", got)
	}
	if got := GridDisk(c, 0); len(got) != 1 || got[0] != c {
		t.Errorf("GridDisk(k=0) = %v, want [%v]", got, c)
	}
	d := GridDisk(c, 2)
	if len(d) != 19 || d[0] != c {
		t.Fatalf("GridDisk(k=2): %d cells starting %v, want 19 from the origin", len(d), d[0])
	}
	buf := make([]Cell, 1, 64)
	buf[0] = 42
	buf = AppendGridDisk(buf, c, 2)
	if buf[0] != 42 || !slices.Equal(buf[1:], d) {
		t.Errorf("AppendGridDisk does not append the disk")
	}
	// a pentagon's disk has 5 neighbours
	p := Cell(ref.Pentagons(9)[0])
	if got := GridDisk(p, 1); len(got) != 6 || got[0] != p {
		t.Errorf("GridDisk(pentagon, 1) = %v, want the pentagon and 5 neighbours", got)
	}
}

func TestIsValidMatchesH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	check := func(v uint64) {
		t.Helper()
		if got, want := Cell(v).IsValid(), ref.Cell(v).IsValid(); got != want {
			t.Fatalf("IsValid(%x) = %v, h3 says %v", v, got, want)
		}
	}
	for i := 0; i < 20000; i++ {
		lat, lng := randSphere(rng)
		c := uint64(ref.LatLngToCell(ref.LatLng{Lat: lat, Lng: lng}, rng.IntN(16)))
		check(c)
		check(c ^ 1<<rng.IntN(64)) // one bit flipped: mostly invalid
		check(rng.Uint64())
	}
	for _, p := range ref.Pentagons(5) {
		check(uint64(p))
		check(setCellDigit(uint64(p), 1, 1)) // deleted k subsequence
		check(setCellDigit(uint64(p), 5, 1))
	}
	check(0)
}

func TestStringRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		want Cell
		ok   bool
	}{
		{"8928308280fffff", 0x8928308280fffff, true},
		{"8928308280FFFFF", 0x8928308280fffff, true},
		{"8029fffffffffff", 0x8029fffffffffff, true},
		{"", 0, false},
		{"0", 0, false},
		{"xyz", 0, false},
		{"0x8928308280fffff", 0, false},
		{"8928308280ffff7", 0, false},  // digit 7 within the resolution
		{"18928308280fffff", 0, false}, // too long: bit 63
	}
	for _, tc := range tests {
		got, err := FromString(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("FromString(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != ref.IndexToString(uint64(got)) {
			t.Errorf("String(%x) = %q, h3 says %q", uint64(got), got.String(), ref.IndexToString(uint64(got)))
		}
	}
}

func FuzzFromString(f *testing.F) {
	for _, s := range []string{"8928308280fffff", "8029fffffffffff", "", "zz", "ffffffffffffffff", "08928308280fffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := FromString(s)
		if err != nil {
			if c != 0 {
				t.Fatalf("FromString(%q) = %v with error", s, c)
			}
			return
		}
		if !c.IsValid() || !ref.Cell(c).IsValid() {
			t.Fatalf("FromString(%q) = %v, not a valid cell", s, c)
		}
		if back, err := FromString(c.String()); err != nil || back != c {
			t.Fatalf("round trip of %v: %v, %v", c, back, err)
		}
	})
}

func BenchmarkLatLngToCell(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, 1024)
	for i := range pts {
		pts[i] = [2]float64{41.64 + rng.Float64()*0.39, -87.94 + rng.Float64()*0.42}
	}
	var s Cell
	cpu := datatest.StartCPU()
	for i := 0; b.Loop(); i++ {
		p := pts[i&1023]
		s ^= LatLngToCell(p[0], p[1], 9)
	}
	cpu.Report(b)
	_ = s
}

func BenchmarkGridDisk(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cells := make([]Cell, 1024)
	for i := range cells {
		cells[i] = LatLngToCell(41.64+rng.Float64()*0.39, -87.94+rng.Float64()*0.42, 9)
	}
	for _, k := range []int{1, 2, 3} {
		b.Run("k="+string(rune('0'+k)), func(b *testing.B) {
			buf := make([]Cell, 0, 64)
			b.ReportAllocs()
			cpu := datatest.StartCPU()
			for i := 0; b.Loop(); i++ {
				buf = AppendGridDisk(buf[:0], cells[i&1023], k)
			}
			cpu.Report(b)
		})
	}
}
