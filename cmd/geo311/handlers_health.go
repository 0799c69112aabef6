package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// handleHealthz answers while the process is up.
func (s *server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

type readiness struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

// handleReadyz answers 200 when the store answers a ping and the routing
// index has boundaries, 503 (with Retry-After) otherwise. With a read
// replica, checks.read_replica says whether it answers (and its replay lag)
// or that reads fall back to the primary; a replica outage does not make
// the server unready, since the primary serves those reads meanwhile.
func (s *server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := readiness{Ready: true, Checks: map[string]string{}}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.app.store.Ping(ctx); err != nil {
			res.Ready = false
			res.Checks["store"] = "unavailable"
			s.log.Warn("readiness: store ping failed", "request_id", requestID(r.Context()), "error", err.Error())
		} else {
			res.Checks["store"] = "ok"
		}
		if s.app.reads.hasReplica() {
			status, ok := s.app.reads.replicaStatus(ctx)
			res.Checks["read_replica"] = status
			if !ok {
				s.log.Warn("readiness: read replica unavailable; reads fall back to the primary", "request_id", requestID(r.Context()))
			}
		}
		if ready, n := s.routers.Ready(); ready {
			res.Checks["boundaries"] = fmt.Sprintf("%d generations loaded", n)
		} else {
			res.Ready = false
			res.Checks["boundaries"] = noBoundaries(s.j).Error()
		}
		status := http.StatusOK
		if !res.Ready {
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "5")
		}
		writeJSON(w, status, res)
	})
}
