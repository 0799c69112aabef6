package main

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
)

// rateLimiter is an in-memory token bucket per key (a control number, a
// client address): each key holds up to burst tokens, refilled at one token
// per every; an attempt takes one. Buckets that have refilled completely
// are forgotten when the table grows, so memory stays bounded by the keys
// active within burst*every.
type rateLimiter struct {
	what  string // for the error message: "status lookups for this number"
	burst float64
	every time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(what string, burst int, every time.Duration) *rateLimiter {
	return &rateLimiter{what: what, burst: float64(burst), every: every, buckets: map[string]*bucket{}}
}

// maxBuckets triggers a sweep of refilled buckets.
const maxBuckets = 100_000

// take takes a token for key at now. Without one, it returns ErrRateLimited
// and how long until the next token.
func (l *rateLimiter) take(key string, now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+float64(el)/float64(l.every))
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, nil
	}
	wait := time.Duration((1 - b.tokens) * float64(l.every))
	return wait, data.Errorf(data.ErrRateLimited, "too many %s: try again in %s", l.what, wait.Round(time.Second))
}

func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.every) >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// retryAfter sets Retry-After (whole seconds, at least 1) for a wait.
func retryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}

// clientAddr is the address rate limits count per client: the peer's IP.
// Forwarded headers are not trusted (a caller could set them at will).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limits are the server's rate limits.
type limits struct {
	pinPerNumber *rateLimiter // PIN checks per control number
	pinPerClient *rateLimiter // PIN checks per client address
	meTooClient  *rateLimiter // "me too" per client address
}

// Defaults: a control number gets 5 PIN attempts, then one every 5 minutes
// (at most 288 a day against the 10^8 PINs); a client 20, then one every 30
// seconds; "me too" 10 per client, then one a minute.
func newLimits() limits {
	return limits{
		pinPerNumber: newRateLimiter("PIN attempts for this control number", 5, 5*time.Minute),
		pinPerClient: newRateLimiter("PIN attempts from this address", 20, 30*time.Second),
		meTooClient:  newRateLimiter("\"me too\" from this address", 10, time.Minute),
	}
}
