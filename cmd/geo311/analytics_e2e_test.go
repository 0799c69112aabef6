package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/export"
	"github.com/geo311/geo311/data/sqlite"
	"github.com/geo311/geo311/geo"
)

// seeded is a demo store seeded with "gen --n 5000" and a server on it.
type seeded struct {
	vars map[string]string
	ts   *testServer
	reqs []*data.Request
	loc  *time.Location
	j    *data.Jurisdiction
}

const seedN = 5000

// seedStore generates a demo store with "gen --n 5000" and serves it.
func seedStore(t *testing.T) *seeded {
	t.Helper()
	seedDB := filepath.Join(t.TempDir(), "seed.db")
	if _, errs, err := cli(t, map[string]string{"GEO311_DATABASE": seedDB, "GEO311_LOG_LEVEL": "warn"}, "gen", "--demo", "--n", fmt.Sprint(seedN), "--seed", "1"); err != nil {
		t.Fatalf("gen: %v\n%s", err, errs)
	}
	s := &seeded{vars: map[string]string{"GEO311_DATABASE": seedDB, "GEO311_LOG_LEVEL": "warn", "GEO311_RELOAD_INTERVAL": "0"}}
	db, err := sqlite.Open(context.Background(), seedDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ScanRequests(context.Background(), data.RequestFilter{Ascending: true}, func(r *data.Request) error {
		s.reqs = append(s.reqs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if len(s.reqs) != seedN {
		t.Fatalf("seeded %d requests, want %d", len(s.reqs), seedN)
	}
	s.j, _ = geo.Demo(1)
	s.loc, _ = time.LoadLocation(s.j.TimeZone)
	s.ts = startServe(t, s.vars, "--demo")
	return s
}

func (s *seeded) count(keep func(r *data.Request) bool) int {
	n := 0
	for _, r := range s.reqs {
		if keep(r) {
			n++
		}
	}
	return n
}

func (s *seeded) day(t *testing.T, d string) time.Time {
	x, err := time.ParseInLocation("2006-01-02", d, s.loc)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func in(r *data.Request, from, to time.Time) bool {
	return !r.RequestedAt.Before(from) && r.RequestedAt.Before(to)
}

func TestAnalyticsE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a store of 5000 requests")
	}
	s := seedStore(t)
	from, to := s.day(t, "2026-03-01"), s.day(t, "2026-05-01")
	inWindow := func(r *data.Request) bool { return in(r, from, to) }

	t.Run("heatmap", func(t *testing.T) {
		var got struct {
			Total int64 `json:"total"`
			Cells []struct {
				Cell  string `json:"cell"`
				Count int64  `json:"count"`
			} `json:"cells"`
		}
		do(t, "GET", s.ts.URL+"/v1/trends/heatmap?from=2026-03-01&to=2026-05-01&resolution=7", "", nil).JSON(t, &got)
		// Public trends count public service types only.
		want := s.count(func(r *data.Request) bool { return inWindow(r) && !r.Duplicate && !r.Police(s.j) })
		if got.Total != int64(want) || want == 0 {
			t.Errorf("heatmap total %d, brute-force count %d", got.Total, want)
		}
		var sum int64
		for _, c := range got.Cells {
			sum += c.Count
		}
		if sum != got.Total {
			t.Errorf("cells sum to %d, total %d", sum, got.Total)
		}
		// With duplicates and one (public) type.
		code := ""
		for _, r := range s.reqs {
			if !r.Police(s.j) {
				code = r.ServiceCode
				break
			}
		}
		do(t, "GET", s.ts.URL+"/v1/trends/heatmap?from=2026-03-01&to=2026-05-01&duplicates=include&types="+code, "", nil).JSON(t, &got)
		want = s.count(func(r *data.Request) bool { return inWindow(r) && r.ServiceCode == code })
		if got.Total != int64(want) {
			t.Errorf("heatmap %s with duplicates: %d, brute force %d", code, got.Total, want)
		}
		// GeoJSON by Accept.
		res := do(t, "GET", s.ts.URL+"/v1/trends/heatmap?from=2026-03-01&to=2026-05-01&zoom=11", "", nil, "Accept", "application/geo+json")
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Geometry struct{ Type string } `json:"geometry"`
			} `json:"features"`
		}
		res.JSON(t, &fc)
		if fc.Type != "FeatureCollection" || len(fc.Features) == 0 || fc.Features[0].Geometry.Type != "Polygon" {
			t.Errorf("GeoJSON heatmap: %s", res.Body[:min(200, len(res.Body))])
		}
		// An area by district polygon: counts stay within the window's total.
		do(t, "GET", s.ts.URL+"/v1/trends/heatmap?from=2026-03-01&to=2026-05-01&district=1", "", nil).JSON(t, &got)
		if got.Total <= 0 || got.Total >= int64(want*100) {
			t.Errorf("district heatmap total %d", got.Total)
		}
		for _, bad := range []string{"bbox=1,2,3", "from=yesterday", "resolution=3", "district=nope", "event=x", "types=NOPE"} {
			if r := do(t, "GET", s.ts.URL+"/v1/trends/heatmap?"+bad, "", nil); r.Status/100 != 4 {
				t.Errorf("%s: status %d", bad, r.Status)
			}
		}
	})

	t.Run("series", func(t *testing.T) {
		var got struct {
			Total  int64 `json:"total"`
			Points []struct {
				Start time.Time `json:"start"`
				Count int64     `json:"count"`
			} `json:"points"`
		}
		do(t, "GET", s.ts.URL+"/v1/trends/series?from=2026-03-01&to=2026-05-01&interval=month", "", nil).JSON(t, &got)
		if len(got.Points) != 2 {
			t.Fatalf("points: %+v", got.Points)
		}
		for i, m := range []string{"2026-03-01", "2026-04-01"} {
			a := s.day(t, m)
			b := a.AddDate(0, 1, 0)
			want := s.count(func(r *data.Request) bool { return in(r, a, b) && !r.Duplicate && !r.Police(s.j) })
			if got.Points[i].Count != int64(want) {
				t.Errorf("month %s: %d, brute force %d", m, got.Points[i].Count, want)
			}
		}
		if r := do(t, "GET", s.ts.URL+"/v1/trends/series?from=2026-03-01", "", nil); r.Status != 400 {
			t.Errorf("series without to: %d", r.Status)
		}
	})

	t.Run("chronic", func(t *testing.T) {
		var got struct {
			Weeks []time.Time `json:"weeks"`
			Cells []struct {
				Cell     string    `json:"cell"`
				Category string    `json:"category"`
				Z        float64   `json:"z"`
				Counts   []int64   `json:"counts"`
				ZSeries  []float64 `json:"z_series"`
			} `json:"cells"`
		}
		do(t, "GET", s.ts.URL+"/v1/trends/chronic?district=1&weeks=8&end=2026-10-01&all=true", "", nil).JSON(t, &got)
		if len(got.Weeks) != 8 || len(got.Cells) == 0 {
			t.Fatalf("weeks %d cells %d", len(got.Weeks), len(got.Cells))
		}
		var sum int64
		for _, c := range got.Cells {
			if c.Category == "" || len(c.Counts) != 8 || len(c.ZSeries) != 8 {
				t.Fatalf("cell %+v", c)
			}
			for _, n := range c.Counts {
				sum += n
			}
		}
		// Every counted request is a request of the 8 weeks (brute force bound).
		all := s.count(func(r *data.Request) bool { return in(r, got.Weeks[0], got.Weeks[7].AddDate(0, 0, 7)) && !r.Duplicate })
		if sum == 0 || sum > int64(all) {
			t.Errorf("chronic counts sum %d, requests in the weeks %d", sum, all)
		}
	})

	t.Run("status report", func(t *testing.T) {
		var rep struct {
			Rows []struct {
				Layer    string `json:"layer"`
				Area     string `json:"area"`
				Received int    `json:"received"`
				Closed   int    `json:"closed"`
			} `json:"rows"`
		}
		do(t, "GET", s.ts.URL+"/v1/reports/status?quarter=2026Q2", "", nil).JSON(t, &rep)
		q2, q3 := s.day(t, "2026-04-01"), s.day(t, "2026-07-01")
		want := s.count(func(r *data.Request) bool { return in(r, q2, q3) && !r.Duplicate })
		wantClosed := s.count(func(r *data.Request) bool {
			return !r.ClosedAt.IsZero() && !r.ClosedAt.Before(q2) && r.ClosedAt.Before(q3) && !r.Duplicate
		})
		var total bool
		for _, row := range rep.Rows {
			if row.Layer == "all" {
				total = true
				if row.Received != want || row.Closed != wantClosed {
					t.Errorf("total row received %d closed %d, brute force %d %d", row.Received, row.Closed, want, wantClosed)
				}
			}
		}
		if !total {
			t.Fatal("no total row")
		}
		// One district, CSV.
		res := do(t, "GET", s.ts.URL+"/v1/reports/status?quarter=2026Q2&district=1", "", nil, "Accept", "text/csv")
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(res.Body), "period,layer,area,received") {
			t.Errorf("CSV report: %s %.200s", res.Header.Get("Content-Type"), res.Body)
		}
		d1 := s.count(func(r *data.Request) bool {
			a, ok := (&data.Routing{Areas: r.Areas}).Area(data.LayerDistrict)
			return ok && a.ID == "01" && in(r, q2, q3) && !r.Duplicate
		})
		if !strings.Contains(string(res.Body), fmt.Sprintf("2026Q2,all,all,%d,", d1)) {
			t.Errorf("district 01 total should be %d:\n%s", d1, res.Body)
		}
		// Monthly summary.
		res = do(t, "GET", s.ts.URL+"/v1/reports/status?year=2026&summary=monthly&format=csv", "", nil)
		if res.Status != 200 || !strings.Contains(string(res.Body), "2026-12,") {
			t.Errorf("monthly: %d %.300s", res.Status, res.Body)
		}
		if r := do(t, "GET", s.ts.URL+"/v1/reports/status?quarter=2026Q9", "", nil); r.Status != 400 {
			t.Errorf("bad quarter: %d", r.Status)
		}
	})

	t.Run("tiles", func(t *testing.T) {
		// The tile holding the most public requests at z14.
		counts := map[maptile.Tile]int{}
		var best maptile.Tile
		for _, r := range s.reqs {
			if r.Police(s.j) || r.Duplicate {
				continue
			}
			tl := maptile.At(orb.Point{r.Lon, r.Lat}, 14)
			counts[tl]++
			if counts[tl] > counts[best] {
				best = tl
			}
		}
		url := fmt.Sprintf("%s/tiles/requests/%d/%d/%d.mvt", s.ts.URL, best.Z, best.X, best.Y)
		gz := do(t, "GET", url, "", nil, "Accept-Encoding", "gzip")
		if gz.Status != 200 || gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("gzip tile: %d %v", gz.Status, gz.Header)
		}
		if gz.Header.Get("Access-Control-Allow-Origin") != "*" || gz.Header.Get("Cache-Control") == "" {
			t.Errorf("headers: %v", gz.Header)
		}
		layers, err := mvt.UnmarshalGzipped(gz.Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != 1 || layers[0].Name != "requests" || layers[0].Version != 2 || layers[0].Extent != 4096 {
			t.Fatalf("layers: %+v", layers)
		}
		if n := len(layers[0].Features); n < counts[best] {
			t.Errorf("tile has %d features; %d public primaries lie in it", n, counts[best])
		}
		plain := do(t, "GET", url, "", nil, "Accept-Encoding", "identity")
		if plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("ETag") == gz.Header.Get("ETag") {
			t.Errorf("identity: %v", plain.Header)
		}
		if ls, err := mvt.Unmarshal(plain.Body); err != nil || len(ls[0].Features) != len(layers[0].Features) {
			t.Errorf("plain tile: %v", err)
		}
		if r := do(t, "GET", url, "", nil, "Accept-Encoding", "gzip", "If-None-Match", gz.Header.Get("ETag")); r.Status != 304 || len(r.Body) != 0 {
			t.Errorf("If-None-Match: %d", r.Status)
		}
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/tiles/requests/14/0/0.mvt", 204},
			{"/tiles/requests/23/0/0.mvt", 400},
			{"/tiles/requests/x/0/0.mvt", 400},
			{"/tiles/requests/2/4/0.mvt", 400},
			{"/tiles/requests/2/0/0.png", 400},
			{"/tiles/nope/2/0/0.mvt", 404},
			{"/tiles/boundaries/2/0/0.mvt?layer=nope", 404},
			{"/tiles/boundaries/2/0/0.mvt?generation=ward@1900-01-01", 404},
		} {
			r := do(t, "GET", s.ts.URL+c.path, "", nil)
			if r.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.path, r.Status, c.status, r.Body)
			}
			if c.status >= 400 && !bytes.Contains(r.Body, []byte(`"message"`)) {
				t.Errorf("%s: no message: %s", c.path, r.Body)
			}
		}
		// Hexbins, boundaries and chronic answer features at a city zoom.
		z10 := maptile.At(orb.Point{s.reqs[0].Lon, s.reqs[0].Lat}, 10)
		for _, l := range []string{"hexbins", "boundaries", "boundaries?layer=ward", "chronic?weeks=8&end=2026-10-01"} {
			name, query, _ := strings.Cut(l, "?")
			r := do(t, "GET", fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt?%s", s.ts.URL, name, z10.Z, z10.X, z10.Y, query), "", nil, "Accept-Encoding", "identity")
			if r.Status != 200 {
				t.Errorf("%s: %d %s", l, r.Status, r.Body)
				continue
			}
			ls, err := mvt.Unmarshal(r.Body)
			if err != nil || len(ls) != 1 || ls[0].Name != name || ls[0].Version != 2 || len(ls[0].Features) == 0 {
				t.Errorf("%s: %v %+v", l, err, ls)
			}
		}
		// TileJSON.
		tj := do(t, "GET", s.ts.URL+"/tiles/requests.json", "", nil)
		var doc struct {
			TileJSON     string    `json:"tilejson"`
			Tiles        []string  `json:"tiles"`
			Bounds       []float64 `json:"bounds"`
			VectorLayers []struct {
				ID string `json:"id"`
			} `json:"vector_layers"`
		}
		tj.JSON(t, &doc)
		if doc.TileJSON != "3.0.0" || len(doc.Tiles) != 1 || !strings.HasSuffix(doc.Tiles[0], "/tiles/requests/{z}/{x}/{y}.mvt") ||
			len(doc.Bounds) != 4 || len(doc.VectorLayers) != 1 || doc.VectorLayers[0].ID != "requests" || tj.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("TileJSON: %s", tj.Body)
		}
		if r := do(t, "GET", s.ts.URL+"/tiles/nope.json", "", nil); r.Status != 404 {
			t.Errorf("unknown TileJSON: %d", r.Status)
		}
		if r := do(t, "GET", s.ts.URL+"/v1/trends/series", "", nil); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Error("CORS header outside tiles")
		}
	})

	t.Run("export", func(t *testing.T) {
		res := do(t, "GET", s.ts.URL+"/v1/export/requests.arrows?from=2026-03-01&to=2026-05-01&duplicates=exclude", "", nil)
		if res.Status != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", res.Status, res.Header)
		}
		rd, err := ipc.NewReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for rd.Next() {
			rows += int(rd.RecordBatch().NumRows())
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		rd.Release()
		want := s.count(func(r *data.Request) bool { return inWindow(r) && !r.Duplicate && !r.Police(s.j) })
		if rows != want || want == 0 {
			t.Errorf("exported %d rows, brute force %d", rows, want)
		}
		// CSV header and rows, filtered by district.
		res = do(t, "GET", s.ts.URL+"/v1/export/requests.csv?district=1", "", nil)
		cols, _ := export.Columns(export.Options{Jurisdiction: s.j}, export.FormatCSV)
		lines := strings.Split(strings.TrimRight(string(res.Body), "\r\n"), "\r\n")
		if lines[0] != strings.Join(cols, ",") {
			t.Errorf("CSV header %q, want %q", lines[0], strings.Join(cols, ","))
		}
		want = s.count(func(r *data.Request) bool {
			a, ok := (&data.Routing{Areas: r.Areas}).Area(data.LayerDistrict)
			return ok && a.ID == "01" && !r.Police(s.j)
		})
		if len(lines)-1 != want {
			t.Errorf("district CSV: %d rows, brute force %d", len(lines)-1, want)
		}
		if strings.Contains(string(res.Body), "@") {
			t.Error("an e-mail address in a public export")
		}
		// The cube.
		res = do(t, "GET", s.ts.URL+"/v1/export/cube.csv?from=2026-03-01&to=2026-03-08&resolution=7", "", nil)
		if res.Status != 200 || !strings.HasPrefix(string(res.Body), "cell,resolution,day,service_code,opened,closed") {
			t.Errorf("cube CSV: %d %.200s", res.Status, res.Body)
		}
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/v1/export/requests.xlsx", 404},
			{"/v1/export/people.csv", 404},
			{"/v1/export/requests.csv?status=pending", 400},
			{"/v1/export/requests.csv?bbox=0,0", 400},
			{"/v1/export/cube.geojsonseq", 404},
			{"/v1/export/cube.csv?from=2020-01-01&to=2026-01-01", 400},
		} {
			if r := do(t, "GET", s.ts.URL+c.path, "", nil); r.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.path, r.Status, c.status, r.Body)
			}
		}
	})
}

func TestExportAndDedupeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a store of 5000 requests")
	}
	s := seedStore(t)
	out := filepath.Join(t.TempDir(), "x.arrows")
	stdout := mustCLI(t, s.vars, "export", "--demo", "--out", out, "--from", "2026-03-01", "--to", "2026-05-01")
	from, to := s.day(t, "2026-03-01"), s.day(t, "2026-05-01")
	want := s.count(func(r *data.Request) bool { return in(r, from, to) && !r.Police(s.j) })
	if !strings.Contains(stdout, fmt.Sprintf("exported: %d requests", want)) {
		t.Errorf("export: %s (want %d)", stdout, want)
	}
	// dedupe run on a copy-free dry run: the summary counts every request.
	stdout = mustCLI(t, s.vars, "dedupe", "run", "--demo", "--from", "2026-01-01", "--to", "2027-01-01", "--dry-run")
	if !strings.Contains(stdout, fmt.Sprintf("requests: %d", seedN)) || !strings.Contains(stdout, "(dry run)") {
		t.Errorf("dedupe run: %s", stdout)
	}
}

// TestAnalyticsObserve checks that a change reaches the cube and the tile
// index.
func TestAnalyticsObserve(t *testing.T) {
	j, _ := geo.Demo(1)
	loc, _ := time.LoadLocation(j.TimeZone)
	an, err := buildAnalytics(context.Background(), j, loc, emptyScan{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, st := range j.Services {
		if !st.Police && st.Kind == data.KindServiceRequest {
			code = st.Code
			break
		}
	}
	r := &data.Request{Number: "SR26-00000001", Kind: data.KindServiceRequest, ServiceCode: code, State: data.StateNew,
		Lon: j.Center[0], Lat: j.Center[1], RequestedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, loc)}
	an.Observe(nil, r)
	if an.index.Len() != 1 || an.cube.Stats().Requests != 1 {
		t.Fatalf("after add: index %d cube %d", an.index.Len(), an.cube.Stats().Requests)
	}
	closed := *r
	closed.State, closed.ClosedAt = data.StateClosed, r.RequestedAt.Add(48*time.Hour)
	an.Observe(r, &closed)
	cells, err := an.cube.Heatmap(trendsClosedQuery())
	if err != nil || len(cells) != 1 || cells[0].Count != 1 {
		t.Fatalf("closed count: %v %v", cells, err)
	}
	an.Observe(&closed, nil)
	if an.index.Len() != 0 || an.cube.Stats().Requests != 0 {
		t.Fatalf("after removal: index %d cube %d", an.index.Len(), an.cube.Stats().Requests)
	}
}
