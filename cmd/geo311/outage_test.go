package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data/postgis/pgtest"
)

// TestDatabaseOutage stops PostgreSQL under a PostGIS-backed server while
// writers stream intakes: every intake answer during the outage is a 503 with
// Retry-After (never a 500), no answer takes longer than the write timeout,
// /readyz turns 503; once the database is back, intake and /readyz recover by
// themselves within 2 s, and every request acknowledged (201) before, during
// or after the outage is readable.
func TestDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops a PostgreSQL cluster")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		pgtest.Need(t, nil)
	}
	t.Cleanup(func() { c.Stop() })
	u, err := c.NewDatabase(ctx, "geo311_outage")
	if err != nil {
		t.Fatal(err)
	}
	const writeTimeout = 3 * time.Second
	vars := map[string]string{"GEO311_DATABASE_URL": u, "GEO311_DATABASE": filepath.Join(t.TempDir(), "unused.db"),
		"GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0"}
	key := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "outage"))
	ts := startServe(t, vars, "--demo", "--write-timeout", writeTimeout.String())
	var pts [][2]float64
	for _, p := range demoPoints(t) {
		pts = append(pts, [2]float64{p[1], p[0]})
	}

	type answer struct {
		status int
		retry  string
		took   time.Duration
		number string
		body   string
		at     time.Time
	}
	var (
		mu      sync.Mutex
		answers []answer
	)
	client := &http.Client{Timeout: 3 * writeTimeout}
	post := func(i int) answer {
		pt := pts[i%len(pts)]
		f := url.Values{"api_key": {key}, "service_code": {"SGA"}, "lat": {fmt.Sprint(pt[0])}, "long": {fmt.Sprint(pt[1])},
			"description": {fmt.Sprintf("outage stream #%d", i)}}
		start := time.Now()
		a := answer{at: start}
		resp, err := client.Post(ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		a.took = time.Since(start)
		if err != nil {
			a.body = err.Error()
			return a
		}
		defer resp.Body.Close()
		r := &response{Status: resp.StatusCode, Header: resp.Header}
		buf := new(strings.Builder)
		fmt.Fprint(buf, readAll(resp))
		r.Body = []byte(buf.String())
		a.status, a.retry, a.body = r.Status, r.Header.Get("Retry-After"), buf.String()
		if a.status == 201 {
			var items []open311Item
			r.JSON(t, &items)
			a.number, _ = items[0]["service_request_id"].(string)
		}
		return a
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq struct {
		sync.Mutex
		n int
	}
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				seq.Lock()
				i := seq.n
				seq.n++
				seq.Unlock()
				a := post(i)
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
				if a.status != 201 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()

	time.Sleep(400 * time.Millisecond)
	if err := c.StopServer(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	// During the outage: /readyz 503, intake 503 with Retry-After.
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := do(t, "GET", ts.URL+"/readyz", "", nil)
		if r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz during the outage: %d %s", r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	mu.Lock()
	var during []answer
	for _, a := range answers {
		if a.at.After(down.Add(200 * time.Millisecond)) {
			during = append(during, a)
		}
	}
	mu.Unlock()
	if len(during) == 0 {
		t.Fatal("no intake answered during the outage")
	}
	for _, a := range during {
		if a.status != http.StatusServiceUnavailable || a.retry == "" || !strings.Contains(a.body, `"unavailable"`) {
			t.Errorf("intake during the outage: %d Retry-After %q after %v: %s", a.status, a.retry, a.took, a.body)
			break
		}
	}

	if err := c.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	var readyAfter, intakeAfter time.Duration
	for readyAfter == 0 || intakeAfter == 0 {
		if time.Since(back) > 2*time.Second {
			t.Fatalf("not recovered 2 s after the database returned: readyz after %v, intake after %v\n%s", readyAfter, intakeAfter, ts.logs.String())
		}
		if readyAfter == 0 {
			if r := do(t, "GET", ts.URL+"/readyz", "", nil); r.Status == 200 {
				readyAfter = time.Since(back)
			}
		}
		if intakeAfter == 0 {
			if a := post(1_000_000 + int(time.Since(back)/time.Millisecond)); a.status == 201 {
				intakeAfter = time.Since(back)
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	stop = make(chan struct{}) // for the deferred close

	var created, unavailable int
	var slowest time.Duration
	for _, a := range answers {
		slowest = max(slowest, a.took)
		switch {
		case a.status == 201:
			created++
		case a.status == 503:
			unavailable++
			if a.retry == "" {
				t.Errorf("503 without Retry-After: %s", a.body)
			}
		default:
			t.Errorf("intake answered %d after %v: %s", a.status, a.took, a.body)
		}
		if a.took > writeTimeout+time.Second {
			t.Errorf("an intake took %v, longer than the write timeout %v", a.took, writeTimeout)
		}
	}
	t.Logf("outage %v; %d created, %d answered 503; slowest answer %v; after the database returned: readyz in %v, intake in %v",
		back.Sub(down).Round(time.Millisecond), created, unavailable, slowest.Round(time.Millisecond), readyAfter.Round(time.Millisecond), intakeAfter.Round(time.Millisecond))
	// Nothing acknowledged is lost.
	for _, a := range answers {
		if a.status != 201 {
			continue
		}
		if r := do(t, "GET", ts.URL+"/open311/v2/requests/"+a.number+".json", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), a.number) {
			t.Errorf("acknowledged %s not readable after the outage: %d %s", a.number, r.Status, r.Body)
		}
	}
	if created == 0 || unavailable == 0 {
		t.Errorf("the stream saw %d created and %d unavailable: the outage was not exercised", created, unavailable)
	}
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
