package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// The demo city's web page can file requests out of the box: serve --demo
// hands the page a fresh intake key, and revokes the one of its previous
// start so keys do not pile up.
func TestWebIntakeKeyDemo(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "demo.db"), "GEO311_PIN_ITERATIONS": "1000"}
	pageKey := func() string {
		ts := startServe(t, vars, "--demo")
		defer ts.Stop(t)
		var cfg webSettings
		do(t, "GET", ts.URL+"/web/config.json", "", nil).JSON(t, &cfg)
		if cfg.IntakeKey == "" || cfg.IntakeMessage != "" {
			t.Fatalf("config.json: intake_key %q, message %q; want a key and no message", cfg.IntakeKey, cfg.IntakeMessage)
		}
		// The key files a real request through Open311.
		form := url.Values{"api_key": {cfg.IntakeKey}, "service_code": {"SLA"}, "lat": {"41.2"}, "long": {"-88.3"}, "description": {"street light out"}}
		res := do(t, "POST", ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if res.Status != http.StatusCreated {
			t.Fatalf("POST with the page's key: %d %s", res.Status, res.Body)
		}
		var out []map[string]any
		if err := json.Unmarshal(res.Body, &out); err != nil || len(out) != 1 || out[0]["service_request_id"] == nil {
			t.Fatalf("POST answer %s (%v)", res.Body, err)
		}
		return cfg.IntakeKey
	}
	first := pageKey()
	second := pageKey()
	if first == second {
		t.Fatal("a restart reused the previous demo web key")
	}
	list := mustCLI(t, vars, "keys", "list", "--demo")
	active := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, demoWebKeyName) && strings.HasSuffix(strings.TrimSpace(line), "-") {
			active++
		}
	}
	if active != 1 {
		t.Fatalf("want exactly one active demo web key after two starts, got %d:\n%s", active, list)
	}
}

// A configured web key must be an intake key: the page publishes it.
func TestWebIntakeKeyMustBeIntake(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "demo.db")}
	staff := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "staff", "--name", "sergeant"))
	_, _, err := cli(t, vars, "serve", "--demo", "--addr", "127.0.0.1:0", "--web-intake-key", staff)
	if err == nil || !strings.Contains(err.Error(), "web-intake-key") || !strings.Contains(err.Error(), "intake key") {
		t.Fatalf("serve with a staff key as web key: err %v, want a web-intake-key error", err)
	}
	_, _, err = cli(t, vars, "serve", "--demo", "--addr", "127.0.0.1:0", "--web-intake-key", "not-a-key")
	if err == nil || !strings.Contains(err.Error(), "web-intake-key") {
		t.Fatalf("serve with a malformed web key: err %v", err)
	}
	intake := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "web"))
	ts := startServe(t, vars, "--demo", "--web-intake-key", intake)
	var cfg webSettings
	do(t, "GET", ts.URL+"/web/config.json", "", nil).JSON(t, &cfg)
	if cfg.IntakeKey != intake {
		t.Fatalf("config.json intake_key = %q, want the configured key", cfg.IntakeKey)
	}
}
