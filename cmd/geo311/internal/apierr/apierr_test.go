package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/geo311/geo311/data"
)

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		err            error
		status         int
		code, field    string
		message        string
		retry, request bool
	}{
		{data.Invalid("lat", "must be between -90 and 90"), 400, "invalid", "lat", "must be between -90 and 90", false, false},
		{fmt.Errorf("wrapped: %w", data.Invalid("time", "bad")), 400, "invalid", "time", "bad", false, false},
		{data.Errorf(data.ErrNotFound, "generation %q not found", "x"), 404, "not_found", "", `generation "x" not found`, false, false},
		{data.Errorf(data.ErrConflict, "exists"), 409, "conflict", "", "exists", false, false},
		{data.Errorf(data.ErrOutsideJurisdiction, "call 312.744.5000"), 422, "outside_jurisdiction", "", "call 312.744.5000", false, false},
		{data.Errorf(data.ErrEmergency, "call 911"), 422, "emergency", "", "call 911", false, false},
		{data.Errorf(data.ErrUnauthorized, "no key"), 401, "unauthorized", "", "no key", false, false},
		{data.Errorf(data.ErrForbidden, "not yours"), 403, "forbidden", "", "not yours", false, false},
		{data.Errorf(data.ErrRateLimited, "slow down"), 429, "rate_limited", "", "slow down", false, false},
		{fmt.Errorf("sqlite: ping: %w", data.ErrUnavailable), 503, "unavailable", "", "unavailable", true, false},
		{&http.MaxBytesError{Limit: 1024}, 413, "too_large", "", "request body too large (limit 1024 bytes)", false, false},
		{fmt.Errorf("sqlite: create request: %w", context.Canceled), 499, "client_closed", "", "the request was cancelled before it was answered", false, false},
		{fmt.Errorf("postgis: requests: %w", context.DeadlineExceeded), 503, "timeout", "", "the request took longer than the server's time limit; retry later", true, false},
		// A store that lost its database while the caller left is unavailable.
		{fmt.Errorf("postgis: begin: %w: %w", data.ErrUnavailable, context.Canceled), 503, "unavailable", "", "unavailable", true, false},
		{errors.New("pq: password authentication failed for user secret"), 500, "internal", "", "internal error", false, true},
	} {
		rec := httptest.NewRecorder()
		status, known := Write(rec, tc.err, "req-1")
		var body Body
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q: %v", tc.err, rec.Body, err)
		}
		d := body.Error
		if status != tc.status || rec.Code != tc.status || known == (tc.status == 500) || d.Code != tc.code || d.Field != tc.field || d.Message != tc.message {
			t.Errorf("%v: %d %+v", tc.err, rec.Code, d)
		}
		if (rec.Header().Get("Retry-After") != "") != tc.retry {
			t.Errorf("%v: Retry-After %q", tc.err, rec.Header().Get("Retry-After"))
		}
		if (d.RequestID != "") != tc.request {
			t.Errorf("%v: request id %q", tc.err, d.RequestID)
		}
		if rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%v: content type %q", tc.err, rec.Header().Get("Content-Type"))
		}
	}
}
