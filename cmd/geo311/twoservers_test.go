package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis"
	"github.com/geo311/geo311/data/postgis/pgtest"
)

// TestTwoServers runs two `geo311 serve --demo` child processes on one
// PostGIS database and fires near-identical rodent reports (same service
// type, all within a metre of one point) at both at once: the duplicate
// decision is taken under a lock both processes honour, so exactly one
// request is the primary, every other one names it as parent, its duplicate
// count is N-1, and the tracking numbers are SRyy-00000001..N without a gap
// or a repeat. Then distinct reports far apart go to both servers at once:
// each is its own primary and the numbers continue N+1..N+M, unique.
func TestTwoServers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts a PostgreSQL cluster")
	}
	ctx := context.Background()
	cluster, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		pgtest.Need(t, nil)
	}
	t.Cleanup(func() { cluster.Stop() })
	dbURL, err := cluster.NewDatabase(ctx, "geo311_two_servers")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := buildGeo311(t, dir)

	vars := map[string]string{"GEO311_DATABASE_URL": dbURL, "GEO311_DATABASE": filepath.Join(dir, "unused.db"),
		"GEO311_LOG_LEVEL": "warn"}
	key := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "two servers"))
	env := []string{"GEO311_DATABASE=" + filepath.Join(dir, "unused.db"), "GEO311_WEB_INTAKE_KEY=" + key,
		"GEO311_LOG_LEVEL=info", "GEO311_RELOAD_INTERVAL=0"}
	args := []string{"serve", "--demo", "--database-url", dbURL, "--addr", "127.0.0.1:0", "--pin-iterations", "1000"}
	// One after the other: the first loads the demo boundaries, the second
	// finds them; the intakes below are what runs concurrently.
	servers := []*child{startChild(t, bin, env, args...)}
	t.Cleanup(func() { servers[0].stop(t) })
	servers = append(servers, startChild(t, bin, env, args...))
	t.Cleanup(func() { servers[1].stop(t) })
	for i, s := range servers {
		if got := webConfigKey(t, s.URL); got != key {
			t.Fatalf("server %d does not use the intake key created by the CLI", i)
		}
	}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	defer client.CloseIdleConnections()

	// A demo beat's interior point for the cluster; the distinct reports go
	// to other beats' points, each over 1 km from the cluster and from one
	// another (the rodent dedupe radius is 100 m).
	var pts [][2]float64 // lat, lon
	for _, p := range demoPoints(t) {
		pts = append(pts, [2]float64{p[1], p[0]})
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i][0]*1e3+pts[i][1] < pts[j][0]*1e3+pts[j][1] })
	center := pts[len(pts)/2]
	far := [][2]float64{center}
	for _, p := range pts {
		ok := true
		for _, q := range far {
			if metres(p, q) < 1000 {
				ok = false
				break
			}
		}
		if ok {
			far = append(far, p)
		}
	}
	far = far[1:]

	const n = 24
	m := min(8, len(far))
	if m < 4 {
		t.Fatalf("the demo city has only %d beat points over 1 km apart", m)
	}

	// fire posts all forms at once, alternating servers, and returns the
	// numbers in form order.
	batch := 0
	fire := func(forms []url.Values) []string {
		batch++
		nums := make([]string, len(forms))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, f := range forms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				a := &crashAttempt{key: fmt.Sprintf("two-servers-%d-%d", batch, i), form: f}
				status, number, body, err := postIntake(client, servers[i%2].URL, a)
				if err != nil || status != 201 {
					t.Errorf("intake %d on server %d: %d %v %s", i, i%2, status, err, body)
					return
				}
				nums[i] = number
			}()
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		return nums
	}

	// N near-identical reports within a metre of one point (1e-6 degrees of
	// latitude is about 0.11 m).
	var forms []url.Values
	for i := range n {
		forms = append(forms, url.Values{"api_key": {key}, "service_code": {"SGA"},
			"lat":         {strconv.FormatFloat(center[0]+float64(i%5)*1e-6, 'f', -1, 64)},
			"long":        {strconv.FormatFloat(center[1]+float64(i/5)*1e-6, 'f', -1, 64)},
			"description": {fmt.Sprintf("rats by the garbage carts %d", i)}})
	}
	began := time.Now()
	nums := fire(forms)
	t.Logf("%d near-identical intakes on two servers in %v", n, time.Since(began).Round(time.Millisecond))

	for s, srv := range servers { // both servers read the same answer
		items := readExtended(t, srv.URL, nums)
		if len(items) != n {
			t.Fatalf("server %d: read %d of %d requests", s, len(items), n)
		}
		var primaries []string
		parent := map[string]any{}
		count := map[string]any{}
		for _, it := range items {
			id, _ := it["service_request_id"].(string)
			ea, _ := it["extended_attributes"].(map[string]any)
			if ea == nil {
				t.Fatalf("server %d: %s has no extended_attributes", s, id)
			}
			parent[id], count[id] = ea["parent_service_request_id"], ea["duplicate_count"]
			if ea["parent_service_request_id"] == nil {
				if ea["duplicate"] != false {
					t.Errorf("server %d: %s has no parent but duplicate=%v", s, id, ea["duplicate"])
				}
				primaries = append(primaries, id)
			} else if ea["duplicate"] != true {
				t.Errorf("server %d: %s has a parent but duplicate=%v", s, id, ea["duplicate"])
			}
		}
		if len(primaries) != 1 {
			t.Fatalf("server %d: want exactly one primary among %d near-identical requests, got %d: %v\n%s",
				s, n, len(primaries), primaries, prettyItems(items))
		}
		p := primaries[0]
		for id, par := range parent {
			if id != p && par != p {
				t.Errorf("server %d: %s has parent %v, want the primary %s", s, id, par, p)
			}
		}
		if c, _ := count[p].(float64); c != n-1 {
			t.Errorf("server %d: primary %s has duplicate_count %v, want %d", s, p, count[p], n-1)
		}
	}
	prefix := checkSequential(t, nums, 1)

	// M distinct reports far apart, at once on both servers: each its own
	// primary, numbers continuing without a gap.
	forms = nil
	for i := range m {
		forms = append(forms, url.Values{"api_key": {key}, "service_code": {"SGA"},
			"lat": {strconv.FormatFloat(far[i][0], 'f', -1, 64)}, "long": {strconv.FormatFloat(far[i][1], 'f', -1, 64)},
			"description": {fmt.Sprintf("rats in another part of town %d", i)}})
	}
	distinct := fire(forms)
	if p := checkSequential(t, distinct, n+1); p != prefix {
		t.Errorf("distinct numbers have prefix %q, the first batch %q", p, prefix)
	}
	for _, it := range readExtended(t, servers[1].URL, distinct) {
		ea, _ := it["extended_attributes"].(map[string]any)
		if ea == nil || ea["duplicate"] != false || ea["parent_service_request_id"] != nil || ea["duplicate_count"] != float64(0) {
			t.Errorf("a far-apart request is not a lone primary: %v", it)
		}
	}

	// The store holds exactly these N+M requests, each number once.
	db, err := postgis.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]bool{}
	for _, num := range append(append([]string{}, nums...), distinct...) {
		want[num] = true
	}
	seen := map[string]int{}
	if err := db.ScanRequests(ctx, data.RequestFilter{}, func(r *data.Request) error {
		seen[r.Number]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for num, k := range seen {
		if k != 1 || !want[num] {
			t.Errorf("the store holds %s %d times (acknowledged: %v)", num, k, want[num])
		}
	}
	if len(seen) != n+m {
		t.Errorf("the store holds %d requests, want %d", len(seen), n+m)
	}
}

// readExtended reads requests by number with extended attributes.
func readExtended(t *testing.T, base string, nums []string) []open311Item {
	t.Helper()
	q := url.Values{"service_request_id": {strings.Join(nums, ",")}, "extensions": {"true"}}
	r := do(t, "GET", base+"/open311/v2/requests.json?"+q.Encode(), "", nil)
	if r.Status != 200 {
		t.Fatalf("GET requests: %d %s", r.Status, r.Body)
	}
	var items []open311Item
	if err := json.Unmarshal(r.Body, &items); err != nil {
		t.Fatalf("GET requests: %v\n%s", err, r.Body)
	}
	return items
}

// checkSequential asserts that nums are "SRyy-" numbers with one prefix and
// sequences exactly first..first+len(nums)-1, and returns the prefix.
func checkSequential(t *testing.T, nums []string, first int) string {
	t.Helper()
	var prefix string
	var seqs []int
	for _, num := range nums {
		p, s, ok := strings.Cut(num, "-")
		seq, err := strconv.Atoi(s)
		if !ok || err != nil || len(s) != 8 || !strings.HasPrefix(p, "SR") || len(p) != 4 {
			t.Fatalf("%q is not an SRyy-nnnnnnnn number", num)
		}
		if prefix == "" {
			prefix = p
		} else if p != prefix {
			t.Errorf("numbers with two prefixes: %s and %s", prefix, p)
		}
		seqs = append(seqs, seq)
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != first+i {
			t.Fatalf("sequences %v: want %d..%d, unique and without a gap", seqs, first, first+len(nums)-1)
		}
	}
	return prefix
}

// metres is the equirectangular distance between two (lat, lon) points.
func metres(a, b [2]float64) float64 {
	const r = 6371000.0
	lat := (a[0] + b[0]) / 2 * math.Pi / 180
	dx := (b[1] - a[1]) * math.Pi / 180 * math.Cos(lat) * r
	dy := (b[0] - a[0]) * math.Pi / 180 * r
	return math.Hypot(dx, dy)
}
