package postgis

import (
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/geo311/geo311/data"
)

// An intake's candidates (data.Intake.Candidates) are read with the columns
// dedupe decides on only (data.CandidateFields), not whole requests: the
// areas, attributes, contact and recorded areas cost the server their
// output and Go their decoding on every candidate of every intake, for a
// Decide that never looks at them. Go's decoding of whole rows was about a
// sixth of the Go CPU of BenchmarkIntakePostGIS.
var candidateColumns = []string{
	"number", "kind", "service_code", "service_name", "state", "lon", "lat", "h3",
	"address", "description", "requested_at", "updated_at", "closed_at",
	"duplicate", "parent_number", "duplicate_count", "me_too",
}

var selectCandidate = "SELECT " + prefixed("r.", candidateColumns) + " FROM requests r"

// scanCandidate reads one row of candidateColumns.
func scanCandidate(row pgx.Row) (*data.Request, error) {
	var (
		r           data.Request
		kind, state string
		h3          int64
		closed      *time.Time
	)
	if err := row.Scan(&r.Number, &kind, &r.ServiceCode, &r.ServiceName, &state, &r.Lon, &r.Lat, &h3,
		&r.Address, &r.Description, &r.RequestedAt, &r.UpdatedAt, &closed,
		&r.Duplicate, &r.ParentNumber, &r.DuplicateCount, &r.MeToo); err != nil {
		return nil, err
	}
	r.Kind, r.State, r.H3 = data.Kind(kind), data.State(state), uint64(h3)
	if closed != nil {
		r.ClosedAt = *closed
	}
	return &r, nil
}

// candidateOIDs are the types of candidateColumns, in order.
var candidateOIDs = []uint32{
	pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.Float8OID, pgtype.Float8OID, pgtype.Int8OID,
	pgtype.TextOID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.TimestamptzOID, pgtype.TimestamptzOID,
	pgtype.BoolOID, pgtype.TextOID, pgtype.Int4OID, pgtype.Int4OID,
}

// selectGroupCandidates reads the candidates of every intake of a group
// in one statement (see groupCandidates): a row of q per intake and cell,
// each probing requests_h3_window for its cell and window, as the
// intake's own filterQuery would. Per statement the server binds, plans
// from its cache, starts and ends an executor, and Go queues and reads a
// result: one statement instead of one per intake (about 3.6 in a group
// of BenchmarkIntakePostGIS).
var selectGroupCandidates = `SELECT q.i, ` + prefixed("r.", candidateColumns) + `
	FROM unnest($1::int4[], $2::bigint[], $3::timestamptz[], $4::text[]) AS q (i, cell, since, status)
	JOIN requests r ON r.h3 = q.cell AND (r.requested_at AT TIME ZONE 'UTC') >= (q.since AT TIME ZONE 'UTC')
	WHERE q.status = '' OR geo311_status(r.state) = q.status
	ORDER BY q.i, r.requested_at DESC, r.number DESC`

// groupCandidates collects the arguments of selectGroupCandidates for the
// intakes whose candidates filter is dedupe's shape: cells, a window's
// start and at most a status, nothing else. Other filters are read with
// their own filterQuery.
type groupCandidates struct {
	idx    []int32
	cells  []int64
	since  []time.Time
	status []string
}

// add queues intake i's filter and reports whether it has dedupe's shape.
func (g *groupCandidates) add(i int, f *data.RequestFilter) bool {
	if !dedupeShape(f) {
		return false
	}
	for _, c := range f.Cells {
		g.idx = append(g.idx, int32(i))
		g.cells = append(g.cells, int64(c))
		g.since = append(g.since, f.From)
		g.status = append(g.status, f.Status)
	}
	return true
}

// candidateSlab hands out the requests of a group's candidates from
// chunks it keeps for the next group (through candidateSlabs): at a few
// dozen candidates of 680 bytes an intake, allocating each was most of
// the bytes the committer allocated. A slab is reused only after its
// group's Decide calls returned (data.Intake.Decide: candidates are valid
// during the call).
type candidateSlab struct {
	chunks [][]data.Request
	n      int // requests handed out
}

const candidateChunk = 64

var candidateSlabs = sync.Pool{New: func() any { return new(candidateSlab) }}

// next returns a zeroed request.
func (s *candidateSlab) next() *data.Request {
	c, k := s.n/candidateChunk, s.n%candidateChunk
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]data.Request, candidateChunk))
	}
	s.n++
	r := &s.chunks[c][k]
	*r = data.Request{}
	return r
}

// dedupeShape reports whether f selects by cells and a window's start,
// and at most a status (TestDedupeShape checks every other field).
func dedupeShape(f *data.RequestFilter) bool {
	return len(f.Cells) > 0 && !f.From.IsZero() &&
		len(f.Numbers) == 0 && len(f.ServiceCodes) == 0 && len(f.Kinds) == 0 && len(f.States) == 0 &&
		f.To.IsZero() && f.UpdatedAfter.IsZero() && f.UpdatedBefore.IsZero() && len(f.Areas) == 0 &&
		f.BBox == nil && f.Near == nil && f.Duplicates == data.DuplicatesInclude && !f.ExcludePolice &&
		f.Limit == 0 && f.Offset == 0 && !f.Ascending
}

// read decodes the rows of selectGroupCandidates into cands, indexed by
// intake: the requests from slab, their strings from one arena.
func (g *groupCandidates) read(rows pgx.Rows, cands [][]*data.Request, slab *candidateSlab) error {
	fds := rows.FieldDescriptions()
	if len(fds) != len(candidateOIDs)+1 || fds[0].DataTypeOID != pgtype.Int4OID {
		return fmt.Errorf("group candidates: unexpected columns %v", fds)
	}
	for k, oid := range candidateOIDs {
		if fd := fds[k+1]; fd.DataTypeOID != oid || (fd.Format != pgtype.BinaryFormatCode && oid != pgtype.TextOID) {
			return fmt.Errorf("group candidates: column %s has type %d in format %d, want type %d in binary", fd.Name, fd.DataTypeOID, fd.Format, oid)
		}
	}
	var arena []byte
	for rows.Next() {
		r := slab.next()
		i, err := decodeCandidate(rows.RawValues(), r, &arena)
		if err != nil {
			return err
		}
		if i < 0 || i >= len(cands) {
			return fmt.Errorf("group candidates: intake %d of %d", i, len(cands))
		}
		cands[i] = append(cands[i], r)
	}
	return rows.Err()
}

// decodeCandidate decodes a row of selectGroupCandidates (the intake's
// index, then candidateColumns) into r, as scanCandidate would, and
// returns the intake's index.
func decodeCandidate(v [][]byte, r *data.Request, arena *[]byte) (int, error) {
	if len(v) != len(candidateColumns)+1 {
		return 0, fmt.Errorf("group candidates: row has %d values, want %d", len(v), len(candidateColumns)+1)
	}
	d := wireDecoder{v: v, op: "group candidates"}
	i := d.int4()
	r.Number = d.textIn(arena)
	r.Kind = data.Kind(d.textIn(arena))
	r.ServiceCode = d.textIn(arena)
	r.ServiceName = d.textIn(arena)
	r.State = data.State(d.textIn(arena))
	r.Lon = d.float8()
	r.Lat = d.float8()
	r.H3 = d.int8()
	r.Address = d.textIn(arena)
	r.Description = d.textIn(arena)
	r.RequestedAt = d.time(false)
	r.UpdatedAt = d.time(false)
	r.ClosedAt = d.time(true)
	r.Duplicate = d.bool()
	r.ParentNumber = d.textIn(arena)
	r.DuplicateCount = d.int4()
	r.MeToo = d.int4()
	return i, d.err
}
