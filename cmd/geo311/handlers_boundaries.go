package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/geo311/geo311/cmd/geo311/internal/batch"
	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

// generationInfo describes a generation without its areas.
type generationInfo struct {
	ID            string     `json:"id"`
	Layer         data.Layer `json:"layer"`
	EffectiveFrom string     `json:"effective_from"`
	Active        bool       `json:"active"`
	InUse         bool       `json:"in_use"` // the running index answers from it
	Derived       bool       `json:"derived,omitempty"`
	Areas         int        `json:"areas"`
	Source        string     `json:"source,omitempty"`
	LoadedAt      *time.Time `json:"loaded_at,omitempty"`
}

// layerInfo describes a layer of the jurisdiction and its generations.
type layerInfo struct {
	Layer       data.Layer       `json:"layer"`
	Title       string           `json:"title"`
	DerivedFrom data.Layer       `json:"derived_from,omitempty"`
	IDProperty  string           `json:"id_property,omitempty"`
	Generations []generationInfo `json:"generations"`
}

type boundariesResponse struct {
	Jurisdiction struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		TimeZone string `json:"time_zone"`
	} `json:"jurisdiction"`
	Layers []layerInfo `json:"layers"`
}

func genInfo(g *data.Generation, loc *time.Location, inUse map[string]bool) generationInfo {
	gi := generationInfo{
		ID: g.ID, Layer: g.Layer, EffectiveFrom: g.EffectiveFrom.In(loc).Format("2006-01-02"),
		Active: g.Active, InUse: inUse[g.ID], Areas: g.AreaCount, Source: g.Source,
	}
	if !g.LoadedAt.IsZero() {
		t := g.LoadedAt.UTC()
		gi.LoadedAt = &t
	}
	return gi
}

// listBoundaries describes the layers of the jurisdiction and every stored
// generation; derived layers list the generations the index derives from
// their source's generations in use.
func (a *app) listBoundaries(ctx context.Context, rt *geo.Router) (*boundariesResponse, error) {
	gens, err := a.store.Generations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list generations: %w", err)
	}
	inUse := map[string]bool{}
	var ix *geo.Index
	if rt != nil {
		ix = rt.Index()
		for _, g := range ix.Generations() {
			inUse[g.ID] = true
		}
	}
	res := &boundariesResponse{}
	res.Jurisdiction.ID, res.Jurisdiction.Name, res.Jurisdiction.TimeZone = a.j.ID, a.j.Name, a.j.TimeZone
	pos := map[data.Layer]int{}
	for _, s := range a.j.Layers {
		pos[s.Layer] = len(res.Layers)
		res.Layers = append(res.Layers, layerInfo{Layer: s.Layer, Title: s.Title, DerivedFrom: s.DerivedFrom, IDProperty: s.IDProperty, Generations: []generationInfo{}})
	}
	for _, g := range gens {
		i, ok := pos[g.Layer]
		if !ok {
			i = len(res.Layers)
			pos[g.Layer] = i
			res.Layers = append(res.Layers, layerInfo{Layer: g.Layer, Title: string(g.Layer), Generations: []generationInfo{}})
		}
		res.Layers[i].Generations = append(res.Layers[i].Generations, genInfo(g, a.loc, inUse))
	}
	for i := range res.Layers {
		l := &res.Layers[i]
		if l.DerivedFrom == "" || ix == nil {
			continue
		}
		for _, g := range ix.Generations() {
			if g.Layer != l.DerivedFrom {
				continue
			}
			areas, id, ok := ix.Areas(l.Layer, g.EffectiveFrom)
			if !ok {
				continue
			}
			l.Generations = append(l.Generations, generationInfo{ID: id, Layer: l.Layer,
				EffectiveFrom: g.EffectiveFrom.In(a.loc).Format("2006-01-02"), Active: true, InUse: true, Derived: true, Areas: len(areas)})
		}
	}
	return res, nil
}

func (s *server) handleBoundaries() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := s.app.listBoundaries(r.Context(), s.routers.Load())
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// findGeneration reads a generation's description (without areas).
func (a *app) findGeneration(ctx context.Context, id string) (*data.Generation, error) {
	gens, err := a.store.Generations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list generations: %w", err)
	}
	for _, g := range gens {
		if g.ID == id {
			return g, nil
		}
	}
	return nil, data.Errorf(data.ErrNotFound, "generation %q not found (list them with GET /v1/boundaries)", id)
}

func (s *server) handleGeneration() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, err := s.app.findGeneration(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		inUse := map[string]bool{}
		if rt := s.routers.Load(); rt != nil {
			for _, g := range rt.Index().Generations() {
				inUse[g.ID] = true
			}
		}
		writeJSON(w, http.StatusOK, genInfo(g, s.app.loc, inUse))
	})
}

// layerOf checks a layer named by a caller against the index's layers.
func (s *server) layerOf(name string, ix *geo.Index) (data.Layer, error) {
	l, err := data.ParseLayer(name)
	if err != nil {
		return "", err
	}
	if ix != nil && slices.Contains(ix.Layers(), l) {
		return l, nil
	}
	if _, ok := s.j.LayerSpec(l); ok {
		return l, nil
	}
	var names []string
	if ix != nil {
		for _, x := range ix.Layers() {
			names = append(names, string(x))
		}
	} else {
		names = strings.Split(layerNames(s.j), ", ")
	}
	return "", data.Errorf(data.ErrNotFound, "layer %q is not a layer of %s (%s)", name, s.j.ID, strings.Join(names, ", "))
}

func (s *server) handleArea() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := s.routers.Load()
		var ix *geo.Index
		if rt != nil {
			ix = rt.Index()
		}
		layer, err := s.layerOf(chi.URLParam(r, "layer"), ix)
		if err != nil {
			s.error(w, r, err)
			return
		}
		at := s.now()
		if v := r.URL.Query().Get("date"); v != "" {
			if at, err = batch.ParseTime("date", v, s.app.loc); err != nil {
				s.error(w, r, err)
				return
			}
		}
		id := strings.TrimSpace(chi.URLParam(r, "id"))
		if spec, ok := s.j.LayerSpec(layer); ok && spec.PadID > 0 {
			id = geo.NormalizeID(id, spec.PadID)
		}
		if ready, _ := s.routers.Ready(); !ready {
			s.error(w, r, noBoundaries(s.j))
			return
		}
		area, genID, ok := ix.Area(layer, id, at)
		if !ok {
			s.error(w, r, data.Errorf(data.ErrNotFound, "no %s %q in force on %s", layer, id, at.In(s.app.loc).Format("2006-01-02")))
			return
		}
		f := geojson.NewFeature(area.Geometry)
		f.ID = string(layer) + "/" + area.ID
		for k, v := range area.Properties {
			f.Properties[k] = v
		}
		f.Properties["layer"] = string(layer)
		f.Properties["id"] = area.ID
		if area.Name != "" {
			f.Properties["name"] = area.Name
		}
		f.Properties["generation"] = genID
		b, err := json.Marshal(f)
		if err != nil {
			s.error(w, r, fmt.Errorf("encode area %s/%s: %w", layer, area.ID, err))
			return
		}
		w.Header().Set("Content-Type", "application/geo+json")
		w.Write(append(b, '\n'))
	})
}

func (s *server) handleUpload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		layer, err := data.ParseLayer(chi.URLParam(r, "layer"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		q := r.URL.Query()
		ls := loadSpec{Layer: layer, IDProperty: q.Get("id_property"), NameProperty: q.Get("name_property"), PadID: -1,
			Source: "upload " + requestID(r.Context())}
		if v := q.Get("source"); v != "" {
			ls.Source = v
		}
		if v := q.Get("pad_id"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 12 {
				s.error(w, r, data.Invalid("pad_id", "%q is not a width between 0 and 12", v))
				return
			}
			ls.PadID = n
		}
		if ls.From, err = parseDate("from", q.Get("from"), s.app.loc); err != nil {
			if q.Get("from") == "" {
				err = data.Invalid("from", "required: ?from=YYYY-MM-DD, the date the boundaries take effect")
			}
			s.error(w, r, err)
			return
		}
		res, err := loadGeneration(r.Context(), s.app.store, s.j, ls, r.Body)
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.log.Info("generation uploaded", "request_id", requestID(r.Context()), "generation", res.Generation, "areas", res.Report.Areas)
		writeJSON(w, http.StatusCreated, res)
	})
}

func (s *server) handleSetActive(active bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if err := s.app.setActive(r.Context(), id, active, s.routers.Reload); err != nil {
			s.error(w, r, err)
			return
		}
		s.log.Info("generation activation changed", "request_id", requestID(r.Context()), "generation", id, "active", active)
		g, err := s.app.findGeneration(r.Context(), id)
		if err != nil {
			s.error(w, r, err)
			return
		}
		inUse := map[string]bool{}
		for _, g := range s.routers.Load().Index().Generations() {
			inUse[g.ID] = true
		}
		writeJSON(w, http.StatusOK, genInfo(g, s.app.loc, inUse))
	})
}

// setActive activates or deactivates a stored generation, then rebuilds the
// routing index with rebuild. An activation the index cannot take is undone
// and reported.
func (a *app) setActive(ctx context.Context, id string, active bool, rebuild func(context.Context) error) error {
	if _, err := a.findGeneration(ctx, id); err != nil {
		return err
	}
	if !active {
		if err := a.store.DeactivateGeneration(ctx, id); err != nil {
			return err
		}
		return rebuild(ctx)
	}
	if err := a.store.ActivateGeneration(ctx, id); err != nil {
		return err
	}
	if err := rebuild(ctx); err != nil {
		if derr := a.store.DeactivateGeneration(ctx, id); derr != nil {
			return fmt.Errorf("activate %s: %w (and undoing it failed: %v)", id, err, derr)
		}
		return fmt.Errorf("activate %s: refused, the routing index cannot use it: %w", id, err)
	}
	return nil
}
