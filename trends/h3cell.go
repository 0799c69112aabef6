package trends

import geoh3 "github.com/geo311/geo311/data/h3"

// The cube's H3 work goes through package data/h3, the pure-Go port of H3
// checked cell for cell against h3-go (a cgo call costs 1.5-5 microseconds,
// which alone would exceed the cube's start-up budget of 2 million requests
// in under 2 s). These helpers keep the cube's cells as plain uint64.

// latLngToCell returns the H3 cell of a point (degrees) at res, or 0 for
// non-finite input or a resolution outside 0..15.
func latLngToCell(latDeg, lngDeg float64, res int) uint64 {
	return uint64(geoh3.LatLngToCell(latDeg, lngDeg, res))
}

// cellParent returns the parent of cell h at resolution res (res not above
// h's resolution, else 0): H3's cellToParent.
func cellParent(h uint64, res int) uint64 { return uint64(geoh3.Cell(h).Parent(res)) }

// cellRes returns the resolution of cell h.
func cellRes(h uint64) int { return geoh3.Cell(h).Resolution() }
