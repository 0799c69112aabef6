package dedupe

import (
	"math"
	"slices"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/h3"
)

// MinEdgeM is the lower bound this package assumes for the edge length of an
// H3 hexagon at data.H3Resolution (9), in metres. H3 publishes an average of
// 174.4 m; the shortest hexagon edge we found by sampling 200,000 random cells
// over the globe plus 30 rings round each of the 12 pentagons is 141.1 m
// (Chicago's cells have edges of 199-208 m). 130 m leaves a margin of 8% for
// the irregularity of the hexagons, which is under 5% within one cell.
const MinEdgeM = 130.0

// MaxRadiusM bounds the search radius SearchCells and LockKeys accept. It is
// far above any 311 dedupe radius and keeps the grid disk small (k <= 26).
const MaxRadiusM = 5000.0

// LockResolution is the H3 resolution of the advisory lock keys (LockKeys).
// A resolution-7 cell is about 5 km² (edge 1.2 km), so the lock set of a
// 250 m search is usually 1-3 keys, and intakes more than a few kilometres
// apart never wait for each other. Resolution 5 (250 km²) would serialise
// whole quarters of the city; resolution 9 would need 7-19 locks per intake.
const LockResolution = 7

// EarthRadiusM is the mean Earth radius used by Haversine (IUGG, metres).
const EarthRadiusM = 6371008.8

// SearchK returns the grid-disk radius k at resolution 9 that certainly holds
// every point within radiusM metres of any point of the centre cell.
//
// Why: in a hexagonal grid of edge e, every point of a cell lies within e of
// its centre (the circumradius equals the edge), and the centres of the cells
// at grid distance j lie on a hexagon whose apothem is 1.5·j·e, so they are at
// least 1.5·j·e from the centre. A point q at distance <= R from p (p in the
// centre cell) lies in a cell whose centre is within R + 2e of the centre
// cell's centre, hence at grid distance j with 1.5·j·e <= R + 2e. The
// smallest k with 1.5·(k+1)·e > R + 2e is floor((R/e + 2)/1.5). The bound
// falls with e, so using MinEdgeM (below every res-9 edge) is safe anywhere.
// Hence radii under 130 m search k=1 (7 cells), 130-324 m k=2 (19 cells),
// 325-519 m k=3 (37 cells).
func SearchK(radiusM float64) int {
	if radiusM <= 0 {
		return 1 // still cover points a hair across the cell edge
	}
	return int(math.Floor((radiusM/MinEdgeM + 2) / 1.5))
}

// Cell returns the H3 cell of a point at data.H3Resolution, the value
// data.Request.H3 stores.
func Cell(lat, lon float64) (uint64, error) {
	if err := checkPoint(lat, lon); err != nil {
		return 0, err
	}
	c := h3.LatLngToCell(lat, lon, data.H3Resolution)
	if c == 0 {
		return 0, data.Invalid("lat", "no H3 cell for (%v, %v)", lat, lon)
	}
	return uint64(c), nil
}

// SearchCells returns the resolution-9 cells to search for requests within
// radiusM metres of (lat, lon): the grid disk of radius SearchK(radiusM)
// around the point's cell, sorted ascending. Requests store their cell
// (data.Request.H3), so a store answers with an indexed "h3 IN (...)" and
// filters the exact distance after (Decide does).
func SearchCells(lat, lon float64, radiusM float64) ([]uint64, error) {
	c, err := Cell(lat, lon)
	if err != nil {
		return nil, err
	}
	if err := checkRadius(radiusM); err != nil {
		return nil, err
	}
	return diskOf(c, SearchK(radiusM)), nil
}

func diskOf(c uint64, k int) []uint64 {
	return appendDisk(make([]uint64, 0, 3*k*(k+1)+1), c, k)
}

// appendDisk appends the grid disk of radius k round c to dst, sorted
// ascending (data/h3's GridDisk: the pure-Go port of H3's gridDisk, checked
// cell for cell against h3-go, no cgo call).
func appendDisk(dst []uint64, c uint64, k int) []uint64 {
	n0 := len(dst)
	var buf [64]h3.Cell // k <= 4 without a heap allocation
	for _, d := range h3.AppendGridDisk(buf[:0], h3.Cell(c), k) {
		dst = append(dst, uint64(d))
	}
	slices.Sort(dst[n0:])
	return dst
}

// LockKeys returns the advisory lock keys an intake takes before deciding,
// sorted ascending, to be locked in that order (pg_advisory_xact_lock on
// PostGIS, a striped in-process mutex set on SQLite). The keys are the
// distinct resolution-LockResolution parents of SearchCells(lat, lon,
// radiusM), as int64 (H3 indexes have the top bit clear).
//
// Shared-key property: for two points p and q at most radiusM apart, q's
// resolution-9 cell is in SearchCells(p) (see SearchK), so its parent is in
// LockKeys(p); and q's own cell is in SearchCells(q), so the same parent is in
// LockKeys(q). Two concurrent intakes that could dedupe against each other
// therefore always contend for a common lock, and sorted acquisition keeps
// them free of deadlock. Types of one dedupe group must be locked with the
// same radius (the group's largest).
func LockKeys(lat, lon, radiusM float64) ([]int64, error) {
	cells, err := SearchCells(lat, lon, radiusM)
	if err != nil {
		return nil, err
	}
	keys := make([]int64, 0, 4)
	for _, c := range cells {
		p := int64(h3.Cell(c).Parent(LockResolution))
		if !slices.Contains(keys, p) {
			keys = append(keys, p)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Haversine returns the great-circle distance in metres between two points
// given in degrees.
func Haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	s1 := math.Sin(dLat / 2)
	s2 := math.Sin(dLon / 2)
	a := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	if a > 1 {
		a = 1
	}
	return 2 * EarthRadiusM * math.Asin(math.Sqrt(a))
}

// near is a cheap pre-filter for Haversine around one point: it rejects
// only points certainly more than radiusM away. It measures an
// equirectangular distance with the cosine of the centre's latitude and
// keeps 1% slack; for radii up to MaxRadiusM (0.045° of latitude) and
// latitudes up to 80° that approximation is within 0.5% of the great-circle
// distance. Beyond 80° it lets everything through to Haversine.
type near struct {
	lat, lon, cosLat, r2 float64
	polar                bool
}

const mPerDeg = EarthRadiusM * math.Pi / 180

func newNear(lat, lon, radiusM float64) near {
	r := radiusM * 1.01 / mPerDeg
	return near{lat: lat, lon: lon, cosLat: math.Cos(lat * math.Pi / 180), r2: r * r, polar: math.Abs(lat) > 80}
}

func (n *near) ok(lat, lon float64) bool {
	if n.polar {
		return true
	}
	dy := lat - n.lat
	dx := math.Abs(lon - n.lon)
	if dx > 180 {
		dx = 360 - dx
	}
	dx *= n.cosLat
	return dx*dx+dy*dy <= n.r2
}

func checkPoint(lat, lon float64) error {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return data.Invalid("lat", "must be between -90 and 90")
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return data.Invalid("lon", "must be between -180 and 180")
	}
	return nil
}

func checkRadius(radiusM float64) error {
	if math.IsNaN(radiusM) || radiusM < 0 || radiusM > MaxRadiusM {
		return data.Invalid("radius", "must be between 0 and %g metres", MaxRadiusM)
	}
	return nil
}
