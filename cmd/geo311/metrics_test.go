package main

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// scrape reads GET /metrics and returns every sample of the text format by
// its series ("name{labels}" as written, labels in the registry's order).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	r := do(t, "GET", base+"/metrics", "", nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("malformed metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetrics files requests of every kind through a demo server and checks
// that the counters of /metrics moved by exactly what was done: requests by
// route pattern (never the raw path) and status class, latency histogram
// counts, intake outcomes, dedupe decisions, the store latency of intake,
// tile cache hits and misses, and the process and Go collectors.
func TestMetrics(t *testing.T) {
	e := startIntake(t)
	before := scrape(t, e.ts.URL)
	for _, name := range []string{"process_resident_memory_bytes", "go_goroutines", `geo311_intake_total{outcome="created"}`, `geo311_dedupe_decisions_total{decision="duplicate"}`} {
		if _, ok := before[name]; !ok {
			t.Errorf("%s is not exported", name)
		}
	}

	created := e.post(t, ".json", e.form("GRAF", e.ptB, "attribute[SURFACE]", "METAL", "attribute[WHERE]", "FRONT"), "Idempotency-Key", "m-1")
	replay := e.post(t, ".json", e.form("GRAF", e.ptB, "attribute[SURFACE]", "METAL", "attribute[WHERE]", "FRONT"), "Idempotency-Key", "m-1")
	if created.Status != 201 || replay.Status != 200 {
		t.Fatalf("intake: %d %s / %d %s", created.Status, created.Body, replay.Status, replay.Body)
	}
	// Two rodent reports a few metres apart: one distinct, one duplicate.
	for i, want := range []int{201, 201} {
		if r := e.post(t, ".json", e.form("SGA", [2]float64{e.ptA[0] + float64(i)*1e-5, e.ptA[1]}, "description", "rats by the carts")); r.Status != want {
			t.Fatalf("SGA %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := e.post(t, ".json", e.form("EMERGENCY", e.ptA)); r.Status != 422 {
		t.Fatalf("emergency: %d %s", r.Status, r.Body)
	}
	if r := e.post(t, ".json", e.form("SGA", [2]float64{10, 10})); r.Status != 422 {
		t.Fatalf("outside: %d %s", r.Status, r.Body)
	}
	if r := e.post(t, ".json", e.form("GRAF", e.ptB, "attribute[SURFACE]", "PLUTONIUM", "attribute[WHERE]", "FRONT")); r.Status != 400 {
		t.Fatalf("invalid attribute: %d %s", r.Status, r.Body)
	}
	id := open311List(t, created)[0]["service_request_id"].(string)
	for i := 0; i < 3; i++ {
		if r := do(t, "GET", e.ts.URL+"/open311/v2/requests/"+id+".json", "", nil); r.Status != 200 {
			t.Fatalf("GET %s: %d %s", id, r.Status, r.Body)
		}
	}
	if r := do(t, "GET", e.ts.URL+"/no/such/thing/"+id, "", nil); r.Status != 404 {
		t.Fatalf("unknown path: %d", r.Status)
	}
	// The route context the metrics put in front of chi keeps the router:
	// 405 answers still list the allowed methods.
	if r := do(t, "DELETE", e.ts.URL+"/v1/boundaries", "", nil); r.Status != 405 || r.Header.Get("Allow") != "GET" {
		t.Errorf("DELETE /v1/boundaries: %d Allow %q", r.Status, r.Header.Get("Allow"))
	}
	// A boundaries tile twice: the second comes from the cache.
	tile := e.ts.URL + "/tiles/boundaries/10/260/383.mvt"
	t1, t2 := do(t, "GET", tile, "", nil), do(t, "GET", tile, "", nil)

	after := scrape(t, e.ts.URL)
	delta := func(series string) float64 { return after[series] - before[series] }
	for series, want := range map[string]float64{
		`geo311_intake_total{outcome="created"}`:                                                                2, // GRAF and the first SGA
		`geo311_intake_total{outcome="duplicate"}`:                                                              1,
		`geo311_intake_total{outcome="idempotent_replay"}`:                                                      1,
		`geo311_intake_total{outcome="emergency"}`:                                                              1,
		`geo311_intake_total{outcome="outside"}`:                                                                1,
		`geo311_intake_total{outcome="invalid"}`:                                                                1,
		`geo311_intake_total{outcome="unavailable"}`:                                                            0,
		`geo311_dedupe_decisions_total{decision="duplicate"}`:                                                   1,
		`geo311_dedupe_decisions_total{decision="distinct"}`:                                                    2,
		`geo311_store_duration_seconds_count{op="create_request",result="ok"}`:                                  4, // GRAF, its replay, two SGA
		`geo311_http_requests_total{method="POST",route="/open311/v2/requests.json",status="2xx"}`:              4,
		`geo311_http_requests_total{method="POST",route="/open311/v2/requests.json",status="4xx"}`:              3,
		`geo311_http_requests_total{method="GET",route="/open311/v2/requests/{id}",status="2xx"}`:               3,
		`geo311_http_requests_total{method="GET",route="unmatched",status="4xx"}`:                               1,
		`geo311_http_request_duration_seconds_count{method="GET",route="/open311/v2/requests/{id}"}`:            3,
		`geo311_http_request_duration_seconds_bucket{method="GET",route="/open311/v2/requests/{id}",le="+Inf"}`: 3,
	} {
		if got := delta(series); got != want {
			t.Errorf("%s changed by %v, want %v", series, got, want)
		}
	}
	if after[`geo311_store_duration_seconds_sum{op="create_request",result="ok"}`] <= 0 {
		t.Error("the store latency histogram has no time in it")
	}
	// The raw path never becomes a label.
	for series := range after {
		if strings.Contains(series, id) {
			t.Errorf("a series carries a raw path: %s", series)
		}
	}
	if t1.Status != 200 || t2.Status != 200 {
		t.Fatalf("tile: %d / %d %s", t1.Status, t2.Status, t2.Body)
	}
	if h, m := delta("geo311_tile_cache_hits_total"), delta("geo311_tile_cache_misses_total"); h != 1 || m != 1 {
		t.Errorf("tile cache: %v hits, %v misses after the same tile twice, want 1 and 1", h, m)
	}
	if after["process_resident_memory_bytes"] <= 0 || after["go_goroutines"] <= 0 {
		t.Error("process or Go collector reports nothing")
	}
	// Each server owns its registry: a fresh one has counted nothing, and
	// two can exist in one process (the global registry would refuse).
	fams, err := newMetrics(nil).reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "geo311_intake_total" {
			for _, mm := range f.GetMetric() {
				if v := mm.GetCounter().GetValue(); v != 0 {
					t.Errorf("a fresh registry has intake count %v", v)
				}
			}
		}
	}
}
