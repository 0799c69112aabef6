package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Open311 discovery points residents' clients at "where am I", and the
// link it gives answers for a point of the city.
func TestOpen311DiscoveryLinksWhereami(t *testing.T) {
	ts := startServe(t, map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "demo.db")}, "--demo")
	res := do(t, "GET", ts.URL+"/open311/v2/discovery.json", "", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("discovery: %d %s", res.Status, res.Body)
	}
	var d struct {
		WhereamiURL string `json:"whereami_url"`
	}
	if err := json.Unmarshal(res.Body, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.WhereamiURL, ts.URL+"/v1/whereami?") {
		t.Fatalf("whereami_url = %q, want it on %s", d.WhereamiURL, ts.URL)
	}
	u := strings.NewReplacer("{lat}", "41.2", "{lon}", "-88.3").Replace(d.WhereamiURL)
	card := do(t, "GET", u, "", nil)
	if card.Status != http.StatusOK || !strings.Contains(string(card.Body), `"beat"`) {
		t.Fatalf("GET %s: %d %s", u, card.Status, card.Body)
	}
}
