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
	b := k.appendSlot(make([]byte, 0, 96))
	b = append(b, '@')
	b = appendUint(b, k.Version)
	b = append(b, '#')
	b = appendUint(b, uint64(k.Day))
	return string(b)
}

// slot is the key without Version and Day: the tile a cache entry stands
// for, whichever version of the data it was rendered from.
func (k Key) slot() string { return string(k.appendSlot(make([]byte, 0, 96))) }

func (k Key) appendSlot(b []byte) []byte {
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
	return b
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
// use. It holds one entry per tile (Key without Version and Day): a tile
// rendered from newer data replaces the older one, and a Get with a newer
// version than the entry's is a miss that drops the entry. So under a
// stream of intakes, each bumping the data version, the cache holds at most
// the tiles being looked at, not every superseded version of them.
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
	slot    string
	version uint64
	day     int64
	tile    *Encoded
	size    int64
}

// NewCache returns a cache holding at most maxBytes of tiles (keys and
// bookkeeping counted).
func NewCache(maxBytes int64) *Cache {
	return &Cache{maxBytes: maxBytes, ll: list.New(), m: map[string]*list.Element{}}
}

// Get returns the cached tile for k.
func (c *Cache) Get(k Key) (*Encoded, bool) {
	slot := k.slot()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[slot]; ok {
		ce := e.Value.(*cacheEntry)
		if ce.version == k.Version && ce.day == k.Day {
			c.ll.MoveToFront(e)
			c.hits++
			return ce.tile, true
		}
		if ce.version < k.Version || (ce.version == k.Version && ce.day < k.Day) {
			c.remove(e) // superseded: nobody asks for it again
		}
	}
	c.misses++
	return nil, false
}

// Put stores the tile for k, replacing the tile's entry of another version;
// a tile larger than the whole cache is not stored.
func (c *Cache) Put(k Key, t *Encoded) {
	slot := k.slot()
	size := int64(len(t.Data)+len(t.Gzip)+2*len(slot)+len(t.ETag)+len(t.GzipETag)) + 176
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.maxBytes {
		return
	}
	if e, ok := c.m[slot]; ok {
		old := e.Value.(*cacheEntry)
		if old.version > k.Version || (old.version == k.Version && old.day > k.Day) {
			return // a slower render of older data: keep the newer tile
		}
		c.bytes += size - old.size
		old.version, old.day, old.tile, old.size = k.Version, k.Day, t, size
		c.ll.MoveToFront(e)
	} else {
		c.m[slot] = c.ll.PushFront(&cacheEntry{slot: slot, version: k.Version, day: k.Day, tile: t, size: size})
		c.bytes += size
	}
	for c.bytes > c.maxBytes {
		c.remove(c.ll.Back())
	}
}

func (c *Cache) remove(e *list.Element) {
	ce := e.Value.(*cacheEntry)
	c.ll.Remove(e)
	delete(c.m, ce.slot)
	c.bytes -= ce.size
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
