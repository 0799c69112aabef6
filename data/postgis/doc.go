// Package postgis is geo311's PostgreSQL/PostGIS store: a pgx/v5 connection
// pool, embedded versioned SQL migrations, boundary generations as PostGIS
// tables (data.BoundaryStore), service requests, notes, tracking numbers
// and API keys (data.RequestStore, data.KeyStore), and the routing question
// of package geo answered in SQL with ST_Covers on GiST-indexed geometries
// (Locate, LocateBatch), for comparison with the Go index and for SQL users.
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
// # Requests (migration 0003)
//
// *DB implements data.Store: data.BoundaryStore, data.RequestStore and
// data.KeyStore. Tables:
//
//   - requests: one row per request, the columns of the SQLite store
//     (number unique COLLATE "C", kind, service_code, state (the Open311
//     status is geo311_status(state): migration 0007 dropped the stored
//     generated column), lon/lat float8 kept bit-exact and geom
//     geometry(Point,4326) built from them, h3 bigint, areas,
//     timestamps as timestamptz with NULL for the zero time, attributes,
//     contact, pin_hash bytea, police_related, legacy, recorded_areas
//     ...). areas, recorded_areas, attributes and contact are text holding
//     the JSON the store writes (migration 0007: PostgreSQL does not parse
//     them on every write; SQL users cast them, areas::jsonb); rows stored
//     before hold jsonb's text form, which reads back the same. H3 cells are uint64; they are stored as
//     the int64 with the same bits (two's complement; valid cells have the
//     top bit clear, so they are positive and order like the uint64).
//     h3_r7 and h3_r8 hold the parents at resolutions 7 and 8, computed in
//     Go at write time by the bit operation of cellToParent (no cgo on the
//     write path; checked against h3-go in the tests), NULL when h3 is not a
//     cell. The well-known layers of areas (beat, sector, district, ward,
//     community_area, precinct) are also text columns, set by the store
//     from Areas at every write (empty when absent; the first area of the layer
//     when a request lists two); custom layers are filtered by jsonb
//     containment on custom_areas, the areas without the well-known layers
//     (geo311_custom_areas(areas) of migration 0006, written by Go), NULL
//     when there are none, through a partial GIN index (jsonb_path_ops) of
//     the rows that have some (migration 0007).
//   - request_notes (id identity, number FK, at, actor, event, text,
//     reason, internal), ordered by (number, at, id).
//   - number_counters (prefix, n): the highest sequence given out or
//     imported per prefix ("SR26-"), CHECK n <= data.MaxNumberSeq.
//   - idempotency_keys (key, number, created_at) and api_keys.
//
// Every filter of data.RequestFilter is one parameterised SQL predicate
// with an index behind it (TestQueryPlans checks the plans): number
// (unique), requested_at (requested_at, number), updated_at, (service_code,
// requested_at), (state, requested_at) for states and for the Open311
// status (the states of that status: status is a function of state, so
// migration 0006 dropped its own index), the area columns (partial, with
// requested_at), except sector, which is derived from the beat (migration
// 0008): the beat index's range of the beats that start with the sector id,
// then sector = id, OR'ed with a partial index of the rows whose sector is
// not a prefix of their beat (none in a city that routes its sectors);
// custom layers (partial GIN on custom_areas), geom
// (GiST) for BBox (&& then the exact edge-inclusive lon/lat test) and Near
// (&& on the circle's bounding box, then geo311_distance_m: the haversine on
// the mean earth radius, the SQLite store's formula, so both stores agree),
// cells (h3, requested_at AT TIME ZONE 'UTC') with the window written on
// that expression, so that no other index can answer an intake's
// candidates (see below), parent_number. ScanRequests streams the rows off
// the connection as fn takes them (bounded memory).
//
// Why the cells' window is an expression: with a plain requested_at >=
// start, requests_requested could answer it too, and on a table whose
// statistics predate its newest rows (a service's first days) the planner
// expected one row in the window and walked requests_requested over every
// request of it, filtering the cells: 1,130 rows read for 9 kept at 6,000
// requests, growing with the table (HTTP intakes fell from ~740/s to
// ~410/s between 3,000 and 6,000 intakes). TestIntakeCandidatesPlanStaleStatistics
// checks the custom and the generic plan.
//
// # Intake
//
// CreateRequest goes through a group committer: intakes waiting at the same
// time share one transaction (at most 32) and every caller is answered
// after its COMMIT returned (synchronous_commit on: durable). A group keeps
// only intakes whose LockKeys are pairwise disjoint (one whose keys meet an
// earlier intake's could deduplicate against it, so it waits for the next
// group), and runs in two pipelined round trips on one connection whatever
// its size: (1) BEGIN; the plan settings and, in the same statement, the
// advisory locks of every intake's LockKeys, ascending
// (pg_advisory_xact_lock); the idempotency keys, ascending
// (INSERT ... ON CONFLICT DO NOTHING: a key that exists is a replay and
// returns the stored request, created false; one that another process is
// inserting waits for its commit); every intake's candidates
// (in.Candidates, read after the locks), in one statement for all intakes
// whose filter has dedupe's shape (cells, a window's start, a status:
// unnest of (intake, cell, since, status) joined to requests_h3_window),
// decoded from the binary wire format into requests reused from group to
// group. Then, in Go, Decide for each intake. (2) The numbers: one counter
// update per prefix for all of its intakes (INSERT ... ON CONFLICT (prefix)
// DO UPDATE SET n = n + k); the primaries' counts in one statement
// (geo311_count_duplicate over unnest: no_data_found when a primary does
// not exist), the requests in one INSERT, every note of the group (the
// primaries' "joined as a duplicate" too) in one INSERT,
// the idempotency keys' numbers, each number computed in SQL from the
// counter row the transaction has just raised (the k-th of the prefix's
// intakes gets n - (count - k), as Go computes it from the counter's
// RETURNING); COMMIT. A statement refused before the COMMIT stops the
// pipeline there, and the transaction is rolled back. If the database
// refuses any statement (a value a column cannot hold, exhausted numbers,
// a deadlock), the group is run again one intake at a time, each in a
// savepoint, so the refused intake fails alone and takes no number; a
// deadlock victim is retried in the next group. Taking locks in this
// global order keeps groups of different processes free of deadlocks.

// Why groups: the counter row is locked from the intake's increment to its
// COMMIT, so one transaction per intake serialises every intake of every
// process behind one WAL flush each (about 1.5 ms on the reference disk:
// at most ~650/s). A rolled-back intake returns its number (gap-free
// numbers, as the contract asks), which a SEQUENCE could not. One
// committer per process: a second one's group would wait for the counter
// row (and often the neighbourhood's advisory locks) until the first
// group's COMMIT anyway, and both groups would be smaller; the counter
// rows are held for round trip 2 (which ends with the COMMIT) only.
// Measured again with two round trips per group: two committers gave
// 623-661 HTTP intakes/s against 662-803 for one (BenchmarkIntakePostGIS
// -benchtime 4000x, alternated, load average 2.6-2.8 from other work), so
// one it stays.
//
// # Import
//
// ImportRequestSeq (and ImportRequests through it) streams 20,000-row
// chunks in one transaction, reading the next chunk while the current one
// is written: stored numbers are looked up (not in an empty table), new
// rows binary-COPYed into requests (copyenc.go), stored ones upserted
// through a temporary table; a unique violation rolls the chunk back to a
// savepoint and upserts it. Once the call's rows reach 20,000 and a fifth
// of the stored rows, the non-unique indexes are dropped and rebuilt
// before COMMIT (ACCESS EXCLUSIVE on requests until then); into an empty
// table the keys too (below). The paragraph below describes each chunk.
//
// ImportRequests looks up which of the batch's numbers are stored (one
// probe of the unique index each), COPYs (binary) the new rows straight
// into requests (heap multi-insert; no temporary table, no speculative
// insertion), and upserts the stored ones through a temporary table with
// one INSERT ... ON CONFLICT (number) DO UPDATE, counting inserts by
// xmax = 0. A number another transaction inserts meanwhile makes the COPY
// fail on the unique index: it is rolled back to a savepoint and the whole
// batch takes the upsert path. Then number_counters is raised to the
// highest imported sequence per prefix. Where the time goes (BenchmarkImport,
// EXPLAIN ANALYZE): almost all of it is the server maintaining the table's
// indexes row by row (each about as costly as the heap insert itself); no
// trigger or per-row function runs on insert, geometry arrives as EWKB,
// and the counters are updated once per batch.
//
// Into an empty table (the bulk path from the first chunk) the rows go to
// a shadow table (import_shadow.go): another connection creates
// geo311_import_<pid>_<start>_<n> (LIKE requests, autovacuum off) and
// commits it; the import's transaction locks requests and request_notes
// (ACCESS EXCLUSIVE, as in place), checks that requests is empty and has
// nothing the swap would lose (grants, triggers, rules, policies,
// comments, storage options, statistics objects, publications,
// inheritance, dependent views or functions; otherwise the in-place path
// below) and that the shadow table still has its columns; the chunks are
// COPYed into it and committed; its indexes and keys are built two at a
// time, longest first, each in its own transaction on one of two
// connections (B-tree builds end in a serial merge and the GiST build is
// serial throughout, so one build at a time left a core idle); then the
// import's transaction drops the notes' foreign key and requests, renames
// the shadow table, its identity sequence and its indexes, adds the keys
// (USING INDEX) and the foreign key, and commits. requests changes only at
// that commit; a failure drops the shadow table; a process that dies
// leaves it behind and the next such import drops it (its name carries the
// pid and start time of the import's backend, which is gone). A REPEATABLE
// READ transaction that began before the swap and first reads requests
// after it sees the rows, as after a TRUNCATE.
//
// The in-place path (a table with rows, or an empty one the swap would
// change) loads a million rows into an empty table in two phases
// (BenchmarkImportSeq reports them, and the CPU of the server and of Go;
// it measured this path before the shadow table).
// The 50 COPY chunks run on one backend: heap and WAL writes (much of it
// kernel time), the input functions, the CHECKs and the partial indexes
// kept. Into an empty table it drops the keys too (primary key, unique
// number, the notes' foreign key, so request_notes is locked as well until
// COMMIT) and built after the rows: maintaining them row by row was about
// a quarter of that backend's time. Migration
// 0007 took out two more costs of every written row: parsing four jsonb
// columns (jsonb_recv, about a quarter of the COPY backend's time) and
// computing the stored generated status. Then the builds, one after
// another; B-tree builds use the server's parallel maintenance workers
// (max_parallel_maintenance_workers, 2 by default: the leader and two
// workers sort a third each), the GiST build (sorted, PostGIS's
// sortsupport) is serial. They are now most of the import's server CPU:
// each re-reads the heap, and the (area, requested_at) indexes, whose
// first column has few distinct values, compare both columns on almost
// every comparison. Migration 0006 removed the GIN index of every area
// (5.3 s) and the status index (1.7 s), migration 0008 the sector index
// (its filter reads the beat index).
//
// # Community (migration 0004)
//
// *DB implements community.Store: meetings(jurisdiction, id, beats text[],
// wall, tz, duration_ns, location_name, address, notes, lon, lat), keyed by
// (jurisdiction, id), with meeting_beats(jurisdiction, beat, meeting_id) for
// "the meetings of my beat" (a beat group lists every beat), and
// contacts(jurisdiction, layer, area_id, kind, ...). A meeting is stored as
// its local wall clock and the name of its zone, and its start rebuilt with
// community.ParseWall. ReplaceMeetings diffs the stored schedule in Go
// under an advisory lock of the jurisdiction and writes only the changes;
// UpsertContacts is one INSERT ... ON CONFLICT DO UPDATE ... WHERE the row
// differs, so unchanged contacts are neither rewritten nor counted.
//
// # Vector tiles for comparison
//
// RequestsMVT serves the requests points layer with ST_AsMVT and
// ST_AsMVTGeom (version 2, extent 4096, buffer 64, public filter), the same
// features the tiles package draws at z13+ in points mode (TestRequestsMVT
// compares them feature by feature). The server uses the tiles package's
// in-process index; BenchmarkRequestsTile measures both.
//
// # Errors
//
// Unique violations are data.ErrConflict; values a column cannot hold
// (class 22: NUL in text, bad JSON) data.ErrInvalid; connection failures,
// shutdown and too many connections data.ErrUnavailable; a cancelled
// context keeps context.Canceled in the chain.
//
// # Scale
//
// The requests table is not partitioned. A year of a large city (2 million
// rows, about 2.5 GB with indexes) is well within what plain B-tree and
// GiST indexes serve, and partitioning by month would cost the global
// UNIQUE (number) that idempotent imports and lookups by number rely on
// (a unique index on a partitioned table must contain the partition key).
// Past several years of history, partition by range of requested_at with a
// separate number -> requested_at lookup table.
//
// The server should run with jit=off (Open sets it per session unless the URL
// says otherwise) and, on small machines, max_parallel_workers_per_gather=0.
package postgis
