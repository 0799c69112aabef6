package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestWebStaticHandler(t *testing.T) {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		t.Fatal(err)
	}
	h, err := newWebHandler(sub, webSettings{Jurisdiction: "demo", Name: "Demo", IntakeKey: "g311_k_public_web_key"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/web/js/app.js">`},
		{"/index.html", "text/html; charset=utf-8", "Skip to the controls"},
		{"/web/app.css", "text/css; charset=utf-8", ":focus-visible"},
		{"/web/js/app.js", "text/javascript; charset=utf-8", "import"},
		{"/web/vendor/maplibre-gl/maplibre-gl.mjs", "text/javascript; charset=utf-8", "MapLibre GL JS"},
		{"/web/vendor/maplibre-gl/maplibre-gl-worker.mjs", "text/javascript; charset=utf-8", "MapLibre GL JS"},
		{"/web/vendor/maplibre-gl/maplibre-gl.css", "text/css; charset=utf-8", ".maplibregl-map"},
		{"/web/vendor/maplibre-gl/LICENSE.txt", "text/plain; charset=utf-8", "Redistribution"},
		{"/web/config.json", "application/json", `"intake_key":"g311_k_public_web_key"`},
	} {
		w := get(tc.path)
		if w.Code != 200 || w.Header().Get("Content-Type") != tc.ctype || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s: %d %q, body has %q: %t", tc.path, w.Code, w.Header().Get("Content-Type"), tc.contains, strings.Contains(w.Body.String(), tc.contains))
			continue
		}
		hd := w.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self';", "worker-src 'self' blob:", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") {
			t.Errorf("%s: CSP allows too much: %q", tc.path, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: security headers %v", tc.path, hd)
		}
		etag := hd.Get("ETag")
		if len(etag) < 10 || etag[0] != '"' || !strings.Contains(hd.Get("Cache-Control"), "no-cache") {
			t.Errorf("%s: ETag %q Cache-Control %q", tc.path, etag, hd.Get("Cache-Control"))
		}
		if nm := get(tc.path, "If-None-Match", etag); nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
			t.Errorf("%s: If-None-Match: %d", tc.path, nm.Code)
		}
		if other := get(tc.path, "If-None-Match", `"other"`); other.Code != 200 {
			t.Errorf("%s: stale ETag: %d", tc.path, other.Code)
		}
	}
	if get("/web/config.json").Header().Get("Cache-Control") != "private, no-cache" {
		t.Error("config.json may be stored by shared caches")
	}
	if a, b := get("/web/app.css").Header().Get("ETag"), get("/web/js/app.js").Header().Get("ETag"); a == b {
		t.Errorf("two files share the ETag %s", a)
	}
	for _, p := range []string{"/web/", "/web/nope.js", "/web/test/e2e.mjs", "/web/test/package.json", "/web/../web.go", "/web/vendor/", "/other"} {
		if w := get(p); w.Code != 404 || w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d", p, w.Code)
		}
	}

	// Without a key the page is told why it cannot file.
	h2, err := newWebHandler(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, webSettings{Name: "X"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h2.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/web/config.json", nil))
	var cfg webSettings
	if err := json.Unmarshal(w.Body.Bytes(), &cfg); err != nil || cfg.IntakeKey != "" || !strings.Contains(cfg.IntakeMessage, "not enabled") {
		t.Errorf("config without a key: %v %s", err, w.Body)
	}
	if _, err := newWebHandler(fstest.MapFS{"app.css": {Data: []byte("x")}}, webSettings{}); err == nil {
		t.Error("a page set without index.html was accepted")
	}
}

// TestWebServedByServe checks the page through geo311 serve itself.
func TestWebServedByServe(t *testing.T) {
	dir := t.TempDir()
	ts := startServe(t, map[string]string{"GEO311_DATABASE": filepath.Join(dir, "g.db"), "GEO311_RELOAD_INTERVAL": "0"}, "--demo")
	r := do(t, "GET", ts.URL+"/", "", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "/web/js/app.js") || r.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET /: %d %v", r.Status, r.Header)
	}
	c := do(t, "GET", ts.URL+"/web/config.json", "", nil)
	var cfg webSettings
	c.JSON(t, &cfg)
	if cfg.Jurisdiction != "demo" || cfg.Name == "" {
		t.Errorf("config.json: %s", c.Body)
	}
	if r := do(t, "GET", ts.URL+"/web/nothing.js", "", nil); r.Status != 404 {
		t.Errorf("missing asset: %d", r.Status)
	}
	if r := do(t, "POST", ts.URL+"/", "", nil); r.Status != 405 {
		t.Errorf("POST /: %d", r.Status)
	}
}

// webTools finds node, npm and Chromium; missing ones skip the test, or
// fail it under CI=true.
func webTools(t *testing.T) (node, npm, chromium string) {
	t.Helper()
	var missing []string
	look := func(name string, paths ...string) string {
		for _, p := range paths {
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
		}
		return p
	}
	node, npm = look("node"), look("npm")
	chromium = look("chromium", "/usr/bin/chromium")
	if len(missing) > 0 {
		msg := fmt.Sprintf("browser test needs %s (apt-get install chromium nodejs npm; make test installs them)", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, npm, chromium
}

// TestWebBrowser drives the page in Debian's Chromium (web/test/e2e.mjs)
// against serve --demo with 2,000 generated requests, a request and a
// concern filed through Open311, a staff key for a district with overdue
// requests. Screenshots go to testdata/artifacts.
func TestWebBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not with -short")
	}
	node, npm, chromium := webTools(t)
	testDir, err := filepath.Abs(filepath.Join("web", "test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(testDir, "node_modules", "playwright-core", "package.json")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = testDir
		if out, err := cmd.CombinedOutput(); err != nil {
			msg := fmt.Sprintf("npm ci in %s: %v\n%s", testDir, err, out)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("cannot install playwright-core: " + msg)
		}
	}

	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(dir, "geo311.db"), "GEO311_PIN_ITERATIONS": "1000",
		"GEO311_RELOAD_INTERVAL": "0", "GEO311_LOG_LEVEL": "warn"}
	mustCLI(t, vars, "gen", "--demo", "--n", "2000", "--seed", "1")
	intake := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "web test"))
	admin := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "admin", "--name", "web test admin"))
	ts := startServe(t, vars, "--demo")

	// A public request and a concern, filed the way an intake system does.
	file := func(code string, lat, lon float64, desc string) map[string]any {
		t.Helper()
		f := url.Values{"api_key": {intake}, "service_code": {code}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lon)}, "description": {desc}}
		r := do(t, "POST", ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		var got []map[string]any
		r.JSON(t, &got)
		if r.Status != 201 || len(got) != 1 {
			t.Fatalf("file %s: %d %s", code, r.Status, r.Body)
		}
		return got[0]
	}
	const lat, lon = 41.2, -88.3
	sr := file("SGA", lat, lon, "rats in the alley")
	cc := file("CC-NOISE", lat+0.01, lon, "loud music at night")

	// A district with overdue requests, for a staff key scoped to it.
	od := do(t, "GET", ts.URL+"/v1/requests?overdue=true&page_size=50", "", nil, "Authorization", "Bearer "+admin)
	var list struct {
		Requests []struct {
			Areas []struct{ Layer, ID string } `json:"areas"`
		} `json:"requests"`
	}
	od.JSON(t, &list)
	district := ""
	for _, r := range list.Requests {
		for _, a := range r.Areas {
			if a.Layer == "district" && district == "" {
				district = a.ID
			}
		}
	}
	if od.Status != 200 || district == "" {
		t.Fatalf("no overdue request in the generated data: %d %s", od.Status, od.Body)
	}
	staff := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "staff", "--district", district, "--name", "Sgt Web"))

	artifacts, err := filepath.Abs(filepath.Join("testdata", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e.mjs")
	cmd.Dir = testDir
	cmd.Env = append(os.Environ(),
		"GEO311_URL="+ts.URL, "ARTIFACTS="+artifacts, "CHROMIUM="+chromium,
		"REQUEST_NUMBER="+sr["service_request_id"].(string), fmt.Sprintf("REQUEST_LAT=%v", lat), fmt.Sprintf("REQUEST_LON=%v", lon),
		"INTAKE_KEY="+intake, "CONCERN_NUMBER="+cc["service_request_id"].(string), "CONCERN_PIN="+fmt.Sprint(cc["pin"]),
		"STAFF_KEY="+staff, "STAFF_DISTRICT="+district)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	var passed, failed []string
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ok "):
			passed = append(passed, line)
		case strings.HasPrefix(line, "FAIL "):
			failed = append(failed, line)
		}
	}
	for _, l := range passed {
		t.Log(l)
	}
	for _, l := range failed {
		t.Error(l)
	}
	if runErr != nil && len(failed) == 0 {
		t.Fatalf("e2e.mjs: %v\n%s", runErr, out.String())
	}
	if len(passed) < 10 {
		t.Errorf("only %d browser checks passed:\n%s", len(passed), out.String())
	}
	t.Logf("screenshots in %s", artifacts)
}
