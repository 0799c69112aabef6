package sqlite

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"
)

// TestPageSize: a file Open creates has pageSize pages and is in WAL mode;
// a file made before (4 KiB pages) keeps its page size and opens as usual.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(old)}
	raw := sql.OpenDB(newConnector(u.String() + "?mode=rwc"))
	if _, err := raw.ExecContext(ctx, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE made_before (x)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, tc := range []struct {
		path string
		want int
	}{{filepath.Join(dir, "new.db"), pageSize}, {old, 4096}} {
		db, err := Open(ctx, tc.path)
		if err != nil {
			t.Fatalf("open %s: %v", tc.path, err)
		}
		var size int
		var mode string
		if err := db.w.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
			t.Fatal(err)
		}
		if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if size != tc.want || mode != "wal" {
			t.Errorf("%s: page size %d, journal mode %q; want %d, wal", filepath.Base(tc.path), size, mode, tc.want)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
