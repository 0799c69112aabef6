package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/cmd/geo311/internal/batch"
	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

// routeRequest is the body of POST /v1/route.
type routeRequest struct {
	Lat         *float64 `json:"lat"`
	Lon         *float64 `json:"lon"`
	Time        *string  `json:"time"`
	ServiceCode *string  `json:"service_code"`
}

// routeQuery is a checked route request.
type routeQuery struct {
	Lat, Lon    float64
	At          time.Time
	ServiceCode string
}

// parseRouteRequest reads and checks a POST /v1/route body: a JSON object
// {lat, lon, time?, service_code?}. time is RFC 3339 or YYYY-MM-DD (midnight
// in loc); absent means now. Every error is ErrInvalid naming the field.
func parseRouteRequest(body io.Reader, loc *time.Location, now time.Time) (routeQuery, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var req routeRequest
	if err := dec.Decode(&req); err != nil {
		return routeQuery{}, jsonBodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return routeQuery{}, data.Invalid("body", "unexpected data after the JSON object")
	}
	if req.Lat == nil {
		return routeQuery{}, data.Invalid("lat", "required")
	}
	if req.Lon == nil {
		return routeQuery{}, data.Invalid("lon", "required")
	}
	// Answers carry the time in the jurisdiction's zone, as every other
	// time geo311 shows a city's users.
	q := routeQuery{Lat: *req.Lat, Lon: *req.Lon, At: now.In(loc)}
	if err := batch.CheckPoint(q.Lat, q.Lon); err != nil {
		return routeQuery{}, err
	}
	if req.Time != nil && strings.TrimSpace(*req.Time) != "" {
		t, err := batch.ParseTime("time", *req.Time, loc)
		if err != nil {
			return routeQuery{}, err
		}
		q.At = t.In(loc)
	}
	if req.ServiceCode != nil {
		q.ServiceCode = strings.TrimSpace(*req.ServiceCode)
	}
	return q, nil
}

// jsonBodyError turns a JSON decoding error into a caller error naming the
// field when there is one. Body-size and I/O errors pass through.
func jsonBodyError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return err
	case errors.Is(err, io.EOF):
		return data.Invalid("body", "empty: expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return data.Invalid("body", "malformed JSON: unexpected end of input")
	case errors.As(err, &se):
		return data.Invalid("body", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field == "" {
			return data.Invalid("body", "expected a JSON object, got %s", te.Value)
		}
		want := "a number"
		if te.Type.Kind().String() == "string" || strings.Contains(te.Type.String(), "string") {
			want = "a string"
		}
		return data.Invalid(te.Field, "must be %s, got %s", want, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil || f == "" || len(f) > 64 {
			return data.Invalid("body", "unknown field %.64q: the fields are lat, lon, time, service_code", f)
		}
		return data.Invalid(f, "unknown field: the fields are lat, lon, time, service_code")
	}
	return data.Invalid("body", "malformed JSON: %v", err)
}

// routeResponse is the answer of POST /v1/route.
type routeResponse struct {
	Lat         float64        `json:"lat"`
	Lon         float64        `json:"lon"`
	Time        time.Time      `json:"time"`
	Areas       []data.AreaRef `json:"areas"`
	ServiceCode string         `json:"service_code,omitempty"`
	ServiceName string         `json:"service_name,omitempty"`
	Department  string         `json:"department,omitempty"`
	Unit        string         `json:"unit,omitempty"`
	SLADays     int            `json:"sla_days,omitempty"`
}

// router returns the router in use, or ErrUnavailable while no boundaries
// are loaded.
func (s *server) router() (*geo.Router, error) {
	if ready, _ := s.routers.Ready(); !ready {
		return nil, noBoundaries(s.j)
	}
	return s.routers.Load(), nil
}

func (s *server) handleRoute() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := parseRouteRequest(r.Body, s.app.loc, s.now())
		if err != nil {
			s.error(w, r, err)
			return
		}
		rt, err := s.router()
		if err != nil {
			s.error(w, r, err)
			return
		}
		res, err := rt.Route(q.Lon, q.Lat, q.At, q.ServiceCode)
		if err != nil {
			s.error(w, r, err)
			return
		}
		out := routeResponse{Lat: q.Lat, Lon: q.Lon, Time: q.At, Areas: res.Areas,
			ServiceCode: res.ServiceCode, Department: res.Department, Unit: res.Unit, SLADays: res.SLADays}
		if out.Areas == nil {
			out.Areas = []data.AreaRef{}
		}
		if st, ok := s.j.Service(res.ServiceCode); ok {
			out.ServiceName = st.Name
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// lazyWriter sends the response header on the first write, so a batch that
// fails before producing output can still be answered with an error status.
type lazyWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", l.contentType)
		h.Set("Trailer", "Geo311-Rows, Geo311-Routed, Geo311-Failed")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// batchFormat picks the batch codec from the Content-Type.
func batchFormat(ct string) (string, error) {
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return "", data.Invalid("content_type", "Content-Type %q: use text/csv or application/geo+json", ct)
	}
	switch mt {
	case "text/csv", "application/csv":
		return "csv", nil
	case "application/geo+json", "application/json":
		return "geojson", nil
	}
	return "", data.Invalid("content_type", "Content-Type %q: use text/csv or application/geo+json", mt)
}

func (s *server) handleRouteBatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format, err := batchFormat(r.Header.Get("Content-Type"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		q := r.URL.Query()
		opts := batch.Options{Location: s.app.loc, DefaultTime: s.now()}
		if v := q.Get("time"); v != "" {
			if opts.DefaultTime, err = batch.ParseTime("time", v, s.app.loc); err != nil {
				s.error(w, r, err)
				return
			}
		}
		if v := q.Get("service_code"); v != "" {
			if _, ok := s.j.Service(v); !ok {
				s.error(w, r, data.Invalid("service_code", "%q is not a service code of %s", v, s.j.ID))
				return
			}
			opts.DefaultServiceCode = v
		}
		rt, err := s.router()
		if err != nil {
			s.error(w, r, err)
			return
		}
		// One router for the whole batch, even if a generation is activated
		// meanwhile: every row of a batch is answered from the same maps.
		opts.Route, opts.Layers = rt.Route, rt.Index().Layers()

		// A batch streams: it reads its body while writing its answer, and
		// may take longer than ordinary requests.
		deadline := time.Now().Add(s.cfg.BatchTimeout)
		rc := http.NewResponseController(w)
		rc.EnableFullDuplex()
		rc.SetReadDeadline(deadline)
		rc.SetWriteDeadline(deadline)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()

		lw := &lazyWriter{w: w}
		var st batch.Stats
		if format == "csv" {
			lw.contentType = "text/csv; charset=utf-8"
			st, err = batch.RouteCSV(ctx, r.Body, lw, opts)
		} else {
			lw.contentType = "application/geo+json"
			st, err = batch.RouteGeoJSON(ctx, r.Body, lw, opts)
		}
		if err != nil && !lw.started {
			s.error(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Geo311-Rows", strconv.Itoa(st.Rows))
		h.Set("Geo311-Routed", strconv.Itoa(st.Routed))
		h.Set("Geo311-Failed", strconv.Itoa(st.Failed))
		if err != nil {
			s.log.Warn("batch ended early", "request_id", requestID(r.Context()), "rows", st.Rows, "error", err.Error())
			return
		}
		s.log.Debug("batch routed", "request_id", requestID(r.Context()), "format", format, "rows", st.Rows, "routed", st.Routed, "failed", st.Failed)
	})
}
