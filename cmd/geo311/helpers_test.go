package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// syncBuffer is a goroutine-safe log sink that tests can wait on.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{ch: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.ch <- struct{}{}:
	default:
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// testEnv is a hermetic environment: only the given variables exist.
func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

type testServer struct {
	URL    string
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startServe runs "geo311 serve" through run() on a free port and waits
// for it to listen. It is stopped (as by SIGTERM) at the end of the test.
func startServe(t testing.TB, vars map[string]string, args ...string) *testServer {
	t.Helper()
	logs := newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{logs: logs, cancel: cancel, done: make(chan error, 1)}
	argv := append([]string{"geo311", "serve", "--addr", "127.0.0.1:0", "--log-level", "debug"}, args...)
	go func() { ts.done <- run(ctx, argv, testEnv(vars), io.Discard, logs) }()
	deadline := time.After(2 * time.Minute)
	for {
		if m := listeningRE.FindStringSubmatch(logs.String()); m != nil {
			ts.URL = "http://" + m[1]
			break
		}
		select {
		case err := <-ts.done:
			cancel()
			t.Fatalf("serve ended before listening: %v\n%s", err, logs.String())
		case <-logs.ch:
		case <-deadline:
			cancel()
			t.Fatalf("serve did not listen within 2 minutes\n%s", logs.String())
		}
	}
	t.Cleanup(func() { ts.Stop(t) })
	return ts
}

// Stop cancels the server's context and waits for run to return.
func (ts *testServer) Stop(t testing.TB) error {
	t.Helper()
	if ts.cancel == nil {
		return nil
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("serve returned %v\n%s", err, ts.logs.String())
		}
		return err
	case <-time.After(time.Minute):
		t.Fatalf("serve did not stop\n%s", ts.logs.String())
	}
	return nil
}

// cli runs one geo311 command through run().
func cli(t testing.TB, vars map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), append([]string{"geo311"}, args...), testEnv(vars), &out, &errb)
	return out.String(), errb.String(), err
}

// mustCLI is cli that fails the test on error.
func mustCLI(t testing.TB, vars map[string]string, args ...string) string {
	t.Helper()
	out, errs, err := cli(t, vars, args...)
	if err != nil {
		t.Fatalf("geo311 %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, r.Body)
	}
}

// apiError is the error body of every API error.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Field     string `json:"field"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func do(t testing.TB, method, url, contentType string, body io.Reader, hdr ...string) *response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	for k, v := range resp.Trailer {
		resp.Header[k] = v
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func postJSON(t testing.TB, url string, v any) *response {
	t.Helper()
	var body io.Reader
	switch v := v.(type) {
	case string:
		body = strings.NewReader(v)
	default:
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
	}
	return do(t, http.MethodPost, url, "application/json", body)
}

// sharedDir finds the shared data folder: GEO311_SHARED, else ../shared next
// to the module root. Under CI=true missing data fails the test; elsewhere
// the test is skipped.
func sharedDir(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("GEO311_SHARED")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("real data %s not found (set GEO311_SHARED to the shared folder): %v", rel, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// square is one synthetic area: an axis-aligned box with an id property.
type square struct {
	props          map[string]string
	x0, y0, x1, y1 float64
}

// featureCollection writes squares as a GeoJSON FeatureCollection.
func featureCollection(sq ...square) string {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, s := range sq {
		if i > 0 {
			b.WriteString(",")
		}
		props, _ := json.Marshal(s.props)
		fmt.Fprintf(&b, `{"type":"Feature","properties":%s,"geometry":{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}}`,
			props, s.x0, s.y0, s.x1, s.y0, s.x1, s.y1, s.x0, s.y1, s.x0, s.y0)
	}
	b.WriteString("]}")
	return b.String()
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// demoApp opens the demo city with cfg (over a SQLite file in a temporary
// directory unless cfg.DatabaseURL names a PostGIS database), loads its
// routers, and stores an API key of role named name; the app is closed at
// the end of the test. It returns the configuration used, the app, its
// routers, its logger and the key's secret.
func demoApp(tb testing.TB, cfg Config, role data.Role, name string) (*Config, *app, *routerHolder, *slog.Logger, string) {
	tb.Helper()
	cfg.Database, cfg.Demo, cfg.databaseSet = filepath.Join(tb.TempDir(), "demo.db"), true, true
	if cfg.LogLevel == "" || cfg.LogLevel == defaultConfig().LogLevel {
		cfg.LogLevel = "error"
	}
	cfg.finish()
	log := newLogger(&cfg, io.Discard)
	ctx := context.Background()
	a, err := openApp(ctx, &cfg, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	rh := newRouterHolder(a)
	if err := rh.Reload(ctx); err != nil {
		tb.Fatal(err)
	}
	k, secret, err := data.NewAPIKey(name, role, nil, time.Now().Add(-time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.store.CreateKey(ctx, k); err != nil {
		tb.Fatal(err)
	}
	return &cfg, a, rh, log, secret
}
