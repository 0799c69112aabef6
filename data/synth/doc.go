// Package synth generates a realistic synthetic year of 311 requests for a
// jurisdiction, for benchmarks, demos and the evaluation of dedupe.
//
// Generate streams requests to a callback in order of RequestedAt, is
// deterministic for a seed and uses no H3 and no routing: Areas stay empty
// for the caller to fill with the geo index. It depends only on package data
// (and orb for geometry).
//
// What is modelled, and the figures used:
//
//   - Type frequencies (Shares): each service type of the catalogue falls in
//     a category by its police flag and words in its name, code, group and
//     keywords; category shares, renormalised over the categories the
//     catalogue has and split equally among their types, follow Chicago's 311
//     volume (portal dataset v6vf-nfxy, 2019-2023, information-only calls
//     left out, rounded): street lights 11 %, potholes 10 %, graffiti 9 %,
//     sanitation (code violations, fly dumping, weeds, street cleaning) 9 %,
//     rodents 8 %, trees 8 %, garbage carts 7 %, abandoned vehicles 6 %,
//     police-related and community concerns 3 %, every other type together
//     29 %. Emergency types are never generated. Config.Shares overrides.
//   - Seasons: 1 + a·cos(2π(day − peak)/365.25) per category: potholes peak
//     mid-March (a = 0.8, the freeze-thaw season), rodents July (0.6), trees
//     late June (0.5), sanitation and graffiti July (0.35, 0.25), street
//     lights mid-December (0.3, long nights), the rest nearly flat.
//   - Week: Monday 1.15 falling to Friday 0.95; Saturday 0.5-0.75 of a
//     weekday for city services (Sunday 0.9 of Saturday), 1.0 for police
//     concerns.
//   - Day: working-hours profile peaking 9-15 h for most types; an evening
//     profile peaking 18-21 h for street lights and police concerns.
//   - Space: uniform over the given polygons by ground area (a polygon
//     chosen by area, rejection inside its bound, an exact even-odd test over
//     edges bucketed in horizontal bands), plus hot spots: Config.Hotspots
//     centres (default 300) shared among types by share, log-normal weights
//     (σ = 1.5, so a few centres dominate), Gaussian spread of 120-250 m per
//     category (×0.5-1.5 per centre); Config.HotspotShare (default 50 %) of
//     primaries come from them. Points
//     falling outside the polygons are redrawn, so every point is inside.
//   - Closures: a log-normal duration with median 45 % of the type's SLA days
//     (14 when unset) and σ = 0.9, so about a fifth run past the SLA; requests
//     whose closure falls after Config.Now (default: end of period) are still
//     open (new, or assigned after a day with probability 0.7). One in ten
//     community concerns is not accepted within 36 hours.
//   - Duplicates with known parents: for types with a dedupe rule (radius and
//     window), a share of requests (per category: street lights 30 %,
//     graffiti 20 %, abandoned vehicles 18 %, potholes 14 %, garbage carts
//     12 %, trees 10 %, sanitation 6 %, rodents 5 %, others 5 %, police 3 %;
//     scaled by Config.DuplicateScale) is re-reported within 90 % of the
//     radius of an earlier request of the same dedupe group that is still
//     open (or closed within IncludeClosedDays) and inside the window;
//     Duplicate is set and ParentNumber names that primary (never another
//     duplicate). A duplicate closes with its primary. When no such primary
//     exists the request becomes a primary, so the realised share is a little
//     lower than the rate. DuplicateCount on primaries is not filled (they
//     are emitted before their duplicates).
//   - Numbers: "SR%02d-%08d" (year, sequence) per year in time order, "CC"
//     for community concerns, as the stores number them.
//   - Origins: phone 40 %, web 20 %, mobile 18 %, staff 18 %, Open311 4 %.
//
// Not modelled: addresses (left empty), contacts, media, notes and
// extensions, and the per-area routing (the caller's).
package synth
