package main

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/geo311/geo311/data/postgis/pgtest"
	"github.com/geo311/geo311/tiles"
)

// TestReadReplica runs `geo311 serve --demo` on a throwaway primary with a
// streaming replica of it as --read-database-url, files requests through
// Open311 and checks where each read goes:
//
//   - with the replica's replay paused, exports (HTTP and the CLI) and
//     status reports miss the requests filed meanwhile, which the primary's
//     Open311 lookup already serves, and tiles and trends (this process's
//     in-memory analytics) already show; once the replica has replayed,
//     exports and reports show them too;
//   - with the replica stopped, /readyz stays 200 and says reads fall back
//     to the primary; exports and reports answer from the primary; once it
//     is back, reads return to it;
//   - a restarted server loads its analytics from the replica (its
//     requests table scans, the reader's sessions, the metrics say so) and
//     its tiles and trends show every request;
//   - a server started while the replica is down starts, reads from the
//     primary, and moves its reads to the replica once it is up;
//   - a replica without the geo311 schema is refused with an error naming
//     --read-database-url.
func TestReadReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster and a replica")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		pgtest.Need(t, nil)
	}
	t.Cleanup(func() { c.Stop() })
	const dbname = "geo311_replica"
	primaryURL, err := c.NewDatabase(ctx, dbname)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.StartReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Stop() }) // before the primary's (cleanups run last first)
	replicaURL := rep.URL(dbname)

	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE_URL": primaryURL, "GEO311_DATABASE": filepath.Join(dir, "unused.db"),
		"GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0", "GEO311_LOG_LEVEL": "warn"}
	// Migrates the primary and stores the demo boundaries.
	key := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "replica test"))
	ts := startServe(t, vars, "--demo", "--read-database-url", replicaURL)

	var ready struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if r := do(t, "GET", ts.URL+"/readyz", "", nil); r.Status != 200 {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	} else if r.JSON(t, &ready); !strings.HasPrefix(ready.Checks["read_replica"], "ok") {
		t.Errorf("readyz read_replica = %q, want ok", ready.Checks["read_replica"])
	}
	if !strings.Contains(ts.logs.String(), "read_replica=true") {
		t.Errorf("the start-up line does not say a read replica is configured:\n%s", ts.logs.String())
	}

	pts := farApart(t, 8)
	post := func(i int) string {
		t.Helper()
		f := url.Values{"api_key": {key}, "service_code": {"SGA"}, "lat": {fmt.Sprint(pts[i][1])}, "long": {fmt.Sprint(pts[i][0])},
			"description": {fmt.Sprintf("replica test #%d", i)}}
		r := do(t, "POST", ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		if r.Status != 201 {
			t.Fatalf("POST request %d: %d %s", i, r.Status, r.Body)
		}
		var items []open311Item
		r.JSON(t, &items)
		n, _ := items[0]["service_request_id"].(string)
		if n == "" {
			t.Fatalf("no service_request_id: %s", r.Body)
		}
		return n
	}
	var before, during []string // filed with replay running, and paused
	for i := 0; i < 3; i++ {
		before = append(before, post(i))
	}
	if err := rep.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	checkReads := func(phase string, exported, notExported []string, reported int) {
		t.Helper()
		csv := string(exportCSV(t, ts.URL))
		for _, n := range exported {
			if !strings.Contains(csv, n) {
				t.Errorf("%s: export lacks %s", phase, n)
			}
		}
		for _, n := range notExported {
			if strings.Contains(csv, n) {
				t.Errorf("%s: export has %s, which the replica has not replayed", phase, n)
			}
		}
		if got := reportReceived(t, ts.URL); got != reported {
			t.Errorf("%s: status report counts %d received, want %d", phase, got, reported)
		}
	}
	checkReads("replayed", before, nil, 3)

	// Replay paused: what is filed now is on the primary only.
	if err := rep.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	replicaReads := metricValue(t, ts.URL, `geo311_store_reads_total{store="replica"}`)
	for i := 3; i < 5; i++ {
		during = append(during, post(i))
	}
	all := append(append([]string(nil), before...), during...)
	for _, n := range during {
		if r := do(t, "GET", ts.URL+"/open311/v2/requests/"+n+".json", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), n) {
			t.Errorf("Open311 lookup of %s (primary) with replay paused: %d %s", n, r.Status, r.Body)
		}
	}
	checkReads("replay paused", before, during, 3)
	checkTilesAndTrends(t, ts.URL, pts[:5], all)
	if got := metricValue(t, ts.URL, `geo311_store_reads_total{store="replica"}`); got < replicaReads+2 {
		t.Errorf("replica reads %v after an export and a report, were %v", got, replicaReads)
	}
	// The export command reads from the replica with the flag, from the
	// primary without.
	cliCSV := func(args ...string) string {
		out := filepath.Join(dir, fmt.Sprintf("export%d.csv", time.Now().UnixNano()))
		mustCLI(t, vars, append([]string{"export", "--demo", "--out", out}, args...)...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := cliCSV("--read-database-url", replicaURL); !strings.Contains(s, before[0]) || strings.Contains(s, during[0]) {
		t.Errorf("geo311 export --read-database-url with replay paused: want %s and not %s:\n%.600s", before[0], during[0], s)
	}
	if s := cliCSV(); !strings.Contains(s, during[0]) {
		t.Errorf("geo311 export (primary) lacks %s", during[0])
	}

	if err := rep.ResumeReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rep.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	checkReads("replay resumed", all, nil, 5)

	// The replica goes down: readiness holds, reads fall back to the
	// primary and see everything.
	if err := rep.StopServer(); err != nil {
		t.Fatal(err)
	}
	later := post(5)
	all = append(all, later)
	r := do(t, "GET", ts.URL+"/readyz", "", nil)
	r.JSON(t, &ready)
	if r.Status != 200 || !strings.HasPrefix(ready.Checks["read_replica"], "unavailable: reads fall back to the primary") {
		t.Errorf("readyz with the replica down: %d %s", r.Status, r.Body)
	}
	checkReads("replica down", all, nil, 6)
	if got := metricValue(t, ts.URL, `geo311_replica_fallbacks_total`); got < 2 {
		t.Errorf("geo311_replica_fallbacks_total = %v with the replica down, want at least 2", got)
	}
	if got := metricValue(t, ts.URL, `geo311_replica_up`); got != 0 {
		t.Errorf("geo311_replica_up = %v with the replica down", got)
	}
	if got := metricValue(t, ts.URL, `geo311_replica_lag_bytes`); !math.IsNaN(got) {
		t.Errorf("geo311_replica_lag_bytes = %v with the replica down, want NaN", got)
	}

	// Back: a probe finds it within the retry interval; reads go to it.
	if err := rep.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rep.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(replicaRetry + 5*time.Second)
	for {
		r := do(t, "GET", ts.URL+"/readyz", "", nil)
		r.JSON(t, &ready)
		if strings.HasPrefix(ready.Checks["read_replica"], "ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz read_replica still %q after the replica returned", ready.Checks["read_replica"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	fallbacks := metricValue(t, ts.URL, `geo311_replica_fallbacks_total`)
	replicaReads = metricValue(t, ts.URL, `geo311_store_reads_total{store="replica"}`)
	checkReads("replica back", all, nil, 6)
	if got := metricValue(t, ts.URL, `geo311_store_reads_total{store="replica"}`); got < replicaReads+2 {
		t.Errorf("replica reads %v after the replica returned, were %v", got, replicaReads)
	}
	if got := metricValue(t, ts.URL, `geo311_replica_fallbacks_total`); got != fallbacks {
		t.Errorf("fallbacks went from %v to %v with the replica up", fallbacks, got)
	}
	if got := metricValue(t, ts.URL, `geo311_replica_up`); got != 1 {
		t.Errorf("geo311_replica_up = %v with the replica up", got)
	}
	if err := ts.Stop(t); err != nil {
		t.Fatal(err)
	}

	// A new server loads its analytics from the replica. Table statistics
	// are flushed by each backend at most once a second while it runs, and
	// when it exits: compare them once every geo311 session has ended.
	sessions := func(u, app string) int {
		t.Helper()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ended := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for sessions(primaryURL, "geo311") > 0 || sessions(replicaURL, "geo311-reader") > 0 {
			if time.Now().After(deadline) {
				t.Fatal("geo311 sessions still open 30 s after the server stopped")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	scans := func(u string) int64 {
		t.Helper()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'requests'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ended()
	replicaScans, primaryScans := scans(replicaURL), scans(primaryURL)
	ts2 := startServe(t, vars, "--demo", "--read-database-url", replicaURL)
	if got := metricValue(t, ts2.URL, `geo311_store_reads_total{store="replica"}`); got != 1 {
		t.Errorf("replica reads after start-up = %v, want 1 (the analytics scan)", got)
	}
	if got := metricValue(t, ts2.URL, `geo311_store_reads_total{store="primary"}`); got != 0 {
		t.Errorf("primary reads after start-up = %v, want 0", got)
	}
	checkTilesAndTrends(t, ts2.URL, pts[:6], all)
	if n := sessions(replicaURL, "geo311-reader"); n == 0 {
		t.Error("no geo311-reader session on the replica")
	}
	if n := sessions(primaryURL, "geo311-reader"); n != 0 {
		t.Errorf("%d geo311-reader sessions on the primary", n)
	}
	if err := ts2.Stop(t); err != nil {
		t.Fatal(err)
	}
	ended()
	if got := scans(replicaURL); got <= replicaScans {
		t.Errorf("the replica's requests table was not scanned while the server started (%d scans before and after)", got)
	}
	if got := scans(primaryURL); got != primaryScans {
		t.Errorf("the primary's requests table was scanned %d times while the server started and served tiles and trends, want none", got-primaryScans)
	}

	// A replica that is down when the server starts does not stop it:
	// reads go to the primary until a probe finds the replica and checks
	// its schema.
	if err := rep.StopServer(); err != nil {
		t.Fatal(err)
	}
	ts3 := startServe(t, vars, "--demo", "--read-database-url", replicaURL)
	if !strings.Contains(ts3.logs.String(), "read replica unavailable at start-up") {
		t.Errorf("no warning about the replica at start-up:\n%s", ts3.logs.String())
	}
	checkTilesAndTrends(t, ts3.URL, pts[:6], all) // loaded from the primary
	r = do(t, "GET", ts3.URL+"/readyz", "", nil)
	r.JSON(t, &ready)
	if r.Status != 200 || !strings.HasPrefix(ready.Checks["read_replica"], "unavailable") {
		t.Errorf("readyz with the replica down since start-up: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(exportCSV(t, ts3.URL)), later) {
		t.Errorf("export from the primary lacks %s", later)
	}
	if err := rep.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(replicaRetry + 5*time.Second)
	for {
		exportCSV(t, ts3.URL)
		if metricValue(t, ts3.URL, `geo311_store_reads_total{store="replica"}`) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads did not go to the replica after it started:\n%s", ts3.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := ts3.Stop(t); err != nil {
		t.Fatal(err)
	}

	// A replica of another database (no geo311 schema, however long one
	// waits for replay) is a configuration error.
	if _, err := c.NewDatabase(ctx, "geo311_not_migrated"); err != nil {
		t.Fatal(err)
	}
	if err := rep.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := cli(t, vars, "export", "--demo", "--out", filepath.Join(dir, "never.csv"), "--read-database-url", rep.URL("geo311_not_migrated"))
	if err == nil || !strings.Contains(err.Error(), "--read-database-url (GEO311_READ_DATABASE_URL)") || !strings.Contains(err.Error(), "no geo311 schema") {
		t.Errorf("export with a replica of an unmigrated database: %v\n%s", err, stderr)
	}
}

// farApart returns n demo beat interior points (lon, lat), each more than
// a kilometre from the others, so that no two requests deduplicate.
func farApart(t *testing.T, n int) [][2]float64 {
	t.Helper()
	var ids []string
	all := demoPoints(t)
	for id := range all {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out [][2]float64
	for _, id := range ids {
		p := all[id]
		ok := true
		for _, q := range out {
			if haversineM(p, q) < 1000 {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, p)
		}
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("only %d demo beats lie a kilometre apart, want %d", len(out), n)
	return nil
}

func haversineM(a, b [2]float64) float64 {
	const r = 6371008.8
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dla, dlo := la2-la1, (b[0]-a[0])*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// exportCSV downloads every public request as CSV.
func exportCSV(t *testing.T, base string) []byte {
	t.Helper()
	r := do(t, "GET", base+"/v1/export/requests.csv", "", nil)
	if r.Status != 200 {
		t.Fatalf("export: %d %s", r.Status, r.Body)
	}
	return r.Body
}

// reportReceived is the "received" count of the current quarter's status
// report, all areas.
func reportReceived(t *testing.T, base string) int {
	t.Helper()
	var rep struct {
		Rows []struct {
			Layer    string `json:"layer"`
			Received int    `json:"received"`
		} `json:"rows"`
	}
	r := do(t, "GET", base+"/v1/reports/status", "", nil)
	if r.Status != 200 {
		t.Fatalf("status report: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &rep)
	for _, row := range rep.Rows {
		if row.Layer == "all" {
			return row.Received
		}
	}
	t.Fatalf("status report without a total row: %s", r.Body)
	return 0
}

// checkTilesAndTrends: the heatmap of the last days counts every request,
// and each request is a point of the z14 requests tile at its location.
func checkTilesAndTrends(t *testing.T, base string, pts [][2]float64, numbers []string) {
	t.Helper()
	now := time.Now().UTC()
	var hm struct {
		Total int64 `json:"total"`
	}
	do(t, "GET", fmt.Sprintf("%s/v1/trends/heatmap?from=%s&to=%s", base, now.AddDate(0, 0, -2).Format("2006-01-02"), now.AddDate(0, 0, 2).Format("2006-01-02")), "", nil).JSON(t, &hm)
	if hm.Total != int64(len(numbers)) {
		t.Errorf("heatmap total %d, want %d", hm.Total, len(numbers))
	}
	for i, p := range pts {
		tl := maptile.At(orb.Point{p[0], p[1]}, 14)
		r := do(t, "GET", fmt.Sprintf("%s/tiles/requests/%d/%d/%d.mvt", base, tl.Z, tl.X, tl.Y), "", nil, "Accept-Encoding", "identity")
		if r.Status != 200 {
			t.Errorf("tile of request %s: %d", numbers[i], r.Status)
			continue
		}
		layers, err := mvt.Unmarshal(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range layers[0].Features {
			// orb decodes feature ids as float64; request ids are far below 2^53.
			if id, ok := f.ID.(float64); ok && uint64(id) == tiles.FeatureID(numbers[i]) {
				found = true
			}
		}
		if !found {
			t.Errorf("tile %v lacks request %s", tl, numbers[i])
		}
	}
}

var metricLine = regexp.MustCompile(`(?m)^(\S+) (\S+)$`)

// metricValue reads one sample of GET /metrics by its name and labels as
// written there (`name{label="v"}`); NaN is a value too.
func metricValue(t *testing.T, base, sample string) float64 {
	t.Helper()
	r := do(t, "GET", base+"/metrics", "", nil, "Accept", "text/plain")
	for _, m := range metricLine.FindAllStringSubmatch(string(r.Body), -1) {
		if m[1] == sample {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatalf("metric %s: %v", sample, err)
			}
			return v
		}
	}
	t.Fatalf("no metric %s in:\n%s", sample, r.Body)
	return 0
}
