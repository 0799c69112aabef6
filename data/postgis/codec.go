package postgis

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
)

// writeColumns are the columns the store writes for a request, in the order
// encodeRequest returns their values. geom, the H3 parents, the area
// columns and custom_areas are derived from other fields in Go at write
// time. areas, recorded_areas, attributes and contact are text holding JSON
// (migration 0007: the server does not parse them on write).
var writeColumns = []string{
	"number", "jurisdiction", "kind", "service_code", "service_name", "state", "description",
	"lon", "lat", "geom", "address", "address_id", "zip", "h3", "h3_r7", "h3_r8",
	"areas", "custom_areas", "beat", "sector", "district", "ward", "community_area", "precinct",
	"department", "unit", "assigned_to", "origin",
	"requested_at", "updated_at", "accepted_at", "assigned_at", "completed_at", "closed_at",
	"sla_days", "extension_days", "extensions", "reassignments",
	"duplicate", "parent_number", "duplicate_count", "me_too",
	"media_url", "attributes", "contact", "pin_hash", "police_related", "legacy", "recorded_areas", "disposition",
}

// readColumns are the columns scanRequest reads, in its order.
var readColumns = []string{
	"number", "jurisdiction", "kind", "service_code", "service_name", "state", "description",
	"lon", "lat", "address", "address_id", "zip", "h3", "areas",
	"department", "unit", "assigned_to", "origin",
	"requested_at", "updated_at", "accepted_at", "assigned_at", "completed_at", "closed_at",
	"sla_days", "extension_days", "extensions", "reassignments",
	"duplicate", "parent_number", "duplicate_count", "me_too",
	"media_url", "attributes", "contact", "pin_hash", "police_related", "legacy", "recorded_areas", "disposition",
}

// areaColumns maps the well-known layers to their indexed columns.
var areaColumns = map[data.Layer]string{
	data.LayerBeat:          "beat",
	data.LayerSector:        "sector",
	data.LayerDistrict:      "district",
	data.LayerWard:          "ward",
	data.LayerCommunityArea: "community_area",
	data.LayerPrecinct:      "precinct",
}

var (
	selectRequest = "SELECT " + prefixed("r.", readColumns) + " FROM requests r"
	insertRequest = "INSERT INTO requests (" + strings.Join(writeColumns, ", ") + ") VALUES (" + placeholders(1, len(writeColumns)) + ")"
	// updateRequest rewrites every column but number, which is the first
	// argument.
	updateRequest = func() string {
		var b strings.Builder
		b.WriteString("UPDATE requests SET ")
		for i, c := range writeColumns[1:] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = $%d", c, i+2)
		}
		b.WriteString(" WHERE number = $1")
		return b.String()
	}()
	// upsertSet is the ON CONFLICT (number) DO UPDATE list of an import.
	upsertSet = func() string {
		var parts []string
		for _, c := range writeColumns[1:] {
			parts = append(parts, c+" = EXCLUDED."+c)
		}
		return strings.Join(parts, ", ")
	}()
)

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}

func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// pointEWKB encodes a point as little-endian EWKB with SRID 4326.
func pointEWKB(lon, lat float64) []byte {
	b := make([]byte, 25)
	b[0] = 1 // little endian
	binary.LittleEndian.PutUint32(b[1:], 0x20000001)
	binary.LittleEndian.PutUint32(b[5:], srid)
	binary.LittleEndian.PutUint64(b[9:], math.Float64bits(lon))
	binary.LittleEndian.PutUint64(b[17:], math.Float64bits(lat))
	return b
}

// h3Parent returns the parent of an H3 cell at a coarser resolution, or
// false when c is not a cell (mode 1) of a resolution at least res. It is
// the bit operation of h3's cellToParent: set the resolution field and mark
// the digits below it unused (7); checked against h3-go in the tests.
func h3Parent(c uint64, res int) (uint64, bool) {
	const (
		modeOffset = 59
		resOffset  = 52
	)
	if c>>63 != 0 || (c>>modeOffset)&0xF != 1 {
		return 0, false
	}
	cur := int((c >> resOffset) & 0xF)
	if res > cur || res < 0 {
		return 0, false
	}
	p := c&^(0xF<<resOffset) | uint64(res)<<resOffset
	for r := res + 1; r <= cur; r++ {
		p |= 7 << ((15 - r) * 3)
	}
	return p, true
}

// h3Column is the bigint stored for an H3 cell parent (NULL when none).
func h3Column(c uint64, res int) any {
	p, ok := h3Parent(c, res)
	if !ok {
		return nil
	}
	return int64(p)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// encodeAreas writes area references as a JSON array; nil and empty are "[]".
func encodeAreas(as []data.AreaRef) (string, error) {
	if len(as) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(as)
	return string(b), err
}

// customAreas returns the areas of as whose layer has no column of its
// own (areaColumns), in order: the custom_areas column, which is NULL when
// there are none. It is geo311_custom_areas of migration 0006 in Go
// (TestCustomAreasColumn checks both agree).
func customAreas(as []data.AreaRef) []data.AreaRef {
	var out []data.AreaRef
	for _, a := range as {
		if _, ok := areaColumns[a.Layer]; !ok {
			out = append(out, a)
		}
	}
	return out
}

// encodeCustomAreas is the value of custom_areas for areas: nil (NULL)
// without custom ones, else their JSON array.
func encodeCustomAreas(as []data.AreaRef) (any, error) {
	custom := customAreas(as)
	if len(custom) == 0 {
		return nil, nil
	}
	return encodeAreas(custom)
}

// encodeRequest returns the values of writeColumns for r.
func encodeRequest(r *data.Request) ([]any, error) {
	areas, err := encodeAreas(r.Areas)
	if err != nil {
		return nil, err
	}
	custom, err := encodeCustomAreas(r.Areas)
	if err != nil {
		return nil, err
	}
	recorded, err := encodeAreas(r.RecordedAreas)
	if err != nil {
		return nil, err
	}
	attrs := "{}"
	if len(r.Attributes) > 0 {
		b, err := json.Marshal(r.Attributes)
		if err != nil {
			return nil, err
		}
		attrs = string(b)
	}
	contact := "{}"
	if !r.Contact.Empty() {
		b, err := json.Marshal(r.Contact)
		if err != nil {
			return nil, err
		}
		contact = string(b)
	}
	var pin any
	if len(r.PINHash) > 0 {
		pin = r.PINHash
	}
	cols := layerColumns(r)
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = r.RequestedAt
	}
	return []any{
		r.Number, r.Jurisdiction, string(r.Kind), r.ServiceCode, r.ServiceName, string(r.State), r.Description,
		r.Lon, r.Lat, pointEWKB(r.Lon, r.Lat), r.Address, r.AddressID, r.ZIP,
		int64(r.H3), h3Column(r.H3, 7), h3Column(r.H3, 8),
		areas, custom, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
		r.Department, r.Unit, r.AssignedTo, string(r.Origin),
		r.RequestedAt, updated, nullTime(r.AcceptedAt), nullTime(r.AssignedAt), nullTime(r.CompletedAt), nullTime(r.ClosedAt),
		r.SLADays, r.ExtensionDays, r.Extensions, r.Reassignments,
		r.Duplicate, r.ParentNumber, r.DuplicateCount, r.MeToo,
		r.MediaURL, attrs, contact, pin, r.PoliceRelated, r.Legacy, recorded, r.Disposition,
	}, nil
}

// scanRequest reads one row of readColumns.
func scanRequest(row pgx.Row) (*data.Request, error) { return scanRequestIn(row, nil) }

// scanRequestIn is scanRequest with an intern table of the area strings
// (layers, ids, generations) shared by the rows of one scan, or nil.
func scanRequestIn(row pgx.Row, in *interner) (*data.Request, error) {
	var (
		r                                    data.Request
		kind, state, origin                  string
		h3                                   int64
		areas, attrs, contact, recorded      []byte
		accepted, assigned, completed, close *time.Time
	)
	if err := row.Scan(&r.Number, &r.Jurisdiction, &kind, &r.ServiceCode, &r.ServiceName, &state, &r.Description,
		&r.Lon, &r.Lat, &r.Address, &r.AddressID, &r.ZIP, &h3, &areas,
		&r.Department, &r.Unit, &r.AssignedTo, &origin,
		&r.RequestedAt, &r.UpdatedAt, &accepted, &assigned, &completed, &close,
		&r.SLADays, &r.ExtensionDays, &r.Extensions, &r.Reassignments,
		&r.Duplicate, &r.ParentNumber, &r.DuplicateCount, &r.MeToo,
		&r.MediaURL, &attrs, &contact, &r.PINHash, &r.PoliceRelated, &r.Legacy, &recorded, &r.Disposition); err != nil {
		return nil, err
	}
	r.Kind, r.State, r.Origin, r.H3 = data.Kind(kind), data.State(state), data.Origin(origin), uint64(h3)
	for _, t := range []struct {
		dst *time.Time
		src *time.Time
	}{{&r.AcceptedAt, accepted}, {&r.AssignedAt, assigned}, {&r.CompletedAt, completed}, {&r.ClosedAt, close}} {
		if t.src != nil {
			*t.dst = *t.src
		}
	}
	if err := decodeAreas(areas, &r.Areas, in); err != nil {
		return nil, fmt.Errorf("request %s: areas: %w", r.Number, err)
	}
	if err := decodeAreas(recorded, &r.RecordedAreas, in); err != nil {
		return nil, fmt.Errorf("request %s: recorded areas: %w", r.Number, err)
	}
	if string(attrs) != "{}" {
		if err := json.Unmarshal(attrs, &r.Attributes); err != nil {
			return nil, fmt.Errorf("request %s: attributes: %w", r.Number, err)
		}
	}
	if string(contact) != "{}" {
		if err := json.Unmarshal(contact, &r.Contact); err != nil {
			return nil, fmt.Errorf("request %s: contact: %w", r.Number, err)
		}
	}
	if len(r.PINHash) == 0 {
		r.PINHash = nil
	}
	return &r, nil
}

func decodeAreas(b []byte, dst *[]data.AreaRef, in *interner) error {
	if string(b) == "[]" {
		return nil
	}
	return decodeAreaRefs(b, dst, in)
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

// layerColumns are the ids of r's first area (in r.Areas order) of each
// layer with a column: beat, sector, district, ward, community_area,
// precinct ("" where none). encodeRequest and the COPY encoder share it.
func layerColumns(r *data.Request) [6]string {
	var cols [6]string
	for _, a := range r.Areas {
		var i int
		switch a.Layer {
		case data.LayerBeat:
			i = 0
		case data.LayerSector:
			i = 1
		case data.LayerDistrict:
			i = 2
		case data.LayerWard:
			i = 3
		case data.LayerCommunityArea:
			i = 4
		case data.LayerPrecinct:
			i = 5
		default:
			continue
		}
		if cols[i] == "" {
			cols[i] = a.ID
		}
	}
	return cols
}
