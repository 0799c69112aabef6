package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/geo311/geo311/data"
)

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under
// /open311/v2/. Every endpoint answers .json and .xml (no suffix: JSON);
// errors are [{"code", "description"}]. Reads are public and never show
// contact fields, PIN hashes, attributes or internal notes; police-related
// requests and community concerns are never listed, nor read by number
// (a concern only with its PIN).

func (s *server) open311Err(w http.ResponseWriter, r *http.Request, err error) {
	writeOpen311Error(w, r, s.log, err)
}

// handleOpen311Discovery describes the endpoint.
func (s *server) handleOpen311Discovery() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "/open311/v2"
		if r.Host != "" {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			base = scheme + "://" + r.Host + base
		}
		ep := obj{
			{"specification", "http://wiki.open311.org/GeoReport_v2"},
			{"url", base},
			{"changeset", "2026-01-01T00:00:00Z"},
			{"type", "production"},
			{"formats", strList{item: "format", vals: []string{"application/json", "text/xml"}}},
		}
		d := obj{
			{"changeset", "2026-01-01T00:00:00Z"},
			{"contact", s.j.Name + " 311"},
			{"key_service", "API keys for intake systems are issued by the city's 311 administrators (geo311 keys create --role intake)"},
			// Extension: residents' "where am I" (beat, district, ward, next beat meeting, contacts).
			{"whereami_url", strings.TrimSuffix(base, "/open311/v2") + "/v1/whereami?lat={lat}&lon={lon}"},
			{"endpoints", list{item: "endpoint", items: []obj{ep}}},
		}
		writeOpen311(w, formatOf(r), http.StatusOK, "discovery", d)
	})
}

// handleOpen311Services lists the catalogue (emergency types are not
// services: 311 refuses them).
func (s *server) handleOpen311Services() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var items []obj
		for _, st := range s.j.Services {
			if st.Emergency {
				continue
			}
			o := obj{{"service_code", st.Code}, {"service_name", st.Name}}
			o.opt("description", st.Description)
			o.add("metadata", len(st.Attributes) > 0)
			o.add("type", "realtime")
			o.opt("keywords", strings.Join(st.Keywords, ","))
			o.opt("group", st.Group)
			items = append(items, o)
		}
		writeOpen311(w, formatOf(r), http.StatusOK, "services", list{item: "service", items: items})
	})
}

// handleOpen311Service is a service definition: its attributes.
func (s *server) handleOpen311Service() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, f := open311Format(chi.URLParam(r, "code"))
		st, ok := s.j.Service(code)
		if !ok || st.Emergency {
			writeOpen311Error(w, r, s.log, data.Errorf(data.ErrNotFound, "service_code %q is not a service of %s", clip(code), s.j.Name))
			return
		}
		var attrs []obj
		for _, a := range st.Attributes {
			ao := obj{{"variable", true}, {"code", a.Code}, {"datatype", a.Datatype}, {"required", a.Required},
				{"datatype_description", datatypeDescription(a.Datatype)}, {"order", a.Order}, {"description", a.Description}}
			if len(a.Values) > 0 {
				var vs []obj
				for _, v := range a.Values {
					vs = append(vs, obj{{"key", v.Key}, {"name", v.Name}})
				}
				ao.add("values", list{item: "value", items: vs})
			}
			attrs = append(attrs, ao)
		}
		writeOpen311(w, f, http.StatusOK, "service_definition", obj{{"service_code", st.Code}, {"attributes", list{item: "attribute", items: attrs}}})
	})
}

func datatypeDescription(dt string) string {
	switch dt {
	case "number":
		return "a number"
	case "datetime":
		return "an ISO 8601 date and time with a zone"
	case "singlevaluelist":
		return "one of the keys listed"
	case "multivaluelist":
		return "one or more of the keys listed (attribute[CODE][]=key)"
	}
	return "free text"
}

// handleOpen311Post files a service request: form-encoded, api_key of an
// intake (or higher) key required (403 otherwise). The answer is sent only
// after the store made the request durable. An Idempotency-Key header makes
// retries safe. A community concern's answer carries its PIN, once.
func (s *server) handleOpen311Post() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				s.open311Err(w, r, err)
				return
			}
			s.open311Err(w, r, data.Invalid("body", "not a form-encoded body: %v", err))
			return
		}
		p, err := s.authenticate(r.Context(), credential(r))
		if err != nil && !errors.Is(err, data.ErrUnauthorized) {
			s.open311Err(w, r, err) // the store could not be asked (an outage: 503), not a bad key
			return
		}
		if err != nil {
			s.open311Err(w, r, data.Errorf(data.ErrForbidden, "api_key: a valid intake API key is required"))
			return
		}
		if !p.key.Allows(data.RoleIntake) {
			s.open311Err(w, r, data.Errorf(data.ErrForbidden, "api_key: key %s may not file requests", p.key.ID))
			return
		}
		in, err := parseOpen311Post(r.PostForm)
		if err != nil {
			s.open311Err(w, r, err)
			return
		}
		idem, err := idempotencyKey(r)
		if err != nil {
			s.open311Err(w, r, err)
			return
		}
		in.IdempotencyKey, in.KeyID, in.Actor = idem, p.key.ID, "intake:"+p.key.Name
		res, err := s.intake(r.Context(), in)
		if err != nil {
			s.open311Err(w, r, err)
			return
		}
		status := http.StatusCreated
		if !res.Created {
			status = http.StatusOK
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeOpen311(w, formatOf(r), status, "service_requests", list{item: "request", items: []obj{s.postAnswer(res)}})
	})
}

// postAnswer is the POST response: service_request_id, service_notice,
// account_id (null), expected_datetime, and for a concern its PIN.
func (s *server) postAnswer(res *intakeResult) obj {
	r := res.Request
	notice := fmt.Sprintf("Received %s: %s.", r.Number, r.ServiceName)
	if r.Unit != "" {
		notice += " Routed to " + r.Unit + "."
	} else if r.Department != "" {
		notice += " Routed to " + r.Department + "."
	}
	if r.Duplicate {
		notice += fmt.Sprintf(" It joins %s, an open request for the same problem nearby.", r.ParentNumber)
	}
	o := obj{{"service_request_id", r.Number}, {"token", nil}, {"service_notice", ""}, {"account_id", nil}}
	if t, ok := data.ExpectedAt(r); ok {
		s.open311Time(&o, "expected_datetime", t)
	}
	if r.Kind == data.KindCommunityConcern {
		switch {
		case res.PIN != "":
			o.add("pin", res.PIN)
			notice += " Your control number is " + r.Number + " and your PIN is " + res.PIN + ": keep both, the PIN is shown only now. Look the concern up at /v1/concerns/" + r.Number + "."
		default:
			notice += " This is a repeated submission: the PIN was shown with the first answer and cannot be shown again."
		}
	}
	o[2].v = notice
	if r.Duplicate {
		o.add("parent_service_request_id", r.ParentNumber)
	}
	return o
}

// idempotencyKey reads the Idempotency-Key header: printable ASCII, at most
// 200 characters.
func idempotencyKey(r *http.Request) (string, error) {
	k := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(k) > 200 || strings.ContainsFunc(k, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return "", data.Invalid("Idempotency-Key", "must be at most 200 printable ASCII characters")
	}
	return k, nil
}

// handleOpen311Requests lists public requests (see parseOpen311Query).
func (s *server) handleOpen311Requests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := parseOpen311Query(r.URL.Query(), s.now())
		if err != nil {
			s.open311Err(w, r, err)
			return
		}
		rs, err := s.app.store.Requests(r.Context(), q.filter)
		if err != nil {
			s.open311Err(w, r, err)
			return
		}
		items := make([]obj, 0, len(rs))
		for _, req := range rs {
			if req.Police(s.j) || len(req.PINHash) > 0 {
				continue // belt and braces: the filter already excludes them
			}
			var notes []data.Note
			if q.extensions {
				if notes, err = s.app.store.Notes(r.Context(), req.Number); err != nil {
					s.open311Err(w, r, err)
					return
				}
			}
			items = append(items, s.publicRequest(req, q.extensions, notes))
		}
		writeOpen311(w, formatOf(r), http.StatusOK, "service_requests", list{item: "request", items: items})
	})
}

// handleOpen311Request reads one request. A community concern is only
// shown with its PIN (?pin=, rate-limited like the concern lookup);
// otherwise it does not exist for the caller (404).
func (s *server) handleOpen311Request() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, f := open311Format(chi.URLParam(r, "id"))
		q := r.URL.Query()
		ext := q.Get("extensions") == "true"
		req, wait, err := s.publicLookup(r.Context(), r, id, q.Get("pin"))
		if err != nil {
			if wait > 0 {
				retryAfter(w, wait)
			}
			writeOpen311Error(w, r, s.log, err)
			return
		}
		var notes []data.Note
		if ext {
			if notes, err = s.app.store.Notes(r.Context(), req.Number); err != nil {
				writeOpen311Error(w, r, s.log, err)
				return
			}
		}
		writeOpen311(w, f, http.StatusOK, "service_requests", list{item: "request", items: []obj{s.publicRequest(req, ext, notes)}})
	})
}

// publicLookup reads a request a member of the public asked for by number:
// a concern needs its PIN (checked under the rate limits), otherwise 404; a
// police-related service request is 404 (it has no PIN).
func (s *server) publicLookup(ctx context.Context, r *http.Request, id, pin string) (*data.Request, time.Duration, error) {
	number, ok := data.NormalizeNumber(id)
	notFound := data.Errorf(data.ErrNotFound, "service_request_id %q not found", clip(id))
	if !ok {
		return nil, 0, notFound
	}
	kind, _, _, perr := data.ParseNumber(number)
	if perr == nil && kind == data.KindCommunityConcern {
		if pin == "" {
			return nil, 0, notFound
		}
		req, wait, err := s.checkConcernPIN(ctx, r, number, pin)
		return req, wait, err
	}
	req, err := s.app.store.Request(ctx, number)
	if err != nil {
		if errors.Is(err, data.ErrNotFound) {
			return nil, 0, notFound
		}
		return nil, 0, err
	}
	// Tracking numbers are sequential, so reading one by number is a list
	// anyone can walk: police-related requests are not public, whatever
	// their kind.
	if req.Kind == data.KindCommunityConcern || req.Police(s.j) {
		return nil, 0, notFound
	}
	return req, 0, nil
}

// handleOpen311Token answers a token with its service_request_id: geo311
// issues the number at once, so the token is the number.
func (s *server) handleOpen311Token() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, f := open311Format(chi.URLParam(r, "token"))
		req, _, err := s.publicLookup(r.Context(), r, tok, "")
		if err != nil {
			writeOpen311Error(w, r, s.log, err)
			return
		}
		writeOpen311(w, f, http.StatusOK, "service_requests", list{item: "request", items: []obj{{{"service_request_id", req.Number}, {"token", tok}}}})
	})
}
