package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/geo311/geo311/data"
)

// Import strategy. The triggers of 0002 keep requests_rtree and
// request_areas in step with every write, but run a json_each and an
// R*Tree insert per row through the trigger VM; ImportRequests suspends
// them for its transaction (DROP TRIGGER, then CREATE TRIGGER again from
// their stored SQL before COMMIT, so no other connection ever sees them
// missing and a rollback restores them) and maintains both side tables
// itself with prepared statements. Rows are written in requested_at order,
// so the time-keyed indexes are appended to rather than split at random.
// When a batch is large compared with the table (bulkIndexMin rows and at
// least bulkIndexRatio times the rows already stored), the secondary
// indexes are dropped too and built again by CREATE INDEX, which sorts once
// instead of inserting row by row. BenchmarkImport and BenchmarkImport1M
// measure the choices.
const (
	bulkIndexMin   = 50_000
	bulkIndexRatio = 0.5
)

// importTriggers are the triggers ImportRequests suspends.
var importTriggers = []string{"requests_ai", "requests_au_point", "requests_au_areas"}

// ImportRequests inserts or replaces requests by number in one transaction
// with prepared statements. Numbers in the geo311 format raise the
// kind-and-year counter, so CreateRequest never hands them out again. A
// number listed twice counts as inserted (or updated) once and updated
// again; the last listing wins.
func (db *DB) ImportRequests(ctx context.Context, rs []*data.Request) (inserted, updated int, err error) {
	for i, r := range rs {
		if err := validateRequest(r); err != nil {
			return 0, 0, fmt.Errorf("sqlite: import requests: request %d: %w", i, err)
		}
		if !data.ValidNumber(r.Number) {
			return 0, 0, fmt.Errorf("sqlite: import requests: request %d: %w", i, data.Invalid("service_request_id", "%q is not a tracking number", r.Number))
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("sqlite: import requests: %w", err)
	}
	if len(rs) == 0 {
		return 0, 0, nil
	}
	op := fmt.Sprintf("import %d requests", len(rs))

	// Encode first (outside the write lock), keeping the last listing of
	// each number; earlier listings only count as updates.
	rows, repeats, err := importRows(rs)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}

	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	restore, err := suspendSchema(ctx, tx, "trigger", importTriggers)
	if err != nil {
		return 0, 0, wrap(ctx, op+": suspend triggers", err)
	}
	var maxID int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM requests`).Scan(&maxID); err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if len(rows) >= db.bulkIndexMin && float64(len(rows)) >= bulkIndexRatio*float64(maxID) {
		names, err := secondaryIndexes(ctx, tx)
		if err != nil {
			return 0, 0, wrap(ctx, op+": list indexes", err)
		}
		rebuild, err := suspendSchema(ctx, tx, "index", names)
		if err != nil {
			return 0, 0, wrap(ctx, op+": drop indexes", err)
		}
		restore = append(restore, rebuild...)
	}

	// The statements run without ctx: with a cancellable context the
	// driver starts a goroutine per statement to interrupt it. ctx is
	// checked every checkEvery rows instead (and a cancelled import rolls
	// back as a whole).
	sctx := context.WithoutCancel(ctx)
	w, err := prepareImport(sctx, tx)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer w.close()
	const checkEvery = 1024
	for i, row := range rows {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, fmt.Errorf("sqlite: %s: %w", op, err)
			}
		}
		ins, err := w.write(sctx, row)
		if err != nil {
			return 0, 0, wrap(ctx, op+": "+row.number, err)
		}
		if ins {
			inserted++
		} else {
			updated++
		}
	}
	updated += repeats
	// The side tables of the new rows (ids above maxID), in one statement
	// each, in key order.
	if _, err := tx.ExecContext(sctx, `INSERT INTO requests_rtree (id, min_lon, max_lon, min_lat, max_lat)
    SELECT id, lon, lon, lat, lat FROM requests WHERE id > ? ORDER BY id`, maxID); err != nil {
		return 0, 0, wrap(ctx, op+": point index", err)
	}
	if _, err := tx.ExecContext(sctx, `INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
    SELECT j.value ->> 'layer', j.value ->> 'id', r.id FROM requests r, json_each(r.areas) j WHERE r.id > ?
    ORDER BY 1, 2, 3`, maxID); err != nil {
		return 0, 0, wrap(ctx, op+": areas", err)
	}

	type counterKey struct {
		kind data.Kind
		year int
	}
	highest := map[counterKey]int64{}
	for _, row := range rows {
		if kind, year, seq, err := data.ParseNumber(row.number); err == nil {
			k := counterKey{kind, year}
			highest[k] = max(highest[k], seq)
		}
	}
	for k, n := range highest {
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_counters (kind, year, n) VALUES (?, ?, ?)
    ON CONFLICT (kind, year) DO UPDATE SET n = max(n, excluded.n)`, string(k.kind), k.year, n); err != nil {
			return 0, 0, wrap(ctx, op+": counters", err)
		}
	}
	for _, stmt := range restore {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return 0, 0, wrap(ctx, op+": restore schema", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	return inserted, updated, nil
}

// importRow is one request ready to write.
type importRow struct {
	number    string
	requested string // sort key: stored requested_at
	vals      []any  // encodeRequest's columns
	lon, lat  float64
}

// importRows encodes rs in requested_at order (then number), keeping only
// the last listing of a number; repeats is how many listings were dropped.
func importRows(rs []*data.Request) (rows []importRow, repeats int, err error) {
	last := make(map[string]int, len(rs))
	for i, r := range rs {
		last[r.Number] = i
	}
	rows = make([]importRow, 0, len(last))
	for i, r := range rs {
		if last[r.Number] != i {
			repeats++
			continue
		}
		vals, err := encodeRequest(r)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", r.Number, data.Invalid("request", "%v", err))
		}
		rows = append(rows, importRow{number: r.Number, requested: vals[19].(string), vals: vals,
			lon: r.Lon, lat: r.Lat})
	}
	slices.SortFunc(rows, func(a, b importRow) int {
		return cmp.Or(cmp.Compare(a.requested, b.requested), cmp.Compare(a.number, b.number))
	})
	return rows, repeats, nil
}

// suspendSchema drops the named schema objects of a type ("trigger",
// "index") inside tx and returns the statements that create them again.
// Names that do not exist are skipped.
func suspendSchema(ctx context.Context, tx *sql.Tx, typ string, names []string) ([]string, error) {
	var restore []string
	for _, name := range names {
		var stmt string
		err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = ? AND name = ?`, typ, name).Scan(&stmt)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DROP `+typ+` "`+name+`"`); err != nil {
			return nil, err
		}
		restore = append(restore, stmt)
	}
	return restore, nil
}

// secondaryIndexes lists the explicit indexes of requests and
// request_areas (not the automatic ones of UNIQUE and PRIMARY KEY, which
// the import itself needs).
func secondaryIndexes(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema
    WHERE type = 'index' AND tbl_name IN ('requests', 'request_areas') AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// importWriter holds the prepared statements of one import transaction.
// It writes the row of a request; for an updated request it also brings
// requests_rtree and request_areas up to date, as the suspended triggers
// would. The side-table rows of inserted requests are written by
// ImportRequests afterwards in one statement each.
type importWriter struct {
	insert, update, rtreeUpdate, areasDelete, areasInsert *sql.Stmt
}

func prepareImport(ctx context.Context, tx *sql.Tx) (*importWriter, error) {
	w := &importWriter{}
	for _, p := range []struct {
		to  **sql.Stmt
		sql string
	}{
		{&w.insert, insertRequest + ` ON CONFLICT (number) DO NOTHING`},
		{&w.update, updateRequest + ` RETURNING id`},
		{&w.rtreeUpdate, `UPDATE requests_rtree SET min_lon = ?2, max_lon = ?2, min_lat = ?3, max_lat = ?3 WHERE id = ?1`},
		{&w.areasDelete, `DELETE FROM request_areas WHERE request_id = ?`},
		{&w.areasInsert, `INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
    SELECT value ->> 'layer', value ->> 'id', r.id FROM requests r, json_each(r.areas) WHERE r.id = ?`},
	} {
		s, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.to = s
	}
	return w, nil
}

func (w *importWriter) close() {
	for _, s := range []*sql.Stmt{w.insert, w.update, w.rtreeUpdate, w.areasDelete, w.areasInsert} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// write inserts row, or updates the request of its number, and reports
// whether it inserted.
func (w *importWriter) write(ctx context.Context, row importRow) (inserted bool, err error) {
	res, err := w.insert.ExecContext(ctx, row.vals...)
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 1 {
		return true, nil
	}
	var id int64
	if err := w.update.QueryRowContext(ctx, append(row.vals[1:], row.number)...).Scan(&id); err != nil {
		return false, fmt.Errorf("update: %w", err)
	}
	if _, err := w.rtreeUpdate.ExecContext(ctx, id, row.lon, row.lat); err != nil {
		return false, fmt.Errorf("point index: %w", err)
	}
	if _, err := w.areasDelete.ExecContext(ctx, id); err != nil {
		return false, fmt.Errorf("areas: %w", err)
	}
	if _, err := w.areasInsert.ExecContext(ctx, id); err != nil {
		return false, fmt.Errorf("areas: %w", err)
	}
	return false, nil
}
