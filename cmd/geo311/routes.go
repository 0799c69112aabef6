package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/geo311/geo311/data"
)

// addRoutes lists every route of the HTTP API.
func (s *server) addRoutes(r chi.Router) {
	small := chi.Chain(limitBody(s.cfg.MaxBodyBytes), withTimeout(s.cfg.WriteTimeout))
	upload := chi.Chain(requireAdmin(s.cfg.AdminKey, s.log), limitBody(s.cfg.MaxBatchBytes), withTimeout(s.cfg.WriteTimeout))
	admin := chi.Chain(requireAdmin(s.cfg.AdminKey, s.log), limitBody(s.cfg.MaxBodyBytes), withTimeout(s.cfg.WriteTimeout))

	r.Method(http.MethodGet, "/healthz", s.handleHealthz())
	r.Method(http.MethodGet, "/readyz", small.Handler(s.handleReadyz()))
	r.Method(http.MethodGet, "/metrics", s.metrics.handler())

	r.Method(http.MethodPost, "/v1/route", small.Handler(s.handleRoute()))
	// Batches stream: their own body limit and deadline (see handleRouteBatch).
	r.Method(http.MethodPost, "/v1/route/batch", limitBody(s.cfg.MaxBatchBytes)(s.handleRouteBatch()))

	r.Method(http.MethodGet, "/v1/boundaries", small.Handler(s.handleBoundaries()))
	r.Method(http.MethodGet, "/v1/boundaries/generations/{id}", small.Handler(s.handleGeneration()))
	r.Method(http.MethodPost, "/v1/boundaries/generations/{id}/activate", admin.Handler(s.handleSetActive(true)))
	r.Method(http.MethodPost, "/v1/boundaries/generations/{id}/deactivate", admin.Handler(s.handleSetActive(false)))
	r.Method(http.MethodGet, "/v1/boundaries/{layer}/{id}", small.Handler(s.handleArea()))
	r.Method(http.MethodPost, "/v1/boundaries/{layer}/generations", upload.Handler(s.handleUpload()))

	// Open311 GeoReport v2 (open311.go): every endpoint with .json and .xml.
	for _, f := range []string{"", ".json", ".xml"} {
		r.Method(http.MethodGet, "/open311/v2/discovery"+f, small.Handler(s.handleOpen311Discovery()))
		r.Method(http.MethodGet, "/open311/v2/services"+f, small.Handler(s.handleOpen311Services()))
		r.Method(http.MethodGet, "/open311/v2/requests"+f, small.Handler(s.handleOpen311Requests()))
		r.Method(http.MethodPost, "/open311/v2/requests"+f, small.Handler(s.handleOpen311Post()))
	}
	r.Method(http.MethodGet, "/open311/v2/services/{code}", small.Handler(s.handleOpen311Service()))
	r.Method(http.MethodGet, "/open311/v2/requests/{id}", small.Handler(s.handleOpen311Request()))
	r.Method(http.MethodGet, "/open311/v2/tokens/{token}", small.Handler(s.handleOpen311Token()))

	// Residents (handlers_requests.go): concern status by control number and
	// PIN, similar open requests nearby, "me too".
	r.Method(http.MethodGet, "/v1/concerns/{number}", small.Handler(s.handleConcernStatus()))
	r.Method(http.MethodPost, "/v1/concerns/{number}", small.Handler(s.handleConcernStatus()))
	r.Method(http.MethodGet, "/v1/requests/nearby", small.Handler(s.handleNearby()))
	r.Method(http.MethodPost, "/v1/requests/{number}/me-too", small.Handler(s.handleMeToo()))
	// "Where am I" (handlers_whereami.go): areas, beat meetings, contacts.
	r.Method(http.MethodGet, "/v1/whereami", small.Handler(s.handleWhereami()))

	// Staff (API keys with role and district scope).
	staff := chi.Chain(limitBody(s.cfg.MaxBodyBytes), withTimeout(s.cfg.WriteTimeout), s.requireRole(data.RoleStaff))
	r.Method(http.MethodGet, "/v1/requests", staff.Handler(s.handleStaffRequests()))
	r.Method(http.MethodGet, "/v1/requests/{number}", staff.Handler(s.handleStaffRequest()))
	for _, action := range []string{"accept", "not-accept", "assign", "reassign", "extend", "complete", "return", "close"} {
		r.Method(http.MethodPost, "/v1/requests/{number}/"+action, staff.Handler(s.handleTransition(action)))
	}
	r.Method(http.MethodPost, "/v1/requests/{number}/unlink", staff.Handler(s.handleUnlink()))
	r.Method(http.MethodPost, "/v1/requests/{number}/merge", staff.Handler(s.handleMerge()))

	// Trends, reports, tiles and exports answer from the in-process analytics
	// (analytics.go) or stream from the store (exports: their own deadline).
	r.Method(http.MethodGet, "/v1/trends/heatmap", small.Handler(s.handleHeatmap()))
	r.Method(http.MethodGet, "/v1/trends/series", small.Handler(s.handleSeries()))
	r.Method(http.MethodGet, "/v1/trends/chronic", small.Handler(s.handleChronic()))
	r.Method(http.MethodGet, "/v1/reports/status", small.Handler(s.handleStatusReport()))
	r.Method(http.MethodGet, "/tiles/{layer}/{z}/{x}/{y}", small.Handler(s.handleTile()))
	r.Method(http.MethodGet, "/tiles/{file}", small.Handler(s.handleTileJSON()))
	r.Method(http.MethodGet, "/v1/export/{file}", s.handleExport())

	// The web page (web.go): index at /, embedded assets and settings under /web/.
	web := s.handleWeb()
	r.Method(http.MethodGet, "/", web)
	r.Method(http.MethodGet, "/web/*", web)

	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, data.Errorf(data.ErrNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed(r))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]string{
			"code": "method_not_allowed", "message": r.Method + " is not allowed on " + r.URL.Path}})
	})
}

// allowed lists the methods a path answers, for 405 responses.
func allowed(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil {
		return ""
	}
	var ms []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if rctx.Routes.Match(chi.NewRouteContext(), m, r.URL.Path) {
			ms = append(ms, m)
		}
	}
	s := ""
	for i, m := range ms {
		if i > 0 {
			s += ", "
		}
		s += m
	}
	return s
}
