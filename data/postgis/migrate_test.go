package postgis

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
)

// helperEnv, when set to a database URL, makes the test binary a helper
// process that opens the store once (migrating it) and exits.
const helperEnv = "GEO311_POSTGIS_HELPER_URL"

func helperProcess() int {
	db, err := Open(context.Background(), os.Getenv(helperEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type migrationRow struct {
	Version  int
	Name     string
	Checksum string
}

func appliedMigrations(t *testing.T, url string) []migrationRow {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[migrationRow])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsApplyOnceAndTwiceIsNoop(t *testing.T) {
	url := newURL(t)
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != ms[len(ms)-1].version {
		t.Fatalf("migrations %v, SchemaVersion %d", ms, SchemaVersion())
	}
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, url)
	if len(first) != len(ms) {
		t.Fatalf("applied %d migrations, want %d", len(first), len(ms))
	}
	for i, m := range ms {
		if first[i].Version != m.version || first[i].Name != m.name || first[i].Checksum != m.checksum {
			t.Errorf("applied[%d] = %+v, want %d %s %s", i, first[i], m.version, m.name, m.checksum)
		}
	}
	// Data survives a second Open, which applies nothing.
	g := square(t, "ward@2015-05-18", data.LayerWard, "2015-05-18", "1", 0, 0, 1, 1)
	if err := db.CreateGeneration(ctx, g); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db2.Close()
	if again := appliedMigrations(t, url); len(again) != len(first) {
		t.Errorf("second Open changed schema_migrations: %v -> %v", first, again)
	}
	if _, err := db2.Generation(ctx, g.ID); err != nil {
		t.Errorf("generation lost by the second Open: %v", err)
	}
}

// Two (here: four) processes opening a fresh database at once: the advisory
// lock makes one migrate and the others find the work done.
func TestConcurrentOpenFromProcesses(t *testing.T) {
	url := newURL(t)
	const procs = 4
	var wg sync.WaitGroup
	errs := make([]error, procs)
	outs := make([][]byte, procs)
	for i := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+url)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	// And goroutines of this process at the same time.
	gerrs := make([]error, 4)
	for i := range gerrs {
		wg.Go(func() {
			db, err := Open(context.Background(), url)
			if err == nil {
				db.Close()
			}
			gerrs[i] = err
		})
	}
	wg.Wait()
	for i := range procs {
		if errs[i] != nil {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	for i, err := range gerrs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	ms, _ := migrations()
	if got := appliedMigrations(t, url); len(got) != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", len(got), len(ms))
	}
}

func TestOpenRefusesForeignSchema(t *testing.T) {
	ctx := context.Background()
	t.Run("newer version", func(t *testing.T) {
		url := newURL(t)
		db, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		execSQL(t, url, fmt.Sprintf("INSERT INTO schema_migrations (version, name, checksum) VALUES (%d, 'from_the_future', 'x')", SchemaVersion()+1))
		_, err = Open(ctx, url)
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Errorf("Open of a newer schema: %v", err)
		}
	})
	t.Run("edited migration", func(t *testing.T) {
		url := newURL(t)
		db, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		execSQL(t, url, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
		_, err = Open(ctx, url)
		if err == nil || !strings.Contains(err.Error(), "differs") {
			t.Errorf("Open with an edited migration: %v", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, "postgres://%zz")
	if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != "database_url" {
		t.Errorf("Open of a malformed URL: %v", err)
	}
	// A port nobody listens on (the cluster's port + a large offset is
	// not guaranteed free; use a closed listener's port).
	port := closedPort(t)
	_, err = Open(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/x?sslmode=disable&connect_timeout=2", port))
	if !errors.Is(err, data.ErrUnavailable) || !strings.HasPrefix(err.Error(), "postgis: ") {
		t.Errorf("Open of an unreachable server: %v (want ErrUnavailable, prefixed)", err)
	}
	if cluster == nil {
		return
	}
	_, err = Open(ctx, cluster.URL("no_such_database"))
	if err == nil || !strings.Contains(err.Error(), "no_such_database") {
		t.Errorf("Open of a missing database: %v", err)
	}
}

func TestPingAndClose(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Ping(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: %v", err)
	}
	db.Close()
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
}

func TestJITOffPerSession(t *testing.T) {
	db := openDB(t)
	var jit string
	if err := db.pool.QueryRow(context.Background(), "SHOW jit").Scan(&jit); err != nil || jit != "off" {
		t.Errorf("jit = %q, %v; want off", jit, err)
	}
}
