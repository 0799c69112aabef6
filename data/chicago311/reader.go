package chicago311

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Schema names.
const (
	SchemaCurrent = "current"
	SchemaLegacy  = "legacy"
)

// RecordedGeneration is the Generation of the areas the city recorded on a
// request (data.Request.RecordedAreas), as opposed to a geo311 generation id.
const RecordedGeneration = "recorded"

// Jurisdiction is the jurisdiction id set on every request read.
const Jurisdiction = "chicago"

// RowError is a bad row: its 1-based line number in the input (the header is
// line 1; a row spanning several lines is named by its first), the column at
// fault (empty for a malformed row) and the reason, which wraps
// data.ErrInvalid.
type RowError struct {
	Line   int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	if e.Column != "" {
		msg := data.ErrorMessage(e.Err)
		var de *data.Error
		if errors.As(e.Err, &de) && de.Field == e.Column {
			msg = de.Message
		}
		return fmt.Sprintf("line %d: column %q: %s", e.Line, e.Column, msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, data.ErrorMessage(e.Err))
}

// Unwrap returns the reason.
func (e *RowError) Unwrap() error { return e.Err }

// HasLocation reports whether a request read has coordinates; rows without
// any keep Lon and Lat 0 (far from Chicago).
func HasLocation(r *data.Request) bool { return r.Lon != 0 || r.Lat != 0 }

// Reader reads requests from a portal CSV export. It is not safe for
// concurrent use.
type Reader struct {
	csv    *csvReader
	schema string
	header []string // as given, for error messages
	c      cols
	loc    *time.Location

	created, modified, closed timeParser
	legacyTypes               map[string]*LegacyType
	intern                    map[string]string
	// last-value caches: exports are sorted, so consecutive rows repeat.
	lastType    string
	lastLegacy  *LegacyType
	lastOrigin  string
	lastOriginV data.Origin
	// Requests and recorded areas are carved from slabs to cut allocations;
	// a slab stays alive while any request carved from it does.
	reqSlab  []data.Request
	areaSlab []data.AreaRef
}

// cols holds the index of every known column, -1 when absent.
type cols struct {
	number, typ, code, ownerDept, status, origin int
	created, modified, closed                    int
	address, streetNumber, streetDir, streetName int
	streetType, zip                              int
	duplicate, legacyRecord, legacySR, parent    int
	ward, district, sector, beat, community      int
	x, y, lat, lon                               int
	attrs                                        []attrCol // legacy type-specific columns
	n                                            int       // number of header fields
}

type attrCol struct {
	i   int
	key string
}

// slabSize is how many requests are allocated at once.
const slabSize = 64

// maxIntern bounds the table of interned area ids.
const maxIntern = 4096

// NewReader reads the header row of r and detects the schema. A header that
// is neither schema, or lacks a required column, is an error wrapping
// data.ErrInvalid.
func NewReader(r io.Reader) (*Reader, error) {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		return nil, fmt.Errorf("chicago311: load time zone: %w", err)
	}
	cr := newCSVReader(r)
	header, _, err := cr.read()
	if err != nil {
		if err == io.EOF {
			return nil, data.Invalid("header", "empty input: no header row")
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, data.Invalid("header", "malformed header row: %v", pe.Err)
		}
		return nil, fmt.Errorf("chicago311: read header: %w", err)
	}
	header = append([]string(nil), header...)
	rd := &Reader{
		csv:         cr,
		header:      header,
		loc:         loc,
		legacyTypes: legacyIndex(),
		intern:      make(map[string]string),
	}
	rd.created.loc, rd.modified.loc, rd.closed.loc = loc, loc, loc
	if err := rd.detect(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Schema returns SchemaCurrent or SchemaLegacy.
func (r *Reader) Schema() string { return r.schema }

// normalise turns a header name into its key: lower case, every run of
// characters other than letters and digits one underscore, trimmed.
func normalise(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(strings.TrimSpace(s)) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
			continue
		}
		under = true
	}
	return b.String()
}

func (r *Reader) detect() error {
	idx := make(map[string]int, len(r.header))
	keys := make([]string, len(r.header))
	for i, h := range r.header {
		k := normalise(h)
		keys[i] = k
		if _, dup := idx[k]; !dup && k != "" {
			idx[k] = i
		}
	}
	col := func(names ...string) int {
		for _, n := range names {
			if i, ok := idx[n]; ok {
				return i
			}
		}
		return -1
	}
	c := cols{n: len(r.header)}
	var required map[string]int
	switch {
	case col("sr_number") >= 0:
		r.schema = SchemaCurrent
		c.number, c.typ, c.code = col("sr_number"), col("sr_type"), col("sr_short_code")
		c.ownerDept, c.status, c.origin = col("owner_department"), col("status"), col("origin")
		c.created, c.modified, c.closed = col("created_date"), col("last_modified_date"), col("closed_date")
		c.address, c.zip = col("street_address"), col("zip_code", "zip")
		c.streetNumber, c.streetDir = col("street_number"), col("street_direction")
		c.streetName, c.streetType = col("street_name"), col("street_type")
		c.duplicate, c.legacyRecord = col("duplicate"), col("legacy_record")
		c.legacySR, c.parent = col("legacy_sr_number"), col("parent_sr_number")
		c.ward, c.district, c.sector = col("ward"), col("police_district"), col("police_sector")
		c.beat, c.community = col("police_beat"), col("community_area")
		c.x, c.y, c.lat, c.lon = col("x_coordinate"), col("y_coordinate"), col("latitude"), col("longitude")
		required = map[string]int{"sr_number": c.number, "sr_type": c.typ, "status": c.status, "created_date": c.created}
	case col("service_request_number") >= 0:
		r.schema = SchemaLegacy
		c.number, c.typ, c.status = col("service_request_number"), col("type_of_service_request"), col("status")
		c.created, c.closed = col("creation_date"), col("completion_date")
		c.address, c.zip = col("street_address"), col("zip_code", "zip")
		c.ward, c.district, c.community = col("ward"), col("police_district"), col("community_area")
		c.x, c.y, c.lat, c.lon = col("x_coordinate"), col("y_coordinate"), col("latitude"), col("longitude")
		c.code, c.ownerDept, c.origin, c.modified = -1, -1, -1, -1
		c.streetNumber, c.streetDir, c.streetName, c.streetType = -1, -1, -1, -1
		c.duplicate, c.legacyRecord, c.legacySR, c.parent, c.sector, c.beat = -1, -1, -1, -1, -1, -1
		required = map[string]int{"Service Request Number": c.number, "Type of Service Request": c.typ,
			"Status": c.status, "Creation Date": c.created}
		known := map[int]bool{}
		for _, i := range []int{c.number, c.typ, c.status, c.created, c.closed, c.address, c.zip,
			c.ward, c.district, c.community, c.x, c.y, c.lat, c.lon, col("location")} {
			known[i] = true
		}
		for i, k := range keys {
			if !known[i] && k != "" && idx[k] == i {
				c.attrs = append(c.attrs, attrCol{i: i, key: k})
			}
		}
	default:
		return data.Invalid("header", "not a Chicago 311 export: no sr_number (current schema) or Service Request Number (legacy schema) column")
	}
	for name, i := range required {
		if i < 0 {
			return data.Invalid("header", "%s schema without the required column %q", r.schema, name)
		}
	}
	r.c = c
	return nil
}

// Next returns the next request, io.EOF at the end, or a *RowError for a bad
// row (call Next again to continue). Any other error is fatal (the underlying
// reader failed).
func (r *Reader) Next() (*data.Request, error) {
	rec, line, err := r.csv.read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) { // line is pe.StartLine
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil, &RowError{Line: line, Err: data.Invalid("", "row has %d fields, the header has %d", len(rec), r.c.n)}
			}
			return nil, &RowError{Line: line, Err: data.Invalid("", "malformed CSV: %v", pe.Err)}
		}
		return nil, fmt.Errorf("chicago311: read: %w", err)
	}
	req, col, err := r.build(rec)
	if err != nil {
		name := data.ErrorField(err)
		if col >= 0 {
			name = r.header[col]
		}
		return nil, &RowError{Line: line, Column: name, Err: err}
	}
	return req, nil
}

// name returns the header name of column i as given, or def if the column
// is absent.
func (r *Reader) name(i int, def string) string {
	if i < 0 {
		return def
	}
	return r.header[i]
}

func get(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// build maps one record; on error it returns the index of the column at fault.
func (r *Reader) build(rec []string) (*data.Request, int, error) {
	c := &r.c
	legacy := r.schema == SchemaLegacy
	if len(r.reqSlab) == 0 {
		r.reqSlab = make([]data.Request, slabSize)
	}
	req := &r.reqSlab[0]
	r.reqSlab = r.reqSlab[1:]
	*req = data.Request{
		Jurisdiction: Jurisdiction,
		Kind:         data.KindServiceRequest,
		Legacy:       legacy,
		Origin:       data.OriginImport,
	}
	if req.Number = get(rec, c.number); req.Number == "" {
		return nil, c.number, data.Invalid(r.name(c.number, "sr_number"), "missing service request number")
	}
	req.ServiceName = get(rec, c.typ)
	if req.ServiceName == "" {
		return nil, c.typ, data.Invalid(r.name(c.typ, "sr_type"), "missing service request type")
	}
	if legacy {
		lt := r.lastLegacy
		if req.ServiceName != r.lastType || lt == nil {
			lt = r.legacyTypes[fold(req.ServiceName)]
			r.lastType, r.lastLegacy = req.ServiceName, lt
		}
		if lt == nil {
			return nil, c.typ, data.Invalid(r.name(c.typ, "sr_type"), "unknown legacy service request type %q", req.ServiceName)
		}
		req.ServiceCode, req.Department = lt.Code, lt.Department
	} else {
		req.ServiceCode = get(rec, c.code)
		req.Department = get(rec, c.ownerDept)
		if req.ServiceCode == "" {
			for i := range LegacyTypes {
				if fold(LegacyTypes[i].Current) == fold(req.ServiceName) {
					req.ServiceCode = LegacyTypes[i].Code
					break
				}
			}
			if req.ServiceCode == "" {
				return nil, c.code, data.Invalid(r.name(c.typ, "sr_type"), "no sr_short_code and no known code for type %q", req.ServiceName)
			}
		}
		if o := get(rec, c.origin); o == r.lastOrigin && r.lastOriginV != "" {
			req.Origin = r.lastOriginV
		} else {
			req.Origin = Origin(o)
			r.lastOrigin, r.lastOriginV = o, req.Origin
		}
	}

	status := get(rec, c.status)
	st, dup, ok := parseStatus(status)
	if !ok {
		return nil, c.status, data.Invalid(r.name(c.status, "status"), "unknown status %q (Open, Completed, Canceled, optionally \" - Dup\")", status)
	}
	req.State, req.Duplicate = st, dup
	if len(status) >= 6 && strings.EqualFold(status[:6], "cancel") {
		req.Disposition = "Canceled"
	}

	// Times.
	s := get(rec, c.created)
	t, ok := r.created.parse(s)
	if !ok {
		return nil, c.created, data.Invalid(r.name(c.created, "created_date"), "missing or unparsable date %q", s)
	}
	req.RequestedAt = t
	if s = get(rec, c.closed); s != "" {
		if t, ok = r.closed.parse(s); !ok {
			return nil, c.closed, data.Invalid(r.name(c.closed, "closed_date"), "unparsable date %q", s)
		}
		req.ClosedAt = t
	}
	req.UpdatedAt = req.RequestedAt
	if !req.ClosedAt.IsZero() && req.ClosedAt.After(req.UpdatedAt) {
		req.UpdatedAt = req.ClosedAt
	}
	if s = get(rec, c.modified); s != "" {
		if t, ok = r.modified.parse(s); !ok {
			return nil, c.modified, data.Invalid(r.name(c.modified, "last_modified_date"), "unparsable date %q", s)
		}
		req.UpdatedAt = t
	}
	if req.State == data.StateClosed {
		req.CompletedAt = req.ClosedAt
	}

	// Flags.
	if c.duplicate >= 0 {
		b, ok := parseBool(get(rec, c.duplicate))
		if !ok {
			return nil, c.duplicate, data.Invalid(r.name(c.duplicate, "duplicate"), "not a boolean: %q", get(rec, c.duplicate))
		}
		req.Duplicate = req.Duplicate || b
	}
	if c.legacyRecord >= 0 {
		b, ok := parseBool(get(rec, c.legacyRecord))
		if !ok {
			return nil, c.legacyRecord, data.Invalid(r.name(c.legacyRecord, "legacy_record"), "not a boolean: %q", get(rec, c.legacyRecord))
		}
		req.Legacy = req.Legacy || b
	}
	if p := get(rec, c.parent); p != "" {
		if req.Duplicate {
			req.ParentNumber = p
		} else {
			setAttr(req, "parent_sr_number", p)
		}
	}
	if v := get(rec, c.legacySR); v != "" {
		setAttr(req, "legacy_sr_number", v)
	}

	// Address.
	req.Address = get(rec, c.address)
	if req.Address == "" && c.streetName >= 0 {
		parts := make([]string, 0, 4)
		for _, i := range []int{c.streetNumber, c.streetDir, c.streetName, c.streetType} {
			if v := get(rec, i); v != "" {
				parts = append(parts, v)
			}
		}
		req.Address = strings.Join(parts, " ")
	}
	req.ZIP = trimDecimalZero(get(rec, c.zip))

	// Location.
	if col, err := r.location(rec, req); err != nil {
		return nil, col, err
	}

	// Recorded areas, in the order of data's well-known layers.
	district := r.areaID(get(rec, c.district), 2)
	beat := r.areaID(get(rec, c.beat), 4)
	sector := get(rec, c.sector)
	if sector != "" {
		sector = trimDecimalZero(sector)
		if len(sector) == 1 && district != "" {
			sector = r.internString(district + sector)
		} else {
			sector = r.areaID(sector, 3)
		}
	}
	ward := r.areaID(get(rec, c.ward), 0)
	community := r.areaID(get(rec, c.community), 0)
	n := 0
	for _, v := range [...]string{beat, sector, district, ward, community} {
		if v != "" {
			n++
		}
	}
	if n > 0 {
		if len(r.areaSlab) < n {
			r.areaSlab = make([]data.AreaRef, 5*slabSize)
		}
		req.RecordedAreas = r.areaSlab[:0:n]
		r.areaSlab = r.areaSlab[n:]
		add := func(l data.Layer, id string) {
			if id != "" {
				req.RecordedAreas = append(req.RecordedAreas, data.AreaRef{Layer: l, ID: id, Generation: RecordedGeneration})
			}
		}
		add(data.LayerBeat, beat)
		add(data.LayerSector, sector)
		add(data.LayerDistrict, district)
		add(data.LayerWard, ward)
		add(data.LayerCommunityArea, community)
	}

	// Legacy type-specific columns.
	for _, a := range c.attrs {
		if v := get(rec, a.i); v != "" {
			setAttr(req, a.key, v)
		}
	}
	return req, -1, nil
}

// location fills Lon/Lat from latitude/longitude, else from the State Plane
// coordinates.
func (r *Reader) location(rec []string, req *data.Request) (int, error) {
	c := &r.c
	latS, lonS := get(rec, c.lat), get(rec, c.lon)
	if latS != "" || lonS != "" {
		if latS == "" {
			return c.lat, data.Invalid(r.name(c.lat, "latitude"), "missing while longitude is given")
		}
		if lonS == "" {
			return c.lon, data.Invalid(r.name(c.lon, "longitude"), "missing while latitude is given")
		}
		lat, err := strconv.ParseFloat(latS, 64)
		if err != nil || math.IsNaN(lat) || lat < -90 || lat > 90 {
			return c.lat, data.Invalid(r.name(c.lat, "latitude"), "%q is not a latitude between -90 and 90", latS)
		}
		lon, err := strconv.ParseFloat(lonS, 64)
		if err != nil || math.IsNaN(lon) || lon < -180 || lon > 180 {
			return c.lon, data.Invalid(r.name(c.lon, "longitude"), "%q is not a longitude between -180 and 180", lonS)
		}
		if lat != 0 || lon != 0 {
			req.Lon, req.Lat = lon, lat
			return -1, nil
		}
	}
	xS, yS := get(rec, c.x), get(rec, c.y)
	if xS == "" && yS == "" {
		return -1, nil
	}
	if xS == "" {
		return c.x, data.Invalid(r.name(c.x, "x_coordinate"), "missing while the y coordinate is given")
	}
	if yS == "" {
		return c.y, data.Invalid(r.name(c.y, "y_coordinate"), "missing while the x coordinate is given")
	}
	x, err := strconv.ParseFloat(xS, 64)
	if err != nil || math.IsNaN(x) || x < 0 || x > 5e6 {
		return c.x, data.Invalid(r.name(c.x, "x_coordinate"), "%q is not a State Plane easting in feet (0 to 5,000,000)", xS)
	}
	y, err := strconv.ParseFloat(yS, 64)
	if err != nil || math.IsNaN(y) || y < 0 || y > 5e6 {
		return c.y, data.Invalid(r.name(c.y, "y_coordinate"), "%q is not a State Plane northing in feet (0 to 5,000,000)", yS)
	}
	if x == 0 && y == 0 { // the portal writes 0,0 for "not geocoded"
		return -1, nil
	}
	req.Lon, req.Lat = StatePlaneToWGS84(x, y)
	return -1, nil
}

// setAttr sets a single-valued attribute.
func setAttr(req *data.Request, k, v string) {
	if req.Attributes == nil {
		req.Attributes = make(map[string][]string, 4)
	}
	req.Attributes[k] = []string{v}
}

// trimDecimalZero drops a ".0" a spreadsheet round trip may add to an integer.
func trimDecimalZero(s string) string {
	if t, ok := strings.CutSuffix(s, ".0"); ok && t != "" && allDigits(t) {
		return t
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// areaID normalises a recorded area id: integers lose a ".0" and are padded
// with zeros to width; other values are kept trimmed. Ids are interned.
func (r *Reader) areaID(s string, width int) string {
	if s == "" {
		return ""
	}
	s = trimDecimalZero(s)
	if width > 0 && allDigits(s) && len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return r.internString(s)
}

func (r *Reader) internString(s string) string {
	if v, ok := r.intern[s]; ok {
		return v
	}
	if len(r.intern) < maxIntern {
		s = strings.Clone(s)
		r.intern[s] = s
	}
	return s
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "false", "f", "0", "no", "n":
		return false, true
	case "true", "t", "1", "yes", "y":
		return true, true
	}
	return false, false
}
