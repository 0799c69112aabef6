package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// CubeRow is one cell of the trends cube for export: the requests of one
// service type opened and closed in one H3 cell on one local day.
type CubeRow struct {
	Cell uint64 // H3 index (any resolution)
	// Day is the local day; its calendar date in its own location is
	// written (date32), so pass the day's local midnight or any instant
	// of it in the jurisdiction's zone.
	Day         time.Time
	ServiceCode string
	Opened      int64
	Closed      int64
	// Polygon is the cell boundary in lon/lat, exterior ring counter-
	// clockwise and closed (as trends.CellPolygon gives it). Empty: null.
	Polygon orb.Polygon
}

// Cube column names, in order.
const (
	CubeColCell        = "cell"
	CubeColResolution  = "resolution"
	CubeColDay         = "day"
	CubeColServiceCode = "service_code"
	CubeColOpened      = "opened"
	CubeColClosed      = "closed"
	CubeColGeometry    = "geometry"
	// CubeColWKT replaces geometry in CSV: the polygon as WKT.
	CubeColWKT = "wkt"
)

// CubeSchema returns the Arrow schema of a cube export.
func CubeSchema(opt Options) (*arrow.Schema, error) {
	s, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	return cubeSchema(s), nil
}

func cubeSchema(s *settings) *arrow.Schema {
	geom := geometryField(CubeColGeometry, GeoArrowPolygon, polygonType)
	if s.wkb {
		geom = geometryField(CubeColGeometry, GeoArrowWKB, arrow.BinaryTypes.Binary)
	}
	md := arrow.NewMetadata(schemaMetaKeys(s, "trends_cube"))
	return arrow.NewSchema([]arrow.Field{
		{Name: CubeColCell, Type: arrow.PrimitiveTypes.Uint64},
		{Name: CubeColResolution, Type: arrow.PrimitiveTypes.Int8},
		{Name: CubeColDay, Type: arrow.FixedWidthTypes.Date32},
		dictField(CubeColServiceCode, true),
		{Name: CubeColOpened, Type: arrow.PrimitiveTypes.Int64},
		{Name: CubeColClosed, Type: arrow.PrimitiveTypes.Int64},
		geom,
	}, &md)
}

// CubeWriter writes cube rows in one format; like Writer, not safe for
// concurrent use, Close exactly once.
type CubeWriter interface {
	Write(row CubeRow) error
	Close() error
	Stats() Stats
}

// NewCubeWriter returns a CubeWriter in format f to w. Options.Layers,
// Public and Jurisdiction's catalogue do not apply (the cube holds counts).
func NewCubeWriter(w io.Writer, f Format, opt Options) (CubeWriter, error) {
	if !f.valid() {
		return nil, data.Invalid("format", "%q is not an export format (arrows, arrow, parquet, geojsonseq, csv)", string(f))
	}
	s, err := opt.resolveFor(f)
	if err != nil {
		return nil, err
	}
	cw := &cubeWriter{s: s, f: f, out: newOutput(w)}
	if !f.arrowBased() {
		if f == FormatCSV {
			cw.csv = csv.NewWriter(cw.out)
			cw.csv.UseCRLF = true
			if err := cw.csv.Write([]string{CubeColCell, CubeColResolution, CubeColDay, CubeColServiceCode,
				CubeColOpened, CubeColClosed, CubeColWKT}); err != nil {
				return nil, fmt.Errorf("export: csv: %w", err)
			}
		}
		return cw, nil
	}
	mem := memory.DefaultAllocator
	if s.Allocator != nil {
		mem = s.Allocator
	}
	cw.schema = cubeSchema(s)
	if cw.sink, err = newBatchSink(f, cw.out, cw.schema, s, mem); err != nil {
		return nil, err
	}
	cw.cell = array.NewUint64Builder(mem)
	cw.res = array.NewInt8Builder(mem)
	cw.day = array.NewDate32Builder(mem)
	cw.code = newDictColumn(mem, s.batch)
	cw.opened = array.NewInt64Builder(mem)
	cw.closedB = array.NewInt64Builder(mem)
	if s.wkb {
		cw.wkb = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	} else {
		cw.poly = array.NewBuilder(mem, polygonType).(*array.ListBuilder)
		cw.rings = cw.poly.ValueBuilder().(*array.ListBuilder)
		cw.verts = cw.rings.ValueBuilder().(*array.StructBuilder)
		cw.vx = cw.verts.FieldBuilder(0).(*array.Float64Builder)
		cw.vy = cw.verts.FieldBuilder(1).(*array.Float64Builder)
	}
	return cw, nil
}

// WriteCube writes every row of rows (stopping at the first error it
// yields) and closes the writer.
func WriteCube(w io.Writer, f Format, opt Options, rows iter.Seq2[CubeRow, error]) (Stats, error) {
	cw, err := NewCubeWriter(w, f, opt)
	if err != nil {
		return Stats{}, err
	}
	for row, rerr := range rows {
		if rerr != nil {
			err = rerr
			break
		}
		if err = cw.Write(row); err != nil {
			break
		}
	}
	if cerr := cw.Close(); err == nil {
		err = cerr
	}
	return cw.Stats(), err
}

type cubeWriter struct {
	s      *settings
	f      Format
	out    *output
	stats  Stats
	bb     bbox
	err    error
	closed bool

	// text formats
	csv *csv.Writer
	buf []byte
	rec [7]string

	// Arrow formats
	schema  *arrow.Schema
	sink    batchSink
	n       int
	cell    *array.Uint64Builder
	res     *array.Int8Builder
	day     *array.Date32Builder
	code    *dictColumn
	opened  *array.Int64Builder
	closedB *array.Int64Builder
	wkb     *array.BinaryBuilder
	wkbBuf  []byte
	poly    *array.ListBuilder
	rings   *array.ListBuilder
	verts   *array.StructBuilder
	vx, vy  *array.Float64Builder
}

// cellResolution reads the resolution bits of an H3 index.
func cellResolution(c uint64) int8 { return int8((c >> 52) & 0xf) }

// civilDays is the day number since 1970-01-01 of t's calendar date in its location.
func civilDays(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (w *cubeWriter) Write(row CubeRow) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errClosed
	}
	if row.Cell == 0 {
		return data.Invalid("cell", "missing H3 cell")
	}
	if row.Day.IsZero() {
		return data.Invalid("day", "missing day")
	}
	for _, r := range row.Polygon {
		for _, p := range r {
			w.bb.add(p[0], p[1])
		}
	}
	var err error
	if w.sink != nil {
		w.appendArrow(row)
		w.n++
		if w.n >= w.s.batch {
			err = w.flush()
		}
	} else {
		err = w.writeText(row)
	}
	if err != nil {
		w.err = err
		return err
	}
	w.stats.Rows++
	return nil
}

func (w *cubeWriter) appendArrow(row CubeRow) {
	w.cell.Append(row.Cell)
	w.res.Append(cellResolution(row.Cell))
	w.day.Append(arrow.Date32(civilDays(row.Day)))
	w.code.append(row.ServiceCode)
	w.opened.Append(row.Opened)
	w.closedB.Append(row.Closed)
	if w.s.wkb {
		if len(row.Polygon) == 0 {
			w.wkb.AppendNull()
			return
		}
		w.wkbBuf = appendWKBPolygon(w.wkbBuf[:0], row.Polygon)
		w.wkb.Append(w.wkbBuf)
		return
	}
	if len(row.Polygon) == 0 {
		w.poly.AppendNull()
		return
	}
	w.poly.Append(true)
	for _, r := range row.Polygon {
		w.rings.Append(true)
		for _, p := range r {
			w.verts.Append(true)
			w.vx.Append(p[0])
			w.vy.Append(p[1])
		}
	}
}

func (w *cubeWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	cols := []arrow.Array{w.cell.NewArray(), w.res.NewArray(), w.day.NewArray(), w.code.newArray(),
		w.opened.NewArray(), w.closedB.NewArray()}
	if w.s.wkb {
		cols = append(cols, w.wkb.NewArray())
	} else {
		cols = append(cols, w.poly.NewArray())
	}
	rec := array.NewRecordBatch(w.schema, cols, int64(w.n))
	for _, c := range cols {
		c.Release()
	}
	w.n = 0
	defer rec.Release()
	return w.sink.write(rec)
}

func (w *cubeWriter) writeText(row CubeRow) error {
	day := row.Day.Format("2006-01-02")
	if w.csv != nil {
		w.rec = [7]string{strconv.FormatUint(row.Cell, 16), strconv.Itoa(int(cellResolution(row.Cell))), day,
			row.ServiceCode, strconv.FormatInt(row.Opened, 10), strconv.FormatInt(row.Closed, 10), string(appendWKT(nil, row.Polygon))}
		if err := w.csv.Write(w.rec[:]); err != nil {
			return fmt.Errorf("export: csv: %w", err)
		}
		return nil
	}
	b := append(w.buf[:0], 0x1e)
	b = append(b, `{"type":"Feature","id":`...)
	b = appendJSONString(b, strconv.FormatUint(row.Cell, 16)+"/"+day+"/"+row.ServiceCode)
	b = append(b, `,"geometry":`...)
	if len(row.Polygon) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"type":"Polygon","coordinates":[`...)
		for i, r := range row.Polygon {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for j, p := range r {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
				b = append(b, ',')
				b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		b = append(b, "]}"...)
	}
	b = append(b, `,"properties":{"cell":`...)
	b = appendJSONString(b, strconv.FormatUint(row.Cell, 16))
	b = append(b, `,"resolution":`...)
	b = strconv.AppendInt(b, int64(cellResolution(row.Cell)), 10)
	b = append(b, `,"day":`...)
	b = appendJSONString(b, day)
	b = append(b, `,"service_code":`...)
	b = str(row.ServiceCode).appendJSON(b)
	b = append(b, `,"opened":`...)
	b = strconv.AppendInt(b, row.Opened, 10)
	b = append(b, `,"closed":`...)
	b = strconv.AppendInt(b, row.Closed, 10)
	b = append(b, "}}\n"...)
	w.buf = b
	if _, err := w.out.Write(b); err != nil {
		return fmt.Errorf("export: geojsonseq: %w", err)
	}
	return nil
}

// appendWKT appends a polygon as WKT; nothing for an empty polygon.
func appendWKT(b []byte, p orb.Polygon) []byte {
	if len(p) == 0 {
		return b
	}
	b = append(b, "POLYGON("...)
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		for j, pt := range r {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, pt[0], 'f', -1, 64)
			b = append(b, ' ')
			b = strconv.AppendFloat(b, pt[1], 'f', -1, 64)
		}
		b = append(b, ')')
	}
	return append(b, ')')
}

func (w *cubeWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.sink == nil {
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
	defer w.release()
	if w.err == nil {
		w.err = w.flush()
	}
	if w.err != nil {
		w.sink.abort()
		return w.err
	}
	enc := "polygon"
	if w.s.wkb {
		enc = "WKB"
	}
	w.err = w.sink.close(map[int]arrow.Array{3: w.code.dictionary()}, geoMetadata(enc, "Polygon", w.bb))
	return w.err
}

func (w *cubeWriter) release() {
	w.cell.Release()
	w.res.Release()
	w.day.Release()
	w.code.release()
	w.opened.Release()
	w.closedB.Release()
	if w.wkb != nil {
		w.wkb.Release()
	}
	if w.poly != nil {
		w.poly.Release()
	}
}

func (w *cubeWriter) Stats() Stats {
	st := w.stats
	st.Bytes = w.out.bytes()
	st.BBox, st.HasBBox = w.bb.b, w.bb.set
	return st
}
