package main

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/geo311/geo311/cmd/geo311/internal/apierr"
)

// writeError answers a request with err: the one place where errors become
// responses. Known kinds of package data get their status (see
// internal/apierr) and a JSON body {"error": {"code", "message", "field"}};
// anything else is a 500 whose body carries only the request id, with the
// details in the log.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	id := requestID(r.Context())
	status, known := apierr.Write(w, err, id)
	switch {
	case !known:
		log.Error("internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err.Error())
	case status == apierr.StatusClientClosed:
		log.Info("client closed the request", "request_id", id, "method", r.Method, "path", r.URL.Path)
	case status >= 500:
		log.Warn("unavailable", "request_id", id, "error", err.Error())
	}
}

// writeJSON sends v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
