package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"math"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

var open311Seeds = []string{
	"service_code=SGA&lat=41.2&long=-88.3&description=rats",
	"service_code=PHF&lat=41.2&long=-88.3&attribute[LOCATION]=CURB_LANE&attribute[COUNT]=3",
	"service_code=SGA&lat=41.2&long=-88.3&attribute[SEEN][]=ALLEY&attribute[SEEN][]=YARD",
	"service_code=SGA&address_string=1234+W+Fullerton",
	"service_code=SGA&lat=NaN&long=Inf",
	"service_code=SGA&lat=41.2&lat=41.3&long=-88",
	"service_code=SGA&lat=41.2&long=-88.3&email=a%40b.org&phone=312-555-0100&media_url=https://x.org/a.jpg",
	"service_code=%ff&lat=1e400&long=-0",
	"attribute[=1&attribute[X]]=2&attribute[]=3",
	"service_request_id=SR26-00000001,CC26-00000002&extensions=true",
	"service_code=SGA,PHF&status=open,closed&start_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00-06:00",
	"lat=41.2&long=-88.3&radius=250&page=2&page_size=10",
	"updated_after=2026-01-01T00:00:00Z&updated_before=2025-01-01T00:00:00Z&status=pending",
	"page=0&page_size=100000&radius=-1",
}

// FuzzOpen311Post: the form parser never panics; what it accepts is
// in range and what it refuses names a field.
func FuzzOpen311Post(f *testing.F) {
	for _, s := range open311Seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		in, err := parseOpen311Post(form)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) == "" {
				t.Fatalf("%q: error without a field or kind: %v", raw, err)
			}
			return
		}
		if in.ServiceCode == "" || math.IsNaN(in.Lat) || in.Lat < -90 || in.Lat > 90 || in.Lon < -180 || in.Lon > 180 {
			t.Fatalf("%q: accepted %+v", raw, in)
		}
		if utf8.RuneCountInString(in.Description) > maxDescription || !utf8.ValidString(in.Description) {
			t.Fatalf("%q: description accepted", raw)
		}
		for code, vs := range in.Attributes {
			if code == "" || len(vs) == 0 {
				t.Fatalf("%q: attribute %q %q", raw, code, vs)
			}
		}
	})
}

// FuzzOpen311Query: the GET parser never panics, always excludes police
// items, and keeps paging in bounds.
func FuzzOpen311Query(f *testing.F) {
	for _, s := range open311Seeds {
		f.Add(s)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		out, err := parseOpen311Query(q, now)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) == "" {
				t.Fatalf("%q: error without a field or kind: %v", raw, err)
			}
			return
		}
		f := out.filter
		if !f.ExcludePolice || f.Limit < 1 || f.Limit > maxPageSize || f.Offset < 0 || len(f.Numbers) > maxIDs {
			t.Fatalf("%q: %+v", raw, f)
		}
		if c := f.Near; c != nil && (!(c.RadiusM > 0) || c.RadiusM > maxRadiusM || math.IsNaN(c.Lat)) {
			t.Fatalf("%q: circle %+v", raw, c)
		}
		if f.Status != "" && f.Status != "open" && f.Status != "closed" {
			t.Fatalf("%q: status %q", raw, f.Status)
		}
	})
}

func TestOpen311QueryDefaults(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		raw   string
		check func(open311Query) bool
	}{
		{"", func(q open311Query) bool {
			return q.filter.From.Equal(now.Add(-90*data.Day)) && q.filter.Limit == defaultPageSize
		}},
		{"status=open,closed", func(q open311Query) bool { return q.filter.Status == "" }},
		{"status=closed", func(q open311Query) bool { return q.filter.Status == "closed" }},
		{"page=3&page_size=10", func(q open311Query) bool { return q.filter.Offset == 20 && q.filter.Limit == 10 }},
		{"lat=41&long=-87", func(q open311Query) bool { return q.filter.Near.RadiusM == defaultRadiusM }},
		{"service_request_id=sr26-00000001&status=bogus", func(q open311Query) bool { return q.filter.Numbers[0] == "SR26-00000001" }},
		{"updated_after=2026-05-01T00:00:00-05:00", func(q open311Query) bool { return q.filter.From.IsZero() && !q.filter.UpdatedAfter.IsZero() }},
	} {
		v, _ := url.ParseQuery(tc.raw)
		q, err := parseOpen311Query(v, now)
		if err != nil || !tc.check(q) {
			t.Errorf("%q: %v %+v", tc.raw, err, q.filter)
		}
	}
	for raw, field := range map[string]string{"status=pending": "status", "start_date=yesterday": "start_date",
		"lat=41": "long", "radius=100000&lat=1&long=1": "radius", "page_size=0": "page_size", "extensions=maybe": "extensions",
		"start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z": "end_date", "service_request_id=DROP TABLE": "service_request_id"} {
		v, _ := url.ParseQuery(raw)
		if _, err := parseOpen311Query(v, now); data.ErrorField(err) != field {
			t.Errorf("%q: %v, want field %s", raw, err, field)
		}
	}
}

func TestOpen311EncodingNullsAndXML(t *testing.T) {
	o := obj{{"a", "x<&>"}, {"n", nil}, {"b", true}, {"i", 3}, {"f", 1.5}, {"l", list{item: "it", items: []obj{{{"k", "v"}}}}},
		{"s", strList{item: "format", vals: []string{"a", "b"}}}}
	var j bytes.Buffer
	jsonValue(&j, o)
	if want := `{"a":"x\u003c\u0026\u003e","n":null,"b":true,"i":3,"f":1.5,"l":[{"k":"v"}],"s":["a","b"]}`; j.String() != want {
		t.Errorf("JSON\n got %s\nwant %s", j.String(), want)
	}
	var x bytes.Buffer
	xmlValue(&x, "root", o)
	want := `<root><a>x&lt;&amp;&gt;</a><b>true</b><i>3</i><f>1.5</f><l><it><k>v</k></it></l><s><format>a</format><format>b</format></s></root>`
	if x.String() != want {
		t.Errorf("XML\n got %s\nwant %s", x.String(), want)
	}
	var v any
	if err := xml.Unmarshal(x.Bytes(), &v); err != nil {
		t.Errorf("XML does not parse: %v", err)
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter("tries", 3, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if _, err := l.take("a", t0); err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	wait, err := l.take("a", t0)
	if !errors.Is(err, data.ErrRateLimited) || wait != time.Minute {
		t.Fatalf("4th try: %v %v", wait, err)
	}
	if _, err := l.take("b", t0); err != nil {
		t.Errorf("another key is limited: %v", err)
	}
	if _, err := l.take("a", t0.Add(30*time.Second)); err == nil {
		t.Error("half a token was enough")
	}
	if _, err := l.take("a", t0.Add(61*time.Second)); err != nil {
		t.Errorf("refilled token refused: %v", err)
	}
}

func TestCheckAttributes(t *testing.T) {
	st := &data.ServiceType{Code: "X", Attributes: []data.Attribute{
		{Code: "L", Datatype: "singlevaluelist", Required: true, Values: []data.AttributeValue{{Key: "A"}, {Key: "B"}}},
		{Code: "M", Datatype: "multivaluelist", Values: []data.AttributeValue{{Key: "A"}, {Key: "B"}}},
		{Code: "N", Datatype: "number"},
		{Code: "D", Datatype: "datetime"},
	}}
	for _, tc := range []struct {
		attrs map[string][]string
		field string
	}{
		{map[string][]string{"L": {"A"}}, ""},
		{map[string][]string{"L": {"A"}, "M": {"A", "B"}, "N": {"2.5"}, "D": {"2026-01-01T10:00:00-06:00"}}, ""},
		{map[string][]string{}, "attribute[L]"},
		{map[string][]string{"L": {"A", "B"}}, "attribute[L]"},
		{map[string][]string{"L": {"C"}}, "attribute[L]"},
		{map[string][]string{"L": {"A"}, "M": {"A", "Z"}}, "attribute[M]"},
		{map[string][]string{"L": {"A"}, "N": {"Inf"}}, "attribute[N]"},
		{map[string][]string{"L": {"A"}, "D": {"tomorrow"}}, "attribute[D]"},
		{map[string][]string{"L": {"A"}, "Q": {"1"}}, "attribute[Q]"},
	} {
		if got := data.ErrorField(checkAttributes(st, tc.attrs)); got != tc.field {
			t.Errorf("%v: field %q, want %q", tc.attrs, got, tc.field)
		}
	}
}
