package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// textOf renders an expected() value the way CSV writes it.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int32:
		return strconv.Itoa(int(v))
	case int64: // timestamps
		return time.UnixMicro(v).UTC().Format(TimeLayout)
	case uint64:
		return strconv.FormatUint(v, 16)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	panic("unexpected value")
}

func TestCSV(t *testing.T) {
	rs := sampleRequests()
	opt := Options{Jurisdiction: testJurisdiction()}
	b, st := writeAll(t, FormatCSV, opt, rs)
	if st.Rows != int64(len(rs)) {
		t.Errorf("stats %+v", st)
	}
	if !bytes.Contains(b, []byte(`"Deep hole, ""big"" one, near the curb"`)) {
		t.Error("RFC 4180 quoting of a field with comma and quotes not found")
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) || bytes.Count(b, []byte("\r\n")) < len(rs)+1 {
		t.Error("lines do not end with CRLF")
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = 0
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	cols, _ := Columns(opt, FormatCSV)
	if !reflect.DeepEqual(recs[0], cols) {
		t.Fatalf("header %v, want %v", recs[0], cols)
	}
	if cols[len(cols)-1] != "lat" {
		t.Errorf("CSV ends with %q, want lat (no geometry column)", cols[len(cols)-1])
	}
	if len(recs) != len(rs)+1 {
		t.Fatalf("%d records, want %d", len(recs), len(rs)+1)
	}
	for i, r := range rs {
		want := expected(r, testLayers)
		for c, name := range cols {
			got := recs[i+1][c]
			// encoding/csv turns \r\n inside a quoted field into \n.
			w := strings.ReplaceAll(textOf(want[name]), "\r\n", "\n")
			if got != w {
				t.Errorf("row %d %s = %q, want %q", i, name, got, w)
			}
		}
	}
	if bytes.Contains(b, []byte("ada@example.org")) || bytes.Contains(b, []byte("secret-hash")) {
		t.Error("private data in CSV")
	}
}

func TestGeoJSONSeq(t *testing.T) {
	rs := sampleRequests()
	opt := Options{Jurisdiction: testJurisdiction()}
	b, _ := writeAll(t, FormatGeoJSONSeq, opt, rs)
	if len(b) == 0 || b[0] != 0x1e {
		t.Fatal("does not start with RS (RFC 8142)")
	}
	parts := bytes.Split(b[1:], []byte{0x1e})
	if len(parts) != len(rs) {
		t.Fatalf("%d texts, want %d", len(parts), len(rs))
	}
	cols, _ := Columns(opt, FormatGeoJSONSeq)
	for i, p := range parts {
		if !bytes.HasSuffix(p, []byte("\n")) || bytes.Count(p, []byte("\n")) != 1 {
			t.Errorf("text %d is not one line ended by LF: %q", i, p)
		}
		var f struct {
			Type     string
			ID       string
			Geometry *struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("text %d: %v: %s", i, err, p)
		}
		r := rs[i]
		want := expected(r, testLayers)
		if f.Type != "Feature" || f.ID != r.Number {
			t.Errorf("text %d: type %q id %q", i, f.Type, f.ID)
		}
		if want["geometry"] == nil {
			if f.Geometry != nil {
				t.Errorf("text %d: geometry %+v, want null", i, f.Geometry)
			}
		} else if f.Geometry == nil || f.Geometry.Type != "Point" || !reflect.DeepEqual(f.Geometry.Coordinates, []float64{r.Lon, r.Lat}) {
			t.Errorf("text %d: geometry %+v", i, f.Geometry)
		}
		if len(f.Properties) != len(cols)-3 { // geometry, lon and lat are the geometry's
			t.Errorf("text %d: %d properties, want %d", i, len(f.Properties), len(cols)-3)
		}
		for name, got := range f.Properties {
			var g string
			switch v := got.(type) {
			case nil:
			case string:
				g = v
			case bool:
				g = strconv.FormatBool(v)
			case json.Number:
				g = v.String()
			default:
				t.Fatalf("text %d %s: unexpected %T", i, name, got)
			}
			if w := textOf(want[name]); g != w {
				t.Errorf("text %d %s = %q, want %q", i, name, g, w)
			}
			if (got == nil) != (want[name] == nil) {
				t.Errorf("text %d %s: null %v, want null %v", i, name, got == nil, want[name] == nil)
			}
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "tab\tnl\ncr\r\x00\x1f", "bad\xffutf8\xc3", "ls\u2028ps\u2029", "ünï✓😀"} {
		got := appendJSONString(nil, s)
		if !json.Valid(got) {
			t.Errorf("%q: invalid JSON %s", s, got)
			continue
		}
		var a, b string
		ref, _ := json.Marshal(s)
		json.Unmarshal(got, &a)
		json.Unmarshal(ref, &b)
		if a != b {
			t.Errorf("%q: decodes to %q, encoding/json gives %q", s, a, b)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff\xfe", "\u2028", "\x00\x1e\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON %q", got)
		}
		var a, b string
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(ref, &b)
		if a != b {
			t.Fatalf("decodes to %q, encoding/json gives %q", a, b)
		}
		if bytes.ContainsAny(got, "\n\r\x1e") {
			t.Fatalf("raw line break or RS in %q", got)
		}
	})
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
	}{
		{"arrows", FormatArrowStream}, {".arrows", FormatArrowStream}, {"ARROW", FormatArrowFile}, {"feather", FormatArrowFile},
		{"parquet", FormatParquet}, {".Parquet", FormatParquet}, {"geojsonseq", FormatGeoJSONSeq}, {"geojsonl", FormatGeoJSONSeq},
		{" csv ", FormatCSV},
	} {
		got, err := ParseFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "xlsx", "arrowss", "json", "csv;drop table"} {
		if _, err := ParseFormat(in); data.ErrorField(err) != "format" {
			t.Errorf("ParseFormat(%q): %v, want an invalid format error", in, err)
		}
	}
	for _, f := range Formats() {
		if g, err := ParseFormat(f.Extension()); err != nil || g != f {
			t.Errorf("%s: extension %q parses to %q, %v", f, f.Extension(), g, err)
		}
		if f.ContentType() == "application/octet-stream" {
			t.Errorf("%s: no content type", f)
		}
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"arrows", ".parquet", "CSV", "", "x\x00", strings.Repeat("a", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		if err != nil {
			if data.ErrorField(err) != "format" || len(err.Error()) > 200 {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !got.valid() {
			t.Fatalf("ParseFormat(%q) = %q, not a format", s, got)
		}
	})
}
