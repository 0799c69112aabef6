package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// requestColumns lists the stored columns of a request in the order
// encodeRequest produces them (id excluded); reads use selectColumns.
var requestColumns = []string{
	"number", "jurisdiction", "kind", "service_code", "service_name", "state", "closed",
	"description", "lon", "lat", "address", "address_id", "zip", "h3", "areas",
	"department", "unit", "assigned_to", "origin",
	"requested_at", "updated_at", "accepted_at", "assigned_at", "completed_at", "closed_at",
	"sla_days", "extension_days", "extensions", "reassignments",
	"duplicate", "parent_number", "duplicate_count", "me_too",
	"media_url", "attributes", "contact", "pin_hash", "police", "legacy", "recorded_areas", "disposition",
	// migration 0005: the first area of each well-known layer
	"beat", "sector", "district", "ward", "community_area", "precinct",
	"zkey", // migration 0006: the point's Z-order key (zorder.go)
}

// areaLayers are the well-known layers with a column of requests (0005), in
// requestColumns order; areaColumn maps a layer to its column. Areas of
// other layers are kept in request_areas.
var (
	areaLayers = [...]data.Layer{data.LayerBeat, data.LayerSector, data.LayerDistrict,
		data.LayerWard, data.LayerCommunityArea, data.LayerPrecinct}
	areaColumn = func() map[data.Layer]string {
		m := make(map[data.Layer]string, len(areaLayers))
		for _, l := range areaLayers {
			m[l] = string(l)
		}
		return m
	}()
)

// layerColumns are the ids of r's first area (in r.Areas order) of each
// layer of areaLayers, "" where r has none; custom reports whether r has
// an area of another layer (a row of request_areas).
func layerColumns(r *data.Request) (cols [len(areaLayers)]string, custom bool) {
	for _, a := range r.Areas {
		i := slices.Index(areaLayers[:], a.Layer)
		if i < 0 {
			custom = true
			continue
		}
		if cols[i] == "" {
			cols[i] = a.ID
		}
	}
	return cols, custom
}

// irregularSector reports whether a row with the area columns cols is one
// of requests_sector_irregular (migration 0008): it has a sector that is
// not a byte prefix of its beat (or has no beat). The sector filter finds
// the other rows of a sector through the beat index.
func irregularSector(cols [len(areaLayers)]string) bool {
	const beat, sector = 0, 1 // areaLayers
	return cols[sector] != "" && !strings.HasPrefix(cols[beat], cols[sector])
}

var (
	insertRequest = "INSERT INTO requests (" + strings.Join(requestColumns, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(requestColumns)-1) + ")"
	// updateRequest rewrites every column but number (the last argument).
	updateRequest = "UPDATE requests SET " + strings.Join(requestColumns[1:], " = ?, ") + " = ? WHERE number = ?"
)

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encodeAreas writes area references as a JSON array; nil and empty are
// "[]". The text is encoding/json's: strings of printable ASCII that JSON
// leaves as they are (no quote, backslash, or the <, > and & it escapes
// for HTML) are appended directly, anything else goes through json.Marshal
// (reflection cost two fifths of encoding an imported row).
// FuzzEncodeAreas checks both agree.
func encodeAreas(as []data.AreaRef) (string, error) {
	if len(as) == 0 {
		return "[]", nil
	}
	n := 2
	for _, a := range as {
		if !plainJSON(string(a.Layer)) || !plainJSON(a.ID) || !plainJSON(a.Name) || !plainJSON(a.Generation) {
			b, err := json.Marshal(as)
			return string(b), err
		}
		n += len(`{"layer":"","id":"","name":"","generation":""},`) + len(a.Layer) + len(a.ID) + len(a.Name) + len(a.Generation)
	}
	return string(appendPlainAreas(make([]byte, 0, n), as)), nil
}

// appendPlainAreas appends the JSON array of as to b, every string of
// which plainJSON accepts (so written as it is).
func appendPlainAreas(b []byte, as []data.AreaRef) []byte {
	b = append(b, '[')
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"layer":"`...)
		b = append(b, a.Layer...)
		b = append(b, `","id":"`...)
		b = append(b, a.ID...)
		if a.Name != "" {
			b = append(b, `","name":"`...)
			b = append(b, a.Name...)
		}
		b = append(b, `","generation":"`...)
		b = append(b, a.Generation...)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

// plainJSON reports whether encoding/json writes s between quotes as it
// is.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// encodeRequest returns the column values of r in requestColumns order.
func encodeRequest(r *data.Request) ([]any, error) {
	areas, err := encodeAreas(r.Areas)
	if err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	recorded, err := encodeAreas(r.RecordedAreas)
	if err != nil {
		return nil, fmt.Errorf("recorded areas: %w", err)
	}
	attrs := "{}"
	if len(r.Attributes) > 0 {
		b, err := json.Marshal(r.Attributes)
		if err != nil {
			return nil, fmt.Errorf("attributes: %w", err)
		}
		attrs = string(b)
	}
	contact := "{}"
	if !r.Contact.Empty() {
		b, err := json.Marshal(r.Contact)
		if err != nil {
			return nil, fmt.Errorf("contact: %w", err)
		}
		contact = string(b)
	}
	var pin any
	if len(r.PINHash) > 0 {
		pin = r.PINHash
	}
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = r.RequestedAt
	}
	cols, _ := layerColumns(r)
	return []any{
		r.Number, r.Jurisdiction, string(r.Kind), r.ServiceCode, r.ServiceName, string(r.State), boolInt(r.State.Closed()),
		r.Description, r.Lon, r.Lat, r.Address, r.AddressID, r.ZIP, int64(r.H3), areas,
		r.Department, r.Unit, r.AssignedTo, string(r.Origin),
		formatTime(r.RequestedAt), formatTime(updated), nullTime(r.AcceptedAt), nullTime(r.AssignedAt),
		nullTime(r.CompletedAt), nullTime(r.ClosedAt),
		r.SLADays, r.ExtensionDays, r.Extensions, r.Reassignments,
		boolInt(r.Duplicate), r.ParentNumber, r.DuplicateCount, r.MeToo,
		r.MediaURL, attrs, contact, pin, boolInt(r.PoliceRelated), boolInt(r.Legacy), recorded, r.Disposition,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
		zKey(r.Lon, r.Lat),
	}, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanRequest reads one row of selectRequest through database/sql (a
// single request, an intake's candidates); full scans read the driver's
// rows directly (see scanRows). Both decode with decodeRequest.
func scanRequest(sc scanner) (*data.Request, error) {
	vals, ptrs := make([]any, selectWidth), make([]any, selectWidth)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := sc.Scan(ptrs...); err != nil {
		return nil, err
	}
	dv := make([]driver.Value, selectWidth)
	for i := range dv {
		dv[i] = vals[i]
	}
	return decodeRequest(dv)
}
