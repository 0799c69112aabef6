package tiles

import (
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// Encoded is one rendered tile, as cached and served.
type Encoded struct {
	// Empty: the tile has no feature; Data and Gzip are nil and the HTTP
	// layer answers 204 No Content (with the ETag).
	Empty bool
	// Data is the uncompressed MVT; Gzip the same at gzip.BestSpeed, to
	// send with Content-Encoding: gzip when the client accepts it.
	Data, Gzip []byte
	// ETag is a strong validator (quoted) of Data; GzipETag of Gzip (a
	// different representation needs a different strong ETag).
	ETag, GzipETag string
	// Features counts the features over all layers.
	Features int
}

// Key identifies a tile's content: everything it is made from. Cached tiles
// and ETags are keyed by it.
type Key struct {
	Layer  string // tile layer name
	Z      uint8
	X, Y   uint32
	Filter string // Filter.Key() or the source's own key
	// Source names the data (boundary generation ids, the chronic
	// analysis, the counter) and Version its change counter: a change of
	// the data bumps it, so old entries stop being found and age out of
	// the LRU.
	Source  string
	Version uint64
	// Day is the UTC day number (Unix days) for layers whose properties
	// depend on the date (age_days of the requests layer), else 0.
	Day int64
}

func (k Key) String() string {
	b := make([]byte, 0, 96)
	b = append(b, k.Layer...)
	b = append(b, '/')
	b = appendUint(b, uint64(k.Z))
	b = append(b, '/')
	b = appendUint(b, uint64(k.X))
	b = append(b, '/')
	b = appendUint(b, uint64(k.Y))
	b = append(b, '?')
	b = append(b, k.Filter...)
	b = append(b, '|')
	b = append(b, k.Source...)
	b = append(b, '@')
	b = appendUint(b, k.Version)
	b = append(b, '#')
	b = appendUint(b, uint64(k.Day))
	return string(b)
}

func appendUint(b []byte, n uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// ETag returns the strong ETag of a tile with this key: a hash of the key,
// so equal keys (same layer, tile, filter, data and version) give equal
// ETags without reading the bytes, and a version bump changes it.
func (k Key) ETag() string {
	sum := sha256.Sum256([]byte(k.String()))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// gzipETag derives the validator of the gzip representation.
func gzipETag(etag string) string { return etag[:len(etag)-1] + `-gz"` }

// Cache is an LRU of encoded tiles bounded in bytes, safe for concurrent
// use. Invalidation is by key: the data version is part of Key, so after a
// change old tiles are simply not asked for again and age out.
type Cache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	ll       *list.List
	m        map[string]*list.Element
	hits     uint64
	misses   uint64
}

type cacheEntry struct {
	key  string
	tile *Encoded
	size int64
}

// NewCache returns a cache holding at most maxBytes of tiles (keys and
// bookkeeping counted).
func NewCache(maxBytes int64) *Cache {
	return &Cache{maxBytes: maxBytes, ll: list.New(), m: map[string]*list.Element{}}
}

// Get returns the cached tile for key.
func (c *Cache) Get(key string) (*Encoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		c.hits++
		return e.Value.(*cacheEntry).tile, true
	}
	c.misses++
	return nil, false
}

// Put stores a tile; a tile larger than the whole cache is not stored.
func (c *Cache) Put(key string, t *Encoded) {
	size := int64(len(t.Data)+len(t.Gzip)+2*len(key)+len(t.ETag)+len(t.GzipETag)) + 160
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.maxBytes {
		return
	}
	if e, ok := c.m[key]; ok {
		old := e.Value.(*cacheEntry)
		c.bytes += size - old.size
		old.tile, old.size = t, size
		c.ll.MoveToFront(e)
	} else {
		c.m[key] = c.ll.PushFront(&cacheEntry{key: key, tile: t, size: size})
		c.bytes += size
	}
	for c.bytes > c.maxBytes {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.m, ce.key)
		c.bytes -= ce.size
	}
}

// Purge empties the cache (for example after boundaries were reloaded
// under the same source key).
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.m)
	c.bytes = 0
}

// CacheStats reports a cache's use.
type CacheStats struct {
	Entries      int
	Bytes        int64
	Hits, Misses uint64
}

// Stats returns the cache's current use.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: len(c.m), Bytes: c.bytes, Hits: c.hits, Misses: c.misses}
}
