package export

import (
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// value kinds of a text row.
const (
	vNull = iota
	vString
	vInt
	vBool
	vFloat
	vRaw // s holds a ready-made text (times, H3 hex)
)

// tv is one value of a row of a text format.
type tv struct {
	kind int
	s    string
	i    int64
	f    float64
}

func str(s string) tv {
	if s == "" {
		return tv{}
	}
	return tv{kind: vString, s: s}
}

// TimeLayout is how CSV and GeoJSON write instants: RFC 3339 in UTC with up
// to microseconds, like the Arrow columns.
const TimeLayout = "2006-01-02T15:04:05.999999Z07:00"

func timeValue(t time.Time) tv {
	if t.IsZero() {
		return tv{}
	}
	return tv{kind: vRaw, s: t.UTC().Truncate(time.Microsecond).Format(TimeLayout)}
}

func boolValue(b bool) tv {
	if b {
		return tv{kind: vBool, i: 1}
	}
	return tv{kind: vBool}
}

// cellText writes an H3 index the way H3 prints it (lower-case hex); JSON
// numbers cannot hold 64 bits exactly.
func cellText(c uint64) tv {
	if c == 0 {
		return tv{}
	}
	return tv{kind: vRaw, s: strconv.FormatUint(c, 16)}
}

// requestValues appends r's values in Columns order, without geometry.
func requestValues(dst []tv, r *data.ExportRow) []tv {
	dst = append(dst, str(r.Number), str(string(r.Kind)), str(r.ServiceCode), str(r.ServiceName),
		str(status(r.State)), str(string(r.State)), str(r.Department), str(r.Unit), str(string(r.Origin)))
	for _, v := range r.Areas {
		dst = append(dst, str(v))
	}
	dst = append(dst, timeValue(r.RequestedAt), timeValue(r.UpdatedAt), timeValue(r.ClosedAt),
		boolValue(r.Duplicate), str(r.ParentNumber), tv{kind: vInt, i: int64(r.DuplicateCount)},
		tv{kind: vInt, i: int64(r.MeToo)}, boolValue(r.PoliceRelated || r.Kind == data.KindCommunityConcern),
		str(r.Description), str(r.Address), str(r.ZIP), cellText(r.H3))
	if validLonLat(r.Lon, r.Lat) {
		dst = append(dst, tv{kind: vFloat, f: r.Lon}, tv{kind: vFloat, f: r.Lat})
	} else {
		dst = append(dst, tv{}, tv{})
	}
	return dst
}

func (v tv) text() string {
	switch v.kind {
	case vString, vRaw:
		return v.s
	case vInt:
		return strconv.FormatInt(v.i, 10)
	case vBool:
		if v.i != 0 {
			return "true"
		}
		return "false"
	case vFloat:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	}
	return ""
}

func (v tv) appendJSON(b []byte) []byte {
	switch v.kind {
	case vString, vRaw:
		return appendJSONString(b, v.s)
	case vInt:
		return strconv.AppendInt(b, v.i, 10)
	case vBool:
		return strconv.AppendBool(b, v.i != 0)
	case vFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v.f, 'f', -1, 64)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: invalid UTF-8 becomes U+FFFD,
// control characters and U+2028/U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// textRequestWriter writes CSV or GeoJSON text sequences, one row at a time.
type textRequestWriter struct {
	s      *settings
	f      Format
	out    *output
	csv    *csv.Writer
	cols   []string
	vals   []tv
	rec    []string
	row    data.ExportRow // Write's request as a row
	buf    []byte
	stats  Stats
	bb     bbox
	err    error
	closed bool
}

func newTextRequestWriter(out *output, f Format, s *settings) (*textRequestWriter, error) {
	cols, err := Columns(s.Options, FormatCSV)
	if err != nil {
		return nil, err
	}
	w := &textRequestWriter{s: s, f: f, out: out, cols: cols}
	if f == FormatCSV {
		w.csv = csv.NewWriter(out)
		w.csv.UseCRLF = true
		w.rec = make([]string, len(cols))
		if err := w.csv.Write(cols); err != nil {
			return nil, fmt.Errorf("export: csv: %w", err)
		}
	}
	return w, nil
}

func (w *textRequestWriter) Write(r *data.Request) error {
	if r == nil {
		return data.Invalid("request", "nil request")
	}
	w.row.SetRequest(r, w.s.layers)
	return w.WriteRow(&w.row)
}

func (w *textRequestWriter) Layers() []data.Layer { return w.s.layers }

func (w *textRequestWriter) WriteRow(r *data.ExportRow) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errClosed
	}
	if err := checkRow(r, w.s.layers); err != nil {
		return err
	}
	if w.s.police(r) {
		w.stats.Skipped++
		return nil
	}
	w.vals = requestValues(w.vals[:0], r)
	valid := validLonLat(r.Lon, r.Lat)
	if valid {
		w.bb.add(r.Lon, r.Lat)
	}
	var err error
	if w.f == FormatCSV {
		for i, v := range w.vals {
			w.rec[i] = v.text()
		}
		err = w.csv.Write(w.rec)
	} else {
		b := append(w.buf[:0], 0x1e)
		b = append(b, `{"type":"Feature","id":`...)
		b = appendJSONString(b, r.Number)
		b = append(b, `,"geometry":`...)
		if valid {
			b = append(b, `{"type":"Point","coordinates":[`...)
			b = strconv.AppendFloat(b, r.Lon, 'f', -1, 64)
			b = append(b, ',')
			b = strconv.AppendFloat(b, r.Lat, 'f', -1, 64)
			b = append(b, "]}"...)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"properties":{`...)
		// lon and lat are the geometry's; the properties stop before them.
		for i, v := range w.vals[:len(w.vals)-2] {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, w.cols[i])
			b = append(b, ':')
			b = v.appendJSON(b)
		}
		b = append(b, "}}\n"...)
		w.buf = b
		_, err = w.out.Write(b)
	}
	if err != nil {
		w.err = fmt.Errorf("export: %s: %w", w.f, err)
		return w.err
	}
	w.stats.Rows++
	return nil
}

func (w *textRequestWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			w.err = fmt.Errorf("export: csv: %w", err)
			return w.err
		}
	}
	if err := w.out.flush(); err != nil {
		w.err = fmt.Errorf("export: %s: %w", w.f, err)
	}
	return w.err
}

func (w *textRequestWriter) Stats() Stats {
	st := w.stats
	st.Bytes = w.out.bytes()
	st.BBox, st.HasBBox = w.bb.b, w.bb.set
	return st
}
