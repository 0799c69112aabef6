package main

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestBadInputNeverGives500 sends malformed or out-of-range input to every
// endpoint: each answer is a 4xx with a JSON error naming the field, never
// a 500.
func TestBadInputNeverGives500(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "demo.db"), "GEO311_ADMIN_KEY": adminKey, "GEO311_MAX_BODY": "4KiB"}
	ts := startServe(t, vars, "--demo")
	base := ts.URL
	auth := []string{"Authorization", "Bearer " + adminKey}
	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"beat_num":"1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}`
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		field                           string
		hdr                             []string
	}{
		{"route: empty body", "POST", "/v1/route", "application/json", "", 400, "body", nil},
		{"route: not JSON", "POST", "/v1/route", "application/json", "lat=1&lon=2", 400, "body", nil},
		{"route: truncated", "POST", "/v1/route", "application/json", `{"lat":41.2,`, 400, "body", nil},
		{"route: array", "POST", "/v1/route", "application/json", `[41.2,-88.3]`, 400, "body", nil},
		{"route: two objects", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3}{}`, 400, "body", nil},
		{"route: no lat", "POST", "/v1/route", "application/json", `{"lon":-88.3}`, 400, "lat", nil},
		{"route: no lon", "POST", "/v1/route", "application/json", `{"lat":41.2}`, 400, "lon", nil},
		{"route: null lat", "POST", "/v1/route", "application/json", `{"lat":null,"lon":-88.3}`, 400, "lat", nil},
		{"route: lat string", "POST", "/v1/route", "application/json", `{"lat":"41.2","lon":-88.3}`, 400, "lat", nil},
		{"route: lat NaN", "POST", "/v1/route", "application/json", `{"lat":NaN,"lon":-88.3}`, 400, "body", nil},
		{"route: lat huge", "POST", "/v1/route", "application/json", `{"lat":1e999,"lon":-88.3}`, 400, "lat", nil},
		{"route: lat 91", "POST", "/v1/route", "application/json", `{"lat":91,"lon":-88.3}`, 400, "lat", nil},
		{"route: lon -181", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-181}`, 400, "lon", nil},
		{"route: bad date", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3,"time":"12/19/2012"}`, 400, "time", nil},
		{"route: date not a string", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3,"time":20121219}`, 400, "time", nil},
		{"route: unknown service", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3,"service_code":"NOPE"}`, 400, "service_code", nil},
		{"route: unknown field", "POST", "/v1/route", "application/json", `{"lat":41.2,"lng":-88.3}`, 400, "lng", nil},
		{"route: emergency", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3,"service_code":"EMERGENCY"}`, 422, "", nil},
		{"route: outside", "POST", "/v1/route", "application/json", `{"lat":0,"lon":0}`, 422, "", nil},
		{"route: too large", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3,"time":"` + strings.Repeat("x", 5000) + `"}`, 413, "", nil},
		{"route: GET", "GET", "/v1/route", "", "", 405, "", nil},
		{"batch: no content type", "POST", "/v1/route/batch", "", "lat,lon\n1,2\n", 400, "content_type", nil},
		{"batch: text/plain", "POST", "/v1/route/batch", "text/plain", "lat,lon\n1,2\n", 400, "content_type", nil},
		{"batch: csv empty", "POST", "/v1/route/batch", "text/csv", "", 400, "csv", nil},
		{"batch: csv without lat", "POST", "/v1/route/batch", "text/csv", "x,lon\n1,2\n", 400, "lat", nil},
		{"batch: csv without lon", "POST", "/v1/route/batch", "text/csv", "lat,y\n1,2\n", 400, "lon", nil},
		{"batch: csv bad header", "POST", "/v1/route/batch", "text/csv", "\"lat,lon\n", 400, "csv", nil},
		{"batch: geojson not json", "POST", "/v1/route/batch", "application/geo+json", "lat,lon", 400, "body", nil},
		{"batch: geojson truncated", "POST", "/v1/route/batch", "application/geo+json", `{"type":"FeatureCollection","features":[{"type":`, 400, "body", nil},
		{"batch: geojson feature", "POST", "/v1/route/batch", "application/geo+json", `{"type":"Feature","geometry":null}`, 400, "type", nil},
		{"batch: geojson no features", "POST", "/v1/route/batch", "application/geo+json", `{"type":"FeatureCollection"}`, 400, "features", nil},
		{"batch: bad time param", "POST", "/v1/route/batch?time=tomorrow", "text/csv", "lat,lon\n1,2\n", 400, "time", nil},
		{"batch: bad service param", "POST", "/v1/route/batch?service_code=NOPE", "text/csv", "lat,lon\n1,2\n", 400, "service_code", nil},
		{"area: bad layer name", "GET", "/v1/boundaries/Beat!/1", "", "", 400, "layer", nil},
		{"area: unknown layer", "GET", "/v1/boundaries/precinct/1", "", "", 404, "", nil},
		{"area: unknown id", "GET", "/v1/boundaries/beat/9999", "", "", 404, "", nil},
		{"area: bad date", "GET", "/v1/boundaries/beat/0111?date=soon", "", "", 400, "date", nil},
		{"generation: unknown", "GET", "/v1/boundaries/generations/beat@1900-01-01", "", "", 404, "", nil},
		{"upload: no key", "POST", "/v1/boundaries/beat/generations?from=2030-01-01", "application/geo+json", fc, 401, "", nil},
		{"upload: no from", "POST", "/v1/boundaries/beat/generations", "application/geo+json", fc, 400, "from", auth},
		{"upload: bad from", "POST", "/v1/boundaries/beat/generations?from=2030", "application/geo+json", fc, 400, "from", auth},
		{"upload: bad pad", "POST", "/v1/boundaries/beat/generations?from=2030-01-01&pad_id=x", "application/geo+json", fc, 400, "pad_id", auth},
		{"upload: derived layer", "POST", "/v1/boundaries/sector/generations?from=2030-01-01", "application/geo+json", fc, 400, "layer", auth},
		{"upload: custom layer without id", "POST", "/v1/boundaries/zone/generations?from=2030-01-01", "application/geo+json", fc, 400, "id_property", auth},
		{"upload: bad layer name", "POST", "/v1/boundaries/Zone!/generations?from=2030-01-01", "application/geo+json", fc, 400, "layer", auth},
		{"upload: not geojson", "POST", "/v1/boundaries/beat/generations?from=2030-01-01", "application/geo+json", "hello", 400, "geojson", auth},
		{"upload: unclosed ring", "POST", "/v1/boundaries/beat/generations?from=2030-01-01", "application/geo+json", strings.Replace(fc, "[0,1],[0,0]]", "[0,1]]", 1), 400, "features[0]", auth},
		{"upload: NaN-like coordinate", "POST", "/v1/boundaries/beat/generations?from=2030-01-01", "application/geo+json", strings.Replace(fc, "[1,1]", "[1,1e999]", 1), 400, "features[0]", auth},
		{"upload: missing id", "POST", "/v1/boundaries/beat/generations?from=2030-01-01", "application/geo+json", strings.Replace(fc, `"beat_num":"1"`, `"x":"1"`, 1), 400, "features[0]", auth},
		{"activate: unknown", "POST", "/v1/boundaries/generations/beat@1900-01-01/activate", "", "", 404, "", auth},
		{"activate: no key", "POST", "/v1/boundaries/generations/beat@2020-01-01/activate", "", "", 401, "", nil},
		{"unknown endpoint", "GET", "/v2/route", "", "", 404, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, base+tc.path, tc.ctype, strings.NewReader(tc.body), tc.hdr...)
			var e apiError
			r.JSON(t, &e)
			if r.Status != tc.status || e.Error.Code == "" || e.Error.Message == "" || e.Error.Field != tc.field {
				t.Errorf("%s %s: %d %s, want %d naming %q", tc.method, tc.path, r.Status, r.Body, tc.status, tc.field)
			}
		})
	}
	if strings.Contains(ts.logs.String(), "status=500") {
		t.Errorf("a request was answered 500:\n%s", ts.logs.String())
	}
}

// FuzzParseRouteRequest: any body is either a checked query (finite
// coordinates in range) or an ErrInvalid error naming a field.
func FuzzParseRouteRequest(f *testing.F) {
	for _, s := range []string{
		`{"lat":41.88,"lon":-87.63}`,
		`{"lat":41.88,"lon":-87.63,"time":"2016-01-01","service_code":"PHF"}`,
		`{"lat":41.88,"lon":-87.63,"time":"2016-01-01T10:00:00-06:00"}`,
		`{"lat":1e999,"lon":0}`,
		`{"lat":"x"}`,
		`{"lat":91,"lon":0,"extra":[1,2,{"a":null}]}`,
		`[]`, ``, `{`, `{"lat":0,"lon":0}{}`, `null`,
	} {
		f.Add(s)
	}
	loc, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	f.Fuzz(func(t *testing.T, body string) {
		q, err := parseRouteRequest(strings.NewReader(body), loc, now)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) == "" {
				t.Fatalf("error %v: not ErrInvalid naming a field", err)
			}
			return
		}
		if math.IsNaN(q.Lat) || math.IsNaN(q.Lon) || q.Lat < -90 || q.Lat > 90 || q.Lon < -180 || q.Lon > 180 || q.At.IsZero() {
			t.Fatalf("accepted %+v", q)
		}
	})
}

func TestParseRouteRequest(t *testing.T) {
	loc, _ := time.LoadLocation("America/Chicago")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, loc)
	q, err := parseRouteRequest(strings.NewReader(`{"lat":41.88,"lon":-87.63,"time":"2016-01-01","service_code":" PHF "}`), loc, now)
	if err != nil || q.Lat != 41.88 || q.Lon != -87.63 || !q.At.Equal(time.Date(2016, 1, 1, 0, 0, 0, 0, loc)) || q.ServiceCode != "PHF" {
		t.Errorf("got %+v, %v", q, err)
	}
	q, err = parseRouteRequest(strings.NewReader(`{"lat":0,"lon":0,"time":""}`), loc, now)
	if err != nil || !q.At.Equal(now) {
		t.Errorf("empty time: %+v, %v", q, err)
	}
	_ = fmt.Sprint
	_ = http.StatusOK
}
