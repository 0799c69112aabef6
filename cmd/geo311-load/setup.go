package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Set-up against the running server: nothing here is measured.

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, hc *http.Client, base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, clip(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("server not ready within %v: %s", within, last)
}

// checkServices fails when a service code the mix files is not in the
// server's catalogue.
func checkServices(ctx context.Context, hc *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/open311/v2/services.json", nil)
	if err != nil {
		return err
	}
	_, body, _, failure := send(hc, req, http.StatusOK)
	if failure != "" {
		return errors.New("services: " + failure)
	}
	var svcs []struct {
		Code string `json:"service_code"`
	}
	if err := json.Unmarshal(body, &svcs); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	have := map[string]bool{}
	for _, s := range svcs {
		have[s.Code] = true
	}
	var missing []string
	for _, st := range srTypes {
		if !have[st.code] {
			missing = append(missing, st.code)
		}
	}
	for _, c := range concernCodes {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("services %s are not in the server's catalogue", strings.Join(missing, ", "))
	}
	return nil
}

// bounds is [west, south, east, north].
type bounds [4]float64

// cityBounds reads the bounds of the boundaries in force from the TileJSON.
func cityBounds(ctx context.Context, hc *http.Client, base string) (bounds, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/tiles/requests.json", nil)
	if err != nil {
		return bounds{}, err
	}
	_, body, _, failure := send(hc, req, http.StatusOK)
	if failure != "" {
		return bounds{}, errors.New("tilejson: " + failure)
	}
	var tj struct {
		Bounds []float64 `json:"bounds"`
	}
	if err := json.Unmarshal(body, &tj); err != nil || len(tj.Bounds) != 4 || !(tj.Bounds[0] < tj.Bounds[2] && tj.Bounds[1] < tj.Bounds[3]) {
		return bounds{}, fmt.Errorf("tilejson: no usable bounds in %s", clip(string(body)))
	}
	return bounds{tj.Bounds[0], tj.Bounds[1], tj.Bounds[2], tj.Bounds[3]}, nil
}

// neighbourOffsets are the probes around a candidate point, in metres
// (north, east): a point is kept only when it and these route, so that
// repeats jittered by a few metres stay inside the city.
var neighbourOffsets = [][2]float64{{0, 0}, {10, 0}, {-10, 0}, {0, 10}, {0, -10}}

// samplePoints draws candidates uniformly in b and keeps those that route,
// with their neighbours, in one batch request (POST /v1/route/batch, CSV).
func samplePoints(ctx context.Context, hc *http.Client, base string, b bounds, want int, rng *rand.Rand) ([]point, error) {
	const candidates = 2048
	var sb strings.Builder
	sb.WriteString("lat,lon\n")
	cands := make([]point, candidates)
	for i := range cands {
		p := point{Lat: b[1] + rng.Float64()*(b[3]-b[1]), Lon: b[0] + rng.Float64()*(b[2]-b[0])}
		cands[i] = p
		for _, o := range neighbourOffsets {
			lat := p.Lat + o[0]/111_320
			lon := p.Lon + o[1]/(111_320*math.Cos(p.Lat*math.Pi/180))
			fmt.Fprintf(&sb, "%.7f,%.7f\n", lat, lon)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/route/batch", strings.NewReader(sb.String()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/csv")
	_, body, _, failure := send(hc, req, http.StatusOK)
	if failure != "" {
		return nil, errors.New("route batch: " + failure)
	}
	ok, err := routedRows(strings.NewReader(string(body)))
	if err != nil {
		return nil, fmt.Errorf("route batch: %w", err)
	}
	if len(ok) != candidates*len(neighbourOffsets) {
		return nil, fmt.Errorf("route batch: %d rows answered, %d sent", len(ok), candidates*len(neighbourOffsets))
	}
	var pts []point
	for i, p := range cands {
		rows := ok[i*len(neighbourOffsets) : (i+1)*len(neighbourOffsets)]
		if !slices.Contains(rows, false) {
			pts = append(pts, p)
			if len(pts) == want {
				break
			}
		}
	}
	if len(pts) < 16 {
		return nil, fmt.Errorf("%w: %d of %d candidates in %v routed", errNoPoints, len(pts), candidates, b)
	}
	return pts, nil
}

// routedRows reads a batch routing CSV answer: for each row, whether it
// routed (an empty error_code).
func routedRows(r io.Reader) ([]bool, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := slices.Index(head, "error_code")
	if col < 0 {
		return nil, fmt.Errorf("no error_code column in %q", head)
	}
	var out []bool
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, col < len(rec) && rec[col] == "")
	}
}

// tileOf is the XYZ (slippy map) tile holding p at zoom z.
func tileOf(p point, z int) (x, y int) {
	n := math.Exp2(float64(z))
	x = int(math.Floor((p.Lon + 180) / 360 * n))
	lat := p.Lat * math.Pi / 180
	y = int(math.Floor((1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n))
	last := int(n) - 1
	return min(max(x, 0), last), min(max(y, 0), last)
}

// tileURLs lists the tiles of the mix: requests and hexbins at zooms 11-15,
// boundaries (districts, beats, wards) at 10, 12 and 14, each at the tiles
// of some of the points, without repeats.
func tileURLs(pts []point, perZoom int) []string {
	seen := map[string]bool{}
	var out []string
	add := func(layer string, z int, query string, limit int) {
		n := 0
		for _, p := range pts {
			if n == limit {
				return
			}
			x, y := tileOf(p, z)
			u := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt%s", layer, z, x, y, query)
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
				n++
			}
		}
	}
	for _, z := range []int{11, 12, 13, 14, 15} {
		add("requests", z, "", perZoom)
		add("hexbins", z, "", perZoom)
	}
	for _, z := range []int{10, 12, 14} {
		for _, l := range []string{"district", "beat", "ward"} {
			add("boundaries", z, "?layer="+l, perZoom/2)
		}
	}
	return out
}

// seed files seed requests and concerns so that lookups have targets from
// the first second; every one must succeed.
func seed(ctx context.Context, c *client, requests, concerns int, rng *rand.Rand) error {
	for i := range requests + concerns {
		var o outcome
		if i < requests {
			o = c.intake(ctx, -1-i, rng)
		} else {
			o = c.concern(ctx, -1-i, rng)
		}
		if o.failure != "" {
			return errors.New("seed request " + strconv.Itoa(i) + ": " + o.failure)
		}
	}
	return nil
}
