// Package dedupe decides whether a new request duplicates an open one of the
// same kind nearby (CPD S02-03-03 VI.B.1: concerns similar in nature and in
// the same geographic location are associated to one primary concern), ranks
// open requests for residents who want to say "me too", re-clusters history
// in batch, and measures clusterings against labelled data.
//
// It decides and does no I/O. The stores and the HTTP layer find candidates
// (with SearchCells), take the locks (LockKeys), call Decide, and store the
// Decision (Duplicate, ParentNumber, a note on the primary with
// Decision.Reason, DuplicateCount). Per-type parameters come from the
// service catalogue (data.DedupeRule); nothing here is city-specific.
//
// # Candidate search (H3)
//
// Every request stores its H3 cell at data.H3Resolution (9), about 0.1 km².
// SearchCells returns the grid disk of radius k = floor((R/e + 2)/1.5)
// around the new request's cell, with e = MinEdgeM = 130 m, a lower bound of
// the res-9 hexagon edge anywhere on Earth (measured minimum 141 m; Chicago's
// are about 200 m). Every point within R of the new request lies in that
// disk (SearchK explains the bound; a test checks it at the rim of the
// circle). Radii under 130 m search 7 cells, up to 324 m 19 cells. Exact
// great-circle distance filters after. Cells, disks and parents come from
// package data/h3, a pure-Go port of H3 checked cell for cell against
// h3-go (no cgo call on the intake or batch path; tests here compare Cell,
// SearchCells and LockKeys with h3-go too).
//
// # Locks
//
// LockKeys returns the distinct resolution-7 parents (about 5 km² each) of
// the search disk, sorted ascending. Two requests within R of each other
// always share one (each one's own cell is in the other's disk), so
// concurrent intakes that could dedupe against each other serialise; taking
// the keys in ascending order cannot deadlock. A 250 m search takes 1-3 keys.
// PostGIS takes them with pg_advisory_xact_lock(key) in the intake
// transaction; SQLite with a striped in-process mutex set. A dedupe group
// must be locked with one radius (its largest).
//
// # Filters
//
// Decide keeps a candidate when it is not the request itself; has the same
// service code (or, when the rule has a Group, any code the caller passed:
// the caller restricts candidates to the group, see SameGroup and Index); was
// received at most WindowDays (default DefaultWindowDays = 30) before the new
// request and not after it; is open at the decision time, or closed at most
// IncludeClosedDays before it; lies within RadiusM (haversine); and, when the
// rule says SameStreet and both addresses parse, is on the same street with
// house numbers at most HouseSpan = 8 apart ("within about four addresses":
// numbers step by 2 between lots on one side of a Chicago street).
//
// # Score
//
// Each remaining candidate gets a score in [0, 1], the weighted mean of the
// components for which both requests carry evidence:
//
//	distance  0.40  1 - d/RadiusM
//	time      0.20  1 - gap/WindowDays
//	place     0.30  same address 1; for SameStreet rules: within HouseSpan
//	                0.75, same street 0.5, same street farther 0.15; for other
//	                rules (area problems: lights on a circuit, graffiti,
//	                rodents) any other relation is neutral, 0.5
//	text      0.10  token Jaccard similarity of the descriptions (lower-cased
//	                words of 2+ letters or digits, stop words removed)
//
// A component without evidence (no parsable address, an empty description)
// is left out and the rest re-weighted. The best candidate (highest score,
// then nearest, earliest, smallest number) makes the request a duplicate
// when its score is at least Threshold = 0.6, of the candidate's primary: the
// candidate itself, or its ParentNumber when it is a duplicate, so chains
// collapse to the root. The Decision carries the distance, gap, address
// relation, similarity and a sentence saying why.
//
// Street addresses are parsed Chicago style by ParseAddress ("1234 W
// FULLERTON AVE": number 1234, street "W FULLERTON AVE"; intersections "A &
// B"); spelled-out directions and suffixes are normalised.
//
// # Residents
//
// Rank orders open primaries of the type within the radius and window for
// "me too": 0.55 nearness + 0.25 recency + 0.20 support (duplicates and me-too
// count, log-scaled, saturating at 20).
//
// # Batch
//
// Recluster replays history in received order with the catalogue's rules,
// each request decided at its own time against the earlier requests still
// open then. The best match of each request does not depend on the other
// decisions, only its root does, so it searches in parallel over a static
// (group, cell) table and resolves roots in one pass. Baseline is the
// FixMyStreet rule applied automatically: same type, open, within 250 m, the
// nearest; no window, no street, no text.
//
// # Evaluation
//
// Evaluate gives pairwise precision, recall and F1 (pairs of requests in one
// cluster, counted from a contingency table of cluster sizes in O(n)) and
// per-request figures (is it a duplicate?). Labels reads a city's labels:
// Chicago's current schema links duplicates to a parent; the legacy per-type
// datasets only say "Dup" in the status. A legacy duplicate's true cluster is
// unknown, so it is left out of the pairwise counts (Metrics.UnknownPrimary)
// and measured per request only; on the legacy sample pairwise figures are
// undefined, and the per-request ones are the measure.
//
// Assumptions: coordinates are WGS84; times of one jurisdiction are
// comparable instants; a request's RequestedAt is when it was received.
package dedupe
