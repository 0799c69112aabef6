package data

import (
	"context"
	"regexp"
	"time"

	"github.com/paulmach/orb"
)

// Layer names a kind of area: a police beat, a ward. The well-known layers are
// constants; a city may add custom layers with any name matching
// [a-z][a-z0-9_]{0,39}.
type Layer string

// Well-known layers.
const (
	LayerBeat          Layer = "beat"           // police beat (Chicago: 4 digits DDSB)
	LayerSector        Layer = "sector"         // police sector (Chicago: district + sector digit, derived from beats)
	LayerDistrict      Layer = "district"       // police district (Chicago: 2 digits)
	LayerWard          Layer = "ward"           // city council ward
	LayerCommunityArea Layer = "community_area" // Chicago community area (1-77)
	LayerPrecinct      Layer = "precinct"       // police precinct (Minneapolis)
)

var layerRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ParseLayer checks a layer name given by a caller.
func ParseLayer(s string) (Layer, error) {
	if !layerRE.MatchString(s) {
		return "", Invalid("layer", "%q is not a layer name (lower-case letters, digits and _, starting with a letter, at most 40)", s)
	}
	return Layer(s), nil
}

// Area is one polygon (or multipolygon) of a layer: beat 0834, ward 12.
type Area struct {
	Layer Layer
	// ID is the normalised identifier (Chicago beats padded to 4 digits,
	// districts to 2).
	ID   string
	Name string
	// Properties carries the source feature's other properties and any
	// contact properties (phone, email, address) a city attaches.
	Properties map[string]string
	Geometry   orb.MultiPolygon
}

// Generation is one effective-dated map of a layer: Chicago's wards of
// 2015-2023 are one generation of the ward layer. A generation is loaded
// inactive, validated, then activated; the active generation of a layer with
// the latest EffectiveFrom not after a request's date routes that request.
type Generation struct {
	// ID is "<layer>@<effective date>", e.g. "ward@2015-05-18".
	ID    string
	Layer Layer
	// EffectiveFrom is the first instant the generation is in force
	// (midnight of the effective date in the jurisdiction's time zone).
	EffectiveFrom time.Time
	Active        bool
	Source        string // where it was loaded from (file name, URL)
	LoadedAt      time.Time
	AreaCount     int
	// Areas is filled when the generation is read with its areas.
	Areas []Area
}

// GenerationID builds the canonical id of a layer's generation starting on
// the given local date.
func GenerationID(layer Layer, from time.Time) string {
	return string(layer) + "@" + from.Format("2006-01-02")
}

// AreaRef names an area a point was routed to, and the generation used.
type AreaRef struct {
	Layer      Layer  `json:"layer"`
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	Generation string `json:"generation"`
}

// Routing is the answer to "who owns this point on this date": the area of
// every layer, and for a service type its owning department and unit.
type Routing struct {
	Lon, Lat    float64
	At          time.Time
	Areas       []AreaRef // one per layer that has an area at the point, in layer order
	ServiceCode string    // empty when routed without a service type
	Department  string
	Unit        string
	SLADays     int
}

// Area returns the routed area of a layer.
func (r *Routing) Area(l Layer) (AreaRef, bool) {
	for _, a := range r.Areas {
		if a.Layer == l {
			return a, true
		}
	}
	return AreaRef{}, false
}

// BoundaryStore keeps boundary generations durably.
type BoundaryStore interface {
	// CreateGeneration stores g (with its areas) as inactive. It fails with
	// ErrConflict if a generation with g.ID exists.
	CreateGeneration(ctx context.Context, g *Generation) error
	// ActivateGeneration marks a stored generation active. Activating an
	// active generation is not an error. ErrNotFound if there is none.
	ActivateGeneration(ctx context.Context, id string) error
	// DeactivateGeneration marks a stored generation inactive.
	DeactivateGeneration(ctx context.Context, id string) error
	// Generations lists every generation without areas (AreaCount filled),
	// ordered by layer then EffectiveFrom.
	Generations(ctx context.Context) ([]*Generation, error)
	// Generation reads one generation with its areas. ErrNotFound if none.
	Generation(ctx context.Context, id string) (*Generation, error)
	// ActiveGenerations reads every active generation with its areas, the
	// input of the routing index at start-up.
	ActiveGenerations(ctx context.Context) ([]*Generation, error)
}
