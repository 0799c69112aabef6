package main

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

// Query parameter parsing shared by the trends, reports, tiles and export
// endpoints and the export command. Every error is data.Invalid naming the
// parameter.

const (
	maxListItems = 100
	maxParamLen  = 4096
)

// paramList reads a list parameter given comma-separated and/or repeated.
func paramList(q url.Values, name string) ([]string, error) {
	var out []string
	for _, v := range q[name] {
		if len(v) > maxParamLen || !utf8.ValidString(v) {
			return nil, data.Invalid(name, "too long or not UTF-8")
		}
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	if len(out) > maxListItems {
		return nil, data.Invalid(name, "at most %d values", maxListItems)
	}
	return out, nil
}

// paramTime reads an RFC 3339 time or a date (local midnight in loc).
func paramTime(name, s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return time.Time{}, data.Invalid(name, "%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}

// paramWindow reads from and to; to must be after from when both are given.
func paramWindow(q url.Values, loc *time.Location) (from, to time.Time, err error) {
	if from, err = paramTime("from", q.Get("from"), loc); err != nil {
		return
	}
	if to, err = paramTime("to", q.Get("to"), loc); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		err = data.Invalid("to", "must be after from")
	}
	return
}

// paramBBox reads minlon,minlat,maxlon,maxlat.
func paramBBox(name, s string) (*orb.Bound, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, data.Invalid(name, "give minlon,minlat,maxlon,maxlat")
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, data.Invalid(name, "%q is not a number", p)
		}
		v[i] = f
	}
	if v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return nil, data.Invalid(name, "coordinates out of range (lon -180..180, lat -90..90)")
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, data.Invalid(name, "min must not exceed max")
	}
	return &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// paramBool reads a boolean parameter ("" is def).
func paramBool(name, s string, def bool) (bool, error) {
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, data.Invalid(name, "%q is not true or false", s)
	}
	return b, nil
}

// paramDuplicates reads duplicates=include|exclude|only (also true/false).
func paramDuplicates(s string, def data.DuplicateFilter) (data.DuplicateFilter, error) {
	switch strings.ToLower(s) {
	case "":
		return def, nil
	case "include", "true", "1", "yes":
		return data.DuplicatesInclude, nil
	case "exclude", "false", "0", "no":
		return data.DuplicatesExclude, nil
	case "only":
		return data.DuplicatesOnly, nil
	}
	return 0, data.Invalid("duplicates", "%q is not include, exclude or only", s)
}

// paramInt reads an integer in [lo, hi] ("" is def).
func paramInt(name, s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, data.Invalid(name, "%q is not a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

// areaLayers are the query parameters naming one area each.
var areaLayers = []data.Layer{data.LayerBeat, data.LayerSector, data.LayerDistrict, data.LayerWard, data.LayerCommunityArea, data.LayerPrecinct}

// areaID normalises an area id as the jurisdiction stores it (Chicago
// districts padded to 2 digits, beats to 4).
func areaID(j *data.Jurisdiction, layer data.Layer, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 64 || !utf8.ValidString(id) {
		return "", data.Invalid(string(layer), "give an area id of at most 64 characters")
	}
	spec, ok := j.LayerSpec(layer)
	if !ok {
		return "", data.Invalid(string(layer), "%s is not a layer of %s (%s)", layer, j.ID, layerNames(j))
	}
	pad := spec.PadID
	if spec.DerivedFrom != "" && pad == 0 {
		if base, ok := j.LayerSpec(spec.DerivedFrom); ok && base.PadID > 0 {
			pad = base.PadID - 1
		}
	}
	return geo.NormalizeID(id, pad), nil
}

// paramAreas reads the area parameters (district=012, beat=..., and
// area=layer:id, repeatable) as area references.
func paramAreas(q url.Values, j *data.Jurisdiction) ([]data.AreaRef, error) {
	var out []data.AreaRef
	add := func(field string, layer data.Layer, id string) error {
		nid, err := areaID(j, layer, id)
		if err != nil {
			return data.Invalid(field, "%s", data.ErrorMessage(err))
		}
		out = append(out, data.AreaRef{Layer: layer, ID: nid})
		return nil
	}
	for _, l := range areaLayers {
		vs, err := paramList(q, string(l))
		if err != nil {
			return nil, err
		}
		if len(vs) > 1 {
			return nil, data.Invalid(string(l), "give one %s", l)
		}
		for _, v := range vs {
			if err := add(string(l), l, v); err != nil {
				return nil, err
			}
		}
	}
	vs, err := paramList(q, "area")
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		layer, id, ok := strings.Cut(v, ":")
		if !ok {
			return nil, data.Invalid("area", "%q is not layer:id (e.g. district:012)", v)
		}
		l, err := data.ParseLayer(layer)
		if err != nil {
			return nil, data.Invalid("area", "%s", data.ErrorMessage(err))
		}
		if err := add("area", l, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseRequestFilter reads the filters of the export endpoints and command
// (and the public scan of the status report): from/to, types, status,
// areas, bbox, duplicates. Public scans exclude police-related requests and
// community concerns.
func parseRequestFilter(q url.Values, j *data.Jurisdiction, loc *time.Location) (data.RequestFilter, error) {
	f := data.RequestFilter{ExcludePolice: true, Ascending: true}
	var err error
	if f.From, f.To, err = paramWindow(q, loc); err != nil {
		return f, err
	}
	if f.ServiceCodes, err = paramList(q, "types"); err != nil {
		return f, err
	}
	for _, c := range f.ServiceCodes {
		if _, ok := j.Service(c); !ok {
			return f, data.Invalid("types", "%q is not a service code of %s", truncate(c, 40), j.ID)
		}
	}
	switch s := q.Get("status"); s {
	case "", "open", "closed":
		f.Status = s
	default:
		return f, data.Invalid("status", "%q is not open or closed", truncate(s, 40))
	}
	if f.Areas, err = paramAreas(q, j); err != nil {
		return f, err
	}
	if f.BBox, err = paramBBox("bbox", q.Get("bbox")); err != nil {
		return f, err
	}
	if f.Duplicates, err = paramDuplicates(q.Get("duplicates"), data.DuplicatesInclude); err != nil {
		return f, err
	}
	return f, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// filterSummary describes a filter for logs and command output.
func filterSummary(f data.RequestFilter) string {
	var parts []string
	if !f.From.IsZero() {
		parts = append(parts, "from "+f.From.Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		parts = append(parts, "to "+f.To.Format(time.RFC3339))
	}
	if len(f.ServiceCodes) > 0 {
		parts = append(parts, "types "+strings.Join(f.ServiceCodes, ","))
	}
	if f.Status != "" {
		parts = append(parts, "status "+f.Status)
	}
	for _, a := range f.Areas {
		parts = append(parts, fmt.Sprintf("%s %s", a.Layer, a.ID))
	}
	if f.BBox != nil {
		parts = append(parts, fmt.Sprintf("bbox %v,%v,%v,%v", f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1]))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, ", ")
}
