package geo

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	_ "time/tzdata" // the demo and catalogue time zones must resolve on a bare machine

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// DemoID is the id of the generated demo jurisdiction.
const DemoID = "demo"

// The demo city lies in open country south-west of Chicago, far from any
// area of the real Chicago layers, so that a Chicago point is outside it.
var demoCenter = orb.Point{-88.30, 41.20}

const (
	demoCols, demoRows = 30, 30 // lattice blocks
	demoBlockLat       = 0.0042 // block height in degrees (about 470 m)
	demoJitter         = 0.26   // vertex jitter, fraction of a block
	demoWiggle         = 0.07   // edge mid-point displacement, fraction of a block
	demoRadius         = 12.5   // city radius in blocks
	demoDistricts      = 6      // police districts
	demoSectors        = 3      // sectors per district
	demoWards          = 10     // wards
	demoCommunityAreas = 9      // community areas
	demoPoliceFrom     = "2020-01-01"
	demoWardRemap      = "2024-05-20" // the demo's ward boundary change
)

var demoCommunityNames = []string{"Alder Park", "Birchwood Flats", "Canal Yards", "Dunmore", "Elm Hollow",
	"Fairhaven", "Granite Heights", "Heron Bay", "Ironbridge", "Juniper Row", "Kestrel Point", "Linden Grove"}

func demoJurisdiction() (*data.Jurisdiction, error) {
	chi, err := LookupJurisdiction("chicago")
	if err != nil {
		return nil, err
	}
	j := &data.Jurisdiction{
		ID:               DemoID,
		Name:             "Demo City (generated)",
		TimeZone:         "America/Chicago",
		OutsideMessage:   "This location is outside Demo City, a generated city for trying geo311: pick a point on the map inside the city boundary.",
		EmergencyMessage: chi.EmergencyMessage,
		Center:           [2]float64{demoCenter[0], demoCenter[1]},
		Layers: []data.LayerSpec{
			{Layer: data.LayerBeat, Title: "Police beat", IDProperty: "beat_num", PadID: 4},
			{Layer: data.LayerSector, Title: "Police sector", DerivedFrom: data.LayerBeat},
			{Layer: data.LayerDistrict, Title: "Police district", IDProperty: "dist_num", PadID: 2, NameProperty: "dist_label"},
			{Layer: data.LayerWard, Title: "Ward", IDProperty: "ward"},
			{Layer: data.LayerCommunityArea, Title: "Community area", IDProperty: "area_numbe", NameProperty: "community"},
		},
		Services: chi.Services,
	}
	if err := CheckJurisdiction(j); err != nil {
		return nil, err
	}
	return j, nil
}

// Demo generates the demo jurisdiction and its active generations for a
// seed: a city with an irregular outline cut from one jittered planar mesh
// of blocks with wiggly shared edges, partitioned by randomised region
// growing (Voronoi-like, contiguous) into 6 police districts, each into 3
// sectors and each sector into 2 to 4 beats (ids DDSB, so sectors derive
// from beats), 10 wards grown independently of the police map (they cut
// across it), and 9 community areas. Areas are unions of whole blocks, so
// neighbours share exactly the same vertices: no gaps, no overlaps.
//
// Wards have two generations: the 2020 map and a remap in force from
// 2024-05-20 (same seats, boundaries moved), so routing by date can be
// tried. Police layers and community areas start 2020-01-01. The result is
// deterministic for a seed; the returned generations are active, with
// LoadedAt equal to EffectiveFrom.
func Demo(seed int64) (*data.Jurisdiction, []*data.Generation) {
	j, err := demoJurisdiction()
	if err != nil {
		panic("geo: embedded catalogue is broken: " + err.Error())
	}
	loc, err := loadLocation(j.TimeZone)
	if err != nil {
		panic("geo: demo time zone: " + err.Error())
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	m := newDemoMesh(rng)
	city := m.cityBlocks(rng)

	day := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			panic(err)
		}
		return t
	}
	policeFrom, remap := day(demoPoliceFrom), day(demoWardRemap)
	source := "demo:seed=" + strconv.FormatInt(seed, 10)
	gen := func(l data.Layer, from time.Time, areas []data.Area) *data.Generation {
		return &data.Generation{ID: data.GenerationID(l, from), Layer: l, EffectiveFrom: from, Active: true,
			Source: source, LoadedAt: from, AreaCount: len(areas), Areas: areas}
	}

	// Police: districts -> sectors -> beats.
	districts := m.grow(rng, city, demoDistricts)
	var beats, dists []data.Area
	for di, dblocks := range districts {
		did := fmt.Sprintf("%02d", di+1)
		dists = append(dists, data.Area{Layer: data.LayerDistrict, ID: did, Name: ordinal(di + 1),
			Properties: map[string]string{"dist_num": strconv.Itoa(di + 1), "dist_label": ordinal(di + 1)},
			Geometry:   m.union(dblocks)})
		for si, sblocks := range m.grow(rng, dblocks, demoSectors) {
			n := 2 + rng.IntN(3)
			for bi, bblocks := range m.grow(rng, sblocks, n) {
				id := fmt.Sprintf("%s%d%d", did, si+1, bi+1)
				beats = append(beats, data.Area{Layer: data.LayerBeat, ID: id,
					Properties: map[string]string{"beat_num": id, "district": did, "sector": strconv.Itoa(si + 1), "beat": strconv.Itoa(bi + 1)},
					Geometry:   m.union(bblocks)})
			}
		}
	}
	// Wards: the 2020 map, then the remap (same seeds, new growth weights).
	wardSeeds := m.seeds(rng, city, demoWards)
	wards := func(regions [][]int) []data.Area {
		var out []data.Area
		for i, blocks := range regions {
			id := strconv.Itoa(i + 1)
			out = append(out, data.Area{Layer: data.LayerWard, ID: id,
				Properties: map[string]string{"ward": id}, Geometry: m.union(blocks)})
		}
		return sortAreas(out)
	}
	wards2020 := wards(m.growFrom(rng, city, wardSeeds))
	wards2024 := wards(m.growFrom(rng, city, wardSeeds))
	var cas []data.Area
	for i, blocks := range m.grow(rng, city, demoCommunityAreas) {
		id := strconv.Itoa(i + 1)
		cas = append(cas, data.Area{Layer: data.LayerCommunityArea, ID: id, Name: demoCommunityNames[i%len(demoCommunityNames)],
			Properties: map[string]string{"area_numbe": id, "community": demoCommunityNames[i%len(demoCommunityNames)]},
			Geometry:   m.union(blocks)})
	}
	return j, []*data.Generation{
		gen(data.LayerBeat, policeFrom, sortAreas(beats)),
		gen(data.LayerDistrict, policeFrom, sortAreas(dists)),
		gen(data.LayerWard, policeFrom, wards2020),
		gen(data.LayerWard, remap, wards2024),
		gen(data.LayerCommunityArea, policeFrom, sortAreas(cas)),
	}
}

func sortAreas(a []data.Area) []data.Area {
	slices.SortFunc(a, func(x, y data.Area) int { return cmp.Compare(x.ID, y.ID) })
	return a
}

func ordinal(n int) string {
	suffix := "TH"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "ST"
	case n%10 == 2:
		suffix = "ND"
	case n%10 == 3:
		suffix = "RD"
	}
	return strconv.Itoa(n) + suffix
}

// demoMesh is a jittered lattice of blocks whose shared edges are wiggly
// polylines, each stored once, so every block ring is built from the same
// coordinates as its neighbours'.
type demoMesh struct {
	bw, bh float64
	verts  [][]orb.Point   // [i][j], i = column 0..demoCols, j = row 0..demoRows
	hEdge  [][][]orb.Point // [i][j]: (i,j)->(i+1,j), inner points
	vEdge  [][][]orb.Point // [i][j]: (i,j)->(i,j+1), inner points
}

func newDemoMesh(rng *rand.Rand) *demoMesh {
	mx, my := metresPerDegree(demoCenter[1])
	m := &demoMesh{bh: demoBlockLat, bw: demoBlockLat * my / mx}
	x0 := demoCenter[0] - demoCols/2*m.bw
	y0 := demoCenter[1] - demoRows/2*m.bh
	// A slight rotation makes the street grid less axis-aligned.
	rot := (rng.Float64() - 0.5) * 0.2
	cs, sn := math.Cos(rot), math.Sin(rot)
	m.verts = make([][]orb.Point, demoCols+1)
	for i := range m.verts {
		m.verts[i] = make([]orb.Point, demoRows+1)
		for j := range m.verts[i] {
			u := float64(i) + (rng.Float64()*2-1)*demoJitter
			v := float64(j) + (rng.Float64()*2-1)*demoJitter
			u, v = u-demoCols/2, v-demoRows/2
			u, v = u*cs-v*sn, u*sn+v*cs
			m.verts[i][j] = round7(orb.Point{x0 + (u+demoCols/2)*m.bw, y0 + (v+demoRows/2)*m.bh})
		}
	}
	wiggle := func(a, b orb.Point) []orb.Point {
		n := rng.IntN(3)
		pts := make([]orb.Point, 0, n)
		dx, dy := (b[0]-a[0])/m.bw, (b[1]-a[1])/m.bh
		l := math.Hypot(dx, dy)
		for k := 1; k <= n; k++ {
			t := float64(k) / float64(n+1)
			off := (rng.Float64()*2 - 1) * demoWiggle
			// Perpendicular displacement in block units, back to degrees.
			px, py := -dy/l*off, dx/l*off
			pts = append(pts, round7(orb.Point{a[0] + t*(b[0]-a[0]) + px*m.bw, a[1] + t*(b[1]-a[1]) + py*m.bh}))
		}
		return pts
	}
	m.hEdge = make([][][]orb.Point, demoCols)
	for i := range m.hEdge {
		m.hEdge[i] = make([][]orb.Point, demoRows+1)
		for j := range m.hEdge[i] {
			m.hEdge[i][j] = wiggle(m.verts[i][j], m.verts[i+1][j])
		}
	}
	m.vEdge = make([][][]orb.Point, demoCols+1)
	for i := range m.vEdge {
		m.vEdge[i] = make([][]orb.Point, demoRows)
		for j := range m.vEdge[i] {
			m.vEdge[i][j] = wiggle(m.verts[i][j], m.verts[i][j+1])
		}
	}
	return m
}

// round7 rounds coordinates to 1e-7 degrees (about 1 cm), like city exports.
func round7(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
}

func (m *demoMesh) block(b int) (i, j int) { return b % demoCols, b / demoCols }

// ring returns the counter-clockwise ring of block b.
func (m *demoMesh) ring(b int) orb.Ring {
	i, j := m.block(b)
	r := orb.Ring{m.verts[i][j]}
	r = append(r, m.hEdge[i][j]...)
	r = append(r, m.verts[i+1][j])
	r = append(r, m.vEdge[i+1][j]...)
	r = append(r, m.verts[i+1][j+1])
	r = append(r, reversed(m.hEdge[i][j+1])...)
	r = append(r, m.verts[i][j+1])
	r = append(r, reversed(m.vEdge[i][j])...)
	return append(r, m.verts[i][j])
}

func reversed(p []orb.Point) []orb.Point {
	q := slices.Clone(p)
	slices.Reverse(q)
	return q
}

func (m *demoMesh) union(blocks []int) orb.MultiPolygon {
	polys := make([]orb.Polygon, len(blocks))
	for k, b := range blocks {
		polys[k] = orb.Polygon{m.ring(b)}
	}
	mp, _ := Dissolve(polys)
	return mp
}

func (m *demoMesh) neighbours(b int, dst []int) []int {
	i, j := m.block(b)
	dst = dst[:0]
	if i > 0 {
		dst = append(dst, b-1)
	}
	if i < demoCols-1 {
		dst = append(dst, b+1)
	}
	if j > 0 {
		dst = append(dst, b-demoCols)
	}
	if j < demoRows-1 {
		dst = append(dst, b+demoCols)
	}
	return dst
}

// cityBlocks picks the blocks inside an irregular outline (a radius
// modulated by a few random harmonics), keeps the largest connected piece
// and fills enclosed holes.
func (m *demoMesh) cityBlocks(rng *rand.Rand) []int {
	var amp, phase [4]float64
	for k := range amp {
		amp[k] = (0.04 + rng.Float64()*0.12) / float64(k+1)
		phase[k] = rng.Float64() * 2 * math.Pi
	}
	in := make([]bool, demoCols*demoRows)
	for b := range in {
		i, j := m.block(b)
		u, v := float64(i)+0.5-demoCols/2, float64(j)+0.5-demoRows/2
		th := math.Atan2(v, u)
		r := demoRadius
		for k := range amp {
			r *= 1 + amp[k]*math.Sin(float64(k+2)*th+phase[k])
		}
		in[b] = math.Hypot(u, v) < r
	}
	// Largest connected component.
	comp := make([]int, len(in))
	best, bestN, id := 0, 0, 0
	var nb, stack []int
	for b := range in {
		if !in[b] || comp[b] != 0 {
			continue
		}
		id++
		n := 0
		stack = append(stack[:0], b)
		comp[b] = id
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			for _, y := range m.neighbours(x, nb) {
				if in[y] && comp[y] == 0 {
					comp[y] = id
					stack = append(stack, y)
				}
			}
		}
		if n > bestN {
			best, bestN = id, n
		}
	}
	// Outside = reachable from the lattice border without crossing the city.
	outside := make([]bool, len(in))
	stack = stack[:0]
	for b := range in {
		i, j := m.block(b)
		if comp[b] != best && (i == 0 || j == 0 || i == demoCols-1 || j == demoRows-1) {
			outside[b] = true
			stack = append(stack, b)
		}
	}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, y := range m.neighbours(x, nb) {
			if comp[y] != best && !outside[y] {
				outside[y] = true
				stack = append(stack, y)
			}
		}
	}
	var city []int
	for b := range in {
		if !outside[b] {
			city = append(city, b)
		}
	}
	return city
}

// seeds picks k seed blocks spread out by farthest-point sampling.
func (m *demoMesh) seeds(rng *rand.Rand, blocks []int, k int) []int {
	k = min(k, len(blocks))
	if k == 0 {
		return nil
	}
	seeds := []int{blocks[rng.IntN(len(blocks))]}
	dist := func(a, b int) float64 {
		ai, aj := m.block(a)
		bi, bj := m.block(b)
		return math.Hypot(float64(ai-bi), float64(aj-bj))
	}
	for len(seeds) < k {
		best, bestD := -1, -1.0
		for _, b := range blocks {
			d := math.Inf(1)
			for _, s := range seeds {
				d = math.Min(d, dist(b, s))
			}
			// A little noise keeps the layout from looking regular.
			d *= 0.85 + 0.3*rng.Float64()
			if d > bestD {
				best, bestD = b, d
			}
		}
		seeds = append(seeds, best)
	}
	return seeds
}

// grow partitions blocks into k contiguous regions grown from spread seeds,
// numbered north to south then west to east.
func (m *demoMesh) grow(rng *rand.Rand, blocks []int, k int) [][]int {
	return m.growFrom(rng, blocks, m.seeds(rng, blocks, k))
}

// growFrom partitions blocks among seeds by a multi-source shortest-path
// search with random step costs: every block joins the seed it is reached
// from first, so regions are contiguous and their borders irregular.
func (m *demoMesh) growFrom(rng *rand.Rand, blocks []int, seeds []int) [][]int {
	allowed := map[int]bool{}
	for _, b := range blocks {
		allowed[b] = true
	}
	owner := map[int]int{}
	pq := &blockQueue{}
	for s, b := range seeds {
		heap.Push(pq, queued{0, b, s})
	}
	var nb []int
	for pq.Len() > 0 {
		q := heap.Pop(pq).(queued)
		if _, done := owner[q.block]; done {
			continue
		}
		owner[q.block] = q.region
		for _, y := range m.neighbours(q.block, nb) {
			if _, done := owner[y]; allowed[y] && !done {
				heap.Push(pq, queued{q.dist + 0.4 + 1.2*rng.Float64(), y, q.region})
			}
		}
	}
	regions := make([][]int, len(seeds))
	for _, b := range blocks {
		if r, ok := owner[b]; ok {
			regions[r] = append(regions[r], b)
		}
	}
	regions = slices.DeleteFunc(regions, func(r []int) bool { return len(r) == 0 })
	// Number regions north to south, then west to east, by mean block.
	key := func(r []int) (float64, float64) {
		var si, sj float64
		for _, b := range r {
			i, j := m.block(b)
			si += float64(i)
			sj += float64(j)
		}
		return -sj / float64(len(r)), si / float64(len(r))
	}
	slices.SortStableFunc(regions, func(a, b []int) int {
		ay, ax := key(a)
		by, bx := key(b)
		if c := cmp.Compare(math.Round(ay/3), math.Round(by/3)); c != 0 {
			return c
		}
		return cmp.Compare(ax, bx)
	})
	return regions
}

type queued struct {
	dist          float64
	block, region int
}

type blockQueue []queued

func (q blockQueue) Len() int { return len(q) }
func (q blockQueue) Less(i, j int) bool {
	if q[i].dist != q[j].dist {
		return q[i].dist < q[j].dist
	}
	return q[i].block < q[j].block
}
func (q blockQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *blockQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *blockQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// loadLocation resolves an IANA time zone name (tzdata is embedded).
func loadLocation(name string) (*time.Location, error) {
	return time.LoadLocation(name)
}
