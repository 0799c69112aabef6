package main

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

// Synthetic Chicago-like boundaries: three beats on a 0.01 degree grid.
//
//	+-------------+
//	|    0121     |   sector 012
//	+------+------+
//	| 0111 | 0112 |   sector 011
//	+------+------+
const (
	x0, y0, sz = -87.70, 41.85, 0.01
	adminKey   = "test-admin-key-0123456789"
)

func syntheticFiles(t *testing.T, dir string) (beats, districts, wards2003, wards2015, areas string) {
	beats = writeFile(t, dir, "beats.geojson", featureCollection(
		square{map[string]string{"beat_num": "111"}, x0, y0, x0 + sz, y0 + sz}, // padded to 0111
		square{map[string]string{"beat_num": "0112"}, x0 + sz, y0, x0 + 2*sz, y0 + sz},
		square{map[string]string{"beat_num": "0121"}, x0, y0 + sz, x0 + 2*sz, y0 + 2*sz},
	))
	districts = writeFile(t, dir, "districts.geojson", featureCollection(
		square{map[string]string{"dist_num": "1", "dist_label": "1ST"}, x0, y0, x0 + 2*sz, y0 + 2*sz},
	))
	wards2003 = writeFile(t, dir, "wards2003.geojson", featureCollection(
		square{map[string]string{"ward": "1"}, x0, y0, x0 + 2*sz, y0 + 2*sz},
	))
	wards2015 = writeFile(t, dir, "wards2015.geojson", featureCollection(
		square{map[string]string{"ward": "1"}, x0, y0, x0 + sz, y0 + 2*sz},
		square{map[string]string{"ward": "2"}, x0 + sz, y0, x0 + 2*sz, y0 + 2*sz},
	))
	areas = featureCollection(
		square{map[string]string{"area_numbe": "32", "community": "LOOP"}, x0, y0, x0 + 2*sz, y0 + 2*sz},
	)
	return
}

type routeAnswer struct {
	Areas      []data.AreaRef `json:"areas"`
	Department string         `json:"department"`
	Unit       string         `json:"unit"`
	Time       string         `json:"time"`
}

func (a routeAnswer) area(l data.Layer) string {
	for _, r := range a.Areas {
		if r.Layer == l {
			return r.ID
		}
	}
	return ""
}

func route(t *testing.T, base string, lat, lon float64, extra string) (routeAnswer, *response) {
	t.Helper()
	resp := postJSON(t, base+"/v1/route", fmt.Sprintf(`{"lat":%v,"lon":%v%s}`, lat, lon, extra))
	var a routeAnswer
	if resp.Status == http.StatusOK {
		resp.JSON(t, &a)
	}
	return a, resp
}

func TestSyntheticBoundariesThroughCLIAndHTTP(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(dir, "geo311.db"), "GEO311_ADMIN_KEY": adminKey, "GEO311_LOG_LEVEL": "warn"}
	beats, districts, wards2003, wards2015, areas := syntheticFiles(t, dir)

	out := mustCLI(t, vars, "boundaries", "load", "--layer", "beat", "--id-property", "beat_num", "--from", "2012-12-19", beats)
	for _, want := range []string{"beat@2012-12-19: stored inactive", "3 areas", "2 sector areas derived"} {
		if !strings.Contains(out, want) {
			t.Errorf("load output lacks %q:\n%s", want, out)
		}
	}
	mustCLI(t, vars, "boundaries", "load", "--layer", "district", "--from", "2012-12-19", districts, "--activate")
	mustCLI(t, vars, "boundaries", "load", "--layer", "ward", "--from", "2003-05-05", "--activate", wards2003)
	mustCLI(t, vars, "boundaries", "load", "--layer", "ward", "--from", "2015-05-18", wards2015, "--json")
	mustCLI(t, vars, "boundaries", "activate", "beat@2012-12-19")

	// Loading the same generation twice is a conflict; derived layers and
	// custom layers without an id property are refused, naming the flag.
	if _, _, err := cli(t, vars, "boundaries", "load", "--layer", "beat", "--from", "2012-12-19", beats); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("second load: %v", err)
	}
	if _, _, err := cli(t, vars, "boundaries", "load", "--layer", "sector", "--from", "2012-12-19", beats); err == nil || !strings.Contains(err.Error(), "derived from beat") {
		t.Errorf("sector load: %v", err)
	}
	if _, _, err := cli(t, vars, "boundaries", "activate", "ward@1999-01-01"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("activate unknown: %v", err)
	}

	list := mustCLI(t, vars, "boundaries", "list")
	for _, want := range []string{"beat@2012-12-19", "sector@2012-12-19", "derived", "ward@2015-05-18"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	if !regexpLine(list, `ward@2015-05-18\s+ward\s+2015-05-18\s+no\s+2`) || !regexpLine(list, `ward@2003-05-05\s+ward\s+2003-05-05\s+yes\s+1`) {
		t.Errorf("list does not show activation states:\n%s", list)
	}

	// The CLI's route command.
	in := writeFile(t, dir, "in.csv", "id,lat,lon,time\n"+
		fmt.Sprintf("a,%v,%v,2016-01-01\n", y0+0.5*sz, x0+0.5*sz)+
		fmt.Sprintf("b,%v,%v,2016-01-01\n", y0+0.5*sz, x0+sz)+ // on the 0111|0112 edge: east wins
		"c,10,10,\n")
	csvOut := mustCLI(t, vars, "route", in)
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "id,lat,lon,time,beat,sector,district,ward,community_area,department,unit,error_code,error_field,error" {
		t.Errorf("route header %s", got)
	}
	if recs[1][4] != "0111" || recs[1][5] != "011" || recs[1][6] != "01" || recs[1][7] != "1" || recs[2][4] != "0112" || recs[3][11] != "outside_jurisdiction" {
		t.Errorf("route output:\n%s", csvOut)
	}

	ts := startServe(t, vars)
	base := ts.URL

	a, resp := route(t, base, y0+0.5*sz, x0+0.5*sz, `,"time":"2016-01-01","service_code":"CC-NARC"`)
	if resp.Status != 200 || a.area(data.LayerBeat) != "0111" || a.area(data.LayerSector) != "011" || a.area(data.LayerDistrict) != "01" || a.area(data.LayerWard) != "1" {
		t.Fatalf("interior point: %d %s", resp.Status, resp.Body)
	}
	if !strings.Contains(a.Unit, "01") || a.Department == "" {
		t.Errorf("community concern routed to %q / %q", a.Department, a.Unit)
	}
	// The answer's time is in the city's zone, given or not.
	if a.Time != "2016-01-01T00:00:00-06:00" {
		t.Errorf("time given as 2016-01-01 echoed as %q", a.Time)
	}
	if a, resp := route(t, base, y0+0.5*sz, x0+0.5*sz, ""); !strings.HasSuffix(a.Time, "-06:00") && !strings.HasSuffix(a.Time, "-05:00") {
		t.Errorf("time of a route without one is %q, not Chicago time: %s", a.Time, resp.Body)
	}
	// CPD G01-04: on a shared edge the point is extended south and east.
	if a, resp := route(t, base, y0+0.5*sz, x0+sz, ""); a.area(data.LayerBeat) != "0112" {
		t.Errorf("vertical edge: %s", resp.Body)
	}
	if a, resp := route(t, base, y0+sz, x0+0.5*sz, ""); a.area(data.LayerBeat) != "0111" {
		t.Errorf("horizontal edge: %s", resp.Body)
	}
	_, resp = route(t, base, 41.0, -87.0, "")
	var e apiError
	resp.JSON(t, &e)
	if resp.Status != http.StatusUnprocessableEntity || e.Error.Code != "outside_jurisdiction" || !strings.Contains(e.Error.Message, "312") {
		t.Errorf("outside: %d %s", resp.Status, resp.Body)
	}

	// The 2015 ward map is stored but inactive: 2016 still routes to ward 1.
	east := func(date string) string {
		a, resp := route(t, base, y0+0.5*sz, x0+1.5*sz, `,"time":"`+date+`"`)
		if resp.Status != 200 {
			t.Fatalf("route at %s: %s", date, resp.Body)
		}
		return a.area(data.LayerWard)
	}
	if w := east("2016-01-01"); w != "1" {
		t.Errorf("before activation, ward %q", w)
	}
	activate := base + "/v1/boundaries/generations/ward@2015-05-18/activate"
	if r := do(t, "POST", activate, "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("activate without key: %d", r.Status)
	}
	if r := do(t, "POST", activate, "", nil, "Authorization", "Bearer wrong-key-wrong-key"); r.Status != http.StatusUnauthorized {
		t.Errorf("activate with a wrong key: %d", r.Status)
	}
	r := do(t, "POST", activate, "", nil, "Authorization", "Bearer "+adminKey)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"in_use":true`) {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	if w := east("2016-01-01"); w != "2" {
		t.Errorf("after activation, 2016: ward %q, want 2", w)
	}
	if w := east("2010-06-01"); w != "1" {
		t.Errorf("after activation, 2010: ward %q, want 1", w)
	}
	if w := east("2015-05-18T00:00:00-05:00"); w != "2" {
		t.Errorf("on the effective day: ward %q, want 2", w)
	}

	// Upload a community area generation over HTTP, then activate it.
	up := do(t, "POST", base+"/v1/boundaries/community_area/generations?from=1980-01-01", "application/geo+json", strings.NewReader(areas), "Authorization", "Bearer "+adminKey)
	var lr loadResult
	up.JSON(t, &lr)
	if up.Status != http.StatusCreated || lr.Generation != "community_area@1980-01-01" || lr.Report == nil || lr.Report.Areas != 1 || lr.Active {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	if r := do(t, "POST", base+"/v1/boundaries/community_area/generations?from=1980-01-01", "application/geo+json", strings.NewReader(areas), "Authorization", "Bearer "+adminKey); r.Status != http.StatusConflict {
		t.Errorf("second upload: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", base+"/v1/boundaries/generations/community_area@1980-01-01/activate", "", nil, "Authorization", "Bearer "+adminKey); r.Status != 200 {
		t.Fatalf("activate upload: %d %s", r.Status, r.Body)
	}
	if a, resp := route(t, base, y0+0.5*sz, x0+0.5*sz, ""); a.area(data.LayerCommunityArea) != "32" {
		t.Errorf("community area after upload: %s", resp.Body)
	}

	// Areas as GeoJSON, now and at a date.
	r = do(t, "GET", base+"/v1/boundaries/beat/111", "", nil)
	var f struct {
		Type       string
		ID         string
		Geometry   struct{ Type string }
		Properties map[string]any
	}
	r.JSON(t, &f)
	if r.Status != 200 || f.Type != "Feature" || f.ID != "beat/0111" || f.Geometry.Type != "MultiPolygon" || f.Properties["generation"] != "beat@2012-12-19" {
		t.Errorf("area: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", base+"/v1/boundaries/ward/2?date=2010-01-01", "", nil); r.Status != 404 {
		t.Errorf("ward 2 in 2010: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", base+"/v1/boundaries/ward/2?date=2016-01-01", "", nil); r.Status != 200 {
		t.Errorf("ward 2 in 2016: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", base+"/v1/boundaries/sector/011", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"generation":"sector@2012-12-19"`) {
		t.Errorf("derived sector: %d %s", r.Status, r.Body)
	}

	// GET /v1/boundaries lists generations, derived ones included.
	var br boundariesResponse
	do(t, "GET", base+"/v1/boundaries", "", nil).JSON(t, &br)
	if br.Jurisdiction.ID != "chicago" || len(br.Layers) < 5 {
		t.Fatalf("boundaries: %+v", br)
	}
	for _, l := range br.Layers {
		if l.Layer == data.LayerSector && (len(l.Generations) != 1 || !l.Generations[0].Derived || l.Generations[0].Areas != 2) {
			t.Errorf("sector layer: %+v", l)
		}
		if l.Layer == data.LayerWard && len(l.Generations) != 2 {
			t.Errorf("ward layer: %+v", l)
		}
	}

	// Deactivating takes the generation out of the index.
	if r := do(t, "POST", base+"/v1/boundaries/generations/ward@2015-05-18/deactivate", "", nil, "Authorization", "Bearer "+adminKey); r.Status != 200 {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if w := east("2016-01-01"); w != "1" {
		t.Errorf("after deactivation, ward %q", w)
	}
	if strings.Contains(ts.logs.String(), adminKey) {
		t.Error("the admin key appears in the logs")
	}
}

func regexpLine(s, re string) bool {
	return regexp.MustCompile(re).MatchString(s)
}

func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(dir, "demo.db")}
	j, gens := geo.Demo(1)
	ts := startServe(t, vars, "--demo")
	base := ts.URL

	if r := do(t, "GET", base+"/healthz", "", nil); r.Status != 200 {
		t.Errorf("healthz %d", r.Status)
	}
	var rd readiness
	r := do(t, "GET", base+"/readyz", "", nil)
	r.JSON(t, &rd)
	if r.Status != 200 || !rd.Ready {
		t.Errorf("readyz %d %s", r.Status, r.Body)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	if r := do(t, "GET", base+"/healthz", "", nil, "X-Request-Id", "abc-123"); r.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id not echoed: %q", r.Header.Get("X-Request-Id"))
	}

	// An interior point of every demo beat routes to it, one by one and in
	// a batch (CSV and GeoJSON).
	var csvIn strings.Builder
	csvIn.WriteString("want,lat,lon\n")
	var fc strings.Builder
	fc.WriteString(`{"type":"FeatureCollection","features":[`)
	n := 0
	var beatIDs []string
	for _, g := range gens {
		if g.Layer != data.LayerBeat {
			continue
		}
		for _, a := range g.Areas {
			pt, ok := geo.InteriorPoint(a.Geometry)
			if !ok {
				t.Fatalf("beat %s has no interior point", a.ID)
			}
			if n < 5 {
				got, resp := route(t, base, pt[1], pt[0], `,"service_code":"PHF"`)
				if got.area(data.LayerBeat) != a.ID || got.Department == "" {
					t.Errorf("beat %s: %s", a.ID, resp.Body)
				}
			}
			fmt.Fprintf(&csvIn, "%s,%v,%v\n", a.ID, pt[1], pt[0])
			if n > 0 {
				fc.WriteString(",")
			}
			fmt.Fprintf(&fc, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{"want":%q}}`, pt[0], pt[1], a.ID)
			beatIDs = append(beatIDs, a.ID)
			n++
		}
	}
	fc.WriteString("]}")
	if n < 10 {
		t.Fatalf("demo has %d beats", n)
	}
	r = do(t, "POST", base+"/v1/route/batch", "text/csv", strings.NewReader(csvIn.String()))
	if r.Status != 200 || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" || r.Header.Get("Geo311-Routed") != fmt.Sprint(n) {
		t.Fatalf("csv batch: %d %v %s", r.Status, r.Header, r.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs[1:] {
		if rec[0] != rec[3] || rec[0] != beatIDs[i] {
			t.Errorf("csv row %d: %q", i, rec)
		}
	}
	r = do(t, "POST", base+"/v1/route/batch?time=2021-01-01", "application/geo+json", strings.NewReader(fc.String()))
	var out struct {
		Features []struct{ Properties map[string]any }
	}
	r.JSON(t, &out)
	if r.Status != 200 || len(out.Features) != n {
		t.Fatalf("geojson batch: %d %s", r.Status, r.Body[:min(len(r.Body), 500)])
	}
	for i, f := range out.Features {
		if f.Properties["beat"] != f.Properties["want"] || f.Properties["district"] == nil {
			t.Errorf("feature %d: %v", i, f.Properties)
		}
	}

	// Every area endpoint and the listing answer from the demo.
	var br boundariesResponse
	do(t, "GET", base+"/v1/boundaries", "", nil).JSON(t, &br)
	if br.Jurisdiction.ID != j.ID {
		t.Errorf("jurisdiction %q", br.Jurisdiction.ID)
	}
	for _, l := range br.Layers {
		if len(l.Generations) == 0 {
			t.Errorf("layer %s has no generation", l.Layer)
		}
	}
	if r := do(t, "GET", base+"/v1/boundaries/beat/"+beatIDs[0], "", nil); r.Status != 200 {
		t.Errorf("area: %d %s", r.Status, r.Body)
	}

	// Stop and start again on the same database: nothing is stored twice.
	ts.Stop(t)
	before, _, _ := cli(t, vars, "boundaries", "list", "--demo")
	ts2 := startServe(t, vars, "--demo")
	if r := do(t, "GET", ts2.URL+"/readyz", "", nil); r.Status != 200 {
		t.Errorf("readyz after restart: %d", r.Status)
	}
	after, _, _ := cli(t, vars, "boundaries", "list", "--demo")
	if before != after || strings.Count(after, "\n") < 5 {
		t.Errorf("restart changed the generations:\n%s\n---\n%s", before, after)
	}
}

func TestServeEmptyStore(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "empty.db")}
	ts := startServe(t, vars)
	r := do(t, "GET", ts.URL+"/readyz", "", nil)
	var rd readiness
	r.JSON(t, &rd)
	if r.Status != 503 || rd.Ready || rd.Checks["store"] != "ok" || !strings.Contains(rd.Checks["boundaries"], "no boundaries") || r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", ts.URL+"/healthz", "", nil); r.Status != 200 {
		t.Errorf("healthz: %d", r.Status)
	}
	_, resp := route(t, ts.URL, 41.88, -87.63, "")
	var e apiError
	resp.JSON(t, &e)
	if resp.Status != 503 || e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, "boundaries load") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("route: %d %s", resp.Status, resp.Body)
	}
	if r := do(t, "POST", ts.URL+"/v1/route/batch", "text/csv", strings.NewReader("lat,lon\n1,2\n")); r.Status != 503 {
		t.Errorf("batch: %d %s", r.Status, r.Body)
	}
	var br boundariesResponse
	if r := do(t, "GET", ts.URL+"/v1/boundaries", "", nil); r.Status != 200 {
		t.Errorf("boundaries: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &br)
	}
	if out := mustCLI(t, vars, "boundaries", "list"); !strings.Contains(out, "no generations stored") {
		t.Errorf("list: %s", out)
	}
	if _, _, err := cli(t, vars, "route", writeFile(t, t.TempDir(), "x.csv", "lat,lon\n1,2\n")); err == nil || !strings.Contains(err.Error(), "no boundaries") {
		t.Errorf("route with no boundaries: %v", err)
	}
}

func TestRealChicagoBeats(t *testing.T) {
	beats := sharedDir(t, "data/chicago/police_beats.geojson")
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "chicago.db"), "GEO311_LOG_LEVEL": "warn"}
	out := mustCLI(t, vars, "boundaries", "load", "--layer", "beat", "--id-property", "beat_num", "--from", "2012-12-19", beats, "--activate")
	if !strings.Contains(out, "275 areas") || !strings.Contains(out, "sector areas derived") {
		t.Errorf("load output:\n%s", out)
	}
	ts := startServe(t, vars)
	for _, tc := range []struct {
		name     string
		lat, lon float64
		beat     string
	}{
		// Chicago City Hall, 121 N LaSalle St: beat 0122 (1st district).
		{"City Hall", 41.88358, -87.63191, "0122"},
		// Wrigley Field, 1060 W Addison St: 19th district.
		{"Wrigley Field", 41.94822, -87.65536, "1923"},
	} {
		a, resp := route(t, ts.URL, tc.lat, tc.lon, "")
		if resp.Status != 200 {
			t.Fatalf("%s: %d %s", tc.name, resp.Status, resp.Body)
		}
		b := a.area(data.LayerBeat)
		if b != tc.beat || a.area(data.LayerSector) != b[:3] {
			t.Errorf("%s: beat %s sector %s, want beat %s", tc.name, b, a.area(data.LayerSector), tc.beat)
		}
		// Independently of geo: the source file's polygon of that beat
		// contains the point (orb's planar test).
		if !fileFeatureContains(t, beats, "beat_num", b, tc.lon, tc.lat) {
			t.Errorf("%s: the file's beat %s does not contain the point", tc.name, b)
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "x.db")}
	for _, tc := range []struct {
		args []string
		vars map[string]string
		want string
		code int
	}{
		{[]string{}, vars, "no command", 2},
		{[]string{"nope"}, vars, "unknown command", 2},
		{[]string{"boundaries"}, vars, "no subcommand", 2},
		{[]string{"boundaries", "nope"}, vars, "unknown subcommand", 2},
		{[]string{"boundaries", "load", "x.geojson"}, vars, "--layer is required", 2},
		{[]string{"boundaries", "load", "--layer", "beat", "x.geojson"}, vars, "--from is required", 2},
		{[]string{"boundaries", "load", "--layer", "beat", "--from", "12/19/2012", "x.geojson"}, vars, "--from", 2},
		{[]string{"boundaries", "load", "--layer", "Beat!", "--from", "2012-12-19", "x.geojson"}, vars, "--layer", 2},
		{[]string{"boundaries", "activate"}, vars, "give generation ids", 2},
		{[]string{"boundaries", "fetch", "gotham"}, vars, "no portal known", 2},
		{[]string{"boundaries", "fetch", "chicago", "--base-url", "ftp://x"}, vars, "--base-url", 2},
		{[]string{"route"}, vars, "one input file", 2},
		{[]string{"route", "--time", "soon", "x.csv"}, vars, "--time", 2},
		{[]string{"serve", "--bogus"}, vars, "flag provided but not defined", 2},
		{[]string{"serve", "--addr", "nonsense"}, vars, "--addr (GEO311_ADDR)", 1},
		{[]string{"serve"}, map[string]string{"GEO311_READ_TIMEOUT": "soon"}, "--read-timeout (GEO311_READ_TIMEOUT)", 1},
		{[]string{"serve", "--jurisdiction", "gotham"}, vars, "--jurisdiction (GEO311_JURISDICTION)", 1},
		{[]string{"serve"}, map[string]string{"GEO311_ADMIN_KEY": "short"}, "GEO311_ADMIN_KEY: too short", 1},
	} {
		_, stderr, err := cli(t, tc.vars, tc.args...)
		if err == nil || !strings.Contains(err.Error()+stderr, tc.want) || exitCode(err) != tc.code {
			t.Errorf("geo311 %q: err %v (exit %d), want %q (exit %d)\n%s", tc.args, err, exitCode(err), tc.want, tc.code, stderr)
		}
	}
	if out, _, err := cli(t, vars, "help"); err != nil || !strings.Contains(out, "boundaries") {
		t.Errorf("help: %v %s", err, out)
	}
	if _, _, err := cli(t, vars, "serve", "-h"); err != nil {
		t.Errorf("serve -h: %v", err)
	}
}

func fileFeatureContains(t *testing.T, path, prop, id string, lon, lat float64) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		if f.Properties.MustString(prop, "") != id {
			continue
		}
		switch g := f.Geometry.(type) {
		case orb.MultiPolygon:
			if planar.MultiPolygonContains(g, orb.Point{lon, lat}) {
				return true
			}
		case orb.Polygon:
			if planar.PolygonContains(g, orb.Point{lon, lat}) {
				return true
			}
		}
	}
	return false
}
