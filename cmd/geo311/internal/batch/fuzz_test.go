package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
)

// FuzzRouteCSV: any input either is rejected as a whole with an ErrInvalid
// error and no output, or gives a well-formed CSV with one output row per
// input row (plus the header), each routed or carrying an error code.
func FuzzRouteCSV(f *testing.F) {
	for _, s := range []string{
		"lat,lon\n41.88,-87.63\n",
		"lat,lon,time,service_code\n41.88,-87.63,2010-01-01,PHF\n,,\n91,0,,\n",
		"latitude,longitude\nNaN,Inf\n1e400,-0\n",
		"\ufefflat,lon\n\"41.8\"8,-87\n",
		"LAT,LNG\n1,2,3,4\n5\n",
		"lat,lon\n41,-87,\"unterminated\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		o := opts()
		var out bytes.Buffer
		st, err := RouteCSV(context.Background(), strings.NewReader(in), &out, o)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) {
				t.Fatalf("error of unknown kind: %v", err)
			}
			if out.Len() != 0 && st.Rows == 0 {
				t.Fatalf("rejected input but wrote %q", out.String())
			}
			return
		}
		r := csv.NewReader(&out)
		r.FieldsPerRecord = 0
		recs, rerr := r.ReadAll()
		if rerr != nil {
			t.Fatalf("output is not CSV: %v\n%q", rerr, out.String())
		}
		if len(recs) != st.Rows+1 || st.Rows != st.Routed+st.Failed {
			t.Fatalf("%d records for stats %+v", len(recs), st)
		}
		for _, rec := range recs[1:] {
			code := rec[len(rec)-3]
			if code == "internal" {
				t.Fatalf("internal error on %q", rec)
			}
		}
	})
}

// FuzzRouteGeoJSON: any input is rejected with ErrInvalid and no output, or
// gives a JSON FeatureCollection with one feature per input feature.
func FuzzRouteGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"time":"2010-01-01"}}]}`,
		`{"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1e400,2]}}],"type":"FeatureCollection"}`,
		`{"type":"FeatureCollection","features":[null,1,"x",[],{"properties":[]}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.63,41.88]},"properties":{"service_code":7}}]`,
		`{"type":"FeatureCollection","features":[]}`,
		`[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		st, err := RouteGeoJSON(context.Background(), strings.NewReader(in), &out, opts())
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) {
				t.Fatalf("error of unknown kind: %v", err)
			}
			if st.Rows == 0 && out.Len() != 0 {
				t.Fatalf("rejected input but wrote %q", out.String())
			}
			if out.Len() == 0 {
				return
			}
		}
		var fc struct {
			Type     string
			Features []struct {
				Properties map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.String())
		}
		if fc.Type != "FeatureCollection" || len(fc.Features) != st.Rows {
			t.Fatalf("%d features for stats %+v", len(fc.Features), st)
		}
		for _, ft := range fc.Features {
			if e, ok := ft.Properties["error"]; ok && bytes.Contains(e, []byte(`"internal"`)) {
				t.Fatalf("internal error: %s", e)
			}
		}
	})
}
