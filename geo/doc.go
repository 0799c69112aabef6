// Package geo owns geo311's geography: loading boundary layers from GeoJSON,
// validating them, deriving layers (police sectors from beats), the fast
// point-in-area index over effective-dated generations, the tie rule of CPD
// General Order G01-04 for points on shared edges, the service catalogues of
// the cities it serves (embedded data files), routing a point and a service
// type to areas, department and unit, and the procedurally generated demo
// jurisdiction.
//
// It is pure Go and needs no database.
package geo
