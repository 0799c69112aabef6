package main

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/geo311/geo311/cmd/geo311/internal/apierr"
	"github.com/geo311/geo311/data"
)

// metrics are the Prometheus metrics of one server, in a registry the server
// owns (never the global default one), exposed at GET /metrics:
//
//	geo311_http_requests_total{method, route, status}      route is chi's pattern, never the raw path; status is 2xx..5xx
//	geo311_http_request_duration_seconds{method, route}    latency histogram
//	geo311_intake_total{outcome}                            created, duplicate, idempotent_replay, invalid, emergency,
//	                                                        outside, unavailable, conflict, error
//	geo311_dedupe_decisions_total{decision}                 duplicate or distinct, for types with a dedupe rule
//	geo311_store_duration_seconds{op, result}               store calls of intake (op create_request), result ok or error
//	geo311_tile_cache_hits_total, geo311_tile_cache_misses_total   the encoded tile cache (tiles.Cache.Stats)
//	geo311_store_reads_total{store}                         read-side scans (analytics start-up, status reports, exports)
//	                                                        by the store that ran them: primary or replica
//	geo311_replica_fallbacks_total                          with --read-database-url: read-side scans the primary ran
//	                                                        because the replica was unavailable (or cancelled them)
//	geo311_replica_up                                       with --read-database-url: 1 while reads go to the replica
//	geo311_replica_lag_bytes                                with --read-database-url: WAL the replica has still to replay
//	                                                        (NaN when either server does not answer within a second)
//
// plus the process and Go runtime collectors.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	intake   *prometheus.CounterVec
	dedupe   *prometheus.CounterVec
	store    *prometheus.HistogramVec
}

// intakeOutcomes are the values of geo311_intake_total's outcome label, all
// exported from the start (at zero) so that rates exist before the first event.
var intakeOutcomes = []string{"created", "duplicate", "idempotent_replay", "invalid", "emergency", "outside", "unavailable", "conflict", "error"}

func newMetrics(a *app) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "geo311_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status class.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "geo311_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		intake: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "geo311_intake_total",
			Help: "Requests that reached the intake pipeline, by outcome.",
		}, []string{"outcome"}),
		dedupe: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "geo311_dedupe_decisions_total",
			Help: "Dedupe decisions of new requests of service types with a dedupe rule.",
		}, []string{"decision"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "geo311_store_duration_seconds",
			Help:    "Time of store calls made by intake, by operation and result.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"op", "result"}),
	}
	for _, o := range intakeOutcomes {
		m.intake.WithLabelValues(o)
	}
	for _, d := range []string{"duplicate", "distinct"} {
		m.dedupe.WithLabelValues(d)
	}
	m.reg.MustRegister(m.requests, m.latency, m.intake, m.dedupe, m.store,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	if a != nil && a.analytics != nil && a.analytics.tiles != nil && a.analytics.tiles.Cache != nil {
		c := a.analytics.tiles.Cache
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "geo311_tile_cache_hits_total",
				Help: "Tiles answered from the encoded tile cache.",
			}, func() float64 { return float64(c.Stats().Hits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "geo311_tile_cache_misses_total",
				Help: "Tiles encoded because the cache did not hold them.",
			}, func() float64 { return float64(c.Stats().Misses) }),
		)
	}
	if a != nil && a.reads != nil {
		m.registerReads(a.reads)
	}
	return m
}

// registerReads exports the read routing's counters (readstore.go).
func (m *metrics) registerReads(rs *readStores) {
	stores := []struct {
		name string
		n    *atomic.Uint64
	}{{"primary", &rs.primaryReads}}
	if rs.hasReplica() {
		stores = append(stores, struct {
			name string
			n    *atomic.Uint64
		}{"replica", &rs.replicaReads})
	}
	for _, st := range stores {
		n := st.n
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "geo311_store_reads_total",
			Help:        "Read-side scans (analytics start-up, status reports, exports) by the store that ran them.",
			ConstLabels: prometheus.Labels{"store": st.name},
		}, func() float64 { return float64(n.Load()) }))
	}
	if !rs.hasReplica() {
		return
	}
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "geo311_replica_fallbacks_total",
			Help: "Read-side scans the primary ran because the read replica was unavailable or cancelled them.",
		}, func() float64 { return float64(rs.fallbacks.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "geo311_replica_up",
			Help: "1 while read-side scans go to the read replica, 0 while they fall back to the primary.",
		}, func() float64 {
			if rs.isUp() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "geo311_replica_lag_bytes",
			Help: "Bytes of WAL the read replica has still to replay to reach the primary's current position (NaN when unknown).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			lag, err := rs.ops.lag(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(lag)
		}),
	)
}

// handler serves the registry in the Prometheus text (or negotiated) format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// instrument counts and times every request by chi's route pattern. It puts
// a chi route context into the request so that the pattern chi matched is
// still readable after the router returned (chi reuses a context it made
// itself, and then does not fill in Routes: routes is the router, so that
// handlers still see rctx.Routes); requests no route matched are labelled
// "unmatched", so the raw path never becomes a label.
func (m *metrics) instrument(routes chi.Routes, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rctx := chi.NewRouteContext()
		rctx.Routes = routes
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rctx))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			route := rctx.RoutePattern()
			if route == "" || len(rctx.RoutePatterns) == 0 {
				route = "unmatched"
			}
			method := r.Method
			switch method {
			case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
			default:
				method = "other"
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			if p := recover(); p != nil {
				status = http.StatusInternalServerError
				defer panic(p)
			}
			m.requests.WithLabelValues(method, route, strconv.Itoa(status/100)+"xx").Inc()
			m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// observeIntake counts one run of the intake pipeline by its outcome.
func (m *metrics) observeIntake(res *intakeResult, err error) {
	if m == nil {
		return
	}
	m.intake.WithLabelValues(intakeOutcome(res, err)).Inc()
}

func intakeOutcome(res *intakeResult, err error) string {
	switch {
	case err == nil && res != nil && !res.Created:
		return "idempotent_replay"
	case err == nil && res != nil && res.Request != nil && res.Request.Duplicate:
		return "duplicate"
	case err == nil:
		return "created"
	case errors.Is(err, data.ErrEmergency):
		return "emergency"
	case errors.Is(err, data.ErrOutsideJurisdiction):
		return "outside"
	case errors.Is(err, data.ErrInvalid):
		return "invalid"
	case errors.Is(err, data.ErrConflict):
		return "conflict"
	}
	if _, status, _ := apierr.Classify(err); status == http.StatusServiceUnavailable {
		return "unavailable"
	}
	return "error"
}

// observeDedupe counts the dedupe decision of a new request.
func (m *metrics) observeDedupe(duplicate bool) {
	if m == nil {
		return
	}
	if duplicate {
		m.dedupe.WithLabelValues("duplicate").Inc()
	} else {
		m.dedupe.WithLabelValues("distinct").Inc()
	}
}

// observeStore times one store call of intake.
func (m *metrics) observeStore(op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.store.WithLabelValues(op, result).Observe(d.Seconds())
}
