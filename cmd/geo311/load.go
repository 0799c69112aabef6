package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

// loadSpec says how to read one boundary file: the layer, the effective
// date, and overrides of the jurisdiction's layer spec.
type loadSpec struct {
	Layer        data.Layer
	From         time.Time // midnight of the effective date, jurisdiction time
	IDProperty   string    // "" keeps the spec's
	NameProperty string    // "" keeps the spec's
	PadID        int       // -1 keeps the spec's
	Source       string
}

// loadResult is what loading a generation reports (CLI and HTTP).
type loadResult struct {
	Generation    string         `json:"generation"`
	Layer         data.Layer     `json:"layer"`
	EffectiveFrom string         `json:"effective_from"`
	Active        bool           `json:"active"`
	Source        string         `json:"source,omitempty"`
	Report        *geo.Report    `json:"report"`
	Derived       []derivedLayer `json:"derived,omitempty"`
}

// derivedLayer reports a layer computed from the loaded one (Chicago police
// sectors from beats). The index derives it when it is built.
type derivedLayer struct {
	Layer data.Layer `json:"layer"`
	Areas int        `json:"areas"`
}

// layerSpecFor returns the spec used to load a layer of j. A layer j does not
// list is a custom layer, which needs an id property. Derived layers cannot
// be loaded.
func layerSpecFor(j *data.Jurisdiction, ls loadSpec) (data.LayerSpec, error) {
	var spec data.LayerSpec
	if s, ok := j.LayerSpec(ls.Layer); ok {
		if s.DerivedFrom != "" {
			return spec, data.Invalid("layer", "layer %s of %s is derived from %s: load %s boundaries and %s areas follow", s.Layer, j.ID, s.DerivedFrom, s.DerivedFrom, s.Layer)
		}
		spec = *s
	} else {
		spec = data.LayerSpec{Layer: ls.Layer, Title: string(ls.Layer)}
		if ls.IDProperty == "" {
			return spec, data.Invalid("id_property", "%s is not a layer of %s (%s): a custom layer needs an id property", ls.Layer, j.ID, layerNames(j))
		}
	}
	if ls.IDProperty != "" {
		spec.IDProperty = ls.IDProperty
	}
	if ls.NameProperty != "" {
		spec.NameProperty = ls.NameProperty
	}
	if ls.PadID >= 0 {
		spec.PadID = ls.PadID
	}
	if spec.IDProperty == "" {
		return spec, data.Invalid("id_property", "layer %s has no default id property: give one", ls.Layer)
	}
	return spec, nil
}

func layerNames(j *data.Jurisdiction) string {
	s := ""
	for i, l := range j.Layers {
		if i > 0 {
			s += ", "
		}
		s += string(l.Layer)
	}
	return s
}

// loadGeneration reads a GeoJSON FeatureCollection, validates it and stores
// it as an inactive generation. Validation findings (overlaps, gaps) are
// reported, not refused; hard errors (bad geometry, duplicate ids) refuse the
// file with ErrInvalid. A generation with the same id is ErrConflict.
func loadGeneration(ctx context.Context, store data.BoundaryStore, j *data.Jurisdiction, ls loadSpec, r io.Reader) (*loadResult, error) {
	if ls.From.IsZero() {
		return nil, data.Invalid("from", "required: the date the boundaries take effect (YYYY-MM-DD)")
	}
	spec, err := layerSpecFor(j, ls)
	if err != nil {
		return nil, err
	}
	areas, err := geo.LoadGeoJSON(r, spec)
	if err != nil {
		return nil, err
	}
	if len(areas) == 0 {
		return nil, data.Invalid("features", "the file has no areas for layer %s", ls.Layer)
	}
	report, err := geo.Validate(areas)
	if err != nil {
		return nil, err
	}
	g := &data.Generation{
		ID:            data.GenerationID(ls.Layer, ls.From),
		Layer:         ls.Layer,
		EffectiveFrom: ls.From,
		Source:        ls.Source,
		LoadedAt:      time.Now().UTC(),
		AreaCount:     len(areas),
		Areas:         areas,
	}
	if err := store.CreateGeneration(ctx, g); err != nil {
		if errors.Is(err, data.ErrConflict) {
			return nil, data.Errorf(data.ErrConflict, "generation %s exists already (generations are immutable: load it with another --from date, or keep the stored one)", g.ID)
		}
		return nil, fmt.Errorf("store generation %s: %w", g.ID, err)
	}
	res := &loadResult{
		Generation: g.ID, Layer: g.Layer, EffectiveFrom: ls.From.Format("2006-01-02"),
		Source: ls.Source, Report: report,
	}
	for _, s := range j.Layers {
		if s.DerivedFrom == ls.Layer && s.Layer == data.LayerSector {
			res.Derived = append(res.Derived, derivedLayer{Layer: s.Layer, Areas: len(geo.DeriveSectors(areas))})
		}
	}
	return res, nil
}
