package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"time"
)

// migrationFiles holds the schema, one file per version:
// migrations/NNNN_name.sql, applied in order, each in its own transaction.
// A released migration is never edited; changes go in a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// migrations returns the embedded migrations in version order, checking
// that versions run 1, 2, 3... without gaps or duplicates.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, name := range names { // fs.Glob returns names sorted
		m := migrationName.FindStringSubmatch(path.Base(name))
		if m == nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", name)
		}
		v, _ := strconv.Atoi(m[1])
		if v != i+1 {
			return nil, fmt.Errorf("migration file %s: version %d, want %d", name, v, i+1)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: m[2], sql: string(b)})
	}
	return ms, nil
}

// migrate brings the schema of the database behind w (the single writer
// connection) up to the latest embedded version and returns how many
// migrations it applied. Each migration runs in an IMMEDIATE transaction that
// first re-reads the applied versions, so two processes opening the same file
// at once apply each migration exactly once. A database whose schema is newer
// than this binary's is refused rather than used.
func migrate(ctx context.Context, w *sql.DB) (applied int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return applyMigrations(ctx, w, ms)
}

// applyMigrations applies the migrations of ms (a prefix of migrations(),
// in version order) that the database lacks. migrate passes every embedded
// migration; tests pass a prefix to build a database of an older version.
func applyMigrations(ctx context.Context, w *sql.DB, ms []migration) (applied int, err error) {
	if len(ms) == 0 {
		return 0, fmt.Errorf("sqlite: migrations: none to apply")
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT`); err != nil {
		return 0, wrap(ctx, "create schema_migrations", err)
	}
	latest := ms[len(ms)-1].version
	for _, m := range ms {
		done, err := applyMigration(ctx, w, m, latest)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, w *sql.DB, m migration, latest int) (applied bool, err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, wrap(ctx, "migrate: begin", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return false, wrap(ctx, "migrate: read version", err)
	}
	if current > latest {
		return false, fmt.Errorf("sqlite: database schema version %d is newer than this geo311 knows (%d): use a newer geo311", current, latest)
	}
	if current >= m.version {
		return false, tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, wrap(ctx, fmt.Sprintf("migration %04d_%s", m.version, m.name), err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(time.Now())); err != nil {
		return false, wrap(ctx, "migrate: record version", err)
	}
	if err := tx.Commit(); err != nil {
		return false, wrap(ctx, fmt.Sprintf("migration %04d_%s: commit", m.version, m.name), err)
	}
	return true, nil
}
