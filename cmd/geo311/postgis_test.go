package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis/pgtest"
)

// TestPostGISStore runs the CLI and the server with --database-url against
// a throwaway PostgreSQL+PostGIS cluster: the same commands and answers as
// with the embedded SQLite store.
func TestPostGISStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		pgtest.Need(t, nil)
	}
	t.Cleanup(func() { c.Stop() })
	url, err := c.NewDatabase(ctx, "geo311_cmd")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GEO311_DATABASE_URL": url, "GEO311_LOG_LEVEL": "warn", "GEO311_ADMIN_KEY": adminKey,
		"GEO311_DATABASE": filepath.Join(t.TempDir(), "unused.db")}
	beats, districts, wards2003, wards2015, _ := syntheticFiles(t, t.TempDir())
	mustCLI(t, vars, "boundaries", "load", "--layer", "beat", "--from", "2012-12-19", "--activate", beats)
	mustCLI(t, vars, "boundaries", "load", "--layer", "district", "--from", "2012-12-19", "--activate", districts)
	mustCLI(t, vars, "boundaries", "load", "--layer", "ward", "--from", "2003-05-05", "--activate", wards2003)
	mustCLI(t, vars, "boundaries", "load", "--layer", "ward", "--from", "2015-05-18", wards2015)

	ts := startServe(t, vars)
	if r := do(t, "GET", ts.URL+"/readyz", "", nil); r.Status != 200 {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	if a, resp := route(t, ts.URL, y0+0.5*sz, x0+sz, `,"time":"2016-01-01"`); a.area(data.LayerBeat) != "0112" || a.area(data.LayerSector) != "011" || a.area(data.LayerWard) != "1" {
		t.Errorf("route: %s", resp.Body)
	}
	if r := do(t, "POST", ts.URL+"/v1/boundaries/generations/ward@2015-05-18/activate", "", nil, "Authorization", "Bearer "+adminKey); r.Status != http.StatusOK {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	if a, resp := route(t, ts.URL, y0+0.5*sz, x0+1.5*sz, `,"time":"2016-01-01"`); a.area(data.LayerWard) != "2" {
		t.Errorf("route after activation: %s", resp.Body)
	}
	if list := mustCLI(t, vars, "boundaries", "list"); !strings.Contains(list, "ward@2015-05-18") {
		t.Errorf("list:\n%s", list)
	}

	// The demo also runs on PostGIS.
	demoURL, err := c.NewDatabase(ctx, "geo311_cmd_demo")
	if err != nil {
		t.Fatal(err)
	}
	demo := startServe(t, map[string]string{"GEO311_DATABASE_URL": demoURL}, "--demo")
	if r := do(t, "GET", demo.URL+"/readyz", "", nil); r.Status != 200 {
		t.Errorf("demo readyz: %d %s", r.Status, r.Body)
	}
}
