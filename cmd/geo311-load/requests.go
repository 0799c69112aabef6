package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// point is a location inside the city (it and its neighbours 10 m away
// route).
type point struct{ Lat, Lon float64 }

// srType is a service request type of the intake mix: codes without
// required attributes, and the pothole with its one required attribute.
type srType struct {
	code  string
	attrs url.Values
}

var srTypes = []srType{
	{code: "SLA"},
	{code: "SGA"},
	{code: "SKA"},
	{code: "PHF", attrs: url.Values{"attribute[LOCATION]": {"CURB_LANE"}}},
}

var concernCodes = []string{"CC-NOISE", "CC-NARC"}

var streets = []string{"Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine", "River", "Church"}

var descriptions = map[string][]string{
	"SLA":      {"Street light out in front of the house", "The street light is out", "Light on the pole is dark at night"},
	"SGA":      {"Rats seen in the alley behind the building", "Rodents near the garbage carts", "Rat burrows by the fence"},
	"SKA":      {"Car parked here for weeks, flat tyres", "Abandoned van, no plates", "Vehicle has not moved in a month"},
	"PHF":      {"Deep pothole in the curb lane", "Pothole near the curb, cars swerve", "Large pothole by the kerb"},
	"CC-NOISE": {"Loud music every night after midnight", "Noise from the lot late at night"},
	"CC-NARC":  {"People selling near the corner store in the evening", "Suspected dealing by the bus stop"},
}

// intakeRef is a filed service request a repeat can copy.
type intakeRef struct {
	code    string
	attrs   url.Values
	lat     float64
	lon     float64
	address string
}

// concernRef is a concern with its PIN and the lookups already made.
type concernRef struct {
	number string
	pin    string
	uses   int
}

// targets holds what requests point at: the points, tile URLs, and what
// earlier requests produced (numbers, PINs, ETags). Safe for concurrent use.
type targets struct {
	points []point
	tiles  []string

	mu       sync.Mutex
	recent   []intakeRef // ring of recent primaries, for repeats
	recentAt int
	numbers  []string // ring of public request numbers, for GET requests/{id}
	numAt    int
	concerns []concernRef // queue: looked up from the front, requeued at the back
	etags    map[string]string
}

const ringSize = 512

func newTargets(points []point, tiles []string) *targets {
	return &targets{points: points, tiles: tiles, etags: map[string]string{}}
}

func pushRing[T any](ring *[]T, at *int, v T) {
	if len(*ring) < ringSize {
		*ring = append(*ring, v)
		return
	}
	(*ring)[*at] = v
	*at = (*at + 1) % ringSize
}

func (t *targets) addIntake(ref intakeRef, number string, primary bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pushRing(&t.numbers, &t.numAt, number)
	if primary {
		pushRing(&t.recent, &t.recentAt, ref)
	}
}

func (t *targets) addConcern(number, pin string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.concerns = append(t.concerns, concernRef{number: number, pin: pin})
}

// takeConcern returns the concern to look up next and counts the lookup:
// the front of the queue, requeued at the back until it has been looked up
// lookupsPerConcern times, so every concern's lookups are spread out.
func (t *targets) takeConcern() (concernRef, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.concerns) == 0 {
		return concernRef{}, false
	}
	c := t.concerns[0]
	t.concerns = t.concerns[1:]
	c.uses++
	if c.uses < lookupsPerConcern {
		t.concerns = append(t.concerns, c)
	}
	return c, true
}

func (t *targets) randomRecent(rng *rand.Rand) (intakeRef, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.recent) == 0 {
		return intakeRef{}, false
	}
	return t.recent[rng.IntN(len(t.recent))], true
}

func (t *targets) randomNumber(rng *rand.Rand) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.numbers) == 0 {
		return "", false
	}
	return t.numbers[rng.IntN(len(t.numbers))], true
}

func (t *targets) etag(u string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.etags[u]
}

func (t *targets) setETag(u, etag string) {
	if etag == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.etags[u] = etag
}

// client sends the requests of the mix to the server.
type client struct {
	base    string
	key     string // intake API key secret
	runID   string // scopes Idempotency-Keys to this run
	http    *http.Client
	lookups *http.Client // status lookups: a fresh connection from its own source address each
	t       *targets
}

// newClients returns the shared keep-alive client and the status-lookup
// client that dials from a new 127.1.x.y address for every lookup.
func newClients(timeout time.Duration) (shared, lookups *http.Client) {
	shared = &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second,
	}}
	var next atomic.Uint32
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := next.Add(1)
		d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 1, byte(n>>8), byte(n))}}
		return d.DialContext(ctx, network, addr)
	}
	lookups = &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer, DisableKeepAlives: true}}
	return shared, lookups
}

// outcome is how one request went: failure is "" on success.
type outcome struct {
	sent    time.Time
	failure string
	linked  bool
}

// do sends request i of kind k, with rng for its details.
func (c *client) do(ctx context.Context, k kind, i int, rng *rand.Rand) outcome {
	switch k {
	case kindIntake:
		return c.intake(ctx, i, rng)
	case kindConcern:
		return c.concern(ctx, i, rng)
	case kindRoute:
		return c.route(ctx, rng)
	case kindTile:
		return c.tile(ctx, rng)
	case kindList:
		return c.list(ctx, rng)
	case kindRequest:
		return c.request(ctx, rng)
	case kindStatus:
		return c.status(ctx)
	}
	return outcome{failure: fmt.Sprintf("unknown kind %d", k)}
}

// send performs req on hc, reads the whole body and checks the status is
// one of want.
func send(hc *http.Client, req *http.Request, want ...int) (*http.Response, []byte, time.Time, string) {
	sent := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, sent, "transport: " + err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil, sent, fmt.Sprintf("%d: reading body: %v", resp.StatusCode, err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, body, sent, ""
		}
	}
	return resp, body, sent, fmt.Sprintf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, clip(strings.TrimSpace(string(body))))
}

func (c *client) point(rng *rand.Rand) point { return c.t.points[rng.IntN(len(c.t.points))] }

// open311Answer is the first element of an Open311 POST answer.
type open311Answer struct {
	Number string `json:"service_request_id"`
	Parent string `json:"parent_service_request_id"`
	PIN    string `json:"pin"`
}

func (c *client) post(ctx context.Context, i int, form url.Values) (open311Answer, time.Time, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/open311/v2/requests.json", strings.NewReader(form.Encode()))
	if err != nil {
		return open311Answer{}, time.Now(), err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Idempotency-Key", "load-"+c.runID+"-"+strconv.Itoa(i))
	_, body, sent, failure := send(c.http, req, http.StatusCreated)
	if failure != "" {
		return open311Answer{}, sent, failure
	}
	var ans []open311Answer
	if err := json.Unmarshal(body, &ans); err != nil || len(ans) != 1 || ans[0].Number == "" {
		return open311Answer{}, sent, "answer without a service_request_id: " + clip(string(body))
	}
	return ans[0], sent, ""
}

// jitter moves p by up to m metres in each direction.
func jitter(lat, lon, m float64, rng *rand.Rand) (float64, float64) {
	dLat := (rng.Float64()*2 - 1) * m / 111_320
	dLon := (rng.Float64()*2 - 1) * m / (111_320 * math.Cos(lat*math.Pi/180))
	return lat + dLat, lon + dLon
}

func (c *client) intake(ctx context.Context, i int, rng *rand.Rand) outcome {
	var ref intakeRef
	repeat := false
	if rng.IntN(4) == 0 {
		ref, repeat = c.t.randomRecent(rng)
	}
	if repeat {
		ref.lat, ref.lon = jitter(ref.lat, ref.lon, 3, rng)
	} else {
		st := srTypes[rng.IntN(len(srTypes))]
		p := c.point(rng)
		ref = intakeRef{code: st.code, attrs: st.attrs, lat: p.Lat, lon: p.Lon,
			address: fmt.Sprintf("%d W %s St", 100+2*rng.IntN(2000), streets[rng.IntN(len(streets))])}
	}
	form := url.Values{
		"service_code":   {ref.code},
		"lat":            {strconv.FormatFloat(ref.lat, 'f', 7, 64)},
		"long":           {strconv.FormatFloat(ref.lon, 'f', 7, 64)},
		"address_string": {ref.address},
		"description":    {pick(descriptions[ref.code], rng)},
	}
	for k, v := range ref.attrs {
		form[k] = v
	}
	if rng.IntN(2) == 0 {
		form.Set("email", fmt.Sprintf("resident%d@example.org", i))
	}
	ans, sent, failure := c.post(ctx, i, form)
	if failure != "" {
		return outcome{sent: sent, failure: failure}
	}
	c.t.addIntake(ref, ans.Number, ans.Parent == "")
	return outcome{sent: sent, linked: ans.Parent != ""}
}

func pick(s []string, rng *rand.Rand) string { return s[rng.IntN(len(s))] }

func (c *client) concern(ctx context.Context, i int, rng *rand.Rand) outcome {
	code := concernCodes[rng.IntN(len(concernCodes))]
	p := c.point(rng)
	form := url.Values{
		"service_code": {code},
		"lat":          {strconv.FormatFloat(p.Lat, 'f', 7, 64)},
		"long":         {strconv.FormatFloat(p.Lon, 'f', 7, 64)},
		"description":  {pick(descriptions[code], rng)},
	}
	ans, sent, failure := c.post(ctx, i, form)
	if failure != "" {
		return outcome{sent: sent, failure: failure}
	}
	if ans.PIN == "" {
		return outcome{sent: sent, failure: "concern " + ans.Number + " answered without a PIN"}
	}
	c.t.addConcern(ans.Number, ans.PIN)
	return outcome{sent: sent, linked: ans.Parent != ""}
}

func (c *client) route(ctx context.Context, rng *rand.Rand) outcome {
	p := c.point(rng)
	body := map[string]any{"lat": p.Lat, "lon": p.Lon}
	switch rng.IntN(4) {
	case 0:
		body["service_code"] = srTypes[rng.IntN(len(srTypes))].code
	case 1:
		body["time"] = "2023-06-01" // the demo's first ward map
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/route", strings.NewReader(string(b)))
	if err != nil {
		return outcome{sent: time.Now(), failure: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	_, respBody, sent, failure := send(c.http, req, http.StatusOK)
	if failure == "" && !strings.Contains(string(respBody), `"areas"`) {
		failure = "route answer without areas: " + clip(string(respBody))
	}
	return outcome{sent: sent, failure: failure}
}

func (c *client) tile(ctx context.Context, rng *rand.Rand) outcome {
	u := c.t.tiles[rng.IntN(len(c.t.tiles))]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+u, nil)
	if err != nil {
		return outcome{sent: time.Now(), failure: err.Error()}
	}
	if et := c.t.etag(u); et != "" && rng.IntN(2) == 0 {
		req.Header.Set("If-None-Match", et)
	}
	resp, _, sent, failure := send(c.http, req, http.StatusOK, http.StatusNoContent, http.StatusNotModified)
	if failure == "" {
		c.t.setETag(u, resp.Header.Get("ETag"))
	}
	return outcome{sent: sent, failure: failure}
}

func (c *client) list(ctx context.Context, rng *rand.Rand) outcome {
	q := url.Values{}
	switch rng.IntN(4) {
	case 1:
		q.Set("service_code", "SLA,SGA,PHF")
		q.Set("status", "open")
	case 2:
		p := c.point(rng)
		q.Set("lat", strconv.FormatFloat(p.Lat, 'f', 6, 64))
		q.Set("long", strconv.FormatFloat(p.Lon, 'f', 6, 64))
		q.Set("radius", "500")
	case 3:
		q.Set("extensions", "true")
		q.Set("page_size", "50")
	}
	u := c.base + "/open311/v2/requests.json"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return outcome{sent: time.Now(), failure: err.Error()}
	}
	_, body, sent, failure := send(c.http, req, http.StatusOK)
	if failure == "" && !json.Valid(body) {
		failure = "list answer is not JSON: " + clip(string(body))
	}
	return outcome{sent: sent, failure: failure}
}

func (c *client) request(ctx context.Context, rng *rand.Rand) outcome {
	number, ok := c.t.randomNumber(rng)
	if !ok {
		return outcome{failure: "no request filed yet to read"}
	}
	u := c.base + "/open311/v2/requests/" + number + ".json"
	if rng.IntN(4) == 0 {
		u += "?extensions=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return outcome{sent: time.Now(), failure: err.Error()}
	}
	_, body, sent, failure := send(c.http, req, http.StatusOK)
	if failure == "" {
		var ans []open311Answer
		if err := json.Unmarshal(body, &ans); err != nil || len(ans) != 1 || ans[0].Number != number {
			failure = "answer is not request " + number + ": " + clip(string(body))
		}
	}
	return outcome{sent: sent, failure: failure}
}

func (c *client) status(ctx context.Context) outcome {
	cc, ok := c.t.takeConcern()
	if !ok {
		return outcome{failure: "no concern filed yet to look up"}
	}
	form := url.Values{"pin": {cc.pin}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/concerns/"+cc.number, strings.NewReader(form.Encode()))
	if err != nil {
		return outcome{sent: time.Now(), failure: err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, body, sent, failure := send(c.lookups, req, http.StatusOK)
	if failure == "" {
		var ans struct {
			Number string `json:"control_number"`
		}
		if err := json.Unmarshal(body, &ans); err != nil || ans.Number != cc.number {
			failure = "answer is not concern " + cc.number + ": " + clip(string(body))
		}
	}
	if failure != "" {
		failure = fmt.Sprintf("%s (lookup %d of %s)", failure, cc.uses, cc.number)
	}
	return outcome{sent: sent, failure: failure}
}

// errNoPoints: the city could not be sampled.
var errNoPoints = errors.New("no point inside the city was found")
