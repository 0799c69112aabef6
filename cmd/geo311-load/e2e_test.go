package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadEndToEnd builds geo311, and runs the whole program for 5 s at 30
// requests/s against it: every kind of the default mix is sent, none fails,
// dedupe links some repeats, and RSS is sampled every second.
func TestLoadEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds geo311 and runs a child server")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("RSS sampling needs Linux /proc")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "geo311")
	t0 := time.Now()
	// Without symbol tables and DWARF the link takes a third of the time.
	build := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, "github.com/geo311/geo311/cmd/geo311")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built geo311 in %v", time.Since(t0).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	result := filepath.Join(dir, "result.json")
	var stdout, stderr bytes.Buffer
	args := []string{"geo311-load", "--geo311", bin, "--dir", filepath.Join(dir, "run"),
		"--rate", "30", "--duration", "5s", "--interval", "1s", "--preload", "500", "--json", result,
		// Five seconds from a cold start are mostly warm-up: memory is
		// sampled and reported, but flatness is a verdict for minutes-long
		// runs (make loadtest), so the bound here only catches a blow-up.
		"--max-rss-growth", "2"}
	t1 := time.Now()
	err := run(ctx, args, os.Getenv, &stdout, &stderr)
	t.Logf("run took %v\n%s\n%s", time.Since(t1).Round(time.Millisecond), stderr.String(), stdout.String())
	if err != nil {
		if b, rerr := os.ReadFile(filepath.Join(dir, "run", "serve.log")); rerr == nil {
			t.Logf("serve.log tail:\n%s", tail(string(b), 30))
		}
		t.Fatalf("run: %v", err)
	}

	b, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if !s.Pass || s.All.Errors != 0 || s.ServerErrs != 0 {
		t.Errorf("pass %v, %d errors, %d server ERROR lines: %q", s.Pass, s.All.Errors, s.ServerErrs, s.Errors)
	}
	if s.Sent != 150 || s.All.Count != 150 {
		t.Errorf("sent %d, answered %d; want 150 (30/s for 5 s)", s.Sent, s.All.Count)
	}
	kinds := map[string]KindSummary{}
	for _, k := range s.Kinds {
		kinds[k.Kind] = k
	}
	for k := range numKinds {
		ks, ok := kinds[k.String()]
		if !ok || ks.Count == 0 || ks.P50Ms <= 0 || ks.P99Ms < ks.P50Ms || ks.MaxMs < ks.P99Ms {
			t.Errorf("kind %s: %+v", k, ks)
		}
	}
	if s.Linked == 0 {
		t.Error("no intake was linked to an earlier one: the repeats did not reach dedupe")
	}
	if len(s.RSS) < 3 || s.RSSStart <= 0 || !s.RSSJudged {
		t.Errorf("RSS samples %v (start %d, judged %v)", s.RSS, s.RSSStart, s.RSSJudged)
	}
	for _, want := range []string{"elapsed", "verdict: PASS", "status"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "serve.log")); err != nil {
		t.Errorf("serve.log: %v", err)
	}
}
