package trends

import (
	"math"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	h3 "github.com/uber/h3-go/v4"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestGiStarHandComputed checks Gi* on a 7-cell study area computed by hand:
// a centre cell c0 and its ring r1..r6 in cyclic order. Neighbourhoods (grid
// ring k=1 within the study area, self included): c0 -> all 7 cells;
// r_k -> {r_k, c0, r_(k-1), r_(k+1)} (4 cells).
//
// Counts x = [c0=6, r1=3, r2..r6=0], n = 7.
//
//	Σx = 9, X̄ = 9/7 = 1.285714
//	Σx² = 36 + 9 = 45, S² = 45/7 − (9/7)² = 315/49 − 81/49 = 234/49, S = √234/7 = 2.185294
//	c0: W = 7, n·W − W² = 49 − 49 = 0: undefined, reported as 0.
//	r1: W = 4, Σ_N x = x_r1 + x_c0 + x_r2 + x_r6 = 3 + 6 + 0 + 0 = 9
//	    numerator = 9 − (9/7)·4 = 27/7 = 3.857143
//	    denominator = S·√((7·4 − 4²)/(7 − 1)) = (√234/7)·√2 = √468/7 = 3.090508
//	    z = 27/√468 = 27/21.633308 = 1.248075
//	r2: Σ_N x = x_r2 + x_c0 + x_r1 + x_r3 = 0 + 6 + 3 + 0 = 9 -> 1.248075; r6 likewise.
//	r3: Σ_N x = 0 + 6 + 0 + 0 = 6, numerator = 6 − 36/7 = 6/7, z = 6/√468 = 0.277350; r4, r5 likewise.
func TestGiStarHandComputed(t *testing.T) {
	x := []float64{6, 3, 0, 0, 0, 0, 0}
	ring := func(k int) int32 { return int32((k-1+6)%6 + 1) } // r_k for k in any integer, 1..6
	nbrs := [][]int32{{0, 1, 2, 3, 4, 5, 6}}
	for k := 1; k <= 6; k++ {
		nbrs = append(nbrs, []int32{int32(k), 0, ring(k - 1), ring(k + 1)})
	}
	want := []float64{0, 1.248075, 1.248075, 0.277350, 0.277350, 0.277350, 1.248075}
	got := GiStar(x, nbrs)
	for i := range want {
		if !near(got[i], want[i], 5e-6) {
			t.Errorf("Gi*[%d] = %.6f, want %.6f", i, got[i], want[i])
		}
	}
	// No variation: every z is 0.
	for i, z := range GiStar([]float64{2, 2, 2, 2, 2, 2, 2}, nbrs) {
		if z != 0 {
			t.Errorf("constant values: Gi*[%d] = %v, want 0", i, z)
		}
	}
}

// TestGiStarOnH3Ring builds the same study area from real H3 cells (a cell
// and its k=1 ring) through Chronic's neighbourhoods, and checks the
// neighbourhood sizes of the hand example: 7 for the centre, 4 per ring cell.
func TestGiStarOnH3Ring(t *testing.T) {
	center := h3.LatLngToCell(h3.LatLng{Lat: 41.8781, Lng: -87.6298}, 9)
	disk := center.GridDisk(1)
	if len(disk) != 7 {
		t.Fatalf("disk has %d cells", len(disk))
	}
	index := map[h3.Cell]bool{}
	for _, c := range disk {
		index[c] = true
	}
	for _, c := range disk {
		n := 0
		for _, nb := range c.GridDisk(1) {
			if index[nb] {
				n++
			}
		}
		want := 4
		if c == center {
			want = 7
		}
		if n != want {
			t.Errorf("cell %v has %d neighbours in the study area, want %d", c, n, want)
		}
	}
}

// TestMannKendallTextbook: the worked example "A Mann-Kendall Example (By
// Hand)" (J. Little, College of the Holy Cross,
// https://mathcs.holycross.edu/~little/Montserrat/MannKendallByHand.txt),
// following Gilbert (1987): 14 values, 91 pairs, 72 increases, 18 decreases
// and one tie, so S = 54; one tied pair (12.9 twice), so
// Var(S) = 14·13·33/18 − 2·1·9/18 = 333.667 − 1 = 332.667;
// Z = (54 − 1)/√332.667 = 2.9058; two-sided p = 2 × 0.0018 = 0.0037.
func TestMannKendallTextbook(t *testing.T) {
	x := []float64{12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7}
	tr := MannKendall(x)
	if tr.S != 54 {
		t.Errorf("S = %d, want 54", tr.S)
	}
	if !near(tr.VarS, 332.6667, 1e-3) {
		t.Errorf("Var(S) = %.4f, want 332.6667", tr.VarS)
	}
	if !near(tr.Z, 2.9058, 1e-4) {
		t.Errorf("Z = %.4f, want 2.9058", tr.Z)
	}
	if !near(tr.P, 0.00366, 5e-5) {
		t.Errorf("p = %.5f, want 0.00366", tr.P)
	}
	// Reversed series: the same test with the opposite sign.
	rev := make([]float64, len(x))
	for i, v := range x {
		rev[len(x)-1-i] = v
	}
	if r := MannKendall(rev); r.S != -54 || !near(r.Z, -2.9058, 1e-4) {
		t.Errorf("reversed: S = %d, Z = %.4f", r.S, r.Z)
	}
	if r := MannKendall([]float64{1, 2}); r.S != 0 || r.P != 1 {
		t.Errorf("short series: %+v", r)
	}
}

func TestClassify(t *testing.T) {
	const H, C, o = 3.0, -3.0, 0.0 // significant hot, significant cold, nothing
	rising := []float64{2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6, 3.8}
	falling := []float64{3.8, 3.6, 3.4, 3.2, 3.0, 2.8, 2.6, 2.4, 2.2, 2.0}
	neg := func(z []float64) []float64 {
		out := make([]float64, len(z))
		for i, v := range z {
			out[i] = -v
		}
		return out
	}
	cases := []struct {
		name string
		z    []float64
		want Category
	}{
		{"new", []float64{o, o, o, o, o, o, o, o, o, H}, NewHotSpot},
		{"consecutive", []float64{o, o, o, o, o, o, o, H, H, H}, ConsecutiveHotSpot},
		{"sporadic", []float64{o, H, o, o, H, o, o, o, o, H}, SporadicHotSpot},
		{"oscillating", []float64{o, C, o, o, o, o, o, o, H, H}, OscillatingHotSpot},
		{"persistent", []float64{H, 3.2, H, 3.1, H, 3.2, H, 3.1, H, 3.2}, PersistentHotSpot},
		{"persistent with one gap", []float64{H, H, H, o, H, H, H, H, H, H}, PersistentHotSpot},
		{"intensifying", rising, IntensifyingHotSpot},
		{"diminishing", falling, DiminishingHotSpot},
		{"historical", []float64{H, H, H, H, H, H, H, H, H, o}, HistoricalHotSpot},
		{"hot long ago only", []float64{H, H, o, o, o, o, o, o, o, o}, NoPattern},
		{"nothing", []float64{o, o, o, o, o, o, o, o, o, o}, NoPattern},
		{"not significant", []float64{1.5, 1.6, 1.7, 1.8, 1.9, 1.5, 1.6, 1.7, 1.8, 1.9}, NoPattern},
		{"new cold", []float64{o, o, o, o, o, o, o, o, o, C}, NewColdSpot},
		{"consecutive cold", []float64{o, o, o, o, o, o, o, o, C, C}, ConsecutiveColdSpot},
		{"intensifying cold", neg(rising), IntensifyingColdSpot},
		{"diminishing cold", neg(falling), DiminishingColdSpot},
		{"oscillating cold", []float64{H, o, o, o, o, o, o, o, o, C}, OscillatingColdSpot},
		{"historical cold", []float64{C, C, C, C, C, C, C, C, C, o}, HistoricalColdSpot},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := classify(tc.z, 0.05); got != tc.want {
				t.Errorf("classify(%v) = %s, want %s", tc.z, got, tc.want)
			}
		})
	}
}

// TestChronicPlantedHotSpot plants an intensifying cluster and a new hot spot
// in a uniform background and checks the categories Chronic assigns.
func TestChronicPlantedHotSpot(t *testing.T) {
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, chicago) // a Monday
	weeks := 10
	firstWeek := end.AddDate(0, 0, -7*weeks)
	center := h3.LatLngToCell(h3.LatLng{Lat: 41.85, Lng: -87.70}, 8)
	study := center.GridDisk(6)  // 127 cells at res 8
	hot := center                // intensifying: many, rising counts every week
	fresh := study[len(study)-1] // new: a burst in the last week only
	var rs []*data.Request
	add := func(cell h3.Cell, week, n int) {
		ll := cell.LatLng()
		for i := 0; i < n; i++ {
			rs = append(rs, &data.Request{ServiceCode: "PHF", Lat: ll.Lat, Lon: ll.Lng, State: data.StateNew,
				RequestedAt: firstWeek.AddDate(0, 0, 7*week+i%7).Add(10 * time.Hour)})
		}
	}
	for w := 0; w < weeks; w++ {
		for i, cell := range study {
			add(cell, w, 1+(i+w)%2) // background 1-2 a week
		}
		add(hot, w, 20+4*w)
		for _, nb := range hot.GridDisk(1) {
			add(nb, w, 10+3*w)
		}
	}
	for _, nb := range fresh.GridDisk(1) {
		add(nb, weeks-1, 60)
	}
	c, err := NewCube(Options{Location: chicago})
	if err != nil {
		t.Fatal(err)
	}
	c.Load(rs)
	cells := make([]uint64, len(study))
	for i, s := range study {
		cells[i] = uint64(s)
	}
	got, err := c.Chronic(ChronicQuery{Area: Area{Cells: cells}, Resolution: 8, Weeks: weeks, End: end.Add(3 * time.Hour), All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(study) {
		t.Fatalf("%d cells, want %d (zeros included)", len(got), len(study))
	}
	byCell := map[Cell]ChronicCell{}
	for _, cc := range got {
		byCell[cc.Cell] = cc
	}
	h := byCell[Cell(hot)]
	if h.Category != IntensifyingHotSpot && h.Category != PersistentHotSpot {
		t.Errorf("planted cluster centre: %s (z %v)", h.Category, h.ZSeries)
	}
	if want := int64(20 + 4*(weeks-1)); h.Counts[weeks-1] < want {
		t.Errorf("centre's last week count %d, want at least %d", h.Counts[weeks-1], want)
	}
	if f := byCell[Cell(fresh)]; f.Category != NewHotSpot {
		t.Errorf("fresh burst: %s (z %v)", f.Category, f.ZSeries)
	}
	wk, err := c.ChronicWeeks(ChronicQuery{Area: Area{Cells: cells}, Resolution: 8, Weeks: weeks, End: end.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !wk[0].Equal(firstWeek) || !wk[weeks-1].Equal(end.AddDate(0, 0, -7)) {
		t.Errorf("weeks %v .. %v, want %v .. %v", wk[0], wk[weeks-1], firstWeek, end.AddDate(0, 0, -7))
	}
	// Without All, no-pattern cells are left out and the order is by category.
	some, err := c.Chronic(ChronicQuery{Area: Area{Cells: cells}, Resolution: 8, Weeks: weeks, End: end})
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range some {
		if cc.Category == NoPattern {
			t.Fatal("no-pattern cell returned without All")
		}
	}
	if len(some) == 0 || len(some) >= len(got) {
		t.Errorf("%d categorised cells of %d", len(some), len(got))
	}
}

func TestChronicQueryErrors(t *testing.T) {
	c, _ := NewCube(Options{Location: chicago})
	cell := uint64(h3.LatLngToCell(h3.LatLng{Lat: 41.85, Lng: -87.70}, 9))
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, chicago)
	for name, q := range map[string]ChronicQuery{
		"no end":   {Area: Area{Cells: []uint64{cell}}},
		"no area":  {End: end},
		"weeks":    {Area: Area{Cells: []uint64{cell}}, End: end, Weeks: 2},
		"res":      {Area: Area{Cells: []uint64{cell}}, End: end, Resolution: 12},
		"bad cell": {Area: Area{Cells: []uint64{12345}}, End: end},
	} {
		if _, err := c.Chronic(q); err == nil || data.ErrorField(err) == "" {
			t.Errorf("%s: err = %v, want an invalid-input error naming a field", name, err)
		}
	}
}
