package tiles

import (
	"context"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// Service renders the four layers into encoded, cached tiles: what the HTTP
// handlers of /tiles/{layer}/{z}/{x}/{y}.mvt call. Fields are set once
// before use; a Service is then safe for concurrent use.
type Service struct {
	// Index serves the requests layer (and hexbins when Counter is nil).
	Index *RequestIndex
	// Counter, if set, counts the hexbins layer (e.g. the trends cube).
	Counter CellCounter
	// Cache, if set, keeps encoded tiles.
	Cache *Cache
	// Now gives the reference time of age_days (default time.Now).
	Now func() time.Time
	// RequestsOptions tunes the requests layer.
	RequestsOptions RequestsOptions
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Requests renders the requests layer of tile t.
func (s *Service) Requests(ctx context.Context, t maptile.Tile, f Filter) (*Encoded, error) {
	now := s.now()
	k := Key{Layer: LayerRequests, Z: uint8(t.Z), X: t.X, Y: t.Y, Filter: f.Key(),
		Source: "index", Version: s.Index.Version(), Day: now.Unix() / 86400}
	return s.render(ctx, k, func() (*mvt.Layer, error) {
		return s.Index.RequestsLayer(t, f, now, s.RequestsOptions), nil
	})
}

// Hexbins renders the hexbins layer of tile t.
func (s *Service) Hexbins(ctx context.Context, t maptile.Tile, f Filter) (*Encoded, error) {
	var c CellCounter = s.Index
	src := "index"
	if s.Counter != nil {
		c, src = s.Counter, "counter"
	}
	k := Key{Layer: LayerHexbins, Z: uint8(t.Z), X: t.X, Y: t.Y, Filter: f.Key(), Source: src, Version: c.Version()}
	return s.render(ctx, k, func() (*mvt.Layer, error) { return HexbinsLayer(ctx, t, c, f) })
}

// Boundaries renders the boundaries layer of tile t from b. source names
// what b was built from (e.g. "beat@2012-12-19,district@2012-12-19") and
// keys the cache: a new set under the same name needs Cache.Purge.
func (s *Service) Boundaries(ctx context.Context, t maptile.Tile, b *Boundaries, source string) (*Encoded, error) {
	k := Key{Layer: LayerBoundaries, Z: uint8(t.Z), X: t.X, Y: t.Y, Source: source}
	return s.render(ctx, k, func() (*mvt.Layer, error) { return b.Layer(t), nil })
}

// Chronic renders the chronic layer of tile t from c; source names the
// analysis (district, types, weeks, as-of date) and keys the cache.
func (s *Service) Chronic(ctx context.Context, t maptile.Tile, c *Chronic, source string) (*Encoded, error) {
	k := Key{Layer: LayerChronic, Z: uint8(t.Z), X: t.X, Y: t.Y, Source: source}
	return s.render(ctx, k, func() (*mvt.Layer, error) { return c.Layer(t), nil })
}

func (s *Service) render(ctx context.Context, k Key, build func() (*mvt.Layer, error)) (*Encoded, error) {
	if s.Cache != nil {
		if e, ok := s.Cache.Get(k); ok {
			return e, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l, err := build()
	if err != nil {
		return nil, err
	}
	e := &Encoded{ETag: k.ETag(), Features: len(l.Features)}
	e.GzipETag = gzipETag(e.ETag)
	b, ok, err := Marshal(l)
	if err != nil {
		return nil, err
	}
	if ok {
		e.Data, e.Gzip = b, Gzip(b)
	} else {
		e.Empty = true
	}
	if s.Cache != nil {
		s.Cache.Put(k, e)
	}
	return e, nil
}
