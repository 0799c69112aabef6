package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// Reading a request row. A full scan (geo311 serve builds its trends cube
// and tile index from one; exports stream millions of rows) pays this per
// row, so it avoids database/sql's per-column conversions (Scan into *int
// goes through strconv) and encoding/json's reflection: decodeRequest
// reads the driver's values directly (the columns are STRICT, so each has
// one Go type, or nil), the TEXT columns come packed in one value, the instants go through parseTime's fixed-width
// fast path, and the JSON columns through small decoders for exactly the
// flat shapes encodeRequest writes, falling back to encoding/json for
// anything else (escapes, whitespace, non-ASCII that is not valid UTF-8,
// unknown or differently cased keys), so what is read never differs from
// what encoding/json would make of it. Strings decoded from the JSON
// columns share the column's memory instead of being copied.

// Reading a row. mattn/go-sqlite3 hands every TEXT column over as a new Go
// string boxed in an interface (two allocations each); with the 27 TEXT
// columns of a request that, not SQLite, was most of a full scan's cost.
// selectColumns therefore packs every TEXT column into one value, each
// prefixed by its length in bytes ("13,SR25-00000001" ...): one string per
// row, whose substrings become the request's strings. Lengths make the
// packing exact whatever the text holds. A NULL instant packs as empty
// (a stored instant is never empty). The other columns are selected as
// they are.
var (
	packedColumns = []string{
		"number", "jurisdiction", "kind", "service_code", "service_name", "state",
		"description", "address", "address_id", "zip", "areas", "department", "unit", "assigned_to", "origin",
		"requested_at", "updated_at", "accepted_at", "assigned_at", "completed_at", "closed_at",
		"parent_number", "media_url", "attributes", "contact", "recorded_areas", "disposition",
	}
	plainColumns = []string{
		"lon", "lat", "h3", "sla_days", "extension_days", "extensions", "reassignments",
		"duplicate", "duplicate_count", "me_too", "pin_hash", "police", "legacy",
	}
	selectColumns = "SELECT " + packExpr(packedColumns) + ", " + strings.Join(plainColumns, ", ")
	selectRequest = selectColumns + " FROM requests"
	// selectScan is what ScanRequests selects (FROM requests r): the TEXT
	// columns joined by a separator, which SQLite builds at a fraction of
	// the cost of the lengths; a row whose text holds the separator itself
	// is read again by r.id, the last value, with packExpr.
	selectScan = "SELECT " + sepExpr(packedColumns) + ", " + strings.Join(plainColumns, ", ") + ", r.id"
	// selectWidth is how many values a row of selectColumns has.
	selectWidth = 1 + len(plainColumns)
)

// fieldSep separates the fields of sepExpr: the ASCII unit separator.
const fieldSep = 0x1f

// sepExpr is the SQL that joins the TEXT columns cols with fieldSep.
func sepExpr(cols []string) string {
	parts := make([]string, 0, len(cols))
	for _, c := range cols {
		parts = append(parts, nullableEmpty(c))
	}
	return "concat_ws(char(31), " + strings.Join(parts, ", ") + ")"
}

// nullableEmpty makes a NULL optional instant the empty string.
func nullableEmpty(c string) string {
	if strings.HasSuffix(c, "_at") && c != "requested_at" && c != "updated_at" {
		return "coalesce(" + c + ", '')"
	}
	return c
}

// packExpr is the SQL that packs the TEXT columns cols into one value.
func packExpr(cols []string) string {
	parts := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		c = nullableEmpty(c)
		parts = append(parts, "octet_length("+c+") || ','", c)
	}
	return "concat(" + strings.Join(parts, ", ") + ")"
}

// textFields are the values of packedColumns, in order.
type textFields [27]string

// unpackLengths splits a value packed by packExpr of columns into dst (one
// field per column).
func unpackLengths(s string, columns, dst []string) error {
	for k := range dst {
		n, i := 0, 0
		for ; i < len(s) && s[i] != ','; i++ {
			c := s[i] - '0'
			if c > 9 || n > len(s) {
				break
			}
			n = n*10 + int(c)
		}
		if i == 0 || i >= len(s) || s[i] != ',' || n > len(s)-i-1 {
			return fmt.Errorf("malformed packed request row at field %s: %.20q", columns[k], s)
		}
		dst[k] = s[i+1 : i+1+n]
		s = s[i+1+n:]
	}
	if s != "" {
		return fmt.Errorf("packed request row has %d bytes too many", len(s))
	}
	return nil
}

// splitSeparated splits a value packed by sepExpr; false if it does not
// hold exactly one field per column, i.e. some text held the separator.
func splitSeparated(s string, f *textFields) bool {
	for k := range len(f) - 1 {
		i := strings.IndexByte(s, fieldSep)
		if i < 0 {
			return false
		}
		f[k], s = s[:i], s[i+1:]
	}
	if strings.IndexByte(s, fieldSep) >= 0 {
		return false
	}
	f[len(f)-1] = s
	return true
}

// decodeRequest builds a request from the driver values of one row of
// selectColumns.
func decodeRequest(v []driver.Value) (*data.Request, error) {
	if len(v) != selectWidth {
		return nil, fmt.Errorf("request row has %d values, want %d", len(v), selectWidth)
	}
	packed, ok := v[0].(string)
	if !ok {
		return nil, fmt.Errorf("packed request row: unexpected value of type %T", v[0])
	}
	var f textFields
	if err := unpackLengths(packed, packedColumns, f[:]); err != nil {
		return nil, err
	}
	return decodeFields(&f, v)
}

// decodeFields builds a request from its unpacked TEXT columns and the
// other columns, v[1:selectWidth] of a row.
func decodeFields(f *textFields, v []driver.Value) (*data.Request, error) {
	d := valueDecoder{v: v}
	r := &data.Request{
		Number: f[0], Jurisdiction: f[1], Kind: data.Kind(f[2]), ServiceCode: f[3], ServiceName: f[4],
		State: data.State(f[5]), Description: f[6], Address: f[7], AddressID: f[8], ZIP: f[9],
		Department: f[11], Unit: f[12], AssignedTo: f[13], Origin: data.Origin(f[14]),
		ParentNumber: f[21], MediaURL: f[22], Disposition: f[26],
	}
	for i, to := range []*time.Time{&r.RequestedAt, &r.UpdatedAt, &r.AcceptedAt, &r.AssignedAt, &r.CompletedAt, &r.ClosedAt} {
		t := f[15+i]
		if t == "" && i >= 2 {
			continue
		}
		var err error
		if *to, err = parseTime(t); err != nil && d.err == nil {
			d.err = fmt.Errorf("column %s: %w", packedColumns[15+i], err)
		}
	}
	areas, attrs, contact, recorded := f[10], f[23], f[24], f[25]
	r.Lon, r.Lat, r.H3 = d.f64(1), d.f64(2), uint64(d.i64(3))
	r.SLADays, r.ExtensionDays, r.Extensions, r.Reassignments = int(d.i64(4)), int(d.i64(5)), int(d.i64(6)), int(d.i64(7))
	r.Duplicate, r.DuplicateCount, r.MeToo = d.i64(8) == 1, int(d.i64(9)), int(d.i64(10))
	switch p := v[11].(type) {
	case nil:
	case []byte:
		if len(p) > 0 {
			r.PINHash = append([]byte(nil), p...) // the driver may reuse its buffer
		}
	default:
		d.fail(11)
	}
	r.PoliceRelated, r.Legacy = d.i64(12) == 1, d.i64(13) == 1
	if d.err != nil {
		return nil, d.err
	}
	var err error
	if r.Areas, err = decodeAreas(areas); err != nil {
		return nil, fmt.Errorf("request %s: areas: %w", r.Number, err)
	}
	if r.RecordedAreas, err = decodeAreas(recorded); err != nil {
		return nil, fmt.Errorf("request %s: recorded areas: %w", r.Number, err)
	}
	if r.Attributes, err = decodeAttributes(attrs); err != nil {
		return nil, fmt.Errorf("request %s: attributes: %w", r.Number, err)
	}
	if r.Contact, err = decodeContact(contact); err != nil {
		return nil, fmt.Errorf("request %s: contact: %w", r.Number, err)
	}
	return r, nil
}

// valueDecoder reads typed driver values, keeping the first error.
type valueDecoder struct {
	v   []driver.Value
	err error
}

func (d *valueDecoder) fail(i int) {
	if d.err == nil {
		d.err = fmt.Errorf("column %s: unexpected stored value of type %T", plainColumns[i-1], d.v[i])
	}
}

func (d *valueDecoder) i64(i int) int64 {
	switch x := d.v[i].(type) {
	case int64:
		return x
	case nil:
		return 0
	}
	d.fail(i)
	return 0
}

func (d *valueDecoder) f64(i int) float64 {
	switch x := d.v[i].(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	d.fail(i)
	return 0
}

// jsonLex reads the compact JSON json.Marshal writes for ordinary text:
// no whitespace, strings without escapes or control characters. Anything
// else makes the fast decoders give up and leave the text to
// encoding/json, as does non-ASCII text that is not valid UTF-8 (see ok).
type jsonLex struct {
	s        string
	pos      int
	nonASCII bool
}

// eat consumes c if it is next.
func (l *jsonLex) eat(c byte) bool {
	if l.pos < len(l.s) && l.s[l.pos] == c {
		l.pos++
		return true
	}
	return false
}

// str reads a string without escapes, sharing l.s's memory.
func (l *jsonLex) str() (string, bool) {
	if !l.eat('"') {
		return "", false
	}
	for i := l.pos; i < len(l.s); i++ {
		switch c := l.s[i]; {
		case c == '"':
			v := l.s[l.pos:i]
			l.pos = i + 1
			return v, true
		case c < 0x20 || c == '\\':
			return "", false
		case c >= utf8.RuneSelf:
			l.nonASCII = true
		}
	}
	return "", false
}

// ok reports whether the whole text was read and is valid UTF-8.
func (l *jsonLex) ok() bool {
	return l.pos == len(l.s) && (!l.nonASCII || utf8.ValidString(l.s))
}

// decodeAreas reads the JSON array of area references encodeAreas writes;
// "[]" is nil.
func decodeAreas(s string) ([]data.AreaRef, error) {
	if s == "[]" {
		return nil, nil
	}
	if as, ok := fastAreas(s); ok {
		return as, nil
	}
	var as []data.AreaRef
	if err := json.Unmarshal([]byte(s), &as); err != nil {
		return nil, err
	}
	return as, nil
}

func fastAreas(s string) ([]data.AreaRef, bool) {
	l := jsonLex{s: s}
	if !l.eat('[') {
		return nil, false
	}
	out := make([]data.AreaRef, 0, 4)
	for {
		var a data.AreaRef
		if !l.eat('{') {
			return nil, false
		}
		if !l.eat('}') {
			for {
				k, ok := l.str()
				if !ok || !l.eat(':') {
					return nil, false
				}
				v, ok := l.str()
				if !ok {
					return nil, false
				}
				switch k {
				case "layer":
					a.Layer = data.Layer(v)
				case "id":
					a.ID = v
				case "name":
					a.Name = v
				case "generation":
					a.Generation = v
				default:
					return nil, false
				}
				if !l.eat(',') {
					break
				}
			}
			if !l.eat('}') {
				return nil, false
			}
		}
		out = append(out, a)
		if !l.eat(',') {
			break
		}
	}
	return out, l.eat(']') && l.ok()
}

// decodeAttributes reads the JSON object of attribute values; "{}" is nil.
func decodeAttributes(s string) (map[string][]string, error) {
	if s == "{}" {
		return nil, nil
	}
	if m, ok := fastAttributes(s); ok {
		return m, nil
	}
	var m map[string][]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func fastAttributes(s string) (map[string][]string, bool) {
	l := jsonLex{s: s}
	if !l.eat('{') {
		return nil, false
	}
	m := make(map[string][]string)
	if l.eat('}') {
		return m, l.ok()
	}
	for {
		k, ok := l.str()
		if !ok || !l.eat(':') || !l.eat('[') {
			return nil, false
		}
		vs := []string{}
		if !l.eat(']') {
			for {
				v, ok := l.str()
				if !ok {
					return nil, false
				}
				vs = append(vs, v)
				if !l.eat(',') {
					break
				}
			}
			if !l.eat(']') {
				return nil, false
			}
		}
		m[k] = vs
		if !l.eat(',') {
			break
		}
	}
	return m, l.eat('}') && l.ok()
}

// decodeContact reads the JSON object of contact fields; "{}" is empty.
func decodeContact(s string) (data.Contact, error) {
	var c data.Contact
	if s == "{}" {
		return c, nil
	}
	if c, ok := fastContact(s); ok {
		return c, nil
	}
	err := json.Unmarshal([]byte(s), &c)
	return c, err
}

func fastContact(s string) (c data.Contact, ok bool) {
	l := jsonLex{s: s}
	if !l.eat('{') {
		return c, false
	}
	if l.eat('}') {
		return c, l.ok()
	}
	for {
		k, ok := l.str()
		if !ok || !l.eat(':') {
			return c, false
		}
		v, ok := l.str()
		if !ok {
			return c, false
		}
		switch k {
		case "first_name":
			c.FirstName = v
		case "last_name":
			c.LastName = v
		case "email":
			c.Email = v
		case "phone":
			c.Phone = v
		case "device_id":
			c.DeviceID = v
		case "account_id":
			c.AccountID = v
		default:
			return c, false
		}
		if !l.eat(',') {
			break
		}
	}
	return c, l.eat('}') && l.ok()
}
