package main

import (
	"sync"
	"time"

	"github.com/geo311/geo311/data"
)

// keyCache keeps the API keys authenticate read from the store for a short
// while (--key-cache-ttl), so that an intake system's stream of requests
// does not cost a store query each. On PostGIS that query was about a sixth
// of the CPU of a durable intake, server and Go side together (go-cpu-ms
// and pg-cpu-ms of BenchmarkIntakePostGIS, with and without the cache).
//
// What it changes: a key revoked by another process (`geo311 keys revoke`,
// or another server on the same store) is refused by this server once its
// entry is older than the TTL, not at once. A key's secret is still checked
// against the stored hash on every request, and its expiry (Active) against
// the clock; unknown ids are never cached, so guessing costs a query each
// as before. A TTL of 0 turns the cache off.
type keyCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]keyEntry
}

type keyEntry struct {
	k  *data.APIKey
	at time.Time // when it was read from the store
}

// keyCacheMax bounds the entries: a deployment has a handful of keys;
// past this many the cache starts over.
const keyCacheMax = 4096

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, m: map[string]keyEntry{}}
}

// get returns the key with id if it was read from the store less than the
// TTL before now (and not after now: a clock set back reads it again).
func (c *keyCache) get(id string, now time.Time) (*data.APIKey, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || now.Before(e.at) || now.Sub(e.at) >= c.ttl {
		return nil, false
	}
	return e.k, true
}

// put records k, read from the store at now.
func (c *keyCache) put(k *data.APIKey, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= keyCacheMax {
		clear(c.m)
	}
	c.m[k.ID] = keyEntry{k: k, at: now}
}
