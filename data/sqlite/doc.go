// Package sqlite is geo311's embedded default store: everything in one
// SQLite file (github.com/mattn/go-sqlite3, cgo), no server needed.
//
// It owns the file's schema (embedded, versioned migrations recorded in
// schema_migrations, applied by Open), the connection discipline, and the
// implementations of package data's store interfaces: *DB is a data.Store
// (boundaries, requests and community concerns, API keys).
//
// # Durability and concurrency
//
// A file Open creates has 16 KiB pages (pageSize; SQLite's default is 4
// KiB, which files made before keep): an import writes and reads back a
// quarter as many pages.
//
// The file runs in WAL mode with synchronous=FULL: a write method returns
// only after its transaction is fsynced, so anything acknowledged survives a
// crash or power loss. Writes go through exactly one connection (so they
// queue in database/sql, honouring their contexts, instead of fighting over
// SQLite's lock) and start with BEGIN IMMEDIATE; reads use a pool of
// query-only connections and, thanks to WAL, never wait for the writer. A
// multi-query read runs in one read transaction, so it sees one snapshot.
// Another process holding the write lock longer than the busy timeout (5 s)
// makes a write fail with data.ErrUnavailable.
//
// # Requests
//
// Requests live in one STRICT table with a column per field (JSON TEXT for
// areas, attributes, contact and recorded areas) and an index per filter
// but the status: "open" and "closed" test the closed column on the rows
// another filter's index, or requests_requested in order, reads (migration
// 0007 dropped requests_status, one more index for every import to build;
// TestQueryPlans pins that a page of open requests never sorts them all).
// The well-known layers (beat, sector, district, ward, community_area,
// precinct) have a column each holding the request's first area of that
// layer, with a partial index (column, requested_at) WHERE column is not
// empty (migration 0005, as the PostGIS store), but sector: a sector is
// derived from its beat (its id is the beat id's first characters), so a
// sector filter reads the range of its beats on requests_beat (beat >= X
// AND beat < X's byte successor, then sector = X) or, for the rows whose
// sector is not a byte prefix of their beat (a sector without a beat, or
// one imported from elsewhere), requests_sector_irregular, a partial index
// of those rows only (migration 0008, as the PostGIS store's 0008): empty
// where sectors are routed from beats, so an import keeps it instead of
// building a sector index over every row, and an intake inserts into one
// index fewer. Its pages come out of a sort of the sector's rows, no
// longer in index order. The areas of other layers are rows of
// request_areas (layer, area_id, request_id), kept by triggers.
// bbox and near read zkey, the Z-order (Morton) code of the point, each
// coordinate quantized to 31 bits (migration 0006, zorder.go): the box is
// covered by at most 32 quadtree cells, each a range of requests_zkey, and
// the query is driven from those ranges (json_each of a JSON list, CROSS
// JOIN, INDEXED BY requests_zkey), then checks the exact lon/lat; near then
// checks the haversine distance with the Go function geo311_distance_m,
// registered on every connection (mean earth radius 6,371,008.8 m). Both
// replaced side tables (an R*Tree, a request_areas row per area) whose
// per-row inserts were most of an import. TestQueryPlans and
// TestAreaFilterPlans pin the indexes the filters use;
// BenchmarkSpatialQueries and BenchmarkAreaQueries measure those reads.
//
// ImportRequests and ImportRequestSeq import in one transaction on the
// writer's connection: a goroutine checks and encodes 10,000-row chunks
// (values and texts written straight into the chunk's buffer) while the
// writer inserts, binding, stepping and resetting each INSERT in one C call
// (bindStep, texts bound in place from the chunk; it falls back to the
// driver's binds if the driver no longer keeps its sqlite3_stmt where
// rawStmt looks, which TestImportBindsDirectly catches); CHECKs and foreign keys are
// compiled out of the import's own statements (rows checked in Go; pragmas
// restored and read back); the request_areas triggers are suspended for the
// transaction (re-created from their stored SQL before COMMIT) and the
// custom layers' rows written in one statement at the end; once a call's
// rows reach 20,000 and half the stored rows, requests' secondary indexes
// are dropped and rebuilt by CREATE INDEX, which sorts once instead of
// inserting row by row (but an area column's index while none of the rows
// so far has that layer, and requests_sector_irregular while none is
// irregular: those are kept, later rows inserted into them). The import runs with temp_store=FILE and threads=2
// and builds with a 4 MiB page cache, so SQLite's sorter cuts each index's
// keys into 4 MiB runs sorted and merged on worker threads (temporary files
// in SQLITE_TMPDIR, else /var/tmp or /tmp, one index's keys at a time)
// instead of one in-memory sort on the writer's thread; the writer's
// pragmas are restored and read back after. TestImportSideTables checks
// request_areas and the columns against the rows; BenchmarkImportSeq1M
// measures a million rows in one call, BenchmarkImport1M in calls of
// 10,000 and 100,000.
//
// # Reading requests
//
// Reads select the 27 TEXT columns packed into one value, each prefixed
// by its byte length (packExpr), beside the numeric columns: the driver
// makes one Go string per row instead of 27 (two allocations each), and
// the request's strings are substrings of it. decodeRequest reads the
// instants with a fixed-width parser and the JSON columns with small
// decoders for the flat shapes encodeRequest writes, falling back to
// time.Parse and encoding/json for anything else (FuzzParseTime,
// FuzzDecodeJSONColumns check they agree). ScanRequests reads the driver's
// rows directly on a pooled reader connection (no database/sql per-row
// locking and conversion), in one read transaction, and has SQLite join
// the TEXT columns with the ASCII unit separator instead (cheaper to build
// than the lengths); a row whose text holds the separator has the wrong
// number of fields and is read again by id with lengths. A full scan walks
// requests_requested in order, no sort (TestQueryPlans);
// BenchmarkScanRequests measures it over 200,000 rows.
//
// A scan's snapshot does not block the writer (WAL), but while it lasts
// checkpoints cannot copy frames written after it began, and the WAL
// cannot restart, so the WAL file grows by whatever is written meanwhile;
// it is checkpointed and reused after the scan ends. A slow consumer (an
// export streamed to a slow client, fn doing heavy work) thus costs WAL
// size and read speed for the other readers, never a blocked intake.
//
// # Community meetings and contacts
//
// meetings (per jurisdiction and community.MeetingID) keep a meeting as its
// wall clock and zone name, rebuilt with community.ParseWall on read;
// meeting_beats lists the beats of each group for "meetings of beat X";
// contacts are keyed by (jurisdiction, layer, area_id, kind). *DB is a
// community.Store.
//
// Tracking numbers come from request_counters (kind, year of RequestedAt in
// UTC, highest sequence), incremented inside the intake transaction, so a
// rolled-back intake consumes none; imports raise the counter to the
// highest number they bring. Idempotency keys map to the number they made.
//
// Intake: SQLite has one writer across processes, and CreateRequest holds
// the write lock from BEGIN IMMEDIATE to COMMIT, so the candidates dedupe
// reads cannot change before the new request commits: Intake.LockKeys need
// no lock of their own. A writer goroutine commits the intakes waiting at
// the same moment in one transaction (each in its own SAVEPOINT, so one
// failing intake is rolled back alone) and answers each caller only after
// that COMMIT, i.e. once durable: one fsync per group instead of per intake.
//
// # Storage formats
//
// Instants are TEXT in UTC with nanoseconds and a fixed width
// ("2012-12-19T06:00:00.000000000Z"), so text order is time order; the
// time.Location is not kept. Geometry is WKB (little-endian, lon/lat
// WGS84) in a BLOB; area properties are a JSON object in TEXT. Ids compare
// byte-wise.
//
// # Backup and restore
//
// (*DB).Backup(ctx, dest) writes a consistent, compacted copy with VACUUM
// INTO while the service keeps running, and fsyncs it; BackupFile does the
// same for a database file without opening it as a store (no migration, so
// a newer binary can back up an older file), and CheckFile runs PRAGMA
// integrity_check on a copy. `geo311 backup --out FILE` uses both. To restore: stop
// geo311, move the database file aside together with its -wal and -shm
// files if any, copy the backup to the database path, start geo311 (Open
// applies any newer migrations). A plain file copy of a running database is
// not a backup: it can miss the WAL's content.
//
// # Migrations
//
// migrations/NNNN_name.sql files run in order, each in its own transaction
// that records its version; a released file is never edited. Open refuses a
// database whose schema version is newer than the binary's.
package sqlite
