package postgis

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

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
		// The main transaction is the one holding requests in EXCLUSIVE mode.
		var ok bool
		if err := db.pool.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE relation = 'requests'::regclass AND mode = 'ExclusiveLock' AND granted`).Scan(&ok); err != nil || !ok {
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
// else.
func TestImportShadowAbandoned(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	// What a dead import leaves: the shadow table as startShadow makes it,
	// loaded and partly indexed, committed.
	for _, q := range []string{
		`CREATE TABLE geo311_import_4242_17 (LIKE requests INCLUDING ALL EXCLUDING INDEXES)`,
		`INSERT INTO geo311_import_4242_17 (number, kind, state, lon, lat, geom, requested_at, updated_at)
			VALUES ('SR25-00000001', 'service_request', 'new', 1, 2, 'SRID=4326;POINT(1 2)', now(), now())`,
		`CREATE INDEX geo311_import_4242_17_3 ON geo311_import_4242_17 (requested_at)`,
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
	if got := shadowTables(t, db); len(got) != 0 {
		t.Errorf("shadow tables after the next import: %v", got)
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
			var locks []string
			rs := synthRequests(300, 0)
			if ins, _, err := db.importSeq(ctx, seqOf(rs, nil), shadowConfig(func() { locks = requestsLocks(t, db) })); err != nil || ins != len(rs) {
				t.Fatalf("import: %d, %v", ins, err)
			}
			if !slices.Contains(locks, "requests AccessExclusiveLock") || !slices.Contains(locks, "request_notes AccessExclusiveLock") {
				t.Errorf("locks once the rows were written: %q; want the in-place path's", locks)
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
