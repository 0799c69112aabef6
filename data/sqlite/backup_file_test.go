package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/geo311/geo311/data"
)

// BackupFile copies a database that another connection keeps writing: the
// copy passes the integrity check and holds every request stored before it
// began.
func TestBackupFileWhileWriting(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	db, err := Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var before []string
	for range 50 {
		r, _, err := db.CreateRequest(ctx, data.Intake{Request: newUpgradeRequest(data.KindServiceRequest)})
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, r.Number)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := db.CreateRequest(ctx, data.Intake{Request: newUpgradeRequest(data.KindServiceRequest)}); err != nil {
				t.Errorf("intake during the backup: %v", err)
				return
			}
		}
	})
	dest := filepath.Join(dir, "copy.db")
	err = BackupFile(ctx, src, dest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("BackupFile: %v", err)
	}
	fc, err := CheckFile(ctx, dest)
	if err != nil {
		t.Fatalf("CheckFile: %v", err)
	}
	ms, _ := migrations()
	if fc.SchemaVersion != ms[len(ms)-1].version || fc.Requests < int64(len(before)) {
		t.Errorf("CheckFile = %+v, want version %d and at least %d requests", fc, ms[len(ms)-1].version, len(before))
	}
	for _, side := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(dest + side); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("CheckFile left %s%s: %v", dest, side, err)
		}
	}
	cp, err := Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	for _, n := range before {
		if _, err := cp.Request(ctx, n); err != nil {
			t.Errorf("%s, stored before the backup: %v", n, err)
		}
	}
	if err := BackupFile(ctx, src, dest); !errors.Is(err, data.ErrConflict) {
		t.Errorf("BackupFile over an existing file: %v, want ErrConflict", err)
	}
	if err := BackupFile(ctx, src, src); !errors.Is(err, data.ErrInvalid) && !errors.Is(err, data.ErrConflict) {
		t.Errorf("BackupFile onto its source: %v", err)
	}
}

// BackupFile neither creates a missing database nor migrates an older one.
func TestBackupFileLeavesSourceAlone(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if err := BackupFile(ctx, missing, filepath.Join(dir, "a.db")); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("BackupFile of a missing file: %v, want ErrNotFound", err)
	}
	for _, p := range []string{missing, filepath.Join(dir, "a.db")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a refused backup: %v", p, err)
		}
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a database, but long enough to have a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := BackupFile(ctx, text, filepath.Join(dir, "b.db")); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("BackupFile of a text file: %v, want ErrInvalid", err)
	}

	old := filepath.Join(dir, "old.db")
	openAtVersion(t, old, 1, func(context.Context, *sql.Tx, int) error { return nil })
	dest := filepath.Join(dir, "old-copy.db")
	if err := BackupFile(ctx, old, dest); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{old, dest} {
		fc, err := CheckFile(ctx, p)
		if err != nil || fc.SchemaVersion != 1 || fc.Requests != 0 {
			t.Errorf("CheckFile(%s) = %+v, %v; want version 1, no requests table", filepath.Base(p), fc, err)
		}
	}
}

// CheckFile finds a damaged copy.
func TestCheckFileFindsDamage(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	db, err := Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if _, _, err := db.CreateRequest(ctx, data.Intake{Request: newUpgradeRequest(data.KindServiceRequest)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	dest := filepath.Join(dir, "copy.db")
	if err := BackupFile(ctx, src, dest); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckFile(ctx, dest); err != nil {
		t.Fatalf("intact copy: %v", err)
	}
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite the second half of the file (index and table pages) with
	// garbage, keeping the header and the schema page.
	for i := len(b) / 2; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(dest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckFile(ctx, dest); err == nil {
		t.Error("CheckFile accepted a damaged file")
	}
}
