package postgis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/geo311/geo311/data"
)

// Import strategy, measured by BenchmarkImport (calls of 100,000) and
// BenchmarkImportSeq (one streamed call of a million):
//
//   - The requests are read from the caller's sequence in chunks of
//     importChunk, all written in one transaction; the next chunk is read
//     (so the caller keeps producing) while the current one is written. A
//     file of millions of rows needs the memory of a few chunks.
//   - Per chunk, the numbers already stored are looked up (one probe of
//     the unique index each; skipped when the table was empty). The others
//     are COPYed (binary, copyenc.go) straight into requests, where COPY
//     batches heap inserts and their WAL (about half the server time of
//     INSERT ... SELECT from a staging table); the stored ones go through
//     a temporary table and one INSERT ... ON CONFLICT (number) DO UPDATE.
//     A number stored meanwhile by another transaction, or not looked up,
//     makes the COPY fail with a unique violation: the chunk is rolled back
//     to its savepoint and upserted as a whole.
//   - Once the rows of the call reach bulkIndexMin and bulkIndexRatio times
//     the rows stored before it, the secondary indexes of requests are
//     dropped inside the transaction and built again before commit:
//     CREATE INDEX sorts each once, where inserting maintains every
//     index row by row and writes WAL for every page it touches (ten
//     times the cost per row on a table of a million). The primary key and
//     the unique number index stay (the upsert and the notes' foreign key
//     need them), except into an empty table, where they are built after
//     the rows too (see dropSecondaryIndexes). Dropping takes an ACCESS
//     EXCLUSIVE lock on requests until commit, so this is for loads that
//     are large against the table; a failure rolls the drop back with
//     everything else.
//   - Into an empty table (the bulk path from the first chunk), the rows go
//     to a shadow table instead, loaded on another connection and indexed
//     two builds at a time, and swapped in at commit (import_shadow.go),
//     unless the table has something the swap would not keep; then the
//     path above.
const (
	importChunk    = 20_000
	bulkIndexMin   = 20_000
	bulkIndexRatio = 0.2
	// importMaintenanceMem is maintenance_work_mem for the index builds of
	// the bulk path (SET LOCAL: this transaction only); with the 64 MB
	// default CREATE INDEX on a million rows sorts on disk. B-tree builds
	// split it between the leader and the server's parallel maintenance
	// workers (2 by default); 1GB instead changed nothing measurable (the
	// workers write their sorted run for the leader's merge either way).
	importMaintenanceMem = "256MB"
)

// ImportRequests inserts or replaces requests by number in one transaction
// (see ImportRequestSeq). Every request is checked before the database is
// touched. Notes are untouched. Numbers in the geo311 format raise their
// prefix's counter, so CreateRequest never hands them out again. A number
// given twice in one call is stored once, the last occurrence winning; the
// earlier ones count as updates.
func (db *DB) ImportRequests(ctx context.Context, rs []*data.Request) (inserted, updated int, err error) {
	for i, r := range rs {
		if err := data.CheckImport(r); err != nil {
			return 0, 0, fmt.Errorf("postgis: import requests: request %d: %w", i, err)
		}
	}
	return db.importSeq(ctx, func(yield func(*data.Request, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}, defaultImportConfig())
}

// importConfig holds what tests vary.
type importConfig struct {
	chunk   int     // rows looked up and copied at a time
	bulkMin int     // rows before the index rebuild may start
	ratio   float64 // ... and their share of the rows stored before
	copied  func()  // if set, called once every row is written, before the index builds (benchmarks time the phases)
	inPlace bool    // never load a shadow table (import_shadow.go): drop and build in requests
	loaders int     // connections that load a shadow table (0: shadowLoaders)
}

func defaultImportConfig() importConfig {
	return importConfig{chunk: importChunk, bulkMin: bulkIndexMin, ratio: bulkIndexRatio}
}

// ImportRequestSeq is ImportRequests over a sequence: the requests are
// written as seq yields them, all in one transaction, so a caller can import
// a file of millions of rows without holding them in memory. An error
// yielded by seq, an invalid request (data.ErrInvalid, naming its position
// in the sequence) or a cancelled ctx rolls everything back and is
// returned. The call returns once the transaction has committed.
func (db *DB) ImportRequestSeq(ctx context.Context, seq iter.Seq2[*data.Request, error]) (inserted, updated int, err error) {
	return db.importSeq(ctx, seq, defaultImportConfig())
}

func (db *DB) importSeq(ctx context.Context, seq iter.Seq2[*data.Request, error], cfg importConfig) (inserted, updated int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("postgis: import requests: %w", err)
	}
	// The next chunk is read (and the caller's sequence keeps producing)
	// while the current one is written.
	chunks := make(chan importChunkOf, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { readChunks(seq, cfg.chunk, chunks, done) })
	defer func() {
		close(done)
		wg.Wait()
	}()
	c, ok := <-chunks
	if !ok || (len(c.rs) == 0 && c.err == nil) {
		return 0, 0, nil // no transaction for nothing
	}
	if c.err != nil {
		return 0, 0, fmt.Errorf("postgis: import requests: %w", c.err)
	}

	op := "import requests"
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	stored, err := storedRows(ctx, tx)
	if err != nil {
		return 0, 0, wrap(ctx, op+": count stored", err)
	}
	// Into an empty table, the numbers are not looked up: a number stored
	// meanwhile, or listed again in a later chunk, fails that chunk's COPY
	// and sends it through the upsert.
	im := &importer{table: pgx.Identifier{"requests"}, lookup: stored > 0}
	var (
		written  int
		rebuild  bulkRebuild
		shadow   *shadowImport
		bulk     bool
		ins, upd int64
		highest  = map[string]int64{}
	)
	defer func() {
		if shadow != nil {
			shadow.close(ctx)
		}
	}()
	for more := true; more; c, more = <-chunks {
		if c.err != nil {
			return 0, 0, fmt.Errorf("postgis: import requests: %w", c.err)
		}
		if !bulk && written+len(c.rs) >= cfg.bulkMin && float64(written+len(c.rs)) >= cfg.ratio*float64(stored) {
			if written == 0 && !cfg.inPlace {
				if shadow, err = db.startShadow(ctx, tx, c.rs, shadowConns, cmp.Or(cfg.loaders, shadowLoaders)); err != nil {
					return 0, 0, wrap(ctx, op+": shadow table", err)
				}
			}
			if shadow == nil {
				if rebuild, err = dropSecondaryIndexes(ctx, tx, c.rs, written == 0); err != nil {
					return 0, 0, wrap(ctx, op+": drop indexes", err)
				}
				if len(rebuild.keys) > 0 {
					im.lookup = false // the table is empty: nothing to look up
				}
			}
			bulk = true
		}
		var i, u int64
		if shadow != nil {
			u, err = shadow.write(ctx, c.rs)
		} else {
			i, u, err = im.write(ctx, tx, c.rs)
		}
		if err != nil {
			return 0, 0, wrapImport(ctx, fmt.Sprintf("import requests %d-%d", c.first, c.first+len(c.rs)-1), err)
		}
		ins, upd, written = ins+i, upd+u, written+len(c.rs)
		for p, n := range c.highest {
			highest[p] = max(highest[p], n)
		}
	}
	op = fmt.Sprintf("import %d requests", written)
	if shadow != nil {
		copied, err := shadow.loaded(ctx)
		if err != nil {
			return 0, 0, wrapImport(ctx, op, err)
		}
		ins += copied
	}
	if cfg.copied != nil {
		cfg.copied()
	}
	if shadow != nil {
		repeated, err := shadow.build(ctx)
		if err != nil {
			return 0, 0, wrap(ctx, op+": build indexes", err)
		}
		ins, upd = ins-repeated, upd+repeated
		if err := shadow.swap(ctx); err != nil {
			return 0, 0, wrap(ctx, op+": swap in the loaded table", err)
		}
	} else if bulk {
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '`+importMaintenanceMem+`'`); err != nil {
			return 0, 0, wrap(ctx, op+": build indexes", err)
		}
		repeated, err := rebuild.run(ctx, tx)
		if err != nil {
			return 0, 0, wrap(ctx, op+": build indexes", err)
		}
		ins, upd = ins-repeated, upd+repeated
	}
	if err := raiseCounters(ctx, tx, highest); err != nil {
		return 0, 0, wrap(ctx, op+": counters", err)
	}
	if err := commit(ctx, tx); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	return int(ins), int(upd), nil
}

// importChunkOf is a run of checked requests of the sequence.
type importChunkOf struct {
	rs      []*data.Request
	first   int              // position of rs[0] in the sequence
	highest map[string]int64 // highest sequence number per geo311 prefix
	err     error            // ends the import
}

// readChunks reads seq in chunks of size checked requests and sends them
// until the sequence ends (then closes out) or done is closed.
func readChunks(seq iter.Seq2[*data.Request, error], size int, out chan<- importChunkOf, done <-chan struct{}) {
	defer close(out)
	next, stop := iter.Pull2(seq)
	defer stop()
	n := 0
	for {
		c := importChunkOf{rs: make([]*data.Request, 0, size), first: n, highest: map[string]int64{}}
		for len(c.rs) < size {
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
			n++
			if kind, year, seq, err := data.ParseNumber(r.Number); err == nil {
				p := data.NumberPrefix(kind, year)
				c.highest[p] = max(c.highest[p], seq)
			}
			c.rs = append(c.rs, r)
		}
		full := len(c.rs) == size && c.err == nil
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

// importer writes the chunks of one import.
type importer struct {
	table  pgx.Identifier // where new rows are COPYed
	lookup bool           // look the numbers of a chunk up before COPY
	staged bool           // import_requests exists in this transaction
}

// write stores one chunk: new numbers by COPY into requests, stored ones by
// upsert. A number listed twice in the chunk is written once (the last
// listing); the earlier listings count as updates.
func (im *importer) write(ctx context.Context, tx pgx.Tx, chunk []*data.Request) (ins, upd int64, err error) {
	last := make(map[string]int, len(chunk))
	for i, r := range chunk {
		last[r.Number] = i
	}
	repeats := int64(len(chunk) - len(last))
	exists := make(map[string]bool)
	if im.lookup {
		numbers := make([]string, 0, len(last))
		for n := range last {
			numbers = append(numbers, n)
		}
		rows, err := tx.Query(ctx, `SELECT number FROM requests WHERE number = ANY($1::text[])`, numbers)
		if err != nil {
			return 0, 0, fmt.Errorf("find stored numbers: %w", err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("find stored numbers: %w", err)
			}
			exists[n] = true
		}
		if err := rows.Err(); err != nil {
			return 0, 0, fmt.Errorf("find stored numbers: %w", err)
		}
	}
	var fresh, old []*data.Request
	for i, r := range chunk {
		switch {
		case last[r.Number] != i:
		case exists[r.Number]:
			old = append(old, r)
		default:
			fresh = append(fresh, r)
		}
	}
	if len(fresh) > 0 {
		if _, err := tx.Exec(ctx, "SAVEPOINT import_copy"); err != nil {
			return 0, 0, err
		}
		n, err := copyRequests(ctx, tx, im.table, fresh)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			ins = n
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT import_copy"); err != nil {
				return 0, 0, err
			}
		case errors.As(err, &pgErr) && pgErr.Code == "23505":
			// A number is stored already: by another transaction since
			// the lookup, or (without one) earlier.
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT import_copy"); err != nil {
				return 0, 0, err
			}
			old = append(old, fresh...)
		default:
			return 0, 0, fmt.Errorf("copy: %w", err)
		}
	}
	if len(old) > 0 {
		i, u, err := im.upsert(ctx, tx, old)
		if err != nil {
			return 0, 0, err
		}
		ins, upd = ins+i, upd+u
	}
	return ins, upd + repeats, nil
}

// upsert COPYs rs into the temporary table import_requests and moves them
// into requests with one INSERT ... ON CONFLICT (number) DO UPDATE,
// counting fresh tuples (xmax = 0) as inserted.
func (im *importer) upsert(ctx context.Context, tx pgx.Tx, rs []*data.Request) (ins, upd int64, err error) {
	if !im.staged {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_requests ON COMMIT DROP AS
			SELECT `+strings.Join(writeColumns, ", ")+` FROM requests WITH NO DATA`); err != nil {
			return 0, 0, fmt.Errorf("temporary table: %w", err)
		}
		im.staged = true
	} else if _, err := tx.Exec(ctx, `TRUNCATE import_requests`); err != nil {
		return 0, 0, fmt.Errorf("temporary table: %w", err)
	}
	if _, err := copyRequests(ctx, tx, pgx.Identifier{"import_requests"}, rs); err != nil {
		return 0, 0, err
	}
	cols := strings.Join(writeColumns, ", ")
	if err := tx.QueryRow(ctx, `WITH u AS (
		INSERT INTO requests (`+cols+`)
		SELECT `+cols+` FROM import_requests
		ON CONFLICT (number) DO UPDATE SET `+upsertSet+`
		RETURNING xmax = 0 AS fresh)
		SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM u`).Scan(&ins, &upd); err != nil {
		return 0, 0, fmt.Errorf("upsert: %w", err)
	}
	return ins, upd, nil
}

// copyRequests sorts rs in place into (requested_at, number) order, so the
// rows of a chunk land together in the heap and in the time-leading
// indexes, COPYs them into table (binary, see copyenc.go) and returns how
// many it copied.
func copyRequests(ctx context.Context, tx pgx.Tx, table pgx.Identifier, rs []*data.Request) (int64, error) {
	sortChunk(rs)
	src := newCopyReader(rs)
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, src,
		"COPY "+table.Sanitize()+" ("+strings.Join(writeColumns, ", ")+") FROM STDIN (FORMAT binary)")
	if src.err != nil {
		return 0, errEncode{src.err}
	}
	return tag.RowsAffected(), err
}

// sortChunk sorts rs in place into (requested_at, number) order. It sorts
// keys (the instant's seconds and nanoseconds beside the request), not the
// requests: a comparison reads no request unless the instants are equal,
// where comparing rs itself chased two pointers into large structs and
// compared the numbers every time (cmp.Or evaluates all its arguments).
// The keys are distinct (write lists a number once), so an unstable sort
// orders them as a stable one would, in O(n log n).
func sortChunk(rs []*data.Request) {
	type key struct {
		sec  int64
		nsec int64
		r    *data.Request
	}
	keys := make([]key, len(rs))
	for i, r := range rs {
		keys[i] = key{r.RequestedAt.Unix(), int64(r.RequestedAt.Nanosecond()), r}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.sec != b.sec {
			return cmp.Compare(a.sec, b.sec)
		}
		if a.nsec != b.nsec {
			return cmp.Compare(a.nsec, b.nsec)
		}
		return strings.Compare(a.r.Number, b.r.Number)
	})
	for i, k := range keys {
		rs[i] = k.r
	}
}

// errEncode is a request encodeRequest refused, reported as data.ErrInvalid
// rather than as a database error.
type errEncode struct{ err error }

func (e errEncode) Error() string { return e.err.Error() }
func (e errEncode) Unwrap() error { return e.err }

func wrapImport(ctx context.Context, op string, err error) error {
	var enc errEncode
	if errors.As(err, &enc) {
		return fmt.Errorf("postgis: %s: %w", op, enc.err)
	}
	return wrap(ctx, op, err)
}

// storedRows returns the number of rows in requests: the planner's
// estimate when the table has statistics (ANALYZE, VACUUM or CREATE INDEX
// set it), else a count.
func storedRows(ctx context.Context, tx pgx.Tx) (int64, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
		ELSE (SELECT count(*) FROM requests) END
		FROM pg_class c WHERE c.oid = 'requests'::regclass`).Scan(&n)
	return n, err
}

// bulkRebuild is what the bulk path dropped, as the statements that make
// it again, in order: the keys (primary key and unique constraints), the
// secondary indexes, the foreign keys that reference requests.
type bulkRebuild struct {
	keys, indexes, fkeys []string
}

// run builds everything again. Without the unique number index, a number
// listed in two chunks was COPYed twice: if the unique constraint cannot
// be built, the earlier copies (smaller id: chunks are copied in order) are
// deleted and it is built again; it returns how many were deleted, each an
// update of the number, as the upsert path would have counted it.
func (rb bulkRebuild) run(ctx context.Context, tx pgx.Tx) (repeated int64, err error) {
	if len(rb.keys) > 0 {
		if _, err := tx.Exec(ctx, "SAVEPOINT import_keys"); err != nil {
			return 0, err
		}
		err := execAll(ctx, tx, rb.keys)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT import_keys"); err != nil {
				return 0, err
			}
			tag, derr := tx.Exec(ctx, `DELETE FROM requests a USING requests b WHERE a.number = b.number AND a.id < b.id`)
			if derr != nil {
				return 0, fmt.Errorf("remove repeated numbers: %w", derr)
			}
			repeated = tag.RowsAffected()
			err = execAll(ctx, tx, rb.keys)
		}
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT import_keys"); err != nil {
			return 0, err
		}
	}
	if err := execAll(ctx, tx, rb.indexes); err != nil {
		return 0, err
	}
	return repeated, execAll(ctx, tx, rb.fkeys)
}

func execAll(ctx context.Context, tx pgx.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// dropSecondaryIndexes drops the indexes of requests that neither the
// primary key nor a unique constraint needs, and returns the statements
// that create them again. It keeps a partial index that no request of
// first (the chunk that starts the bulk path) belongs to (partialIndexRows):
// a city without precincts or custom layers would otherwise rebuild those
// over every row for nothing (0.4 s and 1 s of a million-row import).
// Keeping an index is always correct (the rows stored keep their entries,
// imported ones are added as they are written); it only costs when many
// later rows belong to it.
//
// When nothing is written yet (fresh) and requests is empty (checked under
// the ACCESS EXCLUSIVE lock the first DROP took, so no other transaction
// can add a row until COMMIT), the keys go too: the primary key, the unique
// number constraint and the foreign keys that need it (request_notes'),
// built again after the rows like the other indexes. Maintaining the
// primary key and the number index row by row was about a quarter of the
// server's time in the COPY phase, which runs on one backend, where the
// builds use the parallel maintenance workers. Nothing can then conflict
// with a stored number, and a number listed in two chunks is resolved when
// the unique constraint is built (bulkRebuild.run).
func dropSecondaryIndexes(ctx context.Context, tx pgx.Tx, first []*data.Request, fresh bool) (bulkRebuild, error) {
	var rb bulkRebuild
	rows, err := tx.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indpred IS NOT NULL
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'requests'::regclass AND NOT i.indisunique AND NOT i.indisprimary
		ORDER BY c.relname`)
	if err != nil {
		return rb, err
	}
	var names []string
	for rows.Next() {
		var (
			name, def string
			partial   bool
		)
		if err := rows.Scan(&name, &def, &partial); err != nil {
			rows.Close()
			return rb, err
		}
		if in, ok := partialIndexRows[name]; ok && partial && !slices.ContainsFunc(first, in) {
			continue
		}
		names, rb.indexes = append(names, name), append(rb.indexes, def)
	}
	if err := rows.Err(); err != nil {
		return rb, err
	}
	for _, name := range names {
		if _, err := tx.Exec(ctx, `DROP INDEX `+pgx.Identifier{name}.Sanitize()); err != nil {
			return rb, err
		}
	}
	if !fresh {
		return rb, nil
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE requests IN ACCESS EXCLUSIVE MODE`); err != nil {
		return rb, err
	}
	var empty bool
	if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT FROM requests)`).Scan(&empty); err != nil || !empty {
		return rb, err
	}
	// The foreign keys that reference requests first (they depend on the
	// unique index), then its primary key and unique constraints.
	rows, err = tx.Query(ctx, `SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype = 'f'
		FROM pg_constraint c
		WHERE (c.contype = 'f' AND c.confrelid = 'requests'::regclass)
		   OR (c.contype IN ('p', 'u') AND c.conrelid = 'requests'::regclass)
		ORDER BY c.contype = 'f' DESC, c.conname`)
	if err != nil {
		return rb, err
	}
	type constraint struct{ table, name, def string }
	var drop []constraint
	for rows.Next() {
		var (
			c  constraint
			fk bool
		)
		if err := rows.Scan(&c.table, &c.name, &c.def, &fk); err != nil {
			rows.Close()
			return rb, err
		}
		add := `ALTER TABLE ` + c.table + ` ADD CONSTRAINT ` + pgx.Identifier{c.name}.Sanitize() + ` ` + c.def
		if fk {
			rb.fkeys = append(rb.fkeys, add)
		} else {
			rb.keys = append(rb.keys, add)
		}
		drop = append(drop, c)
	}
	if err := rows.Err(); err != nil {
		return rb, err
	}
	for _, c := range drop {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+c.table+` DROP CONSTRAINT `+pgx.Identifier{c.name}.Sanitize()); err != nil {
			return rb, err
		}
	}
	return rb, nil
}

// partialIndexRows holds, for the partial indexes of requests, whether a
// request is a row of the index: each index's predicate in Go, on the
// values encodeRequest writes (TestPartialIndexRows checks them against
// the SQL predicates).
var partialIndexRows = map[string]func(r *data.Request) bool{
	"requests_beat": func(r *data.Request) bool { return layerColumns(r)[0] != "" },
	"requests_sector_irregular": func(r *data.Request) bool {
		cols := layerColumns(r)
		return cols[1] != "" && !strings.HasPrefix(cols[0], cols[1])
	},
	"requests_district":       func(r *data.Request) bool { return layerColumns(r)[2] != "" },
	"requests_ward":           func(r *data.Request) bool { return layerColumns(r)[3] != "" },
	"requests_community_area": func(r *data.Request) bool { return layerColumns(r)[4] != "" },
	"requests_precinct":       func(r *data.Request) bool { return layerColumns(r)[5] != "" },
	"requests_parent":         func(r *data.Request) bool { return r.ParentNumber != "" },
	// custom_areas IS NOT NULL
	"requests_custom_areas": func(r *data.Request) bool { return len(customAreas(r.Areas)) > 0 },
}

// raiseCounters raises the number counters to the highest imported
// sequence of each prefix.
func raiseCounters(ctx context.Context, tx pgx.Tx, highest map[string]int64) error {
	if len(highest) == 0 {
		return nil
	}
	prefixes := make([]string, 0, len(highest))
	for p := range highest {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes) // lock order: ascending prefix, as intakes
	seqs := make([]int64, len(prefixes))
	for k, p := range prefixes {
		seqs[k] = highest[p]
	}
	_, err := tx.Exec(ctx, `INSERT INTO number_counters AS c (prefix, n)
		SELECT * FROM unnest($1::text[], $2::bigint[])
		ON CONFLICT (prefix) DO UPDATE SET n = greatest(c.n, EXCLUDED.n)`, prefixes, seqs)
	return err
}
