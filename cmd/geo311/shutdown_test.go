package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGracefulShutdownDrainsInFlightRequests starts a streaming batch,
// stops the server (as SIGTERM does) while the batch is still sending its
// body, and checks that the batch completes, new connections are refused,
// and run returns without error.
func TestGracefulShutdownDrainsInFlightRequests(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "demo.db")}
	ts := startServe(t, vars, "--demo")

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", ts.URL+"/v1/route/batch", pr)
	req.Header.Set("Content-Type", "text/csv")
	type result struct {
		rows [][]string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		rows, err := csv.NewReader(resp.Body).ReadAll()
		got <- result{rows, err}
	}()
	const half = 3000
	write := func(from, to int) {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "%d,41.2,-88.3\n", i)
		}
		if _, err := io.WriteString(pw, b.String()); err != nil {
			t.Errorf("writing the body: %v", err)
		}
	}
	io.WriteString(pw, "n,lat,lon\n")
	write(0, half)

	// Let the server read and route the first half.
	time.Sleep(300 * time.Millisecond)
	if strings.Contains(ts.logs.String(), "path=/v1/route/batch") {
		t.Fatal("the batch ended early")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- ts.Stop(t) }()
	// The listener closes at once: new requests are refused.
	for !strings.Contains(ts.logs.String(), "shutting down") {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := http.Get(ts.URL + "/healthz"); err == nil {
		t.Error("a new request was accepted during shutdown")
	}
	select {
	case err := <-stopped:
		t.Fatalf("run returned (%v) while a request was in flight", err)
	default:
	}
	write(half, 2*half)
	pw.Close()
	r := <-got
	if r.err != nil {
		t.Fatalf("batch: %v", r.err)
	}
	if len(r.rows) != 2*half+1 {
		t.Fatalf("batch answered %d rows, want %d", len(r.rows)-1, 2*half)
	}
	for i, row := range r.rows[1:] {
		if row[0] != fmt.Sprint(i) || row[3] == "" {
			t.Fatalf("row %d: %q", i, row)
		}
	}
	if err := <-stopped; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(ts.logs.String(), "msg=stopped") {
		t.Errorf("no 'stopped' log line:\n%s", ts.logs.String())
	}
}
