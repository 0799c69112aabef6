package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"iter"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"
)

func cubeRows() []CubeRow {
	chicago, _ := time.LoadLocation("America/Chicago")
	hex := func(x, y float64) orb.Polygon {
		r := orb.Ring{}
		for _, d := range [][2]float64{{0, -1}, {0.87, -0.5}, {0.87, 0.5}, {0, 1}, {-0.87, 0.5}, {-0.87, -0.5}, {0, -1}} {
			r = append(r, orb.Point{x + d[0]*0.001, y + d[1]*0.001})
		}
		return orb.Polygon{r}
	}
	return []CubeRow{
		{Cell: 0x8928308280fffff, Day: time.Date(2026, 3, 8, 0, 0, 0, 0, chicago), ServiceCode: "PHF", Opened: 3, Closed: 1, Polygon: hex(-87.63, 41.88)},
		{Cell: 0x8928308280bffff, Day: time.Date(2026, 3, 8, 23, 30, 0, 0, chicago), ServiceCode: "SGA", Opened: 0, Closed: 2, Polygon: hex(-87.62, 41.89)},
		{Cell: 0x872830828ffffff, Day: time.Date(2026, 3, 9, 0, 0, 0, 0, chicago), ServiceCode: "PHF", Opened: 12, Polygon: hex(-87.70, 41.80)},
		{Cell: 0x8928308280fffff, Day: time.Date(2026, 3, 9, 0, 0, 0, 0, chicago), ServiceCode: "", Opened: 1},
	}
}

func seqOf(rows []CubeRow) iter.Seq2[CubeRow, error] {
	return func(yield func(CubeRow, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestCubeRoundTrip(t *testing.T) {
	rows := cubeRows()
	wantDays := []string{"2026-03-08", "2026-03-08", "2026-03-09", "2026-03-09"}
	for _, enc := range []string{EncodingNative, EncodingWKB} {
		for _, f := range []Format{FormatArrowStream, FormatArrowFile, FormatParquet} {
			t.Run(enc+"/"+string(f), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var buf bytes.Buffer
				st, err := WriteCube(&buf, f, Options{GeometryEncoding: enc, BatchSize: 3, Allocator: mem, TempDir: t.TempDir()}, seqOf(rows))
				if err != nil {
					t.Fatal(err)
				}
				if st.Rows != 4 || !st.HasBBox {
					t.Errorf("stats %+v", st)
				}
				var (
					sc  *arrow.Schema
					got []map[string]any
					geo string
				)
				switch f {
				case FormatArrowStream:
					sc, got, _ = readStream(t, buf.Bytes(), memory.NewGoAllocator())
				case FormatArrowFile:
					sc, got, _ = readFile(t, buf.Bytes(), memory.NewGoAllocator())
				case FormatParquet:
					sc, got, _, geo = readParquet(t, buf.Bytes(), memory.NewGoAllocator())
					var g GeoMetadata
					if err := json.Unmarshal([]byte(geo), &g); err != nil {
						t.Fatal(err)
					}
					c := g.Columns["geometry"]
					wantEnc := map[string]string{EncodingNative: "polygon", EncodingWKB: "WKB"}[enc]
					if c.Encoding != wantEnc || !reflect.DeepEqual(c.GeometryTypes, []string{"Polygon"}) {
						t.Errorf("geo %s", geo)
					}
					if want := []float64{-87.70087, 41.799, -87.61913, 41.891}; !approxEqual(c.BBox, want) {
						t.Errorf("bbox %v, want %v", c.BBox, want)
					}
				}
				gf, _ := sc.FieldsByName("geometry")
				name, _ := gf[0].Metadata.GetValue(ExtensionNameKey)
				wantName := map[string]string{EncodingNative: GeoArrowPolygon, EncodingWKB: GeoArrowWKB}[enc]
				if name != wantName {
					t.Errorf("geometry extension %q, want %q", name, wantName)
				}
				if dt, ok := mustField(sc, "service_code").(*arrow.DictionaryType); !ok || dt.ValueType.ID() != arrow.STRING {
					t.Errorf("service_code type %s", mustField(sc, "service_code"))
				}
				if mustField(sc, "day").ID() != arrow.DATE32 {
					t.Errorf("day type %s", mustField(sc, "day"))
				}
				if len(got) != len(rows) {
					t.Fatalf("%d rows", len(got))
				}
				for i, r := range rows {
					var code any = r.ServiceCode
					if r.ServiceCode == "" {
						code = nil
					}
					var geom any
					if len(r.Polygon) > 0 {
						geom = r.Polygon
					}
					want := map[string]any{"cell": r.Cell, "resolution": int8(r.Cell >> 52 & 15), "day": wantDays[i],
						"service_code": code, "opened": r.Opened, "closed": r.Closed, "geometry": geom}
					if !reflect.DeepEqual(got[i], want) {
						t.Errorf("row %d\n got %v\nwant %v", i, got[i], want)
					}
				}
			})
		}
	}
}

func mustField(sc *arrow.Schema, name string) arrow.DataType {
	fs, _ := sc.FieldsByName(name)
	return fs[0].Type
}

func approxEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-9 || d < -1e-9 {
			return false
		}
	}
	return true
}

func TestCubeText(t *testing.T) {
	rows := cubeRows()
	var buf bytes.Buffer
	if _, err := WriteCube(&buf, FormatCSV, Options{}, seqOf(rows)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cell", "resolution", "day", "service_code", "opened", "closed", "wkt"}; !reflect.DeepEqual(recs[0], want) {
		t.Errorf("header %v", recs[0])
	}
	if got := recs[1][:6]; !reflect.DeepEqual(got, []string{"8928308280fffff", "9", "2026-03-08", "PHF", "3", "1"}) {
		t.Errorf("row 1 %v", got)
	}
	if !strings.HasPrefix(recs[1][6], "POLYGON((-87.63 41.879000000000005,-87.62912999999999 41.8795,") || recs[4][6] != "" {
		t.Errorf("wkt %q / %q", recs[1][6], recs[4][6])
	}

	buf.Reset()
	if _, err := WriteCube(&buf, FormatGeoJSONSeq, Options{}, seqOf(rows)); err != nil {
		t.Fatal(err)
	}
	parts := bytes.Split(bytes.TrimPrefix(buf.Bytes(), []byte{0x1e}), []byte{0x1e})
	if len(parts) != 4 {
		t.Fatalf("%d texts", len(parts))
	}
	var f struct {
		Geometry struct {
			Type        string
			Coordinates [][][2]float64
		}
		Properties map[string]any
	}
	if err := json.Unmarshal(parts[2], &f); err != nil {
		t.Fatal(err)
	}
	if f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates[0]) != 7 || f.Properties["cell"] != "872830828ffffff" ||
		f.Properties["day"] != "2026-03-09" || f.Properties["opened"] != 12.0 || f.Properties["resolution"] != 7.0 {
		t.Errorf("feature %+v", f)
	}
	var g struct{ Geometry any }
	if err := json.Unmarshal(parts[3], &g); err != nil || g.Geometry != nil {
		t.Errorf("empty polygon: %v %v", g.Geometry, err)
	}
}

func TestCubeErrors(t *testing.T) {
	w, err := NewCubeWriter(&bytes.Buffer{}, FormatArrowStream, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(CubeRow{Day: time.Now()}); err == nil {
		t.Error("row without a cell accepted")
	}
	if err := w.Write(CubeRow{Cell: 1}); err == nil {
		t.Error("row without a day accepted")
	}
	w.Close()
	boom := func(yield func(CubeRow, error) bool) { yield(CubeRow{}, errBoom) }
	if _, err := WriteCube(&bytes.Buffer{}, FormatParquet, Options{}, boom); err != errBoom {
		t.Errorf("iterator error: %v", err)
	}
}

var errBoom = errorString("boom")

type errorString string

func (e errorString) Error() string { return string(e) }
