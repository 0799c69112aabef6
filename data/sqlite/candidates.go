package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/geo311/geo311/data"
)

// An intake's candidates (data.Intake.Candidates) are read with the columns
// dedupe decides on only (see data.Intake), not whole requests: SQLite
// packs, and Go decodes, the areas, attributes, contact and recorded
// areas of every candidate of every intake otherwise, for a Decide that
// never looks at them.
const selectCandidate = "SELECT r.number, r.kind, r.service_code, r.service_name, r.state, r.lon, r.lat, r.h3, " +
	"r.address, r.description, r.requested_at, r.updated_at, r.closed_at, " +
	"r.duplicate, r.parent_number, r.duplicate_count, r.me_too"

// queryCandidates runs the candidates query of f in the intake's write
// transaction and calls fn for each row.
func queryCandidates(ctx context.Context, tx *sql.Tx, sc *stmtCache, f *data.RequestFilter, fn func(*data.Request) error) error {
	w, args := where(f)
	ol, oargs := orderLimit(f)
	rows, err := sc.query(ctx, tx, selectCandidate+from(f)+w+ol, append(args, oargs...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r                        data.Request
			kind, state              string
			h3, dup, dupCount, meToo int64
			requested, updated       string
			closed                   sql.NullString
		)
		if err := rows.Scan(&r.Number, &kind, &r.ServiceCode, &r.ServiceName, &state, &r.Lon, &r.Lat, &h3,
			&r.Address, &r.Description, &requested, &updated, &closed,
			&dup, &r.ParentNumber, &dupCount, &meToo); err != nil {
			return err
		}
		r.Kind, r.State, r.H3 = data.Kind(kind), data.State(state), uint64(h3)
		r.Duplicate, r.DuplicateCount, r.MeToo = dup == 1, int(dupCount), int(meToo)
		if r.RequestedAt, err = parseTime(requested); err != nil {
			return fmt.Errorf("candidate %s: requested_at: %w", r.Number, err)
		}
		if r.UpdatedAt, err = parseTime(updated); err != nil {
			return fmt.Errorf("candidate %s: updated_at: %w", r.Number, err)
		}
		if closed.Valid && closed.String != "" {
			if r.ClosedAt, err = parseTime(closed.String); err != nil {
				return fmt.Errorf("candidate %s: closed_at: %w", r.Number, err)
			}
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
