package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/geo311/geo311/data"
)

// BackupFile writes a consistent copy of the geo311 database file src to
// dest, like (*DB).Backup, without opening src as a store: no migration
// runs (a newer geo311 taking a backup before an upgrade leaves the live
// file at its version), a missing src is data.ErrNotFound rather than a new
// empty database, and a geo311 serving src goes on reading and writing
// meanwhile. dest must not exist (data.ErrConflict).
func BackupFile(ctx context.Context, src, dest string) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("sqlite: backup %s: %w", src, err)
	}
	if err := checkDatabaseFile(abs); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// Backup uses only the file's path and the lock wait: a DB value
	// without connections is enough.
	return (&DB{path: abs, busyTimeout: busyTimeout}).Backup(ctx, dest)
}

// sqliteHeader starts every SQLite 3 database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// checkDatabaseFile refuses a path that is not an existing SQLite file.
func checkDatabaseFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return data.Errorf(data.ErrNotFound, "no database file at %s", path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return data.Invalid("path", "%s is not a regular file", path)
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return data.Invalid("path", "%s is not an SQLite database", path)
	}
	return nil
}

// FileCheck is what CheckFile found in a database file.
type FileCheck struct {
	// SchemaVersion is the highest applied migration (0: none).
	SchemaVersion int
	// Requests counts the stored requests (0 before the requests schema).
	Requests int64
}

// CheckFile runs SQLite's full integrity check on a database file that no
// process writes (a backup), opened read-only and immutable, so that it is
// neither changed nor given -wal and -shm files, and reports its schema
// version and request count. A failed check is an error quoting SQLite's
// findings.
func CheckFile(ctx context.Context, path string) (FileCheck, error) {
	var fc FileCheck
	abs, err := filepath.Abs(path)
	if err != nil {
		return fc, fmt.Errorf("sqlite: check %s: %w", path, err)
	}
	if err := checkDatabaseFile(abs); err != nil {
		return fc, fmt.Errorf("sqlite: check: %w", err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&immutable=1"}
	db := sql.OpenDB(newConnector(u.String()))
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fc, wrap(ctx, "check "+abs, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fc, wrap(ctx, "check "+abs, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fc, wrap(ctx, "check "+abs, err)
	}
	if len(problems) > 0 {
		return fc, fmt.Errorf("sqlite: check %s: integrity check failed: %q", abs, problems)
	}
	has := func(table string) (bool, error) {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n)
		return n > 0, err
	}
	for _, q := range []struct {
		table, sql string
		dst        any
	}{
		{"schema_migrations", `SELECT coalesce(max(version), 0) FROM schema_migrations`, &fc.SchemaVersion},
		{"requests", `SELECT count(*) FROM requests`, &fc.Requests},
	} {
		ok, err := has(q.table)
		if err == nil && ok {
			err = db.QueryRowContext(ctx, q.sql).Scan(q.dst)
		}
		if err != nil {
			return fc, wrap(ctx, "check "+abs, err)
		}
	}
	return fc, nil
}
