package postgis

import (
	"time"

	"github.com/jackc/pgx/v5"

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
