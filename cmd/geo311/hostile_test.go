package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/sqlite"
)

// TestHostileInputs sends a table of hostile inputs to the public and staff
// endpoints of a seeded demo server: SQL injection in filter parameters,
// bodies over the limit, deeply nested JSON, NaN/Inf coordinates, invalid
// UTF-8, an XML entity expansion, path traversal. Each must be refused with
// a 4xx carrying a message (never a 5xx); a read filter may instead answer
// 200 as long as the injected text matched nothing (no seeded request is
// listed; an empty tile is 204). The store holds the same requests afterwards.
func TestHostileInputs(t *testing.T) {
	e := startIntake(t)
	var seeded []string
	for i := 0; i < 3; i++ {
		r := e.post(t, ".json", e.form("GRAF", [2]float64{e.ptB[0] + float64(i)*0.002, e.ptB[1]}, "attribute[SURFACE]", "METAL", "attribute[WHERE]", "FRONT"))
		if r.Status != 201 {
			t.Fatalf("seed: %d %s", r.Status, r.Body)
		}
		seeded = append(seeded, open311List(t, r)[0]["service_request_id"].(string))
	}
	count := func() int {
		db, err := sqlite.Open(context.Background(), e.vars["GEO311_DATABASE"])
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		n, err := db.CountRequests(context.Background(), data.RequestFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()

	staff := []string{"Authorization", "Bearer " + e.staffA}
	admin := []string{"Authorization", "Bearer " + adminKey}
	type hostile struct {
		name, method, path, ctype, body string
		hdr                             []string
		filter                          bool // a read filter: 200 with nothing matched is acceptable
	}
	var cases []hostile
	for _, inj := range []string{`' OR '1'='1`, `1; DROP TABLE requests;--`, `SGA' UNION SELECT * FROM api_keys--`, `%' OR 1=1 --`} {
		q := url.QueryEscape(inj)
		for _, p := range []string{"service_code", "status", "start_date", "end_date", "service_request_id", "lat", "long", "radius"} {
			cases = append(cases, hostile{"open311 list " + p, "GET", "/open311/v2/requests.json?" + p + "=" + q, "", "", nil, true})
		}
		for _, p := range []string{"service_code", "status", "state", "district", "beat", "overdue", "from", "to"} {
			cases = append(cases, hostile{"staff list " + p, "GET", "/v1/requests?" + p + "=" + q, "", "", staff, true})
		}
		for _, p := range []string{"types", "status", "bbox", "from", "to", "duplicates"} {
			cases = append(cases, hostile{"export " + p, "GET", "/v1/export/requests.csv?" + p + "=" + q, "", "", admin, true})
		}
		for _, p := range []string{"service_code", "bbox", "event", "duplicates", "resolution", "zoom", "from", "to"} {
			cases = append(cases, hostile{"heatmap " + p, "GET", "/v1/trends/heatmap?" + p + "=" + q, "", "", nil, true})
		}
		for _, p := range []string{"interval", "end", "layer", "service_code"} {
			cases = append(cases, hostile{"series " + p, "GET", "/v1/trends/series?" + p + "=" + q, "", "", nil, true})
		}
		for _, p := range []string{"weeks", "resolution", "all"} {
			cases = append(cases, hostile{"chronic " + p, "GET", "/v1/trends/chronic?" + p + "=" + q, "", "", nil, true})
		}
		for _, p := range []string{"service_code", "status", "generation", "date"} {
			cases = append(cases, hostile{"tile " + p, "GET", "/tiles/requests/12/1043/1531.mvt?" + p + "=" + q, "", "", nil, true})
		}
		cases = append(cases,
			hostile{"tile layer injection", "GET", "/tiles/" + url.PathEscape(inj) + "/1/0/0.mvt", "", "", nil, false},
			hostile{"request id injection", "GET", "/open311/v2/requests/" + url.PathEscape(inj) + ".json", "", "", nil, false},
			hostile{"staff request injection", "GET", "/v1/requests/" + url.PathEscape(inj), "", "", staff, false},
		)
	}
	nested := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepObj := `{"lat":` + strings.Repeat(`{"a":`, 20_000) + "1" + strings.Repeat("}", 20_000) + `,"lon":-88.3}`
	intake := func(mut func(url.Values)) string {
		f := e.form("SGA", e.ptA, "description", "hostile")
		mut(f)
		return f.Encode()
	}
	const form = "application/x-www-form-urlencoded"
	cases = append(cases,
		hostile{"intake huge body", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("description", strings.Repeat("x", 2<<20)) }), nil, false},
		hostile{"route huge body", "POST", "/v1/route", "application/json", `{"lat":41.2,"lon":-88.3,"x":"` + strings.Repeat("y", 2<<20) + `"}`, nil, false},
		hostile{"route nested arrays", "POST", "/v1/route", "application/json", nested, nil, false},
		hostile{"route nested objects", "POST", "/v1/route", "application/json", deepObj, nil, false},
		hostile{"intake lat NaN", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("lat", "NaN") }), nil, false},
		hostile{"intake long +Inf", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("long", "+Inf") }), nil, false},
		hostile{"intake lat -Infinity", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("lat", "-Infinity") }), nil, false},
		hostile{"intake lat 1e999", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("lat", "1e999") }), nil, false},
		hostile{"route lat Infinity", "POST", "/v1/route", "application/json", `{"lat":Infinity,"lon":-88.3}`, nil, false},
		hostile{"nearby lat NaN", "GET", "/v1/requests/nearby?lat=NaN&lon=-88.3", "", "", nil, false},
		hostile{"whereami lon Inf", "GET", "/v1/whereami?lat=41.2&lon=Inf", "", "", nil, false},
		hostile{"intake invalid UTF-8 description", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("description", "rats \xff\xfe in the \xc3\x28 alley") }), nil, false},
		hostile{"intake invalid UTF-8 address", "POST", "/open311/v2/requests.json", form, intake(func(f url.Values) { f.Set("address_string", "\xed\xa0\x80 Main St") }), nil, false},
		hostile{"list invalid UTF-8 query", "GET", "/open311/v2/requests.json?service_code=%FF%FE", "", "", nil, true},
		hostile{"staff invalid UTF-8 query", "GET", "/v1/requests?district=%C3%28", "", "", staff, true},
		hostile{"intake XML entity expansion", "POST", "/open311/v2/requests.xml", "text/xml",
			`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><request><api_key>` + e.intake + `</api_key><service_code>SGA</service_code><lat>41.2</lat><long>-88.3</long><description>&lol3;</description></request>`, nil, false},
		hostile{"route XML body", "POST", "/v1/route", "text/xml", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><route><lat>&e;</lat></route>`, nil, false},
		hostile{"tile traversal", "GET", "/tiles/../../../../etc/passwd", "", "", nil, false},
		hostile{"tile encoded traversal", "GET", "/tiles/%2e%2e/%2e%2e/etc/passwd", "", "", nil, false},
		hostile{"tile traversal in y", "GET", "/tiles/requests/1/0/..%2f..%2f..%2fetc%2fpasswd", "", "", nil, false},
		hostile{"tilejson traversal", "GET", "/tiles/..%2f..%2fgo.mod", "", "", nil, false},
		hostile{"export traversal", "GET", "/v1/export/..%2f..%2f..%2fetc%2fpasswd", "", "", admin, false},
		hostile{"export encoded traversal", "GET", "/v1/export/%2e%2e%2fgeo311.db", "", "", admin, false},
		hostile{"web traversal", "GET", "/web/../../../../etc/passwd", "", "", nil, false},
		hostile{"web encoded traversal", "GET", "/web/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "", "", nil, false},
		hostile{"web encoded slash traversal", "GET", "/web/..%2f..%2fmain.go", "", "", nil, false},
	)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, e.ts.URL+tc.path, tc.ctype, strings.NewReader(tc.body), tc.hdr...)
			body := string(r.Body)
			for _, leak := range []string{"root:x:0:0", "module github.com/geo311", "package main", "SQLite format"} {
				if strings.Contains(body, leak) {
					t.Fatalf("%s %s leaked %q: %.200s", tc.method, clip(tc.path), leak, body)
				}
			}
			if tc.filter && (r.Status == 200 || r.Status == 204) { // 204: an empty tile
				for _, n := range seeded {
					if strings.Contains(body, n) {
						t.Errorf("%s %s: a hostile filter matched seeded request %s: %.300s", tc.method, clip(tc.path), n, body)
					}
				}
				return
			}
			if r.Status < 400 || r.Status > 499 {
				t.Errorf("%s %s: %d, want a 4xx: %.300s", tc.method, clip(tc.path), r.Status, body)
				return
			}
			if !hasMessage(r.Body) {
				t.Errorf("%s %s: %d without a message: %.300s", tc.method, clip(tc.path), r.Status, body)
			}
		})
	}
	if after := count(); after != before {
		t.Errorf("the store held %d requests before the hostile inputs and %d after", before, after)
	}
	if strings.Contains(e.ts.logs.String(), "status=500") {
		t.Error("a hostile input was answered 500 (see the log)")
	}
}

// hasMessage reports whether an error body carries a message: the API's
// {"error": {"message"}}, Open311's [{"description"}] (JSON or XML), or a
// plain-text line.
func hasMessage(b []byte) bool {
	var api apiError
	if json.Unmarshal(b, &api) == nil && api.Error.Message != "" {
		return true
	}
	var o311 []struct {
		Description string `json:"description"`
	}
	if json.Unmarshal(b, &o311) == nil && len(o311) > 0 && o311[0].Description != "" {
		return true
	}
	s := string(b)
	return strings.Contains(s, "<description>") && !strings.Contains(s, "<description></description>")
}
