// Package tiles encodes Mapbox Vector Tiles (MVT 2.1) for geo311's map layers
// (requests, H3 hexbins, boundaries, chronic-problem cells), with per-zoom
// simplification and clipping, TileJSON 3.0 and ETags.
package tiles
