// Package h3 is a pure-Go port of the parts of Uber's H3 hexagonal grid
// (C library v4.1, as vendored by github.com/uber/h3-go/v4 v4.1.0) that
// geo311 uses on hot paths: the cell of a point (LatLngToCell), parents
// (Cell.Parent), grid disks (GridDisk, with H3's pentagon handling) and the
// hexadecimal string form (Cell.String, FromString), plus validity checks.
//
// Why a port: every call into h3-go crosses cgo, which costs 1.5-5
// microseconds per call on the project's machine; LatLngToCell here costs
// about 300 ns and GridDisk(c, 2) well under a microsecond, with no cgo and
// no allocation beyond the result. Batch jobs (re-clustering 2 million
// requests, building the trends cube) and the intake decision need that.
//
// The port is a transcription of the C algorithms, not a re-derivation: the
// tables (icosahedron faces, base cells, base-cell neighbours and their
// rotations, the digit-walk tables of h3NeighborRotations) are generated
// from the C sources, and the tests compare every function cell for cell
// with h3-go (the reference) on random points over the whole sphere at every
// resolution, over Chicago, and around all 12 pentagons at every resolution.
// What it does not cover (cell boundaries, polygon filling, local IJ
// coordinates, directed edges) stays with h3-go; those are not on hot paths.
//
// Licence: H3 is Copyright 2016-2021 Uber Technologies, Inc., under the
// Apache License 2.0 (the licence of geo311 too, see LICENSE). The tables in
// tables.go and the algorithms in this package are derived from its C
// sources as distributed in github.com/uber/h3-go/v4 v4.1.0.
//
// The package imports only the standard library and holds no state.
package h3
