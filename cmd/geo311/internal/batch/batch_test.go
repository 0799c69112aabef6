package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

var testLayers = []data.Layer{data.LayerBeat, data.LayerWard}

// gridRoute is a stand-in router over a 0.01 degree grid: the beat is the
// cell, the ward changes with the date (2015), points south of the equator
// are outside, service code "EMG" is an emergency and codes other than ""
// and "PHF" are unknown.
func gridRoute(lon, lat float64, at time.Time, code string) (data.Routing, error) {
	if err := CheckPoint(lat, lon); err != nil {
		return data.Routing{}, err
	}
	if lat < 0 {
		return data.Routing{}, data.Errorf(data.ErrOutsideJurisdiction, "outside: call 312.744.5000")
	}
	switch code {
	case "", "PHF":
	case "EMG":
		return data.Routing{}, data.Errorf(data.ErrEmergency, "call 911")
	default:
		return data.Routing{}, data.Invalid("service_code", "%q is not a service code", code)
	}
	ward := "new"
	if at.Year() < 2015 {
		ward = "old"
	}
	rt := data.Routing{Lon: lon, Lat: lat, At: at, Areas: []data.AreaRef{
		{Layer: data.LayerBeat, ID: fmt.Sprintf("%d:%d", int(math.Floor(lon*100)), int(math.Floor(lat*100)))},
		{Layer: data.LayerWard, ID: ward},
	}}
	if code != "" {
		rt.ServiceCode, rt.Department, rt.Unit = code, "CDOT", "Pothole crew"
	}
	return rt, nil
}

func opts() Options {
	return Options{Layers: testLayers, Route: gridRoute, DefaultTime: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ChunkSize: 3, Workers: 3}
}

func TestRouteCSV(t *testing.T) {
	in := "id,Latitude,Longitude,time,service_code,ward\n" +
		"1,41.88,-87.63,,PHF,x\n" +
		"2,41.88,-87.63,2010-05-01,,x\n" +
		"3,,-87.63,,,\n" +
		"4,NaN,-87.63,,,\n" +
		"5,91,-87.63,,,\n" +
		"6,41.88,-187,,,\n" +
		"7,41.88,-87.63,01/02/2010,,\n" +
		"8,41.88,-87.63,,NOPE,\n" +
		"9,41.88,-87.63,,EMG,\n" +
		"10,-41.88,-87.63,,,\n" +
		"11,abc,-87.63,,,\n" +
		"12\n" +
		"13,41.88,-87.63,2014-12-31T23:00:00-06:00,,\n"
	var out bytes.Buffer
	st, err := RouteCSV(context.Background(), strings.NewReader(in), &out, opts())
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 13 || st.Routed != 3 || st.Failed != 10 {
		t.Errorf("stats = %+v\n%s", st, out.String())
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "id,Latitude,Longitude,time,service_code,ward,beat,department,unit,error_code,error_field,error"
	if got := strings.Join(recs[0], ","); got != wantHeader {
		t.Fatalf("header\n got %s\nwant %s", got, wantHeader)
	}
	want := []struct{ id, beat, ward, dept, code, field string }{
		{"1", "-8763:4188", "new", "CDOT", "", ""},
		{"2", "-8763:4188", "old", "", "", ""},
		{"3", "", "", "", "invalid", "lat"},
		{"4", "", "", "", "invalid", "lat"},
		{"5", "", "", "", "invalid", "lat"},
		{"6", "", "", "", "invalid", "lon"},
		{"7", "", "", "", "invalid", "time"},
		{"8", "", "", "", "invalid", "service_code"},
		{"9", "", "", "", "emergency", ""},
		{"10", "", "", "", "outside_jurisdiction", ""},
		{"11", "", "", "", "invalid", "lat"},
		{"12", "", "", "", "invalid", "lat"},
		{"13", "-8763:4188", "old", "", "", ""},
	}
	if len(recs) != len(want)+1 {
		t.Fatalf("%d records, want %d", len(recs), len(want)+1)
	}
	for i, w := range want {
		r := recs[i+1]
		got := []string{r[0], r[6], r[5], r[7], r[9], r[10]}
		exp := []string{w.id, w.beat, w.ward, w.dept, w.code, w.field}
		if strings.Join(got, "|") != strings.Join(exp, "|") {
			t.Errorf("row %d: got %q, want %q (error %q)", i+1, got, exp, r[11])
		}
		if w.code != "" && r[11] == "" {
			t.Errorf("row %d: no error message", i+1)
		}
	}
}

func TestRouteCSVRejectsInputBeforeWriting(t *testing.T) {
	for _, tc := range []struct{ name, in, field string }{
		{"empty", "", "csv"},
		{"no lat", "x,lon\n1,2\n", "lat"},
		{"no lon", "lat,y\n1,2\n", "lon"},
		{"bad header quote", "\"lat,lon\n", "csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := RouteCSV(context.Background(), strings.NewReader(tc.in), &out, opts())
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != tc.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, data.ErrorField(err), tc.field)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q", out.String())
			}
		})
	}
}

func TestRouteCSVBadQuoteRowIsInline(t *testing.T) {
	in := "lat,lon\n41.88,-87.63\n41.\"88,-87.63\n41.89,-87.63\n"
	var out bytes.Buffer
	st, err := RouteCSV(context.Background(), strings.NewReader(in), &out, opts())
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 3 || st.Failed != 1 {
		t.Fatalf("stats %+v\n%s", st, out.String())
	}
	recs, _ := csv.NewReader(&out).ReadAll()
	if recs[2][len(recs[2])-3] != "invalid" || recs[2][len(recs[2])-2] != "csv" {
		t.Errorf("row 2 = %q", recs[2])
	}
	if recs[3][2] != "-8763:4189" {
		t.Errorf("row 3 = %q", recs[3])
	}
}

func TestRouteGeoJSON(t *testing.T) {
	in := `{"type":"FeatureCollection","name":"x","features":[
	{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"time":"2010-01-01","beat":"overwritten","note":"a"}},
	{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"service_code":"PHF"}},
	{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":null},
	{"type":"Feature","geometry":null,"properties":{}},
	{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,95]}},
	{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"time":"yesterday"}},
	{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"time":5}},
	[1,2],
	{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"service_code":"NOPE"}},
	{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63]}},
	{"type":"Feature","geometry":{"type":"Point","coordinates":["a","b"]}}
	]}`
	var out bytes.Buffer
	st, err := RouteGeoJSON(context.Background(), strings.NewReader(in), &out, opts())
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 11 || st.Routed != 2 {
		t.Errorf("stats %+v", st)
	}
	var fc struct {
		Type     string
		Features []struct {
			Type       string
			ID         any
			Geometry   json.RawMessage
			Properties map[string]any
		}
		Error any
	}
	if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 11 || fc.Error != nil {
		t.Fatalf("got %s", out.String())
	}
	f0 := fc.Features[0]
	if f0.ID != 7.0 || f0.Properties["beat"] != "-8763:4188" || f0.Properties["ward"] != "old" || f0.Properties["note"] != "a" {
		t.Errorf("feature 0 = %+v", f0)
	}
	if p := fc.Features[1].Properties; p["department"] != "CDOT" || p["ward"] != "new" {
		t.Errorf("feature 1 = %+v", p)
	}
	wantErr := []struct {
		i     int
		field string
	}{{2, "geometry"}, {3, "geometry"}, {4, "lat"}, {5, "time"}, {6, "time"}, {7, "features"}, {8, "service_code"}, {9, "geometry"}, {10, "geometry"}}
	for _, w := range wantErr {
		p := fc.Features[w.i].Properties
		e, _ := p["error"].(map[string]any)
		if e == nil || e["code"] != "invalid" || e["field"] != w.field || e["message"] == "" {
			t.Errorf("feature %d: error = %v, want invalid %s", w.i, p["error"], w.field)
		}
		if p["beat"] != nil {
			t.Errorf("feature %d: beat %v despite error", w.i, p["beat"])
		}
	}
}

func TestRouteGeoJSONRejectsInputBeforeWriting(t *testing.T) {
	for _, tc := range []struct{ name, in, field string }{
		{"empty", "", "body"},
		{"array", `[1]`, "body"},
		{"not json", `hello`, "body"},
		{"wrong type", `{"type":"Feature","features":[]}`, "type"},
		{"no features", `{"type":"FeatureCollection"}`, "features"},
		{"features object", `{"type":"FeatureCollection","features":{}}`, "body"},
		{"truncated", `{"type":"FeatureCollection","features":[{"type":"Feature"`, "body"},
		{"syntax after rows", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}, ]}`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := RouteGeoJSON(context.Background(), strings.NewReader(tc.in), &out, opts())
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != tc.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, data.ErrorField(err), tc.field)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q", out.String())
			}
		})
	}
}

func TestRouteGeoJSONSyntaxErrorMidStream(t *testing.T) {
	var in strings.Builder
	in.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 10 {
		if i > 0 {
			in.WriteString(",")
		}
		in.WriteString(`{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.6,41.8]}}`)
	}
	in.WriteString(`,{"type":}]}`)
	var out bytes.Buffer
	st, err := RouteGeoJSON(context.Background(), strings.NewReader(in.String()), &out, opts())
	if !errors.Is(err, data.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	var fc struct {
		Features []json.RawMessage
		Error    struct{ Code, Field, Message string }
	}
	if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if len(fc.Features) != 10 || st.Rows != 10 || fc.Error.Code != "invalid" || fc.Error.Field != "body" {
		t.Errorf("features %d, stats %+v, error %+v", len(fc.Features), st, fc.Error)
	}
}

func TestOrderIsKept(t *testing.T) {
	o := opts()
	o.Workers, o.ChunkSize = 4, 7
	var slow atomic.Int64
	o.Route = func(lon, lat float64, at time.Time, code string) (data.Routing, error) {
		if slow.Add(1)%13 == 0 {
			time.Sleep(50 * time.Microsecond)
		}
		return data.Routing{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: fmt.Sprint(lat)}}}, nil
	}
	var in strings.Builder
	in.WriteString("lat,lon\n")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&in, "%d,0\n", i%90)
	}
	var out bytes.Buffer
	if _, err := RouteCSV(context.Background(), strings.NewReader(in.String()), &out, o); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&out).ReadAll()
	if len(recs) != n+1 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs[1:] {
		if r[2] != fmt.Sprint(i%90) {
			t.Fatalf("row %d: beat %q after lat %q", i, r[2], r[0])
		}
	}
}

// failingWriter fails after n bytes, as a client that goes away.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("connection reset")
	}
	return len(p), nil
}

func TestWriteErrorStopsTheBatch(t *testing.T) {
	r := &pointReader{n: 1_000_000, format: "csv"}
	_, err := RouteCSV(context.Background(), r, &failingWriter{n: 100_000}, opts())
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v", err)
	}
	if r.i > 200_000 {
		t.Errorf("read %d rows after the writer failed", r.i)
	}
}

func TestContextCancelStopsTheBatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &pointReader{n: 1_000_000, format: "geojson", after: 1000, hook: cancel}
	_, err := RouteGeoJSON(ctx, r, io.Discard, opts())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// pointReader generates n points lazily as CSV or GeoJSON.
type pointReader struct {
	n, i   int
	format string
	buf    []byte
	done   bool
	after  int
	hook   func()
}

func (r *pointReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		r.next()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *pointReader) next() {
	if r.hook != nil && r.i == r.after {
		r.hook()
	}
	lat, lon := 41.65+float64(r.i%3571)*0.0001, -87.9+float64(r.i%2857)*0.00013
	switch {
	case r.i == 0 && r.format == "csv":
		r.buf = append(r.buf, "lat,lon,time\n"...)
	case r.i == 0:
		r.buf = append(r.buf, `{"type":"FeatureCollection","features":[`...)
	}
	if r.i == r.n {
		if r.format != "csv" {
			r.buf = append(r.buf, "]}"...)
		}
		r.done = true
		return
	}
	if r.format == "csv" {
		r.buf = fmt.Appendf(r.buf, "%.6f,%.6f,2024-03-01\n", lat, lon)
	} else {
		if r.i > 0 {
			r.buf = append(r.buf, ',')
		}
		r.buf = fmt.Appendf(r.buf, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"time":"2024-03-01"}}`, lon, lat)
	}
	r.i++
}

// countWriter counts bytes written.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestMemoryIsBounded streams a GeoJSON input much larger than the heap it
// may use and samples the live heap while it runs.
func TestMemoryIsBounded(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000 // the bound is only asserted on the full run
	}
	r := &pointReader{n: n, format: "geojson"}
	o := opts()
	o.Workers, o.ChunkSize = 0, 0
	// Collect garbage eagerly so the heap in use tracks live data.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	var w countWriter
	st, err := RouteGeoJSON(context.Background(), r, &w, o)
	close(stop)
	<-sampled
	if err != nil || st.Routed != n {
		t.Fatalf("stats %+v, err %v", st, err)
	}
	in := int64(n) * 110
	grown := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("%d features, about %d MB in, %d MB out, heap in use grew by at most %.1f MB", n, in>>20, w.n>>20, float64(grown)/(1<<20))
	if n >= 100_000 && grown > 6<<20 {
		t.Errorf("heap grew by %d MB for a %d MB input", grown>>20, in>>20)
	}
}

func TestParseTime(t *testing.T) {
	chi, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-05-01T14:30:00-05:00", time.Date(2024, 5, 1, 19, 30, 0, 0, time.UTC), true},
		{"2024-05-01T19:30:00Z", time.Date(2024, 5, 1, 19, 30, 0, 0, time.UTC), true},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, chi), true},
		{" 2024-05-01 ", time.Date(2024, 5, 1, 0, 0, 0, 0, chi), true},
		{"2011-01-01T00:00:00", time.Date(2011, 1, 1, 0, 0, 0, 0, chi), true},
		{"2011-01-01 08:15:00", time.Date(2011, 1, 1, 8, 15, 0, 0, chi), true},
		{"01/02/2011", time.Time{}, false},
		{"2024-13-01", time.Time{}, false},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	} {
		got, err := ParseTime("time", tc.in, chi)
		if tc.ok != (err == nil) || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("ParseTime(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && (data.ErrorField(err) != "time" || !errors.Is(err, data.ErrInvalid)) {
			t.Errorf("ParseTime(%q) error %v does not name time", tc.in, err)
		}
	}
}

func BenchmarkRouteGeoJSONFake(b *testing.B) {
	o := opts()
	o.Workers, o.ChunkSize = 0, 0
	for b.Loop() {
		r := &pointReader{n: 100_000, format: "geojson"}
		if _, err := RouteGeoJSON(context.Background(), r, io.Discard, o); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "0111", `a"b\c`, "tab\there\nnl\x00\x1f", "café ünïcode 区", "bad\xffutf8", "sep\u2028\u2029", "<&>"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q -> %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if back != want {
			t.Errorf("%q -> %s -> %q", s, got, back)
		}
	}
}
