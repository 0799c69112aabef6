package postgis

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/geo311/geo311/data"
)

// DB is a geo311 store on PostgreSQL with PostGIS. It is safe for concurrent
// use.
type DB struct {
	pool   *pgxpool.Pool
	intake *groupCommit
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key taken while migrating
// ("geo311" in ASCII).
const migrationLockKey int64 = 0x67656f333131

// Open connects to the database at url (a PostgreSQL URL or key=value
// string), applies the migrations and returns the store. The PostGIS
// extension must be available on the server; the migrations create it if
// the user may.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, data.Invalid("database_url", "cannot parse the database URL: %v", err)
	}
	rp := cfg.ConnConfig.RuntimeParams
	if _, ok := rp["jit"]; !ok {
		// JIT compilation costs far more than it saves on short queries.
		rp["jit"] = "off"
	}
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "geo311"
	}

	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, wrap(ctx, "connect", err)
	}
	geomOID, err := migrate(ctx, conn)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}

	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		registerGeometry(c, geomOID)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap(ctx, "connect", err)
	}
	db := &DB{pool: pool}
	db.intake = newGroupCommit(db)
	return db, nil
}

// registerGeometry makes pgx send and receive PostGIS geometry values as raw
// (E)WKB bytes in the binary format.
func registerGeometry(c *pgx.Conn, oid uint32) {
	c.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
}

// Close waits for the intake group being committed, then closes every
// connection of the pool. Intakes submitted after Close fail with
// data.ErrUnavailable.
func (db *DB) Close() {
	db.intake.stop()
	db.pool.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return wrap(ctx, "ping", err)
	}
	return nil
}

// migration is one embedded SQL file.
type migration struct {
	version  int
	name     string
	sql      string
	checksum string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgis: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("postgis: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("postgis: read migration: %w", err)
		}
		v, _ := strconv.Atoi(m[1])
		sum := sha256.Sum256(b)
		ms = append(ms, migration{version: v, name: m[2], sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgis: two migrations with version %d", ms[i].version)
		}
	}
	return ms, nil
}

// SchemaVersion returns the latest migration version this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate applies the missing migrations in one transaction under an
// advisory lock and returns the OID of the geometry type.
func migrate(ctx context.Context, conn *pgx.Conn) (uint32, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	return applyMigrations(ctx, conn, ms)
}

// applyMigrations applies the migrations of ms (a prefix of migrations(), in
// version order) that the database lacks. migrate passes every embedded
// migration; tests pass a prefix to build a database of an older version.
func applyMigrations(ctx context.Context, conn *pgx.Conn, ms []migration) (uint32, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, wrap(ctx, "migrate", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Serialises concurrent Opens (several geo311 processes starting at
	// once); released at commit or rollback.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
		return 0, wrap(ctx, "migrate: lock", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		checksum   text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, wrap(ctx, "migrate: create schema_migrations", err)
	}
	rows, err := tx.Query(ctx, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
	if err != nil {
		return 0, wrap(ctx, "migrate: read schema_migrations", err)
	}
	applied := map[int]migration{}
	latest := 0
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.version, &m.name, &m.checksum); err != nil {
			rows.Close()
			return 0, wrap(ctx, "migrate: read schema_migrations", err)
		}
		applied[m.version] = m
		latest = max(latest, m.version)
	}
	if err := rows.Err(); err != nil {
		return 0, wrap(ctx, "migrate: read schema_migrations", err)
	}
	known := 0
	for _, m := range ms {
		known = max(known, m.version)
	}
	// A newer binary wrote this database: refuse it before applying or
	// checking anything (its migrations may depend on ones this binary
	// lacks).
	if latest > known {
		return 0, fmt.Errorf("postgis: migrate: the database has schema version %d, newer than this binary's %d: upgrade geo311", latest, known)
	}
	for _, m := range ms {
		if a, ok := applied[m.version]; ok {
			if a.checksum != m.checksum {
				return 0, fmt.Errorf("postgis: migrate: migration %04d_%s applied to the database differs from this binary's (checksum %.12s, want %.12s)",
					m.version, m.name, a.checksum, m.checksum)
			}
			continue
		}
		if m.version < latest {
			return 0, fmt.Errorf("postgis: migrate: migration %04d_%s is missing below applied version %d", m.version, m.name, latest)
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return 0, wrap(ctx, fmt.Sprintf("migrate: apply %04d_%s", m.version, m.name), err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
			m.version, m.name, m.checksum); err != nil {
			return 0, wrap(ctx, "migrate: record version", err)
		}
	}
	var oid uint32
	if err := tx.QueryRow(ctx, "SELECT 'geometry'::regtype::oid").Scan(&oid); err != nil {
		return 0, wrap(ctx, "migrate: find the geometry type", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, wrap(ctx, "migrate: commit", err)
	}
	return oid, nil
}

// wrap prefixes err with the package and operation and adds the data kind a
// caller can act on: the context's error when it ended, ErrUnavailable when
// the database cannot be reached, ErrConflict on unique violations.
func wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgis: %s: %w: %w", op, cerr, err)
	}
	if kind := kindOf(err); kind != nil {
		return fmt.Errorf("postgis: %s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("postgis: %s: %w", op, err)
}

// kindOf maps a driver error to a data error kind, or nil.
func kindOf(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return data.ErrConflict
		case pgErr.Code[:2] == "22": // data exception: a value the column cannot hold (NUL in text, bad JSON)
			return data.ErrInvalid
		case pgErr.Code[:2] == "08", // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, cannot connect now
			pgErr.Code == "53300": // too many connections
			return data.ErrUnavailable
		}
		return nil
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return data.ErrUnavailable
	}
	return nil
}
