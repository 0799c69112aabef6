package postgis

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// The binary COPY encoder of imports. It writes the values encodeRequest
// gives pgx, column for column (writeColumns), straight into the COPY
// stream: pgx's CopyFrom boxes every value in an interface and looks its
// codec up, which cost more Go time per row than the server spent storing
// it (BenchmarkImportSeq). TestCopyEncoding checks both give the same rows.

// copyHeader starts a binary COPY stream: signature, flags, no extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyEpochMicros is 2000-01-01 00:00:00 UTC in microseconds since 1970.
const copyEpochMicros = 946684800 * 1_000_000

// copyFlush is how many bytes copyReader encodes ahead of a Read.
const copyFlush = 64 << 10

// copyReader encodes rs as a binary COPY stream as it is read, so encoding
// overlaps the server's parsing of what was sent before.
type copyReader struct {
	rs   []*data.Request
	i    int
	buf  []byte
	off  int
	err  error // the request that could not be encoded
	done bool
}

func newCopyReader(rs []*data.Request) *copyReader {
	return &copyReader{rs: rs, buf: append(make([]byte, 0, 2*copyFlush), copyHeader...)}
}

func (c *copyReader) Read(p []byte) (int, error) {
	for c.off == len(c.buf) {
		if c.done {
			return 0, io.EOF
		}
		c.buf, c.off = c.buf[:0], 0
		for c.i < len(c.rs) && len(c.buf) < copyFlush {
			b, err := appendCopyRow(c.buf, c.rs[c.i])
			if err != nil {
				c.err = data.Invalid("request", "%s: %v", c.rs[c.i].Number, err)
				return 0, c.err
			}
			c.buf = b
			c.i++
		}
		if c.i == len(c.rs) {
			c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff) // trailer: -1
			c.done = true
		}
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}

// appendCopyRow appends the tuple of r: the values of encodeRequest in
// writeColumns order, in PostgreSQL's binary formats.
func appendCopyRow(b []byte, r *data.Request) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(len(writeColumns)))
	cols := layerColumns(r)
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = r.RequestedAt
	}
	b = copyText(b, r.Number)
	b = copyText(b, r.Jurisdiction)
	b = copyText(b, string(r.Kind))
	b = copyText(b, r.ServiceCode)
	b = copyText(b, r.ServiceName)
	b = copyText(b, string(r.State))
	b = copyText(b, r.Description)
	b = copyFloat8(b, r.Lon)
	b = copyFloat8(b, r.Lat)
	b = binary.BigEndian.AppendUint32(b, 25)
	b = append(b, 1) // EWKB, little endian, as pointEWKB
	b = binary.LittleEndian.AppendUint32(b, 0x20000001)
	b = binary.LittleEndian.AppendUint32(b, srid)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.Lon))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.Lat))
	b = copyText(b, r.Address)
	b = copyText(b, r.AddressID)
	b = copyText(b, r.ZIP)
	b = copyInt8(b, int64(r.H3))
	for _, res := range []int{7, 8} {
		if p, ok := h3Parent(r.H3, res); ok {
			b = copyInt8(b, int64(p))
		} else {
			b = copyNull(b)
		}
	}
	b = copyAreas(b, r.Areas)
	if custom := customAreas(r.Areas); len(custom) > 0 {
		at := len(b)
		b = appendAreasJSON(append(b, 0, 0, 0, 0, 1), custom) // jsonb version 1
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	} else {
		b = copyNull(b)
	}
	for _, c := range cols {
		b = copyText(b, c)
	}
	b = copyText(b, r.Department)
	b = copyText(b, r.Unit)
	b = copyText(b, r.AssignedTo)
	b = copyText(b, string(r.Origin))
	b = copyTime(b, r.RequestedAt)
	b = copyTime(b, updated)
	for _, t := range []time.Time{r.AcceptedAt, r.AssignedAt, r.CompletedAt, r.ClosedAt} {
		if t.IsZero() {
			b = copyNull(b)
		} else {
			b = copyTime(b, t)
		}
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"sla_days", r.SLADays}, {"extension_days", r.ExtensionDays}, {"extensions", r.Extensions}, {"reassignments", r.Reassignments}} {
		if v.n < math.MinInt32 || v.n > math.MaxInt32 {
			return nil, fmt.Errorf("%s %d is out of range", v.name, v.n)
		}
		b = copyInt4(b, int32(v.n))
	}
	b = copyBool(b, r.Duplicate)
	b = copyText(b, r.ParentNumber)
	for _, v := range []struct {
		name string
		n    int
	}{{"duplicate_count", r.DuplicateCount}, {"me_too", r.MeToo}} {
		if v.n < math.MinInt32 || v.n > math.MaxInt32 {
			return nil, fmt.Errorf("%s %d is out of range", v.name, v.n)
		}
		b = copyInt4(b, int32(v.n))
	}
	b = copyText(b, r.MediaURL)
	if len(r.Attributes) > 0 {
		at := len(b)
		b = appendAttributesJSON(append(b, 0, 0, 0, 0), r.Attributes)
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	} else {
		b = copyText(b, "{}")
	}
	if !r.Contact.Empty() {
		j, err := json.Marshal(r.Contact)
		if err != nil {
			return nil, err
		}
		b = copyJSONText(b, j)
	} else {
		b = copyText(b, "{}")
	}
	if len(r.PINHash) > 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(len(r.PINHash)))
		b = append(b, r.PINHash...)
	} else {
		b = copyNull(b)
	}
	b = copyBool(b, r.PoliceRelated)
	b = copyBool(b, r.Legacy)
	b = copyAreas(b, r.RecordedAreas)
	b = copyText(b, r.Disposition)
	return b, nil
}

func copyNull(b []byte) []byte { return binary.BigEndian.AppendUint32(b, 0xffffffff) }

func copyText(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func copyFloat8(b []byte, f float64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func copyInt8(b []byte, v int64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func copyInt4(b []byte, v int32) []byte {
	b = binary.BigEndian.AppendUint32(b, 4)
	return binary.BigEndian.AppendUint32(b, uint32(v))
}

func copyBool(b []byte, v bool) []byte {
	b = binary.BigEndian.AppendUint32(b, 1)
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// copyTime writes a timestamptz: microseconds since 2000-01-01 UTC, the
// sub-microsecond part dropped as pgx does.
func copyTime(b []byte, t time.Time) []byte {
	us := t.Unix()*1_000_000 + int64(t.Nanosecond())/1000 - copyEpochMicros
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(us))
}

// copyJSONText writes JSON into a text column.
func copyJSONText(b, j []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(j)))
	return append(b, j...)
}

// copyAreas writes area references into a text column as the JSON array
// encodeAreas makes.
func copyAreas(b []byte, as []data.AreaRef) []byte {
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	b = appendAreasJSON(b, as)
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// appendAreasJSON appends area references as the JSON array encodeAreas
// makes.
func appendAreasJSON(b []byte, as []data.AreaRef) []byte {
	b = append(b, '[')
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"layer":`...)
		b = appendJSONString(b, string(a.Layer))
		b = append(b, `,"id":`...)
		b = appendJSONString(b, a.ID)
		if a.Name != "" {
			b = append(b, `,"name":`...)
			b = appendJSONString(b, a.Name)
		}
		b = append(b, `,"generation":`...)
		b = appendJSONString(b, a.Generation)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendAttributesJSON appends attrs as json.Marshal writes it: keys in
// sorted order, a nil list as null.
func appendAttributesJSON(b []byte, attrs map[string][]string) []byte {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		vs := attrs[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Printable ASCII without
// quotes or backslashes (area ids, layers, generations) is copied; anything
// else goes through encoding/json, as encodeAreas would.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always marshals
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
