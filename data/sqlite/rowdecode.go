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
// one Go type, or nil), the instants go through parseTime's fixed-width
// fast path, and the JSON columns through small decoders for exactly the
// flat shapes encodeRequest writes, falling back to encoding/json for
// anything else (escapes, whitespace, non-ASCII that is not valid UTF-8,
// unknown or differently cased keys), so what is read never differs from
// what encoding/json would make of it. Strings decoded from the JSON
// columns share the column's memory instead of being copied.

// decodeRequest builds a request from the driver values of one row of
// selectColumns (requestColumns order).
func decodeRequest(v []driver.Value) (*data.Request, error) {
	if len(v) != len(requestColumns) {
		return nil, fmt.Errorf("request row has %d columns, want %d", len(v), len(requestColumns))
	}
	d := valueDecoder{v: v}
	r := &data.Request{
		Number:         d.str(0),
		Jurisdiction:   d.str(1),
		Kind:           data.Kind(d.str(2)),
		ServiceCode:    d.str(3),
		ServiceName:    d.str(4),
		State:          data.State(d.str(5)),
		Description:    d.str(7),
		Lon:            d.f64(8),
		Lat:            d.f64(9),
		Address:        d.str(10),
		AddressID:      d.str(11),
		ZIP:            d.str(12),
		H3:             uint64(d.i64(13)),
		Department:     d.str(15),
		Unit:           d.str(16),
		AssignedTo:     d.str(17),
		Origin:         data.Origin(d.str(18)),
		RequestedAt:    d.instant(19),
		UpdatedAt:      d.instant(20),
		AcceptedAt:     d.instant(21),
		AssignedAt:     d.instant(22),
		CompletedAt:    d.instant(23),
		ClosedAt:       d.instant(24),
		SLADays:        int(d.i64(25)),
		ExtensionDays:  int(d.i64(26)),
		Extensions:     int(d.i64(27)),
		Reassignments:  int(d.i64(28)),
		Duplicate:      d.i64(29) == 1,
		ParentNumber:   d.str(30),
		DuplicateCount: int(d.i64(31)),
		MeToo:          int(d.i64(32)),
		MediaURL:       d.str(33),
		PoliceRelated:  d.i64(37) == 1,
		Legacy:         d.i64(38) == 1,
		Disposition:    d.str(40),
	}
	d.i64(6) // closed: derived from state, checked for its type only
	switch p := v[36].(type) {
	case nil:
	case []byte:
		if len(p) > 0 {
			r.PINHash = append([]byte(nil), p...) // the driver may reuse its buffer
		}
	default:
		d.fail(36)
	}
	if d.err != nil {
		return nil, d.err
	}
	var err error
	if r.Areas, err = decodeAreas(d.str(14)); err != nil {
		return nil, fmt.Errorf("request %s: areas: %w", r.Number, err)
	}
	if r.RecordedAreas, err = decodeAreas(d.str(39)); err != nil {
		return nil, fmt.Errorf("request %s: recorded areas: %w", r.Number, err)
	}
	if r.Attributes, err = decodeAttributes(d.str(34)); err != nil {
		return nil, fmt.Errorf("request %s: attributes: %w", r.Number, err)
	}
	if r.Contact, err = decodeContact(d.str(35)); err != nil {
		return nil, fmt.Errorf("request %s: contact: %w", r.Number, err)
	}
	return r, d.err
}

// valueDecoder reads typed driver values, keeping the first error.
type valueDecoder struct {
	v   []driver.Value
	err error
}

func (d *valueDecoder) fail(i int) {
	if d.err == nil {
		d.err = fmt.Errorf("column %s: unexpected stored value of type %T", requestColumns[i], d.v[i])
	}
}

func (d *valueDecoder) str(i int) string {
	switch x := d.v[i].(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	d.fail(i)
	return ""
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

// time reads an instant column; NULL is the zero time.
func (d *valueDecoder) instant(i int) (t time.Time) {
	switch x := d.v[i].(type) {
	case nil:
		return t
	case string:
		t, err := parseTime(x)
		if err != nil && d.err == nil {
			d.err = fmt.Errorf("column %s: %w", requestColumns[i], err)
		}
		return t
	}
	d.fail(i)
	return t
}

// plainJSON reports whether s can take the fast decoders: no escapes, no
// control characters (so no whitespace either) and valid UTF-8, exactly
// what json.Marshal writes for ordinary text.
func plainJSON(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}

// jsonLex reads the compact JSON of plainJSON text.
type jsonLex struct {
	s   string
	pos int
}

// eat consumes c if it is next.
func (l *jsonLex) eat(c byte) bool {
	if l.pos < len(l.s) && l.s[l.pos] == c {
		l.pos++
		return true
	}
	return false
}

// str reads a string (plainJSON text has no escapes), sharing l.s's memory.
func (l *jsonLex) str() (string, bool) {
	if !l.eat('"') {
		return "", false
	}
	n := strings.IndexByte(l.s[l.pos:], '"')
	if n < 0 {
		return "", false
	}
	v := l.s[l.pos : l.pos+n]
	l.pos += n + 1
	return v, true
}

func (l *jsonLex) done() bool { return l.pos == len(l.s) }

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
	if !plainJSON(s) {
		return nil, false
	}
	l := jsonLex{s: s}
	if !l.eat('[') {
		return nil, false
	}
	out := make([]data.AreaRef, 0, strings.Count(s, "},{")+1)
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
	return out, l.eat(']') && l.done()
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
	if !plainJSON(s) {
		return nil, false
	}
	l := jsonLex{s: s}
	if !l.eat('{') {
		return nil, false
	}
	m := make(map[string][]string, strings.Count(s, "],")+1)
	if l.eat('}') {
		return m, l.done()
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
	return m, l.eat('}') && l.done()
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
	if !plainJSON(s) {
		return c, false
	}
	l := jsonLex{s: s}
	if !l.eat('{') {
		return c, false
	}
	if l.eat('}') {
		return c, l.done()
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
	return c, l.eat('}') && l.done()
}
