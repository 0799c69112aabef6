package export

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/geo311/geo311/data"
)

// reusedRows yields rs as data.ExportRows the way a store's narrow scan
// does: one row value, its strings views of one buffer that is
// overwritten after every call, so a writer that kept a string would
// write garbage.
func reusedRows(rs []*data.Request) func(layers []data.Layer, fn func(*data.ExportRow) error) error {
	return func(layers []data.Layer, fn func(*data.ExportRow) error) error {
		var row data.ExportRow
		var buf []byte
		view := func(s string) string {
			if s == "" {
				return ""
			}
			start := len(buf)
			buf = append(buf, s...)
			return unsafe.String(&buf[start], len(s))
		}
		for _, r := range rs {
			row.SetRequest(r, layers)
			buf = make([]byte, 0, 4096)
			row.Number, row.ServiceCode, row.ServiceName = view(row.Number), view(row.ServiceCode), view(row.ServiceName)
			row.Kind, row.State, row.Origin = data.Kind(view(string(row.Kind))), data.State(view(string(row.State))), data.Origin(view(string(row.Origin)))
			row.Department, row.Unit, row.ParentNumber = view(row.Department), view(row.Unit), view(row.ParentNumber)
			row.Description, row.Address, row.ZIP = view(row.Description), view(row.Address), view(row.ZIP)
			for i, a := range row.Areas {
				row.Areas[i] = view(a)
			}
			if err := fn(&row); err != nil {
				return err
			}
			for i := range buf {
				buf[i] = '#'
			}
		}
		return nil
	}
}

// TestWriteRowsSameAsRequests: WriteRows of rows made from requests
// (data.ExportRow.SetRequest) writes the very bytes WriteRequests writes,
// in every format and encoding, public or not, although each row's strings
// are overwritten once it is written.
func TestWriteRowsSameAsRequests(t *testing.T) {
	rs := sampleRequests()
	for i := range 300 { // several batches, dictionaries growing across them
		r := new(data.Request)
		genRequest(r, i)
		rs = append(rs, r)
	}
	for _, f := range Formats() {
		for _, opt := range []Options{
			{Jurisdiction: testJurisdiction(), BatchSize: 64},
			{Jurisdiction: testJurisdiction(), Public: true, GeometryEncoding: EncodingWKB, BatchSize: 100},
			{Layers: []data.Layer{data.LayerWard, "custom_zone"}},
		} {
			opt.TempDir = t.TempDir()
			want, wst := writeAll(t, f, opt, rs)
			var got bytes.Buffer
			gst, err := WriteRows(&got, f, opt, reusedRows(rs))
			if err != nil {
				t.Fatalf("%s: WriteRows: %v", f, err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s %+v: WriteRows wrote %d bytes that differ from WriteRequests' %d", f, opt.Layers, got.Len(), len(want))
			}
			if gst != wst {
				t.Errorf("%s: WriteRows stats %+v, WriteRequests %+v", f, gst, wst)
			}
		}
	}
}

// TestWriteRowFirstArea: the area column holds the request's first area of
// the layer, as the stores' layer columns do.
func TestWriteRowFirstArea(t *testing.T) {
	r := sampleRequests()[0]
	r.Areas = append([]data.AreaRef{{Layer: data.LayerWard, ID: "7"}}, r.Areas...) // ward 7, then ward 42
	b, _ := writeAll(t, FormatCSV, Options{Layers: []data.Layer{data.LayerWard}}, []*data.Request{r})
	if !bytes.Contains(b, []byte("Ward 42 crew,web,7,")) {
		t.Errorf("ward column is not the first ward area:\n%s", b)
	}
}

func TestWriteRowErrors(t *testing.T) {
	for _, f := range Formats() {
		w, err := NewWriter(&bytes.Buffer{}, f, Options{Layers: testLayers, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Layers(); len(got) != len(testLayers) || got[0] != testLayers[0] {
			t.Errorf("%s: Layers() = %v, want %v", f, got, testLayers)
		}
		if err := w.WriteRow(nil); data.ErrorField(err) != "request" {
			t.Errorf("%s: WriteRow(nil) = %v", f, err)
		}
		if err := w.WriteRow(&data.ExportRow{Number: "SR26-00000001", Areas: []string{"0111"}}); data.ErrorField(err) != "areas" {
			t.Errorf("%s: WriteRow with 1 area for 3 layers = %v", f, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRow(&data.ExportRow{Areas: make([]string, 3)}); err == nil {
			t.Errorf("%s: WriteRow after Close succeeded", f)
		}
	}
	if got, err := Layers(Options{Jurisdiction: testJurisdiction()}); err != nil || len(got) != 3 || got[2] != data.LayerWard {
		t.Errorf("Layers(jurisdiction) = %v, %v", got, err)
	}
	if _, err := Layers(Options{Layers: []data.Layer{"zip"}}); data.ErrorField(err) != "layers" {
		t.Errorf("Layers with a reserved name: %v", err)
	}
}
