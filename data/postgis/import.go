package postgis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/geo311/geo311/data"
)

// ImportRequests inserts or replaces requests by number in one transaction:
// COPY (binary) into a temporary table, then one INSERT ... ON CONFLICT
// (number) DO UPDATE that reports, per row, whether it inserted (xmax = 0:
// a fresh tuple) or replaced. Notes are untouched. Numbers in the geo311
// format raise their prefix's counter, so CreateRequest never hands them out
// again. A number given twice in one batch is stored once, the last
// occurrence winning; the earlier ones count as updates.
func (db *DB) ImportRequests(ctx context.Context, rs []*data.Request) (inserted, updated int, err error) {
	for i, r := range rs {
		if err := validateRequest(r); err != nil {
			return 0, 0, fmt.Errorf("postgis: import requests: request %d: %w", i, err)
		}
		if !data.ValidNumber(r.Number) {
			return 0, 0, fmt.Errorf("postgis: import requests: request %d: %w", i,
				data.Invalid("service_request_id", "%q is not a tracking number", r.Number))
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("postgis: import requests: %w", err)
	}
	if len(rs) == 0 {
		return 0, 0, nil
	}
	op := fmt.Sprintf("import %d requests", len(rs))

	// Last occurrence of each number wins.
	last := make(map[string]int, len(rs))
	for i, r := range rs {
		last[r.Number] = i
	}
	repeats := len(rs) - len(last)
	highest := map[string]int64{}
	for _, r := range rs {
		if kind, year, seq, err := data.ParseNumber(r.Number); err == nil {
			p := data.NumberPrefix(kind, year)
			highest[p] = max(highest[p], seq)
		}
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The numbers already stored (one probe of the unique index each) take
	// the upsert path; the others are copied straight into requests.
	numbers := make([]string, 0, len(last))
	for n := range last {
		numbers = append(numbers, n)
	}
	exists := make(map[string]bool)
	rows, err := tx.Query(ctx, `SELECT number FROM requests WHERE number = ANY($1::text[])`, numbers)
	if err != nil {
		return 0, 0, wrap(ctx, op+": find stored numbers", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, 0, wrap(ctx, op+": find stored numbers", err)
		}
		exists[n] = true
	}
	if err := rows.Err(); err != nil {
		return 0, 0, wrap(ctx, op+": find stored numbers", err)
	}
	var ins, upd int64
	fresh := func(i int) bool { return last[rs[i].Number] == i && !exists[rs[i].Number] }
	stored := func(i int) bool { return last[rs[i].Number] == i && exists[rs[i].Number] }
	if len(exists) < len(last) {
		// A number another transaction inserts meanwhile makes the COPY
		// fail with a unique violation: roll it back and upsert every row.
		if _, err := tx.Exec(ctx, "SAVEPOINT import_copy"); err != nil {
			return 0, 0, wrap(ctx, op, err)
		}
		n, err := copyRequests(ctx, tx, "requests", rs, fresh)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			ins = n
		case errors.As(err, &pgErr) && pgErr.Code == "23505":
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT import_copy"); err != nil {
				return 0, 0, wrap(ctx, op, err)
			}
			stored = func(i int) bool { return last[rs[i].Number] == i }
		default:
			return 0, 0, wrapImport(ctx, op+": copy", err)
		}
	}
	if ins < int64(len(last)) {
		i, u, err := upsertRequests(ctx, tx, rs, stored)
		if err != nil {
			return 0, 0, wrapImport(ctx, op, err)
		}
		ins, upd = ins+i, u
	}
	if len(highest) > 0 {
		prefixes := make([]string, 0, len(highest))
		for p := range highest {
			prefixes = append(prefixes, p)
		}
		slices.Sort(prefixes) // lock order: ascending prefix, as intakes
		seqs := make([]int64, len(prefixes))
		for k, p := range prefixes {
			seqs[k] = highest[p]
		}
		if _, err := tx.Exec(ctx, `INSERT INTO number_counters AS c (prefix, n)
			SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (prefix) DO UPDATE SET n = greatest(c.n, EXCLUDED.n)`, prefixes, seqs); err != nil {
			return 0, 0, wrap(ctx, op+": counters", err)
		}
	}
	if err := commit(ctx, tx); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	return int(ins), int(upd) + repeats, nil
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

// copyRequests COPYs (binary) the requests rs[i] with take(i) into table,
// in order, and returns how many it copied.
func copyRequests(ctx context.Context, tx pgx.Tx, table string, rs []*data.Request, take func(int) bool) (int64, error) {
	// In (requested_at, number) order: the rows of a batch land together
	// in the heap and in the time-leading indexes, which keeps the pages an
	// import touches few, and time-ordered scans (exports) read the heap
	// sequentially.
	order := make([]int, 0, len(rs))
	for i := range rs {
		if take(i) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(rs[a].RequestedAt.Compare(rs[b].RequestedAt), cmp.Compare(rs[a].Number, rs[b].Number))
	})
	k := 0
	var encErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if k == len(order) {
			return nil, nil
		}
		r := rs[order[k]]
		k++
		vals, err := encodeRequest(r)
		if err != nil {
			encErr = data.Invalid("request", "%s: %v", r.Number, err)
			return nil, encErr
		}
		return vals, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, writeColumns, src)
	if encErr != nil {
		return 0, errEncode{encErr}
	}
	return n, err
}

// upsertRequests COPYs the requests rs[i] with take(i) into a temporary
// table and upserts them with one INSERT ... ON CONFLICT (number) DO
// UPDATE, counting fresh tuples (xmax = 0) as inserted.
func upsertRequests(ctx context.Context, tx pgx.Tx, rs []*data.Request, take func(int) bool) (ins, upd int64, err error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_requests ON COMMIT DROP AS
		SELECT `+strings.Join(writeColumns, ", ")+` FROM requests WITH NO DATA`); err != nil {
		return 0, 0, fmt.Errorf("temporary table: %w", err)
	}
	if _, err := copyRequests(ctx, tx, "import_requests", rs, take); err != nil {
		return 0, 0, err
	}
	if err := tx.QueryRow(ctx, `WITH u AS (
		INSERT INTO requests (`+strings.Join(writeColumns, ", ")+`)
		SELECT `+strings.Join(writeColumns, ", ")+` FROM import_requests
		ON CONFLICT (number) DO UPDATE SET `+upsertSet+`
		RETURNING xmax = 0 AS fresh)
		SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM u`).Scan(&ins, &upd); err != nil {
		return 0, 0, fmt.Errorf("upsert: %w", err)
	}
	return ins, upd, nil
}
