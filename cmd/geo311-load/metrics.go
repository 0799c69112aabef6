package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// The server's own view of its memory and tile cache, read from its
// Prometheus /metrics at every sample: a diagnosis of what RSS is made of,
// not part of the verdict.
const (
	metricHeap       = "go_memstats_heap_inuse_bytes" // Go heap spans in use
	metricGoSys      = "go_memstats_sys_bytes"        // all memory the Go runtime got from the OS
	metricTileHits   = "geo311_tile_cache_hits_total"
	metricTileMisses = "geo311_tile_cache_misses_total"
)

var sampledMetrics = []string{metricHeap, metricGoSys, metricTileHits, metricTileMisses}

// scrapeMetrics reads the sampled metrics from base/metrics.
func scrapeMetrics(ctx context.Context, hc *http.Client, base string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body, sampledMetrics)
}

// parseMetrics reads the Prometheus text format and returns the values of
// the named unlabelled samples it found ("name value [timestamp]").
func parseMetrics(r io.Reader, names []string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 || !want[f[0]] {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metrics: %s: %q is not a number", f[0], clip(f[1]))
		}
		out[f[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return out, nil
}
