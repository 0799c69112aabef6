package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/geo311/geo311/cmd/geo311/internal/apierr"
	"github.com/geo311/geo311/data"
)

// CSV column names recognised in the header (case-insensitive, trimmed).
var (
	latNames  = []string{"lat", "latitude"}
	lonNames  = []string{"lon", "lng", "long", "longitude"}
	timeNames = []string{"time", "date", "requested_datetime", "created_date", "creation date"}
	codeNames = []string{"service_code"}
)

// CSV columns added after the area columns.
const (
	colDepartment = "department"
	colUnit       = "unit"
	colErrCode    = "error_code"
	colErrField   = "error_field"
	colErr        = "error"
)

// CSVColumns returns the columns RouteCSV adds, in order.
func CSVColumns(layers []data.Layer) []string {
	cols := make([]string, 0, len(layers)+5)
	for _, l := range layers {
		cols = append(cols, string(l))
	}
	return append(cols, colDepartment, colUnit, colErrCode, colErrField, colErr)
}

type csvRow struct {
	fields []string
	line   int
	err    error // the row could not be parsed as CSV
}

type csvLayout struct {
	lat, lon, time, code int   // input columns; time and code -1 if absent
	width                int   // output width
	added                []int // output index of each added column (CSVColumns order)
	layers               []data.Layer
}

func findColumn(header []string, names []string) int {
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		for _, n := range names {
			if h == n {
				return i
			}
		}
	}
	return -1
}

// RouteCSV routes every row of a CSV file with a header naming at least a
// latitude (lat, latitude) and a longitude (lon, lng, long, longitude)
// column, and optionally time (time, date, requested_datetime, created_date,
// creation date) and service_code. It writes the input rows with the columns
// of CSVColumns added: an input column of the same name is replaced in place,
// others are appended. A header without coordinates is an ErrInvalid error
// returned before anything is written.
func RouteCSV(ctx context.Context, r io.Reader, w io.Writer, o Options) (Stats, error) {
	o.normalise()
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return Stats{}, data.Invalid("csv", "empty input: expected a header row with lat and lon columns")
		case errors.As(err, &pe):
			return Stats{}, data.Invalid("csv", "header: %v", pe.Err)
		}
		return Stats{}, err
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	lay := csvLayout{
		lat: findColumn(header, latNames), lon: findColumn(header, lonNames),
		time: findColumn(header, timeNames), code: findColumn(header, codeNames),
		layers: o.Layers,
	}
	if lay.lat < 0 {
		return Stats{}, data.Invalid("lat", "the CSV header has no latitude column (lat or latitude)")
	}
	if lay.lon < 0 {
		return Stats{}, data.Invalid("lon", "the CSV header has no longitude column (lon, lng, long or longitude)")
	}
	outHeader := append([]string(nil), header...)
	for _, c := range CSVColumns(o.Layers) {
		i := -1
		for j, h := range header {
			if h == c {
				i = j
			}
		}
		if i < 0 {
			i = len(outHeader)
			outHeader = append(outHeader, c)
		}
		lay.added = append(lay.added, i)
	}
	lay.width = len(outHeader)

	decode := func(emit func(csvRow) error) error {
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			var pe *csv.ParseError
			if err != nil && !errors.As(err, &pe) {
				return err
			}
			row := csvRow{fields: rec}
			if pe != nil {
				row.line = pe.StartLine
				row.err = data.Invalid("csv", "line %d: %v", pe.StartLine, pe.Err)
			} else {
				row.line, _ = cr.FieldPos(0)
			}
			if err := emit(row); err != nil {
				return err
			}
		}
	}
	process := func(in []csvRow, out []byte, st *Stats) []byte {
		buf := bytes.NewBuffer(out)
		cw := csv.NewWriter(buf)
		rec := make([]string, lay.width)
		var tc timeCache
		for _, row := range in {
			st.Rows++
			clear(rec)
			copy(rec, row.fields)
			err := row.err
			var rt data.Routing
			if err == nil {
				rt, err = routeCSVRow(&o, &lay, row.fields, &tc)
			}
			lay.fill(rec, &rt, err)
			if err != nil {
				st.Failed++
			} else {
				st.Routed++
			}
			cw.Write(rec)
		}
		cw.Flush()
		return buf.Bytes()
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	begin := func(io.Writer) error {
		cw := csv.NewWriter(bw)
		cw.Write(outHeader)
		cw.Flush()
		return cw.Error()
	}
	res := pipeline(ctx, &o, bw, decode, process, begin, nil)
	if res.writeErr != nil {
		return res.stats, res.writeErr
	}
	if res.decodeErr != nil {
		if !res.started {
			return res.stats, inputError("csv", res.decodeErr)
		}
		rec := make([]string, lay.width)
		lay.fill(rec, &data.Routing{}, inputError("csv", res.decodeErr))
		rec[lay.added[len(lay.added)-1]] = "batch stopped: " + rec[lay.added[len(lay.added)-1]]
		cw := csv.NewWriter(bw)
		cw.Write(rec)
		cw.Flush()
		if err := bw.Flush(); err != nil {
			return res.stats, err
		}
		return res.stats, res.decodeErr
	}
	return res.stats, bw.Flush()
}

// inputError turns a failure to read the input into a caller error, keeping
// kinds (a too large body) and hiding nothing the caller needs.
func inputError(field string, err error) error {
	if _, _, known := apierr.Classify(err); known {
		return err
	}
	return data.Invalid(field, "reading input: %v", err)
}

func routeCSVRow(o *Options, lay *csvLayout, f []string, tc *timeCache) (data.Routing, error) {
	get := func(i int) string {
		if i >= 0 && i < len(f) {
			return f[i]
		}
		return ""
	}
	lat, err := parseCoord("lat", get(lay.lat))
	if err != nil {
		return data.Routing{}, err
	}
	lon, err := parseCoord("lon", get(lay.lon))
	if err != nil {
		return data.Routing{}, err
	}
	if err := CheckPoint(lat, lon); err != nil {
		return data.Routing{}, err
	}
	at := o.DefaultTime
	if s := strings.TrimSpace(get(lay.time)); s != "" {
		if at, err = tc.parse("time", s, o.Location); err != nil {
			return data.Routing{}, err
		}
	}
	code := strings.TrimSpace(get(lay.code))
	if code == "" {
		code = o.DefaultServiceCode
	}
	return o.Route(lon, lat, at, code)
}

// fill writes the added columns of one output row.
func (lay *csvLayout) fill(rec []string, rt *data.Routing, err error) {
	for i, l := range lay.layers {
		v := ""
		if a, ok := rt.Area(l); ok && err == nil {
			v = a.ID
		}
		rec[lay.added[i]] = v
	}
	n := len(lay.layers)
	if err != nil {
		d := apierr.DetailOf(err)
		rec[lay.added[n]], rec[lay.added[n+1]] = "", ""
		rec[lay.added[n+2]], rec[lay.added[n+3]], rec[lay.added[n+4]] = d.Code, d.Field, d.Message
		return
	}
	rec[lay.added[n]], rec[lay.added[n+1]] = rt.Department, rt.Unit
	rec[lay.added[n+2]], rec[lay.added[n+3]], rec[lay.added[n+4]] = "", "", ""
}
