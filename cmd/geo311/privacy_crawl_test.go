package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/export"
	"github.com/geo311/geo311/data/h3"
	"github.com/geo311/geo311/data/sqlite"
	"github.com/geo311/geo311/geo"
	"github.com/geo311/geo311/tiles"
)

// TestPrivacyCrawl seeds a demo store with requests whose every private
// field holds a unique marker (contact names, e-mail, phone, device and
// account ids, attribute values, concern PINs, internal staff notes, the
// reasons and actors of staff notes, API key secrets), police-related
// service requests and community concerns whose descriptions, addresses and
// numbers are markers too. It then crawls every public route of the router
// (the list comes from chi.Walk over the routes NewServer serves, so a new
// route fails the test until it is crawled or excluded as a staff or admin
// route, which must refuse an anonymous caller) in every representation:
// Open311 JSON and XML lists and single reads with extensions, /v1 reads,
// whereami as JSON and HTML, trends, hot spots and status reports, exports
// in every format (Arrow and Parquet decoded to text), every tile of every
// layer over the seeded points at zooms 0-16 (gunzipped and decoded MVT),
// TileJSON, and the web page's assets. No marker may appear (except where
// the caller sent it and got an error back, or in a concern's own view read
// with its PIN, which may show its own description and address), and no
// police-related request may show on a public list, heatmap cell or tile.
// The markers are checked to be in the store first (a staff read shows
// them), and the decoders to find what they should (public text).
func TestPrivacyCrawl(t *testing.T) {
	e := startIntake(t)
	c := newCrawler(t, e)
	c.seed(t)
	c.checkStored(t)

	routes := serverRoutes(t)
	table := c.crawlTable(t)
	excluded := map[string]bool{} // staff and admin routes: refused anonymously
	for _, r := range routes {
		key := r.method + " " + r.pattern
		if staffOrAdminRoute(key) {
			excluded[key] = true
			c.checkRefused(t, r)
			continue
		}
		fetches, ok := table[key]
		if !ok {
			t.Errorf("route %s is not covered by the privacy crawl: add it to crawlTable (or, for a staff or admin route, to staffOrAdminRoute)", key)
			continue
		}
		for _, f := range fetches(t) {
			c.fetch(t, key, f)
		}
	}
	walked := map[string]bool{}
	for _, r := range routes {
		walked[r.method+" "+r.pattern] = true
	}
	for key := range table {
		if !walked[key] {
			t.Errorf("crawlTable lists %s, which the router does not serve", key)
		}
	}
	c.checkPower(t)
	t.Logf("crawled %d routes (%d staff/admin routes refused anonymously) with %d requests, %d MVT tiles decoded",
		len(routes)-len(excluded), len(excluded), c.requests, c.tilesDecoded)
}

// marker is a private value planted in the store.
type marker struct {
	name  string
	value string
	// digits: the value is all digits (a PIN); matched only where no digit
	// touches it.
	digits bool
	// stored: a staff read of the store shows it (secrets and PINs are
	// never stored in the clear).
	stored bool
}

type crawler struct {
	e       *intakeEnv
	base    string
	j       *data.Jurisdiction
	markers []marker
	// Seeded requests.
	public       []string // numbers of public service requests
	police       []string // numbers of police-related service requests
	concerns     []string // numbers of community concerns
	pins         map[string]string
	ownDesc      map[string][]string // concern number -> markers its own PIN view may show
	publicPts    []orb.Point
	policePts    []orb.Point
	policeCells  map[string]bool // hex and decimal H3 indexes of cells only police items occupy
	staffSecret  string
	staffName    string
	canaries     []string        // public descriptions the crawl must find
	seen         map[string]bool // request numbers of the features of decoded tiles
	requests     int
	tilesDecoded int
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func randomDigits(t *testing.T, n int) string {
	var s strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			t.Fatal(err)
		}
		s.WriteString(d.String())
	}
	return s.String()
}

func newCrawler(t *testing.T, e *intakeEnv) *crawler {
	j, _ := geo.Demo(1)
	return &crawler{e: e, base: e.ts.URL, j: j, pins: map[string]string{}, ownDesc: map[string][]string{}, seen: map[string]bool{}}
}

// mark registers a new private marker and returns its value.
func (c *crawler) mark(t *testing.T, name, value string, stored bool) string {
	c.markers = append(c.markers, marker{name: name, value: value, stored: stored})
	return value
}

// contactForm returns contact fields whose every value is a marker.
func (c *crawler) contactForm(t *testing.T, who string) []string {
	h := randomHex(t, 6)
	return []string{
		"first_name", c.mark(t, who+" first name", "Zqfirst"+h, true),
		"last_name", c.mark(t, who+" last name", "Zqlast"+h, true),
		"email", c.mark(t, who+" e-mail", "zqmail"+h+"@example.org", true),
		"phone", c.mark(t, who+" phone", "773-"+randomDigits(t, 3)+"-"+randomDigits(t, 4)+" x"+randomDigits(t, 5), true),
		"device_id", c.mark(t, who+" device id", "zqdevice-"+h, true),
		"account_id", c.mark(t, who+" account id", "zqaccount-"+h, true),
	}
}

// file posts an Open311 request and returns its answer item.
func (c *crawler) file(t *testing.T, code string, lat, lon float64, extra ...string) map[string]any {
	t.Helper()
	resp := c.e.post(t, ".json", c.e.form(code, [2]float64{lat, lon}, extra...))
	if resp.Status != http.StatusCreated {
		t.Fatalf("filing %s: %d %s", code, resp.Status, resp.Body)
	}
	return open311List(t, resp)[0]
}

// staff runs a lifecycle action with the marker-named supervisor key.
func (c *crawler) staff(t *testing.T, number, action, body string) {
	t.Helper()
	r := do(t, "POST", c.base+"/v1/requests/"+number+"/"+action, "application/json", strings.NewReader(body), "Authorization", "Bearer "+c.staffSecret)
	if r.Status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", action, number, r.Status, r.Body)
	}
}

func (c *crawler) seed(t *testing.T) {
	e := c.e
	ctx := context.Background()
	h := randomHex(t, 6)
	c.mark(t, "intake key secret", e.intake, false)
	c.mark(t, "admin key", e.admin, false)
	c.mark(t, "staff key secret (district A)", e.staffA, false)
	c.mark(t, "supervisor key secret (district B)", e.staffB, false)
	c.staffName = c.mark(t, "staff key name (note actor)", "Sgt Zqactor"+h, true)
	c.staffSecret = c.mark(t, "supervisor key secret (crawler)", strings.TrimSpace(mustCLI(t, e.vars, "keys", "create", "--demo", "--role", "supervisor", "--name", c.staffName)), false)

	// Public service requests around point A.
	latA, lonA := e.ptA[0], e.ptA[1]
	pub := []struct {
		code  string
		dlat  float64
		extra []string
	}{
		{"SGA", 0, []string{"attribute[SEEN][]", "ALLEY"}},
		{"SKA", 0.0015, []string{"attribute[PLATE]", c.mark(t, "attribute value (plate)", "ZQPLATE"+strings.ToUpper(h), true), "attribute[COLOR]", c.mark(t, "attribute value (colour)", "zqcolour-"+h, true)}},
		{"GRAF", -0.0015, []string{"attribute[SURFACE]", "BRICK_PAINTED", "attribute[WHERE]", "FRONT"}},
	}
	for i, p := range pub {
		canary := fmt.Sprintf("zqpublic%d-%s", i, h)
		c.canaries = append(c.canaries, canary)
		extra := append([]string{"description", canary, "address_string", fmt.Sprintf("%d W Public St", 100+i)}, p.extra...)
		extra = append(extra, c.contactForm(t, fmt.Sprintf("public request %d", i))...)
		it := c.file(t, p.code, latA+p.dlat, lonA, extra...)
		c.public = append(c.public, it["service_request_id"].(string))
		c.publicPts = append(c.publicPts, orb.Point{lonA, latA + p.dlat})
	}
	// Staff notes on a public request: a reason (staff only) and an
	// assignment; a closed one with a disposition (public).
	// Assignees name staff: they are markers too.
	c.staff(t, c.public[0], "assign", fmt.Sprintf(`{"assigned_to":%q}`, c.mark(t, "assignee", "Crew zqassign7-"+h, true)))
	c.staff(t, c.public[0], "reassign", fmt.Sprintf(`{"assigned_to":%q,"reason":%q}`, c.mark(t, "reassignee", "Crew zqassign8-"+h, true),
		c.mark(t, "staff note reason (reassign)", "zqreason-reassign-"+h, true)))
	c.staff(t, c.public[2], "assign", fmt.Sprintf(`{"assigned_to":%q}`, c.mark(t, "assignee of a closed request", "Crew zqassign9-"+h, true)))
	c.staff(t, c.public[2], "close", `{"disposition":"removed"}`)

	// Police-related requests and concerns around point B. A first concern
	// takes CC..-00000001, the example number the web page shows.
	latB, lonB := e.ptB[0], e.ptB[1]
	c.file(t, "CC-GANG", latB+0.001, lonB, "description", "first concern")
	c.policePts = append(c.policePts, orb.Point{lonB, latB + 0.001})
	pol := []struct {
		code string
		dlon float64
	}{{"PMC", 0}, {"CC-NARC", 0.0012}, {"CC-NOISE", -0.0012}}
	for i, p := range pol {
		desc := c.mark(t, fmt.Sprintf("police item %d description", i), fmt.Sprintf("zqpolice%d-desc-%s", i, h), true)
		addr := c.mark(t, fmt.Sprintf("police item %d address", i), fmt.Sprintf("%d N Zqsecret%s Ave", 200+i, h), true)
		extra := append([]string{"description", desc, "address_string", addr}, c.contactForm(t, fmt.Sprintf("police item %d", i))...)
		if p.code == "CC-NARC" {
			extra = append(extra, "attribute[WHEN][]", "NIGHT")
		}
		it := c.file(t, p.code, latB, lonB+p.dlon, extra...)
		n := it["service_request_id"].(string)
		c.mark(t, fmt.Sprintf("police item %d number", i), n, true)
		c.policePts = append(c.policePts, orb.Point{lonB + p.dlon, latB})
		if strings.HasPrefix(n, data.PrefixCommunityConcern) {
			c.concerns = append(c.concerns, n)
			pin, _ := it["pin"].(string)
			if pin == "" {
				t.Fatalf("concern %s answered without a PIN: %v", n, it)
			}
			c.pins[n] = pin
			c.markers = append(c.markers, marker{name: fmt.Sprintf("PIN of %s", n), value: pin, digits: true})
			c.ownDesc[n] = []string{fmt.Sprintf("police item %d description", i), fmt.Sprintf("police item %d address", i), fmt.Sprintf("police item %d number", i)}
		} else {
			c.police = append(c.police, n)
		}
	}
	c.staff(t, c.concerns[0], "accept", `{}`)
	c.staff(t, c.concerns[0], "assign", `{"assigned_to":"Officer 4411"}`)
	c.staff(t, c.concerns[1], "not-accept", fmt.Sprintf(`{"reason":%q}`, c.mark(t, "staff note reason (not accepted)", "zqreason-notaccept-"+h, true)))

	// Internal notes: no API endpoint writes one, so they go in through the
	// store (another connection to the served SQLite file), as staff tools
	// and imports would.
	db, err := sqlite.Open(ctx, e.vars["GEO311_DATABASE"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range []string{c.public[0], c.public[1], c.concerns[0], c.police[0]} {
		text := c.mark(t, "internal note text on "+n, "zqinternal-"+n+"-"+h, true)
		reason := c.mark(t, "internal note reason on "+n, "zqinternal-reason-"+n+"-"+h, true)
		actor := c.mark(t, "internal note actor on "+n, "staff:Zqinternalactor"+h, true)
		if _, err := db.UpdateRequest(ctx, n, func(r *data.Request) ([]data.Note, error) {
			return []data.Note{{At: time.Now(), Actor: actor, Event: data.EventComment, Text: text, Reason: reason, Internal: true}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	// H3 cells (every resolution) that only police items occupy: a public
	// heatmap cell or hexagon there would show them.
	c.policeCells = map[string]bool{}
	for res := 0; res <= 15; res++ {
		shared := map[h3.Cell]bool{}
		for _, p := range c.publicPts {
			shared[h3.LatLngToCell(p[1], p[0], res)] = true
		}
		for _, p := range c.policePts {
			cell := h3.LatLngToCell(p[1], p[0], res)
			if !shared[cell] {
				c.policeCells[cell.String()] = true
				c.policeCells[strconv.FormatUint(uint64(cell), 10)] = true
			}
		}
	}
}

// checkStored makes sure the markers are in the store: a staff read of
// every seeded request shows every stored marker.
func (c *crawler) checkStored(t *testing.T) {
	var all strings.Builder
	for _, n := range slices.Concat(c.public, c.police, c.concerns) {
		r := do(t, "GET", c.base+"/v1/requests/"+n, "", nil, "Authorization", "Bearer "+c.e.admin)
		if r.Status != http.StatusOK {
			t.Fatalf("staff read of %s: %d %s", n, r.Status, r.Body)
		}
		all.Write(r.Body)
	}
	staffView := all.String()
	for _, m := range c.markers {
		if m.stored && !strings.Contains(staffView, jsonText(m.value)) {
			t.Errorf("marker %s (%q) is not in the staff reads: the seed did not store it", m.name, m.value)
		}
	}
	// The PINs are proved by the crawl's owner views (want 200): five PIN
	// checks per control number is all the rate limit allows.
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

type walkedRoute struct{ method, pattern string }

// serverRoutes walks the router NewServer serves: the same addRoutes on a
// server with just what building the handlers needs.
func serverRoutes(t *testing.T) []walkedRoute {
	t.Helper()
	cfg := defaultConfig()
	cfg.AdminKey = adminKey
	j, _ := geo.Demo(1)
	s := &server{serverDeps: serverDeps{cfg: &cfg, log: discardLogger(), now: time.Now}, j: j, limits: newLimits(), pins: newPinCache(), metrics: newMetrics(nil)}
	r := chi.NewRouter()
	s.addRoutes(r)
	var out []walkedRoute
	err := chi.Walk(r, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, walkedRoute{method, pattern})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 30 {
		t.Fatalf("chi.Walk found %d routes", len(out))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].pattern < out[j].method+out[j].pattern })
	return out
}

// staffOrAdminRoute lists the routes the crawl leaves out: they need a
// staff or admin key (checkRefused verifies that).
func staffOrAdminRoute(key string) bool {
	switch key {
	case "GET /v1/requests", "GET /v1/requests/{number}",
		"POST /v1/requests/{number}/unlink", "POST /v1/requests/{number}/merge",
		"POST /v1/boundaries/generations/{id}/activate", "POST /v1/boundaries/generations/{id}/deactivate",
		"POST /v1/boundaries/{layer}/generations":
		return true
	}
	for _, a := range []string{"accept", "not-accept", "assign", "reassign", "extend", "complete", "return", "close"} {
		if key == "POST /v1/requests/{number}/"+a {
			return true
		}
	}
	return false
}

// checkRefused calls a staff or admin route without a key: 401 or 403,
// and nothing private in the answer.
func (c *crawler) checkRefused(t *testing.T, r walkedRoute) {
	path := strings.NewReplacer("{number}", c.concerns[0], "{id}", "ward@2015-05-18", "{layer}", "ward").Replace(r.pattern)
	var body string
	if r.method == http.MethodPost {
		body = "{}"
	}
	f := fetch{method: r.method, path: path, body: body, ctype: "application/json"}
	resp := c.fetch(t, r.method+" "+r.pattern, f)
	if resp.Status != http.StatusUnauthorized && resp.Status != http.StatusForbidden {
		t.Errorf("%s %s without a key: %d %s (want 401 or 403)", r.method, path, resp.Status, resp.Body)
	}
}

// fetch is one request of the crawl.
type fetch struct {
	method, path, body, ctype string
	header                    []string
	// allow names the markers this answer may show (a concern's own view).
	allow []string
	// want: the status the answer must have (0: any 2xx, 204, 3xx or 4xx;
	// never a 5xx).
	want int
	// canary: the answer must show the public canaries (the crawl would
	// otherwise prove nothing about this representation).
	canary bool
}

func get(path string) fetch { return fetch{method: "GET", path: path} }

func (f fetch) withWant(s int) fetch         { f.want = s; return f }
func (f fetch) withCanary() fetch            { f.canary = true; return f }
func (f fetch) withHeader(h ...string) fetch { f.header = append(f.header, h...); return f }

func (c *crawler) fetch(t *testing.T, route string, f fetch) *response {
	t.Helper()
	var body io.Reader
	if f.body != "" {
		body = strings.NewReader(f.body)
	}
	resp := do(t, f.method, c.base+f.path, f.ctype, body, f.header...)
	c.requests++
	label := fmt.Sprintf("%s [%s %s]", route, f.method, f.path)
	switch {
	case resp.Status >= 500:
		t.Errorf("%s: %d %s", label, resp.Status, resp.Body)
	case f.want != 0 && resp.Status != f.want:
		t.Errorf("%s: status %d, want %d: %.300s", label, resp.Status, f.want, resp.Body)
	}
	text := c.decode(t, label, f, resp)
	c.scan(t, label, f, resp, text)
	if f.canary {
		for _, s := range c.canaries {
			if !strings.Contains(text, s) {
				t.Errorf("%s: the public text %q is not in the answer: the crawl cannot see this representation", label, s)
			}
		}
	}
	return resp
}

// decode returns everything an answer says as text: headers, the raw body,
// the gunzipped body, and decoded MVT, Arrow IPC and Parquet contents.
func (c *crawler) decode(t *testing.T, label string, f fetch, resp *response) string {
	var b strings.Builder
	for k, vs := range resp.Header {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(vs, ", "))
	}
	b.Write(resp.Body)
	b.WriteByte('\n')
	body := resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" || bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: gzip: %v", label, err)
			return b.String()
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Errorf("%s: gzip: %v", label, err)
		}
		b.Write(body)
		b.WriteByte('\n')
	}
	if resp.Status != http.StatusOK {
		return b.String()
	}
	path, _, _ := strings.Cut(f.path, "?")
	switch {
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vnd.mapbox-vector-tile"):
		c.tilesDecoded++
		mt := mvtText(t, label, body)
		for _, m := range tileNumberRE.FindAllStringSubmatch(mt, -1) {
			c.seen[m[1]] = true
		}
		b.WriteString(mt)
	case strings.HasSuffix(path, ".arrows"):
		rd, err := ipc.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: Arrow stream: %v", label, err)
			break
		}
		for rd.Next() {
			recordText(&b, rd.RecordBatch())
		}
		if err := rd.Err(); err != nil {
			t.Errorf("%s: Arrow stream: %v", label, err)
		}
		rd.Release()
	case strings.HasSuffix(path, ".arrow"):
		fr, err := ipc.NewFileReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: Arrow file: %v", label, err)
			break
		}
		for i := range fr.NumRecords() {
			rec, err := fr.RecordBatch(i)
			if err != nil {
				t.Errorf("%s: Arrow file: %v", label, err)
				break
			}
			recordText(&b, rec)
		}
		fr.Close()
	case strings.HasSuffix(path, ".parquet"):
		pf, err := file.NewParquetReader(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: Parquet: %v", label, err)
			break
		}
		kv := pf.MetaData().KeyValueMetadata()
		for i, k := range kv.Keys() {
			fmt.Fprintf(&b, "%s=%s\n", k, kv.Values()[i])
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 12}, memory.DefaultAllocator)
		if err != nil {
			t.Errorf("%s: Parquet: %v", label, err)
			break
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Errorf("%s: Parquet: %v", label, err)
			break
		}
		tr := array.NewTableReader(tbl, 1<<12)
		for tr.Next() {
			recordText(&b, tr.RecordBatch())
		}
		tr.Release()
		tbl.Release()
		pf.Close()
	}
	return b.String()
}

// recordText writes every value of a record batch, and its schema.
func recordText(b *strings.Builder, rec arrow.RecordBatch) {
	b.WriteString(rec.Schema().String())
	b.WriteByte('\n')
	for ci, col := range rec.Columns() {
		name := rec.ColumnName(ci)
		for i := range col.Len() {
			fmt.Fprintf(b, "%s=%s\n", name, col.ValueStr(i))
		}
	}
}

// mvtText decodes a tile (gzip already removed) into its layers' names,
// feature ids (and the request numbers they encode) and property values.
func mvtText(t *testing.T, label string, body []byte) string {
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Errorf("%s: MVT: %v", label, err)
		return ""
	}
	var b strings.Builder
	for _, l := range layers {
		fmt.Fprintf(&b, "layer %s\n", l.Name)
		for _, ft := range l.Features {
			fmt.Fprintf(&b, "id=%v", ft.ID)
			if id, ok := mvtID(ft.ID); ok {
				if n, ok := tiles.FeatureNumber(id); ok {
					fmt.Fprintf(&b, " number=%s", n)
				}
			}
			keys := make([]string, 0, len(ft.Properties))
			for k := range ft.Properties {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if k == "h3" && ft.Properties["count"] == 0.0 {
					continue // an empty hexagon shows nothing
				}
				fmt.Fprintf(&b, " %s=%v", k, ft.Properties[k])
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func mvtID(id any) (uint64, bool) {
	switch v := id.(type) {
	case uint64:
		return v, true
	case float64:
		return uint64(v), v >= 0
	case int64:
		return uint64(v), v >= 0
	}
	return 0, false
}

var (
	digitRE      = regexp.MustCompile(`[0-9]`)
	tileNumberRE = regexp.MustCompile(`number=(\S+)`)
)

// scan fails the test for every marker in the answer's text, and for a
// cell only police items occupy in a trends answer, tile or export.
func (c *crawler) scan(t *testing.T, label string, f fetch, resp *response, text string) {
	sent := f.path + "\n" + f.body
	for _, m := range c.markers {
		if slices.Contains(f.allow, m.name) {
			continue
		}
		// An error may quote what the caller sent.
		if resp.Status >= 400 && strings.Contains(sent, m.value) {
			continue
		}
		if found(text, m) {
			t.Errorf("%s (%d): private %s %q appears in the answer", label, resp.Status, m.name, m.value)
		}
	}
	if resp.Status != http.StatusOK {
		return
	}
	for _, cell := range c.countedCells(resp, text) {
		t.Errorf("%s: H3 cell %s, where only police-related requests lie, is counted in the answer", label, cell)
	}
}

// countedCells returns the cells only police items occupy that the answer
// shows with a count. A JSON answer is walked: an object naming such a cell
// is evidence unless its count (or every weekly count) is zero, as in a hot
// spot analysis that lists every cell of its study area. Elsewhere (CSV and
// Arrow cube rows, MVT text, which leaves out empty hexagons) any mention
// is.
func (c *crawler) countedCells(resp *response, text string) []string {
	var out []string
	var v any
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && json.Unmarshal(resp.Body, &v) == nil {
		walkJSON(v, func(obj map[string]any) {
			for _, x := range obj {
				s, ok := x.(string)
				if !ok || !c.policeCells[s] {
					continue
				}
				if n, ok := obj["count"].(float64); ok && n == 0 {
					continue
				}
				if ns, ok := obj["counts"].([]any); ok && !slices.ContainsFunc(ns, func(n any) bool { return n != 0.0 }) {
					continue
				}
				out = append(out, s)
			}
		})
		return out
	}
	for cell := range c.policeCells {
		if strings.Contains(text, cell) {
			out = append(out, cell)
		}
	}
	return out
}

// walkJSON calls fn on every object inside v.
func walkJSON(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, x := range v {
			walkJSON(x, fn)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, fn)
		}
	}
}

// found reports whether m's value occurs in text (a PIN only where no
// digit touches it).
func found(text string, m marker) bool {
	if !m.digits {
		return strings.Contains(text, m.value) || strings.Contains(text, jsonText(m.value)) || strings.Contains(text, xmlText(m.value))
	}
	for i := 0; ; {
		k := strings.Index(text[i:], m.value)
		if k < 0 {
			return false
		}
		k += i
		end := k + len(m.value)
		if (k == 0 || !digitRE.MatchString(text[k-1:k])) && (end == len(text) || !digitRE.MatchString(text[end:end+1])) {
			return true
		}
		i = k + 1
	}
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// checkPower makes sure the crawl saw the representations it judges: tiles
// were decoded and showed the open public requests (the public canaries are
// checked per answer, see fetch.canary).
func (c *crawler) checkPower(t *testing.T) {
	if c.tilesDecoded == 0 {
		t.Error("no tile was decoded")
	}
	// The open public requests are drawn as points: the tiles were read.
	for _, n := range c.public[:2] {
		if !c.seen[n] {
			t.Errorf("public request %s is in no decoded tile", n)
		}
	}
}

// crawlTable maps every public route to the requests that crawl it.
func (c *crawler) crawlTable(t *testing.T) map[string]func(t *testing.T) []fetch {
	now := time.Now()
	from, to := now.AddDate(0, 0, -7).Format("2006-01-02"), now.AddDate(0, 0, 2).Format("2006-01-02")
	window := "from=" + from + "&to=" + to
	policeCodes := "PMC,CC-NARC,CC-NOISE"
	all := slices.Concat(c.public, c.police, c.concerns)
	latB, lonB := c.e.ptB[0], c.e.ptB[1]
	latA, lonA := c.e.ptA[0], c.e.ptA[1]
	quarter := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())-1)/3+1)

	tbl := map[string]func(t *testing.T) []fetch{
		"GET /healthz": func(*testing.T) []fetch { return []fetch{get("/healthz").withWant(200)} },
		"GET /readyz":  func(*testing.T) []fetch { return []fetch{get("/readyz").withWant(200)} },
		"GET /metrics": func(*testing.T) []fetch { return []fetch{get("/metrics").withWant(200)} },

		"POST /v1/route": func(*testing.T) []fetch {
			return []fetch{{method: "POST", path: "/v1/route", ctype: "application/json", want: 200,
				body: fmt.Sprintf(`{"lat":%v,"lon":%v,"service_code":"CC-NARC"}`, latB, lonB)}}
		},
		"POST /v1/route/batch": func(*testing.T) []fetch {
			return []fetch{{method: "POST", path: "/v1/route/batch", ctype: "text/csv", want: 200,
				body: fmt.Sprintf("lat,lon,service_code\n%v,%v,PMC\n%v,%v,SGA\n", latB, lonB, latA, lonA)}}
		},

		"GET /v1/boundaries": func(*testing.T) []fetch { return []fetch{get("/v1/boundaries").withWant(200)} },
		"GET /v1/boundaries/generations/{id}": func(t *testing.T) []fetch {
			var out []fetch
			for _, id := range c.generationIDs(t) {
				out = append(out, get("/v1/boundaries/generations/"+url.PathEscape(id)).withWant(200))
			}
			return out
		},
		"GET /v1/boundaries/{layer}/{id}": func(t *testing.T) []fetch {
			var out []fetch
			for _, a := range c.areasOf(t, latA, lonA, latB, lonB) {
				out = append(out, get("/v1/boundaries/"+string(a.Layer)+"/"+url.PathEscape(a.ID)).withWant(200))
			}
			return out
		},

		"GET /open311/v2/services/{code}": func(*testing.T) []fetch {
			var out []fetch
			for _, st := range c.j.Services {
				for _, sfx := range []string{"", ".json", ".xml"} {
					out = append(out, get("/open311/v2/services/"+url.PathEscape(st.Code)+sfx))
				}
			}
			return out
		},
		"GET /open311/v2/requests/{id}": func(*testing.T) []fetch {
			var out []fetch
			for _, n := range all {
				for _, sfx := range []string{"", ".json", ".xml"} {
					for _, q := range []string{"", "?extensions=true"} {
						f := get("/open311/v2/requests/" + n + sfx + q)
						if slices.Contains(c.public, n) {
							f = f.withWant(200)
						} else {
							f = f.withWant(404)
						}
						out = append(out, f)
					}
				}
			}
			// A concern read with its PIN: its own description, address and
			// number, never its contact fields, internal notes or PIN.
			for _, n := range c.concerns {
				for _, sfx := range []string{".json", ".xml"} {
					f := get("/open311/v2/requests/" + n + sfx + "?extensions=true&pin=" + c.pins[n]).withWant(200)
					f.allow = c.ownDesc[n]
					out = append(out, f)
				}
				out = append(out, get("/open311/v2/requests/"+n+".json?pin=00000000").withWant(404))
			}
			return out
		},
		"GET /open311/v2/tokens/{token}": func(*testing.T) []fetch {
			var out []fetch
			for _, n := range all {
				f := get("/open311/v2/tokens/" + n + ".json")
				if slices.Contains(c.public, n) {
					f = f.withWant(200)
				} else {
					f = f.withWant(404)
				}
				out = append(out, f, get("/open311/v2/tokens/"+n+".xml"))
			}
			return out
		},

		"GET /v1/concerns/{number}": func(*testing.T) []fetch {
			var out []fetch
			for _, n := range c.concerns {
				f := get("/v1/concerns/" + n + "?pin=" + c.pins[n]).withWant(200)
				f.allow = c.ownDesc[n]
				out = append(out, f, get("/v1/concerns/"+n).withWant(400))
			}
			for _, n := range c.police {
				out = append(out, get("/v1/concerns/"+n+"?pin=12345678").withWant(404))
			}
			return out
		},
		"POST /v1/concerns/{number}": func(*testing.T) []fetch {
			var out []fetch
			for _, n := range c.concerns {
				f := fetch{method: "POST", path: "/v1/concerns/" + n, ctype: "application/x-www-form-urlencoded", body: "pin=" + c.pins[n], want: 200}
				f.allow = c.ownDesc[n]
				out = append(out, f)
			}
			return out
		},
		"GET /v1/requests/nearby": func(*testing.T) []fetch {
			var out []fetch
			for _, code := range []string{"SGA", "SKA", "GRAF", "PMC", "CC-NARC", "CC-NOISE"} {
				for _, p := range [][2]float64{{latA, lonA}, {latB, lonB}} {
					out = append(out, get(fmt.Sprintf("/v1/requests/nearby?lat=%v&lon=%v&service_code=%s", p[0], p[1], code)).withWant(200))
				}
			}
			return out
		},
		"POST /v1/requests/{number}/me-too": func(*testing.T) []fetch {
			var out []fetch
			for _, n := range slices.Concat(c.police, c.concerns) {
				out = append(out, fetch{method: "POST", path: "/v1/requests/" + n + "/me-too", want: 404})
			}
			return append(out, fetch{method: "POST", path: "/v1/requests/" + c.public[1] + "/me-too", want: 200})
		},
		"GET /v1/whereami": func(*testing.T) []fetch {
			var out []fetch
			for _, p := range [][2]float64{{latA, lonA}, {latB, lonB}} {
				q := fmt.Sprintf("/v1/whereami?lat=%v&lon=%v", p[0], p[1])
				out = append(out, get(q).withWant(200), get(q+"&format=html").withWant(200), get(q).withHeader("Accept", "text/html").withWant(200))
			}
			return out
		},

		"GET /v1/trends/heatmap": func(*testing.T) []fetch {
			out := []fetch{get("/v1/trends/heatmap").withWant(200), get("/v1/trends/heatmap?format=geojson&duplicates=include").withWant(200)}
			for res := 7; res <= 10; res++ {
				out = append(out, get(fmt.Sprintf("/v1/trends/heatmap?%s&resolution=%d&duplicates=include", window, res)).withWant(200),
					get(fmt.Sprintf("/v1/trends/heatmap?%s&resolution=%d&event=closed", window, res)).withWant(200))
			}
			for _, code := range strings.Split(policeCodes, ",") {
				out = append(out, get("/v1/trends/heatmap?resolution=10&types="+code).withWant(400))
			}
			return out
		},
		"GET /v1/trends/series": func(*testing.T) []fetch {
			out := []fetch{get("/v1/trends/series?" + window + "&interval=day").withWant(200)}
			for _, code := range strings.Split(policeCodes, ",") {
				out = append(out, get("/v1/trends/series?"+window+"&types="+code).withWant(400))
			}
			return out
		},
		"GET /v1/trends/chronic": func(*testing.T) []fetch {
			out := []fetch{get("/v1/trends/chronic?all=true&weeks=4").withWant(200), get("/v1/trends/chronic?all=true&weeks=4&resolution=10&duplicates=include").withWant(200)}
			for _, code := range strings.Split(policeCodes, ",") {
				out = append(out, get("/v1/trends/chronic?all=true&weeks=4&types="+code).withWant(400))
			}
			return out
		},
		"GET /v1/reports/status": func(*testing.T) []fetch {
			return []fetch{get("/v1/reports/status?quarter=" + quarter).withWant(200), get("/v1/reports/status?quarter=" + quarter + "&format=csv").withWant(200),
				get(fmt.Sprintf("/v1/reports/status?year=%d&summary=monthly", now.Year())).withWant(200),
				get("/v1/reports/status?quarter=" + quarter + "&types=" + policeCodes)}
		},

		"GET /tiles/{layer}/{z}/{x}/{y}": func(*testing.T) []fetch { return c.tileFetches() },
		"GET /tiles/{file}": func(*testing.T) []fetch {
			var out []fetch
			for _, l := range []string{"requests", "hexbins", "boundaries", "chronic"} {
				out = append(out, get("/tiles/"+l+".json").withWant(200))
			}
			return out
		},
		"GET /v1/export/{file}": func(*testing.T) []fetch {
			var out []fetch
			for _, f := range []string{"arrows", "arrow", "parquet", "geojsonseq", "csv"} {
				out = append(out, get("/v1/export/requests."+f).withWant(200).withCanary(),
					get("/v1/export/requests."+f+"?from=2000-01-01&duplicates=include").withWant(200).withCanary(),
					get("/v1/export/requests."+f+"?types="+policeCodes))
			}
			for _, f := range []string{"arrows", "parquet", "csv"} {
				out = append(out, get("/v1/export/cube."+f+"?"+window+"&resolution=10&duplicates=include").withWant(200),
					get("/v1/export/cube."+f+"?types="+policeCodes))
			}
			return out
		},

		"GET /":      func(*testing.T) []fetch { return []fetch{get("/").withWant(200)} },
		"GET /web/*": func(t *testing.T) []fetch { return c.webFetches(t) },
	}
	for _, sfx := range []string{"", ".json", ".xml"} {
		tbl["GET /open311/v2/discovery"+sfx] = func(*testing.T) []fetch { return []fetch{get("/open311/v2/discovery" + sfx).withWant(200)} }
		tbl["GET /open311/v2/services"+sfx] = func(*testing.T) []fetch { return []fetch{get("/open311/v2/services" + sfx).withWant(200)} }
		tbl["GET /open311/v2/requests"+sfx] = func(*testing.T) []fetch {
			base := "/open311/v2/requests" + sfx
			out := []fetch{
				get(base).withWant(200).withCanary(),
				get(base + "?extensions=true&status=open,closed&page_size=1000").withWant(200).withCanary(),
				get(base + "?service_code=" + policeCodes + "&extensions=true").withWant(200),
				get(base + "?service_request_id=" + strings.Join(all, ",") + "&extensions=true").withWant(200),
				get(fmt.Sprintf("%s?lat=%v&long=%v&radius=2000&extensions=true", base, latB, lonB)).withWant(200),
				get(base + "?start_date=2000-01-01T00:00:00Z&extensions=true&status=closed").withWant(200),
			}
			return out
		}
		// Filing needs an intake key: anonymous callers get 403 and nothing
		// of the store.
		tbl["POST /open311/v2/requests"+sfx] = func(*testing.T) []fetch {
			form := url.Values{"service_code": {"SGA"}, "lat": {fmt.Sprint(latA)}, "long": {fmt.Sprint(lonA)}, "description": {"anonymous"}}
			return []fetch{{method: "POST", path: "/open311/v2/requests" + sfx, ctype: "application/x-www-form-urlencoded", body: form.Encode(), want: 403}}
		}
	}
	return tbl
}

// generationIDs lists the stored generations.
func (c *crawler) generationIDs(t *testing.T) []string {
	var br boundariesResponse
	do(t, "GET", c.base+"/v1/boundaries", "", nil).JSON(t, &br)
	var ids []string
	for _, l := range br.Layers {
		for _, g := range l.Generations {
			if !g.Derived { // derived generations are not stored
				ids = append(ids, g.ID)
			}
		}
	}
	if len(ids) == 0 {
		t.Fatal("no generations listed")
	}
	return ids
}

// areasOf lists the areas of the points (route answers).
func (c *crawler) areasOf(t *testing.T, pts ...float64) []data.AreaRef {
	var out []data.AreaRef
	for i := 0; i+1 < len(pts); i += 2 {
		a, resp := route(t, c.base, pts[i], pts[i+1], "")
		if resp.Status != http.StatusOK {
			t.Fatalf("route: %d %s", resp.Status, resp.Body)
		}
		out = append(out, a.Areas...)
	}
	return out
}

// tileFetches asks for every tile covering a seeded point at zooms 0-16,
// in every layer, with filters that try to reach police-related types.
func (c *crawler) tileFetches() []fetch {
	seen := map[maptile.Tile]bool{}
	var ts []maptile.Tile
	for _, p := range slices.Concat(c.publicPts, c.policePts) {
		for z := maptile.Zoom(0); z <= 16; z++ {
			tl := maptile.At(p, z)
			if !seen[tl] {
				seen[tl] = true
				ts = append(ts, tl)
			}
		}
	}
	variants := map[string][]string{
		"requests":   {"", "?types=PMC,CC-NARC,CC-NOISE", "?status=closed", "?duplicates=include&status=open,closed"},
		"hexbins":    {"", "?types=PMC,CC-NARC,CC-NOISE", "?duplicates=include&status=open,closed"},
		"boundaries": {"", "?layer=beat", "?layer=ward"},
		"chronic":    {"", "?all=true&weeks=4", "?all=true&weeks=4&types=PMC"},
	}
	var out []fetch
	for _, tl := range ts {
		for _, layer := range []string{"requests", "hexbins", "boundaries", "chronic"} {
			for i, q := range variants[layer] {
				f := get(fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt%s", layer, tl.Z, tl.X, tl.Y, q))
				if i%2 == 0 {
					f = f.withHeader("Accept-Encoding", "gzip")
				} else {
					f = f.withHeader("Accept-Encoding", "identity")
				}
				out = append(out, f)
			}
		}
	}
	return out
}

// webFetches asks for every embedded file of the web page and its settings.
func (c *crawler) webFetches(t *testing.T) []fetch {
	out := []fetch{get("/web/config.json").withWant(200)}
	err := fs.WalkDir(webFiles, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		out = append(out, get("/"+p).withWant(200))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPrivacyScanDecoders checks that the crawl's scanner finds a marker in
// every representation it judges: an export of every format carrying it in
// a description (Arrow and Parquet compress or dictionary-encode strings,
// so only decoding finds them), a gzipped vector tile carrying it in a
// property and a request number in a feature id, and a gzipped body.
func TestPrivacyScanDecoders(t *testing.T) {
	j, _ := geo.Demo(1)
	secret := "zqdecoder-" + randomHex(t, 8)
	number := "CC26-00004242"
	c := &crawler{j: j, markers: []marker{{name: "secret", value: secret}, {name: "number", value: number}}, policeCells: map[string]bool{}, seen: map[string]bool{}}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var reqs []*data.Request
	for i := range 300 { // enough rows for dictionaries and compression
		reqs = append(reqs, &data.Request{Number: fmt.Sprintf("SR26-%08d", i+1), Kind: data.KindServiceRequest, ServiceCode: "SGA", State: data.StateNew,
			Description: fmt.Sprintf("row %d %s", i, secret), Lon: j.Center[0], Lat: j.Center[1], RequestedAt: at, UpdatedAt: at})
	}
	for _, f := range []string{"arrows", "arrow", "parquet", "geojsonseq", "csv"} {
		format, err := export.ParseFormat(f)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := export.WriteRequests(&buf, format, export.Options{Jurisdiction: j, TempDir: t.TempDir()}, func(fn func(*data.Request) error) error {
			for _, r := range reqs {
				if err := fn(r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		resp := &response{Status: 200, Header: http.Header{"Content-Type": {format.ContentType()}}, Body: buf.Bytes()}
		text := c.decode(t, f, get("/v1/export/requests."+f), resp)
		if !found(text, c.markers[0]) {
			t.Errorf("%s: the decoded export does not show the marker", f)
		}
	}

	fc := geojson.NewFeatureCollection()
	ft := geojson.NewFeature(orb.Point{100, 100})
	ft.ID = tiles.FeatureID(number)
	ft.Properties = geojson.Properties{"type": secret}
	fc.Append(ft)
	layers := mvt.NewLayers(map[string]*geojson.FeatureCollection{"requests": fc})
	gz, err := mvt.MarshalGzipped(layers)
	if err != nil {
		t.Fatal(err)
	}
	resp := &response{Status: 200, Header: http.Header{"Content-Type": {"application/vnd.mapbox-vector-tile"}, "Content-Encoding": {"gzip"}}, Body: gz}
	text := c.decode(t, "tile", get("/tiles/requests/14/1/1.mvt"), resp)
	for _, m := range c.markers {
		if !found(text, m) {
			t.Errorf("the decoded tile does not show the %s: %s", m.name, text)
		}
	}

	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(`{"x":"` + secret + `"}`))
	zw.Close()
	text = c.decode(t, "gzip", get("/x"), &response{Status: 200, Header: http.Header{"Content-Encoding": {"gzip"}}, Body: zb.Bytes()})
	if !found(text, c.markers[0]) {
		t.Error("the gunzipped body does not show the marker")
	}

	// A PIN is found only where no digit touches it.
	pin := marker{name: "PIN", value: "48151623", digits: true}
	for text, want := range map[string]bool{`{"pin":"48151623"}`: true, "48151623": true, "41.481516234": false, "x948151623": false, "a48151623b": true} {
		if found(text, pin) != want {
			t.Errorf("found(%q, PIN) = %v, want %v", text, !want, want)
		}
	}
}
