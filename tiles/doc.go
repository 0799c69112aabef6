// Package tiles serves geo311's map layers as Mapbox Vector Tiles (MVT 2.1)
// from in-process indexes, with per-zoom simplification and clipping,
// TileJSON 3.0, strong ETags and an LRU cache of encoded tiles. It does no
// I/O: the HTTP layer builds a Service from a RequestIndex (filled from the
// store at start-up and kept current at every intake and transition) and
// calls it from GET /tiles/{layer}/{z}/{x}/{y}.mvt.
//
// # Layers
//
//   - requests: public requests (police-related requests and community
//     concerns are never indexed, so never drawn). At zoom 13 and above,
//     when the tile with its buffer holds at most 1000 matching requests
//     (RequestsOptions), one point per request: feature id FeatureID(number)
//     (reversible with FeatureNumber, exact in JavaScript), properties type,
//     status (open/closed) and age_days. Otherwise H3 hexagons of
//     HexResolution(z) with properties count and h3 (hex string), feature id
//     the H3 index. Hexagon counts are whole-cell counts: the index is asked
//     for the tile widened by a cell diameter, so a hexagon cut by a tile
//     edge shows the same count on both sides.
//   - hexbins: always hexagons, counted by a CellCounter (the RequestIndex,
//     or the trends cube through the HTTP layer). Zoom to resolution:
//     z0-6: 4, z7: 5, z8-9: 6, z10: 7, z11-12: 8, z13+: 9.
//   - boundaries: any set of data.Area (any layers and generations,
//     NewBoundaries), simplified with Douglas-Peucker at one pixel of a
//     256-pixel tile (tileSpan/256, done once per zoom and area, in world
//     coordinates so neighbouring tiles agree; unsimplified above z17), then
//     clipped; properties layer, id, name; numeric feature ids when the set
//     holds one layer.
//   - chronic: hot-spot cells ([]ChronicCell: cell, category, z, count) from
//     the trends package's emerging hot spot analysis, as plain values.
//
// # Encoding
//
// Geometry is projected once to world coordinates (Web Mercator on a 2^32
// grid), then to tile coordinates (extent 4096), clipped to the tile plus a
// 64-unit buffer, snapped to integers, degenerate rings dropped, and wound
// as MVT 2.1 requires: exterior rings clockwise in tile coordinates (y
// down, positive surveyor's area), holes anticlockwise. Tiles are encoded
// with orb's mvt.Marshal with Version forced to 2 on every layer (orb's
// NewLayers says 1); gzip, when the client accepts it, is gzip.BestSpeed
// (Go's default level costs about 1.5 us per feature).
//
// Empty tiles: Marshal returns nil, false and Service returns an Encoded
// with Empty set (and an ETag). The HTTP layer answers every empty tile with
// 204 No Content, whatever the reason (no data there, everything filtered
// out, outside the city).
//
// # Index
//
// RequestIndex keeps a 40-byte record per request in a static base sorted by
// Morton (Z-order) code, in which a tile is one contiguous run (plus a few
// runs for its buffer) found by binary search, and a delta of changes since
// the base was built, merged into a new base every CompactThreshold writes.
// Updates and removals mask base records with a bit set. Readers share a
// RWMutex; writers are serialised and compaction builds the new base outside
// the readers' lock.
//
// # Caching and ETags
//
// Key names everything a tile is made of: layer, z/x/y, the filter's
// canonical text, the data source and its version counter, and for the
// requests layer the day (age_days). The strong ETag is a hash of the key
// (GzipETag marks the gzip representation), and Cache is an LRU of encoded
// tiles bounded in bytes, looked up by the key. Invalidation is by version:
// every Add, Update or Remove on the index bumps its Version, so every
// requests and hexbins tile gets a new key. The cache holds one entry per
// tile (the key without version and day): a newer rendering replaces the
// older, so a stream of intakes does not fill it with superseded tiles.
// This is coarse (one intake invalidates every requests tile) but
// always correct; tile-scoped invalidation is not implemented because a
// change reaches beyond its tile (buffers, whole-cell hexagon counts up to
// 45 km across at low zoom). Boundaries and chronic tiles are keyed by a
// source name the caller gives (generation ids, analysis parameters).
package tiles
