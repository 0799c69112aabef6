package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// An intake decides duplicates among what was stored before it took its
// locks, whatever the clock stamps say: a request stamped at t that waited
// while a near-identical one stamped at t+1s was stored must join it, not
// become a second primary (two processes, or two goroutines, race this way).
func TestIntakeJoinsPrimaryStampedLater(t *testing.T) {
	cfg, a, rh, log, secret := demoApp(t, defaultConfig(), data.RoleIntake, "order")
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := t0.Add(time.Second) // the first intake is stamped later ...
	ts := httptest.NewServer(NewServer(serverDeps{cfg: cfg, log: log, app: a, routers: rh, now: func() time.Time { return clock }}))
	defer ts.Close()
	srv := ts.URL
	post := func(desc string) map[string]any {
		form := url.Values{"api_key": {secret}, "service_code": {"SGA"}, "lat": {"41.2"}, "long": {"-88.3"}, "description": {desc}}
		res, err := http.Post(srv+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var out []map[string]any
		if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &out) != nil || len(out) != 1 {
			t.Fatalf("POST %q: %d %s", desc, res.StatusCode, body)
		}
		return out[0]
	}
	first := post("rats by the garbage carts")
	clock = t0 // ... than the second, which reaches the store after it.
	second := post("rats by the garbage carts again")
	if second["parent_service_request_id"] != first["service_request_id"] {
		t.Fatalf("second intake: parent %v, want the first request %v", second["parent_service_request_id"], first["service_request_id"])
	}
}
