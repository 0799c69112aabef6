package export

import (
	"errors"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/geo311/geo311/data"
)

// Writer writes requests in one format. It is not safe for concurrent use.
// Call Close exactly once when done, also after a failed Write: it writes
// the end of the file (footer, metadata) and releases resources; after a
// failed Write it only releases them and returns that error again.
type Writer interface {
	// Write adds one request (it is not retained). With Options.Public a
	// police-related request is skipped and counted in Stats.Skipped.
	Write(r *data.Request) error
	// WriteRow adds one row (it is not retained) as Write adds the request
	// it was made from (data.ExportRow.SetRequest): a store's
	// data.ExportScanner, asked for Layers, feeds it directly. The row
	// must have one area per layer.
	WriteRow(row *data.ExportRow) error
	// Layers are the export's area columns, in order (see Layers).
	Layers() []data.Layer
	// Close finishes the file. It does not close the io.Writer.
	Close() error
	// Stats reports progress (for a progress bar) and, after Close, totals.
	Stats() Stats
}

// NewWriter returns a Writer of requests in format f to w. Nothing is
// written to w before the first batch (Arrow stream: the schema; Parquet:
// the magic) or Close.
func NewWriter(w io.Writer, f Format, opt Options) (Writer, error) {
	if !f.valid() {
		return nil, data.Invalid("format", "%q is not an export format (arrows, arrow, parquet, geojsonseq, csv)", string(f))
	}
	s, err := opt.resolveFor(f)
	if err != nil {
		return nil, err
	}
	out := newOutput(w)
	if f.arrowBased() {
		return newArrowRequestWriter(out, f, s)
	}
	return newTextRequestWriter(out, f, s)
}

// WriteRequests writes every request scan yields and closes the writer: scan
// is typically func(fn func(*data.Request) error) error { return
// store.ScanRequests(ctx, filter, fn) }.
func WriteRequests(w io.Writer, f Format, opt Options, scan func(fn func(*data.Request) error) error) (Stats, error) {
	wr, err := NewWriter(w, f, opt)
	if err != nil {
		return Stats{}, err
	}
	err = scan(wr.Write)
	if cerr := wr.Close(); err == nil {
		err = cerr
	}
	return wr.Stats(), err
}

// WriteRows writes every row scan yields and closes the writer: scan gets
// the layers to read and fn, typically
//
//	func(layers []data.Layer, fn func(*data.ExportRow) error) error {
//		return scanner.ScanExport(ctx, filter, layers, fn)
//	}
func WriteRows(w io.Writer, f Format, opt Options, scan func(layers []data.Layer, fn func(*data.ExportRow) error) error) (Stats, error) {
	wr, err := NewWriter(w, f, opt)
	if err != nil {
		return Stats{}, err
	}
	err = scan(wr.Layers(), wr.WriteRow)
	if cerr := wr.Close(); err == nil {
		err = cerr
	}
	return wr.Stats(), err
}

var errClosed = errors.New("export: writer is closed")

// checkRow checks what a writer needs of a row.
func checkRow(row *data.ExportRow, layers []data.Layer) error {
	if row == nil {
		return data.Invalid("request", "nil row")
	}
	if len(row.Areas) != len(layers) {
		return data.Invalid("areas", "the row has %d areas for %d layers", len(row.Areas), len(layers))
	}
	return nil
}

// arrowRequestWriter builds record batches of requests.
type arrowRequestWriter struct {
	s      *settings
	mem    memory.Allocator
	pool   *recyclingAllocator // the builders' allocator, over mem
	schema *arrow.Schema
	out    *output
	sink   batchSink
	stats  Stats
	bb     bbox
	err    error
	closed bool

	row       data.ExportRow // Write's request as a row
	n         int            // rows in the current batch
	number    *strColumn
	dicts     []*dictColumn // kind .. origin, then layers
	dictIndex []int         // column index of each dict
	times     [3]*array.TimestampBuilder
	duplicate *array.BooleanBuilder
	parent    *strColumn
	dupCount  *array.Int32Builder
	meToo     *array.Int32Builder
	police    *array.BooleanBuilder
	text      [3]*strColumn // description, address, zip
	h3        *array.Uint64Builder
	lon, lat  *array.Float64Builder
	point     *array.StructBuilder
	px, py    *array.Float64Builder
	wkb       *array.BinaryBuilder
	wkbBuf    []byte
}

var nullValid = []bool{false}

const nHeadDicts = 8 // kind, service_code, service_name, status, state, department, unit, origin

func newArrowRequestWriter(out *output, f Format, s *settings) (*arrowRequestWriter, error) {
	mem := memory.DefaultAllocator
	if s.Allocator != nil {
		mem = s.Allocator
	}
	w := &arrowRequestWriter{s: s, mem: mem, schema: requestSchema(s), out: out}
	sink, err := newBatchSink(f, out, w.schema, s, mem)
	if err != nil {
		return nil, err
	}
	w.sink = sink
	w.pool = newRecyclingAllocator(mem)
	mem = w.pool
	w.number = newStrColumn(s.batch)
	for i := 0; i < nHeadDicts+len(s.layers); i++ {
		w.dicts = append(w.dicts, newDictColumn(mem, s.batch))
		w.dictIndex = append(w.dictIndex, 1+i)
	}
	for i := range w.times {
		w.times[i] = array.NewTimestampBuilder(mem, tsType)
	}
	w.duplicate = array.NewBooleanBuilder(mem)
	w.parent = newStrColumn(s.batch)
	w.dupCount = array.NewInt32Builder(mem)
	w.meToo = array.NewInt32Builder(mem)
	w.police = array.NewBooleanBuilder(mem)
	for i := range w.text {
		w.text[i] = newStrColumn(s.batch)
	}
	w.h3 = array.NewUint64Builder(mem)
	w.lon = array.NewFloat64Builder(mem)
	w.lat = array.NewFloat64Builder(mem)
	if s.wkb {
		w.wkb = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	} else {
		w.point = array.NewStructBuilder(mem, pointType)
		w.px = w.point.FieldBuilder(0).(*array.Float64Builder)
		w.py = w.point.FieldBuilder(1).(*array.Float64Builder)
	}
	w.reserve()
	return w, nil
}

// reserve sizes the builders for a full batch, so that appends do not
// grow (and copy) buffers; Write relies on it (UnsafeAppend).
func (w *arrowRequestWriter) reserve() {
	n := w.s.batch
	for _, d := range w.dicts {
		d.indices.Reserve(n)
	}
	for _, t := range w.times {
		t.Reserve(n)
	}
	w.duplicate.Reserve(n)
	w.dupCount.Reserve(n)
	w.meToo.Reserve(n)
	w.police.Reserve(n)
	w.h3.Reserve(n)
	w.lon.Reserve(n)
	w.lat.Reserve(n)
	if w.s.wkb {
		w.wkb.Reserve(n)
		w.wkb.ReserveData(21 * n)
	} else {
		w.point.Reserve(n)
	}
}

// appendTime appends t, null if zero, to b, which has room (see reserve).
func appendTime(b *array.TimestampBuilder, t time.Time) {
	if t.IsZero() {
		b.UnsafeAppendBoolToBitmap(false)
		return
	}
	b.UnsafeAppend(arrow.Timestamp(t.UnixMicro()))
}

func (w *arrowRequestWriter) Write(r *data.Request) error {
	if r == nil {
		return data.Invalid("request", "nil request")
	}
	w.row.SetRequest(r, w.s.layers)
	return w.WriteRow(&w.row)
}

func (w *arrowRequestWriter) Layers() []data.Layer { return w.s.layers }

func (w *arrowRequestWriter) WriteRow(r *data.ExportRow) error {
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
	w.number.append(r.Number)
	d := w.dicts
	d[0].append(string(r.Kind))
	d[1].append(r.ServiceCode)
	d[2].append(r.ServiceName)
	d[3].append(status(r.State))
	d[4].append(string(r.State))
	d[5].append(r.Department)
	d[6].append(r.Unit)
	d[7].append(string(r.Origin))
	for i, v := range r.Areas {
		d[nHeadDicts+i].append(v)
	}
	appendTime(w.times[0], r.RequestedAt)
	appendTime(w.times[1], r.UpdatedAt)
	appendTime(w.times[2], r.ClosedAt)
	// The builders have room for the batch (reserve), hence UnsafeAppend.
	w.duplicate.UnsafeAppend(r.Duplicate)
	w.parent.appendOrNull(r.ParentNumber)
	w.dupCount.UnsafeAppend(int32(r.DuplicateCount))
	w.meToo.UnsafeAppend(int32(r.MeToo))
	w.police.UnsafeAppend(r.PoliceRelated || r.Kind == data.KindCommunityConcern)
	w.text[0].appendOrNull(r.Description)
	w.text[1].appendOrNull(r.Address)
	w.text[2].appendOrNull(r.ZIP)
	if r.H3 == 0 {
		w.h3.UnsafeAppendBoolToBitmap(false)
	} else {
		w.h3.UnsafeAppend(r.H3)
	}
	if validLonLat(r.Lon, r.Lat) {
		w.lon.UnsafeAppend(r.Lon)
		w.lat.UnsafeAppend(r.Lat)
		w.bb.add(r.Lon, r.Lat)
		if w.s.wkb {
			w.wkbBuf = appendWKBPoint(w.wkbBuf[:0], r.Lon, r.Lat)
			w.wkb.Append(w.wkbBuf)
		} else {
			w.point.Append(true)
			w.px.Append(r.Lon)
			w.py.Append(r.Lat)
		}
	} else {
		w.lon.UnsafeAppendBoolToBitmap(false)
		w.lat.UnsafeAppendBoolToBitmap(false)
		if w.s.wkb {
			w.wkb.AppendNull()
		} else {
			// Append(false) would put nulls in the children; GeoArrow
			// and GeoParquet want none there, so mark only the struct.
			w.point.AppendValues(nullValid)
			w.px.Append(0)
			w.py.Append(0)
		}
	}
	w.n++
	w.stats.Rows++
	if w.n >= w.s.batch || w.number.full() || w.parent.full() || w.text[0].full() || w.text[1].full() || w.text[2].full() {
		return w.flush()
	}
	return nil
}

// flush writes the batch so far; then, if more rows may come, it reserves
// the builders for the next batch.
func (w *arrowRequestWriter) flush() error { return w.flushBatch(true) }

func (w *arrowRequestWriter) flushBatch(more bool) error {
	if w.n == 0 {
		return nil
	}
	cols := make([]arrow.Array, 0, len(w.schema.Fields()))
	cols = append(cols, w.number.newArray(w.pool))
	for _, d := range w.dicts {
		cols = append(cols, d.newArray())
	}
	for _, t := range w.times {
		cols = append(cols, t.NewArray())
	}
	cols = append(cols, w.duplicate.NewArray(), w.parent.newArray(w.pool), w.dupCount.NewArray(), w.meToo.NewArray(),
		w.police.NewArray())
	for _, t := range w.text {
		cols = append(cols, t.newArray(w.pool))
	}
	cols = append(cols, w.h3.NewArray(), w.lon.NewArray(), w.lat.NewArray())
	if w.s.wkb {
		cols = append(cols, w.wkb.NewArray())
	} else {
		cols = append(cols, w.point.NewArray())
	}
	rec := array.NewRecordBatch(w.schema, cols, int64(w.n))
	for _, c := range cols {
		c.Release()
	}
	w.n = 0
	err := w.sink.write(rec)
	rec.Release() // its buffers go back to the pool, for reserve
	if more {
		w.reserve()
	}
	if err != nil {
		w.err = err
	}
	return err
}

func (w *arrowRequestWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	defer w.releaseDicts()
	if w.err != nil {
		w.releaseBuilders()
		w.sink.abort()
		return w.err
	}
	err := w.flushBatch(false)
	// The rest needs only the dictionaries: free a batch's worth of
	// builders and recycled buffers before the sink finishes (the Arrow
	// file reads every batch back then).
	w.releaseBuilders()
	if err != nil {
		w.sink.abort()
		return err
	}
	dicts := make(map[int]arrow.Array, len(w.dicts))
	for i, d := range w.dicts {
		dicts[w.dictIndex[i]] = d.dictionary()
	}
	enc := "point"
	if w.s.wkb {
		enc = "WKB"
	}
	if err := w.sink.close(dicts, geoMetadata(enc, "Point", w.bb)); err != nil {
		w.err = err
		return err
	}
	return nil
}

// releaseBuilders releases every builder, the dictionary columns' index
// builders included, and the recycled buffers.
func (w *arrowRequestWriter) releaseBuilders() {
	for _, d := range w.dicts {
		d.releaseIndices()
	}
	for _, t := range w.times {
		t.Release()
	}
	w.duplicate.Release()
	w.dupCount.Release()
	w.meToo.Release()
	w.police.Release()
	w.h3.Release()
	w.lon.Release()
	w.lat.Release()
	if w.wkb != nil {
		w.wkb.Release()
	}
	if w.point != nil {
		w.point.Release()
	}
	w.number, w.parent, w.text = nil, nil, [3]*strColumn{}
	w.pool.drain()
}

// releaseDicts releases the dictionaries.
func (w *arrowRequestWriter) releaseDicts() {
	for _, d := range w.dicts {
		d.release()
	}
}

func (w *arrowRequestWriter) Stats() Stats {
	st := w.stats
	st.Bytes = w.out.bytes()
	st.BBox, st.HasBBox = w.bb.b, w.bb.set
	return st
}
