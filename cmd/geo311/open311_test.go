package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// intakeEnv is a demo server with keys: an intake key and staff keys for
// two districts, and two points in those districts.
type intakeEnv struct {
	ts                   *testServer
	vars                 map[string]string
	intake               string
	staffA, staffB       string
	admin                string
	districtA, districtB string
	ptA, ptB             [2]float64 // lat, lon
}

func startIntake(t *testing.T) *intakeEnv {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(dir, "geo311.db"), "GEO311_ADMIN_KEY": adminKey,
		"GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0", "GEO311_KEY_CACHE_TTL": "200ms"}
	e := &intakeEnv{vars: vars, admin: adminKey}
	e.intake = strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "test intake"))
	e.ts = startServe(t, vars, "--demo")
	// Two points of the demo city in different districts.
	for lat := 41.16; lat < 41.28 && e.districtB == ""; lat += 0.013 {
		for lon := -88.40; lon < -88.20 && e.districtB == ""; lon += 0.017 {
			a, resp := route(t, e.ts.URL, lat, lon, "")
			if resp.Status != 200 {
				continue
			}
			d := a.area(data.LayerDistrict)
			switch {
			case d == "":
			case e.districtA == "":
				e.districtA, e.ptA = d, [2]float64{lat, lon}
			case d != e.districtA:
				e.districtB, e.ptB = d, [2]float64{lat, lon}
			}
		}
	}
	if e.districtB == "" {
		t.Fatal("no two demo districts found")
	}
	e.staffA = strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "staff", "--district", e.districtA, "--name", "Sgt A"))
	e.staffB = strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "supervisor", "--district", e.districtB, "--name", "Lt B"))
	return e
}

// post files a request through Open311 (form-encoded).
func (e *intakeEnv) post(t *testing.T, suffix string, form url.Values, hdr ...string) *response {
	t.Helper()
	return do(t, "POST", e.ts.URL+"/open311/v2/requests"+suffix, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), hdr...)
}

func (e *intakeEnv) form(code string, pt [2]float64, extra ...string) url.Values {
	f := url.Values{"api_key": {e.intake}, "service_code": {code}, "lat": {fmt.Sprint(pt[0])}, "long": {fmt.Sprint(pt[1])}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

type open311Item map[string]any

func open311List(t *testing.T, r *response) []open311Item {
	t.Helper()
	var out []open311Item
	r.JSON(t, &out)
	return out
}

var numberRE = regexp.MustCompile(`^SR\d\d-\d{8}$`)

func TestOpen311PostReadAndPrivacy(t *testing.T) {
	e := startIntake(t)
	const email, phone, first = "resident.secret@example.org", "312-555-0199", "Zebulon"
	f := e.form("SGA", e.ptA, "description", "Rats in the alley behind the garage", "email", email, "phone", phone,
		"first_name", first, "attribute[SEEN][]", "ALLEY", "address_string", "1234 W Fullerton Ave")
	f.Add("attribute[SEEN][]", "YARD")
	resp := e.post(t, ".json", f)
	if resp.Status != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("POST: %d %s", resp.Status, resp.Body)
	}
	got := open311List(t, resp)
	id, _ := got[0]["service_request_id"].(string)
	if len(got) != 1 || !numberRE.MatchString(id) || got[0]["service_notice"] == "" || got[0]["expected_datetime"] == nil {
		t.Fatalf("POST answer: %s", resp.Body)
	}
	if v, ok := got[0]["account_id"]; !ok || v != nil {
		t.Errorf("account_id should be null: %s", resp.Body)
	}

	one := do(t, "GET", e.ts.URL+"/open311/v2/requests/"+id+".json?extensions=true", "", nil)
	if one.Status != 200 {
		t.Fatalf("GET by id: %d %s", one.Status, one.Body)
	}
	item := open311List(t, one)[0]
	if item["service_code"] != "SGA" || item["status"] != "open" || item["address"] != "1234 W Fullerton Ave" {
		t.Errorf("GET by id: %s", one.Body)
	}
	if rt, _ := item["requested_datetime"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[-+]\d\d:\d\d)$`).MatchString(rt) {
		t.Errorf("requested_datetime %q is not ISO 8601 with a zone", rt)
	}
	ea, _ := item["extended_attributes"].(map[string]any)
	if ea == nil || ea["duplicate"] != false || ea["department"] == nil || len(ea["areas"].([]any)) == 0 {
		t.Errorf("extended attributes: %s", one.Body)
	}
	for k, v := range item {
		if v == "" {
			t.Errorf("field %s is an empty string", k)
		}
	}

	x := do(t, "GET", e.ts.URL+"/open311/v2/requests/"+id+".xml", "", nil)
	if x.Status != 200 || !strings.HasPrefix(x.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("XML: %d %s %s", x.Status, x.Header.Get("Content-Type"), x.Body)
	}
	var doc struct {
		Requests []struct {
			ID     string `xml:"service_request_id"`
			Status string `xml:"status"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(x.Body, &doc); err != nil || len(doc.Requests) != 1 || doc.Requests[0].ID != id {
		t.Errorf("XML: %v %s", err, x.Body)
	}
	if tok := do(t, "GET", e.ts.URL+"/open311/v2/tokens/"+id+".json", "", nil); tok.Status != 200 || !strings.Contains(string(tok.Body), id) {
		t.Errorf("token: %d %s", tok.Status, tok.Body)
	}

	// A concern: never listed, only readable with its PIN.
	cc := e.post(t, ".json", e.form("CC-NOISE", e.ptA, "description", "Loud parties every night", "email", email))
	if cc.Status != 201 {
		t.Fatalf("concern: %d %s", cc.Status, cc.Body)
	}
	ccNum := open311List(t, cc)[0]["service_request_id"].(string)

	// Crawl every public read for the private strings and the concern.
	public := []string{
		"/open311/v2/requests.json", "/open311/v2/requests.xml", "/open311/v2/requests.json?extensions=true",
		"/open311/v2/requests.xml?extensions=true", "/open311/v2/requests/" + id + ".json?extensions=true",
		"/open311/v2/requests/" + id + ".xml?extensions=true", "/open311/v2/requests.json?service_request_id=" + id + "," + ccNum,
		fmt.Sprintf("/open311/v2/requests.json?lat=%v&long=%v&radius=2000", e.ptA[0], e.ptA[1]),
		fmt.Sprintf("/v1/requests/nearby?lat=%v&lon=%v&service_code=SGA", e.ptA[0], e.ptA[1]),
		fmt.Sprintf("/v1/requests/nearby?lat=%v&lon=%v&service_code=CC-NOISE", e.ptA[0], e.ptA[1]),
		"/open311/v2/services.json", "/open311/v2/services/SGA.xml", "/open311/v2/discovery.json",
	}
	sawID := false
	for _, p := range public {
		r := do(t, "GET", e.ts.URL+p, "", nil)
		if r.Status != 200 {
			t.Errorf("%s: %d %s", p, r.Status, r.Body)
		}
		body := string(r.Body)
		sawID = sawID || strings.Contains(body, id)
		for _, secret := range []string{email, phone, first, ccNum, "pbkdf2", "Loud parties"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q:\n%s", p, secret, body)
			}
		}
	}
	if !sawID {
		t.Error("the public reads never listed the request")
	}
	if r := do(t, "GET", e.ts.URL+"/open311/v2/requests/"+ccNum+".json", "", nil); r.Status != 404 {
		t.Errorf("concern by id without PIN: %d %s", r.Status, r.Body)
	}
}

func TestOpen311BadInput(t *testing.T) {
	e := startIntake(t)
	long := strings.Repeat("a", 4001)
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no service code", url.Values{"api_key": {e.intake}, "lat": {"41.2"}, "long": {"-88.3"}}, "service_code"},
		{"unknown service", e.form("NOPE", e.ptA), "service_code"},
		{"no location", url.Values{"api_key": {e.intake}, "service_code": {"SGA"}}, "lat"},
		{"address only", url.Values{"api_key": {e.intake}, "service_code": {"SGA"}, "address_string": {"1234 W Fullerton"}}, "lat"},
		{"lat without long", url.Values{"api_key": {e.intake}, "service_code": {"SGA"}, "lat": {"41.2"}}, "long"},
		{"lat out of range", e.form("SGA", [2]float64{91, -88.3}), "lat"},
		{"long not a number", e.form("SGA", e.ptA, "long", "west"), "long"},
		{"NaN", e.form("SGA", e.ptA, "lat", "NaN"), "lat"},
		{"description too long", e.form("SGA", e.ptA, "description", long), "description"},
		{"obscene description", e.form("SGA", e.ptA, "description", "these fucking rats"), "description"},
		{"unknown attribute", e.form("SGA", e.ptA, "attribute[COLOR]", "red"), "attribute[COLOR]"},
		{"bad list value", e.form("PHF", e.ptA, "attribute[LOCATION]", "ROOF"), "attribute[LOCATION]"},
		{"required attribute missing", e.form("PHF", e.ptA), "attribute[LOCATION]"},
		{"number attribute", e.form("PHF", e.ptA, "attribute[LOCATION]", "CURB_LANE", "attribute[COUNT]", "many"), "attribute[COUNT]"},
		{"bad email", e.form("SGA", e.ptA, "email", "not-an-address"), "email"},
		{"bad media url", e.form("SGA", e.ptA, "media_url", "javascript:alert(1)"), "media_url"},
		{"bad phone", e.form("SGA", e.ptA, "phone", "call me maybe"), "phone"},
		{"repeated lat", url.Values{"api_key": {e.intake}, "service_code": {"SGA"}, "lat": {"41.2", "41.3"}, "long": {"-88.3"}}, "lat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, suffix := range []string{".json", ".xml"} {
				r := e.post(t, suffix, tc.form)
				if r.Status != 400 {
					t.Fatalf("%s: %d %s", suffix, r.Status, r.Body)
				}
				var desc string
				if suffix == ".json" {
					errs := open311List(t, r)
					if len(errs) != 1 || errs[0]["code"] != float64(400) {
						t.Fatalf("error body: %s", r.Body)
					}
					desc = errs[0]["description"].(string)
				} else {
					var doc struct {
						Errors []struct {
							Code int    `xml:"code"`
							Desc string `xml:"description"`
						} `xml:"error"`
					}
					if err := xml.Unmarshal(r.Body, &doc); err != nil || len(doc.Errors) != 1 || doc.Errors[0].Code != 400 {
						t.Fatalf("XML error body: %v %s", err, r.Body)
					}
					desc = doc.Errors[0].Desc
				}
				if !strings.HasPrefix(desc, tc.field+": ") {
					t.Errorf("%s: description %q does not name %s", suffix, desc, tc.field)
				}
			}
		})
	}
	if r := e.post(t, ".json", e.form("SGA", e.ptA, "address_string", "1 N State St")); r.Status != 201 {
		t.Errorf("address with lat/long: %d %s", r.Status, r.Body)
	}
	if r := e.post(t, ".json", e.form("EMERGENCY", e.ptA)); r.Status != 422 || !strings.Contains(string(r.Body), "911") {
		t.Errorf("emergency: %d %s", r.Status, r.Body)
	}
	// Keys: missing, malformed, unknown, and a revoked one.
	noKey := e.form("SGA", e.ptA)
	noKey.Del("api_key")
	for name, key := range map[string]string{"missing": "", "garbage": "letmein", "unknown": "g311_k_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZ"} {
		f := e.form("SGA", e.ptA)
		f.Set("api_key", key)
		if key == "" {
			f = noKey
		}
		if r := e.post(t, ".json", f); r.Status != 403 || !strings.Contains(string(r.Body), "api_key") {
			t.Errorf("%s key: %d %s", name, r.Status, r.Body)
		}
	}
	list := mustCLI(t, e.vars, "keys", "list", "--demo")
	id, err := data.ParseAPIKeySecret(e.intake)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, id) || strings.Contains(list, e.intake) {
		t.Fatalf("keys list (must show the id, never the secret):\n%s", list)
	}
	// Revoked by another process: the server refuses the key once its
	// cached copy is older than --key-cache-ttl (startIntake: 200ms).
	mustCLI(t, e.vars, "keys", "revoke", "--demo", id)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := e.post(t, ".json", e.form("SGA", e.ptA))
		if r.Status == 403 {
			break
		}
		if r.Status != 201 || time.Now().After(deadline) {
			t.Fatalf("revoked key: %d %s", r.Status, r.Body)
		}
	}
	if strings.Contains(e.ts.logs.String(), e.intake) {
		t.Error("the log contains an API key secret")
	}
}

func TestOpen311IdempotencyAndDedupe(t *testing.T) {
	e := startIntake(t)
	f := e.form("GRAF", e.ptB, "attribute[SURFACE]", "METAL", "attribute[WHERE]", "FRONT", "description", "tags on the door")
	first := e.post(t, ".json", f, "Idempotency-Key", "abc-123")
	again := e.post(t, ".json", f, "Idempotency-Key", "abc-123")
	if first.Status != 201 || again.Status != 200 {
		t.Fatalf("retry: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	n1, n2 := open311List(t, first)[0]["service_request_id"], open311List(t, again)[0]["service_request_id"]
	if n1 != n2 {
		t.Errorf("a retry made a second request: %v and %v", n1, n2)
	}
	other := e.form("GRAF", [2]float64{e.ptB[0] + 0.01, e.ptB[1]}, "attribute[SURFACE]", "METAL", "attribute[WHERE]", "FRONT")
	if r := e.post(t, ".json", other, "Idempotency-Key", "abc-123"); r.Status != 409 {
		t.Errorf("key reused for another request: %d %s", r.Status, r.Body)
	}

	// Eight concurrent near-identical rodent reports: one primary.
	pt := [2]float64{e.ptA[0] + 0.0003, e.ptA[1] + 0.0003}
	var wg sync.WaitGroup
	nums := make([]string, 8)
	for i := range nums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.post(t, ".json", e.form("SGA", [2]float64{pt[0] + float64(i)*1e-5, pt[1]}, "description", "rats near the alley garbage carts"))
			if r.Status != 201 {
				t.Errorf("concurrent intake: %d %s", r.Status, r.Body)
				return
			}
			var got []open311Item
			json.Unmarshal(r.Body, &got)
			nums[i], _ = got[0]["service_request_id"].(string)
		}()
	}
	wg.Wait()
	q := url.Values{"service_request_id": {strings.Join(nums, ",")}, "extensions": {"true"}}
	items := open311List(t, do(t, "GET", e.ts.URL+"/open311/v2/requests.json?"+q.Encode(), "", nil))
	primaries := map[string]bool{}
	var dups []open311Item
	for _, it := range items {
		ea := it["extended_attributes"].(map[string]any)
		if ea["duplicate"] == true {
			dups = append(dups, it)
		} else {
			primaries[it["service_request_id"].(string)] = true
		}
	}
	if len(items) != 8 || len(primaries) != 1 || len(dups) != 7 {
		t.Fatalf("want 1 primary and 7 duplicates, got %d items, %d primaries\n%s", len(items), len(primaries), prettyItems(items))
	}
	var primary string
	for p := range primaries {
		primary = p
	}
	for _, d := range dups {
		if p := d["extended_attributes"].(map[string]any)["parent_service_request_id"]; p != primary {
			t.Errorf("%s: parent %v, want %s", d["service_request_id"], p, primary)
		}
	}

	// Residents see the primary nearby and add themselves.
	nb := do(t, "GET", fmt.Sprintf("%s/v1/requests/nearby?lat=%v&lon=%v&service_code=SGA", e.ts.URL, pt[0], pt[1]), "", nil)
	var near struct {
		Requests []struct {
			Request    open311Item `json:"request"`
			Supporters int         `json:"supporters"`
		} `json:"requests"`
	}
	nb.JSON(t, &near)
	if nb.Status != 200 || len(near.Requests) != 1 || near.Requests[0].Request["service_request_id"] != primary || near.Requests[0].Supporters != 8 {
		t.Errorf("nearby: %d %s", nb.Status, nb.Body)
	}
	dup := dups[0]["service_request_id"].(string)
	mt := do(t, "POST", e.ts.URL+"/v1/requests/"+dup+"/me-too", "", nil)
	var mtr struct {
		ID    string `json:"service_request_id"`
		MeToo int    `json:"me_too"`
	}
	mt.JSON(t, &mtr)
	if mt.Status != 200 || mtr.ID != primary || mtr.MeToo != 1 {
		t.Errorf("me too: %d %s", mt.Status, mt.Body)
	}

	// Staff unlink a duplicate, then merge it back.
	auth := []string{"Authorization", "Bearer " + e.staffA}
	ul := do(t, "POST", e.ts.URL+"/v1/requests/"+dup+"/unlink", "application/json", strings.NewReader(`{"reason":"different building"}`), auth...)
	if ul.Status != 200 || !strings.Contains(string(ul.Body), `"duplicate":false`) {
		t.Fatalf("unlink: %d %s", ul.Status, ul.Body)
	}
	if r := do(t, "POST", e.ts.URL+"/v1/requests/"+dup+"/unlink", "application/json", nil, "Authorization", "Bearer "+e.staffB); r.Status != 403 {
		t.Errorf("unlink by another district: %d %s", r.Status, r.Body)
	}
	pv := do(t, "GET", e.ts.URL+"/v1/requests/"+primary, "", nil, auth...)
	if !strings.Contains(string(pv.Body), `"duplicate_count":6`) || !strings.Contains(string(pv.Body), dup+" was unlinked") {
		t.Errorf("primary after unlink: %s", pv.Body)
	}
	mg := do(t, "POST", e.ts.URL+"/v1/requests/"+dup+"/merge", "application/json", strings.NewReader(`{"into":"`+primary+`"}`), auth...)
	if mg.Status != 200 || !strings.Contains(string(mg.Body), `"parent_number":"`+primary+`"`) {
		t.Errorf("merge: %d %s", mg.Status, mg.Body)
	}
	pv = do(t, "GET", e.ts.URL+"/v1/requests/"+primary, "", nil, auth...)
	if !strings.Contains(string(pv.Body), `"duplicate_count":7`) {
		t.Errorf("primary after merge: %s", pv.Body)
	}
}

func prettyItems(items []open311Item) string {
	b, _ := json.MarshalIndent(items, "", " ")
	return string(b)
}

func TestConcernPINAndStaffLifecycle(t *testing.T) {
	e := startIntake(t)
	cc := e.post(t, ".json", e.form("CC-NOISE", e.ptA, "description", "Loud music after midnight", "phone", "773-555-0100"))
	if cc.Status != 201 {
		t.Fatalf("concern: %d %s", cc.Status, cc.Body)
	}
	got := open311List(t, cc)[0]
	num, _ := got["service_request_id"].(string)
	pin, _ := got["pin"].(string)
	if !strings.HasPrefix(num, "CC") || len(pin) != data.PINDigits || !strings.Contains(got["service_notice"].(string), pin) {
		t.Fatalf("concern answer: %s", cc.Body)
	}
	if strings.Contains(e.ts.logs.String(), pin) {
		t.Error("the PIN is in the log")
	}
	ok := do(t, "GET", e.ts.URL+"/v1/concerns/"+num+"?pin="+pin, "", nil)
	if ok.Status != 200 || !strings.Contains(string(ok.Body), `"status":"open"`) || !strings.Contains(string(ok.Body), `"due_at"`) || strings.Contains(string(ok.Body), "773-555") {
		t.Errorf("status with PIN: %d %s", ok.Status, ok.Body)
	}
	post := do(t, "POST", e.ts.URL+"/v1/concerns/"+num, "application/x-www-form-urlencoded", strings.NewReader("pin="+pin))
	if post.Status != 200 {
		t.Errorf("status by POST: %d %s", post.Status, post.Body)
	}
	if r := do(t, "GET", e.ts.URL+"/open311/v2/requests/"+num+".json?pin="+pin, "", nil); r.Status != 200 {
		t.Errorf("Open311 read with PIN: %d %s", r.Status, r.Body)
	}

	// Staff: district A accepts and assigns; district B may not see it.
	a := []string{"Authorization", "Bearer " + e.staffA}
	b := []string{"Authorization", "Bearer " + e.staffB}
	if r := do(t, "GET", e.ts.URL+"/v1/requests/"+num, "", nil, b...); r.Status != 403 {
		t.Errorf("other district read: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", e.ts.URL+"/v1/requests/"+num+"/accept", "application/json", nil, b...); r.Status != 403 {
		t.Errorf("other district accept: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", e.ts.URL+"/v1/requests/"+num, "", nil); r.Status != 401 {
		t.Errorf("anonymous staff read: %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", e.ts.URL+"/v1/requests?district="+e.districtB, "", nil, a...); r.Status != 403 {
		t.Errorf("list of another district: %d %s", r.Status, r.Body)
	}
	full := do(t, "GET", e.ts.URL+"/v1/requests/"+num, "", nil, a...)
	if full.Status != 200 || !strings.Contains(string(full.Body), "773-555-0100") {
		t.Errorf("staff read: %d %s", full.Status, full.Body)
	}
	step := func(action, body string, want int, hdr ...string) {
		t.Helper()
		if hdr == nil {
			hdr = a
		}
		r := do(t, "POST", e.ts.URL+"/v1/requests/"+num+"/"+action, "application/json", strings.NewReader(body), hdr...)
		if r.Status != want {
			t.Errorf("%s: %d %s", action, r.Status, r.Body)
		}
	}
	step("assign", `{"assigned_to":"Beat 1"}`, 409) // not accepted yet
	step("accept", ``, 200)
	step("assign", `{"assigned_to":""}`, 400)
	step("assign", `{"assigned_to":"Officer Diaz #4411"}`, 200)
	step("extend", `{"reason":"witness away"}`, 200)
	step("complete", `{"summary":"spoke with the owner"}`, 200)
	step("close", ``, 403) // a concern's closure needs a supervisor
	step("return", `{"reason":"talk to the neighbours too"}`, 403)
	list := do(t, "GET", e.ts.URL+"/v1/requests?overdue=false&state=completed", "", nil, a...)
	if list.Status != 200 || !strings.Contains(string(list.Body), num) {
		t.Errorf("staff list: %d %s", list.Status, list.Body)
	}
	if r := do(t, "GET", e.ts.URL+"/v1/requests?overdue=true", "", nil, a...); r.Status != 200 || strings.Contains(string(r.Body), num) {
		t.Errorf("overdue list: %d %s", r.Status, r.Body)
	}
	pub := do(t, "GET", e.ts.URL+"/open311/v2/requests/"+num+".json?extensions=true&pin="+pin, "", nil)
	for _, ev := range []string{`"type":"created"`, `"type":"accepted"`, `"type":"assigned"`, `"type":"extended"`, `"type":"completed"`} {
		if !strings.Contains(string(pub.Body), ev) {
			t.Errorf("public notes lack %s: %s", ev, pub.Body)
		}
	}
	if strings.Contains(string(pub.Body), "Sgt A") || strings.Contains(string(pub.Body), "witness away") {
		t.Errorf("public notes show actors or reasons: %s", pub.Body)
	}

	// Wrong PINs: refused, then rate-limited per control number.
	limited := false
	for i := 0; i < 8; i++ {
		r := do(t, "GET", e.ts.URL+"/v1/concerns/"+num+"?pin=00000000", "", nil)
		if r.Status == 429 {
			limited = r.Header.Get("Retry-After") != ""
			break
		}
		if r.Status != 404 {
			t.Fatalf("wrong PIN: %d %s", r.Status, r.Body)
		}
	}
	if !limited {
		t.Error("wrong PINs were never rate-limited")
	}
	if r := do(t, "GET", e.ts.URL+"/v1/concerns/"+num+"?pin="+pin, "", nil); r.Status != 429 {
		t.Errorf("right PIN while limited: %d", r.Status)
	}

	// A service request: assign, complete, close with a disposition.
	sr := e.post(t, ".json", e.form("SLA", e.ptA, "description", "two lights out"))
	srNum := open311List(t, sr)[0]["service_request_id"].(string)
	num = srNum
	step("assign", `{"assignee":"Electrical crew 3"}`, 200)
	step("extend", `{"reason":"parts"}`, 200)
	step("extend", `{"reason":"more parts","approved_by":"Cmdr X"}`, 403) // unverified approval
	step("complete", ``, 200)
	step("close", `{"disposition":"Repaired"}`, 200)
	pub = do(t, "GET", e.ts.URL+"/open311/v2/requests/"+srNum+".json?extensions=true", "", nil)
	if !strings.Contains(string(pub.Body), `"status":"closed"`) || !strings.Contains(string(pub.Body), `"type":"closed"`) || !strings.Contains(string(pub.Body), `"status_notes":"Repaired"`) {
		t.Errorf("closed request: %s", pub.Body)
	}
}
