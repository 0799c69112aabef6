package main

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/tiles"
)

// tileRequest is a parsed tile URL: /tiles/{layer}/{z}/{x}/{y}.mvt.
type tileRequest struct {
	Layer string
	Tile  maptile.Tile
}

// parseTilePath checks the path parameters of a tile URL: an unknown layer is
// ErrNotFound (404), a bad z/x/y or a missing .mvt ErrInvalid (400).
func parseTilePath(layer, z, x, yFile string) (tileRequest, error) {
	l, err := tiles.ParseLayer(layer)
	if err != nil {
		return tileRequest{}, err
	}
	y, ok := strings.CutSuffix(yFile, ".mvt")
	if !ok {
		return tileRequest{}, data.Invalid("y", "tile URLs end in .mvt: /tiles/{layer}/{z}/{x}/{y}.mvt")
	}
	t, err := tiles.ParseTile(z, x, y)
	if err != nil {
		return tileRequest{}, err
	}
	return tileRequest{Layer: l, Tile: t}, nil
}

// Cache lifetimes per layer: data layers change with every intake, boundaries
// only when a generation is activated (and are keyed by generation).
func tileCacheControl(layer string) string {
	switch layer {
	case tiles.LayerBoundaries:
		return "public, max-age=3600"
	case tiles.LayerChronic:
		return "public, max-age=300"
	}
	return "public, max-age=60"
}

// GET /tiles/{layer}/{z}/{x}/{y}.mvt
func (s *server) handleTile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		tr, err := parseTilePath(chi.URLParam(r, "layer"), chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		an, err := s.analytics()
		if err != nil {
			s.error(w, r, err)
			return
		}
		q := r.URL.Query()
		var enc *tiles.Encoded
		switch tr.Layer {
		case tiles.LayerRequests, tiles.LayerHexbins:
			f, ferr := tiles.ParseFilter(q, s.app.loc)
			if ferr != nil {
				s.error(w, r, ferr)
				return
			}
			if tr.Layer == tiles.LayerRequests {
				enc, err = an.tiles.Requests(r.Context(), tr.Tile, f)
			} else {
				enc, err = an.tiles.Hexbins(r.Context(), tr.Tile, f)
			}
		case tiles.LayerBoundaries:
			b, source, berr := s.tileBoundaries(an, q)
			if berr != nil {
				s.error(w, r, berr)
				return
			}
			enc, err = an.tiles.Boundaries(r.Context(), tr.Tile, b, source)
		case tiles.LayerChronic:
			cq, key, cerr := s.chronicQuery(q)
			if cerr != nil {
				s.error(w, r, cerr)
				return
			}
			e, cerr := an.chronicFor(key, cq)
			if cerr != nil {
				s.error(w, r, asInvalid(cerr))
				return
			}
			enc, err = an.tiles.Chronic(r.Context(), tr.Tile, e.layer, "chronic|"+key+"|"+uitoa(e.version))
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeTile(w, r, tr.Layer, enc)
	})
}

func uitoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// writeTile sends an encoded tile: 204 when empty; the gzip representation
// when the client accepts it; strong ETags and If-None-Match.
func writeTile(w http.ResponseWriter, r *http.Request, layer string, enc *tiles.Encoded) {
	h := w.Header()
	h.Set("Cache-Control", tileCacheControl(layer))
	h.Set("Vary", "Accept-Encoding")
	if enc.Empty {
		if enc.ETag != "" {
			h.Set("ETag", enc.ETag)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, etag := enc.Data, enc.ETag
	if acceptsGzip(r) {
		gz := enc.Gzip
		if gz == nil {
			gz = tiles.Gzip(enc.Data)
		}
		body, etag = gz, enc.GzipETag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Content-Length", itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func itoa(n int) string { return uitoa(uint64(n)) }

// acceptsGzip reports whether Accept-Encoding allows gzip (q > 0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		params = strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if params == "q=0" || params == "q=0.0" || params == "q=0.00" || params == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

// etagMatch implements If-None-Match's weak comparison over a list (RFC 9110
// 13.1.2): "*" matches any representation.
func etagMatch(header, etag string) bool {
	if header == "" || etag == "" {
		return false
	}
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// tileBoundaries picks the boundaries of the boundaries layer:
// ?layer=ward (default: district, else the first layer), and
// ?generation=ward@2015-05-18 or ?date=2016-01-01 (default: now).
func (s *server) tileBoundaries(an *analytics, q url.Values) (*tiles.Boundaries, string, error) {
	rt := s.routers.Load()
	if rt == nil || len(rt.Index().Generations()) == 0 {
		return nil, "", noBoundaries(s.j)
	}
	ix := rt.Index()
	var layer data.Layer
	if v := q.Get("layer"); v != "" {
		l, err := data.ParseLayer(v)
		if err != nil {
			return nil, "", err
		}
		if _, ok := s.j.LayerSpec(l); !ok {
			return nil, "", data.Errorf(data.ErrNotFound, "layer: %s is not a layer of %s (%s)", l, s.j.ID, layerNames(s.j))
		}
		layer = l
	} else {
		layer = data.LayerDistrict
		if _, ok := s.j.LayerSpec(layer); !ok {
			layer = ix.Layers()[0]
		}
	}
	at := s.now()
	if g := q.Get("generation"); g != "" {
		found := false
		for _, gen := range ix.Generations() {
			if gen.ID == g {
				if gen.Layer != layer && q.Get("layer") != "" {
					return nil, "", data.Invalid("generation", "%s is not a generation of layer %s", truncate(g, 60), layer)
				}
				layer, at, found = gen.Layer, gen.EffectiveFrom, true
				break
			}
		}
		if !found {
			return nil, "", data.Errorf(data.ErrNotFound, "generation: %q is not an active generation", truncate(g, 60))
		}
	} else if d := q.Get("date"); d != "" {
		t, err := paramTime("date", d, s.app.loc)
		if err != nil {
			return nil, "", err
		}
		at = t
	}
	areas, genID, ok := ix.Areas(layer, at)
	if !ok {
		return nil, "", data.Errorf(data.ErrNotFound, "layer %s has no generation in force on %s", layer, at.In(s.app.loc).Format("2006-01-02"))
	}
	return an.boundarySet(genID, areas), genID, nil
}

// GET /tiles/{layer}.json: TileJSON 3.0.
func (s *server) handleTileJSON() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		name, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".json")
		if !ok {
			s.error(w, r, data.Errorf(data.ErrNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
		layer, err := tiles.ParseLayer(name)
		if err != nil {
			s.error(w, r, err)
			return
		}
		bounds := boundsAround(s.j.Center)
		if rt := s.routers.Load(); rt != nil && len(rt.Index().Generations()) > 0 {
			if b, ok := jurisdictionBound(rt.Index(), s.now()); ok {
				bounds = b
			}
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		center := [3]float64{s.j.Center[0], s.j.Center[1], 10}
		if center[0] == 0 && center[1] == 0 {
			c := bounds.Center()
			center = [3]float64{c[0], c[1], 10}
		}
		b, err := tiles.TileJSON(layer, scheme+"://"+r.Host, bounds, center, 0, tiles.MaxZoom)
		if err != nil {
			s.error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age="+itoa(int((5*time.Minute).Seconds())))
		w.Write(b)
	})
}

// boundsAround is a bound of about a degree around a centre, for TileJSON
// before any boundary is loaded.
func boundsAround(c [2]float64) orb.Bound {
	return orb.Bound{
		Min: orb.Point{max(c[0]-0.5, -180), max(c[1]-0.5, -85)},
		Max: orb.Point{min(c[0]+0.5, 180), min(c[1]+0.5, 85)},
	}
}
