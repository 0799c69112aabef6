// Package apierr is the one place where geo311's error kinds (package data)
// become API error codes and HTTP status codes. The HTTP handlers and the
// batch codecs (which report errors inline, per row) both use it, so a caller
// sees the same code for the same problem everywhere.
package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/geo311/geo311/data"
)

// Kind describes how one error kind of package data is shown to a caller.
type Kind struct {
	Err    error  // the data.Err* sentinel
	Code   string // stable machine-readable code
	Status int    // HTTP status
}

// kinds is the mapping, most specific first.
var kinds = [...]Kind{
	{data.ErrInvalid, "invalid", http.StatusBadRequest},
	{data.ErrNotFound, "not_found", http.StatusNotFound},
	{data.ErrConflict, "conflict", http.StatusConflict},
	{data.ErrOutsideJurisdiction, "outside_jurisdiction", http.StatusUnprocessableEntity},
	{data.ErrEmergency, "emergency", http.StatusUnprocessableEntity},
	{data.ErrUnauthorized, "unauthorized", http.StatusUnauthorized},
	{data.ErrForbidden, "forbidden", http.StatusForbidden},
	{data.ErrRateLimited, "rate_limited", http.StatusTooManyRequests},
	{data.ErrUnavailable, "unavailable", http.StatusServiceUnavailable},
}

// Internal is the code of an unexpected error.
const Internal = "internal"

// StatusClientClosed is the status logged when the caller went away before
// the answer (nginx's 499): nobody reads it, and it is not a server error.
const StatusClientClosed = 499

// Body is the JSON error object of every API error response:
// {"error": {"code": ..., "message": ..., "field": ...}}.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the inner object of Body, also used inline by batch routing.
type Detail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Classify returns the code and HTTP status of err, and whether it is one of
// the known kinds. Unknown errors are (Internal, 500, false): their details
// belong in the log only.
func Classify(err error) (code string, status int, known bool) {
	for _, k := range kinds {
		if errors.Is(err, k.Err) {
			return k.Code, k.Status, true
		}
	}
	// A request body over the limit is the caller's fault.
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return "too_large", http.StatusRequestEntityTooLarge, true
	}
	switch {
	case errors.Is(err, context.Canceled):
		// The caller hung up (or the server is shutting down).
		return "client_closed", StatusClientClosed, true
	case errors.Is(err, context.DeadlineExceeded):
		// The request's time limit (--request-timeout) ran out.
		return "timeout", http.StatusServiceUnavailable, true
	}
	return Internal, http.StatusInternalServerError, false
}

// DetailOf builds the caller-visible description of err. For unknown errors
// the message is generic and carries no detail of err.
func DetailOf(err error) Detail {
	code, _, known := Classify(err)
	if !known {
		return Detail{Code: code, Message: "internal error"}
	}
	switch code {
	case "client_closed":
		return Detail{Code: code, Message: "the request was cancelled before it was answered"}
	case "timeout":
		return Detail{Code: code, Message: "the request took longer than the server's time limit; retry later"}
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) && !errors.Is(err, data.ErrInvalid) {
		return Detail{Code: code, Message: "request body too large (limit " + strconv.FormatInt(mb.Limit, 10) + " bytes)"}
	}
	var de *data.Error
	if errors.As(err, &de) {
		return Detail{Code: code, Message: de.Message, Field: de.Field}
	}
	return Detail{Code: code, Message: data.ErrorMessage(err)}
}

// Write sends err as a JSON error response. It returns the status written
// and whether err was a known kind (callers log unknown errors in full).
// Unavailable errors carry Retry-After.
func Write(w http.ResponseWriter, err error, requestID string) (status int, known bool) {
	_, status, known = Classify(err)
	d := DetailOf(err)
	if !known {
		d.RequestID = requestID
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="geo311"`)
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(Body{Error: d})
	w.Write(append(b, '\n'))
	return status, known
}
