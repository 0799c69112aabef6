package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/storetest"
)

// openTest opens a database in a fresh temporary directory and closes it at
// the end of the test.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "geo311.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

func TestBoundaryStore(t *testing.T) {
	storetest.TestBoundaryStore(t, func(t *testing.T) data.BoundaryStore { return openTest(t) })
}

func TestOpenSetsPragmas(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	for _, tc := range []struct {
		handle *sql.DB
		pragma string
		want   string
	}{
		{db.w, "journal_mode", "wal"},
		{db.w, "synchronous", "2"}, // FULL
		{db.w, "foreign_keys", "1"},
		{db.w, "busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
		{db.w, "query_only", "0"},
		{db.r, "journal_mode", "wal"},
		{db.r, "foreign_keys", "1"},
		{db.r, "busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
		{db.r, "query_only", "1"},
	} {
		var got string
		if err := tc.handle.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			which := "writer"
			if tc.handle == db.r {
				which = "reader"
			}
			t.Errorf("%s PRAGMA %s = %s, want %s", which, tc.pragma, got, tc.want)
		}
	}
	if got := db.w.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}
	// The reader pool really cannot write.
	if _, err := db.r.ExecContext(ctx, `DELETE FROM boundary_generations`); err == nil {
		t.Error("a write through a reader connection succeeded")
	}
}

func TestOpenPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		_, err := Open(t.Context(), p)
		if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != "path" {
			t.Errorf("Open(%q): error %v, want ErrInvalid on field path", p, err)
		}
	}
	// Characters that mean something in a URI stay part of the file name.
	dir := t.TempDir()
	name := filepath.Join(dir, "a dir?x=1#frag%20", "geo 311?.db")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	if db.Path() != name {
		t.Errorf("Path() = %q, want %q", db.Path(), name)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name); err != nil {
		t.Errorf("the database is not at %q: %v", name, err)
	}
	// A relative path becomes absolute.
	t.Chdir(dir)
	db, err = Open(t.Context(), "rel.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if want := filepath.Join(dir, "rel.db"); db.Path() != want {
		t.Errorf("Path() = %q, want %q", db.Path(), want)
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(name, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), name)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded on a text file")
	}
	if !strings.HasPrefix(err.Error(), "sqlite: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := t.Context()
	name := filepath.Join(t.TempDir(), "geo311.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	readApplied := func(db *DB) []string {
		t.Helper()
		rows, err := db.r.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v int
			var n, at string
			if err := rows.Scan(&v, &n, &at); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %s", v, n, at))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	schema := func(db *DB) string {
		t.Helper()
		var s string
		if err := db.r.QueryRowContext(ctx, `SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	db, err := Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	first := readApplied(db)
	if len(first) != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d (one per embedded migration): %q", len(first), len(ms), first)
	}
	firstSchema := schema(db)
	// Running the migrations again on an open database applies nothing.
	if n, err := migrate(ctx, db.w); err != nil || n != 0 {
		t.Errorf("second migrate: applied %d, err %v; want 0, nil", n, err)
	}
	g, want := storetest.SampleGeneration()
	if err := db.CreateGeneration(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Nor does reopening the file.
	db, err = Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if again := readApplied(db); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("schema_migrations changed on reopen:\n%q\nwant\n%q", again, first)
	}
	if s := schema(db); s != firstSchema {
		t.Errorf("schema changed on reopen:\n%s\nwant\n%s", s, firstSchema)
	}
	got, err := db.Generation(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.DiffGeneration(got, want); d != "" {
		t.Errorf("after reopen: %s", d)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	name := filepath.Join(t.TempDir(), "geo311.db")
	db, err := Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', ?)`, formatTime(time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, name)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
	if !strings.Contains(err.Error(), "999 is newer") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	name := filepath.Join(t.TempDir(), "geo311.db")
	db, err := Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	g, want := storetest.SampleGeneration()
	if err := db.CreateGeneration(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateGeneration(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	want.Active = true
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A clean close checkpoints the WAL into the main file.
	if _, err := os.Stat(name + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WAL file left after Close: %v", err)
	}

	db, err = Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	active, err := db.ActiveGenerations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 {
		t.Fatalf("after reopen: %d active generations, want 1", len(active))
	}
	if d := storetest.DiffGeneration(active[0], want); d != "" {
		t.Errorf("after reopen: %s", d)
	}
}

// TestHelperProcess is not a test: TestAcknowledgedSurvivesKill runs the
// test binary with it to get a process it can kill.
func TestHelperProcess(t *testing.T) {
	name := os.Getenv("GEO311_SQLITE_HELPER_DB")
	if name == "" {
		t.Skip("helper process for TestAcknowledgedSurvivesKill")
	}
	ctx := context.Background()
	db, err := Open(ctx, name)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	g, _ := storetest.SampleGeneration()
	if err := db.CreateGeneration(ctx, g); err != nil {
		fmt.Println("create:", err)
		os.Exit(2)
	}
	if err := db.ActivateGeneration(ctx, g.ID); err != nil {
		fmt.Println("activate:", err)
		os.Exit(2)
	}
	fmt.Println("acknowledged")
	// Wait to be killed, never closing the database.
	time.Sleep(time.Minute)
	os.Exit(3)
}

// TestAcknowledgedSurvivesKill: what a process acknowledged is in the file
// after the process dies by SIGKILL without closing the database (the WAL is
// not checkpointed; recovery is SQLite's).
func TestAcknowledgedSurvivesKill(t *testing.T) {
	name := filepath.Join(t.TempDir(), "geo311.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GEO311_SQLITE_HELPER_DB="+name)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "acknowledged") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper said %q", buf[:n])
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Stat(name + "-wal"); err != nil {
		t.Logf("no WAL file after the kill (%v): the data is in the main file", err)
	}

	db, err := Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, want := storetest.SampleGeneration()
	want.Active = true
	active, err := db.ActiveGenerations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 {
		t.Fatalf("after the kill: %d active generations, want 1", len(active))
	}
	if d := storetest.DiffGeneration(active[0], want); d != "" {
		t.Errorf("after the kill: %s", d)
	}
}

func TestBackup(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	g, want := storetest.SampleGeneration()
	if err := db.CreateGeneration(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateGeneration(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	want.Active = true

	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	// Refused: an existing file, the database itself, no name.
	if err := db.Backup(ctx, dest); !errors.Is(err, data.ErrConflict) {
		t.Errorf("Backup over an existing file: error %v, want ErrConflict", err)
	}
	if err := db.Backup(ctx, ""); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("Backup to \"\": error %v, want ErrInvalid", err)
	}
	if err := db.Backup(ctx, db.Path()); !errors.Is(err, data.ErrInvalid) && !errors.Is(err, data.ErrConflict) {
		t.Errorf("Backup onto the database itself: error %v, want ErrInvalid or ErrConflict", err)
	}
	// Changes after the backup are not in it.
	later := storetest.Synthetic(data.LayerWard, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 3, 8)
	if err := db.CreateGeneration(ctx, later); err != nil {
		t.Fatal(err)
	}

	// The backup is a complete database that Open accepts as is.
	restored, err := Open(ctx, dest)
	if err != nil {
		t.Fatalf("opening the backup: %v", err)
	}
	defer restored.Close()
	gens, err := restored.Generations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 1 {
		t.Fatalf("backup holds %d generations, want 1", len(gens))
	}
	got, err := restored.Generation(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.DiffGeneration(got, want); d != "" {
		t.Errorf("backup: %s", d)
	}
	// A cancelled backup fails with the context's error and writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	dest2 := filepath.Join(t.TempDir(), "backup2.db")
	if err := db.Backup(cctx, dest2); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup with a cancelled context: error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dest2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled backup left a file: %v", err)
	}
}

func TestBusyIsUnavailable(t *testing.T) {
	ctx := t.Context()
	name := filepath.Join(t.TempDir(), "geo311.db")
	db, err := open(ctx, name, config{readers: 2, busyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := storetest.Synthetic(data.LayerWard, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 3, 8)
	if err := db.CreateGeneration(ctx, g); err != nil {
		t.Fatal(err)
	}
	// Another process (here: another connection) holds the write lock.
	other, err := sql.Open("sqlite3", dsn(db.Path(), false, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	start := time.Now()
	err = db.ActivateGeneration(ctx, g.ID)
	if !errors.Is(err, data.ErrUnavailable) {
		t.Errorf("write while another process holds the lock: error %v, want ErrUnavailable", err)
	}
	if waited := time.Since(start); waited < 90*time.Millisecond {
		t.Errorf("gave up after %s, before the busy timeout", waited)
	}
	// Reads go on meanwhile (WAL).
	if _, err := db.Generation(ctx, g.ID); err != nil {
		t.Errorf("read while another process holds the write lock: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := db.ActivateGeneration(ctx, g.ID); err != nil {
		t.Errorf("write after the lock was released: %v", err)
	}
}

func TestPing(t *testing.T) {
	db := openTest(t)
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: %v", err)
	}
}

// TestErrorShape: errors carry the package prefix for logs, the data kind
// for errors.Is, and a caller-safe message without internals.
func TestErrorShape(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	g, _ := storetest.SampleGeneration()
	if err := db.CreateGeneration(ctx, g); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err     error
		kind    error
		message string
	}{
		{db.CreateGeneration(ctx, g), data.ErrConflict, `generation "beat@2012-12-19" exists`},
		{db.ActivateGeneration(ctx, "ward@1900-01-01"), data.ErrNotFound, `generation "ward@1900-01-01" not found`},
		{db.CreateGeneration(ctx, &data.Generation{ID: "x", Layer: "Beat"}), data.ErrInvalid, `layer: "Beat" is not a layer name (lower-case letters, digits and _, starting with a letter, at most 40)`},
	} {
		if !strings.HasPrefix(tc.err.Error(), "sqlite: ") {
			t.Errorf("error %q lacks the package prefix", tc.err)
		}
		if !errors.Is(tc.err, tc.kind) {
			t.Errorf("error %q is not %v", tc.err, tc.kind)
		}
		if got := data.ErrorMessage(tc.err); got != tc.message {
			t.Errorf("ErrorMessage(%q) = %q, want %q", tc.err, got, tc.message)
		}
	}
}

func TestRequestStore(t *testing.T) {
	storetest.TestRequestStore(t, func(t *testing.T) data.Store { return openTest(t) })
}

func TestKeyStore(t *testing.T) {
	storetest.TestKeyStore(t, func(t *testing.T) data.Store { return openTest(t) })
}
