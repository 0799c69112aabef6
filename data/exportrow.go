package data

import (
	"context"
	"time"
)

// ExportRow is a request as the exports write it (package data/export):
// the exported fields only, without notes, contact, attributes, media or
// recorded areas. Stores that implement ExportScanner read these columns
// alone, which costs a fraction of building whole Requests; SetRequest
// makes the same row from a Request, so both ways give identical exports.
//
// Empty strings and zero times are values the export writes as null.
type ExportRow struct {
	Number      string
	Kind        Kind
	ServiceCode string
	ServiceName string
	State       State
	Department  string
	Unit        string
	Origin      Origin
	// Areas holds, for each layer the scan was asked for (in that order),
	// the id of the request's first area of that layer with an id, "" if
	// none (the stores keep that one in their layer columns).
	Areas                            []string
	RequestedAt, UpdatedAt, ClosedAt time.Time
	Duplicate                        bool
	ParentNumber                     string
	DuplicateCount                   int
	MeToo                            int
	// PoliceRelated is the stored flag (Request.PoliceRelated).
	PoliceRelated bool
	Description   string
	Address       string
	ZIP           string
	H3            uint64
	Lon, Lat      float64
}

// SetRequest fills row with r's exported fields and the id of r's first
// area (with an id) of each of layers. It reuses row.Areas's storage; the
// strings are r's.
func (row *ExportRow) SetRequest(r *Request, layers []Layer) {
	areas := row.Areas[:0]
	for _, l := range layers {
		id := ""
		for _, a := range r.Areas {
			if a.Layer == l && a.ID != "" {
				id = a.ID
				break
			}
		}
		areas = append(areas, id)
	}
	// Field by field rather than one composite literal: no temporary
	// copy of the whole row (a full export converts millions).
	row.Number, row.Kind, row.ServiceCode, row.ServiceName = r.Number, r.Kind, r.ServiceCode, r.ServiceName
	row.State, row.Department, row.Unit, row.Origin, row.Areas = r.State, r.Department, r.Unit, r.Origin, areas
	row.RequestedAt, row.UpdatedAt, row.ClosedAt = r.RequestedAt, r.UpdatedAt, r.ClosedAt
	row.Duplicate, row.ParentNumber, row.DuplicateCount, row.MeToo = r.Duplicate, r.ParentNumber, r.DuplicateCount, r.MeToo
	row.PoliceRelated, row.Description, row.Address, row.ZIP = r.PoliceRelated, r.Description, r.Address, r.ZIP
	row.H3, row.Lon, row.Lat = r.H3, r.Lon, r.Lat
}

// Police reports whether the row is police-related and so kept off public
// exports, as Request.Police does for the request.
func (row *ExportRow) Police(j *Jurisdiction) bool {
	if row.PoliceRelated || row.Kind == KindCommunityConcern {
		return true
	}
	if st, ok := j.Service(row.ServiceCode); ok {
		return st.Police
	}
	return false
}

// ExportScanner is implemented by request stores that can read the exported
// fields of requests without building whole Requests. Callers find it with
// a type assertion on their store and fall back to
// RequestStore.ScanRequests (with ExportRow.SetRequest) otherwise.
type ExportScanner interface {
	// ScanExport streams the requests matching f to fn, in the order and
	// with the paging of RequestStore.ScanRequests, with bounded memory.
	// Each row holds what ExportRow.SetRequest would make of the request
	// with these layers (each a valid layer name; data.ErrInvalid
	// otherwise). The row and its strings are valid only during the call
	// to fn: the store reuses them, so copy what you keep. fn's error
	// stops the scan and is returned as is.
	ScanExport(ctx context.Context, f RequestFilter, layers []Layer, fn func(*ExportRow) error) error
}
