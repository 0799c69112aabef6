package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/geo311/geo311/data"
)

// LSN is a position in PostgreSQL's write-ahead log (the pg_lsn type): the
// byte offset of a WAL record, written "16/B374D848" (high and low 32 bits
// in hexadecimal). Positions of one cluster and its replicas compare as
// integers.
type LSN uint64

// ParseLSN reads a position in PostgreSQL's notation ("0/16B3748").
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, data.Invalid("lsn", "%q is not a WAL position (like 16/B374D848)", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, data.Invalid("lsn", "%q is not a WAL position (like 16/B374D848)", s)
	}
	return LSN(h<<32 | l), nil
}

// String writes the position as PostgreSQL does ("16/B374D848").
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF)
}

// OpenReader connects to a read-only copy of a geo311 database, typically
// a streaming replica (hot standby) of the database a primary store opened
// with Open, for the reads that may lag the primary by the replication
// delay (scans for exports, reports and analytics). It never migrates
// (a standby cannot be written): it checks that the schema the server has
// is the one this binary knows, and fails with an error that says so when
// the replica is behind (or not a replica of a geo311 database at all).
//
// When the schema is behind and catchUp is not zero (the primary's
// WALPosition taken after its Open migrated it), OpenReader waits, until
// ctx ends, for the server to replay the WAL up to catchUp and checks
// again: a migration just applied on the primary may not have reached the
// replica yet. A replica whose schema is current is used at once, however
// far behind its data is.
//
// OpenReader is NewReader followed by CheckReader; an unreachable server is
// data.ErrUnavailable, a replay that did not reach catchUp in time keeps
// ctx's error in the chain.
func OpenReader(ctx context.Context, url string, catchUp LSN) (*DB, error) {
	db, err := NewReader(url)
	if err != nil {
		return nil, err
	}
	if err := db.CheckReader(ctx, catchUp); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// NewReader prepares a read-only store on url without connecting (its
// connections are made when first used), for a caller that starts while
// the replica is down and checks it later with CheckReader: reads through
// it are only meaningful once CheckReader succeeded.
//
// Sessions run with default_transaction_read_only=on (a reader pointed at a
// writable server still never writes) and application_name geo311-reader
// unless the URL sets one. The store has the methods of every store; those
// that write fail (SQLSTATE 25006).
func NewReader(url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, data.Invalid("read_database_url", "cannot parse the database URL: %v", err)
	}
	rp := cfg.ConnConfig.RuntimeParams
	if _, ok := rp["jit"]; !ok {
		rp["jit"] = "off"
	}
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "geo311-reader"
	}
	rp["default_transaction_read_only"] = "on"
	// The geometry type's OID is the primary's (a physical replica is a
	// copy), but a reader may be made before any server answers: each
	// connection looks it up.
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		var oid uint32
		if err := c.QueryRow(ctx, "SELECT coalesce(to_regtype('geometry')::oid, 0)").Scan(&oid); err != nil {
			return err
		}
		if oid == 0 {
			return errors.New("postgis: reader: the database has no PostGIS (no geometry type): the replica is behind its primary, or is not a replica of the geo311 database")
		}
		registerGeometry(c, oid)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: reader: %w", err)
	}
	db := &DB{pool: pool}
	// Close stops the intake committer of every DB; a reader's never
	// receives an intake that could succeed.
	db.intake = newGroupCommit(db)
	return db, nil
}

// CheckReader checks that the server's geo311 schema is exactly this
// binary's; when it is behind, it waits (until ctx ends) for the server to
// replay the WAL up to catchUp (zero: no wait) and checks again. Errors:
// data.ErrUnavailable when the server cannot be reached, ctx's error when
// the schema was behind and the replay did not get to catchUp in time,
// otherwise an error naming the schema versions.
func (db *DB) CheckReader(ctx context.Context, catchUp LSN) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return wrap(ctx, "reader: connect", err)
	}
	defer conn.Release()
	err = checkSchema(ctx, conn.Conn())
	var behind *schemaBehind
	if catchUp == 0 || !errors.As(err, &behind) {
		return err
	}
	if werr := waitReplay(ctx, conn.Conn(), catchUp); werr != nil {
		return fmt.Errorf("%v; %w", err, werr)
	}
	return checkSchema(ctx, conn.Conn())
}

// schemaBehind is checkSchema's error for a server that lacks migrations
// this binary has (replay may bring them).
type schemaBehind struct{ msg string }

func (e *schemaBehind) Error() string { return e.msg }

// checkSchema compares the server's applied migrations with this binary's.
func checkSchema(ctx context.Context, conn *pgx.Conn) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	want := ms[len(ms)-1].version
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return wrap(ctx, "reader: check schema", err)
	}
	if !exists {
		return &schemaBehind{fmt.Sprintf("postgis: reader: the database has no geo311 schema (schema version 0, this geo311 needs %d): the replica is behind its primary, or is not a replica of the geo311 database", want)}
	}
	rows, err := conn.Query(ctx, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
	if err != nil {
		return wrap(ctx, "reader: read schema_migrations", err)
	}
	applied := map[int]migration{}
	latest := 0
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.version, &m.name, &m.checksum); err != nil {
			rows.Close()
			return wrap(ctx, "reader: read schema_migrations", err)
		}
		applied[m.version] = m
		latest = max(latest, m.version)
	}
	if err := rows.Err(); err != nil {
		return wrap(ctx, "reader: read schema_migrations", err)
	}
	if latest > want {
		return fmt.Errorf("postgis: reader: the database has schema version %d, newer than this binary's %d: upgrade geo311", latest, want)
	}
	for _, m := range ms {
		a, ok := applied[m.version]
		if !ok {
			return &schemaBehind{fmt.Sprintf("postgis: reader: the database has schema version %d, this geo311 needs %d (migration %04d_%s is missing): the replica is behind its primary; wait for it to catch up, or check that it replicates the primary's database",
				latest, want, m.version, m.name)}
		}
		if a.checksum != m.checksum {
			return fmt.Errorf("postgis: reader: migration %04d_%s in the database differs from this binary's (checksum %.12s, want %.12s)",
				m.version, m.name, a.checksum, m.checksum)
		}
	}
	return nil
}

// querier1 is what the position queries need: a connection or the pool.
type querier1 interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// position returns the server's WAL position: on a standby the last
// replayed one, else the current write position.
func position(ctx context.Context, q querier1) (pos LSN, standby bool, err error) {
	var s string
	err = q.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn(), '0/0') ELSE pg_current_wal_lsn() END::text`).Scan(&standby, &s)
	if err != nil {
		return 0, false, err
	}
	pos, err = ParseLSN(s)
	return pos, standby, err
}

// WALPosition returns how far the server's data goes in the WAL: on a
// primary its current write position (pg_current_wal_lsn), on a standby
// the last position it replayed (pg_last_wal_replay_lsn). A replica has
// every change the primary committed before the primary's position p once
// its own position is at least p.
func (db *DB) WALPosition(ctx context.Context) (LSN, error) {
	pos, _, err := position(ctx, db.pool)
	if err != nil {
		return 0, wrap(ctx, "wal position", err)
	}
	return pos, nil
}

// ReplayLag returns how many bytes of WAL the server (a standby) has still
// to replay to reach the position primary (the primary's WALPosition);
// zero when it has reached it or is not a standby.
func (db *DB) ReplayLag(ctx context.Context, primary LSN) (int64, error) {
	pos, standby, err := position(ctx, db.pool)
	if err != nil {
		return 0, wrap(ctx, "replay lag", err)
	}
	if !standby || pos >= primary {
		return 0, nil
	}
	return int64(primary - pos), nil
}

// WaitReplay waits until the server has replayed the WAL up to pos (see
// WALPosition), polling every few milliseconds, and fails with ctx's error
// and both positions if ctx ends first. A server that is not a standby has
// nothing to replay and returns at once.
func (db *DB) WaitReplay(ctx context.Context, pos LSN) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return wrap(ctx, "wait replay", err)
	}
	defer conn.Release()
	return waitReplay(ctx, conn.Conn(), pos)
}

func waitReplay(ctx context.Context, conn *pgx.Conn, pos LSN) error {
	delay := time.Millisecond
	var got LSN
	timedOut := func() error {
		return fmt.Errorf("postgis: wait replay: the replica has replayed the WAL up to %s, the primary was at %s: %w (is replay paused, or the replica not streaming from this primary?)",
			got, pos, ctx.Err())
	}
	for {
		p, standby, err := position(ctx, conn)
		if err != nil {
			if ctx.Err() != nil {
				return timedOut()
			}
			if errors.Is(err, data.ErrInvalid) {
				return fmt.Errorf("postgis: wait replay: %w", err)
			}
			return wrap(ctx, "wait replay", err)
		}
		got = p
		if !standby || got >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return timedOut()
		case <-time.After(delay):
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
}

// IsRecoveryConflict reports whether err is a query that a hot standby
// cancelled because replaying the primary's changes needed what it read
// (SQLSTATE 40001 with the standby's conflict message, or 40P01). Running
// it again, on the standby or the primary, may succeed.
func IsRecoveryConflict(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "40001":
		return strings.Contains(pgErr.Message, "conflict with recovery")
	case "40P01":
		return strings.Contains(pgErr.Detail, "recovery") || strings.Contains(pgErr.Message, "recovery")
	}
	return false
}
