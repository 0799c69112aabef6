package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis"
	"github.com/geo311/geo311/data/postgis/pgtest"
	"github.com/geo311/geo311/data/sqlite"
)

// buildGeo311 builds the geo311 binary of this package into dir.
func buildGeo311(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "geo311")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// child is one `geo311 serve` process.
type child struct {
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan struct{}
}

var childListeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startChild starts the binary with args and the given environment (on top
// of PATH/HOME only) and waits for its "listening" log line.
func startChild(t *testing.T, bin string, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	// The child dies with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: newSyncBuffer(), done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			c.logs.Write([]byte(line + "\n"))
			if m := childListeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(c.done)
	}()
	select {
	case a := <-addr:
		c.URL = "http://" + a
	case <-c.done:
		t.Fatalf("geo311 serve exited before listening:\n%s", c.logs.String())
	case <-time.After(30 * time.Second):
		c.kill()
		t.Fatalf("geo311 serve did not listen within 30s:\n%s", c.logs.String())
	}
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop sends SIGTERM and waits (a graceful shutdown).
func (c *child) stop(t *testing.T) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.kill()
		t.Errorf("geo311 serve did not stop on SIGTERM:\n%s", c.logs.String())
	}
}

// crashStore says how the child reaches its store and opens it directly.
type crashStore struct {
	name string
	env  []string // GEO311_* of the child and of in-process commands
	open func(ctx context.Context) (data.Store, func(), error)
}

// TestCrashKill streams Open311 intakes from several goroutines into a child
// `geo311 serve --demo` and kills it with SIGKILL at seeded random moments,
// four times, restarting it on the same store. Every request carries an
// Idempotency-Key; after the last restart the requests whose answer was lost
// are sent again with their key. The store must then hold exactly one request
// per key: each acknowledged number readable by its id with the same number,
// no number twice, a lost-answer retry either replaying the committed request
// (200) or creating it (201), and nothing else in the store. SQLite and PostGIS.
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills child processes")
	}
	dir := t.TempDir()
	bin := buildGeo311(t, dir)

	stores := []crashStore{{
		name: "sqlite",
		env:  []string{"GEO311_DATABASE=" + filepath.Join(dir, "crash.db")},
		open: func(ctx context.Context) (data.Store, func(), error) {
			db, err := sqlite.Open(ctx, filepath.Join(dir, "crash.db"))
			if err != nil {
				return nil, nil, err
			}
			return db, func() { db.Close() }, nil
		},
	}}
	ctx := context.Background()
	cluster, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostGIS crash test: %v (%s)", err, pgtest.InstallHint)
		}
		t.Logf("PostGIS part skipped: %s", pgtest.InstallHint)
	} else {
		t.Cleanup(func() { cluster.Stop() })
		u, err := cluster.NewDatabase(ctx, "geo311_crash")
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, crashStore{
			name: "postgis",
			env:  []string{"GEO311_DATABASE_URL=" + u, "GEO311_DATABASE=" + filepath.Join(dir, "unused.db")},
			open: func(ctx context.Context) (data.Store, func(), error) {
				db, err := postgis.Open(ctx, u)
				if err != nil {
					return nil, nil, err
				}
				return db, db.Close, nil
			},
		})
	}
	for i, st := range stores {
		t.Run(st.name, func(t *testing.T) { crashKill(t, bin, st, uint64(20260501+i)) })
	}
}

// crashAttempt is one request the test sent: its form and key, and the
// number of its 201 (or 200 replay) answer once acknowledged.
type crashAttempt struct {
	key    string
	form   url.Values
	number string
}

func crashKill(t *testing.T, bin string, st crashStore, seed uint64) {
	const kills, writers = 4, 4
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	vars := map[string]string{}
	for _, kv := range st.env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	// A stable intake key the page publishes (--web-intake-key), so that
	// idempotency keys (scoped to the API key) carry across restarts.
	key := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "crash web"))
	env := append(append([]string{}, st.env...), "GEO311_WEB_INTAKE_KEY="+key, "GEO311_LOG_LEVEL=info", "GEO311_RELOAD_INTERVAL=0")
	args := []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--pin-iterations", "1000"}

	var pts [][2]float64 // lat, lon
	for _, p := range demoPoints(t) {
		pts = append(pts, [2]float64{p[1], p[0]})
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i][0]*1e3+pts[i][1] < pts[j][0]*1e3+pts[j][1] })

	var (
		mu       sync.Mutex
		attempts []*crashAttempt
		acked    int
	)
	for round := 0; round <= kills; round++ {
		c := startChild(t, bin, env, args...)
		page := webConfigKey(t, c.URL)
		if page != key {
			t.Fatalf("round %d: /web/config.json intake_key is not the configured web key", round)
		}
		if round == kills {
			// The last run: send again every request whose answer was lost.
			client := &http.Client{Timeout: 20 * time.Second}
			replayed, createdLate := 0, 0
			for _, a := range attempts {
				if a.number != "" {
					continue
				}
				status, number, body, err := postIntake(client, c.URL, a)
				if err != nil || (status != 201 && status != 200) {
					t.Fatalf("retry of %s: %d %v %s", a.key, status, err, body)
				}
				a.number = number
				if status == 200 {
					replayed++
				} else {
					createdLate++
				}
			}
			t.Logf("%s: %d requests sent, %d acknowledged before a kill; of the lost answers %d had been committed (replayed), %d had not (created now)",
				st.name, len(attempts), acked, replayed, createdLate)
			verifyCrash(t, c.URL, st, attempts)
			c.stop(t)
			return
		}
		// Stream from several writers; kill at a seeded random moment.
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					pt := pts[(len(attempts)*7)%len(pts)]
					a := &crashAttempt{key: fmt.Sprintf("crash-%d-%d-%d", round, w, i), form: url.Values{
						"api_key": {key}, "service_code": {"SGA"}, "lat": {fmt.Sprint(pt[0])}, "long": {fmt.Sprint(pt[1])},
						"description": {fmt.Sprintf("rats, round %d writer %d #%d", round, w, i)}}}
					attempts = append(attempts, a)
					mu.Unlock()
					status, number, body, err := postIntake(client, c.URL, a)
					if err != nil {
						return // the child was killed: the answer is lost
					}
					if status != 201 {
						t.Errorf("round %d: intake answered %d: %s", round, status, body)
						return
					}
					mu.Lock()
					a.number = number
					acked++
					mu.Unlock()
				}
			}()
		}
		wait := time.Duration(150+rng.IntN(700)) * time.Millisecond
		time.Sleep(wait)
		c.kill()
		close(stop)
		wg.Wait()
		client.CloseIdleConnections()
		mu.Lock()
		t.Logf("%s round %d: killed after %v, %d requests sent so far, %d acknowledged", st.name, round, wait, len(attempts), acked)
		mu.Unlock()
	}
}

// webConfigKey reads the intake key the web page is given.
func webConfigKey(t *testing.T, base string) string {
	t.Helper()
	r := do(t, "GET", base+"/web/config.json", "", nil)
	var cfg struct {
		IntakeKey string `json:"intake_key"`
	}
	if r.Status != 200 {
		t.Fatalf("GET /web/config.json: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &cfg)
	if cfg.IntakeKey == "" {
		t.Fatalf("/web/config.json has no intake_key: %s", r.Body)
	}
	return cfg.IntakeKey
}

// postIntake sends a with its idempotency key; err is a transport error.
func postIntake(client *http.Client, base string, a *crashAttempt) (status int, number string, body []byte, err error) {
	req, err := http.NewRequest("POST", base+"/open311/v2/requests.json", strings.NewReader(a.form.Encode()))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", a.key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", nil, err
	}
	var items []map[string]any
	if json.Unmarshal(body, &items) == nil && len(items) == 1 {
		number, _ = items[0]["service_request_id"].(string)
	}
	if (resp.StatusCode == 201 || resp.StatusCode == 200) && number == "" {
		return resp.StatusCode, "", body, errors.New("answer without service_request_id")
	}
	return resp.StatusCode, number, body, nil
}

// verifyCrash checks exactly-once: one number per attempt, all distinct,
// each readable by id, and the store holding exactly these.
func verifyCrash(t *testing.T, base string, st crashStore, attempts []*crashAttempt) {
	t.Helper()
	byNumber := map[string]string{}
	for _, a := range attempts {
		if prev, ok := byNumber[a.number]; ok {
			t.Errorf("number %s acknowledged for both %s and %s", a.number, prev, a.key)
		}
		byNumber[a.number] = a.key
		r := do(t, "GET", base+"/open311/v2/requests/"+a.number+".json", "", nil)
		if r.Status != 200 {
			t.Errorf("acknowledged %s (%s) is not readable: %d %s", a.number, a.key, r.Status, r.Body)
			continue
		}
		var items []map[string]any
		r.JSON(t, &items)
		if len(items) != 1 || items[0]["service_request_id"] != a.number || items[0]["description"] != a.form.Get("description") {
			t.Errorf("GET %s: %s", a.number, r.Body)
		}
	}
	ctx := context.Background()
	s, closeStore, err := st.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	seen := map[string]int{}
	err = s.ScanRequests(ctx, data.RequestFilter{}, func(r *data.Request) error {
		seen[r.Number]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for n, k := range seen {
		if k != 1 {
			t.Errorf("number %s is stored %d times", n, k)
		}
		if _, ok := byNumber[n]; !ok {
			t.Errorf("the store holds %s, which no request was acknowledged as", n)
		}
	}
	if len(seen) != len(attempts) {
		t.Errorf("the store holds %d requests for %d requests sent (each exactly once)", len(seen), len(attempts))
	}
}
