package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/dedupe"
)

// intakeInput is one new request as an intake endpoint parsed it. The
// parsers check shapes and lengths; intake checks it against the catalogue.
type intakeInput struct {
	ServiceCode string
	Lat, Lon    float64
	Address     string
	AddressID   string
	ZIP         string
	Description string
	MediaURL    string
	Attributes  map[string][]string
	Contact     data.Contact
	Origin      data.Origin
	// Actor names who filed it on the "created" note ("intake:<key name>").
	Actor string
	// IdempotencyKey as the caller sent it (scoped to the caller's key by intake).
	IdempotencyKey string
	// KeyID is the intake key's id, which scopes the idempotency key.
	KeyID string
}

// intakeResult is what intake answers.
type intakeResult struct {
	Request *data.Request
	Created bool
	// PIN of a new community concern: shown once, never stored ("" on an
	// idempotent retry whose PIN is no longer held in memory).
	PIN string
}

// intake runs the intake pipeline: catalogue checks -> content policy ->
// routing (areas, department, unit, SLA; emergencies refused) -> H3 cell ->
// a durable CreateRequest that deduplicates under the neighbourhood's locks
// -> observers. It returns only after the store acknowledged the request.
func (s *server) intake(ctx context.Context, in intakeInput) (res *intakeResult, err error) {
	defer func() { s.metrics.observeIntake(res, err) }()
	st, ok := s.j.Service(in.ServiceCode)
	if !ok {
		return nil, data.Invalid("service_code", "%q is not a service of %s (see /open311/v2/services)", clip(in.ServiceCode), s.j.Name)
	}
	if err := checkAttributes(st, in.Attributes); err != nil {
		return nil, err
	}
	if err := s.app.policy.Check("description", in.Description); err != nil {
		return nil, err
	}
	for _, a := range st.Attributes {
		if a.Datatype == "string" || a.Datatype == "text" {
			for _, v := range in.Attributes[a.Code] {
				if err := s.app.policy.Check("attribute["+a.Code+"]", v); err != nil {
					return nil, err
				}
			}
		}
	}
	router := s.routers.Load()
	if ready, _ := s.routers.Ready(); !ready || router == nil {
		return nil, noBoundaries(s.j)
	}
	now := s.now()
	rt, err := router.Route(in.Lon, in.Lat, now, st.Code)
	if err != nil {
		return nil, err
	}
	cell, err := dedupe.Cell(in.Lat, in.Lon)
	if err != nil {
		return nil, data.Invalid("lat", "%v", err)
	}
	r := &data.Request{
		Jurisdiction:  s.j.ID,
		Kind:          st.Kind,
		ServiceCode:   st.Code,
		ServiceName:   st.Name,
		State:         data.StateNew,
		Description:   in.Description,
		Lon:           in.Lon,
		Lat:           in.Lat,
		Address:       in.Address,
		AddressID:     in.AddressID,
		ZIP:           in.ZIP,
		H3:            cell,
		Areas:         rt.Areas,
		Department:    rt.Department,
		Unit:          rt.Unit,
		Origin:        in.Origin,
		RequestedAt:   now,
		UpdatedAt:     now,
		SLADays:       rt.SLADays,
		MediaURL:      in.MediaURL,
		Attributes:    in.Attributes,
		Contact:       in.Contact,
		PoliceRelated: st.Police || st.Kind == data.KindCommunityConcern,
	}
	var pin string
	if r.Kind == data.KindCommunityConcern {
		if pin, r.PINHash, err = newPIN(s.cfg.PINIterations); err != nil {
			return nil, err
		}
	}
	text := "Received through " + string(in.Origin)
	if rt.Unit != "" {
		text += "; routed to " + rt.Unit
	} else if rt.Department != "" {
		text += "; routed to " + rt.Department
	}
	it := data.Intake{
		Request: r,
		Notes:   []data.Note{{At: now, Actor: in.Actor, Event: data.EventCreated, Text: text}},
	}
	if in.IdempotencyKey != "" {
		it.IdempotencyKey = in.KeyID + ":" + in.IdempotencyKey
	}
	if rule := st.Dedupe; rule.RadiusM > 0 {
		codes, lockRadius := dedupeGroup(s.j, st)
		if it.LockKeys, err = dedupe.LockKeys(in.Lat, in.Lon, lockRadius); err != nil {
			return nil, fmt.Errorf("intake: lock keys: %w", err)
		}
		cells, err := dedupe.SearchCells(in.Lat, in.Lon, rule.RadiusM)
		if err != nil {
			return nil, fmt.Errorf("intake: search cells: %w", err)
		}
		window := rule.WindowDays
		if window <= 0 {
			window = dedupe.DefaultWindowDays
		}
		// The cells select (indexed); the group's codes are kept in Decide,
		// so that a store's planner never prefers a scan of the type's
		// whole window over the handful of rows in the cells.
		// No upper time bound: see Decide below.
		it.Candidates = data.RequestFilter{
			Cells: cells,
			From:  now.Add(-time.Duration(window) * data.Day),
		}
		if rule.IncludeClosedDays <= 0 {
			it.Candidates.Status = "open"
		}
		it.Decide = func(cands []*data.Request) (*data.DuplicateLink, error) {
			cands = slices.DeleteFunc(cands, func(c *data.Request) bool { return !slices.Contains(codes, c.ServiceCode) })
			// Every candidate was stored before this intake took its locks,
			// so it arrived first even when its clock stamp is later (an
			// intake of another process, or one that won the locks while
			// this one waited). Decide as of the latest stamp, so that no
			// candidate looks as if it came from the future.
			ref, at := r, now
			for _, c := range cands {
				if c.RequestedAt.After(at) {
					at = c.RequestedAt
				}
			}
			if at.After(now) {
				late := *r
				late.RequestedAt = at
				ref = &late
			}
			d := dedupe.Decide(ref, rule, cands, at)
			if !d.Duplicate {
				return nil, nil
			}
			return &data.DuplicateLink{Primary: d.Primary, Reason: d.Reason}, nil
		}
	}
	storeStart := time.Now()
	stored, created, err := s.app.store.CreateRequest(ctx, it)
	s.metrics.observeStore("create_request", time.Since(storeStart), err)
	if err != nil {
		return nil, err
	}
	if !created {
		// An idempotent retry: the same request, never a second one. A retry
		// that is not the same request reuses the key by mistake.
		if stored.ServiceCode != r.ServiceCode || stored.Lat != r.Lat || stored.Lon != r.Lon || stored.Description != r.Description {
			return nil, data.Errorf(data.ErrConflict, "Idempotency-Key %q was used for %s, a different request", clip(in.IdempotencyKey), stored.Number)
		}
		res := &intakeResult{Request: stored}
		if stored.Kind == data.KindCommunityConcern {
			res.PIN = s.pins.get(it.IdempotencyKey, now)
		}
		return res, nil
	}
	if pin != "" && it.IdempotencyKey != "" {
		s.pins.put(it.IdempotencyKey, pin, now)
	}
	if st.Dedupe.RadiusM > 0 {
		s.metrics.observeDedupe(stored.Duplicate)
	}
	s.app.observers.notify(nil, stored)
	return &intakeResult{Request: stored, Created: true, PIN: pin}, nil
}

// dedupeGroup returns the service codes st deduplicates against (its own,
// or every code of its dedupe group) and the radius the group is locked
// with: the largest of the group, so that every type of a group takes the
// same locks (see dedupe.LockKeys).
func dedupeGroup(j *data.Jurisdiction, st *data.ServiceType) ([]string, float64) {
	if st.Dedupe.Group == "" {
		return []string{st.Code}, st.Dedupe.RadiusM
	}
	var codes []string
	radius := st.Dedupe.RadiusM
	for i := range j.Services {
		o := &j.Services[i]
		if dedupe.SameGroup(j, st.Code, o.Code) {
			codes = append(codes, o.Code)
			radius = max(radius, o.Dedupe.RadiusM)
		}
	}
	return codes, radius
}

// newPIN draws a community concern's PIN (data.PINDigits digits, uniform,
// crypto/rand) and hashes it with the configured PBKDF2 cost.
func newPIN(iterations int) (string, []byte, error) {
	if iterations == data.PINIterations {
		return data.NewPIN()
	}
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", nil, fmt.Errorf("intake: draw PIN: %w", err)
	}
	pin := fmt.Sprintf("%0*d", data.PINDigits, n)
	hash, err := data.HashPIN(pin, iterations)
	return pin, hash, err
}

// checkAttributes checks Open311 attribute values against the service
// definition: known codes, required ones present, the datatype, list values
// among the allowed keys, one value for single-valued attributes.
func checkAttributes(st *data.ServiceType, attrs map[string][]string) error {
	for code := range attrs {
		known := false
		for _, a := range st.Attributes {
			known = known || a.Code == code
		}
		if !known {
			return data.Invalid("attribute["+clip(code)+"]", "is not an attribute of service %s", st.Code)
		}
	}
	for _, a := range st.Attributes {
		field := "attribute[" + a.Code + "]"
		vs := attrs[a.Code]
		if len(vs) == 0 {
			if a.Required {
				return data.Invalid(field, "is required for service %s: %s", st.Code, a.Description)
			}
			continue
		}
		if a.Datatype != "multivaluelist" && len(vs) > 1 {
			return data.Invalid(field, "takes one value, got %d", len(vs))
		}
		for _, v := range vs {
			if err := checkAttributeValue(a, field, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkAttributeValue(a data.Attribute, field, v string) error {
	switch a.Datatype {
	case "number":
		if _, err := parseFinite(v); err != nil {
			return data.Invalid(field, "%q is not a number", clip(v))
		}
	case "datetime":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return data.Invalid(field, "%q is not an ISO 8601 date and time with a zone (2026-05-01T14:30:00-05:00)", clip(v))
		}
	case "singlevaluelist", "multivaluelist":
		for _, av := range a.Values {
			if av.Key == v {
				return nil
			}
		}
		keys := make([]string, len(a.Values))
		for i, av := range a.Values {
			keys[i] = av.Key
		}
		return data.Invalid(field, "%q is not one of %s", clip(v), strings.Join(keys, ", "))
	case "text":
		if n := len([]rune(v)); n > maxDescription {
			return data.Invalid(field, "is %d characters long, at most %d are allowed", n, maxDescription)
		}
	default: // string
		if n := len([]rune(v)); n > maxAttributeString {
			return data.Invalid(field, "is %d characters long, at most %d are allowed", n, maxAttributeString)
		}
	}
	return nil
}

// Input limits.
const (
	maxDescription     = 4000
	maxAttributeString = 500
)

// pinCache holds the PINs of concerns created with an idempotency key for a
// short while, so that a retried POST (its first answer was lost) still
// shows the PIN once more. Nothing else keeps a PIN; after pinCacheTTL a
// retry answers without it.
type pinCache struct {
	mu sync.Mutex
	m  map[string]pinEntry
}

type pinEntry struct {
	pin string
	at  time.Time
}

const (
	pinCacheTTL = 15 * time.Minute
	pinCacheMax = 10_000
)

func newPinCache() *pinCache { return &pinCache{m: map[string]pinEntry{}} }

func (c *pinCache) put(key, pin string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= pinCacheMax {
		for k, e := range c.m {
			if now.Sub(e.at) > pinCacheTTL || len(c.m) >= pinCacheMax {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = pinEntry{pin: pin, at: now}
}

func (c *pinCache) get(key string, now time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) > pinCacheTTL {
		delete(c.m, key)
		return ""
	}
	return e.pin
}

// clip shortens caller input quoted in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
