package trends

import (
	"math"
	"slices"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	h3 "github.com/uber/h3-go/v4"
)

// Category is an emerging-hot-spot category (see the package documentation
// for the exact rules).
type Category string

// Categories, hot side then cold side.
const (
	NewHotSpot          Category = "new_hot_spot"
	ConsecutiveHotSpot  Category = "consecutive_hot_spot"
	IntensifyingHotSpot Category = "intensifying_hot_spot"
	PersistentHotSpot   Category = "persistent_hot_spot"
	DiminishingHotSpot  Category = "diminishing_hot_spot"
	SporadicHotSpot     Category = "sporadic_hot_spot"
	OscillatingHotSpot  Category = "oscillating_hot_spot"
	HistoricalHotSpot   Category = "historical_hot_spot"

	NewColdSpot          Category = "new_cold_spot"
	ConsecutiveColdSpot  Category = "consecutive_cold_spot"
	IntensifyingColdSpot Category = "intensifying_cold_spot"
	PersistentColdSpot   Category = "persistent_cold_spot"
	DiminishingColdSpot  Category = "diminishing_cold_spot"
	SporadicColdSpot     Category = "sporadic_cold_spot"
	OscillatingColdSpot  Category = "oscillating_cold_spot"
	HistoricalColdSpot   Category = "historical_cold_spot"

	NoPattern Category = "no_pattern"
)

// Categories lists every category in display order (hot, cold, none).
func Categories() []Category {
	return []Category{NewHotSpot, ConsecutiveHotSpot, IntensifyingHotSpot, PersistentHotSpot,
		DiminishingHotSpot, SporadicHotSpot, OscillatingHotSpot, HistoricalHotSpot,
		NewColdSpot, ConsecutiveColdSpot, IntensifyingColdSpot, PersistentColdSpot,
		DiminishingColdSpot, SporadicColdSpot, OscillatingColdSpot, HistoricalColdSpot, NoPattern}
}

// Hot reports whether the category is a hot-spot category.
func (c Category) Hot() bool {
	i := slices.Index(Categories(), c)
	return i >= 0 && i < 8
}

// GiStar computes the Getis-Ord Gi* z-score of every location from values x
// and binary neighbourhoods: nbrs[i] lists the indices of i's neighbours,
// i itself included (the "star"). With n locations, mean X̄ and
// S = sqrt(Σx²/n − X̄²), and W_i = len(nbrs[i]):
//
//	Gi* = (Σ_{j∈N(i)} x_j − X̄ W_i) / (S · sqrt((n W_i − W_i²) / (n − 1)))
//
// which is already a z-score (Getis and Ord 1995; ESRI's Hot Spot Analysis).
// When the values do not vary (S = 0) or a neighbourhood is the whole area
// (n W_i = W_i²), the statistic is undefined and GiStar returns 0 (no
// evidence of clustering).
func GiStar(x []float64, nbrs [][]int32) []float64 {
	n := float64(len(x))
	z := make([]float64, len(x))
	if len(x) < 2 {
		return z
	}
	var sum, sum2 float64
	for _, v := range x {
		sum += v
		sum2 += v * v
	}
	mean := sum / n
	s2 := sum2/n - mean*mean
	if s2 <= 1e-12*max(1, mean*mean) {
		return z
	}
	s := math.Sqrt(s2)
	for i, nb := range nbrs {
		w := float64(len(nb))
		den := n*w - w*w
		if den <= 0 {
			continue
		}
		var local float64
		for _, j := range nb {
			local += x[j]
		}
		z[i] = (local - mean*w) / (s * math.Sqrt(den/(n-1)))
	}
	return z
}

// PValue is the two-sided p-value of a standard normal z-score.
func PValue(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// Trend is a Mann-Kendall test result.
type Trend struct {
	S int     `json:"s"`
	Z float64 `json:"z"`
	P float64 `json:"p"`
	// VarS is the variance of S under no trend, corrected for ties.
	VarS float64 `json:"var_s"`
}

// MannKendall tests a series for a monotonic trend (Mann 1945, Kendall
// 1975, as in Gilbert 1987 ch. 16): S = Σ_{i<j} sign(x_j − x_i),
// Var(S) = [n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18 over groups of tied
// values, Z = (S−1)/√Var if S > 0, (S+1)/√Var if S < 0, else 0, and P its
// two-sided normal p-value. Fewer than 3 values give S = 0, P = 1.
func MannKendall(x []float64) Trend {
	n := len(x)
	if n < 3 {
		return Trend{P: 1}
	}
	s := 0
	for i := 0; i < n-1; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case x[j] > x[i]:
				s++
			case x[j] < x[i]:
				s--
			}
		}
	}
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	ties := 0.0
	for i := 0; i < n; {
		j := i + 1
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			ties += t * (t - 1) * (2*t + 5)
		}
		i = j
	}
	fn := float64(n)
	v := (fn*(fn-1)*(2*fn+5) - ties) / 18
	t := Trend{S: s, VarS: v, P: 1}
	if v <= 0 {
		return t
	}
	switch {
	case s > 0:
		t.Z = float64(s-1) / math.Sqrt(v)
	case s < 0:
		t.Z = float64(s+1) / math.Sqrt(v)
	}
	t.P = PValue(t.Z)
	return t
}

// classify applies the emerging-hot-spot rules to one location's weekly
// z-scores (oldest first).
func classify(z []float64, alpha float64) (Category, Trend) {
	n := len(z)
	hot := make([]bool, n)
	cold := make([]bool, n)
	for i, v := range z {
		sig := PValue(v) < alpha
		hot[i] = sig && v > 0
		cold[i] = sig && v < 0
	}
	trend := MannKendall(z)
	if c, ok := side(hot, cold, trend, alpha, false); ok {
		return c, trend
	}
	neg := trend
	neg.S, neg.Z = -trend.S, -trend.Z
	if c, ok := side(cold, hot, neg, alpha, true); ok {
		return c, trend
	}
	return NoPattern, trend
}

// side classifies for one side: sig are that side's significant weeks,
// other the opposite side's; trend is oriented so that a positive S means
// "more intense" on this side.
func side(sig, other []bool, trend Trend, alpha float64, cold bool) (Category, bool) {
	n := len(sig)
	count := 0
	for _, b := range sig {
		if b {
			count++
		}
	}
	// at least 90% of the weeks: count ≥ ceil(0.9 n), computed in integers.
	most := 10*count >= 9*n
	pick := func(h, c Category) (Category, bool) {
		if cold {
			return c, true
		}
		return h, true
	}
	if !sig[n-1] {
		if count > 0 && most {
			return pick(HistoricalHotSpot, HistoricalColdSpot)
		}
		return "", false
	}
	if most {
		switch {
		case trend.P < alpha && trend.S > 0:
			return pick(IntensifyingHotSpot, IntensifyingColdSpot)
		case trend.P < alpha && trend.S < 0:
			return pick(DiminishingHotSpot, DiminishingColdSpot)
		}
		return pick(PersistentHotSpot, PersistentColdSpot)
	}
	if slices.Contains(other[:n-1], true) {
		return pick(OscillatingHotSpot, OscillatingColdSpot)
	}
	if count == 1 {
		return pick(NewHotSpot, NewColdSpot)
	}
	run := 0
	for i := n - 1; i >= 0 && sig[i]; i-- {
		run++
	}
	if run == count {
		return pick(ConsecutiveHotSpot, ConsecutiveColdSpot)
	}
	return pick(SporadicHotSpot, SporadicColdSpot)
}

// ChronicQuery asks for the emerging hot spots of a study area.
type ChronicQuery struct {
	// Area is the study area (required): Cells (any resolution; coarser
	// cells are split into their children at Resolution, finer ones replaced
	// by their parent), else Polygon (cells whose centre lies inside, by
	// H3's polygon fill), else BBox. When several are given, cells from the
	// first must also have their centre in the others.
	Area
	// Resolution of the analysis cells (default 9, within the cube's).
	Resolution int
	Types      []string
	Event      Event
	Duplicates bool
	// Weeks is the number of weekly bins N (default 12, 3 to 520).
	Weeks int
	// End: the last bin is the last whole Monday-start local week ending on
	// or before End. Required.
	End time.Time
	// Alpha is the significance level for Gi* and Mann-Kendall (default 0.05).
	Alpha float64
	// All also returns cells with no pattern.
	All bool
}

// ChronicCell is one analysis cell's result. Counts and ZSeries are weekly,
// oldest first, aligned with Cube.ChronicWeeks.
type ChronicCell struct {
	Cell     Cell      `json:"cell"`
	Category Category  `json:"category"`
	Z        float64   `json:"z"` // Gi* z of the latest week
	P        float64   `json:"p"`
	Counts   []int64   `json:"counts"`
	ZSeries  []float64 `json:"z_series"`
	Trend    Trend     `json:"trend"`
}

const maxStudyCells = 200000

func (q *ChronicQuery) defaults(c *Cube) error {
	if q.Resolution == 0 {
		q.Resolution = min(max(9, c.minRes), c.maxRes)
	}
	if q.Resolution < c.minRes || q.Resolution > c.maxRes {
		return data.Invalid("resolution", "resolution %d is outside %d-%d", q.Resolution, c.minRes, c.maxRes)
	}
	if q.Weeks == 0 {
		q.Weeks = 12
	}
	if q.Weeks < 3 || q.Weeks > 520 {
		return data.Invalid("weeks", "weeks must be between 3 and 520, not %d", q.Weeks)
	}
	if q.Alpha == 0 {
		q.Alpha = 0.05
	}
	if !(q.Alpha > 0 && q.Alpha < 1) {
		return data.Invalid("alpha", "alpha must be between 0 and 1")
	}
	if q.End.IsZero() {
		return data.Invalid("end", "an end time is required")
	}
	if q.Area.empty() {
		return data.Invalid("area", "a study area (cells, polygon or bbox) is required")
	}
	return nil
}

// ChronicWeeks returns the start of each weekly bin of a query.
func (c *Cube) ChronicWeeks(q ChronicQuery) ([]time.Time, error) {
	if err := q.defaults(c); err != nil {
		return nil, err
	}
	first, _ := c.chronicBins(q)
	out := make([]time.Time, q.Weeks)
	for i := range out {
		out[i] = dayStart(weekStartDay(first+int32(i)), c.loc)
	}
	return out, nil
}

// chronicBins returns the first and last week numbers.
func (c *Cube) chronicBins(q ChronicQuery) (first, last int32) {
	// The week holding End has not ended (if End is its very start, the week
	// before ended exactly at End): the last bin is the week before it.
	last = weekOf(dayOf(q.End, c.loc)) - 1
	return last - int32(q.Weeks) + 1, last
}

// studyCells lists the analysis cells of the study area.
func studyCells(a Area, res int) ([]uint64, error) {
	var cells []uint64
	seen := map[uint64]bool{}
	add := func(c uint64) {
		if !seen[c] {
			seen[c] = true
			cells = append(cells, c)
		}
	}
	var poly *polyIndex
	if a.Polygon != nil {
		var err error
		if poly, err = newPolyIndex(a.Polygon); err != nil {
			return nil, err
		}
	}
	switch {
	case len(a.Cells) > 0:
		for _, c := range a.Cells {
			if !h3.Cell(c).IsValid() {
				return nil, data.Invalid("cells", "%x is not an H3 cell", c)
			}
			r := cellRes(c)
			switch {
			case r == res:
				add(c)
			case r > res:
				add(cellParent(c, res))
			default:
				if res-r > 6 {
					return nil, data.Invalid("cells", "cell %s is too coarse for resolution %d", Cell(c), res)
				}
				for _, ch := range h3.Cell(c).Children(res) {
					add(uint64(ch))
				}
			}
			if len(cells) > maxStudyCells {
				return nil, data.Invalid("cells", "the study area has more than %d cells", maxStudyCells)
			}
		}
	case poly != nil:
		for _, p := range poly.polys {
			gp := h3.GeoPolygon{GeoLoop: geoLoop(p.rings[0])}
			for _, hole := range p.rings[1:] {
				gp.Holes = append(gp.Holes, geoLoop(hole))
			}
			for _, c := range h3.PolygonToCells(gp, res) {
				add(uint64(c))
			}
		}
	default:
		b := *a.BBox
		if area := (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]); area > 4 {
			return nil, data.Invalid("bbox", "the study area is too large (more than 4 square degrees)")
		}
		for _, c := range h3.PolygonToCells(h3.GeoPolygon{GeoLoop: geoLoop(b.ToRing())}, res) {
			add(uint64(c))
		}
	}
	if len(cells) > maxStudyCells {
		return nil, data.Invalid("area", "the study area has more than %d cells", maxStudyCells)
	}
	// Intersect with the other filters by cell centre.
	if (len(a.Cells) > 0 && (poly != nil || a.BBox != nil)) || (poly != nil && a.BBox != nil) {
		kept := cells[:0]
		for _, c := range cells {
			p := cellCenter(c)
			if (len(a.Cells) > 0 && poly != nil && !poly.contains(p)) || (a.BBox != nil && !a.BBox.Contains(p)) {
				continue
			}
			kept = append(kept, c)
		}
		cells = kept
	}
	slices.Sort(cells)
	return cells, nil
}

func geoLoop(r orb.Ring) h3.GeoLoop {
	out := make(h3.GeoLoop, 0, len(r))
	for _, p := range r {
		out = append(out, h3.LatLng{Lat: p[1], Lng: p[0]})
	}
	if len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

// Chronic runs the emerging hot spot analysis over the study area: weekly
// counts per analysis cell (zeros included), Gi* per week over grid-ring
// neighbourhoods, then a category per cell. Cells are sorted by category
// (Categories order), then by latest z (descending), then by cell.
func (c *Cube) Chronic(q ChronicQuery) ([]ChronicCell, error) {
	if err := q.defaults(c); err != nil {
		return nil, err
	}
	cells, err := studyCells(q.Area, q.Resolution)
	if err != nil {
		return nil, err
	}
	n := len(cells)
	if n == 0 {
		return []ChronicCell{}, nil
	}
	index := make(map[uint64]int32, n)
	for i, cell := range cells {
		index[cell] = int32(i)
	}
	nbrs := make([][]int32, n)
	for i, cell := range cells {
		for _, nb := range h3.Cell(cell).GridDisk(1) {
			if j, ok := index[uint64(nb)]; ok {
				nbrs[i] = append(nbrs[i], j)
			}
		}
	}
	first, last := c.chronicBins(q)
	weeks := int(last-first) + 1
	counts := make([][]int64, n)
	for i := range counts {
		counts[i] = make([]int64, weeks)
	}

	c.mu.RLock()
	f, err := c.filterLocked(q.Types, q.Event, q.Duplicates)
	if err != nil {
		c.mu.RUnlock()
		return nil, err
	}
	k := q.Resolution - c.minRes
	// study index of each dense cell id at the analysis resolution
	studyIdx := make([]int32, len(c.cells[k]))
	for i, cell := range c.cells[k] {
		studyIdx[i] = -1
		if j, ok := index[cell]; ok {
			studyIdx[i] = j
		}
	}
	pm := c.parent[k]
	lo, hi, ok, _ := c.dayRangeLocked(dayStart(weekStartDay(first), c.loc), dayStart(weekStartDay(last+1), c.loc))
	if ok {
		c.scanLocked(lo, hi, f, nil, func(day int32, fid uint32, cnt int32) {
			if pm != nil {
				fid = pm[fid]
			}
			if j := studyIdx[fid]; j >= 0 {
				counts[j][weekOf(day)-first] += int64(cnt)
			}
		})
	}
	c.mu.RUnlock()

	zs := make([][]float64, n)
	for i := range zs {
		zs[i] = make([]float64, weeks)
	}
	x := make([]float64, n)
	for t := 0; t < weeks; t++ {
		for i := range x {
			x[i] = float64(counts[i][t])
		}
		for i, z := range GiStar(x, nbrs) {
			zs[i][t] = z
		}
	}
	out := make([]ChronicCell, 0, n)
	for i, cell := range cells {
		cat, trend := classify(zs[i], q.Alpha)
		if cat == NoPattern && !q.All {
			continue
		}
		z := zs[i][weeks-1]
		out = append(out, ChronicCell{Cell: Cell(cell), Category: cat, Z: z, P: PValue(z), Counts: counts[i], ZSeries: zs[i], Trend: trend})
	}
	order := map[Category]int{}
	for i, cat := range Categories() {
		order[cat] = i
	}
	slices.SortFunc(out, func(a, b ChronicCell) int {
		if d := order[a.Category] - order[b.Category]; d != 0 {
			return d
		}
		if a.Z != b.Z {
			if a.Z > b.Z {
				return -1
			}
			return 1
		}
		if a.Cell < b.Cell {
			return -1
		}
		if a.Cell > b.Cell {
			return 1
		}
		return 0
	})
	return out, nil
}
