// Package postgis is geo311's PostgreSQL/PostGIS store: a pgx/v5 connection
// pool, embedded versioned SQL migrations, boundary generations as PostGIS
// tables (data.BoundaryStore), and the routing question of package geo
// answered in SQL with ST_Covers on GiST-indexed geometries (Locate,
// LocateBatch), for comparison with the Go index and for SQL users.
//
// # Migrations
//
// Open applies the embedded migrations (migrations/NNNN_name.sql) in order,
// each once, recorded in schema_migrations with a checksum. Open holds a
// transaction-level advisory lock while it migrates, so several processes may
// open the same database at once; applying the migrations again is a no-op.
// A database migrated by a newer geo311 (a version this binary does not
// know) or an applied migration whose text changed is refused.
//
// # Tables
//
// generations(id, layer, effective_from, active, source, loaded_at) and
// areas(generation_id, layer, id, name, properties jsonb,
// geom geometry(MultiPolygon,4326)) with a GiST index on geom. Geometry is
// written as EWKB through COPY and read as WKB, so coordinates round-trip
// bit-exactly (ring order, orientation and closing points included).
//
// # Routing rule
//
// Locate follows the rule of the team conventions exactly, so that its answers
// equal geo.Index.Locate's: per layer, the active generation with the latest
// effective_from not after the date (the zero time means now); in it, the
// area with the byte-wise smallest id whose closed geometry covers the probe
// (lon+TieTolerance, lat-TieTolerance) (CPD G01-04: extend the point to the
// south and east), else the smallest id covering the point itself; else none.
// The layers answered are the jurisdiction's, in its order, then any other
// layer with an active generation (custom layers), by name. A derived layer
// (sector) is never read from the tables: it takes the first three
// characters of its source layer's (beat's) id when that id is longer, and
// the source generation's id with its own layer name ("sector@2012-12-19").
// No area in any layer is data.ErrOutsideJurisdiction with the
// jurisdiction's message. Probe coordinates are computed in Go (float64) and
// sent as binary float8, so that both implementations test the very same
// point. Two active generations of one layer starting at the same instant,
// which geo.NewIndex refuses, resolve here to the greater id in byte order.
//
// Areas are tested through area_parts, their pieces of at most 64 vertices
// (ST_Subdivide; small and invalid geometries are kept whole), indexed by
// (generation_id, geom) with btree_gist: ST_Covers on a piece costs
// microseconds where a whole TOASTed ward costs a detoast and a walk over
// thousands of vertices.
//
// The server should run with jit=off (Open sets it per session unless the URL
// says otherwise) and, on small machines, max_parallel_workers_per_gather=0.
package postgis
