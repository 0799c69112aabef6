package export

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// cellValue reads row i of a column in the shape expected() uses.
func cellValue(t testing.TB, arr arrow.Array, i int) any {
	t.Helper()
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Dictionary:
		return a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Int8:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Struct:
		return [2]float64{a.Field(0).(*array.Float64).Value(i), a.Field(1).(*array.Float64).Value(i)}
	case *array.Binary:
		g, err := wkb.Unmarshal(a.Value(i))
		if err != nil {
			t.Fatalf("row %d: bad WKB: %v", i, err)
		}
		switch g := g.(type) {
		case orb.Point:
			return [2]float64{g[0], g[1]}
		case orb.Polygon:
			return g
		}
		t.Fatalf("row %d: unexpected WKB geometry %T", i, g)
	case *array.List:
		return nativePolygon(a, i)
	}
	t.Fatalf("unexpected array type %T", arr)
	return nil
}

func nativePolygon(a *array.List, i int) orb.Polygon {
	rings := a.ListValues().(*array.List)
	verts := rings.ListValues().(*array.Struct)
	xs, ys := verts.Field(0).(*array.Float64), verts.Field(1).(*array.Float64)
	var p orb.Polygon
	rs, re := a.ValueOffsets(i)
	for r := rs; r < re; r++ {
		vs, ve := rings.ValueOffsets(int(r))
		var ring orb.Ring
		for v := vs; v < ve; v++ {
			ring = append(ring, orb.Point{xs.Value(int(v)), ys.Value(int(v))})
		}
		p = append(p, ring)
	}
	return p
}

func recordRows(t testing.TB, recs []arrow.RecordBatch) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			m := map[string]any{}
			for c, f := range rec.Schema().Fields() {
				m[f.Name] = cellValue(t, rec.Column(c), i)
			}
			rows = append(rows, m)
		}
	}
	return rows
}

func readStream(t testing.TB, b []byte, mem memory.Allocator) (*arrow.Schema, []map[string]any, int) {
	t.Helper()
	rd, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatalf("ipc.NewReader: %v", err)
	}
	defer rd.Release()
	var rows []map[string]any
	batches := 0
	for rd.Next() {
		batches++
		rows = append(rows, recordRows(t, []arrow.RecordBatch{rd.RecordBatch()})...)
	}
	if err := rd.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return rd.Schema(), rows, batches
}

func readFile(t testing.TB, b []byte, mem memory.Allocator) (*arrow.Schema, []map[string]any, int) {
	t.Helper()
	fr, err := ipc.NewFileReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatalf("ipc.NewFileReader: %v", err)
	}
	defer fr.Close()
	var rows []map[string]any
	for i := 0; i < fr.NumRecords(); i++ {
		rec, err := fr.RecordBatch(i)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		rows = append(rows, recordRows(t, []arrow.RecordBatch{rec})...)
	}
	return fr.Schema(), rows, fr.NumRecords()
}

func readParquet(t testing.TB, b []byte, mem memory.Allocator) (*arrow.Schema, []map[string]any, int, string) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(b), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		t.Fatalf("parquet reader: %v", err)
	}
	defer pf.Close()
	geo := pf.MetaData().KeyValueMetadata().FindValue(GeoKey)
	if geo == nil {
		t.Fatal(`parquet: no "geo" metadata`)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("parquet ReadTable: %v", err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	var rows []map[string]any
	for tr.Next() {
		rows = append(rows, recordRows(t, []arrow.RecordBatch{tr.RecordBatch()})...)
	}
	return tbl.Schema(), rows, pf.NumRowGroups(), *geo
}

// parquetMeta reads a key of a Parquet file's key-value metadata.
func parquetMeta(t testing.TB, b []byte) func(string) string {
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	kv := pf.MetaData().KeyValueMetadata()
	return func(k string) string {
		if v := kv.FindValue(k); v != nil {
			return *v
		}
		return ""
	}
}

func schemaMeta(sc *arrow.Schema) func(string) string {
	return func(k string) string {
		v, _ := sc.Metadata().GetValue(k)
		return v
	}
}

func writeAll(t testing.TB, f Format, opt Options, rs []*data.Request) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := WriteRequests(&buf, f, opt, func(fn func(*data.Request) error) error {
		for _, r := range rs {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	if st.Bytes != int64(buf.Len()) {
		t.Errorf("%s: Stats.Bytes = %d, wrote %d", f, st.Bytes, buf.Len())
	}
	return buf.Bytes(), st
}

func checkSchema(t *testing.T, sc *arrow.Schema, layers []data.Layer, wkbEnc bool, meta func(string) string) {
	t.Helper()
	want := []string{"number", "kind", "service_code", "service_name", "status", "state", "department", "unit", "origin"}
	for _, l := range layers {
		want = append(want, string(l))
	}
	want = append(want, "requested_at", "updated_at", "closed_at", "duplicate", "parent_number", "duplicate_count",
		"me_too", "police_related", "description", "address", "zip", "h3", "lon", "lat", "geometry")
	var got []string
	for _, f := range sc.Fields() {
		got = append(got, f.Name)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("columns\n got %v\nwant %v", got, want)
	}
	typ := func(name string) arrow.DataType {
		fs, _ := sc.FieldsByName(name)
		return fs[0].Type
	}
	for _, n := range want[1:9] {
		dt, ok := typ(n).(*arrow.DictionaryType)
		if !ok || dt.ValueType.ID() != arrow.STRING || dt.IndexType.ID() != arrow.INT32 {
			t.Errorf("%s: type %s, want dictionary<values=utf8, indices=int32>", n, typ(n))
		}
	}
	for _, l := range layers {
		if _, ok := typ(string(l)).(*arrow.DictionaryType); !ok {
			t.Errorf("%s: type %s, want dictionary", l, typ(string(l)))
		}
	}
	for _, n := range []string{"requested_at", "updated_at", "closed_at"} {
		ts, ok := typ(n).(*arrow.TimestampType)
		if !ok || ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC" {
			t.Errorf("%s: type %s, want timestamp[us, tz=UTC]", n, typ(n))
		}
	}
	for n, id := range map[string]arrow.Type{"number": arrow.STRING, "parent_number": arrow.STRING, "description": arrow.STRING,
		"duplicate": arrow.BOOL, "duplicate_count": arrow.INT32, "h3": arrow.UINT64, "lon": arrow.FLOAT64, "lat": arrow.FLOAT64} {
		if typ(n).ID() != id {
			t.Errorf("%s: type %s, want %s", n, typ(n), id)
		}
	}
	gf, _ := sc.FieldsByName("geometry")
	g := gf[0]
	name, _ := g.Metadata.GetValue(ExtensionNameKey)
	extMeta, _ := g.Metadata.GetValue(ExtensionMetadataKey)
	wantName, wantType := GeoArrowPoint, arrow.DataType(pointType)
	if wkbEnc {
		wantName, wantType = GeoArrowWKB, arrow.BinaryTypes.Binary
	}
	if name != wantName || !arrow.TypeEqual(g.Type, wantType) {
		t.Errorf("geometry: %s %q, want %s %q", g.Type, name, wantType, wantName)
	}
	var m struct {
		CRS struct {
			Type string `json:"type"`
			ID   struct{ Authority, Code string }
		} `json:"crs"`
	}
	if err := json.Unmarshal([]byte(extMeta), &m); err != nil || m.CRS.ID.Authority != "OGC" || m.CRS.ID.Code != "CRS84" || m.CRS.Type != "GeographicCRS" {
		t.Errorf("geometry extension metadata %q (%v): want PROJJSON of OGC:CRS84", extMeta, err)
	}
	for k, v := range map[string]string{MetaSchemaVersion: SchemaVersion, MetaTable: "requests", MetaTimeZone: "America/Chicago", MetaJurisdiction: "testville"} {
		if got := meta(k); got != v {
			t.Errorf("schema metadata %s = %q, want %q", k, got, v)
		}
	}
}

func checkRows(t *testing.T, got []map[string]any, rs []*data.Request, layers []data.Layer) {
	t.Helper()
	if len(got) != len(rs) {
		t.Fatalf("%d rows, want %d", len(got), len(rs))
	}
	for i, r := range rs {
		want := expected(r, layers)
		if !reflect.DeepEqual(got[i], want) {
			for k := range want {
				if !reflect.DeepEqual(got[i][k], want[k]) {
					t.Errorf("row %d (%s) %s = %#v, want %#v", i, r.Number, k, got[i][k], want[k])
				}
			}
			if len(got[i]) != len(want) {
				t.Errorf("row %d: %d columns, want %d", i, len(got[i]), len(want))
			}
		}
	}
}

func TestArrowRoundTrip(t *testing.T) {
	samples := sampleRequests()
	var long []*data.Request
	for i := range 1000 {
		r := new(data.Request)
		genRequest(r, i)
		long = append(long, r)
	}
	for _, tc := range []struct {
		name    string
		rs      []*data.Request
		batch   int
		wkb     bool
		batches int
	}{
		{"samples", samples, 0, false, 1},
		{"samples-wkb", samples, 0, true, 1},
		{"samples-batch-2", samples, 2, false, 3},
		{"long-batch-64", long, 64, false, 16},
		{"long-batch-300-wkb", long, 300, true, 4},
		{"empty", nil, 0, false, 0},
	} {
		for _, f := range []Format{FormatArrowStream, FormatArrowFile, FormatParquet} {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				opt := Options{Jurisdiction: testJurisdiction(), BatchSize: tc.batch, Allocator: mem, TempDir: t.TempDir()}
				if tc.wkb {
					opt.GeometryEncoding = EncodingWKB
				}
				b, st := writeAll(t, f, opt, tc.rs)
				if st.Rows != int64(len(tc.rs)) || st.Skipped != 0 {
					t.Errorf("stats %+v, want %d rows", st, len(tc.rs))
				}
				var (
					sc      *arrow.Schema
					rows    []map[string]any
					batches int
					geo     string
				)
				rmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				switch f {
				case FormatArrowStream:
					sc, rows, batches = readStream(t, b, rmem)
				case FormatArrowFile:
					sc, rows, batches = readFile(t, b, rmem)
				case FormatParquet:
					sc, rows, batches, geo = readParquet(t, b, rmem)
					checkGeo(t, geo, tc.rs, tc.wkb)
				}
				rmem.AssertSize(t, 0)
				meta := schemaMeta(sc)
				if f == FormatParquet {
					meta = parquetMeta(t, b)
				}
				checkSchema(t, sc, testLayers, tc.wkb, meta)
				checkRows(t, rows, tc.rs, testLayers)
				if batches != tc.batches {
					t.Errorf("%d batches/row groups, want %d", batches, tc.batches)
				}
				if bytes.Contains(b, []byte("ada@example.org")) || bytes.Contains(b, []byte("secret-hash")) || bytes.Contains(b, []byte("312-555-0100")) {
					t.Error("private contact or PIN data in the export")
				}
			})
		}
	}
}

// checkGeo checks the GeoParquet metadata, its bbox against the points.
func checkGeo(t *testing.T, geo string, rs []*data.Request, wkbEnc bool) {
	t.Helper()
	var g struct {
		Version       string `json:"version"`
		PrimaryColumn string `json:"primary_column"`
		Columns       map[string]struct {
			Encoding      string          `json:"encoding"`
			GeometryTypes []string        `json:"geometry_types"`
			CRS           json.RawMessage `json:"crs"`
			BBox          []float64       `json:"bbox"`
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(geo), &g); err != nil {
		t.Fatalf("geo metadata %q: %v", geo, err)
	}
	col, ok := g.Columns["geometry"]
	if g.Version != "1.1.0" || g.PrimaryColumn != "geometry" || !ok {
		t.Fatalf("geo metadata %s", geo)
	}
	wantEnc := "point"
	if wkbEnc {
		wantEnc = "WKB"
	}
	if col.Encoding != wantEnc || !reflect.DeepEqual(col.GeometryTypes, []string{"Point"}) {
		t.Errorf("geo column: encoding %q types %v", col.Encoding, col.GeometryTypes)
	}
	if !json.Valid(col.CRS) || !bytes.Contains(col.CRS, []byte(`"code":"CRS84"`)) {
		t.Errorf("geo crs %s", col.CRS)
	}
	minx, miny, maxx, maxy := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	n := 0
	for _, r := range rs {
		if r.Lon == 0 && r.Lat == 0 {
			continue
		}
		n++
		minx, miny = math.Min(minx, r.Lon), math.Min(miny, r.Lat)
		maxx, maxy = math.Max(maxx, r.Lon), math.Max(maxy, r.Lat)
	}
	if n == 0 {
		if col.BBox != nil {
			t.Errorf("bbox %v without geometries", col.BBox)
		}
		return
	}
	if want := []float64{minx, miny, maxx, maxy}; !reflect.DeepEqual(col.BBox, want) {
		t.Errorf("bbox %v, want %v", col.BBox, want)
	}
}

func TestPublicDropsPolice(t *testing.T) {
	rs := sampleRequests()
	var public []*data.Request
	for _, r := range rs {
		if !r.PoliceRelated && r.Kind != data.KindCommunityConcern {
			public = append(public, r)
		}
	}
	for _, j := range []*data.Jurisdiction{testJurisdiction(), nil} {
		for _, f := range []Format{FormatArrowStream, FormatCSV} {
			opt := Options{Jurisdiction: j, Layers: testLayers, Public: true}
			b, st := writeAll(t, f, opt, rs)
			if st.Rows != int64(len(public)) || st.Skipped != int64(len(rs)-len(public)) {
				t.Errorf("%s: stats %+v, want %d rows, %d skipped", f, st, len(public), len(rs)-len(public))
			}
			if bytes.Contains(b, []byte("loitering")) || bytes.Contains(b, []byte("police-related")) {
				t.Errorf("%s: police-related text in a public export", f)
			}
			if f == FormatArrowStream {
				sc, rows, _ := readStream(t, b, memory.NewGoAllocator())
				checkRows(t, rows, public, testLayers)
				if v, _ := sc.Metadata().GetValue(MetaPublic); v != "true" {
					t.Errorf("geo311:public = %q", v)
				}
			}
		}
	}
	// The catalogue's police flag counts too, without PoliceRelated set.
	r := &data.Request{Number: "SR26-00000009", ServiceCode: "DRUG", Kind: data.KindServiceRequest, State: data.StateNew}
	_, st := writeAll(t, FormatCSV, Options{Jurisdiction: testJurisdiction(), Public: true}, []*data.Request{r})
	if st.Skipped != 1 {
		t.Errorf("catalogue police type not skipped: %+v", st)
	}
}

func TestStreamDictionaryDeltas(t *testing.T) {
	// New values appear in later batches: the stream must carry them as
	// deltas and keep earlier indices valid.
	rs := []*data.Request{
		{Number: "A", ServiceCode: "X", State: data.StateNew},
		{Number: "B", ServiceCode: "X", State: data.StateNew},
		{Number: "C", ServiceCode: "Y", State: data.StateClosed},
		{Number: "D", ServiceCode: "X", State: data.StateNew},
		{Number: "E", ServiceCode: "Z", State: data.StateAssigned},
	}
	for _, f := range []Format{FormatArrowStream, FormatArrowFile, FormatParquet} {
		b, _ := writeAll(t, f, Options{BatchSize: 2, Layers: []data.Layer{}}, rs)
		var rows []map[string]any
		switch f {
		case FormatArrowStream:
			_, rows, _ = readStream(t, b, memory.NewGoAllocator())
		case FormatArrowFile:
			_, rows, _ = readFile(t, b, memory.NewGoAllocator())
			fr, err := ipc.NewFileReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := fr.RecordBatch(0)
			if d := rec.Column(2).(*array.Dictionary).Dictionary(); d.Len() != 3 {
				t.Errorf("arrow file: first batch's service_code dictionary has %d values, want the final 3", d.Len())
			}
			fr.Close()
		case FormatParquet:
			_, rows, _, _ = readParquet(t, b, memory.NewGoAllocator())
		}
		var codes []any
		for _, r := range rows {
			codes = append(codes, r["service_code"])
		}
		if want := []any{"X", "X", "Y", "X", "Z"}; !reflect.DeepEqual(codes, want) {
			t.Errorf("%s: service codes %v, want %v", f, codes, want)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		opt   Options
		field string
	}{
		{Options{GeometryEncoding: "wkt"}, "geometry_encoding"},
		{Options{BatchSize: -1}, "batch_size"},
		{Options{BatchSize: MaxBatchSize + 1}, "batch_size"},
		{Options{Layers: []data.Layer{"status"}}, "layers"},
		{Options{Layers: []data.Layer{"beat", "beat"}}, "layers"},
		{Options{Layers: []data.Layer{"Beat!"}}, "layer"},
		{Options{ParquetCompression: "brotli9"}, "parquet_compression"},
	} {
		_, err := NewWriter(&bytes.Buffer{}, FormatArrowStream, tc.opt)
		if data.ErrorField(err) != tc.field {
			t.Errorf("%+v: error %v, want field %q", tc.opt, err, tc.field)
		}
		_, err = NewCubeWriter(&bytes.Buffer{}, FormatCSV, tc.opt)
		if data.ErrorField(err) != tc.field {
			t.Errorf("cube %+v: error %v, want field %q", tc.opt, err, tc.field)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, Format("xlsx"), Options{}); data.ErrorField(err) != "format" {
		t.Errorf("bad format: %v", err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	for _, f := range Formats() {
		w, err := NewWriter(&bytes.Buffer{}, f, Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := w.Write(sampleRequests()[0]); err == nil {
			t.Errorf("%s: Write after Close succeeded", f)
		}
		if err := w.Close(); err != nil {
			t.Errorf("%s: second Close: %v", f, err)
		}
	}
}
