package postgis

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

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
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_requests ON COMMIT DROP AS
		SELECT `+strings.Join(writeColumns, ", ")+` FROM requests WITH NO DATA`); err != nil {
		return 0, 0, wrap(ctx, op+": temporary table", err)
	}
	i := 0
	var encErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for ; i < len(rs); i++ {
			if last[rs[i].Number] != i {
				continue
			}
			vals, err := encodeRequest(rs[i])
			if err != nil {
				encErr = data.Invalid("request", "%s: %v", rs[i].Number, err)
				return nil, encErr
			}
			i++
			return vals, nil
		}
		return nil, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_requests"}, writeColumns, src); err != nil {
		if encErr != nil {
			return 0, 0, fmt.Errorf("postgis: %s: %w", op, encErr)
		}
		return 0, 0, wrap(ctx, op+": copy", err)
	}
	var ins, upd int64
	if err := tx.QueryRow(ctx, `WITH u AS (
		INSERT INTO requests (`+strings.Join(writeColumns, ", ")+`)
		SELECT `+strings.Join(writeColumns, ", ")+` FROM import_requests
		ON CONFLICT (number) DO UPDATE SET `+upsertSet+`
		RETURNING xmax = 0 AS fresh)
		SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM u`).Scan(&ins, &upd); err != nil {
		return 0, 0, wrap(ctx, op+": upsert", err)
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
