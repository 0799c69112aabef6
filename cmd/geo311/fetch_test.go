package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestBoundariesFetchChicago runs "boundaries fetch chicago" against a
// local stand-in for the City of Chicago Data Portal (tests never reach
// the internet).
func TestBoundariesFetchChicago(t *testing.T) {
	t.Setenv("HTTP_PROXY", "")
	files := map[string]string{
		"aerh-rz74": featureCollection(
			square{map[string]string{"beat_num": "0111", "district": "01"}, x0, y0, x0 + sz, y0 + sz},
			square{map[string]string{"beat_num": "0112", "district": "01"}, x0 + sz, y0, x0 + 2*sz, y0 + sz}),
		"fthy-xz3r": featureCollection(square{map[string]string{"dist_num": "1"}, x0, y0, x0 + 2*sz, y0 + sz}),
		"p293-wvbd": featureCollection(square{map[string]string{"ward": "42"}, x0, y0, x0 + 2*sz, y0 + sz}),
		"cauq-8yn6": featureCollection(square{map[string]string{"area_numbe": "32", "community": "LOOP"}, x0, y0, x0 + 2*sz, y0 + sz}),
	}
	var mu sync.Mutex
	var requests []string
	broken := ""
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.RequestURI())
		b := broken
		mu.Unlock()
		id, ok := strings.CutPrefix(r.URL.Path, "/api/geospatial/")
		if !ok || r.URL.Query().Get("method") != "export" || r.URL.Query().Get("format") != "GeoJSON" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if id == b {
			http.Error(w, "upstream trouble", http.StatusBadGateway)
			return
		}
		body, ok := files[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.geo+json")
		w.Write([]byte(body))
	}))
	defer portal.Close()

	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "chicago.db"), "GEO311_LOG_LEVEL": "warn"}

	// One layer failing upstream: the others are loaded, the command fails
	// naming the layer.
	broken = "p293-wvbd"
	out, stderr, err := cli(t, vars, "boundaries", "fetch", "chicago", "--base-url", portal.URL, "--activate")
	if err == nil || !strings.Contains(err.Error(), "failed for ward") || !strings.Contains(stderr, "502") {
		t.Fatalf("fetch with a broken layer: %v\n%s\n%s", err, out, stderr)
	}
	for _, want := range []string{"beat@2012-12-19: stored and activated", "district@2012-12-19", "community_area@1980-01-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("fetch output lacks %q:\n%s", want, out)
		}
	}

	// Again, with the portal fixed: loaded layers are skipped, the ward map
	// is fetched.
	mu.Lock()
	broken = ""
	mu.Unlock()
	out = mustCLI(t, vars, "boundaries", "fetch", "chicago", "--base-url", portal.URL+"/", "--activate")
	if !strings.Contains(out, "beat: already loaded") || !strings.Contains(out, "ward@2023-05-15: stored and activated") {
		t.Errorf("second fetch:\n%s", out)
	}
	mu.Lock()
	for _, want := range []string{"/api/geospatial/aerh-rz74?method=export&format=GeoJSON", "/api/geospatial/fthy-xz3r?method=export&format=GeoJSON", "/api/geospatial/p293-wvbd?method=export&format=GeoJSON", "/api/geospatial/cauq-8yn6?method=export&format=GeoJSON"} {
		found := false
		for _, r := range requests {
			found = found || r == want
		}
		if !found {
			t.Errorf("no request for %s in %q", want, requests)
		}
	}
	mu.Unlock()

	list := mustCLI(t, vars, "boundaries", "list")
	for _, want := range []string{"beat@2012-12-19", "sector@2012-12-19", "district@2012-12-19", "ward@2023-05-15", "community_area@1980-01-01"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %s:\n%s", want, list)
		}
	}
	if strings.Contains(list, " no ") {
		t.Errorf("a fetched generation is inactive:\n%s", list)
	}

	// --layers picks layers; unknown ones are refused.
	if _, _, err := cli(t, vars, "boundaries", "fetch", "chicago", "--base-url", portal.URL, "--layers", "precinct"); err == nil || !strings.Contains(err.Error(), "precinct") {
		t.Errorf("--layers precinct: %v", err)
	}
	// A portal that is down.
	if _, _, err := cli(t, vars, "boundaries", "fetch", "chicago", "--base-url", "http://127.0.0.1:1", "--layers", "beat,ward"); err == nil || !strings.Contains(err.Error(), "failed for beat, ward") {
		t.Errorf("portal down: %v", err)
	}
}
