package data

import (
	"context"
	"math"
	"time"

	"github.com/paulmach/orb"
)

// RequestFilter selects requests. Zero fields do not filter.
type RequestFilter struct {
	Numbers      []string
	ServiceCodes []string
	Kinds        []Kind
	States       []State
	// Status filters on the Open311 status: "open" or "closed".
	Status string
	// RequestedAt window: From <= requested_at < To.
	From, To time.Time
	// UpdatedAt window: UpdatedAfter < updated_at < UpdatedBefore.
	UpdatedAfter, UpdatedBefore time.Time
	// Areas: the request was routed to every listed area (layer and id;
	// Generation ignored).
	Areas []AreaRef
	// BBox keeps requests inside the bound.
	BBox *orb.Bound
	// Near keeps requests within RadiusM metres of a point.
	Near *Circle
	// Cells keeps requests whose H3 cell (resolution H3Resolution) is listed.
	Cells []uint64
	// Duplicates: DuplicatesInclude (default), DuplicatesExclude or DuplicatesOnly.
	Duplicates DuplicateFilter
	// ExcludePolice drops requests with PoliceRelated set and community
	// concerns (public views set it).
	ExcludePolice bool
	// Paging; Limit 0 means no limit. Order is requested_at descending,
	// then number descending, unless Ascending.
	Limit, Offset int
	Ascending     bool
}

// Validate checks a filter's values before any query; every store calls it,
// so bad filters fail the same way everywhere.
func (f *RequestFilter) Validate() error {
	switch f.Status {
	case "", "open", "closed":
	default:
		return Invalid("status", "%q is not a status (open, closed)", f.Status)
	}
	if f.Limit < 0 {
		return Invalid("limit", "must not be negative")
	}
	if f.Offset < 0 {
		return Invalid("offset", "must not be negative")
	}
	switch f.Duplicates {
	case DuplicatesInclude, DuplicatesExclude, DuplicatesOnly:
	default:
		return Invalid("duplicates", "unknown duplicate filter %d", f.Duplicates)
	}
	if c := f.Near; c != nil {
		if !(c.RadiusM >= 0) || math.IsInf(c.RadiusM, 0) {
			return Invalid("radius", "%v is not a radius in metres", c.RadiusM)
		}
		if !(c.Lat >= -90 && c.Lat <= 90) || !(c.Lon >= -180 && c.Lon <= 180) {
			return Invalid("lat", "centre %v, %v is not a WGS84 point", c.Lon, c.Lat)
		}
	}
	if b := f.BBox; b != nil {
		for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Invalid("bbox", "coordinates must be finite numbers")
			}
		}
	}
	for _, a := range f.Areas {
		if a.Layer == "" || a.ID == "" {
			return Invalid("area", "an area filter needs a layer and an id")
		}
	}
	return nil
}

// Circle is a point and a radius in metres.
type Circle struct {
	Lon, Lat, RadiusM float64
}

// DuplicateFilter says whether duplicates are listed.
type DuplicateFilter int

// Duplicate filters.
const (
	DuplicatesInclude DuplicateFilter = iota
	DuplicatesExclude
	DuplicatesOnly
)

// RequestStore keeps service requests and community concerns durably. Every
// method that writes returns only after the write is durable.
type RequestStore interface {
	// CreateRequest stores a new request durably with its notes (at least
	// the "created" note) and assigns in.Request.Number (prefix by kind,
	// sequential per year of RequestedAt, unique across processes sharing the
	// store, never reused). With an idempotency key seen before, nothing is
	// written and the first request is returned with created false. When
	// in.Decide is set, deduplication runs inside the same write transaction:
	// see Intake.
	CreateRequest(ctx context.Context, in Intake) (stored *Request, created bool, err error)
	// Request reads one request by number. ErrNotFound if none.
	Request(ctx context.Context, number string) (*Request, error)
	// Requests lists requests matching f.
	Requests(ctx context.Context, f RequestFilter) ([]*Request, error)
	// CountRequests counts requests matching f, ignoring Limit and Offset.
	CountRequests(ctx context.Context, f RequestFilter) (int, error)
	// ScanRequests streams every request matching f to fn in order, with
	// bounded memory; fn's error stops the scan and is returned.
	ScanRequests(ctx context.Context, f RequestFilter, fn func(*Request) error) error
	// UpdateRequest reads the request under a write lock, lets fn change it
	// and return notes to append, then stores both atomically and sets
	// UpdatedAt. fn's error aborts without writing and is returned.
	UpdateRequest(ctx context.Context, number string, fn func(r *Request) ([]Note, error)) (*Request, error)
	// Notes lists a request's notes, oldest first. ErrNotFound if no request.
	Notes(ctx context.Context, number string) ([]Note, error)
	// ImportRequests inserts or replaces requests by their existing Number
	// (imports keep the city's numbers), idempotently, in one transaction.
	ImportRequests(ctx context.Context, rs []*Request) (inserted, updated int, err error)
}

// Intake is one new request for RequestStore.CreateRequest.
type Intake struct {
	Request        *Request
	Notes          []Note
	IdempotencyKey string
	// LockKeys (sorted ascending) serialise intakes that could deduplicate
	// against each other: the store holds every key for the duration of the
	// transaction (PostGIS: pg_advisory_xact_lock in order; SQLite: its single
	// writer), so two near-identical concurrent intakes never both become
	// primaries, also across processes.
	LockKeys []int64
	// Candidates selects the open requests Decide sees, read inside the
	// transaction after the locks are held. Each candidate carries at least
	// the fields deduplication reads: Number, Kind, ServiceCode,
	// ServiceName, State, Lon, Lat, H3, Address, Description, RequestedAt,
	// UpdatedAt, ClosedAt, Duplicate, ParentNumber, DuplicateCount and
	// MeToo. A store may leave the others (areas, attributes, contact...)
	// unset, and both stores do: reading them cost every intake.
	Candidates RequestFilter
	// Decide, if set, chooses a primary among the candidates. A non-nil
	// link makes the new request a duplicate of link.Primary (a root: the
	// store does not follow chains): the store sets Duplicate and
	// ParentNumber on the new request, a "duplicate" note with link.Reason on
	// it, increments the primary's DuplicateCount and appends a
	// "duplicate_of" note to the primary, all in the same transaction.
	// The candidates are valid during the call only: a store may reuse
	// their memory once Decide returned.
	Decide func(candidates []*Request) (*DuplicateLink, error)
}

// DuplicateLink is a dedupe decision to store with a new request.
type DuplicateLink struct {
	Primary string // the primary's number
	Reason  string // why, for both requests' notes
}

// Role is what an API key may do.
type Role string

// Roles, from least to most privileged.
const (
	RoleIntake     Role = "intake"     // intake systems: create requests
	RoleStaff      Role = "staff"      // district staff: read and transition within their districts
	RoleSupervisor Role = "supervisor" // staff who may approve further extensions and closures
	RoleAdmin      Role = "admin"      // everything, boundaries and keys
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleIntake, RoleStaff, RoleSupervisor, RoleAdmin:
		return r, nil
	}
	return "", Invalid("role", "%q is not a role (intake, staff, supervisor, admin)", s)
}

// APIKey is a credential for intake systems and staff. Only a hash of the
// secret is stored; the secret is shown once at creation.
type APIKey struct {
	ID   string // public part, e.g. "k_3f9a1c2b"
	Name string
	Role Role
	// Districts scopes staff and supervisors (normalised district ids, "012"
	// style as the jurisdiction uses them); empty means every district.
	Districts []string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time // zero if active
}

// KeyStore keeps API keys.
type KeyStore interface {
	CreateKey(ctx context.Context, k *APIKey) error // ErrConflict on duplicate ID
	Key(ctx context.Context, id string) (*APIKey, error)
	Keys(ctx context.Context) ([]*APIKey, error)
	RevokeKey(ctx context.Context, id string, at time.Time) error
}

// Store is everything a geo311 server keeps.
type Store interface {
	BoundaryStore
	RequestStore
	KeyStore
	Ping(ctx context.Context) error
}
