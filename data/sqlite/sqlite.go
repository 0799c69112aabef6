package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/geo311/geo311/data"
)

// busyTimeout is how long a statement waits for a lock held by another
// connection or process before failing with data.ErrUnavailable.
const busyTimeout = 5 * time.Second

// DB is geo311's store in one SQLite file. It is safe for concurrent use.
//
// All writes go through a single connection, so they are serialised in the
// process and never fail with SQLITE_BUSY among themselves; reads use a pool
// of query-only connections that, thanks to WAL, run concurrently with the
// writer and see a consistent snapshot per transaction.
type DB struct {
	path        string
	busyTimeout time.Duration
	w           *sql.DB // exactly one connection: every write
	r           *sql.DB // query-only connections: every read
	intake      *groupCommit
	// bulkIndexMin: see ImportRequests (tests lower it).
	bulkIndexMin int
}

// Open opens the database file at path, creating it if needed, and applies
// any pending migrations. The file runs in WAL mode with synchronous=FULL: a
// write method returns only once its transaction is on disk.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, config{readers: defaultReaders(), busyTimeout: busyTimeout})
}

// defaultReaders is the reader pool size: reads are CPU-bound (blob copy,
// WKB and JSON decoding), so a couple of connections per core is enough;
// BenchmarkParallelReads measures the choice.
func defaultReaders() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// config holds what tests and benchmarks vary; Open uses the defaults.
type config struct {
	readers     int           // reader pool size
	busyTimeout time.Duration // wait for another process's lock
	// sharedPool makes one pool of readers connections serve reads and
	// writes (deferred transactions, writers contending through SQLite's
	// busy handler), the alternative design BenchmarkMixed compares.
	sharedPool bool
}

func open(ctx context.Context, path string, cfg config) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open: %w", data.Invalid("path", "%q is not a database file path (in-memory and URI names are not supported)", path))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := createFile(ctx, abs); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{path: abs, busyTimeout: cfg.busyTimeout, bulkIndexMin: bulkIndexMin}
	w := dsn(abs, false, cfg.busyTimeout)
	if cfg.sharedPool {
		w = strings.Replace(w, "_txlock=immediate", "_txlock=deferred", 1)
	}
	db.w = sql.OpenDB(newConnector(w))
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.init(ctx); err != nil {
		_ = db.w.Close()
		return nil, err
	}
	if cfg.sharedPool {
		db.w.SetMaxOpenConns(cfg.readers)
		db.w.SetMaxIdleConns(cfg.readers)
		db.r = db.w
		db.intake = newGroupCommit(db)
		return db, nil
	}
	db.r = sql.OpenDB(newConnector(dsn(abs, true, cfg.busyTimeout)))
	db.r.SetMaxOpenConns(cfg.readers)
	db.r.SetMaxIdleConns(cfg.readers)
	db.r.SetConnMaxLifetime(0)
	db.r.SetConnMaxIdleTime(0)
	db.intake = newGroupCommit(db)
	if err := db.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// pageSize is the page size of a database file geo311 creates. SQLite's
// default is 4 KiB; with 16 KiB pages the requests table's B-trees are a
// level shallower and an import writes, logs and reads back a quarter as
// many pages: a million-row `geo311 import chicago` took 20.7-23.6 s and
// 30-33 CPU-s instead of 30.4-31.2 s and 42 CPU-s (BenchmarkImportChicago
// -count 3, quiet machine), and HTTP intake ran at 1,414-1,595/s instead of
// 1,141-1,337/s (BenchmarkIntakeSQLite). A file's page size is fixed when
// it is created in WAL mode: existing files keep theirs.
const pageSize = 16384

// createFile creates the database file at abs, empty, in WAL mode with
// pageSize pages, unless a file is there already. (The driver switches a
// connection to WAL as it opens it, which fixes a new file's page size
// before any PRAGMA of ours could set it.) Two processes creating the same
// file at once are harmless: the page size of the first one's file stays.
func createFile(ctx context.Context, abs string) error {
	if _, err := os.Stat(abs); !errors.Is(err, os.ErrNotExist) {
		return nil // there (or unreadable, which the open reports)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	db := sql.OpenDB(newConnector(u.String() + "?mode=rwc"))
	defer db.Close()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL", pageSize)); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return db.Close()
}

// init opens the writer connection, checks the file is a WAL database with
// synchronous=FULL and migrates it.
func (db *DB) init(ctx context.Context) error {
	var mode string
	if err := db.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return wrap(ctx, "open "+db.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: journal mode is %q, want wal (is the file on a filesystem without shared memory support?)", db.path, mode)
	}
	var sync int
	if err := db.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return wrap(ctx, "open "+db.path, err)
	}
	if sync != 2 {
		return fmt.Errorf("sqlite: open %s: synchronous is %d, want 2 (FULL)", db.path, sync)
	}
	if _, err := migrate(ctx, db.w); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	return nil
}

// dsn builds the mattn/go-sqlite3 data source name: a file: URI (so any
// character in the path is safe) followed by the driver's pragma parameters,
// which it applies on every new connection.
func dsn(abs string, readOnly bool, busy time.Duration) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "FULL")
	// Keep the connection's recently used statements prepared, keyed by
	// their SQL: the filter queries are built per call (the dedupe
	// candidates of every intake, inside the write transaction), and
	// compiling one cost more than running it.
	q.Set("_stmt_cache_size", "64")
	if readOnly {
		q.Set("_query_only", "1")
		q.Set("_txlock", "deferred")
	} else {
		q.Set("_journal_mode", "WAL")
		// Random inserts into several indexes (times, cells, points) touch
		// pages all over the file: the default 2 MiB page cache makes a big
		// import spill and re-read pages constantly (measured: 1,400 rows/s
		// instead of tens of thousands). 256 MiB at most, allocated on use.
		q.Set("_cache_size", "-262144")
		// Write transactions take the write lock at BEGIN, so a transaction
		// never fails half-way when another process holds the lock.
		q.Set("_txlock", "immediate")
	}
	return u.String() + "?" + q.Encode()
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that both the writer and a reader connection can reach the
// database (the basis of /readyz).
func (db *DB) Ping(ctx context.Context) error {
	var v int
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&v); err != nil {
		return wrap(ctx, "ping writer", err)
	}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&v); err != nil {
		return wrap(ctx, "ping reader", err)
	}
	return nil
}

// Close closes every connection. The writer closes last, which checkpoints
// the WAL into the main file and removes it.
func (db *DB) Close() error {
	if db.intake != nil {
		db.intake.stop()
	}
	var errs []error
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", db.path, err)
	}
	return nil
}

// Backup writes a consistent, compacted copy of the database to destPath
// with VACUUM INTO, while reads and writes go on, then syncs it to disk.
// destPath must not exist (data.ErrConflict if it does). The copy is a
// complete database: to restore, stop geo311 and put the copy in place of
// the database file (removing any -wal and -shm files beside it).
func (db *DB) Backup(ctx context.Context, destPath string) error {
	if destPath == "" {
		return fmt.Errorf("sqlite: backup: %w", data.Invalid("path", "backup destination is empty"))
	}
	dest, err := filepath.Abs(destPath)
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", destPath, err)
	}
	if dest == db.path {
		return fmt.Errorf("sqlite: backup: %w", data.Invalid("path", "backup destination %s is the database itself", dest))
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("sqlite: backup: %w", data.Errorf(data.ErrConflict, "backup destination %s exists", dest))
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
	}
	// VACUUM INTO writes through the connection it runs on, which the
	// query-only readers refuse, but it needs only a read transaction on
	// the database: a connection of its own lets writers go on meanwhile.
	b, err := sql.Open("sqlite3", dsn(db.path, false, db.busyTimeout))
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
	}
	defer b.Close()
	b.SetMaxOpenConns(1)
	if _, err := b.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return wrap(ctx, "backup to "+dest, err)
	}
	if err := syncFile(dest); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
	}
	if err := syncFile(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("sqlite: backup to %s: sync directory: %w", dest, err)
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// wrap prefixes err with "sqlite: op: " and attaches the kinds callers
// match: the context's error when ctx is done (whatever the driver made of
// the interruption), data.ErrUnavailable when the database stayed locked
// past the busy timeout.
func wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlite: %s: %w (%w)", op, cerr, err)
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, data.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// isPrimaryKeyViolation reports whether err is SQLite's primary key
// constraint failure.
func isPrimaryKeyViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
}
