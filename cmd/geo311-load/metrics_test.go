package main

import (
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	in := `# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 8.855552e+06
go_memstats_sys_bytes 2.68434e+07 1700000000000
geo311_tile_cache_hits_total 12
geo311_http_requests_total{route="/v1/route",status="200"} 5
go_memstats_heap_inuse_bytes_other 1

`
	got, err := parseMetrics(strings.NewReader(in), sampledMetrics)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{metricHeap: 8855552, metricGoSys: 26843400, metricTileHits: 12}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, bad := range []string{metricHeap + " NaN\n", metricHeap + " x\n", metricTileHits + " +Inf\n"} {
		if _, err := parseMetrics(strings.NewReader(bad), sampledMetrics); err == nil {
			t.Errorf("parseMetrics(%q) succeeded", bad)
		}
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add("go_memstats_heap_inuse_bytes 8.855552e+06\n")
	f.Add("# HELP x\ngeo311_tile_cache_hits_total 3 17\n")
	f.Add("go_memstats_sys_bytes\n")
	f.Add("geo311_tile_cache_misses_total{a=\"b\"} 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseMetrics(strings.NewReader(in), sampledMetrics)
		if err != nil {
			return
		}
		for k := range got {
			if !strings.Contains(in, k) {
				t.Errorf("%s found in %q", k, in)
			}
		}
	})
}
