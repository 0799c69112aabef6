package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis"
	"github.com/geo311/geo311/data/postgis/pgtest"
	"github.com/geo311/geo311/data/sqlite"
)

// intakeStream files rodent reports into a server from two goroutines until
// stopped and records every acknowledged number in the order the answers
// arrived.
type intakeStream struct {
	mu    sync.Mutex
	acked []string
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startIntakeStream(t *testing.T, base, key string, pt [2]float64) *intakeStream {
	s := &intakeStream{stop: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	for g := range 2 {
		s.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-s.stop:
					return
				default:
				}
				a := &crashAttempt{key: fmt.Sprintf("backup-%d-%d", g, i), form: url.Values{"api_key": {key}, "service_code": {"SGA"},
					"lat": {fmt.Sprint(pt[0] + float64(i%50)*1e-4)}, "long": {fmt.Sprint(pt[1] + float64(g)*1e-4)},
					"description": {fmt.Sprintf("rats %d-%d", g, i)}}}
				status, number, body, err := postIntake(client, base, a)
				if err != nil || status != http.StatusCreated {
					t.Errorf("intake during the backup: %d %v %s", status, err, body)
					return
				}
				s.mu.Lock()
				s.acked = append(s.acked, number)
				s.mu.Unlock()
			}
		})
	}
	return s
}

// snapshot returns the numbers acknowledged so far.
func (s *intakeStream) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.acked...)
}

// waitFor waits until n more answers than `since` have arrived.
func (s *intakeStream) waitFor(t *testing.T, since, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(s.snapshot()) < since+n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d intakes acknowledged in a minute", len(s.snapshot()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *intakeStream) end() []string {
	close(s.stop)
	s.wg.Wait()
	return s.snapshot()
}

// TestBackupLiveSQLite backs up a served SQLite store while intakes stream
// in: the command answers while the server keeps acknowledging; the copy
// passes PRAGMA integrity_check, holds every request acknowledged before
// the backup began and nothing that was never acknowledged, and serves on
// its own with the tracking numbers going on from the copy's last one. An
// existing file is never overwritten and a missing database is not created.
func TestBackupLiveSQLite(t *testing.T) {
	e := startIntake(t)
	stream := startIntakeStream(t, e.ts.URL, e.intake, e.ptA)
	stream.waitFor(t, 0, 20)
	before := stream.snapshot()
	out := filepath.Join(t.TempDir(), "geo311-backup.db")
	stdout := mustCLI(t, e.vars, "backup", "--demo", "--out", out)
	// Intakes went on during and after the backup.
	stream.waitFor(t, len(before), 20)
	all := stream.end()
	t.Logf("geo311 backup:\n%s", stdout)
	if !strings.Contains(stdout, "integrity ok") || !strings.Contains(stdout, "restore:") {
		t.Errorf("backup output:\n%s", stdout)
	}

	// The copy, checked by SQLite itself (read-only, immutable: no side files).
	raw, err := sql.Open("sqlite3", "file:"+out+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	var integrity string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("PRAGMA integrity_check of the backup: %q %v", integrity, err)
	}
	raw.Close()

	ctx := context.Background()
	db, err := sqlite.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	if err := db.ScanRequests(ctx, data.RequestFilter{}, func(r *data.Request) error {
		stored[r.Number] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range before {
		if !stored[n] {
			t.Errorf("%s was acknowledged before the backup began and is not in it", n)
		}
		if notes, err := db.Notes(ctx, n); err != nil || len(notes) == 0 {
			t.Errorf("%s in the backup has notes %v, %v", n, notes, err)
		}
	}
	ackedSet := map[string]bool{}
	for _, n := range all {
		ackedSet[n] = true
	}
	// Every intake finished before end returned: whatever the copy holds
	// was acknowledged.
	for n := range stored {
		if !ackedSet[n] {
			t.Errorf("%s is in the backup but was never acknowledged", n)
		}
	}
	var maxNumber string
	for n := range stored {
		maxNumber = max(maxNumber, n)
	}
	db.Close()
	t.Logf("%d requests acknowledged before the backup, %d in it, %d in all", len(before), len(stored), len(all))

	// The copy serves, and the numbers go on from its own last one.
	restoredVars := map[string]string{"GEO311_DATABASE": out, "GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0", "GEO311_LOG_LEVEL": "warn"}
	rs := startServe(t, restoredVars, "--demo")
	resp := do(t, "POST", rs.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded",
		strings.NewReader(e.form("SGA", e.ptB, "description", "after the restore").Encode()))
	if resp.Status != http.StatusCreated {
		t.Fatalf("intake on the restored copy: %d %s", resp.Status, resp.Body)
	}
	got, _ := open311List(t, resp)[0]["service_request_id"].(string)
	if want := nextNumber(t, maxNumber); got != want {
		t.Errorf("first intake on the restored copy got %s, want %s (after %s)", got, want, maxNumber)
	}
	rs.Stop(t)

	// Never overwritten; a missing database is not created.
	info, _ := os.Stat(out)
	if _, _, err := cli(t, e.vars, "backup", "--demo", "--out", out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if again, _ := os.Stat(out); again.Size() != info.Size() || !again.ModTime().Equal(info.ModTime()) {
		t.Error("the existing backup changed")
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	out2 := filepath.Join(t.TempDir(), "b.db")
	if _, _, err := cli(t, map[string]string{"GEO311_DATABASE": missing}, "backup", "--out", out2); err == nil || !strings.Contains(err.Error(), "no database file") {
		t.Errorf("backup of a missing database: %v", err)
	}
	for _, p := range []string{missing, out2} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Errorf("the backup folder holds %q, want only the backup (no partial files)", names)
	}
}

// nextNumber is the tracking number after n (same kind and year).
func nextNumber(t *testing.T, n string) string {
	t.Helper()
	kind, year, seq, err := data.ParseNumber(n)
	if err != nil {
		t.Fatal(err)
	}
	return data.FormatNumber(kind, year, seq+1)
}

func TestLibpqURL(t *testing.T) {
	for _, c := range []struct {
		in, conninfo, password string
		dropped                []string
	}{
		{"postgres://geo:s3cret@db.example:5433/geo311?sslmode=require&pool_max_conns=8&application_name=x",
			"postgres://geo@db.example:5433/geo311?application_name=x&sslmode=require", "s3cret", []string{"pool_max_conns"}},
		{"postgresql://127.0.0.1/x?password=p%40ss&statement_cache_capacity=0", "postgresql://127.0.0.1/x", "p@ss", []string{"statement_cache_capacity"}},
		{"postgres:///geo311?host=%2Fvar%2Frun%2Fpostgresql", "postgres:///geo311?host=%2Fvar%2Frun%2Fpostgresql", "", nil},
	} {
		conninfo, pw, dropped, err := libpqURL(c.in)
		if err != nil || conninfo != c.conninfo || pw != c.password || strings.Join(dropped, ",") != strings.Join(c.dropped, ",") {
			t.Errorf("libpqURL(%q) = %q, %q, %v, %v; want %q, %q, %v", c.in, conninfo, pw, dropped, err, c.conninfo, c.password, c.dropped)
		}
		if strings.Contains(redactURL(c.in), c.password) && c.password != "" {
			t.Errorf("redactURL(%q) = %q shows the password", c.in, redactURL(c.in))
		}
	}
	if _, _, _, err := libpqURL("mysql://x"); err == nil {
		t.Error("libpqURL accepted a mysql URL")
	}
}

// TestBackupRestorePostGIS backs up a served PostGIS store with `geo311
// backup` (pg_dump, custom format) while intakes stream in, restores it
// with pg_restore into a new, empty database and checks that the requests,
// their notes, concern PINs, the API keys and the tracking-number counters
// came through: a server on the restored database accepts the old keys and
// continues the numbers without reusing one.
func TestBackupRestorePostGIS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		pgtest.Need(t, nil)
	}
	t.Cleanup(func() { c.Stop() })
	dbURL, err := c.NewDatabase(ctx, "geo311_backup")
	if err != nil {
		t.Fatal(err)
	}
	// A pgx-only parameter: the backup leaves it out for pg_dump.
	dbURL += "&pool_max_conns=6"
	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE_URL": dbURL, "GEO311_DATABASE": filepath.Join(dir, "unused.db"),
		"GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0", "GEO311_LOG_LEVEL": "warn"}
	intakeKey := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "backup intake"))
	staffKey := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "admin", "--name", "backup staff"))
	ts := startServe(t, vars, "--demo")
	// The beat point nearest the demo city's middle: the intake stream
	// walks up to 0.005° north of it, which from a beat at the edge (a map's
	// first entry is any beat) left the city.
	pts := demoPoints(t)
	var mid [2]float64
	for _, p := range pts {
		mid[0], mid[1] = mid[0]+p[0]/float64(len(pts)), mid[1]+p[1]/float64(len(pts))
	}
	var pt [2]float64
	best := math.Inf(1)
	for _, p := range pts {
		if d := math.Hypot(p[0]-mid[0], p[1]-mid[1]); d < best {
			best, pt = d, [2]float64{p[1], p[0]} // lat, lon
		}
	}

	// A concern with its PIN and a staff transition (notes with a reason).
	form := url.Values{"api_key": {intakeKey}, "service_code": {"CC-NARC"}, "lat": {fmt.Sprint(pt[0])}, "long": {fmt.Sprint(pt[1])},
		"description": {"dealing at the corner"}, "email": {"resident@example.org"}}
	resp := do(t, "POST", ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if resp.Status != http.StatusCreated {
		t.Fatalf("concern: %d %s", resp.Status, resp.Body)
	}
	concern := open311List(t, resp)[0]
	ccNumber, _ := concern["service_request_id"].(string)
	pin, _ := concern["pin"].(string)
	if r := do(t, "POST", ts.URL+"/v1/requests/"+ccNumber+"/not-accept", "application/json", strings.NewReader(`{"reason":"not a police matter"}`),
		"Authorization", "Bearer "+staffKey); r.Status != http.StatusOK {
		t.Fatalf("not-accept: %d %s", r.Status, r.Body)
	}

	stream := startIntakeStream(t, ts.URL, intakeKey, pt)
	stream.waitFor(t, 0, 20)
	before := append(stream.snapshot(), ccNumber)
	out := filepath.Join(dir, "geo311.dump")
	stdout, stderr, err := cli(t, vars, "backup", "--demo", "--out", out, "--pg-dump", filepath.Join(c.BinDir, "pg_dump"))
	if err != nil {
		t.Fatalf("backup: %v\n%s\n%s", err, stdout, stderr)
	}
	stream.waitFor(t, len(before)-1, 10)
	stream.end()
	t.Logf("geo311 backup:\n%s%s", stdout, stderr)
	if !strings.Contains(stderr, "pool_max_conns") || !strings.Contains(stdout, "pg_restore --list reads") {
		t.Errorf("backup output:\n%s\n%s", stdout, stderr)
	}
	live, err := postgis.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	liveNotes, err := live.Notes(ctx, ccNumber)
	if err != nil {
		t.Fatal(err)
	}
	liveKeys, err := live.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live.Close()
	ts.Stop(t)

	// Restore into a new, empty database (no PostGIS yet: the archive
	// creates the extensions), as the README's procedure says.
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE geo311_restored TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	restoredURL := c.URL("geo311_restored")
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname="+restoredURL, out)
	var restoreOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &restoreOut, &restoreOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, restoreOut.String())
	}

	db, err := postgis.Open(ctx, restoredURL)
	if err != nil {
		t.Fatalf("postgis.Open of the restored database: %v", err)
	}
	stored := map[data.Kind][]string{}
	if err := db.ScanRequests(ctx, data.RequestFilter{}, func(r *data.Request) error {
		stored[r.Kind] = append(stored[r.Kind], r.Number)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range before {
		r, err := db.Request(ctx, n)
		if err != nil {
			t.Errorf("%s, acknowledged before the backup, after the restore: %v", n, err)
			continue
		}
		if notes, err := db.Notes(ctx, n); err != nil || len(notes) == 0 {
			t.Errorf("%s: notes %v %v", n, notes, err)
		}
		if n == ccNumber && (!data.CheckPIN(r.PINHash, pin) || r.State != data.StateNotAccepted || r.Contact.Email != "resident@example.org") {
			t.Errorf("restored concern: %+v", r)
		}
	}
	notes, err := db.Notes(ctx, ccNumber)
	if err != nil || len(notes) != len(liveNotes) {
		t.Fatalf("restored notes %v %v; live %v", notes, err, liveNotes)
	}
	for i := range notes {
		a, b := notes[i], liveNotes[i]
		if !a.At.Equal(b.At) || a.Actor != b.Actor || a.Event != b.Event || a.Text != b.Text || a.Reason != b.Reason || a.Internal != b.Internal {
			t.Errorf("note %d: restored %+v, live %+v", i, a, b)
		}
	}
	keys, err := db.Keys(ctx)
	if err != nil || len(keys) != len(liveKeys) {
		t.Fatalf("restored keys %d %v; live %d", len(keys), err, len(liveKeys))
	}
	for i := range keys {
		if keys[i].ID != liveKeys[i].ID || !bytes.Equal(keys[i].Hash, liveKeys[i].Hash) || !keys[i].RevokedAt.Equal(liveKeys[i].RevokedAt) {
			t.Errorf("key %d: restored %+v, live %+v", i, keys[i], liveKeys[i])
		}
	}
	db.Close()

	// A server on the restored database: the old keys work and the
	// numbers go on after the highest restored one of each kind.
	rvars := map[string]string{"GEO311_DATABASE_URL": restoredURL, "GEO311_DATABASE": filepath.Join(dir, "unused.db"),
		"GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0", "GEO311_LOG_LEVEL": "warn"}
	rs := startServe(t, rvars, "--demo")
	if r := do(t, "GET", rs.URL+"/v1/requests/"+ccNumber, "", nil, "Authorization", "Bearer "+staffKey); r.Status != http.StatusOK {
		t.Errorf("staff key on the restored database: %d %s", r.Status, r.Body)
	}
	for _, code := range []string{"SGA", "CC-NARC"} {
		kind := data.KindServiceRequest
		if code == "CC-NARC" {
			kind = data.KindCommunityConcern
		}
		nums := stored[kind]
		sort.Strings(nums)
		form := url.Values{"api_key": {intakeKey}, "service_code": {code}, "lat": {fmt.Sprint(pt[0] + 0.0005)}, "long": {fmt.Sprint(pt[1])},
			"description": {"after the restore"}}
		resp := do(t, "POST", rs.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if resp.Status != http.StatusCreated {
			t.Fatalf("intake %s on the restored database: %d %s", code, resp.Status, resp.Body)
		}
		got, _ := open311List(t, resp)[0]["service_request_id"].(string)
		if want := nextNumber(t, nums[len(nums)-1]); got != want {
			t.Errorf("first %s on the restored database got %s, want %s (after %s)", code, got, want, nums[len(nums)-1])
		}
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 99473: "97.1 KiB", 5 << 30: "5.0 GiB", 3 << 40: "3.0 TiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
