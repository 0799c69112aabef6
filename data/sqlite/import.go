package sqlite

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/mattn/go-sqlite3"

	"github.com/geo311/geo311/data"
)

// Import strategy, measured by BenchmarkImportSeq1M (and BenchmarkImport1M
// for calls of 10,000 and 100,000):
//
//   - One transaction per call on the writer's connection, driven through
//     the driver directly: prepared statements bound from reused argument
//     slices, without database/sql's per-call conversions and allocations
//     (they cost more than SQLite's insert). A column holding its default
//     (the empty text or NULL, for most columns of a typical row) is left
//     out of the INSERT, one prepared statement per set of bound columns
//     (at most maxInserts): this cut the binds' CPU by about a third. The
//     driver binds a value per cgo call, copying texts (SQLITE_TRANSIENT):
//     an INSERT is instead bound, stepped and reset by one C function,
//     bindStep (import_bind.go), with the texts bound in place
//     (SQLITE_STATIC) from the chunk's bytes, which took the writer's
//     row loop from 14.5 to 9.8 CPU-s per million rows (load 4-6 on 2
//     cores). A second goroutine checks and encodes the next chunk of
//     importChunk rows while the writer stores the current one, so a
//     streamed file needs the memory of two chunks: import_encode.go
//     writes a row's values and texts straight into the chunk (no
//     encodeRequest slice of interfaces, whose boxed strings were most of
//     a row's allocations) and marks the values that equal a column
//     default; the chunk is sorted by keys, not rows. The encoder went from
//     5.8 to 4.1 CPU-s per million rows. An updated row (a number stored
//     already) is written through the driver, its values copied out.
//   - The points and the well-known layers' areas are columns written with
//     the row (zkey, beat, ward...: migrations 0005, 0006), indexed like
//     the others. They replaced an R*Tree insert per row and six rows of
//     request_areas per request (two B-trees filled in no useful order):
//     of a million rows (load 2-4 on 2 cores) the R*Tree fill took 10-11 s
//     and request_areas 12-14 s with three areas a row; the columns'
//     indexes are built by CREATE INDEX below, 1-3 s each. Those builds
//     (about 2 CPU-s per index and million rows, most of it the sort) and
//     the row inserts are now most of an import.
//   - The triggers keep request_areas (now custom layers only) in step with
//     every write, but run a json_each per row through the trigger VM. The
//     import suspends them for its transaction (DROP TRIGGER, then CREATE
//     TRIGGER again from their stored SQL before COMMIT, so no other
//     connection ever sees them missing and a rollback restores them) and,
//     if any new row has a custom layer's area, fills request_areas for the
//     new rows with one statement at the end; an updated row gets its rows
//     replaced at once.
//   - The rows are checked in Go (checkImport; encodeRequest makes the JSON
//     and the closed flag), so the import's statements are compiled with
//     ignore_check_constraints, and, request_areas getting the ids of rows
//     just written, with foreign_keys off: the CHECKs' json_valid calls and
//     the parent lookups were a fifth of an insert. Both pragmas are
//     restored before the connection serves anything else, and the
//     statements compiled meanwhile are the import's own, finalized by then
//     (TestImportConstraints checks imported rows against the constraints).
//   - Within a chunk, rows are written in requested_at order, so the
//     time-keyed indexes are appended to rather than split at random. Once
//     the rows of the call reach bulkIndexMin and bulkIndexRatio times the
//     rows already stored, the secondary indexes of requests are dropped,
//     and built again by CREATE INDEX before COMMIT, which sorts once
//     instead of inserting row by row.
//   - Those builds sort on worker threads. With temporary storage in
//     memory (the connection's temp_store, see registerFuncs) SQLite's
//     sorter keeps every key of an index in one list and sorts it at the
//     end on the calling thread: two thirds of a build was that sort
//     (perf), a linked-list merge sort of a million records, cache misses
//     all the way. The import runs with temp_store = FILE and threads =
//     sortThreads, and the builds with a page cache of sortCacheKiB, which
//     is also the sorter's run size: the keys are cut into runs of that
//     size, each sorted (small, so cache-friendly: a quarter less CPU) and
//     written to a temporary file by a worker thread while the table scan
//     goes on, then merged, also on worker threads. On 11 builds of a
//     million rows the writer's own CPU went from about 20 s to 10.5 s, the
//     rest on the core the builds left idle. The temporary files (in
//     SQLITE_TMPDIR, else /var/tmp or /tmp) hold one index's keys at a
//     time, deleted when its build ends. The three pragmas are restored
//     with the checks' before the connection serves anything else.
const (
	importChunk    = 10_000
	bulkIndexMin   = 20_000
	bulkIndexRatio = 0.5
	sortThreads    = 2
	sortCacheKiB   = 4096
)

// importTriggers are the triggers an import suspends.
var importTriggers = []string{"requests_ai", "requests_au_areas"}

// importConfig holds what tests vary.
type importConfig struct {
	chunk   int // rows encoded and written at a time
	bulkMin int // rows before the index rebuild may start
	// driverBinds binds every value through the driver instead of
	// bindStep (the path taken if the driver's statement has no
	// sqlite3_stmt where rawStmt looks).
	driverBinds bool
}

func (db *DB) importConfig() importConfig {
	return importConfig{chunk: importChunk, bulkMin: db.bulkIndexMin}
}

// ImportRequests inserts or replaces requests by number in one transaction
// (see ImportRequestSeq). Every request is checked before the database is
// touched. Numbers in the geo311 format raise the kind-and-year counter, so
// CreateRequest never hands them out again. A number listed twice counts as
// inserted (or updated) once and updated again; the last listing wins.
func (db *DB) ImportRequests(ctx context.Context, rs []*data.Request) (inserted, updated int, err error) {
	for i, r := range rs {
		if err := data.CheckImport(r); err != nil {
			return 0, 0, fmt.Errorf("sqlite: import requests: request %d: %w", i, err)
		}
	}
	return db.importSeq(ctx, func(yield func(*data.Request, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}, db.importConfig())
}

// ImportRequestSeq is ImportRequests over a sequence: the requests are
// written as seq yields them, all in one transaction, so a caller can import
// a file of millions of rows without holding them in memory. An error
// yielded by seq, an invalid request (data.ErrInvalid, naming its position
// in the sequence) or a cancelled ctx rolls everything back and is
// returned. The call returns once the transaction has committed.
func (db *DB) ImportRequestSeq(ctx context.Context, seq iter.Seq2[*data.Request, error]) (inserted, updated int, err error) {
	return db.importSeq(ctx, seq, db.importConfig())
}

// importRow is one request ready to write.
type importRow struct {
	number    string
	requested time.Time   // the sort key
	vals      []importVal // encodeRequest's columns, texts in the chunk's bytes
	// blank holds, per kind of default (blankKinds), the columns whose
	// value is that default (bit i: requestColumns[i]); the writer leaves
	// out those whose default it is (see insertFor).
	blank  [len(blankKinds)]uint64
	custom bool  // has an area of a layer without a column: rows of request_areas
	layers uint8 // bit i: has an area of areaLayers[i] (a column)
	// irregular: has a sector that is not a prefix of its beat, a row of
	// requests_sector_irregular (migration 0008).
	irregular bool
}

// blankKinds are the column defaults of requests an import leaves to
// SQLite: a value equal to one of them is recorded in importRow.blank.
var blankKinds = [...]driver.Value{nil, "", "[]", "{}", int64(0)}

// value returns column i of row as the driver binds it, texts and blobs
// copied out of bytes (the update of a stored number, the driver's path).
func (row *importRow) value(i int, bytes []byte) driver.Value {
	v := row.vals[i]
	switch v.typ {
	case valInt:
		return v.v
	case valFloat:
		return math.Float64frombits(uint64(v.v))
	case valText:
		return string(bytes[v.v : v.v+int64(v.n)])
	case valBlob:
		return slices.Clone(bytes[v.v : v.v+int64(v.n)])
	}
	return nil
}

// sort orders the rows by (requested_at, number). The stored text of a
// time of the years a store takes (1 to 9999, data.StorableTime) has a
// fixed width, so its order is the time's; the keys are sorted, not the
// rows, which are moved once.
func (c *encodedChunk) sort() {
	type key struct {
		sec     int64
		nsec, i int32
		number  string
	}
	keys := make([]key, len(c.rows))
	for i, r := range c.rows {
		keys[i] = key{sec: r.requested.Unix(), nsec: int32(r.requested.Nanosecond()), i: int32(i), number: r.number}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec), strings.Compare(a.number, b.number))
	})
	rows := make([]importRow, len(c.rows))
	for i, k := range keys {
		rows[i] = c.rows[k.i]
	}
	c.rows = rows
}

// encodedChunk is a run of encoded rows of the sequence.
type encodedChunk struct {
	rows    []importRow // in (requested_at, number) order, one per number
	bytes   []byte      // the rows' texts and blobs
	vals    []importVal // the rows' values, carved into importRow.vals
	repeats int         // listings dropped for a later one in the chunk
	highest map[counterKey]int64
	err     error // ends the import
}

type counterKey struct {
	kind data.Kind
	year int
}

// encodeChunks reads seq and sends it in encoded chunks until the sequence
// ends (then closes out) or done is closed.
func encodeChunks(seq iter.Seq2[*data.Request, error], size int, out chan<- encodedChunk, done <-chan struct{}) {
	defer close(out)
	next, stop := iter.Pull2(seq)
	defer stop()
	n := 0
	chunkBytes, chunkVals := 0, 0
	for {
		c := encodedChunk{highest: map[counterKey]int64{}, bytes: make([]byte, 0, chunkBytes),
			vals: make([]importVal, 0, chunkVals)}
		last := make(map[string]int, size)
		for len(c.rows)+c.repeats < size {
			r, err, ok := next()
			if !ok {
				break
			}
			if err != nil {
				c.err = err
				break
			}
			if err := data.CheckImport(r); err != nil {
				c.err = fmt.Errorf("request %d: %w", n, err)
				break
			}
			row, err := c.encode(r)
			if err != nil {
				c.err = fmt.Errorf("request %d: %w", n, err)
				break
			}
			n++
			if kind, year, seq, err := data.ParseNumber(r.Number); err == nil {
				k := counterKey{kind, year}
				c.highest[k] = max(c.highest[k], seq)
			}
			if i, ok := last[row.number]; ok {
				c.rows[i] = row // the last listing wins
				c.repeats++
				continue
			}
			last[row.number] = len(c.rows)
			c.rows = append(c.rows, row)
		}
		c.sort()
		full := len(c.rows)+c.repeats == size && c.err == nil
		// The next chunk starts with room for as much.
		chunkBytes, chunkVals = max(chunkBytes, len(c.bytes)), max(chunkVals, len(c.vals))
		select {
		case out <- c:
		case <-done:
			return
		}
		if !full {
			return
		}
	}
}

// importSeq runs an import of seq on the writer's connection.
func (db *DB) importSeq(ctx context.Context, seq iter.Seq2[*data.Request, error], cfg importConfig) (inserted, updated int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("sqlite: import requests: %w", err)
	}
	chunks := make(chan encodedChunk, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { encodeChunks(seq, cfg.chunk, chunks, done) })
	defer func() {
		close(done)
		wg.Wait()
	}()
	first, ok := <-chunks
	if !ok || (len(first.rows) == 0 && first.err == nil) {
		return 0, 0, nil // nothing to import: no transaction
	}
	if first.err != nil {
		return 0, 0, fmt.Errorf("sqlite: import requests: %w", first.err)
	}

	conn, err := db.w.Conn(ctx)
	if err != nil {
		return 0, 0, wrap(ctx, "import requests", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("writer connection is %T", dc)
		}
		im := &importTx{c: c, cfg: cfg}
		inserted, updated, err = im.run(ctx, first, chunks)
		if rerr := im.restorePragmas(); rerr != nil {
			// The connection may keep checks off: database/sql drops it.
			return errors.Join(err, rerr, driver.ErrBadConn)
		}
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return inserted, updated, nil
}

// importTx is one import transaction on the writer's driver connection.
type importTx struct {
	c   *sqlite3.SQLiteConn
	cfg importConfig
	// pragmas: the import's pragmas are set, to be restored; saved holds
	// the connection's own values of the sorter's (savedPragmas).
	pragmas bool
	saved   [len(savedPragmas)]int64
	maxID   int64 // highest id before the import: newer rows are its own
	custom  bool  // a new row has areas of a custom layer
	// the statements of the row loop
	update, areasDelete, areasInsert driver.Stmt
	// inserts holds an INSERT per set of bound columns (bit i:
	// requestColumns[i]); a column holding its default is left out, so
	// SQLite fills it instead of binding it.
	inserts map[uint64]insertStmt
	// defaults holds, per kind of blankKinds, the columns with that
	// default (bit i: requestColumns[i]).
	defaults [len(blankKinds)]uint64
	args     []driver.NamedValue
}

// insertStmt is a prepared INSERT of some columns, and its sqlite3_stmt
// for bindStep (nil: bound through the driver).
type insertStmt struct {
	stmt driver.Stmt
	raw  unsafe.Pointer
}

// The driver calls run with context.Background(): with a cancellable
// context the driver starts a goroutine per statement to interrupt it. The
// caller's context is checked every checkEvery rows instead (a cancelled
// import rolls back as a whole).
const checkEvery = 1024

func (im *importTx) exec(q string, args ...any) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	if len(nv) == 0 {
		_, err := im.c.ExecContext(context.Background(), q, nil)
		return err
	}
	// A statement of its own (finalized on Close), never one of the
	// connection's cache: it is compiled with the import's pragmas.
	s, err := im.c.Prepare(q)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.(driver.StmtExecContext).ExecContext(context.Background(), nv)
	return err
}

// query runs q and calls each with every row.
func (im *importTx) query(q string, each func([]driver.Value) error, args ...any) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	s, err := im.c.Prepare(q)
	if err != nil {
		return err
	}
	defer s.Close()
	rows, err := s.(driver.StmtQueryContext).QueryContext(context.Background(), nv)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := each(dest); err != nil {
			return err
		}
	}
}

// savedPragmas are the connection's settings the import changes for its
// index builds (see sortThreads) and restores.
var savedPragmas = [...]string{"temp_store", "threads", "cache_size"}

// savedCacheSize is the index of cache_size in savedPragmas.
const savedCacheSize = 2

// readPragmas reads the current values of savedPragmas.
func (im *importTx) readPragmas() (vals [len(savedPragmas)]int64, err error) {
	for i, p := range savedPragmas {
		vals[i] = -1 << 62
		if err := im.query(`PRAGMA `+p, func(v []driver.Value) error {
			vals[i], _ = v[0].(int64)
			return nil
		}); err != nil {
			return vals, err
		}
	}
	return vals, nil
}

// setPragmas sets savedPragmas to vals.
func (im *importTx) setPragmas(vals [len(savedPragmas)]int64) error {
	for i, p := range savedPragmas {
		if err := im.exec(fmt.Sprintf(`PRAGMA %s = %d`, p, vals[i])); err != nil {
			return err
		}
	}
	return nil
}

func (im *importTx) restorePragmas() error {
	if !im.pragmas {
		return nil
	}
	if err := im.exec(`PRAGMA ignore_check_constraints = OFF`); err != nil {
		return err
	}
	if err := im.exec(`PRAGMA foreign_keys = ON`); err != nil {
		return err
	}
	if err := im.setPragmas(im.saved); err != nil {
		return err
	}
	// foreign_keys and temp_store cannot change inside a transaction (a
	// failed ROLLBACK would leave one open) and say nothing: read all back.
	var fk, ic int64 = -1, -1
	if err := im.query(`SELECT foreign_keys, ignore_check_constraints FROM pragma_foreign_keys, pragma_ignore_check_constraints`,
		func(v []driver.Value) error {
			fk, _ = v[0].(int64)
			ic, _ = v[1].(int64)
			return nil
		}); err != nil {
		return err
	}
	if fk != 1 || ic != 0 {
		return fmt.Errorf("writer left with foreign_keys=%d ignore_check_constraints=%d", fk, ic)
	}
	got, err := im.readPragmas()
	if err != nil {
		return err
	}
	if got != im.saved {
		return fmt.Errorf("writer left with %v = %v, want %v", savedPragmas, got, im.saved)
	}
	im.pragmas = false
	return nil
}

func (im *importTx) run(ctx context.Context, first encodedChunk, chunks <-chan encodedChunk) (inserted, updated int, err error) {
	op := "import requests"
	saved, err := im.readPragmas()
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	// Outside a transaction: foreign_keys is a no-op inside one, and
	// temp_store cannot change in one.
	im.saved, im.pragmas = saved, true
	if err := im.exec(`PRAGMA foreign_keys = OFF`); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if err := im.exec(`PRAGMA ignore_check_constraints = ON`); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if err := im.exec(`PRAGMA temp_store = FILE`); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if err := im.exec(fmt.Sprintf(`PRAGMA threads = %d`, sortThreads)); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if err := im.exec(`BEGIN IMMEDIATE`); err != nil {
		return 0, 0, wrap(ctx, op+": begin", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = im.exec(`ROLLBACK`)
		}
	}()
	restore, err := im.suspendSchema("trigger", importTriggers)
	if err != nil {
		return 0, 0, wrap(ctx, op+": suspend triggers", err)
	}
	if err := im.query(`SELECT coalesce(max(id), 0) FROM requests`, func(v []driver.Value) error {
		im.maxID, _ = v[0].(int64)
		return nil
	}); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if err := im.prepare(); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer im.close()

	highest := map[counterKey]int64{}
	written, bulk := 0, false
	var layers uint8   // the area columns the rows so far have
	irregular := false // some row so far is in requests_sector_irregular
	for c, more := first, true; more; c, more = <-chunks {
		if c.err != nil {
			return 0, 0, fmt.Errorf("sqlite: %s: %w", op, c.err)
		}
		for _, row := range c.rows {
			layers |= row.layers
			irregular = irregular || row.irregular
		}
		if !bulk && written+len(c.rows) >= im.cfg.bulkMin && float64(written+len(c.rows)) >= bulkIndexRatio*float64(im.maxID) {
			names, err := im.secondaryIndexes(layers, irregular)
			if err != nil {
				return 0, 0, wrap(ctx, op+": list indexes", err)
			}
			rebuild, err := im.suspendSchema("index", names)
			if err != nil {
				return 0, 0, wrap(ctx, op+": drop indexes", err)
			}
			restore = append(restore, rebuild...)
			bulk = true
		}
		for i := range c.rows {
			row := &c.rows[i]
			if i%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return 0, 0, fmt.Errorf("sqlite: %s: %w", op, err)
				}
			}
			ins, err := im.write(row, c.bytes)
			if err != nil {
				return 0, 0, wrap(ctx, op+": "+row.number, err)
			}
			if ins {
				inserted++
				im.custom = im.custom || row.custom
			} else {
				updated++
			}
		}
		updated += c.repeats
		written += len(c.rows)
		for k, n := range c.highest {
			highest[k] = max(highest[k], n)
		}
	}
	op = fmt.Sprintf("import %d requests", inserted+updated)
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	// request_areas of the new rows (ids above maxID) in one statement.
	if im.custom {
		if err := im.exec(`INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
    SELECT j.value ->> 'layer', j.value ->> 'id', r.id FROM requests r, json_each(r.areas) j
    WHERE r.id > ? AND `+customLayer("j.value"), im.maxID); err != nil {
			return 0, 0, wrap(ctx, op+": areas", err)
		}
	}
	for k, n := range highest {
		if err := im.exec(`INSERT INTO request_counters (kind, year, n) VALUES (?, ?, ?)
    ON CONFLICT (kind, year) DO UPDATE SET n = max(n, excluded.n)`, string(k.kind), int64(k.year), n); err != nil {
			return 0, 0, wrap(ctx, op+": counters", err)
		}
	}
	if bulk {
		// The sorter's run size (see sortThreads); back before COMMIT.
		if err := im.exec(fmt.Sprintf(`PRAGMA cache_size = %d`, -sortCacheKiB)); err != nil {
			return 0, 0, wrap(ctx, op, err)
		}
	}
	for _, stmt := range restore {
		if err := im.exec(stmt); err != nil {
			return 0, 0, wrap(ctx, op+": restore schema", err)
		}
	}
	if err := im.exec(fmt.Sprintf(`PRAGMA cache_size = %d`, im.saved[savedCacheSize])); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	im.close()
	if err := im.exec(`COMMIT`); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	committed = true
	return inserted, updated, nil
}

// suspendSchema drops the named schema objects of a type ("trigger",
// "index") and returns the statements that create them again. Names that
// do not exist are skipped.
func (im *importTx) suspendSchema(typ string, names []string) ([]string, error) {
	var restore []string
	for _, name := range names {
		var stmt string
		if err := im.query(`SELECT sql FROM sqlite_schema WHERE type = ? AND name = ?`, func(v []driver.Value) error {
			stmt, _ = v[0].(string)
			return nil
		}, typ, name); err != nil {
			return nil, err
		}
		if stmt == "" {
			continue
		}
		if err := im.exec(`DROP ` + typ + ` "` + name + `"`); err != nil {
			return nil, err
		}
		restore = append(restore, stmt)
	}
	return restore, nil
}

// secondaryIndexes lists the explicit indexes of requests (not the
// automatic one of UNIQUE number, which the import itself needs) to drop
// and rebuild. The partial index of an area column none of the rows so far
// has (bit i of layers: areaLayers[i]; Chicago has no precincts) is kept:
// rebuilding it would scan the whole table for nothing, and a later row
// that has one is inserted into it as usual. So is
// requests_sector_irregular while no row so far is irregular (a city whose
// sectors are routed from their beats has none). request_areas keeps its
// index on request_id: the new rows' ids only grow, so it is appended to,
// and an updated row's areas are found through it.
func (im *importTx) secondaryIndexes(layers uint8, irregular bool) ([]string, error) {
	var names []string
	err := im.query(`SELECT name FROM sqlite_schema
    WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL ORDER BY name`,
		func(v []driver.Value) error {
			if s, ok := v[0].(string); ok {
				if s == sectorIrregularIndex && !irregular {
					return nil
				}
				for i, l := range areaLayers {
					if s == areaIndexPrefix+areaColumn[l] && layers&(1<<i) == 0 {
						return nil
					}
				}
				names = append(names, s)
			}
			return nil
		})
	return names, err
}

// areaIndexPrefix and the column name make an area column's index (0005);
// sectorIrregularIndex holds the rows whose sector is not a prefix of their
// beat (0008).
const (
	areaIndexPrefix      = "requests_"
	sectorIrregularIndex = "requests_sector_irregular"
)

// prepare prepares the statements of the row loop. For an updated request
// they also bring request_areas up to date, as the suspended triggers
// would.
func (im *importTx) prepare() error {
	for _, p := range []struct {
		to  *driver.Stmt
		sql string
	}{
		{&im.update, updateRequest + ` RETURNING id`},
		{&im.areasDelete, `DELETE FROM request_areas WHERE request_id = ?`},
		{&im.areasInsert, `INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
    SELECT value ->> 'layer', value ->> 'id', r.id FROM requests r, json_each(r.areas) WHERE r.id = ? AND ` + customLayer("value")},
	} {
		s, err := im.c.Prepare(p.sql)
		if err != nil {
			im.close()
			return err
		}
		*p.to = s
	}
	im.args = make([]driver.NamedValue, 0, len(requestColumns))
	im.inserts = map[uint64]insertStmt{}
	if err := im.columnDefaults(); err != nil {
		im.close()
		return err
	}
	return nil
}

func (im *importTx) close() {
	for _, s := range []*driver.Stmt{&im.update, &im.areasDelete, &im.areasInsert} {
		if *s != nil {
			_ = (*s).Close()
			*s = nil
		}
	}
	for k, s := range im.inserts {
		_ = s.stmt.Close()
		delete(im.inserts, k)
	}
}

// maxInserts bounds the INSERT statements an import prepares; rows of
// further column sets bind every column.
const maxInserts = 64

// columnDefaults reads the defaults of requestColumns from the schema into
// im.defaults: a column whose default is not one of blankKinds, or that
// has none, is always bound.
func (im *importTx) columnDefaults() error {
	if len(requestColumns) > 64 {
		return fmt.Errorf("%d request columns do not fit a column set", len(requestColumns))
	}
	// kind is the index in blankKinds of each column's default, -1 if it
	// must be bound.
	kind := map[string]int{}
	if err := im.query(`SELECT name, "notnull", dflt_value FROM pragma_table_info('requests')`, func(v []driver.Value) error {
		name, _ := v[0].(string)
		notNull, _ := v[1].(int64)
		k := -1
		dflt := v[2]
		if b, ok := dflt.([]byte); ok {
			dflt = string(b)
		}
		switch dflt {
		case nil:
			if notNull == 0 {
				k = 0 // NULL
			}
		case "''":
			k = 1
		case "'[]'":
			k = 2
		case "'{}'":
			k = 3
		case "0":
			k = 4
		}
		kind[name] = k
		return nil
	}); err != nil {
		return err
	}
	im.defaults = [len(blankKinds)]uint64{}
	for i, c := range requestColumns {
		k, ok := kind[c]
		if !ok {
			return fmt.Errorf("requests has no column %s", c)
		}
		if k >= 0 {
			im.defaults[k] |= 1 << i
		}
	}
	return nil
}

// insertFor returns the INSERT of the columns of row that do not hold
// their default, and those columns (bit i: requestColumns[i]). The encoder
// found the values that equal a default (row.blank), so this is a few
// bitwise operations on the writer's thread.
func (im *importTx) insertFor(row *importRow) (insertStmt, uint64, error) {
	all := uint64(1)<<len(row.vals) - 1
	var blank uint64
	for k, cols := range im.defaults {
		blank |= cols & row.blank[k]
	}
	set := all &^ blank
	if s, ok := im.inserts[set]; ok {
		return s, set, nil
	}
	if len(im.inserts) >= maxInserts {
		set = all
		if s, ok := im.inserts[set]; ok {
			return s, set, nil
		}
	}
	var cols []string
	for i, c := range requestColumns {
		if set&(1<<i) != 0 {
			cols = append(cols, c)
		}
	}
	s, err := im.c.Prepare("INSERT INTO requests (" + strings.Join(cols, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(cols)-1) + ") ON CONFLICT (number) DO NOTHING")
	if err != nil {
		return insertStmt{}, 0, err
	}
	is := insertStmt{stmt: s}
	if !im.cfg.driverBinds {
		is.raw = rawStmt(s)
	}
	im.inserts[set] = is
	return is, set, nil
}

// write inserts row (texts in bytes), or updates the request of its
// number, and reports whether it inserted.
func (im *importTx) write(row *importRow, bytes []byte) (inserted bool, err error) {
	insert, set, err := im.insertFor(row)
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	var n int64
	if insert.raw != nil {
		n, err = bindStep(insert.raw, row.vals, set, bytes)
	} else {
		args := im.args[:0]
		for i := range row.vals {
			if set&(1<<i) != 0 {
				args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: row.value(i, bytes)})
			}
		}
		var res driver.Result
		if res, err = insert.stmt.(driver.StmtExecContext).ExecContext(context.Background(), args); err == nil {
			n, err = res.RowsAffected()
		}
	}
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	if n == 1 {
		return true, nil
	}
	// Stored already: UPDATE ... WHERE number = ?41, the same values but
	// number last.
	args := im.args[:0]
	for i := 1; i < len(row.vals); i++ {
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: row.value(i, bytes)})
	}
	args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: row.number})
	var id int64
	rows, err := im.update.(driver.StmtQueryContext).QueryContext(context.Background(), args)
	if err != nil {
		return false, fmt.Errorf("update: %w", err)
	}
	dest := []driver.Value{nil}
	err = rows.Next(dest)
	_ = rows.Close()
	if err != nil {
		return false, fmt.Errorf("update: %w", err)
	}
	id, _ = dest[0].(int64)
	if id > im.maxID {
		return false, nil // a row of this import: its side rows come at the end
	}
	if err := im.stmtExec(im.areasDelete, id); err != nil {
		return false, fmt.Errorf("areas: %w", err)
	}
	if !row.custom {
		return false, nil
	}
	if err := im.stmtExec(im.areasInsert, id); err != nil {
		return false, fmt.Errorf("areas: %w", err)
	}
	return false, nil
}

// customLayer is the condition on a json_each value (an area) of the
// triggers of 0005: its layer has no column of requests.
func customLayer(value string) string {
	var b strings.Builder
	b.WriteString(value + " ->> 'layer' NOT IN (")
	for i, l := range areaLayers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + string(l) + "'")
	}
	b.WriteString(")")
	return b.String()
}

func (im *importTx) stmtExec(s driver.Stmt, args ...any) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	_, err := s.(driver.StmtExecContext).ExecContext(context.Background(), nv)
	return err
}
