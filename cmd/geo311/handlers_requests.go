package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/dedupe"
)

// The native /v1 request API: the concern status lookup (control number and
// PIN), residents' nearby list and "me too", and staff reads and lifecycle
// transitions scoped by the districts of their key.

// checkConcernPIN reads a concern by control number and checks its PIN:
// rate-limited per number and per client address before anything else, in
// constant time. A wrong PIN and an unknown number answer the same 404.
func (s *server) checkConcernPIN(ctx context.Context, r *http.Request, number, pin string) (*data.Request, time.Duration, error) {
	now := s.now()
	if wait, err := s.limits.pinPerClient.take(clientAddr(r), now); err != nil {
		return nil, wait, err
	}
	if wait, err := s.limits.pinPerNumber.take(number, now); err != nil {
		return nil, wait, err
	}
	refused := data.Errorf(data.ErrNotFound, "no concern with this control number and PIN")
	req, err := s.app.store.Request(ctx, number)
	if err != nil && !errors.Is(err, data.ErrNotFound) {
		return nil, 0, err
	}
	hash := s.dummyHash()
	if req != nil && req.Kind == data.KindCommunityConcern && len(req.PINHash) > 0 {
		hash = req.PINHash
	}
	if ok := data.CheckPIN(hash, pin); !ok || req == nil || req.Kind != data.KindCommunityConcern {
		s.log.Info("concern PIN refused", "number", number, "remote", clientAddr(r))
		return nil, 0, refused
	}
	return req, 0, nil
}

// handleConcernStatus answers GET /v1/concerns/{number}?pin=... and the same
// as a POST form (so the PIN stays out of URLs and logs).
func (s *server) handleConcernStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		number, ok := data.NormalizeNumber(chi.URLParam(r, "number"))
		if !ok {
			s.error(w, r, data.Invalid("number", "%q is not a control number (like CC26-00000001)", clip(chi.URLParam(r, "number"))))
			return
		}
		if err := r.ParseForm(); err != nil {
			s.error(w, r, data.Invalid("body", "not a form-encoded body"))
			return
		}
		pin := r.Form.Get("pin")
		if pin == "" {
			s.error(w, r, data.Invalid("pin", "the PIN given when the concern was filed is required"))
			return
		}
		req, wait, err := s.checkConcernPIN(r.Context(), r, number, pin)
		if err != nil {
			if wait > 0 {
				retryAfter(w, wait)
			}
			s.error(w, r, err)
			return
		}
		notes, err := s.app.store.Notes(r.Context(), req.Number)
		if err != nil {
			s.error(w, r, err)
			return
		}
		out := map[string]any{
			"control_number": req.Number,
			"service_code":   req.ServiceCode,
			"service_name":   req.ServiceName,
			"status":         req.State.Open311(),
			"state":          req.State,
			"requested_at":   req.RequestedAt.In(s.app.loc),
			"updated_at":     req.UpdatedAt.In(s.app.loc),
			"notes":          jsonNotes(s, notes, false),
		}
		if due, ok := dueDate(req); ok && !req.State.Closed() {
			out["due_at"] = due.In(s.app.loc)
		}
		if !req.ClosedAt.IsZero() {
			out["closed_at"] = req.ClosedAt.In(s.app.loc)
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, out)
	})
}

// dueDate is the deadline a request works to: the acceptance window of a
// new concern, else the due date, else the SLA's expected date.
func dueDate(r *data.Request) (time.Time, bool) {
	if r.State == data.StateNew {
		if t, ok := data.AcceptDue(r); ok {
			return t, true
		}
	}
	return data.ExpectedAt(r)
}

// jsonNotes lists notes for the native API: public ones only, unless staff.
func jsonNotes(s *server, notes []data.Note, staff bool) []map[string]any {
	out := []map[string]any{}
	for _, n := range notes {
		if n.Internal && !staff {
			continue
		}
		m := map[string]any{"at": n.At.In(s.app.loc), "event": n.Event}
		text := n.Text
		if !staff {
			text = data.PublicText(n)
		}
		if text != "" {
			m["text"] = text
		}
		if staff {
			m["actor"] = n.Actor
			if n.Reason != "" {
				m["reason"] = n.Reason
			}
			m["internal"] = n.Internal
		}
		out = append(out, m)
	}
	return out
}

// staffRequest is the full view of a request for staff in scope: contact
// fields, attributes, the lifecycle's times and the computed overdue flag.
func (s *server) staffRequest(r *data.Request, notes []data.Note) map[string]any {
	t := func(v time.Time) any {
		if v.IsZero() {
			return nil
		}
		return v.In(s.app.loc)
	}
	out := map[string]any{
		"number": r.Number, "kind": r.Kind, "service_code": r.ServiceCode, "service_name": r.ServiceName,
		"state": r.State, "status": r.State.Open311(), "description": r.Description,
		"lat": r.Lat, "lon": r.Lon, "address": r.Address, "areas": r.Areas,
		"department": r.Department, "unit": r.Unit, "assigned_to": r.AssignedTo, "origin": r.Origin,
		"requested_at": t(r.RequestedAt), "updated_at": t(r.UpdatedAt), "accepted_at": t(r.AcceptedAt),
		"assigned_at": t(r.AssignedAt), "completed_at": t(r.CompletedAt), "closed_at": t(r.ClosedAt),
		"sla_days": r.SLADays, "extensions": r.Extensions, "extension_days": r.ExtensionDays,
		"reassignments": r.Reassignments, "flagged_reassignments": data.ReassignedTooOften(r),
		"duplicate": r.Duplicate, "parent_number": nilIfEmpty(r.ParentNumber), "duplicate_count": r.DuplicateCount,
		"me_too": r.MeToo, "media_url": nilIfEmpty(r.MediaURL), "attributes": r.Attributes,
		"contact": r.Contact, "police_related": r.PoliceRelated, "disposition": nilIfEmpty(r.Disposition),
		"overdue": data.Overdue(r, s.now()),
	}
	if due, ok := dueDate(r); ok {
		out["due_at"] = due.In(s.app.loc)
	} else {
		out["due_at"] = nil
	}
	if notes != nil {
		out["notes"] = jsonNotes(s, notes, true)
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// districtID normalises a district given by a caller to the id the
// jurisdiction's areas carry (all-digit ids padded to the layer's width).
func (s *server) districtID(d string) string {
	d = strings.TrimSpace(d)
	if d == "" || strings.Trim(d, "0123456789") != "" {
		return d
	}
	d = strings.TrimLeft(d, "0")
	if d == "" {
		d = "0"
	}
	if spec, ok := s.j.LayerSpec(data.LayerDistrict); ok && spec.PadID > len(d) {
		d = strings.Repeat("0", spec.PadID-len(d)) + d
	}
	return d
}

// parseStaffQuery reads GET /v1/requests parameters.
func (s *server) parseStaffQuery(p *principal, q map[string][]string) (data.RequestFilter, bool, error) {
	var f data.RequestFilter
	get := func(k string) (string, error) { return single(q, k) }
	for _, k := range []string{"service_code", "state", "status", "district", "beat", "from", "to", "overdue", "page", "page_size"} {
		if _, err := get(k); err != nil {
			return f, false, err
		}
	}
	v, _ := get("service_code")
	if v != "" {
		f.ServiceCodes = strings.Split(v, ",")
	}
	if v, _ = get("state"); v != "" {
		for _, st := range strings.Split(v, ",") {
			state, err := data.ParseState(st)
			if err != nil {
				return f, false, err
			}
			f.States = append(f.States, state)
		}
	}
	if v, _ = get("status"); v != "" {
		if v != "open" && v != "closed" {
			return f, false, data.Invalid("status", "%q is not open or closed", clip(v))
		}
		f.Status = v
	}
	district, _ := get("district")
	if district != "" {
		district = s.districtID(district)
		if !p.key.InDistrict(district) {
			return f, false, data.Errorf(data.ErrForbidden, "district %s is outside the districts of key %s", district, p.key.ID)
		}
	} else if p.key.Role != data.RoleAdmin && len(p.key.Districts) > 0 {
		if len(p.key.Districts) > 1 {
			return f, false, data.Invalid("district", "key %s covers districts %s: choose one with district=", p.key.ID, strings.Join(p.key.Districts, ", "))
		}
		district = s.districtID(p.key.Districts[0])
	}
	if district != "" {
		f.Areas = append(f.Areas, data.AreaRef{Layer: data.LayerDistrict, ID: district})
	}
	if v, _ = get("beat"); v != "" {
		f.Areas = append(f.Areas, data.AreaRef{Layer: data.LayerBeat, ID: v})
	}
	for _, p := range []struct {
		k   string
		dst *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v, _ = get(p.k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, false, data.Invalid(p.k, "%q is not an RFC 3339 time", clip(v))
			}
			*p.dst = t
		}
	}
	overdue := false
	if v, _ = get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, false, data.Invalid("overdue", "%q is not true or false", clip(v))
		}
		overdue = b
	}
	page, size := 1, defaultPageSize
	for _, p := range []struct {
		k   string
		dst *int
		max int
	}{{"page", &page, 1_000_000}, {"page_size", &size, maxPageSize}} {
		if v, _ = get(p.k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				return f, false, data.Invalid(p.k, "%q is not a whole number between 1 and %d", clip(v), p.max)
			}
			*p.dst = n
		}
	}
	f.Limit, f.Offset = size, (page-1)*size
	return f, overdue, nil
}

// handleStaffRequests lists requests for staff, in the key's districts.
// overdue=true keeps those past their deadline now (data.Overdue), computed
// while scanning the open requests of the filter.
func (s *server) handleStaffRequests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		f, overdue, err := s.parseStaffQuery(p, r.URL.Query())
		if err != nil {
			s.error(w, r, err)
			return
		}
		var rs []*data.Request
		if overdue {
			limit, offset := f.Limit, f.Offset
			f.Limit, f.Offset = 0, 0
			f.Status = "open"
			now, skipped := s.now(), 0
			errStop := errors.New("page full")
			err = s.app.store.ScanRequests(r.Context(), f, func(req *data.Request) error {
				if !data.Overdue(req, now) {
					return nil
				}
				if skipped < offset {
					skipped++
					return nil
				}
				rs = append(rs, req)
				if len(rs) >= limit {
					return errStop
				}
				return nil
			})
			if errors.Is(err, errStop) {
				err = nil
			}
		} else {
			rs, err = s.app.store.Requests(r.Context(), f)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		out := make([]map[string]any, 0, len(rs))
		for _, req := range rs {
			if checkScope(p, req) == nil {
				out = append(out, s.staffRequest(req, nil))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	})
}

// staffAction reads what every staff action on one request needs: the
// caller, the request number from the path and the JSON body.
func (s *server) staffAction(r *http.Request) (*principal, string, transitionBody, error) {
	var b transitionBody
	p, number, err := s.staffTarget(r)
	if err == nil {
		err = readBody(r, &b)
	}
	return p, number, b, err
}

// staffTarget reads the request named in the path and checks the caller's scope.
func (s *server) staffTarget(r *http.Request) (*principal, string, error) {
	p := principalFrom(r.Context())
	number, ok := data.NormalizeNumber(chi.URLParam(r, "number"))
	if !ok {
		return nil, "", data.Invalid("number", "%q is not a tracking number", clip(chi.URLParam(r, "number")))
	}
	return p, number, nil
}

// handleStaffRequest is the full view of one request, with every note.
func (s *server) handleStaffRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, number, err := s.staffTarget(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		req, err := s.app.store.Request(r.Context(), number)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if err := checkScope(p, req); err != nil {
			s.error(w, r, err)
			return
		}
		notes, err := s.app.store.Notes(r.Context(), number)
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.staffRequest(req, notes))
	})
}

// transitionBody is the JSON body of a lifecycle transition.
type transitionBody struct {
	AssignedTo  string `json:"assigned_to"`
	Assignee    string `json:"assignee"` // alias of assigned_to
	Reason      string `json:"reason"`
	Disposition string `json:"disposition"`
	Summary     string `json:"summary"`
	ApprovedBy  string `json:"approved_by"`
	Into        string `json:"into"`
}

// readBody decodes an optional JSON body strictly.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return data.Invalid("body", "not the expected JSON object: %v", err)
	}
	if dec.More() {
		return data.Invalid("body", "one JSON object expected")
	}
	return nil
}

// transitions maps an action of the path to its lifecycle function.
var transitions = map[string]func(s *server, r *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error){
	"accept": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, _ transitionBody) ([]data.Note, error) {
		return data.Accept(req, a, at)
	},
	"not-accept": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		return data.NotAccept(req, a, at, b.Reason)
	},
	"assign": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		return data.Assign(req, a, at, b.assignee())
	},
	"reassign": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		return data.Reassign(req, a, at, b.assignee(), b.Reason)
	},
	"extend": func(s *server, r *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		ap, err := s.approval(r, req, b)
		if err != nil {
			return nil, err
		}
		return data.Extend(req, a, at, b.Reason, ap)
	},
	"complete": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		return data.Complete(req, a, at, b.Summary)
	},
	"return": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		return data.Return(req, a, at, b.Reason)
	},
	"close": func(_ *server, _ *http.Request, req *data.Request, a data.Actor, at time.Time, b transitionBody) ([]data.Note, error) {
		return data.Close(req, a, at, b.Disposition)
	},
}

func (b transitionBody) assignee() string {
	if b.AssignedTo != "" {
		return b.AssignedTo
	}
	return b.Assignee
}

// approval is a commander's approval of a further extension. The
// approver's role is verified: the approver's own key goes in the
// X-Approver-Key header (never logged) and must be a supervisor key in
// scope; approved_by alone names someone the server cannot verify, which
// the lifecycle refuses for a further extension.
func (s *server) approval(r *http.Request, req *data.Request, b transitionBody) (data.Approval, error) {
	secret := strings.TrimSpace(r.Header.Get("X-Approver-Key"))
	if secret == "" {
		return data.Approval{By: b.ApprovedBy}, nil
	}
	ap, err := s.authenticate(r.Context(), secret)
	if err != nil {
		return data.Approval{}, &data.Error{Kind: data.ErrForbidden, Field: "approved_by", Message: "X-Approver-Key is not a valid key"}
	}
	if err := checkScope(ap, req); err != nil {
		return data.Approval{}, err
	}
	by := ap.key.Name
	if b.ApprovedBy != "" {
		by = b.ApprovedBy + " (key " + ap.key.Name + ")"
	}
	return data.Approval{By: by, Role: ap.key.Role}, nil
}

// handleTransition performs a lifecycle transition inside
// store.UpdateRequest, after checking the caller's district scope on the
// locked request, then tells the observers.
func (s *server) handleTransition(action string) http.Handler {
	fn := transitions[action]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, number, b, err := s.staffAction(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		var old *data.Request
		updated, err := s.app.store.UpdateRequest(r.Context(), number, func(req *data.Request) ([]data.Note, error) {
			if err := checkScope(p, req); err != nil {
				return nil, err
			}
			o := *req
			old = &o
			return fn(s, r, req, p.actor(), s.now(), b)
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.app.observers.notify(old, updated)
		writeJSON(w, http.StatusOK, s.staffRequest(updated, nil))
	})
}

// handleUnlink undoes a wrong dedupe decision: the request becomes a
// primary again and its former primary counts one duplicate less; both get
// a note.
func (s *server) handleUnlink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, number, b, err := s.staffAction(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		now, actor := s.now(), p.actor()
		var old *data.Request
		parent := ""
		updated, err := s.app.store.UpdateRequest(r.Context(), number, func(req *data.Request) ([]data.Note, error) {
			if err := checkScope(p, req); err != nil {
				return nil, err
			}
			if !req.Duplicate {
				return nil, data.Errorf(data.ErrConflict, "%s is not a duplicate", req.Number)
			}
			o := *req
			old, parent = &o, req.ParentNumber
			req.Duplicate, req.ParentNumber = false, ""
			return []data.Note{{At: now, Actor: actor.Name, Event: data.EventUnlinked, Text: "Unlinked from " + parent + "; a primary again", Reason: b.Reason}}, nil
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.app.observers.notify(old, updated)
		if parent != "" {
			if err := s.adjustPrimary(r.Context(), parent, -1, data.Note{At: now, Actor: actor.Name, Event: data.EventUnlinked,
				Text: updated.Number + " was unlinked from this request", Reason: b.Reason}); err != nil {
				s.error(w, r, err)
				return
			}
		}
		writeJSON(w, http.StatusOK, s.staffRequest(updated, nil))
	})
}

// adjustPrimary changes a primary's duplicate count and appends a note.
func (s *server) adjustPrimary(ctx context.Context, number string, delta int, n data.Note) error {
	var old *data.Request
	updated, err := s.app.store.UpdateRequest(ctx, number, func(req *data.Request) ([]data.Note, error) {
		o := *req
		old = &o
		req.DuplicateCount = max(0, req.DuplicateCount+delta)
		return []data.Note{n}, nil
	})
	if errors.Is(err, data.ErrNotFound) {
		return nil // the primary is gone (not expected); nothing to count
	}
	if err != nil {
		return err
	}
	s.app.observers.notify(old, updated)
	return nil
}

// handleMerge makes the primary named in the path a duplicate of the
// primary {"into": "..."}: it and its duplicates now count on the target.
// Its own duplicates keep pointing at it (chains resolve to the root).
func (s *server) handleMerge() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, number, b, err := s.staffAction(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		into, ok := data.NormalizeNumber(b.Into)
		if !ok {
			s.error(w, r, data.Invalid("into", "%q is not a tracking number", clip(b.Into)))
			return
		}
		if into == number {
			s.error(w, r, data.Invalid("into", "a request cannot be merged into itself"))
			return
		}
		target, err := s.app.store.Request(r.Context(), into)
		if err != nil {
			if errors.Is(err, data.ErrNotFound) {
				err = data.Invalid("into", "%s does not exist", into)
			}
			s.error(w, r, err)
			return
		}
		if err := checkScope(p, target); err != nil {
			s.error(w, r, err)
			return
		}
		if target.Duplicate {
			s.error(w, r, data.Errorf(data.ErrConflict, "%s is a duplicate of %s: merge into the primary", into, target.ParentNumber))
			return
		}
		now, actor := s.now(), p.actor()
		var old *data.Request
		joined := 0
		updated, err := s.app.store.UpdateRequest(r.Context(), number, func(req *data.Request) ([]data.Note, error) {
			if err := checkScope(p, req); err != nil {
				return nil, err
			}
			if req.Duplicate {
				return nil, data.Errorf(data.ErrConflict, "%s is a duplicate of %s: only primaries are merged", req.Number, req.ParentNumber)
			}
			if !dedupe.SameGroup(s.j, req.ServiceCode, target.ServiceCode) {
				return nil, data.Invalid("into", "%s (%s) and %s (%s) are not the same kind of problem", req.Number, req.ServiceCode, into, target.ServiceCode)
			}
			o := *req
			old = &o
			joined = 1 + req.DuplicateCount
			req.Duplicate, req.ParentNumber = true, into
			return []data.Note{{At: now, Actor: actor.Name, Event: data.EventMerged, Text: "Merged into " + into, Reason: b.Reason}}, nil
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.app.observers.notify(old, updated)
		if err := s.adjustPrimary(r.Context(), into, joined, data.Note{At: now, Actor: actor.Name, Event: data.EventMerged,
			Text: fmt.Sprintf("%s merged into this request (with %d duplicates)", number, joined-1), Reason: b.Reason}); err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.staffRequest(updated, nil))
	})
}

// handleNearby lists open public requests similar to what a resident is
// about to file, ranked (dedupe.Rank), within twice the type's dedupe
// radius and at least 250 m. Public fields only.
func (s *server) handleNearby() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lat, err1 := parseFinite(q.Get("lat"))
		lon, err2 := parseFinite(q.Get("lon"))
		switch {
		case err1 != nil || lat < -90 || lat > 90:
			s.error(w, r, data.Invalid("lat", "a latitude between -90 and 90 is required"))
			return
		case err2 != nil || lon < -180 || lon > 180:
			s.error(w, r, data.Invalid("lon", "a longitude between -180 and 180 is required"))
			return
		}
		st, ok := s.j.Service(q.Get("service_code"))
		if !ok || st.Emergency {
			s.error(w, r, data.Invalid("service_code", "%q is not a service of %s", clip(q.Get("service_code")), s.j.Name))
			return
		}
		rule := st.Dedupe
		rule.RadiusM = max(2*rule.RadiusM, 250)
		if rule.WindowDays <= 0 {
			rule.WindowDays = dedupe.DefaultWindowDays
		}
		now := s.now()
		codes, _ := dedupeGroup(s.j, st)
		cells, err := dedupe.SearchCells(lat, lon, rule.RadiusM)
		if err != nil {
			s.error(w, r, data.Invalid("lat", "%v", err))
			return
		}
		cands, err := s.app.store.Requests(r.Context(), data.RequestFilter{
			ServiceCodes: codes, Cells: cells, Status: "open", ExcludePolice: true,
			From: now.Add(-time.Duration(rule.WindowDays) * data.Day),
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		ranked := dedupe.Rank(lat, lon, st.Code, rule, cands, now)
		out := make([]map[string]any, 0, min(len(ranked), 20))
		for _, rk := range ranked[:min(len(ranked), 20)] {
			if rk.Request.Police(s.j) {
				continue
			}
			pub := s.publicRequest(rk.Request, false, nil)
			out = append(out, map[string]any{
				"request":    json.RawMessage(objJSON(pub)),
				"distance_m": rk.DistanceM, "supporters": rk.Supporters, "score": rk.Score,
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"service_code": st.Code, "radius_m": rule.RadiusM, "requests": out})
	})
}

// objJSON encodes an Open311 object as JSON.
func objJSON(o obj) []byte {
	var b bytes.Buffer
	jsonValue(&b, o)
	return b.Bytes()
}

// handleMeToo adds a resident to an open request's primary: MeToo counts
// them, a note records it. Rate-limited per client address.
func (s *server) handleMeToo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		number, ok := data.NormalizeNumber(chi.URLParam(r, "number"))
		if !ok {
			s.error(w, r, data.Invalid("number", "%q is not a tracking number", clip(chi.URLParam(r, "number"))))
			return
		}
		if wait, err := s.limits.meTooClient.take(clientAddr(r), s.now()); err != nil {
			retryAfter(w, wait)
			s.error(w, r, err)
			return
		}
		req, err := s.app.store.Request(r.Context(), number)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if req.Police(s.j) {
			s.error(w, r, data.Errorf(data.ErrNotFound, "request %s not found", number))
			return
		}
		target := req.Number
		if req.Duplicate && req.ParentNumber != "" {
			target = req.ParentNumber
		}
		now := s.now()
		var old *data.Request
		updated, err := s.app.store.UpdateRequest(r.Context(), target, func(p *data.Request) ([]data.Note, error) {
			if p.State.Closed() {
				return nil, data.Errorf(data.ErrConflict, "%s is closed: file a new request if the problem is back", p.Number)
			}
			o := *p
			old = &o
			p.MeToo++
			return []data.Note{{At: now, Actor: "resident", Event: data.EventMeToo, Text: fmt.Sprintf("A resident reported the same problem (%d so far)", p.MeToo)}}, nil
		})
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.app.observers.notify(old, updated)
		writeJSON(w, http.StatusOK, map[string]any{"service_request_id": updated.Number, "me_too": updated.MeToo, "supporters": updated.MeToo + updated.DuplicateCount + 1})
	})
}
