package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Set-up sizes: points routed in the city, tiles per zoom and layer, seed
// requests and concerns filed before the load.
const (
	wantPoints    = 256
	tilesPerZoom  = 6
	seedRequests  = 20
	seedConcerns  = 10
	readyWithin   = 60 * time.Second
	serverStopMax = 60 * time.Second
)

// run is the whole program: main only supplies the process's context,
// arguments, environment and outputs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	s, err := loadTest(ctx, cfg, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	if !s.Pass {
		return fmt.Errorf("load test failed: %s", strings.Join(s.Failures, "; "))
	}
	return nil
}

// loadTest sets up the server, runs the load and returns its summary (an
// error when the test could not run at all).
func loadTest(ctx context.Context, cfg *Config, getenv func(string) string, stdout, stderr io.Writer) (sum *Summary, err error) {
	if err := checkBinary(cfg.Geo311); err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp(getenv("TMPDIR"), "geo311-load-"); err != nil {
			return nil, err
		}
		defer func() {
			if err == nil && sum != nil && sum.Pass {
				os.RemoveAll(dir)
				return
			}
			fmt.Fprintf(stderr, "geo311-load: store and logs kept in %s\n", dir)
		}()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "setup: "+format+"\n", args...) }

	setupLog, err := os.Create(filepath.Join(dir, "setup.log"))
	if err != nil {
		return nil, err
	}
	defer setupLog.Close()
	env := childEnv(getenv, cfg, dir)
	key, err := runTool(ctx, cfg.Geo311, env, setupLog, "keys", "create", "--role", "intake", "--name", "load test")
	if err != nil {
		return nil, err
	}
	key = strings.TrimSpace(key)
	if cfg.Preload > 0 {
		t0 := time.Now()
		if _, err := runTool(ctx, cfg.Geo311, env, setupLog, "gen", "--n", strconv.Itoa(cfg.Preload), "--seed", strconv.FormatUint(cfg.Seed, 10)); err != nil {
			return nil, err
		}
		logf("stored %d generated requests in %v", cfg.Preload, time.Since(t0).Round(time.Millisecond))
	}

	serveLog, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer serveLog.Close()
	srv, err := startServer(ctx, cfg.Geo311, env, serveLog)
	if err != nil {
		return nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.kill()
		}
	}()
	logf("geo311 serve pid %d at %s (log: %s)", srv.Pid, srv.URL, filepath.Join(dir, "serve.log"))

	shared, lookups := newClients(cfg.Timeout)
	if err := waitReady(ctx, shared, srv.URL, readyWithin); err != nil {
		return nil, err
	}
	if err := checkServices(ctx, shared, srv.URL); err != nil {
		return nil, err
	}
	b, err := cityBounds(ctx, shared, srv.URL)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	pts, err := samplePoints(ctx, shared, srv.URL, b, wantPoints, rng)
	if err != nil {
		return nil, err
	}
	tiles := tileURLs(pts, tilesPerZoom)
	logf("%d points inside the city, %d tile URLs", len(pts), len(tiles))

	rec := &recorder{}
	cl := &client{base: srv.URL, key: key, runID: strconv.FormatInt(time.Now().UnixNano(), 36),
		http: shared, lookups: lookups, t: newTargets(pts, tiles)}
	if err := seed(ctx, cl, seedRequests, seedConcerns, rng); err != nil {
		return nil, err
	}
	// One lookup proves the status client can dial from 127.1.x.y (it
	// counts against its concern's lookups like any other).
	if o := cl.status(ctx); o.failure != "" {
		return nil, fmt.Errorf("status lookup from a 127.1.x.y source address: %s", o.failure)
	}
	logf("seeded %d requests and %d concerns", seedRequests, seedConcerns)
	startSample, err := sample(ctx, shared, srv, 0)
	if err != nil {
		return nil, err
	}

	n := requestCount(cfg.Rate, cfg.Duration)
	fmt.Fprintf(stdout, "load: %d requests at %v/s for %v, mix %s, report every %v\n", n, cfg.Rate, cfg.Duration, cfg.Mix, cfg.Interval)
	rowHeader(stdout, cfg.Mix)

	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	var serverDied error
	var samples []rssSample
	var mu sync.Mutex // guards serverDied, samples and stdout rows
	start := time.Now()
	lastRow := start
	takeRow := func(now time.Time) {
		iv, sent, done := rec.takeInterval()
		smp, rerr := sample(ctx, shared, srv, now.Sub(start))
		mu.Lock()
		defer mu.Unlock()
		if rerr != nil || srv.exited() {
			if serverDied == nil {
				serverDied = fmt.Errorf("geo311 serve is gone (%v):\n%s", rerr, srv.logs.tail())
			}
			cancelRun()
			return
		}
		samples = append(samples, smp)
		row(stdout, cfg.Mix, now.Sub(lastRow), sent, done, iv, smp)
		lastRow = now
	}
	samplerDone := make(chan struct{})
	stopSampler := make(chan struct{})
	go func() {
		defer close(samplerDone)
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-stopSampler:
				return
			case <-srv.done:
				takeRow(time.Now())
				return
			case now := <-t.C:
				takeRow(now)
			}
		}
	}()

	seq := sequence(cfg.Mix)
	sem := make(chan struct{}, cfg.MaxInflight)
	var wg sync.WaitGroup
	fire := func(i int, due time.Time) {
		k := seq[i%len(seq)]
		rec.fired()
		select {
		case sem <- struct{}{}:
		default:
			rec.record(k, 0, 0, false, fmt.Sprintf("not sent: %d requests outstanding (--max-inflight)", cfg.MaxInflight))
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			o := cl.do(runCtx, k, i, rand.New(rand.NewPCG(cfg.Seed, uint64(i))))
			end := time.Now()
			var lag time.Duration
			if !o.sent.IsZero() {
				lag = o.sent.Sub(due)
			}
			rec.record(k, end.Sub(due), lag, !o.sent.IsZero(), o.failure)
			if o.linked {
				rec.addLinked()
			}
		}()
	}
	_, dispatchErr := dispatch(runCtx, realClock{}, start, cfg.Rate, n, fire)
	wg.Wait()
	elapsed := time.Since(start)
	close(stopSampler)
	<-samplerDone
	if !srv.exited() {
		takeRow(time.Now())
	}

	stopErr := srv.stop(serverStopMax)
	stopped = true
	nerr, errLines := srv.logs.errorLines()
	sum = summarize(cfg, rec, elapsed, startSample, samples, nerr, errLines)
	sum.print(stdout)
	if cfg.JSON != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return sum, err
		}
		if err := os.WriteFile(cfg.JSON, append(b, '\n'), 0o644); err != nil {
			return sum, err
		}
	}
	mu.Lock()
	died := serverDied
	mu.Unlock()
	switch {
	case died != nil:
		return sum, died
	case ctx.Err() != nil:
		return sum, fmt.Errorf("interrupted after %d of %d requests", sum.Sent, n)
	case dispatchErr != nil:
		return sum, dispatchErr
	case stopErr != nil:
		return sum, stopErr
	case srv.logs.writeErr() != nil:
		return sum, fmt.Errorf("writing serve.log: %w", srv.logs.writeErr())
	}
	return sum, nil
}

// sample reads the server's RSS (an error when it cannot: the server is
// gone) and, as far as it answers within a second, its /metrics.
func sample(ctx context.Context, hc *http.Client, srv *server, at time.Duration) (rssSample, error) {
	rss, err := readRSS(srv.Pid)
	if err != nil {
		return rssSample{}, err
	}
	s := rssSample{At: at, RSS: rss}
	mctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if m, err := scrapeMetrics(mctx, hc, srv.URL); err == nil {
		s.Heap, s.GoSys = int64(m[metricHeap]), int64(m[metricGoSys])
		s.TileHits, s.TileMisses = m[metricTileHits], m[metricTileMisses]
	}
	return s, nil
}
