package postgis

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/geo311/geo311/data"
)

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

// indexDefs lists the index definitions of requests.
func indexDefs(t *testing.T, db *DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT indexdef FROM pg_indexes WHERE tablename = 'requests' ORDER BY indexname`)
}

// queryStrings runs q, whose rows are one text each, and returns them.
func queryStrings(t *testing.T, db *DB, q string) []string {
	t.Helper()
	rows, err := db.pool.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func clone(r *data.Request) *data.Request {
	c := *r
	c.Areas = slices.Clone(r.Areas)
	return &c
}

// TestImportSeqChunks streams an import over several chunks: stored rows
// (upserted), a number repeated inside a chunk and one across chunks, and
// the switch to the index rebuild in the middle of the call. Counts, rows,
// indexes (the same definitions, valid, used by the plans) and counters
// come out right.
func TestImportSeqChunks(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	before := indexDefs(t, db)
	stored := synthRequests(300, 0)
	oids := func() []uint32 {
		rows, _ := db.pool.Query(ctx, `SELECT indexrelid::oid::int8 FROM pg_index WHERE indrelid = 'requests'::regclass AND NOT indisunique ORDER BY 1`)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]uint32, len(ids))
		for i, id := range ids {
			out[i] = uint32(id)
		}
		return out
	}
	if ins, _, err := db.ImportRequests(ctx, stored); err != nil || ins != 300 {
		t.Fatalf("seed: %d, %v", ins, err)
	}
	in := synthRequests(1000, 300)
	for i := range 40 {
		r := clone(stored[i*7])
		r.Description = "replaced"
		r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "7777", Generation: "beat@x"}}
		in = append(in, r)
	}
	across := clone(in[5])
	across.Description = "listed again in a later chunk"
	within := clone(in[len(in)-1])
	within.Description = "listed twice in one chunk"
	in = append(in, across, within)
	// Chunks of 128: the rebuild starts with the fourth (4 x 128 >= 500).
	oids0 := oids()
	ins, upd, err := db.importSeq(ctx, seqOf(in, nil), importConfig{chunk: 128, bulkMin: 500, ratio: 0.5})
	if err != nil || ins != 1000 || upd != 42 {
		t.Fatalf("import: %d inserted, %d updated, %v; want 1000, 42", ins, upd, err)
	}
	if o := oids(); len(o) != len(oids0) || slices.Equal(o, oids0) {
		t.Errorf("secondary indexes %v before, %v after: not rebuilt", oids0, o)
	}
	if got := indexDefs(t, db); !slices.Equal(got, before) {
		t.Errorf("indexes after the import:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
	var invalid int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_index WHERE indrelid = 'requests'::regclass AND NOT (indisvalid AND indisready)`).Scan(&invalid); err != nil || invalid != 0 {
		t.Errorf("%d indexes not valid: %v", invalid, err)
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != 1300 {
		t.Errorf("%d requests, %v; want 1300", n, err)
	}
	for _, want := range []*data.Request{across, within, in[1038]} {
		got, err := db.Request(ctx, want.Number)
		if err != nil || got.Description != want.Description {
			t.Errorf("%s: %q, %v; want %q", want.Number, got.Description, err, want.Description)
		}
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "7777"}}}); err != nil || n != 40 {
		t.Errorf("requests in beat 7777: %d, %v; want 40", n, err)
	}
	// Numbers continue above the highest imported.
	high := slices.MaxFunc(in, func(a, b *data.Request) int { return strings.Compare(a.Number, b.Number) })
	got, _, err := db.CreateRequest(ctx, data.Intake{Request: intakeAt(high.RequestedAt.Add(time.Hour), loopLat).Request})
	if err != nil || got.Number <= high.Number {
		t.Errorf("intake after the import: %v, %v; want a number above %s", got, err, high.Number)
	}
}

// TestImportSeqRollsBack: an error from the sequence or an invalid request
// after the indexes were dropped (in place, keys too into an empty table)
// or while a shadow table was loading leaves nothing behind: no rows,
// every index and constraint back, no shadow table.
func TestImportSeqRollsBack(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	before, beforeCons := indexDefs(t, db), constraintDefs(t, db)
	rs := synthRequests(600, 0)
	bad := clone(rs[0])
	bad.Number, bad.State = "SR25-09999999", "bogus"
	nul := clone(rs[0]) // the server refuses it
	nul.Number, nul.Description = "SR25-09999998", "a\x00b"
	huge := clone(rs[0]) // the encoder refuses it
	huge.Number, huge.SLADays = "SR25-09999997", 1<<40
	for _, cfg := range []struct {
		name string
		importConfig
	}{
		{"bulk from the second chunk", importConfig{chunk: 100, bulkMin: 200, ratio: 0.5}},
		{"in place into empty", importConfig{chunk: 100, bulkMin: 100, ratio: 0.5, inPlace: true}},
		{"shadow table", importConfig{chunk: 100, bulkMin: 100, ratio: 0.5}},
	} {
		for _, tc := range []struct {
			name string
			seq  iter.Seq2[*data.Request, error]
			kind error
			want string // in the message
		}{
			{"sequence error", seqOf(rs, errors.New("disk on fire")), nil, "disk on fire"},
			{"invalid request", seqOf(append(slices.Clone(rs), bad), nil), data.ErrInvalid, "request 600"},
			{"refused by the server", seqOf(append(slices.Clone(rs), nul), nil), data.ErrInvalid, ""},
			{"refused by the encoder", seqOf(append(slices.Clone(rs), huge), nil), data.ErrInvalid, "SR25-09999997"},
		} {
			name := cfg.name + ": " + tc.name
			_, _, err := db.importSeq(ctx, tc.seq, cfg.importConfig)
			if err == nil || (tc.kind != nil && !errors.Is(err, tc.kind)) {
				t.Errorf("%s: %v, want an error (%v)", name, err, tc.kind)
			}
			if err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v does not say %q", name, err, tc.want)
			}
			if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != 0 {
				t.Errorf("%s: %d requests stored, %v", name, n, err)
			}
			if got := indexDefs(t, db); !slices.Equal(got, before) {
				t.Errorf("%s: indexes after the failed import:\n%s", name, strings.Join(got, "\n"))
			}
			if got := constraintDefs(t, db); !slices.Equal(got, beforeCons) {
				t.Errorf("%s: constraints after the failed import:\n%s", name, strings.Join(got, "\n"))
			}
			if got := shadowTables(t, db); len(got) != 0 {
				t.Errorf("%s: shadow tables after the failed import: %v", name, got)
			}
		}
	}
}

// TestImportConcurrentNumbers: an import COPYing numbers that another
// import has written but not committed (it waits on the unique index, then
// fails) falls back to the upsert for its chunk: both succeed, each number
// is stored once, with the later import's values.
func TestImportConcurrentNumbers(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	first := synthRequests(50, 0)
	second := make([]*data.Request, len(first))
	for i, r := range first {
		second[i] = clone(r)
		second[i].Description = "second"
	}
	cfg := importConfig{chunk: 50, bulkMin: 1 << 30, ratio: 1}
	release := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		// The first chunk is copied, then the sequence blocks: its rows
		// are written but not committed.
		_, _, err := db.importSeq(ctx, func(yield func(*data.Request, error) bool) {
			for _, r := range first {
				if !yield(r, nil) {
					return
				}
			}
			<-release
		}, cfg)
		firstDone <- err
	}()
	// Wait until the first import's rows are in (uncommitted).
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'transactionid' AND a.state = 'idle in transaction' AND a.datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first import never wrote")
		}
		time.Sleep(20 * time.Millisecond)
	}
	secondDone := make(chan [3]any, 1)
	go func() {
		ins, upd, err := db.importSeq(ctx, seqOf(second, nil), cfg)
		secondDone <- [3]any{ins, upd, err}
	}()
	// The second import looked its numbers up (none committed) and waits
	// in COPY on the first's uncommitted index entries.
	for {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY "requests"%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second import never waited in COPY")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first import: %v", err)
	}
	res := <-secondDone
	if res[2] != nil || res[0].(int) != 0 || res[1].(int) != 50 {
		t.Fatalf("second import: %v inserted, %v updated, %v; want 0, 50, nil", res[0], res[1], res[2])
	}
	rs, err := db.Requests(ctx, data.RequestFilter{})
	if err != nil || len(rs) != 50 {
		t.Fatalf("%d requests, %v; want 50", len(rs), err)
	}
	for _, r := range rs {
		if r.Description != "second" {
			t.Fatalf("%s: %q, want the second import's", r.Number, r.Description)
		}
	}
}

// TestCopyEncoding: the COPY encoder of imports stores the same values as
// encodeRequest through pgx (the statements of intakes and updates), for
// requests with every field set, unset, and awkward.
func TestCopyEncoding(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	base := synthRequests(3, 0)
	full := clone(base[0])
	full.Kind, full.State = data.KindCommunityConcern, data.StateClosed
	full.AcceptedAt = full.RequestedAt.Add(time.Minute)
	full.AssignedAt = full.RequestedAt.Add(2 * time.Minute)
	full.CompletedAt = full.RequestedAt.Add(3*time.Minute + 123456789)
	full.ClosedAt = full.RequestedAt.Add(4 * time.Minute)
	full.Attributes = map[string][]string{"WHERE": {"curb \"quoted\" <tag> & ünïcode"}, "N": {"1", "2"}, "NIL": nil, "": {""}, "É<": {}}
	full.Contact = data.Contact{FirstName: "Zoë", Email: "z@example.org"}
	full.PINHash = []byte{0, 1, 2, 255}
	full.RecordedAreas = []data.AreaRef{{Layer: data.LayerWard, ID: "4", Name: "Ward \"4\"", Generation: "city"}}
	full.Areas = append(full.Areas, data.AreaRef{Layer: "zone\\x", ID: "Z<1>", Generation: "g\n1"})
	full.SLADays, full.ExtensionDays, full.Extensions, full.Reassignments = 7, 15, 1, 4
	full.DuplicateCount, full.MeToo, full.Duplicate, full.ParentNumber = 3, 2, true, "SR25-00000001"
	full.PoliceRelated, full.Legacy, full.Disposition, full.MediaURL = true, false, "done", "https://example.org/x.jpg"
	full.H3 = 0 // no parents
	empty := clone(base[1])
	empty.Areas, empty.UpdatedAt, empty.Description, empty.Attributes = nil, time.Time{}, "", nil
	odd := clone(base[2])
	odd.Lon, odd.Lat = -0.0, 1e-300
	odd.RequestedAt = time.Date(1, 1, 1, 0, 0, 0, 999, time.UTC).AddDate(2019, 0, 0)
	rs := []*data.Request{full, empty, odd}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	cols := strings.Join(writeColumns, ", ")
	for _, tbl := range []string{"via_pgx", "via_copy"} {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+tbl+` AS SELECT `+cols+` FROM requests WITH NO DATA`); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rs {
		vals, err := encodeRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO via_pgx (`+cols+`) VALUES (`+placeholders(1, len(writeColumns))+`)`, vals...); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := copyRequests(ctx, tx, pgx.Identifier{"via_copy"}, slices.Clone(rs)); err != nil || n != 3 {
		t.Fatalf("copy: %d, %v", n, err)
	}
	var diff int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ((TABLE via_pgx EXCEPT ALL TABLE via_copy) UNION ALL (TABLE via_copy EXCEPT ALL TABLE via_pgx)) d`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("%d rows differ between COPY and pgx", diff)
	}
	var a, b string
	if err := tx.QueryRow(ctx, `SELECT (SELECT string_agg(x::text, '|' ORDER BY number) FROM via_pgx x), (SELECT string_agg(x::text, '|' ORDER BY number) FROM via_copy x)`).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != b || !strings.Contains(b, "Zoë") {
		t.Errorf("rows differ:\npgx  %s\ncopy %s", a, b)
	}
}

// TestImportSeqRepeatIntoEmpty: into an empty table the numbers are not
// looked up; a number listed again in a later chunk fails that chunk's COPY,
// which is then upserted: the counts and the last listing are right.
func TestImportSeqRepeatIntoEmpty(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	rs := synthRequests(25, 0)
	again := clone(rs[3])
	again.Description = "listed again"
	rs[20] = again
	ins, upd, err := db.importSeq(ctx, seqOf(rs, nil), importConfig{chunk: 10, bulkMin: 1 << 30, ratio: 1})
	if err != nil || ins != 24 || upd != 1 {
		t.Fatalf("import: %d inserted, %d updated, %v; want 24, 1", ins, upd, err)
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != 24 {
		t.Errorf("%d requests, %v; want 24", n, err)
	}
	if got, err := db.Request(ctx, again.Number); err != nil || got.Description != "listed again" {
		t.Errorf("%s: %v, %v; want the last listing", again.Number, got, err)
	}
}

// constraintDefs lists the constraints of requests and those that
// reference it, with their definitions.
func constraintDefs(t *testing.T, db *DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE conrelid = 'requests'::regclass OR confrelid = 'requests'::regclass ORDER BY 1`)
}

// columnDefs lists the columns of requests with their types, defaults,
// identity and collation, its identity sequence with its options and its
// storage options (and its TOAST table's).
func columnDefs(t *testing.T, db *DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
			|| CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
			|| coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
			|| coalesce(' identity ' || nullif(a.attidentity::text, ''), '')
			|| coalesce(' collate ' || nullif(a.attcollation, 0)::regcollation::text, '')
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = 'requests'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT s.seqrelid::regclass::text || format(' %s %s %s %s %s %s', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqcache, s.seqcycle)
		FROM pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence('requests', 'id')::regclass
		UNION ALL
		SELECT 'storage options ' || coalesce(array_to_string(c.reloptions, ','), '') || ' toast '
			|| coalesce((SELECT array_to_string(t.reloptions, ',') FROM pg_class t WHERE t.oid = c.reltoastrelid), '')
		FROM pg_class c WHERE c.oid = 'requests'::regclass
		ORDER BY 1`)
}

// shadowTables lists the shadow tables of imports (import_shadow.go).
func shadowTables(t *testing.T, db *DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT relname::text FROM pg_class WHERE starts_with(relname, '`+shadowPrefix+`') AND relkind = 'r' ORDER BY 1`)
}

// requestsLocks returns the lock modes granted on requests and on
// request_notes, as "table mode".
func requestsLocks(t *testing.T, db *DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT relation::regclass::text || ' ' || mode FROM pg_locks
		WHERE relation IN ('requests'::regclass, 'request_notes'::regclass) AND granted AND pid <> pg_backend_pid() ORDER BY 1`)
}

// TestImportBulkIntoEmpty: into an empty table the bulk path builds the
// keys (primary key, unique number, the notes' foreign key) after the
// rows too: in place, having dropped them, or on a shadow table swapped in
// at the end; either way requests and request_notes are locked until then. A number listed in two or
// three chunks is stored once, as its last listing, the earlier ones
// counted as updates; every column, constraint and index comes back the
// same and holds; identities continue.
func TestImportBulkIntoEmpty(t *testing.T) {
	for _, tc := range []struct {
		inPlace bool
		loaders int
	}{{true, 0}, {false, 1}, {false, 2}} {
		t.Run(fmt.Sprintf("inPlace=%v/loaders=%d", tc.inPlace, tc.loaders), func(t *testing.T) { testImportBulkIntoEmpty(t, tc.inPlace, tc.loaders) })
	}
}

func testImportBulkIntoEmpty(t *testing.T, inPlace bool, loaders int) {
	db := openDB(t)
	ctx := context.Background()
	before, beforeIdx, beforeCols := constraintDefs(t, db), indexDefs(t, db), columnDefs(t, db)
	if len(before) < 3 {
		t.Fatalf("constraints %v: want at least the primary key, the unique number and the notes' foreign key", before)
	}
	rs := synthRequests(450, 0)
	var last []*data.Request
	for i, at := range []int{120, 250, 390} { // chunks 2, 3 and 4 repeat rs[5]
		r := clone(rs[5])
		r.Description = fmt.Sprint("listing ", i+2)
		rs[at] = r
		last = append(last, r)
	}
	twice := clone(rs[7])
	twice.Description = "listed again in a later chunk"
	rs[440] = twice
	within := clone(rs[310])
	within.Description = "listed twice in one chunk"
	rs[330] = within
	// Ids continue from those given out before.
	if _, err := db.pool.Exec(ctx, `SELECT nextval(pg_get_serial_sequence('requests', 'id')) FROM generate_series(1, 1000)`); err != nil {
		t.Fatal(err)
	}
	// The import's catalogue changes are not visible outside its
	// transaction, but its locks are: requests and request_notes (whose
	// foreign key is dropped) cannot be read until it commits.
	var locks [][]string
	cfg := importConfig{chunk: 100, bulkMin: 100, ratio: 0.2, inPlace: inPlace, loaders: loaders, copied: func() {
		locks = append(locks, requestsLocks(t, db))
		if inPlace {
			return
		}
		if got := shadowTables(t, db); len(got) != 1 {
			t.Errorf("shadow tables during the import: %v, want one", got)
		}
		// The import holds three of the pool's four connections (two
		// loading, or one loading and one waiting to build).
		tx, err := db.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		_, err = tx.Exec(ctx, `SET LOCAL lock_timeout = '100ms'; SELECT count(*) FROM requests`)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
			t.Errorf("requests read during the import: %v; want a lock timeout", err)
		}
	}}
	ins, upd, err := db.importSeq(ctx, seqOf(rs, nil), cfg)
	// 450 listings of 445 numbers: rs[5] three more times, rs[7] and rs[310] once more.
	if err != nil || ins != 445 || upd != 5 {
		t.Fatalf("import: %d inserted, %d updated, %v; want 445, 5", ins, upd, err)
	}
	if len(locks) != 1 || !slices.Contains(locks[0], "requests AccessExclusiveLock") || !slices.Contains(locks[0], "request_notes AccessExclusiveLock") {
		t.Errorf("locks once the rows were written: %q, want requests and request_notes AccessExclusiveLock", locks)
	}
	if got := shadowTables(t, db); len(got) != 0 {
		t.Errorf("shadow tables after the import: %v", got)
	}
	if after := columnDefs(t, db); !slices.Equal(after, beforeCols) {
		t.Errorf("columns after the import:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(beforeCols, "\n"))
	}
	var minID int64
	if err := db.pool.QueryRow(ctx, `SELECT min(id) FROM requests`).Scan(&minID); err != nil || minID <= 1000 {
		t.Errorf("smallest id %d, %v; want ids after the 1000 given out before", minID, err)
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != 445 {
		t.Errorf("%d requests, %v; want 445", n, err)
	}
	for _, want := range []*data.Request{last[2], twice, within, rs[100]} {
		got, err := db.Request(ctx, want.Number)
		if err != nil || got.Description != want.Description {
			t.Errorf("%s: %v, %v; want %q", want.Number, got, err, want.Description)
		}
	}
	if after := constraintDefs(t, db); !slices.Equal(after, before) {
		t.Errorf("constraints after the import:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	if after := indexDefs(t, db); !slices.Equal(after, beforeIdx) {
		t.Errorf("indexes after the import:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(beforeIdx, "\n"))
	}
	var invalid int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_index WHERE indrelid = 'requests'::regclass AND NOT (indisvalid AND indisready)`).Scan(&invalid); err != nil || invalid != 0 {
		t.Errorf("%d indexes not valid: %v", invalid, err)
	}
	// The constraints hold again: a stored number is refused, a note needs
	// its request.
	if _, err := db.pool.Exec(ctx, `INSERT INTO requests (number, kind, state, lon, lat, geom, requested_at, updated_at)
		SELECT number, kind, state, lon, lat, geom, requested_at, updated_at FROM requests WHERE number = $1`, twice.Number); err == nil {
		t.Errorf("a second row of %s was accepted", twice.Number)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO request_notes (number, at) VALUES ('SR25-99999999', now())`); err == nil {
		t.Error("a note of no request was accepted")
	}
	// A second import into the table that is no longer empty keeps the keys
	// and upserts (the 121st number was replaced by a repeat above: new).
	again := synthRequests(450, 0)[:150]
	locks = nil
	inPlace = true // no reads or writes to try in the hook
	if ins, upd, err := db.importSeq(ctx, seqOf(again, nil), cfg); err != nil || ins != 1 || upd != 149 {
		t.Errorf("second import: %d inserted, %d updated, %v; want 1, 149", ins, upd, err)
	}
	for _, l := range locks {
		if slices.ContainsFunc(l, func(s string) bool { return strings.HasPrefix(s, "request_notes") }) {
			t.Errorf("request_notes locked by the second import: %v", l)
		}
	}
	// The tables work as before: an intake, a note, a read by number.
	r, _, err := db.CreateRequest(ctx, data.Intake{Request: intakeAt(rs[0].RequestedAt.Add(time.Hour), loopLat).Request})
	if err != nil {
		t.Fatalf("intake after the import: %v", err)
	}
	if got, err := db.Request(ctx, r.Number); err != nil || got.Number != r.Number {
		t.Errorf("read %s after the import: %v, %v", r.Number, got, err)
	}
}

// filterNumbers returns the numbers of the requests db lists for f, sorted.
func filterNumbers(t *testing.T, db *DB, f data.RequestFilter) []string {
	t.Helper()
	got, err := db.Requests(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	numbers := make([]string, 0, len(got))
	for _, r := range got {
		numbers = append(numbers, r.Number)
	}
	slices.Sort(numbers)
	return numbers
}
