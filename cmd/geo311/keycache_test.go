package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// A server reuses a key it read for --key-cache-ttl: a revocation by another
// process (here: straight in the store) is seen once the copy is older than
// the TTL, or at once with the cache off. The clock is the server's.
func TestKeyCacheTTL(t *testing.T) {
	for _, tc := range []struct {
		ttl time.Duration
		// after the revocation, at +0 and +ttl (+1s with no cache)
		atOnce, later int
	}{
		{ttl: 5 * time.Second, atOnce: http.StatusCreated, later: http.StatusForbidden},
		{ttl: 0, atOnce: http.StatusForbidden, later: http.StatusForbidden},
	} {
		t.Run("ttl="+tc.ttl.String(), func(t *testing.T) {
			c := defaultConfig()
			c.KeyCacheTTL = tc.ttl
			cfg, a, rh, log, secret := demoApp(t, c, data.RoleIntake, "cached")
			ctx := context.Background()
			clock := time.Now()
			k, err := a.store.Key(ctx, mustKeyID(t, secret))
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(NewServer(serverDeps{cfg: cfg, log: log, app: a, routers: rh, now: func() time.Time { return clock }}))
			defer ts.Close()
			post := func(key string) int {
				t.Helper()
				form := url.Values{"api_key": {key}, "service_code": {"SGA"}, "lat": {"41.2"}, "long": {"-88.3"}}
				res, err := http.Post(ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode
			}
			if got := post(secret); got != http.StatusCreated {
				t.Fatalf("active key: %d", got)
			}
			// A wrong secret for the cached id is refused: the hash is
			// checked on every request.
			if got := post(secret[:len(secret)-1] + "x"); got != http.StatusForbidden {
				t.Fatalf("wrong secret of a cached key: %d", got)
			}
			if err := a.store.RevokeKey(ctx, k.ID, clock); err != nil {
				t.Fatal(err)
			}
			if got := post(secret); got != tc.atOnce {
				t.Fatalf("right after the revocation: %d, want %d", got, tc.atOnce)
			}
			clock = clock.Add(max(tc.ttl, time.Second))
			if got := post(secret); got != tc.later {
				t.Fatalf("%v after the revocation: %d, want %d", max(tc.ttl, time.Second), got, tc.later)
			}
		})
	}
}

// A clock set back reads the key again rather than trusting an entry from
// its future; entries expire at the TTL; the cache starts over when full.
func TestKeyCacheEntries(t *testing.T) {
	c := newKeyCache(time.Minute)
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	k := &data.APIKey{ID: "k1"}
	c.put(k, t0)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0, true},
		{t0.Add(59 * time.Second), true},
		{t0.Add(time.Minute), false},
		{t0.Add(-time.Second), false},
	} {
		if _, ok := c.get("k1", tc.at); ok != tc.want {
			t.Errorf("get at %v: %t, want %t", tc.at.Sub(t0), ok, tc.want)
		}
	}
	if _, ok := c.get("k2", t0); ok {
		t.Error("an id never put was found")
	}
	for i := range keyCacheMax {
		c.put(&data.APIKey{ID: "x" + string(rune('a'+i%26)) + time.Duration(i).String()}, t0)
	}
	if len(c.m) > keyCacheMax {
		t.Errorf("%d entries, more than keyCacheMax %d", len(c.m), keyCacheMax)
	}
	off := newKeyCache(0)
	off.put(k, t0)
	if _, ok := off.get("k1", t0); ok {
		t.Error("TTL 0 cached a key")
	}
}

func mustKeyID(t testing.TB, secret string) string {
	t.Helper()
	id, err := data.ParseAPIKeySecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
