// Package trends turns requests into counts over space and time: the H3 cell
// x day x service type cube, heatmaps, time series, chronic-problem (hot spot)
// statistics and the status reports sergeants review by beat and district. It
// does no I/O: callers feed it requests (a store scan at start-up, then every
// intake and transition) and read its answers.
//
// # The cube
//
// A Cube counts requests by H3 cell, local day (the jurisdiction's time
// zone), service type, event (Opened on RequestedAt's day; Closed on
// ClosedAt's day once the state is closed) and duplicate flag. Counts are
// kept at the finest resolution (Options.MaxRes, default 10); resolutions
// MinRes..MaxRes (default 7..10) are exact roll-ups through each cell's H3
// parent, so a resolution-9 count here is the sum of its resolution-10
// children and may differ near cell edges from a count by Request.H3 (the
// point's own resolution-9 cell; H3 children do not tile their parent
// exactly).
//
// A request's finest cell comes from its Lon/Lat through a pure-Go port of
// H3's latLngToCell (package data/h3, checked cell for cell against h3-go): one
// call per request and no cgo, because a cgo call costs 1.5-5 µs and 2
// million of them alone exceed the start-up budget. Parents are bit
// operations. A request without coordinates falls back to Request.H3 when
// MaxRes is not finer than it, and is otherwise skipped (Stats.Skipped).
//
// Start-up: Cube.Load or a Loader fed from a store scan spreads the work over
// every core and sorts each day's counts once. Afterwards Add (intake) and
// Update(old, new) (every transition: a close adds a Closed count; a change
// of type, place or duplicate flag moves the counts; new nil removes) take a
// short write lock; queries take a read lock. Memory: one 12-byte entry per
// distinct (day, finest cell, type, event, duplicate) plus per-cell tables.
//
// Duplicates (Request.Duplicate, set by package dedupe) are left out unless a
// query asks for them: a problem reported ten times counts once, as its
// primary.
//
// # Heatmaps and series
//
// Heatmap counts per cell for a window [From, To), types, event and
// resolution; the cube has day granularity, so a window is widened to the
// local days it touches (exact for local midnights). The resolution is
// given, or derived from a web-map zoom by ResolutionForZoom: zoom < 12 -> 7,
// [12,13) -> 8, [13,14) -> 9, >= 14 -> 10 (hexagons about 20-60 pixels
// across at Chicago's latitude). An Area restricts space: a bbox or a
// (multi)polygon keeps finest cells whose centre lies inside; a cell list
// keeps finest cells inside any listed cell. Counts of the kept finest cells
// are then rolled up, so a coarse cell on an area's edge holds only its part
// inside. Callers turn a beat or district into a polygon (or cells) and may
// cache it. HeatmapGeoJSON and CellPolygon give the cells' H3 boundaries as
// GeoJSON (RFC 7946, counter-clockwise). Series gives counts per local day,
// Monday-start week or calendar month, zero bins included.
//
// # Chronic problems: emerging hot spots
//
// CPD S02-03-03 IV.C.5 asks staff to "identify trends and chronic problems".
// Chronic follows ESRI's Emerging Hot Spot Analysis on H3 cells:
//
//  1. Study area: the analysis cells (ChronicQuery.Resolution, default 9) of
//     a district or other area: H3's polygon fill (cell centres inside) of
//     a polygon or bbox, or a given cell list. Cells with no request are
//     part of the study area with count 0: the analysis is over the area,
//     not over where requests happened to occur.
//  2. Bins: the last N whole Monday-start local weeks ending on or before
//     End (default N = 12). x_i,t is the number of requests (types, event,
//     duplicates as asked) of cell i in week t.
//  3. Gi* per week (GiStar): neighbours are the grid ring k = 1 of each
//     cell including itself, restricted to the study area; binary weights.
//     Gi* is a z-score; its two-sided normal p-value decides significance
//     at Alpha (default 0.05): a hot week has z > 0 and p < Alpha, a cold
//     week z < 0 and p < Alpha. Constant counts, or a neighbourhood that is
//     the whole area, give z = 0. No correction for multiple testing or for
//     spatial dependence (like ESRI without its FDR option), so about Alpha
//     of cells are flagged in a given week by chance alone.
//  4. Trend: the Mann-Kendall test (MannKendall) on each cell's series of N
//     Gi* z-scores, significant at Alpha.
//  5. Category: one per cell, by the rules below.
//
// With n = N weeks, of which h are hot, and "most weeks" meaning h >= 90% of
// n (10h >= 9n), a cell is, on the hot side, checked in this order:
//
//   - intensifying: final week hot, most weeks hot, trend significantly
//     upward; diminishing: the same with the trend significantly downward;
//     persistent: the same with no significant trend;
//   - oscillating: final week hot and some earlier week cold;
//   - new: final week hot and no other week hot;
//   - consecutive: final week hot and the hot weeks are one unbroken run (of
//     two or more) ending with it;
//   - sporadic: final week hot otherwise (on and off, never cold);
//   - historical: final week not hot but most weeks hot.
//
// Otherwise the same rules apply on the cold side (cold weeks; intensifying
// means z trending significantly downward), and failing those the cell has
// no pattern. Where ESRI's definitions overlap (a new or consecutive hot
// spot with a cold past), oscillating wins.
//
// Chronic returns each cell's category, latest z and p, weekly counts, z
// series and trend; ChronicWeeks gives the weeks' starts. Assumptions worth
// telling a reader of the map: counts are not normalised by population or
// street length; cells at the study area's edge have fewer neighbours (Gi*
// accounts for W_i, but with less evidence); weeks with very few requests
// give noisy z-scores, so choose types and N that give counts.
//
// # Status reports
//
// StatusReport computes, from any sequence of requests (iter.Seq, e.g.
// slices.Values or a store scan collected by the caller), the quarterly City
// Service Requests Status Report per beat and per district (from
// Request.Areas) and a total row; MonthlySummary gives one row per month and
// district. Periods: ParsePeriod reads "2026Q3", "2026-07" or "2026" as local
// midnights. Open and overdue are counted at AsOf = min(period end, Now),
// using the data package's lifecycle rules (data.Overdue, data.ExpectedAt,
// data.ReassignedTooOften) on the request as it stood at AsOf, rebuilt from
// its timestamps when it changed later (the record keeps the latest
// assignment and total extensions only, so a later reassignment or extension
// is treated as if it had happened before). Each Row documents its columns;
// WriteCSV (stable column order, new columns only appended) and WriteJSON
// encode a Report.
package trends
