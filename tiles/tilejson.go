package tiles

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// tileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0).
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	VectorLayers []vectorLayer `json:"vector_layers"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// layerDocs describes each layer's fields for vector_layers.
var layerDocs = map[string]struct {
	description string
	fields      map[string]string
}{
	LayerRequests: {"Public 311 requests: points (feature id encodes the tracking number) at high zoom, H3 hexagons with counts at low zoom or in dense tiles",
		map[string]string{"type": "String", "status": "String", "age_days": "Number", "count": "Number", "h3": "String"}},
	LayerHexbins: {"Request counts by H3 cell; the resolution follows the zoom",
		map[string]string{"count": "Number", "h3": "String"}},
	LayerBoundaries: {"Boundary areas (beats, districts, wards, ...), simplified per zoom",
		map[string]string{"layer": "String", "id": "String", "name": "String"}},
	LayerChronic: {"Chronic-problem H3 cells from emerging hot spot analysis",
		map[string]string{"category": "String", "z": "Number", "count": "Number", "h3": "String"}},
}

// TileJSON builds the TileJSON 3.0.0 document of a layer: tiles at
// baseURL + "/tiles/{layer}/{z}/{x}/{y}.mvt" (baseURL absolute http(s),
// without query), vector_layers with the layer's fields, bounds
// (lon/lat) and center (lon, lat, zoom). Errors are data.ErrNotFound for an
// unknown layer and data.Invalid naming the bad argument.
func TileJSON(layer, baseURL string, bounds orb.Bound, center [3]float64, minzoom, maxzoom int) ([]byte, error) {
	if _, err := ParseLayer(layer); err != nil {
		return nil, err
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, data.Invalid("base_url", "%q is not an absolute http(s) URL without query", clipText(baseURL))
	}
	if minzoom < 0 || minzoom > MaxZoom {
		return nil, data.Invalid("minzoom", "must be between 0 and %d", MaxZoom)
	}
	if maxzoom < minzoom || maxzoom > MaxZoom {
		return nil, data.Invalid("maxzoom", "must be between minzoom and %d", MaxZoom)
	}
	for _, v := range []float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1], center[0], center[1], center[2]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, data.Invalid("bounds", "coordinates must be finite")
		}
	}
	if bounds.Min[0] < -180 || bounds.Max[0] > 180 || bounds.Min[1] < -90 || bounds.Max[1] > 90 ||
		bounds.Min[0] >= bounds.Max[0] || bounds.Min[1] >= bounds.Max[1] {
		return nil, data.Invalid("bounds", "must be west, south, east, north within -180..180 and -90..90")
	}
	if !bounds.Contains(orb.Point{center[0], center[1]}) {
		return nil, data.Invalid("center", "must lie inside bounds")
	}
	if center[2] < float64(minzoom) || center[2] > float64(maxzoom) {
		return nil, data.Invalid("center", "zoom must be between minzoom and maxzoom")
	}
	d := layerDocs[layer]
	doc := tileJSON{
		TileJSON:    "3.0.0",
		Name:        "geo311 " + layer,
		Description: d.description,
		Scheme:      "xyz",
		Tiles:       []string{strings.TrimRight(baseURL, "/") + "/tiles/" + layer + "/{z}/{x}/{y}.mvt"},
		VectorLayers: []vectorLayer{{ID: layer, Description: d.description, MinZoom: minzoom, MaxZoom: maxzoom,
			Fields: d.fields}},
		MinZoom: minzoom,
		MaxZoom: maxzoom,
		Bounds:  [4]float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]},
		Center:  center,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("tiles: tilejson: %w", err)
	}
	return b, nil
}
