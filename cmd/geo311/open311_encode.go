package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/cmd/geo311/internal/apierr"
	"github.com/geo311/geo311/data"
)

// Open311 documents are built as ordered fields so that one value encodes
// as JSON and as GeoReport v2 XML with the same element order. A nil value
// is JSON null and an absent XML element; empty optional values are left
// out by the builders (never empty strings).
type field struct {
	k string
	v any // string, int, float64, bool, nil, time.Time, obj, list, strList, json.RawMessage (JSON only)
}

type obj []field

// list is a repeated element: JSON array of objects; XML <item>... inside
// the parent element.
type list struct {
	item  string
	items []obj
}

// strList is a repeated string element.
type strList struct {
	item string
	vals []string
}

// set appends a field when the value is not empty.
func (o *obj) opt(k string, v string) {
	if v != "" {
		*o = append(*o, field{k, v})
	}
}

func (o *obj) add(k string, v any) { *o = append(*o, field{k, v}) }

// format is the representation an Open311 endpoint answers with.
type format int

const (
	formatJSON format = iota
	formatXML
)

// open311Format reads the format from a path or id suffix (".json",
// ".xml"; none means JSON) and returns the rest.
func open311Format(s string) (string, format) {
	if b, ok := strings.CutSuffix(s, ".xml"); ok {
		return b, formatXML
	}
	if b, ok := strings.CutSuffix(s, ".json"); ok {
		return b, formatJSON
	}
	return s, formatJSON
}

// formatOf is the format of a request by its path's suffix.
func formatOf(r *http.Request) format {
	_, f := open311Format(r.URL.Path)
	return f
}

// writeOpen311 sends a document: root is the XML root element of a list
// document (for a single object, the object's element).
func writeOpen311(w http.ResponseWriter, f format, status int, root string, v any) {
	var buf bytes.Buffer
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if f == formatXML {
		buf.WriteString(xml.Header)
		xmlValue(&buf, root, v)
		buf.WriteByte('\n')
		h.Set("Content-Type", "text/xml; charset=utf-8")
	} else {
		jsonValue(&buf, v)
		buf.WriteByte('\n')
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func jsonValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case obj:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, f.k)
			b.WriteByte(':')
			jsonValue(b, f.v)
		}
		b.WriteByte('}')
	case list:
		b.WriteByte('[')
		for i, o := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonValue(b, o)
		}
		b.WriteByte(']')
	case strList:
		b.WriteByte('[')
		for i, s := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, s)
		}
		b.WriteByte(']')
	case string:
		jsonString(b, v)
	case time.Time:
		jsonString(b, v.Format(time.RFC3339))
	case json.RawMessage:
		b.Write(v)
	default:
		j, err := json.Marshal(v)
		if err != nil {
			b.WriteString("null")
			return
		}
		b.Write(j)
	}
}

func jsonString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s) // strings always marshal (invalid UTF-8 becomes U+FFFD)
	b.Write(j)
}

func xmlValue(b *bytes.Buffer, name string, v any) {
	switch v := v.(type) {
	case nil:
		return
	case list:
		b.WriteString("<" + name + ">")
		for _, o := range v.items {
			xmlValue(b, v.item, o)
		}
		b.WriteString("</" + name + ">")
		return
	case strList:
		b.WriteString("<" + name + ">")
		for _, s := range v.vals {
			xmlValue(b, v.item, s)
		}
		b.WriteString("</" + name + ">")
		return
	case json.RawMessage:
		return
	}
	b.WriteString("<" + name + ">")
	switch v := v.(type) {
	case obj:
		for _, f := range v {
			xmlValue(b, f.k, f.v)
		}
	case string:
		xml.EscapeText(b, []byte(v))
	case time.Time:
		b.WriteString(v.Format(time.RFC3339))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	}
	b.WriteString("</" + name + ">")
}

// writeOpen311Error answers with GeoReport v2's error document,
// [{"code": 400, "description": "..."}], in the request's format. Status
// and message come from the one mapping (internal/apierr); a missing or bad
// API key is 403, as the specification says.
func writeOpen311Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	_, status, known := apierr.Classify(err)
	d := apierr.DetailOf(err)
	id := requestID(r.Context())
	if !known {
		log.Error("internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err.Error())
	} else if status >= 500 {
		log.Warn("unavailable", "request_id", id, "error", err.Error())
	}
	if status == http.StatusUnauthorized {
		status = http.StatusForbidden
	}
	desc := d.Message
	if d.Field != "" {
		desc = d.Field + ": " + desc
	}
	if !known {
		desc += " (request " + id + ")"
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeOpen311(w, formatOf(r), status, "errors", list{item: "error", items: []obj{{{"code", status}, {"description", desc}}}})
}

// open311Time formats an instant in the jurisdiction's zone; zero is absent.
func (s *server) open311Time(o *obj, k string, t time.Time) {
	if !t.IsZero() {
		o.add(k, t.In(s.app.loc))
	}
}

// publicRequest is a request as anyone may see it: never contact fields,
// PIN hashes, attributes or internal notes. With ext, the extended
// attributes and the public notes (notes may be nil).
func (s *server) publicRequest(r *data.Request, ext bool, notes []data.Note) obj {
	o := obj{{"service_request_id", r.Number}, {"status", r.State.Open311()}}
	if r.State.Closed() && r.Disposition != "" {
		o.add("status_notes", r.Disposition)
	}
	o.opt("service_name", r.ServiceName)
	o.opt("service_code", r.ServiceCode)
	o.opt("description", r.Description)
	o.opt("agency_responsible", r.Department)
	s.open311Time(&o, "requested_datetime", r.RequestedAt)
	s.open311Time(&o, "updated_datetime", r.UpdatedAt)
	if t, ok := data.ExpectedAt(r); ok && !r.State.Closed() {
		s.open311Time(&o, "expected_datetime", t)
	}
	o.opt("address", r.Address)
	o.opt("address_id", r.AddressID)
	o.opt("zipcode", r.ZIP)
	o.add("lat", r.Lat)
	o.add("long", r.Lon)
	o.opt("media_url", r.MediaURL)
	if !ext {
		return o
	}
	var areas []obj
	for _, a := range r.Areas {
		ao := obj{{"layer", string(a.Layer)}, {"id", a.ID}}
		ao.opt("name", a.Name)
		ao.opt("generation", a.Generation)
		areas = append(areas, ao)
	}
	ea := obj{{"areas", list{item: "area", items: areas}}}
	ea.opt("department", r.Department)
	ea.opt("unit", r.Unit)
	ea.add("state", string(r.State))
	ea.add("duplicate", r.Duplicate)
	if r.Duplicate && r.ParentNumber != "" {
		ea.add("parent_service_request_id", r.ParentNumber)
	} else {
		ea.add("parent_service_request_id", nil)
	}
	ea.add("duplicate_count", r.DuplicateCount)
	ea.add("me_too", r.MeToo)
	o.add("extended_attributes", ea)
	o.add("notes", list{item: "note", items: publicNotes(s, notes)})
	return o
}

// publicNotes lists the notes anyone may read: every note not marked
// internal, with its time, event and public text (not the actor, the
// reason or the assignee, which may name people or carry details for
// staff; see data.PublicText).
func publicNotes(s *server, notes []data.Note) []obj {
	var out []obj
	for _, n := range notes {
		if n.Internal {
			continue
		}
		no := obj{}
		s.open311Time(&no, "datetime", n.At)
		no.add("type", string(n.Event))
		no.opt("summary", data.PublicText(n))
		out = append(out, no)
	}
	return out
}
