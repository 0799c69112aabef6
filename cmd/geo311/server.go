package main

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/geo311/geo311/data"
)

// serverDeps are what the HTTP API needs.
type serverDeps struct {
	cfg     *Config
	log     *slog.Logger
	app     *app
	routers *routerHolder
	now     func() time.Time
	// webIntakeKey is the secret the web page files requests with (see
	// webIntakeKey in webkey.go); empty: the page cannot file.
	webIntakeKey string
}

// server carries the dependencies of the handlers.
type server struct {
	serverDeps
	j *data.Jurisdiction
	// limits are the in-memory rate limits (PIN checks, "me too").
	limits limits
	// pins keeps a concern's PIN for a short while for idempotent retries.
	pins *pinCache
	// dummyHash is a PIN hash checked when a concern does not exist.
	dummyHash func() []byte
	// metrics are the server's Prometheus metrics (metrics.go), GET /metrics.
	metrics *metrics
	// keys holds API keys read from the store for --key-cache-ttl.
	keys *keyCache
}

// NewServer returns geo311's HTTP API: every route is in routes.go; around
// them, request ids, one log line per request and panic recovery.
func NewServer(d serverDeps) http.Handler {
	if d.now == nil {
		d.now = time.Now
	}
	s := &server{serverDeps: d, j: d.app.j, limits: newLimits(), pins: newPinCache(), metrics: newMetrics(d.app), keys: newKeyCache(d.cfg.KeyCacheTTL)}
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := data.HashPIN("00000000", d.cfg.PINIterations)
		return h
	})
	r := chi.NewRouter()
	s.addRoutes(r)
	return withRequestID(s.metrics.instrument(r, withLogging(d.log, r)))
}

func (s *server) error(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}
