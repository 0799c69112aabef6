package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
)

var _ data.Store = (*DB)(nil)

// querier is what the pool and a transaction share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Request reads one request by number. ErrNotFound if none.
func (db *DB) Request(ctx context.Context, number string) (*data.Request, error) {
	r, err := scanRequest(db.pool.QueryRow(ctx, selectRequest+` WHERE r.number = $1`, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgis: read request: %w", data.Errorf(data.ErrNotFound, "request %q not found", number))
	}
	if err != nil {
		return nil, wrap(ctx, "read request", err)
	}
	return r, nil
}

// Requests lists the requests matching f.
func (db *DB) Requests(ctx context.Context, f data.RequestFilter) ([]*data.Request, error) {
	var out []*data.Request
	err := db.ScanRequests(ctx, f, func(r *data.Request) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// CountRequests counts the requests matching f, ignoring paging.
func (db *DB) CountRequests(ctx context.Context, f data.RequestFilter) (int, error) {
	if err := f.Validate(); err != nil {
		return 0, fmt.Errorf("postgis: count requests: %w", err)
	}
	q := filterQuery(&f)
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM requests r`+q.where(), q.args...).Scan(&n); err != nil {
		return 0, wrap(ctx, "count requests", err)
	}
	return int(n), nil
}

// errStop marks an error returned by the caller's fn, passed through as is.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

// ScanRequests streams the requests matching f to fn in order. The rows
// come off the connection one at a time as fn consumes them (pgx reads the
// result incrementally; the server waits on the socket), so memory stays
// bounded whatever the number of rows. The scan holds one pool connection
// until it ends; fn may use the store meanwhile.
func (db *DB) ScanRequests(ctx context.Context, f data.RequestFilter, fn func(*data.Request) error) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("postgis: scan requests: %w", err)
	}
	err := queryRequests(ctx, db.pool, &f, func(r *data.Request) error {
		if err := fn(r); err != nil {
			return errStop{err}
		}
		return nil
	})
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return wrap(ctx, "scan requests", err)
	}
	return nil
}

// queryRequests runs the query of f on q (the pool, or an intake's
// transaction) and calls fn for each row.
func queryRequests(ctx context.Context, db querier, f *data.RequestFilter, fn func(*data.Request) error) error {
	q := filterQuery(f)
	sql := selectRequest + q.where()
	sql += q.orderLimit(f)
	rows, err := db.Query(ctx, sql, q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	in := &interner{}
	for rows.Next() {
		r, err := scanRequestIn(rows, in)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// UpdateRequest reads the request under a row lock (SELECT ... FOR UPDATE),
// lets fn change it and stores it with fn's notes in the same transaction.
func (db *DB) UpdateRequest(ctx context.Context, number string, fn func(r *data.Request) ([]data.Note, error)) (*data.Request, error) {
	op := "update request " + number
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	r, err := scanRequest(tx.QueryRow(ctx, selectRequest+` WHERE r.number = $1 FOR UPDATE`, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgis: %s: %w", op, data.Errorf(data.ErrNotFound, "request %q not found", number))
	}
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	notes, err := fn(r)
	if err != nil {
		return nil, err
	}
	now := time.Now().Truncate(time.Microsecond)
	r.Number = number
	r.UpdatedAt = now
	if err := data.CheckStorable(r); err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", op, err)
	}
	vals, err := encodeRequest(r)
	if err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", op, data.Invalid("request", "%v", err))
	}
	for i := range notes {
		if notes[i].At.IsZero() {
			notes[i].At = now
		}
	}
	b := &pgx.Batch{}
	b.Queue(updateRequest, vals...)
	queueNotes(b, number, notes)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap(ctx, op, err)
	}
	if err := commit(ctx, tx); err != nil {
		return nil, wrap(ctx, op+": commit", err)
	}
	return cloneRequest(r), nil
}

// commit commits tx only while the caller still waits, and then without
// interruption: a commit cut short by the context could be applied by the
// server yet reported as failed.
func commit(ctx context.Context, tx pgx.Tx) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return tx.Commit(cctx)
}

// queueNotes queues one INSERT of a request's notes, in order: unnest of
// several arrays yields their elements in order, and the identity ids follow
// the insertion order.
func queueNotes(b *pgx.Batch, number string, notes []data.Note) {
	if len(notes) == 0 {
		return
	}
	nums, ats, actors, events, texts, reasons, internal := noteArrays(notes)
	for i := range nums {
		nums[i] = number
	}
	b.Queue(`INSERT INTO request_notes (number, at, actor, event, text, reason, internal)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])`,
		nums, ats, actors, events, texts, reasons, internal)
}

// Notes lists a request's notes, oldest first (by At, then as added).
func (db *DB) Notes(ctx context.Context, number string) ([]data.Note, error) {
	op := "read notes of " + number
	rows, err := db.pool.Query(ctx, `SELECT n.id, n.at, n.actor, n.event, n.text, n.reason, n.internal
		FROM requests r LEFT JOIN request_notes n ON n.number = r.number
		WHERE r.number = $1 ORDER BY n.at, n.id`, number)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	defer rows.Close()
	found := false
	notes := []data.Note{}
	for rows.Next() {
		found = true
		var (
			id                         *int64
			at                         *time.Time
			actor, event, text, reason *string
			internal                   *bool
		)
		if err := rows.Scan(&id, &at, &actor, &event, &text, &reason, &internal); err != nil {
			return nil, wrap(ctx, op, err)
		}
		if id == nil {
			continue // the request has no notes
		}
		notes = append(notes, data.Note{ID: *id, At: *at, Actor: *actor, Event: data.Event(*event),
			Text: *text, Reason: *reason, Internal: *internal})
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, op, err)
	}
	if !found {
		return nil, fmt.Errorf("postgis: %s: %w", op, data.Errorf(data.ErrNotFound, "request %q not found", number))
	}
	return notes, nil
}

// noteArrays splits notes into the column arrays of an unnest insert (the
// number array is allocated, empty strings).
func noteArrays(notes []data.Note) (nums []string, ats []time.Time, actors, events, texts, reasons []string, internal []bool) {
	n := len(notes)
	nums, ats, actors, events = make([]string, n), make([]time.Time, n), make([]string, n), make([]string, n)
	texts, reasons, internal = make([]string, n), make([]string, n), make([]bool, n)
	for i, x := range notes {
		ats[i], actors[i], events[i], texts[i], reasons[i], internal[i] = x.At, x.Actor, string(x.Event), x.Text, x.Reason, x.Internal
	}
	return
}
