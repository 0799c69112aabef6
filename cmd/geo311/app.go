package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis"
	"github.com/geo311/geo311/data/sqlite"
	"github.com/geo311/geo311/geo"
)

// boundaryStore is what the commands of this issue need from a store; both
// data/sqlite and data/postgis provide it.
type boundaryStore interface {
	data.BoundaryStore
	Ping(ctx context.Context) error
}

// app holds what every command that opens the store shares.
type app struct {
	cfg     *Config
	log     *slog.Logger
	store   data.Store
	closeDB func() error
	j       *data.Jurisdiction
	loc     *time.Location
	// policy refuses lewd, obscene or derogatory text at intake
	// (data.DefaultContentPolicy, or the --content-words list).
	policy *data.ContentPolicy
	// observers are told about every durable change of a request.
	observers observers
	// analytics (trends cube, tile index) is built by serve at start-up
	// (startAnalytics, analytics.go) and registered in observers.
	analytics *analytics
	// reads routes the read side's scans (analytics start-up, reports,
	// exports) to the read replica when one is configured (readstore.go).
	reads *readStores
}

// Both stores implement everything a server keeps.
var (
	_ data.Store = (*sqlite.DB)(nil)
	_ data.Store = (*postgis.DB)(nil)
)

// openApp opens the configured store and looks up the jurisdiction. With
// the demo jurisdiction, its generated generations are stored (on first use)
// and activated where their layer has no active generation.
func openApp(ctx context.Context, cfg *Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	var demoGens []*data.Generation
	if cfg.Jurisdiction == "demo" {
		a.j, demoGens = geo.Demo(1)
	} else {
		j, err := geo.LookupJurisdiction(cfg.Jurisdiction)
		if err != nil {
			return nil, err
		}
		a.j = j
	}
	loc, err := time.LoadLocation(a.j.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("jurisdiction %s: time zone %q: %w", a.j.ID, a.j.TimeZone, err)
	}
	a.loc = loc
	if a.policy, err = loadContentPolicy(cfg.ContentWords); err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" {
		db, err := postgis.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostGIS store: %w", err)
		}
		a.store, a.closeDB = db, func() error { db.Close(); return nil }
		a.reads = newReadStores(a.store, log)
		log.Debug("store opened", "store", "postgis")
		if cfg.readerFlag && cfg.ReadDatabaseURL != "" {
			if err := a.openReplica(ctx, db); err != nil {
				a.Close()
				return nil, err
			}
		}
	} else {
		db, err := sqlite.Open(ctx, cfg.Database)
		if err != nil {
			return nil, fmt.Errorf("open SQLite store %s: %w", cfg.Database, err)
		}
		a.store, a.closeDB = db, db.Close
		a.reads = newReadStores(a.store, log)
		log.Debug("store opened", "store", "sqlite", "path", cfg.Database)
	}
	if demoGens != nil {
		if err := a.ensureDemo(ctx, demoGens); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

func (a *app) Close() error {
	if a.closeDB == nil {
		return nil
	}
	err := a.closeDB()
	a.closeDB = nil
	return err
}

// ensureDemo stores the demo generations that are missing and activates
// each one whose layer has no active generation yet; running it again
// changes nothing.
func (a *app) ensureDemo(ctx context.Context, gens []*data.Generation) error {
	have, err := a.store.Generations(ctx)
	if err != nil {
		return fmt.Errorf("demo: list generations: %w", err)
	}
	stored := map[string]bool{}
	activeLayer := map[data.Layer]bool{}
	for _, g := range have {
		stored[g.ID] = true
		if g.Active {
			activeLayer[g.Layer] = true
		}
	}
	for _, g := range gens {
		if spec, ok := a.j.LayerSpec(g.Layer); ok && spec.DerivedFrom != "" {
			continue // derived layers are computed by the index
		}
		if !stored[g.ID] {
			c := *g
			c.Active = false
			if c.LoadedAt.IsZero() {
				c.LoadedAt = time.Now()
			}
			if c.Source == "" {
				c.Source = "geo.Demo(1)"
			}
			if err := a.store.CreateGeneration(ctx, &c); err != nil && !errors.Is(err, data.ErrConflict) {
				return fmt.Errorf("demo: store %s: %w", g.ID, err)
			}
			a.log.Info("demo generation stored", "generation", g.ID, "areas", len(g.Areas))
		}
		if !activeLayer[g.Layer] {
			if err := a.store.ActivateGeneration(ctx, g.ID); err != nil {
				return fmt.Errorf("demo: activate %s: %w", g.ID, err)
			}
		}
	}
	return nil
}

// indexable keeps the generations the index takes: derived layers' stored
// generations (if any) are computed by the index itself.
func (a *app) indexable(gens []*data.Generation) []*data.Generation {
	out := gens[:0:0]
	for _, g := range gens {
		if spec, ok := a.j.LayerSpec(g.Layer); ok && spec.DerivedFrom != "" {
			continue
		}
		out = append(out, g)
	}
	return out
}

// buildRouter builds a router over the store's active generations.
func (a *app) buildRouter(ctx context.Context) (*geo.Router, error) {
	gens, err := a.store.ActiveGenerations(ctx)
	if err != nil {
		return nil, fmt.Errorf("read active generations: %w", err)
	}
	ix, err := geo.NewIndex(a.j, a.indexable(gens))
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	return geo.NewRouter(ix), nil
}

// loadContentPolicy reads the configured word list, or returns the
// built-in policy when none is configured.
func loadContentPolicy(path string) (*data.ContentPolicy, error) {
	if path == "" {
		return data.DefaultContentPolicy(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("content words: %w", err)
	}
	defer f.Close()
	words, err := data.ReadContentWords(f)
	if err != nil {
		return nil, fmt.Errorf("content words %s: %w", path, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("content words %s: the list is empty (remove the setting to use the built-in list)", path)
	}
	return data.NewContentPolicy(words), nil
}

// noBoundaries is the answer while no generation is active.
func noBoundaries(j *data.Jurisdiction) error {
	return data.Errorf(data.ErrUnavailable, "no boundaries are loaded for %s: load them with 'geo311 boundaries load' or 'geo311 boundaries fetch chicago', then activate them", j.ID)
}

// routerHolder holds the router in use; a newly activated generation swaps
// in a new router atomically while requests keep the one they started with.
type routerHolder struct {
	app *app
	p   atomic.Pointer[geo.Router]
	mu  sync.Mutex // serialises rebuilds
	sig atomic.Pointer[string]
}

func newRouterHolder(a *app) *routerHolder { return &routerHolder{app: a} }

// Load returns the current router (nil before the first Reload).
func (h *routerHolder) Load() *geo.Router { return h.p.Load() }

// Ready reports whether routing has boundaries to answer from.
func (h *routerHolder) Ready() (bool, int) {
	r := h.p.Load()
	if r == nil {
		return false, 0
	}
	n := len(r.Index().Generations())
	return n > 0, n
}

// Reload rebuilds the router from the store's active generations.
func (h *routerHolder) Reload(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	sig, err := h.activeSignature(ctx)
	if err != nil {
		return err
	}
	r, err := h.app.buildRouter(ctx)
	if err != nil {
		return err
	}
	h.p.Store(r)
	h.sig.Store(&sig)
	ids := make([]string, 0)
	for _, g := range r.Index().Generations() {
		ids = append(ids, g.ID)
	}
	h.app.log.Info("routing index loaded", "generations", strings.Join(ids, ","))
	return nil
}

// ReloadIfChanged rebuilds the router when the set of active generations
// in the store differs from the one in use (another process activated one).
func (h *routerHolder) ReloadIfChanged(ctx context.Context) error {
	sig, err := h.activeSignature(ctx)
	if err != nil {
		return err
	}
	if cur := h.sig.Load(); cur != nil && *cur == sig {
		return nil
	}
	return h.Reload(ctx)
}

func (h *routerHolder) activeSignature(ctx context.Context) (string, error) {
	gens, err := h.app.store.Generations(ctx)
	if err != nil {
		return "", fmt.Errorf("list generations: %w", err)
	}
	var ids []string
	for _, g := range gens {
		if g.Active {
			ids = append(ids, g.ID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, "\n"), nil
}

// parseDate reads an effective date (YYYY-MM-DD) as midnight in loc.
func parseDate(field, s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, data.Invalid(field, "%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}
