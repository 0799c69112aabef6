package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/geo311/geo311/data"
)

var _ data.Store = (*DB)(nil)

// CreateRequest stores a new request in one IMMEDIATE write transaction
// (see data.RequestStore). SQLite has one writer at a time, across
// processes too: holding the write lock from BEGIN to COMMIT serialises
// every intake, so in.LockKeys need no lock of their own — the candidates
// Decide sees cannot change before the new request is committed. The
// transaction is fsynced (WAL, synchronous=FULL) before CreateRequest
// returns. Concurrent intakes are committed in groups (see groupCommit):
// each is acknowledged only after the commit that holds it.
func (db *DB) CreateRequest(ctx context.Context, in data.Intake) (*data.Request, bool, error) {
	if err := data.CheckStorable(in.Request); err != nil {
		return nil, false, fmt.Errorf("sqlite: create request: %w", err)
	}
	if err := in.Candidates.Validate(); err != nil {
		return nil, false, fmt.Errorf("sqlite: create request: candidates: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("sqlite: create request: %w", err)
	}
	return db.intake.submit(ctx, in)
}

// intakeResult is what one intake of a group gets back.
type intakeResult struct {
	r       *data.Request
	created bool
	err     error
}

// createInTx runs one intake inside the write transaction tx. On error the
// caller rolls back to a savepoint taken before it.
func createInTx(ctx context.Context, tx *sql.Tx, sc *stmtCache, in data.Intake, now time.Time) (*data.Request, bool, error) {
	if in.IdempotencyKey != "" {
		var num string
		row, err := sc.queryRow(ctx, tx, sqlIdempotencyFind, in.IdempotencyKey)
		if err != nil {
			return nil, false, err
		}
		err = row.Scan(&num)
		if err == nil {
			row, err := sc.queryRow(ctx, tx, selectRequest+` WHERE number = ?`, num)
			if err != nil {
				return nil, false, err
			}
			r, err := scanRequest(row)
			if err != nil {
				return nil, false, fmt.Errorf("read request %s of idempotency key: %w", num, err)
			}
			return r, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
	}
	r := cloneRequest(in.Request)
	var link *data.DuplicateLink
	if in.Decide != nil {
		var cands []*data.Request
		if err := queryCandidates(ctx, tx, sc, &in.Candidates, func(c *data.Request) error {
			cands = append(cands, c)
			return nil
		}); err != nil {
			return nil, false, fmt.Errorf("read candidates: %w", err)
		}
		var err error
		if link, err = in.Decide(cands); err != nil {
			return nil, false, err
		}
	}
	var primaryID int64
	if link != nil {
		row, err := sc.queryRow(ctx, tx, sqlRequestID, link.Primary)
		if err != nil {
			return nil, false, err
		}
		err = row.Scan(&primaryID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, data.Errorf(data.ErrConflict, "dedupe chose primary %q, which does not exist", link.Primary)
		}
		if err != nil {
			return nil, false, err
		}
		r.Duplicate, r.ParentNumber = true, link.Primary
	}

	year := r.RequestedAt.UTC().Year()
	var seq int64
	row, err := sc.queryRow(ctx, tx, sqlNextNumber, string(r.Kind), year)
	if err != nil {
		return nil, false, fmt.Errorf("next number: %w", err)
	}
	if err := row.Scan(&seq); err != nil {
		return nil, false, fmt.Errorf("next number: %w", err)
	}
	if seq > data.MaxNumberSeq {
		return nil, false, data.Errorf(data.ErrUnavailable, "the tracking numbers of %d are exhausted", year)
	}
	r.Number = data.FormatNumber(r.Kind, year, seq)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.RequestedAt
	}
	vals, err := encodeRequest(r)
	if err != nil {
		return nil, false, data.Invalid("request", "%v", err)
	}
	res, err := sc.exec(ctx, tx, insertRequest, vals...)
	if err != nil {
		return nil, false, fmt.Errorf("insert %s: %w", r.Number, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, false, err
	}

	notes := make([]data.Note, 0, len(in.Notes)+2)
	hasCreated := false
	for _, n := range in.Notes {
		hasCreated = hasCreated || n.Event == data.EventCreated
	}
	if !hasCreated {
		notes = append(notes, data.Note{At: r.RequestedAt, Actor: "system", Event: data.EventCreated, Text: "Request received"})
	}
	for _, n := range in.Notes {
		if n.At.IsZero() {
			n.At = r.RequestedAt
		}
		notes = append(notes, n)
	}
	if link != nil {
		notes = append(notes, data.Note{At: r.RequestedAt, Actor: "system", Event: data.EventDuplicate,
			Text: "Duplicate of " + link.Primary, Reason: link.Reason})
	}
	if err := insertNotes(ctx, tx, sc, id, notes); err != nil {
		return nil, false, err
	}
	if link != nil {
		if _, err := sc.exec(ctx, tx, sqlCountDuplicate, formatTime(now), primaryID); err != nil {
			return nil, false, fmt.Errorf("count duplicate on %s: %w", link.Primary, err)
		}
		if err := insertNotes(ctx, tx, sc, primaryID, []data.Note{{At: r.RequestedAt, Actor: "system", Event: data.EventDuplicateOf,
			Text: r.Number + " joined as a duplicate", Reason: link.Reason}}); err != nil {
			return nil, false, err
		}
	}
	if in.IdempotencyKey != "" {
		if _, err := sc.exec(ctx, tx, sqlIdempotencyPut, in.IdempotencyKey, r.Number, formatTime(now)); err != nil {
			return nil, false, fmt.Errorf("record idempotency key: %w", err)
		}
	}
	return r, true, nil
}

func insertNotes(ctx context.Context, tx *sql.Tx, sc *stmtCache, requestID int64, notes []data.Note) error {
	if len(notes) == 0 {
		return nil
	}
	s, err := sc.stmt(ctx, tx, sqlInsertNote)
	if err != nil {
		return fmt.Errorf("insert note: %w", err)
	}
	for _, n := range notes {
		if !data.StorableTime(n.At) {
			return data.Invalid("notes", "note time %s is out of range", n.At)
		}
		if _, err := s.ExecContext(ctx, requestID, formatTime(n.At), n.Actor, string(n.Event), n.Text, n.Reason, boolInt(n.Internal)); err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
	}
	return nil
}

// Request reads one request by number.
func (db *DB) Request(ctx context.Context, number string) (*data.Request, error) {
	r, err := scanRequest(db.r.QueryRowContext(ctx, selectRequest+` WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("sqlite: read request: %w", cerr)
		}
		return nil, fmt.Errorf("sqlite: read request: %w", data.Errorf(data.ErrNotFound, "request %q not found", number))
	}
	if err != nil {
		return nil, wrap(ctx, "read request "+number, err)
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
		return 0, fmt.Errorf("sqlite: count requests: %w", err)
	}
	w, args := where(&f)
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*)`+from(&f)+w, args...).Scan(&n); err != nil {
		return 0, wrap(ctx, "count requests", err)
	}
	return n, nil
}

// errStop marks an error returned by the caller's fn, passed through as is.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

// ScanRequests streams the requests matching f to fn, in order, from one
// read snapshot, one row at a time.
//
// It runs on a reader connection taken from the pool and reads the
// driver's rows directly (see scanRows): one deferred read transaction
// (BEGIN ... ROLLBACK), so every row comes from the snapshot of its first
// read while the writer goes on (WAL). While the scan lasts, its snapshot
// pins the WAL: checkpoints can copy frames only up to the snapshot's end
// mark and the WAL cannot restart from the beginning, so it grows by
// whatever is written meanwhile, and is checkpointed and reused once the
// scan ends. A scan whose fn is slow (a client downloading an export)
// therefore costs WAL size, never blocks a writer.
func (db *DB) ScanRequests(ctx context.Context, f data.RequestFilter, fn func(*data.Request) error) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("sqlite: scan requests: %w", err)
	}
	return db.onReader(ctx, "scan requests", func(c driverConn) error {
		return scanRows(ctx, c, &f, stopping(fn))
	})
}

// onReader runs scan on the raw driver connection of a reader. An error of
// the caller's callback (marked by stopping) is returned as it is, others
// are wrapped with op.
func (db *DB) onReader(ctx context.Context, op string, scan func(c driverConn) error) error {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return wrap(ctx, op, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(driverConn)
		if !ok {
			return fmt.Errorf("driver connection %T cannot run a raw scan", dc)
		}
		return scan(c)
	})
	var stop errStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return wrap(ctx, op, err)
	}
	return nil
}

// stopping marks the errors of the caller's fn as errStop.
func stopping[T any](fn func(T) error) func(T) error {
	return func(v T) error {
		if err := fn(v); err != nil {
			return errStop{err}
		}
		return nil
	}
}

// driverConn is what scanRows needs of a driver connection
// (*sqlite3.SQLiteConn).
type driverConn interface {
	driver.ConnBeginTx
	driver.QueryerContext
}

// scanRows runs the query of f on the driver connection c inside one
// read transaction and calls fn for each row (see readRows); decodeRequest
// converts each value once.
func scanRows(ctx context.Context, c driverConn, f *data.RequestFilter, fn func(*data.Request) error) error {
	var fields textFields
	return readRows(ctx, c, f, selectScan, selectWidth+1, func(dest []driver.Value) error {
		joined, ok := dest[0].(string)
		if !ok {
			return fmt.Errorf("scan: joined row: unexpected value of type %T", dest[0])
		}
		if !splitSeparated(joined, &fields) {
			// Some text holds the separator: read this row's text with
			// lengths instead.
			if err := repack(ctx, c, dest[selectWidth], packedColumns, fields[:]); err != nil {
				return err
			}
		}
		r, err := decodeFields(&fields, dest[:selectWidth])
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// readRows runs the query selectCols (width columns) FROM/WHERE/ORDER of f
// on the driver connection c inside one read transaction, and calls each
// with every row's values (dest is reused). Reading the driver's rows
// directly skips database/sql's per-row locking and per-column conversion.
// If the transaction cannot be ended, the connection is reported bad, so
// the pool discards it instead of reusing a connection stuck in a
// transaction.
func readRows(ctx context.Context, c driverConn, f *data.RequestFilter, selectCols string, width int, each func(dest []driver.Value) error) (err error) {
	tx, err := c.BeginTx(ctx, driver.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("end read transaction: %w", rerr), driver.ErrBadConn)
		}
	}()
	w, args := where(f)
	ol, oargs := orderLimit(f)
	args = append(args, oargs...)
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return err
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	rows, err := c.QueryContext(ctx, selectCols+from(f)+w+ol, named)
	if err != nil {
		return err
	}
	defer rows.Close()
	if n := len(rows.Columns()); n != width {
		return fmt.Errorf("scan: %d columns, want %d", n, width)
	}
	dest := make([]driver.Value, width)
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		if err := each(dest); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// repack reads the TEXT columns of the request with the given id (a
// driver value) packed with lengths (packExpr) into dst, one per column, on
// the connection of a running scan.
func repack(ctx context.Context, c driverConn, id driver.Value, columns, dst []string) error {
	rows, err := c.QueryContext(ctx, `SELECT `+packExpr(columns)+` FROM requests WHERE id = ?`,
		[]driver.NamedValue{{Ordinal: 1, Value: id}})
	if err != nil {
		return err
	}
	defer rows.Close()
	v := make([]driver.Value, 1)
	if err := rows.Next(v); err != nil {
		return fmt.Errorf("scan: read request %v again: %w", id, err)
	}
	s, ok := v[0].(string)
	if !ok {
		return fmt.Errorf("scan: packed row: unexpected value of type %T", v[0])
	}
	return unpackLengths(s, columns, dst)
}

// UpdateRequest reads the request inside the write transaction, lets fn
// change it and stores it with fn's notes.
func (db *DB) UpdateRequest(ctx context.Context, number string, fn func(r *data.Request) ([]data.Note, error)) (*data.Request, error) {
	op := "update request " + number
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var id int64
	row := tx.QueryRowContext(ctx, `SELECT id, `+selectRequest[len("SELECT "):]+` WHERE number = ?`, number)
	r, err := scanRequest(prefixScanner{row, &id})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %s: %w", op, data.Errorf(data.ErrNotFound, "request %q not found", number))
	}
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	notes, err := fn(r)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	r.Number = number
	r.UpdatedAt = now
	if err := data.CheckStorable(r); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	vals, err := encodeRequest(r)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, data.Invalid("request", "%v", err))
	}
	if _, err := tx.ExecContext(ctx, updateRequest, append(vals[1:], number)...); err != nil {
		return nil, wrap(ctx, op, err)
	}
	for i := range notes {
		if notes[i].At.IsZero() {
			notes[i].At = now
		}
	}
	if err := insertNotes(ctx, tx, nil, id, notes); err != nil {
		return nil, wrap(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, wrap(ctx, op+": commit", err)
	}
	return cloneRequest(r), nil
}

// prefixScanner scans a leading id column before a request row.
type prefixScanner struct {
	sc scanner
	id *int64
}

func (p prefixScanner) Scan(dest ...any) error { return p.sc.Scan(append([]any{p.id}, dest...)...) }

// Notes lists a request's notes, oldest first.
func (db *DB) Notes(ctx context.Context, number string) ([]data.Note, error) {
	op := "read notes of " + number
	var notes []data.Note
	found := false
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM requests WHERE number = ?`, number).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		rows, err := tx.QueryContext(ctx, `SELECT id, at, actor, event, text, reason, internal
    FROM request_notes WHERE request_id = ? ORDER BY at, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				n        data.Note
				at, ev   string
				internal int
			)
			if err := rows.Scan(&n.ID, &at, &n.Actor, &ev, &n.Text, &n.Reason, &internal); err != nil {
				return err
			}
			if n.At, err = parseTime(at); err != nil {
				return err
			}
			n.Event, n.Internal = data.Event(ev), internal == 1
			notes = append(notes, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	if !found {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, cerr)
		}
		return nil, fmt.Errorf("sqlite: %s: %w", op, data.Errorf(data.ErrNotFound, "request %q not found", number))
	}
	return notes, nil
}

// cloneRequest deep-copies r, so the caller and the store share no memory.
func cloneRequest(r *data.Request) *data.Request {
	c := *r
	c.Areas = append([]data.AreaRef(nil), r.Areas...)
	c.RecordedAreas = append([]data.AreaRef(nil), r.RecordedAreas...)
	c.PINHash = append([]byte(nil), r.PINHash...)
	if r.Attributes != nil {
		c.Attributes = make(map[string][]string, len(r.Attributes))
		for k, v := range r.Attributes {
			c.Attributes[k] = append([]string(nil), v...)
		}
	}
	return &c
}
