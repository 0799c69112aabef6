package sqlite

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/geo311/geo311/data"
)

// sideTablesMismatch counts the differences between the side tables and
// area columns and what the triggers and encodeRequest derive from the
// requests rows: request_areas holds the areas of custom layers (0005),
// each well-known layer's column the first area of that layer, zkey the
// point's key (0006).
func sideTablesMismatch(t *testing.T, db *DB) int {
	t.Helper()
	custom := customLayer("j.value")
	var cols strings.Builder
	for _, l := range areaLayers {
		fmt.Fprintf(&cols, `
  + (SELECT count(*) FROM requests r WHERE r.%s IS NOT coalesce((SELECT j.value ->> 'id' FROM json_each(r.areas) j
        WHERE j.value ->> 'layer' = '%s' ORDER BY j.key LIMIT 1), ''))`, areaColumn[l], l)
	}
	var n int
	err := db.r.QueryRowContext(t.Context(), `SELECT
    (SELECT count(*) FROM (
        SELECT j.value ->> 'layer', j.value ->> 'id', r.id FROM requests r, json_each(r.areas) j WHERE `+custom+`
        EXCEPT SELECT layer, area_id, request_id FROM request_areas))
  + (SELECT count(*) FROM (
        SELECT layer, area_id, request_id FROM request_areas
        EXCEPT SELECT j.value ->> 'layer', j.value ->> 'id', r.id FROM requests r, json_each(r.areas) j WHERE `+custom+`))
  + (SELECT count(*) FROM requests WHERE zkey IS NOT geo311_zkey(lon, lat))`+cols.String()).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// schemaObjects counts the triggers and indexes of the file.
func schemaObjects(t *testing.T, db *DB) (triggers, indexes int) {
	t.Helper()
	if err := db.r.QueryRowContext(t.Context(), `SELECT
    (SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'),
    (SELECT count(*) FROM sqlite_schema WHERE type = 'index')`).Scan(&triggers, &indexes); err != nil {
		t.Fatal(err)
	}
	return triggers, indexes
}

// TestImportSideTables: ImportRequests suspends the triggers and keeps the
// R*Tree and request_areas itself; after inserts, updates with moved points
// and changed areas, repeats within a batch and the bulk path that rebuilds
// indexes, the side tables match the rows exactly, the triggers and indexes
// are back, and the counts are right.
func TestImportSideTables(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.bulkIndexMin = 500 // exercise the index rebuild with a small batch
	triggers, indexes := schemaObjects(t, db)

	rng := rand.New(rand.NewPCG(11, 12))
	first := synthRequests(rng, 0, 1000) // bulk path: empty table
	// Every fifth has a custom layer's area (a row of request_areas), every
	// seventh a second beat (only the first has the column).
	for i, r := range first {
		if i%5 == 0 {
			r.Areas = append(r.Areas, data.AreaRef{Layer: "ssa", ID: fmt.Sprint(i % 3), Generation: "ssa@x"})
		}
		if i%7 == 0 {
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerBeat, ID: "8888", Generation: "beat@y"})
		}
	}
	ins, upd, err := db.ImportRequests(ctx, first)
	if err != nil || ins != 1000 || upd != 0 {
		t.Fatalf("first import: %d inserted, %d updated, %v; want 1000, 0", ins, upd, err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after first import: %d side-table rows differ", n)
	}

	// Second batch: 100 updates (moved, re-routed) plus 100 new, and one
	// number listed twice (the last listing wins): incremental path.
	var second []*data.Request
	for i := range 100 {
		r := cloneRequest(first[i*7])
		r.Lon, r.Lat = r.Lon+0.01, r.Lat-0.01
		r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "9999", Generation: "beat@x"}}
		if i%2 == 0 {
			r.Areas = append(r.Areas, data.AreaRef{Layer: "ssa", ID: "Z", Generation: "ssa@x"})
		}
		second = append(second, r)
	}
	second = append(second, synthRequests(rng, 1000, 100)...)
	again := cloneRequest(second[0])
	again.Description = "last listing"
	second = append(second, again)
	ins, upd, err = db.ImportRequests(ctx, second)
	if err != nil || ins != 100 || upd != 101 {
		t.Fatalf("second import: %d inserted, %d updated, %v; want 100, 101", ins, upd, err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after second import: %d side-table rows differ", n)
	}
	for _, c := range []struct {
		area data.AreaRef
		want int
	}{
		{data.AreaRef{Layer: data.LayerBeat, ID: "9999"}, 100},
		{data.AreaRef{Layer: "ssa", ID: "Z"}, 50},
		// Multiples of 15 below 1,000 have ssa 0 (67); the updated ones
		// (multiples of 7 below 700) lost it: 0, 105, ..., 630.
		{data.AreaRef{Layer: "ssa", ID: "0"}, 67 - 7},
		// A second area of a layer with a column is not indexed (as on
		// PostGIS).
		{data.AreaRef{Layer: data.LayerBeat, ID: "8888"}, 0},
	} {
		if got := countOf(t, db, data.RequestFilter{Areas: []data.AreaRef{c.area}}); got != c.want {
			t.Errorf("requests in %s %s: %d, want %d", c.area.Layer, c.area.ID, got, c.want)
		}
	}
	r, err := db.Request(ctx, again.Number)
	if err != nil || r.Description != "last listing" {
		t.Errorf("repeated number: %v, %v; want the last listing", r, err)
	}
	if tr, ix := schemaObjects(t, db); tr != triggers || ix != indexes {
		t.Errorf("after imports: %d triggers, %d indexes; want %d, %d", tr, ix, triggers, indexes)
	}

	// The restored triggers keep working for the other write paths.
	moved := first[1]
	if _, err := db.UpdateRequest(ctx, moved.Number, func(r *data.Request) ([]data.Note, error) {
		r.Lon += 0.02
		r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerWard, ID: "77", Generation: "ward@x"})
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after UpdateRequest: %d side-table rows differ", n)
	}

	// Importing the same batch again changes nothing but counts updates.
	ins, upd, err = db.ImportRequests(ctx, second[100:200])
	if err != nil || ins != 0 || upd != 100 {
		t.Fatalf("re-import: %d inserted, %d updated, %v; want 0, 100", ins, upd, err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after re-import: %d side-table rows differ", n)
	}
}

func countOf(t *testing.T, db *DB, f data.RequestFilter) int {
	t.Helper()
	n, err := db.CountRequests(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// seqOf yields rs, then err (if not nil) in place of a request.
func seqOf(rs []*data.Request, err error) iter.Seq2[*data.Request, error] {
	return func(yield func(*data.Request, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

// writerPragmas reads foreign_keys and ignore_check_constraints on the
// writer's connection.
func writerPragmas(t *testing.T, db *DB) (fk, ignoreChecks int) {
	t.Helper()
	if err := db.w.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := db.w.QueryRowContext(t.Context(), `PRAGMA ignore_check_constraints`).Scan(&ignoreChecks); err != nil {
		t.Fatal(err)
	}
	return fk, ignoreChecks
}

// sorterPragmas reads the writer's pragmas an import changes for its index
// builds (savedPragmas), as "name=value ...".
func sorterPragmas(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, p := range savedPragmas {
		var v int64
		if err := db.w.QueryRowContext(t.Context(), `PRAGMA `+p).Scan(&v); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", p, v)
	}
	return b.String()
}

// TestImportSeqChunks streams an import over several chunks: rows already
// stored (updated in place, side rows replaced), repeats inside a chunk and
// across chunks, and the switch to the index rebuild in the middle of the
// call. Counts, rows, side tables, schema and the writer's pragmas come
// out right.
func TestImportSeqChunks(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	triggers, indexes := schemaObjects(t, db)
	pragmas := sorterPragmas(t, db)
	if want := "temp_store=2 threads=0 cache_size=-262144 "; pragmas != want {
		t.Fatalf("writer before import: %s, want %s", pragmas, want)
	}
	rng := rand.New(rand.NewPCG(21, 22))
	stored := synthRequests(rng, 0, 400)
	if ins, _, err := db.ImportRequests(ctx, stored); err != nil || ins != 400 {
		t.Fatalf("seed: %d inserted, %v", ins, err)
	}

	// 1,000 new, 50 of the stored ones moved, one new number listed in
	// two chunks and one listed twice in a chunk.
	in := synthRequests(rng, 400, 1000)
	for i := range 50 {
		r := cloneRequest(stored[i*3])
		r.Lon, r.Lat = r.Lon+0.01, r.Lat-0.01
		r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "7777", Generation: "beat@x"}}
		in = append(in, r)
	}
	across := cloneRequest(in[10]) // in the first chunk; again in the last
	across.Description = "listed again in a later chunk"
	across.Areas = []data.AreaRef{{Layer: data.LayerWard, ID: "88", Generation: "ward@x"}}
	in = append(in, across)
	within := cloneRequest(in[len(in)-2])
	within.Description = "listed twice in one chunk"
	in = append(in, within)
	// No row before the rebuild has a sector that is not its beat's
	// prefix (in[6]'s is), so requests_sector_irregular is kept, not
	// rebuilt: rows of later chunks go into it as they come. A community
	// area in the first chunk: requests_community_area is rebuilt.
	in[5].Areas = append(in[5].Areas, data.AreaRef{Layer: data.LayerCommunityArea, ID: "32", Generation: "ca@x"})
	in[6].Areas = append(in[6].Areas, data.AreaRef{Layer: data.LayerSector, ID: in[6].Areas[0].ID[:3], Generation: "sector@x"})
	in[990].Areas = append(in[990].Areas, data.AreaRef{Layer: data.LayerSector, ID: "S42", Generation: "sector@x"})
	cfg := importConfig{chunk: 128, bulkMin: 600} // rebuild from the fifth chunk on
	ins, upd, err := db.importSeq(ctx, seqOf(in, nil), cfg)
	if err != nil || ins != 1000 || upd != 52 {
		t.Fatalf("import: %d inserted, %d updated, %v; want 1000, 52", ins, upd, err)
	}
	if n := countOf(t, db, data.RequestFilter{}); n != 1400 {
		t.Errorf("%d requests, want 1400", n)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Errorf("%d side-table rows differ", n)
	}
	for _, want := range []*data.Request{across, within, in[1048]} {
		got, err := db.Request(ctx, want.Number)
		if err != nil || got.Description != want.Description || got.Lon != want.Lon {
			t.Errorf("%s: %+v, %v; want the last listing", want.Number, got, err)
		}
	}
	if got := countOf(t, db, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "7777"}}}); got != 50 {
		t.Errorf("requests in beat 7777: %d, want 50", got)
	}
	if got := countOf(t, db, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "88"}}}); got != 1 {
		t.Errorf("requests in ward 88: %d, want 1", got)
	}
	for _, c := range []struct{ index, where string }{{sectorIrregularIndex, sectorIrregularWhere}, {"requests_community_area", "r.community_area <> ''"}} {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM requests r INDEXED BY `+c.index+` WHERE `+c.where).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s holds %d rows, %v; want 1", c.index, n, err)
		}
	}
	var integrity string
	if err := db.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check after import: %q %v", integrity, err)
	}
	if tr, ix := schemaObjects(t, db); tr != triggers || ix != indexes {
		t.Errorf("after import: %d triggers, %d indexes; want %d, %d", tr, ix, triggers, indexes)
	}
	if fk, ic := writerPragmas(t, db); fk != 1 || ic != 0 {
		t.Errorf("writer after import: foreign_keys %d, ignore_check_constraints %d; want 1, 0", fk, ic)
	}
	if got := sorterPragmas(t, db); got != pragmas {
		t.Errorf("writer after import: %s, want %s", got, pragmas)
	}
	// The writer's other statements still check: an intake with a bad
	// state is refused by the table's CHECK.
	if _, err := db.w.ExecContext(ctx, `UPDATE requests SET state = 'bogus' WHERE id = 1`); err == nil {
		t.Error("CHECK constraint not enforced after the import")
	}
}

// TestImportSeqRollsBack: an error from the sequence, an invalid request or
// a cancelled context after several chunks (some in the rebuild path) leave
// nothing behind: no rows, the schema and the writer's pragmas as before.
func TestImportSeqRollsBack(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	triggers, indexes := schemaObjects(t, db)
	pragmas := sorterPragmas(t, db)
	rs := synthRequests(rand.New(rand.NewPCG(31, 32)), 0, 700)
	bad := cloneRequest(rs[0])
	bad.Number, bad.State = "SR25-09999999", "bogus"
	cfg := importConfig{chunk: 100, bulkMin: 200}
	cancelled, cancel := context.WithCancel(ctx)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		seq  iter.Seq2[*data.Request, error]
		kind error
	}{
		{"sequence error", ctx, seqOf(rs, errors.New("disk on fire")), nil},
		{"invalid request", ctx, seqOf(append(slices.Clone(rs), bad), nil), data.ErrInvalid},
		{"cancelled", cancelled, func(yield func(*data.Request, error) bool) {
			for i, r := range rs {
				if i == 450 {
					cancel()
				}
				if !yield(r, nil) {
					return
				}
			}
		}, context.Canceled},
	} {
		_, _, err := db.importSeq(tc.ctx, tc.seq, cfg)
		if err == nil || (tc.kind != nil && !errors.Is(err, tc.kind)) {
			t.Errorf("%s: %v, want an error (%v)", tc.name, err, tc.kind)
		}
		if n := countOf(t, db, data.RequestFilter{}); n != 0 {
			t.Errorf("%s: %d requests stored, want 0", tc.name, n)
		}
		if tr, ix := schemaObjects(t, db); tr != triggers || ix != indexes {
			t.Errorf("%s: %d triggers, %d indexes; want %d, %d", tc.name, tr, ix, triggers, indexes)
		}
		if fk, ic := writerPragmas(t, db); fk != 1 || ic != 0 {
			t.Errorf("%s: writer has foreign_keys %d, ignore_check_constraints %d; want 1, 0", tc.name, fk, ic)
		}
		if got := sorterPragmas(t, db); got != pragmas {
			t.Errorf("%s: writer has %s, want %s", tc.name, got, pragmas)
		}
	}
	if !strings.Contains(fmt.Sprint(db.importSeq(ctx, seqOf(append(slices.Clone(rs[:3]), bad), nil), cfg)), "request 3") {
		t.Error("an invalid request's error does not name its position")
	}
}

// TestImportConstraints: rows written with the CHECKs compiled out satisfy
// them, as integrity_check (which evaluates CHECK constraints) confirms;
// the same check reports a row that breaks one, so it can fail.
func TestImportConstraints(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	rs := synthRequests(rand.New(rand.NewPCG(41, 42)), 0, 500)
	full := cloneRequest(rs[0])
	full.Number = "CC25-00000900"
	full.Kind, full.State, full.ClosedAt = data.KindCommunityConcern, data.StateNotAccepted, full.RequestedAt.Add(time.Hour)
	full.Attributes = map[string][]string{"WHERE": {"curb \"quoted\" <tag>"}}
	full.Contact = data.Contact{FirstName: "Ünïcode", Phone: "312"}
	full.PINHash = []byte{1, 2, 3}
	full.RecordedAreas = []data.AreaRef{{Layer: data.LayerWard, ID: "4", Generation: "city"}}
	if _, _, err := db.importSeq(ctx, seqOf(append(rs, full), nil), importConfig{chunk: 64, bulkMin: 100}); err != nil {
		t.Fatal(err)
	}
	check := func() string {
		var res string
		if err := db.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := check(); res != "ok" {
		t.Fatalf("integrity_check after import: %s", res)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{`PRAGMA ignore_check_constraints = ON`, `UPDATE requests SET closed = 1 - closed WHERE id = 1`,
		`PRAGMA ignore_check_constraints = OFF`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if res := check(); !strings.Contains(res, "CHECK constraint") {
		t.Errorf("integrity_check of a row breaking a CHECK: %q", res)
	}
}

// TestImportColumnSets: the import leaves columns holding their default out
// of its INSERT (one statement per set of bound columns, at most
// maxInserts, then every column bound). Rows with every combination of
// optional fields, more sets than maxInserts, are stored exactly as
// encodeRequest writes them, column by column.
func TestImportColumnSets(t *testing.T) {
	for _, driverBinds := range []bool{false, true} {
		t.Run(fmt.Sprintf("driverBinds=%v", driverBinds), func(t *testing.T) {
			testImportColumnSets(t, importConfig{chunk: importChunk, bulkMin: bulkIndexMin, driverBinds: driverBinds})
		})
	}
}

func testImportColumnSets(t *testing.T, cfg importConfig) {
	ctx := t.Context()
	db := openTest(t)
	rs := synthRequests(rand.New(rand.NewPCG(31, 32)), 0, 600)
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i, r := range rs {
		r.Duplicate, r.ParentNumber, r.ClosedAt = false, "", time.Time{}
		r.State, r.PoliceRelated = data.StateNew, false
		for bit, set := range []func(){
			func() { r.ZIP = "60601" },
			func() { r.Unit = "" },
			func() { r.AssignedAt = at },
			func() { r.Attributes = map[string][]string{"X": {"1"}} },
			func() { r.PINHash = []byte{1, 2, 3} },
			func() { r.Duplicate, r.ParentNumber = true, rs[0].Number },
			func() { r.Areas = nil },
			func() { r.Lon, r.Lat = -180, -90 }, // zkey 0, its default
			func() { r.ExtensionDays = 7 },
			func() { r.Description = "" },
		} {
			if (i*7919)>>bit&1 != 0 {
				set()
			}
		}
	}
	for round := range 2 { // inserts, then the same rows as updates
		ins, upd, err := db.importSeq(ctx, seqOf(rs, nil), cfg)
		if err != nil || ins+upd != len(rs) || (round == 1 && ins != 0) {
			t.Fatalf("round %d: %d inserted, %d updated, %v", round, ins, upd, err)
		}
		for _, r := range rs {
			want, err := encodeRequest(r)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]any, len(requestColumns))
			ptrs := make([]any, len(got))
			for i := range got {
				ptrs[i] = &got[i]
			}
			if err := db.r.QueryRowContext(ctx, `SELECT `+strings.Join(requestColumns, ", ")+` FROM requests WHERE number = ?`, r.Number).Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range requestColumns {
				if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
					t.Errorf("round %d, %s: %s = %v, want %v", round, r.Number, c, got[i], want[i])
				}
			}
		}
	}
}

// TestImportBindsDirectly: the import's INSERTs are bound and stepped by
// bindStep, one cgo call a row, which needs the sqlite3_stmt inside the
// driver's statement (rawStmt); a driver that kept it elsewhere would make
// the import bind value by value through the driver again. Each kind of
// value, an empty text, a column left out and an error go through it.
func TestImportBindsDirectly(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		c := dc.(*sqlite3.SQLiteConn)
		if _, err := c.Exec(`CREATE TEMP TABLE bind_test (i INTEGER, f REAL, t TEXT NOT NULL, b BLOB, n INTEGER DEFAULT 7)`, nil); err != nil {
			return err
		}
		all, err := c.Prepare(`INSERT INTO bind_test (i, f, t, b, n) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer all.Close()
		some, err := c.Prepare(`INSERT INTO bind_test (t, b) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer some.Close()
		rawAll, rawSome := rawStmt(all), rawStmt(some)
		if rawAll == nil || rawSome == nil {
			t.Fatalf("rawStmt of a %T: nil", all)
		}
		bytes := []byte("héllo world\x01\x02")
		vals := []importVal{
			{typ: valInt, v: -42},
			{typ: valFloat, v: int64(math.Float64bits(-87.5))},
			{typ: valText, v: 0, n: 12},
			{typ: valBlob, v: 12, n: 2},
			{typ: valNull}, // not bound: its bit is clear
		}
		if n, err := bindStep(rawAll, vals, 0b01111, bytes); err != nil || n != 1 {
			t.Fatalf("bindStep: %d rows, %v", n, err)
		}
		if n, err := bindStep(rawAll, nil, 0, nil); err == nil || n != 0 {
			t.Errorf("bindStep without values: %d, %v", n, err)
		}
		empty := []importVal{{typ: valText}, vals[3]}
		if n, err := bindStep(rawSome, empty, 0b11, bytes); err != nil || n != 1 {
			t.Fatalf("bindStep of an empty text: %d rows, %v", n, err)
		}
		// A constraint error comes back as the driver's error, with
		// SQLite's message.
		null := []importVal{{typ: valNull}, vals[3]}
		_, err = bindStep(rawSome, null, 0b11, bytes)
		var se sqlite3.Error
		if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint || se.ExtendedCode != sqlite3.ErrConstraintNotNull ||
			!strings.Contains(err.Error(), "NOT NULL constraint failed: bind_test.t") {
			t.Errorf("bindStep of NULL into a NOT NULL column: %#v (%v)", err, err)
		}
		// The statement was reset and its bindings cleared: it runs again.
		if n, err := bindStep(rawSome, []importVal{{typ: valText, n: 6}}, 0b1, bytes); err != nil || n != 1 {
			t.Fatalf("bindStep after an error: %d rows, %v", n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	rows, err := conn.QueryContext(ctx, `SELECT quote(i), quote(f), quote(t), quote(b), quote(n) FROM bind_test ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v [5]string
		if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4]); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join(v[:], " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"-42 -87.5 'héllo world' X'0102' NULL",
		"NULL NULL '' X'0102' 7",
		"NULL NULL 'héllo' NULL 7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
}

// TestImportEncode: the import's encoder writes every column as
// encodeRequest does, and marks exactly the values that equal one of
// blankKinds.
func TestImportEncode(t *testing.T) {
	rs := synthRequests(rand.New(rand.NewPCG(51, 52)), 0, 300)
	odd := cloneRequest(rs[0])
	odd.Number = "CC25-00000901"
	odd.Kind, odd.State = data.KindCommunityConcern, data.StateNotAccepted
	odd.UpdatedAt, odd.AcceptedAt, odd.AssignedAt = time.Time{}, odd.RequestedAt.Add(time.Minute), odd.RequestedAt.Add(time.Hour)
	odd.Attributes = map[string][]string{"WHERE": {"curb \"quoted\" <tag>"}, "N": {"1", "2"}}
	odd.Contact = data.Contact{FirstName: "Ünïcode", Phone: "312"}
	odd.PINHash = []byte{0, 1, 2, 255}
	odd.Areas = []data.AreaRef{{Layer: "custom", ID: "<a & b>", Name: "ünïcode", Generation: "g"}, {Layer: data.LayerWard, ID: "4", Generation: "g"},
		{Layer: data.LayerSector, ID: "042", Generation: "g"}}
	odd.RecordedAreas = []data.AreaRef{{Layer: data.LayerBeat, ID: "0111", Name: "Beat \"1\"", Generation: "recorded"}}
	odd.Description, odd.MediaURL, odd.Disposition = "[]", "{}", ""
	bare := &data.Request{Number: "SR25-00000902", Jurisdiction: "chicago", Kind: data.KindServiceRequest,
		ServiceCode: "PHF", State: data.StateNew, RequestedAt: time.Date(2025, 3, 1, 12, 0, 0, 1, time.FixedZone("x", -5*3600))}
	var c encodedChunk
	for _, r := range append(rs, odd, bare) {
		row, err := c.encode(r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encodeRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(row.vals) != len(want) {
			t.Fatalf("%s: %d values, want %d", r.Number, len(row.vals), len(want))
		}
		for i, w := range want {
			if n, ok := w.(int); ok {
				w = int64(n)
			}
			got := row.value(i, c.bytes)
			if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", w, w) {
				t.Errorf("%s: %s = %T %v, want %T %v", r.Number, requestColumns[i], got, got, w, w)
			}
			for k, b := range blankKinds {
				if isBlank := row.blank[k]>>i&1 != 0; isBlank != (fmt.Sprintf("%T %v", b, b) == fmt.Sprintf("%T %v", w, w)) {
					t.Errorf("%s: %s = %#v: blank as %#v is %v", r.Number, requestColumns[i], w, b, isBlank)
				}
			}
		}
		cols, custom := layerColumns(r)
		for i, id := range cols {
			if (row.layers>>i&1 != 0) != (id != "") {
				t.Errorf("%s: layers %b, columns %q", r.Number, row.layers, cols)
			}
		}
		if row.irregular != irregularSector(cols) {
			t.Errorf("%s: irregular %v, columns %q", r.Number, row.irregular, cols)
		}
		if row.custom != custom || row.number != r.Number {
			t.Errorf("%s: custom %v number %q", r.Number, row.custom, row.number)
		}
	}
}

func TestAppendTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	times := []time.Time{{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("east", 14*3600))}
	for range 1000 {
		times = append(times, time.Unix(rng.Int64N(1<<35)-1<<34, rng.Int64N(1e9)).In(time.FixedZone("z", rng.IntN(50000)-25000)))
	}
	for _, tm := range times {
		if got, want := string(appendTime([]byte("x"), tm)), "x"+formatTime(tm); got != want {
			t.Errorf("appendTime(%v) = %q, want %q", tm, got, want)
		}
	}
}
