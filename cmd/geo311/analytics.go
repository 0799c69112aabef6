package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
	"github.com/geo311/geo311/tiles"
	"github.com/geo311/geo311/trends"
)

// analytics is the in-process state the read side of the API answers from
// without a database round trip: the trends cube (heatmaps, series, chronic
// problems, the cube export) and the tile request index (requests and
// hexbins tiles). It is built from one store scan at serve start-up and kept
// current as a changeObserver.
type analytics struct {
	j     *data.Jurisdiction
	loc   *time.Location
	log   *slog.Logger
	cube  *trends.Cube
	index *tiles.RequestIndex
	tiles *tiles.Service

	// version counts observed changes: it keys derived caches (chronic).
	version atomic.Uint64

	mu         sync.Mutex
	boundaries map[string]*tiles.Boundaries // by generation id
	chronic    map[string]chronicEntry      // by analysis key
}

type chronicEntry struct {
	version uint64
	cells   []trends.ChronicCell
	weeks   []time.Time
	layer   *tiles.Chronic
}

// maxChronicEntries bounds the chronic analysis cache (each entry is one
// district's analysis: a few thousand cells at most).
const maxChronicEntries = 64

// tileCacheBytes bounds the encoded tile cache.
const tileCacheBytes = 128 << 20

// buildAnalytics scans every request of the store once, feeding the cube's
// bulk loader and the tile index builder from the same scan.
func buildAnalytics(ctx context.Context, j *data.Jurisdiction, loc *time.Location, rs data.RequestStore, log *slog.Logger) (*analytics, error) {
	start := time.Now()
	cube, err := trends.NewCube(trends.Options{Location: loc})
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	loader := cube.NewLoader()
	ib := tiles.NewIndexBuilder(j)
	n := 0
	err = rs.ScanRequests(ctx, data.RequestFilter{Ascending: true}, func(r *data.Request) error {
		n++
		loader.Add(r)
		return ib.Add(r)
	})
	loader.Close()
	if err != nil {
		return nil, fmt.Errorf("analytics: scan requests: %w", err)
	}
	ix := ib.Build()
	an := newAnalytics(j, loc, log, cube, ix)
	st := cube.Stats()
	log.Info("analytics loaded", "requests", n, "cube_entries", st.Entries, "cube_skipped", st.Skipped,
		"tile_index", ix.Len(), "tile_skipped", ix.Skipped(), "took", time.Since(start).Round(time.Millisecond).String())
	return an, nil
}

func newAnalytics(j *data.Jurisdiction, loc *time.Location, log *slog.Logger, cube *trends.Cube, ix *tiles.RequestIndex) *analytics {
	return &analytics{
		j: j, loc: loc, log: log, cube: cube, index: ix,
		tiles:      &tiles.Service{Index: ix, Cache: tiles.NewCache(tileCacheBytes)},
		boundaries: map[string]*tiles.Boundaries{},
		chronic:    map[string]chronicEntry{},
	}
}

// Observe implements changeObserver: a new request (old nil), a transition
// or a dedupe decision (both set), a removal (new nil).
func (an *analytics) Observe(old, new *data.Request) {
	an.cube.Update(old, new)
	switch {
	case new != nil:
		if err := an.index.Update(new); err != nil {
			an.log.Debug("tile index: request not indexed", "number", new.Number, "error", err.Error())
		}
	case old != nil:
		an.index.Remove(old.Number)
	}
	an.version.Add(1)
}

// boundarySet returns the prepared boundaries of one generation's areas,
// built once per generation id (generations are immutable).
func (an *analytics) boundarySet(genID string, areas []data.Area) *tiles.Boundaries {
	an.mu.Lock()
	defer an.mu.Unlock()
	if b, ok := an.boundaries[genID]; ok {
		return b
	}
	b := tiles.NewBoundaries(areas)
	an.boundaries[genID] = b
	return b
}

// chronicFor runs (or reuses) the emerging hot spot analysis keyed by key;
// results are reused until the data changes.
func (an *analytics) chronicFor(key string, q trends.ChronicQuery) (chronicEntry, error) {
	v := an.version.Load()
	an.mu.Lock()
	e, ok := an.chronic[key]
	an.mu.Unlock()
	if ok && e.version == v {
		return e, nil
	}
	cells, err := an.cube.Chronic(q)
	if err != nil {
		return chronicEntry{}, err
	}
	weeks, err := an.cube.ChronicWeeks(q)
	if err != nil {
		return chronicEntry{}, err
	}
	tc := make([]tiles.ChronicCell, 0, len(cells))
	for _, c := range cells {
		if c.Category == trends.NoPattern {
			continue
		}
		var sum int64
		for _, x := range c.Counts {
			sum += x
		}
		tc = append(tc, tiles.ChronicCell{Cell: uint64(c.Cell), Category: string(c.Category), Z: c.Z, Count: int(sum)})
	}
	layer, err := tiles.NewChronic(tc)
	if err != nil {
		return chronicEntry{}, err
	}
	e = chronicEntry{version: v, cells: cells, weeks: weeks, layer: layer}
	an.mu.Lock()
	if len(an.chronic) >= maxChronicEntries {
		clear(an.chronic)
	}
	an.chronic[key] = e
	an.mu.Unlock()
	return e, nil
}

// requestStore returns the store's request side.
func (a *app) requestStore() (data.RequestStore, error) {
	var st any = a.store
	rs, ok := st.(data.RequestStore)
	if !ok {
		return nil, data.Errorf(data.ErrUnavailable, "the store does not keep requests")
	}
	return rs, nil
}

// startAnalytics builds the analytics from the store (serve start-up). With
// a read replica, the scan reads from it once it has replayed everything the
// primary had committed when the scan began (at most analyticsCatchUp, else
// from the primary), so the analytics miss nothing acknowledged before the
// server listens; afterwards they follow this process's writes in memory.
func (a *app) startAnalytics(ctx context.Context) error {
	if _, err := a.requestStore(); err != nil {
		return err
	}
	var an *analytics
	build := func(rs data.RequestStore) error {
		var err error
		an, err = buildAnalytics(ctx, a.j, a.loc, rs, a.log)
		return err
	}
	var err error
	switch {
	case a.reads == nil:
		rs, _ := a.requestStore()
		err = build(rs)
	case a.reads.hasReplica():
		cctx, cancel := context.WithTimeout(ctx, analyticsCatchUp)
		cerr := a.reads.ops.catchUp(cctx)
		cancel()
		if cerr != nil && ctx.Err() == nil {
			a.log.Warn("the read replica does not answer or has not replayed the primary's writes: the analytics are loaded from the primary", "error", cerr.Error())
			err = a.reads.onPrimary(build)
		} else {
			err = a.reads.run(ctx, build)
		}
	default:
		err = a.reads.run(ctx, build)
	}
	if err != nil {
		return err
	}
	a.analytics = an
	a.observers = append(a.observers, an)
	return nil
}

// jurisdictionBound is the bound of every area of the index's first layer
// with a generation in force at t.
func jurisdictionBound(ix *geo.Index, t time.Time) (orb.Bound, bool) {
	for _, l := range ix.Layers() {
		areas, _, ok := ix.Areas(l, t)
		if !ok || len(areas) == 0 {
			continue
		}
		b := areas[0].Geometry.Bound()
		for _, a := range areas[1:] {
			b = b.Union(a.Geometry.Bound())
		}
		return b, true
	}
	return orb.Bound{}, false
}
