// Package sqlite is geo311's embedded default store: everything in one
// SQLite file (github.com/mattn/go-sqlite3, cgo), no server needed.
//
// It owns the file's schema (embedded, versioned migrations recorded in
// schema_migrations, applied by Open), the connection discipline, and the
// implementations of package data's store interfaces (data.BoundaryStore
// now; the request store next).
//
// # Durability and concurrency
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
// INTO while the service keeps running, and fsyncs it. To restore: stop
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
