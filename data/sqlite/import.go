package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/geo311/geo311/data"
)

// ImportRequests inserts or replaces requests by number in one transaction
// with prepared statements. Numbers in the geo311 format raise the
// kind-and-year counter, so CreateRequest never hands them out again.
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
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	find, err := tx.PrepareContext(ctx, `SELECT 1 FROM requests WHERE number = ?`)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer find.Close()
	ins, err := tx.PrepareContext(ctx, insertRequest)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer ins.Close()
	upd, err := tx.PrepareContext(ctx, updateRequest)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer upd.Close()

	type counterKey struct {
		kind data.Kind
		year int
	}
	highest := map[counterKey]int64{}
	var one int
	for _, r := range rs {
		vals, err := encodeRequest(r)
		if err != nil {
			return 0, 0, fmt.Errorf("sqlite: %s: %s: %w", op, r.Number, data.Invalid("request", "%v", err))
		}
		err = find.QueryRowContext(ctx, r.Number).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := ins.ExecContext(ctx, vals...); err != nil {
				return 0, 0, wrap(ctx, op+": insert "+r.Number, err)
			}
			inserted++
		case err != nil:
			return 0, 0, wrap(ctx, op, err)
		default:
			if _, err := upd.ExecContext(ctx, append(vals[1:], r.Number)...); err != nil {
				return 0, 0, wrap(ctx, op+": update "+r.Number, err)
			}
			updated++
		}
		if kind, year, seq, err := data.ParseNumber(r.Number); err == nil {
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
	if err := tx.Commit(); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	return inserted, updated, nil
}
