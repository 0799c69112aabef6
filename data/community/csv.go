package community

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// RowError is a bad row of a CSV file: its line (where the row starts; the
// header is line 1), the column at fault ("" for the whole row) and an error
// wrapping data.ErrInvalid whose message says what is wrong.
type RowError struct {
	Line   int
	Column string
	Err    error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns Err, so errors.Is(rowErr, data.ErrInvalid) holds.
func (e RowError) Unwrap() error { return e.Err }

// Field limits, in characters.
const (
	maxNameLen    = 200
	maxAddressLen = 300
	maxNotesLen   = 2000
	maxURLLen     = 500
	maxEmailLen   = 254
	maxPhoneLen   = 40
	maxIDLen      = 40
	maxGroupBeats = 50
)

// table reads a CSV file with a header row.
type table struct {
	what  string // "meetings", "contacts": for messages
	r     *csv.Reader
	cols  map[string]int
	width int
}

// openTable reads the header of a CSV file. Column names are trimmed and
// lower-cased; columns not in known are ignored; every column of required
// must be present.
func openTable(r io.Reader, what string, known, required []string) (*table, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, data.Errorf(data.ErrInvalid, "%s CSV: the file is empty: the first line must name the columns (%s)", what, strings.Join(known, ","))
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, data.Errorf(data.ErrInvalid, "%s CSV: header line: %v", what, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("community: read %s CSV: %w", what, err)
	}
	t := &table{what: what, r: cr, cols: make(map[string]int), width: len(head)}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(known, h) {
			continue
		}
		if _, dup := t.cols[h]; dup {
			return nil, data.Errorf(data.ErrInvalid, "%s CSV: the header names column %q twice", what, h)
		}
		t.cols[h] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, data.Errorf(data.ErrInvalid, "%s CSV: the header lacks the required column(s) %s (columns: %s)",
			what, strings.Join(missing, ", "), strings.Join(known, ","))
	}
	return t, nil
}

func (t *table) has(col string) bool { _, ok := t.cols[col]; return ok }

// next reads the next data row. It returns the row's line and fields, or a
// RowError for a row that is not well-formed CSV or has the wrong number of
// fields, or done at the end. Rows whose every field is blank are skipped.
// err is an I/O error.
func (t *table) next() (line int, rec []string, bad *RowError, done bool, err error) {
	for {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return 0, nil, nil, true, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine, nil, &RowError{Line: pe.StartLine, Err: data.Errorf(data.ErrInvalid, "not valid CSV: %v", pe.Err)}, false, nil
		}
		if err != nil {
			return 0, nil, nil, false, fmt.Errorf("community: read %s CSV: %w", t.what, err)
		}
		line, _ := t.r.FieldPos(0)
		blank := true
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
			blank = blank && rec[i] == ""
		}
		if blank {
			continue
		}
		if len(rec) != t.width {
			return line, nil, &RowError{Line: line, Err: data.Errorf(data.ErrInvalid,
				"the row has %d fields, the header %d (a comma inside a value needs quotes)", len(rec), t.width)}, false, nil
		}
		return line, rec, nil, false, nil
	}
}

// get returns a trimmed field of rec, "" if the column is absent.
func (t *table) get(rec []string, col string) string {
	if i, ok := t.cols[col]; ok {
		return rec[i]
	}
	return ""
}

// rowErrs collects the errors of one row.
type rowErrs struct {
	line int
	errs []RowError
}

func (r *rowErrs) add(col, format string, args ...any) {
	r.errs = append(r.errs, RowError{Line: r.line, Column: col, Err: data.Invalid(col, format, args...)})
}

// text checks a free-text field: valid UTF-8, at most max characters, no
// control characters (line breaks allowed when multiline).
func (r *rowErrs) text(col, s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		r.add(col, "is not valid UTF-8")
		return ""
	}
	if n := utf8.RuneCountInString(s); n > max {
		r.add(col, "is %d characters long, at most %d are allowed", n, max)
		return ""
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && c == '\n') {
			r.add(col, "contains the control character %U", c)
			return ""
		}
	}
	return s
}

// NormalizeID normalises an area id the way boundary loading does
// (geo.NormalizeID): trimmed, a numeric id written with a zero fraction
// ("8.0") loses it, and a numeric id is left-padded with zeros to pad
// digits ("713" -> "0713" with pad 4).
func NormalizeID(id string, pad int) string {
	id = strings.TrimSpace(id)
	if i := strings.IndexByte(id, '.'); i > 0 && allDigits(id[:i]) && strings.Trim(id[i+1:], "0") == "" {
		id = id[:i]
	}
	if pad > 0 && allDigits(id) && len(id) < pad {
		id = strings.Repeat("0", pad-len(id)) + id
	}
	return id
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// areaID normalises and checks an area id of a layer: with a pad width,
// digits and at most that many; otherwise 1-40 printable characters without
// the group separators ; , |.
func (r *rowErrs) areaID(col, raw string, spec *data.LayerSpec) (string, bool) {
	id := NormalizeID(raw, spec.PadID)
	switch {
	case id == "":
		r.add(col, "a %s id is required", spec.Layer)
	case spec.PadID > 0 && !allDigits(id):
		r.add(col, "%q is not a %s id: %s ids are numbers of at most %d digits", clip(raw), spec.Layer, spec.Layer, spec.PadID)
	case spec.PadID > 0 && len(id) > spec.PadID:
		r.add(col, "%q is not a %s id: it has more than %d digits", clip(raw), spec.Layer, spec.PadID)
	case !utf8.ValidString(id) || utf8.RuneCountInString(id) > maxIDLen || strings.ContainsAny(id, ";,|") ||
		strings.ContainsFunc(id, func(c rune) bool { return !unicode.IsPrint(c) }):
		r.add(col, "%q is not a %s id (1-%d printable characters without ; , |)", clip(raw), spec.Layer, maxIDLen)
	default:
		return id, true
	}
	return "", false
}

// coords parses the optional lat and lon fields: both or neither.
func (r *rowErrs) coords(latS, lonS string) (lat, lon float64) {
	if latS == "" && lonS == "" {
		return 0, 0
	}
	if latS == "" || lonS == "" {
		col := "lat"
		if lonS == "" {
			col = "lon"
		}
		r.add(col, "give both lat and lon, or neither")
		return 0, 0
	}
	lat, okLat := r.degrees("lat", latS, 90)
	lon, okLon := r.degrees("lon", lonS, 180)
	if !okLat || !okLon {
		return 0, 0
	}
	if lat == 0 && lon == 0 {
		r.add("lat", "0,0 is not a place in the jurisdiction: leave lat and lon empty when the point is unknown")
		return 0, 0
	}
	return lat, lon
}

func (r *rowErrs) degrees(col, s string, max float64) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		r.add(col, "%q is not a number of degrees", clip(s))
		return 0, false
	}
	if v < -max || v > max {
		r.add(col, "must be between %g and %g, not %s", -max, max, clip(s))
		return 0, false
	}
	return v, true
}

// clip shortens input quoted in a message.
func clip(s string) string {
	const max = 40
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
