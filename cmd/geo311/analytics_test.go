package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
	"github.com/geo311/geo311/trends"
)

// emptyScan is a request store with no requests (only ScanRequests is used).
type emptyScan struct{ data.RequestStore }

func (emptyScan) ScanRequests(context.Context, data.RequestFilter, func(*data.Request) error) error {
	return nil
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func trendsClosedQuery() trends.HeatmapQuery {
	return trends.HeatmapQuery{Event: trends.Closed, Resolution: 7}
}

func TestParseTilePath(t *testing.T) {
	for _, c := range []struct {
		layer, z, x, y string
		kind           error
	}{
		{"requests", "14", "4202", "6090.mvt", nil},
		{"boundaries", "0", "0", "0.mvt", nil},
		{"nope", "1", "0", "0.mvt", data.ErrNotFound},
		{"requests", "1", "0", "0", data.ErrInvalid},
		{"requests", "1", "2", "0.mvt", data.ErrInvalid},
		{"requests", "-1", "0", "0.mvt", data.ErrInvalid},
		{"requests", "23", "0", "0.mvt", data.ErrInvalid},
		{"requests", "1", "0", "..%2f..%2fetc.mvt", data.ErrInvalid},
	} {
		_, err := parseTilePath(c.layer, c.z, c.x, c.y)
		if c.kind == nil && err != nil || c.kind != nil && !errors.Is(err, c.kind) {
			t.Errorf("%s/%s/%s/%s: %v, want %v", c.layer, c.z, c.x, c.y, err, c.kind)
		}
	}
}

func TestParseRequestFilter(t *testing.T) {
	j, _ := geo.Demo(1)
	loc := time.UTC
	code := j.Services[0].Code
	f, err := parseRequestFilter(url.Values{"from": {"2026-01-01"}, "to": {"2026-02-01T00:00:00Z"}, "types": {code}, "status": {"open"},
		"district": {"1"}, "area": {"ward:3"}, "bbox": {"-88,41,-87,42"}, "duplicates": {"exclude"}}, j, loc)
	if err != nil {
		t.Fatal(err)
	}
	if !f.ExcludePolice || f.Status != "open" || len(f.ServiceCodes) != 1 || f.Duplicates != data.DuplicatesExclude || f.BBox == nil ||
		len(f.Areas) != 2 || f.From != time.Date(2026, 1, 1, 0, 0, 0, 0, loc) {
		t.Errorf("filter %+v", f)
	}
	if spec, _ := j.LayerSpec(data.LayerDistrict); spec.PadID == 2 && f.Areas[0].ID != "01" {
		t.Errorf("district not padded: %+v", f.Areas[0])
	}
	for _, bad := range []string{"from=x", "to=2026-01-01&from=2026-02-01", "types=NOPE", "status=pending", "area=district",
		"area=Bad:1", "bbox=1,2,3", "bbox=10,0,0,0", "bbox=0,0,0,NaN", "duplicates=maybe", "beat=1&beat=2", "ward=" + strings.Repeat("9", 80)} {
		q, _ := url.ParseQuery(bad)
		if _, err := parseRequestFilter(q, j, loc); !errors.Is(err, data.ErrInvalid) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestAcceptsGzipAndETags(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "*": true, "identity": false, "deflate": false} {
		r := &httpRequestHeader{h}
		if got := acceptsGzip(r.req()); got != want {
			t.Errorf("Accept-Encoding %q: %v", h, got)
		}
	}
	if !etagMatch(`"a", "b"`, `"b"`) || !etagMatch("*", `"x"`) || etagMatch(`"a"`, `"b"`) || !etagMatch(`W/"a"`, `"a"`) {
		t.Error("etagMatch")
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range [][4]string{{"requests", "14", "4202", "6090.mvt"}, {"hexbins", "0", "0", "0.mvt"}, {"x", "99999999999999999999", "-1", ".mvt"}, {"chronic", "22", "4194303", "4194303.mvt"}} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, layer, z, x, y string) {
		tr, err := parseTilePath(layer, z, x, y)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) && !errors.Is(err, data.ErrNotFound) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		n := uint32(1) << tr.Tile.Z
		if tr.Tile.Z > 22 || tr.Tile.X >= n || tr.Tile.Y >= n {
			t.Fatalf("accepted %v", tr.Tile)
		}
	})
}

func FuzzParseRequestFilter(f *testing.F) {
	j, _ := geo.Demo(1)
	for _, s := range []string{"from=2026-01-01&to=2026-02-01", "types=" + j.Services[0].Code + "&status=closed", "district=1&area=ward:3",
		"bbox=-88,41,-87,42&duplicates=only", "bbox=NaN,0,0,0", "area=%ff:1", "from=2026-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := parseRequestFilter(q, j, time.UTC)
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) == "" {
				t.Fatalf("%q: error without kind or field: %v", raw, err)
			}
			return
		}
		if !fl.ExcludePolice {
			t.Fatal("public filter lets police-related requests through")
		}
		if !fl.From.IsZero() && !fl.To.IsZero() && !fl.To.After(fl.From) {
			t.Fatalf("empty window accepted: %v %v", fl.From, fl.To)
		}
		if fl.BBox != nil && (fl.BBox.Min[0] > fl.BBox.Max[0] || fl.BBox.Min[1] > fl.BBox.Max[1]) {
			t.Fatalf("inverted bbox: %v", fl.BBox)
		}
	})
}

type httpRequestHeader struct{ ae string }

func (h *httpRequestHeader) req() *http.Request {
	r, _ := http.NewRequest("GET", "/", nil)
	if h.ae != "" {
		r.Header.Set("Accept-Encoding", h.ae)
	}
	return r
}
