package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
)

// shadowConfig takes the shadow-table path from the first chunk of 100.
func shadowConfig(copied func()) importConfig {
	return importConfig{chunk: 100, bulkMin: 100, ratio: 0.2, copied: copied}
}

// checkUntouched fails t unless requests is empty and has the indexes and
// constraints it had, and no shadow table is left.
func checkUntouched(t *testing.T, db *DB, indexes, constraints []string) {
	t.Helper()
	if n, err := db.CountRequests(context.Background(), data.RequestFilter{}); err != nil || n != 0 {
		t.Errorf("%d requests stored, %v; want none", n, err)
	}
	if got := indexDefs(t, db); !slices.Equal(got, indexes) {
		t.Errorf("indexes after the failed import:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(indexes, "\n"))
	}
	if got := constraintDefs(t, db); !slices.Equal(got, constraints) {
		t.Errorf("constraints after the failed import:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(constraints, "\n"))
	}
	if got := shadowTables(t, db); len(got) != 0 {
		t.Errorf("shadow tables after the failed import: %v", got)
	}
}

// TestImportShadowBuildFails: an index that cannot be built on the loaded
// rows (here an expression that divides by zero for some of them) fails
// the import; requests is as it was and the shadow table is gone.
func TestImportShadowBuildFails(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if _, err := db.pool.Exec(ctx, `CREATE INDEX requests_fragile ON requests ((100 / (sla_days - 7)))`); err != nil {
		t.Fatal(err)
	}
	indexes, constraints := indexDefs(t, db), constraintDefs(t, db)
	var shadows []string
	_, _, err := db.importSeq(ctx, seqOf(synthRequests(300, 0), nil), shadowConfig(func() { shadows = shadowTables(t, db) }))
	if err == nil || !strings.Contains(err.Error(), "division by zero") || !strings.Contains(err.Error(), "requests_fragile") {
		t.Fatalf("import: %v; want the build of requests_fragile failing with division by zero", err)
	}
	if len(shadows) != 1 {
		t.Errorf("shadow tables once the rows were loaded: %v, want one", shadows)
	}
	checkUntouched(t, db, indexes, constraints)
}

// TestImportShadowInterrupted: a cancelled context or a main transaction
// whose connection is lost while the indexes build fail the import and
// leave requests as it was, without a shadow table.
func TestImportShadowInterrupted(t *testing.T) {
	db := openDB(t)
	indexes, constraints := indexDefs(t, db), constraintDefs(t, db)
	rs := synthRequests(300, 0)

	ctx, cancel := context.WithCancel(context.Background())
	_, _, err := db.importSeq(ctx, seqOf(rs, nil), shadowConfig(cancel))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: %v, want context.Canceled", err)
	}
	checkUntouched(t, db, indexes, constraints)

	ctx = context.Background()
	_, _, err = db.importSeq(ctx, seqOf(rs, nil), shadowConfig(func() {
		// The main transaction is the one holding requests' lock.
		var ok bool
		if err := db.pool.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE relation = 'requests'::regclass AND mode = 'AccessExclusiveLock' AND granted`).Scan(&ok); err != nil || !ok {
			t.Errorf("terminate the main transaction's backend: %v, %v", ok, err)
		}
	}))
	if err == nil {
		t.Error("import whose main connection was lost: no error")
	}
	checkUntouched(t, db, indexes, constraints)
	// The store goes on working.
	if ins, _, err := db.importSeq(ctx, seqOf(rs, nil), shadowConfig(nil)); err != nil || ins != len(rs) {
		t.Errorf("import after: %d, %v", ins, err)
	}
}

// TestImportShadowAbandoned: a process that dies during a shadow import
// leaves its committed shadow table behind (with rows and some indexes);
// requests is untouched. The next shadow import drops it, and nothing
// else: not the shadow table of an import whose main backend is alive.
func TestImportShadowAbandoned(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	// A live import's: named after a backend that is alive (this one's).
	live, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Release()
	var liveName string
	if err := live.QueryRow(ctx, `SELECT format('geo311_import_%s_%s_2b', pid, extract(epoch FROM backend_start)::bigint)
		FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&liveName); err != nil {
		t.Fatal(err)
	}
	if _, err := live.Exec(ctx, `CREATE TABLE `+liveName+` (LIKE requests)`); err != nil {
		t.Fatal(err)
	}
	// What a dead import leaves: the shadow table as startShadow makes it,
	// loaded and partly indexed, committed.
	for _, q := range []string{
		`CREATE TABLE geo311_import_4242_17_1a (LIKE requests INCLUDING ALL EXCLUDING INDEXES)`,
		`INSERT INTO geo311_import_4242_17_1a (number, kind, state, lon, lat, geom, requested_at, updated_at)
			VALUES ('SR25-00000001', 'service_request', 'new', 1, 2, 'SRID=4326;POINT(1 2)', now(), now())`,
		`CREATE INDEX geo311_import_4242_17_1a_3 ON geo311_import_4242_17_1a (requested_at)`,
		`CREATE TABLE geo311_imports_log (id int)`, // not a shadow table: kept
	} {
		if _, err := db.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rs := synthRequests(300, 0)
	if ins, _, err := db.importSeq(ctx, seqOf(rs, nil), shadowConfig(nil)); err != nil || ins != len(rs) {
		t.Fatalf("import: %d, %v", ins, err)
	}
	if got := shadowTables(t, db); !slices.Equal(got, []string{liveName}) {
		t.Errorf("shadow tables after the next import: %v, want only the live %s", got, liveName)
	}
	if got := queryStrings(t, db, `SELECT relname::text FROM pg_class WHERE relname = 'geo311_imports_log'`); len(got) != 1 {
		t.Errorf("geo311_imports_log was dropped")
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != len(rs) {
		t.Errorf("%d requests, %v; want %d", n, err, len(rs))
	}
}

// TestImportShadowNotPlain: a requests table with something the swap would
// lose (a grant, a dependent view, a comment, a trigger) is loaded in
// place; the grant, view, comment and trigger are there after the import.
func TestImportShadowNotPlain(t *testing.T) {
	for _, tc := range []struct {
		name, setup, check string
	}{
		{"grant", `CREATE ROLE geo311_shadow_reader; GRANT SELECT ON requests TO geo311_shadow_reader`,
			`SELECT has_table_privilege('geo311_shadow_reader', 'requests', 'SELECT')`},
		{"view", `CREATE VIEW open_requests AS SELECT number FROM requests WHERE state <> 'closed'`,
			`SELECT count(*) > 0 FROM open_requests`},
		{"comment", `COMMENT ON TABLE requests IS 'the city''s requests'`,
			`SELECT obj_description('requests'::regclass, 'pg_class') = 'the city''s requests'`},
		{"column grant", `CREATE ROLE geo311_shadow_numbers; GRANT SELECT (number) ON requests TO geo311_shadow_numbers`,
			`SELECT has_column_privilege('geo311_shadow_numbers', 'requests', 'number', 'SELECT')`},
		{"trigger", `CREATE FUNCTION geo311_noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
			CREATE TRIGGER requests_noop BEFORE UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION geo311_noop()`,
			`SELECT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'requests_noop' AND tgrelid = 'requests'::regclass)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			ctx := context.Background()
			if _, err := db.pool.Exec(ctx, tc.setup); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				// Roles belong to the cluster: drop them with their grants.
				for _, r := range []string{"geo311_shadow_reader", "geo311_shadow_numbers"} {
					db.pool.Exec(context.Background(), `DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '`+r+`') THEN
						REVOKE ALL ON requests FROM `+r+`; REVOKE SELECT (number) ON requests FROM `+r+`; DROP ROLE `+r+`; END IF; END$$`)
				}
			})
			shadows := []string{"not called"}
			rs := synthRequests(300, 0)
			if ins, _, err := db.importSeq(ctx, seqOf(rs, nil), shadowConfig(func() { shadows = shadowTables(t, db) })); err != nil || ins != len(rs) {
				t.Fatalf("import: %d, %v", ins, err)
			}
			if len(shadows) != 0 {
				t.Errorf("shadow tables once the rows were written: %q; want none (the in-place path)", shadows)
			}
			var ok bool
			if err := db.pool.QueryRow(ctx, tc.check).Scan(&ok); err != nil || !ok {
				t.Errorf("%s: %v, %v after the import", tc.check, ok, err)
			}
		})
	}
}

// TestShadowEligibleFresh: a freshly migrated requests table takes the
// shadow path (the eligibility query accepts what the migrations make).
func TestShadowEligibleFresh(t *testing.T) {
	db := openDB(t)
	var ok bool
	if err := db.pool.QueryRow(context.Background(), `SELECT `+shadowEligible).Scan(&ok); err != nil || !ok {
		t.Errorf("shadowEligible on a migrated database: %v, %v; want true", ok, err)
	}
}

// TestImportShadowConcurrentIntake: an intake that arrives while a shadow
// import runs (reading its candidates, taking a number, inserting) waits
// for the import, then succeeds on the swapped-in table with a number above
// the imported ones; neither deadlocks the other.
func TestImportShadowConcurrentIntake(t *testing.T) {
	url := newURL(t)
	ctx := context.Background()
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The import holds three of the pool's four connections and the intake
	// the fourth: the test watches on its own.
	watch, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	rs := synthRequests(300, 0)
	high := slices.MaxFunc(rs, func(a, b *data.Request) int { return strings.Compare(a.Number, b.Number) })
	type result struct {
		r   *data.Request
		err error
	}
	intake := make(chan result, 1)
	ins, _, err := db.importSeq(ctx, seqOf(rs, nil), shadowConfig(func() {
		go func() {
			in := intakeAt(high.RequestedAt.Add(time.Hour), loopLat) // the same number prefix as the import's
			r, _, err := db.CreateRequest(ctx, in)
			intake <- result{r, err}
		}()
		// Wait until the intake waits for a lock the import holds.
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
				t.Error(err)
				return
			}
			if n > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Error("the intake never waited for the import")
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}))
	if err != nil || ins != len(rs) {
		t.Fatalf("import: %d, %v", ins, err)
	}
	res := <-intake
	if res.err != nil || res.r.Number <= high.Number {
		t.Fatalf("intake during the import: %v, %v; want a number above %s", res.r, res.err, high.Number)
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != len(rs)+1 {
		t.Errorf("%d requests, %v; want %d", n, err, len(rs)+1)
	}
}

// TestShadowColumns: the check that the shadow table still matches
// requests after the lock (a migration may run between CREATE TABLE ...
// LIKE and the lock) tells a copy made by LIKE from one with a column,
// default or CHECK constraint more or changed.
func TestShadowColumns(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, alter string
		same        bool
	}{
		{"copy", ``, true},
		{"column", `ALTER TABLE %s ADD COLUMN x int`, false},
		{"default", `ALTER TABLE %s ALTER COLUMN zip SET DEFAULT '60601'`, false},
		{"type", `ALTER TABLE %s ALTER COLUMN sla_days TYPE bigint`, false},
		{"check", `ALTER TABLE %s ADD CONSTRAINT positive CHECK (sla_days >= 0)`, false},
		{"not null", `ALTER TABLE %s ALTER COLUMN h3_r7 SET NOT NULL`, false},
	} {
		table := "geo311_like_" + strings.ReplaceAll(tc.name, " ", "_")
		if _, err := db.pool.Exec(ctx, `CREATE TABLE `+table+` (LIKE requests INCLUDING ALL EXCLUDING INDEXES)`); err != nil {
			t.Fatal(err)
		}
		if tc.alter != "" {
			if _, err := db.pool.Exec(ctx, fmt.Sprintf(tc.alter, table)); err != nil {
				t.Fatal(err)
			}
		}
		rows, _ := db.pool.Query(ctx, shadowColumns, table)
		defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(defs) != 2 {
			t.Fatalf("%s: %v, %v", tc.name, defs, err)
		}
		if same := defs[0] == defs[1]; same != tc.same {
			t.Errorf("%s: same %v, want %v:\n%s\n%s", tc.name, same, tc.same, defs[0], defs[1])
		}
	}
}
