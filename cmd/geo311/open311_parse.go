package main

import (
	"math"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// Parsers of Open311 input. They are pure functions of the form or query
// values, so they are fuzzed directly (open311_fuzz_test.go); every error
// is data.ErrInvalid naming the Open311 field.

// parseFinite parses a finite float.
func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, data.Invalid("number", "not a finite number")
	}
	return v, nil
}

// single returns the one value of a parameter; repeated values are an error.
func single(v url.Values, k string) (string, error) {
	vs := v[k]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		if !utf8.ValidString(vs[0]) {
			return "", data.Invalid(k, "is not valid UTF-8")
		}
		if strings.ContainsFunc(vs[0], func(r rune) bool { return r == 0 }) {
			return "", data.Invalid(k, "contains a NUL character")
		}
		return strings.TrimSpace(vs[0]), nil
	}
	return "", data.Invalid(k, "given %d times, expected once", len(vs))
}

// textParam reads an optional text parameter of at most max characters.
func textParam(v url.Values, k string, max int) (string, error) {
	s, err := single(v, k)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", data.Invalid(k, "is %d characters long, at most %d are allowed", n, max)
	}
	return s, nil
}

// parseOpen311Post reads a GeoReport v2 POST service request form (without
// api_key, which the handler checks). Shapes only: the service code and the
// attributes are checked against the catalogue by intake.
func parseOpen311Post(form url.Values) (intakeInput, error) {
	in := intakeInput{Origin: data.OriginOpen311}
	var err error
	if in.ServiceCode, err = textParam(form, "service_code", 64); err != nil {
		return in, err
	}
	if in.ServiceCode == "" {
		return in, data.Invalid("service_code", "is required")
	}
	lat, err := single(form, "lat")
	if err != nil {
		return in, err
	}
	lon, err := single(form, "long")
	if err != nil {
		return in, err
	}
	if in.Address, err = textParam(form, "address_string", 500); err != nil {
		return in, err
	}
	if in.AddressID, err = textParam(form, "address_id", 100); err != nil {
		return in, err
	}
	switch {
	case lat == "" && lon == "" && (in.Address != "" || in.AddressID != ""):
		return in, data.Invalid("lat", "lat/long required: geocoding not configured (geo311 cannot locate address_string or address_id; send lat and long with them)")
	case lat == "" && lon == "":
		return in, data.Invalid("lat", "a location is required: lat and long")
	case lat == "":
		return in, data.Invalid("lat", "is required with long")
	case lon == "":
		return in, data.Invalid("long", "is required with lat")
	}
	if in.Lat, err = parseFinite(lat); err != nil || in.Lat < -90 || in.Lat > 90 {
		return in, data.Invalid("lat", "%q is not a latitude between -90 and 90", clip(lat))
	}
	if in.Lon, err = parseFinite(lon); err != nil || in.Lon < -180 || in.Lon > 180 {
		return in, data.Invalid("long", "%q is not a longitude between -180 and 180", clip(lon))
	}
	if in.Description, err = textParam(form, "description", maxDescription); err != nil {
		return in, err
	}
	if in.ZIP, err = textParam(form, "zipcode", 20); err != nil {
		return in, err
	}
	c := &in.Contact
	if c.Email, err = textParam(form, "email", 254); err != nil {
		return in, err
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			return in, data.Invalid("email", "%q is not an email address", clip(c.Email))
		}
	}
	for _, p := range []struct {
		k   string
		dst *string
		max int
	}{{"first_name", &c.FirstName, 100}, {"last_name", &c.LastName, 100}, {"device_id", &c.DeviceID, 200}, {"account_id", &c.AccountID, 200}, {"phone", &c.Phone, 40}} {
		if *p.dst, err = textParam(form, p.k, p.max); err != nil {
			return in, err
		}
	}
	if c.Phone != "" && strings.Trim(c.Phone, "0123456789+-(). x") != "" {
		return in, data.Invalid("phone", "%q is not a phone number", clip(c.Phone))
	}
	if in.MediaURL, err = textParam(form, "media_url", 2000); err != nil {
		return in, err
	}
	if in.MediaURL != "" {
		u, err := url.Parse(in.MediaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return in, data.Invalid("media_url", "%q is not an http or https URL", clip(in.MediaURL))
		}
	}
	// attribute[CODE]=v, and attribute[CODE][]=v for multi-valued lists.
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		code, tail, ok := strings.Cut(rest, "]")
		if !ok || (tail != "" && tail != "[]") || code == "" || len(code) > 64 || !utf8.ValidString(code) {
			return in, data.Invalid(clip(k), "is not an attribute parameter (attribute[CODE] or attribute[CODE][])")
		}
		if in.Attributes == nil {
			in.Attributes = map[string][]string{}
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return in, data.Invalid("attribute["+code+"]", "is not valid UTF-8")
			}
			if v = strings.TrimSpace(v); v != "" {
				in.Attributes[code] = append(in.Attributes[code], v)
			}
		}
		if len(in.Attributes[code]) == 0 {
			delete(in.Attributes, code)
		}
	}
	return in, nil
}

// open311Query is a parsed GET requests query.
type open311Query struct {
	filter     data.RequestFilter
	extensions bool
	page, size int
}

// Paging limits of GET requests.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	maxRadiusM      = 10_000.0
	defaultRadiusM  = 500.0
	maxIDs          = 100
)

// parseOpen311Query reads GET requests parameters: service_request_id (a
// comma list; when given, the other filters are ignored, as the
// specification says), service_code (comma list), start_date/end_date
// (default: the last 90 days), status (open, closed or both), and the
// extensions page/page_size, updated_after/updated_before,
// lat/long/radius (metres) and extensions=true. Public lists never contain
// police-related requests or concerns.
func parseOpen311Query(q url.Values, now time.Time) (open311Query, error) {
	out := open311Query{page: 1, size: defaultPageSize}
	f := &out.filter
	f.ExcludePolice = true
	ext, err := single(q, "extensions")
	if err != nil {
		return out, err
	}
	switch strings.ToLower(ext) {
	case "", "false":
	case "true":
		out.extensions = true
	default:
		return out, data.Invalid("extensions", "%q is not true or false", clip(ext))
	}
	for _, p := range []struct {
		k   string
		dst *int
		max int
	}{{"page", &out.page, 1_000_000}, {"page_size", &out.size, maxPageSize}} {
		s, err := single(q, p.k)
		if err != nil {
			return out, err
		}
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > p.max {
			return out, data.Invalid(p.k, "%q is not a whole number between 1 and %d", clip(s), p.max)
		}
		*p.dst = n
	}
	f.Limit, f.Offset = out.size, (out.page-1)*out.size
	ids, err := single(q, "service_request_id")
	if err != nil {
		return out, err
	}
	if ids != "" {
		for _, id := range strings.Split(ids, ",") {
			n, ok := data.NormalizeNumber(id)
			if !ok {
				return out, data.Invalid("service_request_id", "%q is not a tracking number (like SR26-00000001)", clip(id))
			}
			f.Numbers = append(f.Numbers, n)
		}
		if len(f.Numbers) > maxIDs {
			return out, data.Invalid("service_request_id", "at most %d ids at once, got %d", maxIDs, len(f.Numbers))
		}
		return out, nil
	}
	codes, err := single(q, "service_code")
	if err != nil {
		return out, err
	}
	if codes != "" {
		for _, c := range strings.Split(codes, ",") {
			if c = strings.TrimSpace(c); c == "" || len(c) > 64 {
				return out, data.Invalid("service_code", "%q is not a service code list", clip(codes))
			}
			f.ServiceCodes = append(f.ServiceCodes, c)
		}
	}
	status, err := single(q, "status")
	if err != nil {
		return out, err
	}
	open, closed := false, false
	if status != "" {
		for _, st := range strings.Split(status, ",") {
			switch strings.TrimSpace(strings.ToLower(st)) {
			case "open":
				open = true
			case "closed":
				closed = true
			default:
				return out, data.Invalid("status", "%q is not open or closed", clip(st))
			}
		}
	}
	if open != closed {
		f.Status = map[bool]string{true: "open", false: "closed"}[open]
	}
	times := []struct {
		k   string
		dst *time.Time
	}{{"start_date", &f.From}, {"end_date", &f.To}, {"updated_after", &f.UpdatedAfter}, {"updated_before", &f.UpdatedBefore}}
	for _, p := range times {
		s, err := single(q, p.k)
		if err != nil {
			return out, err
		}
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil || t.Year() < 1900 || t.Year() > 2999 {
			return out, data.Invalid(p.k, "%q is not an ISO 8601 date and time with a zone (2026-05-01T00:00:00-05:00)", clip(s))
		}
		*p.dst = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return out, data.Invalid("end_date", "must be after start_date")
	}
	if f.From.IsZero() && f.To.IsZero() && f.UpdatedAfter.IsZero() && f.UpdatedBefore.IsZero() {
		f.From = now.Add(-90 * data.Day) // the specification's default window
	}
	lat, err := single(q, "lat")
	if err != nil {
		return out, err
	}
	lon, err := single(q, "long")
	if err != nil {
		return out, err
	}
	rad, err := single(q, "radius")
	if err != nil {
		return out, err
	}
	if lat != "" || lon != "" || rad != "" {
		c := &data.Circle{RadiusM: defaultRadiusM}
		if lat == "" || lon == "" {
			return out, data.Invalid(map[bool]string{true: "lat", false: "long"}[lat == ""], "lat and long go together (with an optional radius in metres)")
		}
		if c.Lat, err = parseFinite(lat); err != nil || c.Lat < -90 || c.Lat > 90 {
			return out, data.Invalid("lat", "%q is not a latitude between -90 and 90", clip(lat))
		}
		if c.Lon, err = parseFinite(lon); err != nil || c.Lon < -180 || c.Lon > 180 {
			return out, data.Invalid("long", "%q is not a longitude between -180 and 180", clip(lon))
		}
		if rad != "" {
			if c.RadiusM, err = parseFinite(rad); err != nil || c.RadiusM <= 0 || c.RadiusM > maxRadiusM {
				return out, data.Invalid("radius", "%q is not a radius in metres between 0 and %v", clip(rad), maxRadiusM)
			}
		}
		f.Near = c
	}
	return out, nil
}
