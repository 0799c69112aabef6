// Package geo owns geo311's geography: loading boundary layers from GeoJSON,
// validating them, deriving layers (police sectors from beats), the fast
// point-in-area index over effective-dated generations, the tie rule of CPD
// General Order G01-04 for points on shared edges, the service catalogues of
// the cities it serves (embedded data files), routing a point and a service
// type to areas, department and unit, and the procedurally generated demo
// jurisdiction.
//
// It is pure Go and needs no database.
//
// # Routing rule
//
// For a point p = (lon, lat) and a time t, each layer uses its generation
// with the latest EffectiveFrom not after t. The point is first extended
// south-east to q = (lon + TieTolerance, lat - TieTolerance), TieTolerance =
// 1e-6 degrees (about 0.11 m north-south, 0.08 m east-west in Chicago): the
// areas whose closed polygon covers q are candidates and the smallest id
// (byte order) wins. If none covers q, the areas covering p itself decide
// (a point on the outer south or east edge). Otherwise the layer has no
// area there. A derived layer (sector, derived from beat) answers the first
// three characters of the beat's id, with generation "sector@<beat date>".
// No area in any layer: data.ErrOutsideJurisdiction with the jurisdiction's
// OutsideMessage. PostGIS answers the same with ST_Covers on q, then p.
//
// "Covers" is exact: a point on an edge is covered, crossings follow the
// half-open rule, and orientation signs come from an adaptive exact
// predicate (Shewchuk's error bound, then an exact expansion), so ties are
// decided deterministically, not by rounding.
//
// # Index
//
// All layers share one grid frame over their union bounding box (about three
// cells per boundary edge of the largest generation, at most 2^19 cells,
// roughly square on the ground). Per generation, a cell touched by no edge
// stores the area covering it; a cell touched by edges stores, contiguously,
// per candidate area the few edges a ray from the point meets before a cell
// side no edge of that area touches (towards +x or +y, whichever list is
// shorter) and the parity beyond it. Per epoch (a span of time with a fixed
// set of generations) a combined table answers every layer with one load
// when the cell is uniform in all of them. Lookups do not allocate
// (LocateInto). See BenchmarkLocateChicago.
//
// # Dissolving and validation
//
// DeriveSectors dissolves beats by cancelling shared edges where vertices
// coincide exactly (after splitting edges at T-junction vertices); when the
// result is not sound it keeps the member polygons as a MultiPolygon (see
// Dissolve). Validate reports overlaps and gaps by locating a lattice of
// about 250,000 sample points exactly (see Report): findings thinner than
// the sample spacing can be missed.
package geo
