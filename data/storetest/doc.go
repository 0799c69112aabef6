// Package storetest is the contract suite every geo311 store implementation
// passes (data/sqlite, data/postgis, and any in-memory fake used elsewhere).
//
// Each store interface of package data has one exported function here that
// runs the whole contract as subtests, in the style of
// github.com/benbjohnson/wtf:
//
//	func TestBoundaryStore(t *testing.T) {
//		storetest.TestBoundaryStore(t, func(t *testing.T) data.BoundaryStore {
//			db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "geo311.db"))
//			...
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
//
// The open function must return a fresh, empty store each time it is called;
// subtests call it once each and may run in parallel with each other.
//
// One file per interface: boundary.go holds TestBoundaryStore; the request
// store contract goes in its own file (request.go) with its own fixtures.
// compare.go holds the equality helpers shared by all of them.
//
// Beyond what the interface comments in package data say, the suite pins
// down these behaviours, which every store must share so that the service
// behaves identically whatever store it runs on:
//
//   - Areas of a generation are returned sorted by ID in byte-wise order
//     (PostgreSQL: COLLATE "C"), whatever order they were given in.
//   - Generations and ActiveGenerations are ordered by layer (byte-wise),
//     then EffectiveFrom (as an instant), then ID.
//   - Times round-trip as instants (time.Time.Equal), at least to the
//     microsecond; the time.Location is not kept.
//   - CreateGeneration ignores g.Active and g.AreaCount (the generation is
//     stored inactive and its count is len(g.Areas)); a zero g.LoadedAt is
//     replaced by the time of creation. It does not modify g.
//   - CreateGeneration is all or nothing: on any error nothing is stored.
//     Malformed input fails with data.ErrInvalid: nil generation, empty
//     ID, malformed layer, zero EffectiveFrom, no areas, an area
//     with an empty ID, a layer different from the generation's, or an ID
//     used twice in the generation.
//   - A nil and an empty Properties map are the same thing.
//   - Coordinates are stored bit-exactly, ring order, ring orientation and
//     closing points included: the store never normalises geometry.
//   - Returned values share no memory with the store or with earlier calls.
//   - A cancelled context makes every method fail with an error for which
//     errors.Is(err, context.Canceled) holds.
//
// # Request store (request.go, TestRequestStore)
//
// Beyond data/store.go, every request store does exactly this:
//
//   - Numbers: data.FormatNumber(kind, year, seq) where year is the year of
//     RequestedAt in UTC (20:00 CST on 31 December is already the next
//     year) and seq is 1 + the highest sequence stored under that prefix
//     (data.NumberPrefix), also counting numbers that came in through
//     ImportRequests. Numbers are gap-free when no intake fails: a failed
//     or replayed intake consumes no number. A number set by the caller on
//     in.Request is ignored; use the returned request.
//   - CreateRequest validates (data.ErrInvalid, nothing written): non-nil
//     request, a known Kind, a valid State (data.ParseState; empty is
//     invalid), RequestedAt set and in data.MinNumberYear..MaxNumberYear.
//     Every other field is stored as given, Duplicate, ParentNumber,
//     DuplicateCount and MeToo included. A zero UpdatedAt becomes
//     RequestedAt. A note with a zero At gets RequestedAt. If in.Notes has
//     no data.EventCreated note, the store puts one first: {At:
//     RequestedAt, Actor: "system", Event: created} (text unspecified).
//   - Idempotency keys are global; an empty key is no key. A replay returns
//     the first request (as stored now) with created false, does not call
//     Decide and writes nothing; concurrent intakes with one key create
//     exactly one request.
//   - Decide is called exactly once per created request, inside the write
//     transaction after LockKeys are held, with the requests Requests would
//     return for in.Candidates at that moment. A link makes the new request
//     Duplicate with ParentNumber = link.Primary and appends, after the
//     caller's notes, {At: new RequestedAt, Actor: "system", Event:
//     duplicate, Reason: link.Reason, Text naming the primary}; the primary
//     gets DuplicateCount+1, UpdatedAt = time of the intake and the note
//     {same At, Actor "system", Event duplicate_of, same Reason, Text naming
//     the new request}. Decide's error is returned (errors.Is) and nothing
//     is written; a link to a number that does not exist is an error and
//     nothing is written.
//   - Request: exact number match (no normalisation); ErrNotFound.
//   - Filters AND together; a list field matches any of its values; Areas
//     must all match (layer and ID; Generation ignored). From <= requested_at
//     < To; UpdatedAfter < updated_at < UpdatedBefore (both strict). BBox is
//     inclusive of its edges. Near is great-circle distance <= RadiusM
//     (haversine on the mean earth radius 6,371,008.8 m; a spheroid is
//     acceptable: the suite keeps points far from the edge). Status is
//     "open" or "closed" (State.Open311: closed and not_accepted are
//     closed), for requests in every state, alone or with a window, types or
//     cells (statusareas.go). Custom layers (no column of their own) filter
//     like the well-known ones, alone and combined, and follow re-routing.
//     Another Status value, a negative Limit,
//     Offset or RadiusM, or an unknown Duplicates value is ErrInvalid.
//     ExcludePolice drops PoliceRelated requests and every community concern.
//   - Order: RequestedAt descending then Number descending (byte-wise);
//     Ascending reverses both. ScanRequests returns the same rows in the same
//     order as Requests, Limit and Offset included.
//   - UpdateRequest: fn gets a private copy of the current request; its
//     changes to every field but Number are stored (Areas re-indexed for the
//     area filter); the store then sets UpdatedAt to the time of the update.
//     Notes returned by fn are appended; a zero At becomes the time of the
//     update. fn's error is returned (errors.Is) and nothing is written.
//     Concurrent updates of one request are serialised (no lost update).
//   - Notes are listed by At ascending, then in the order they were added;
//     each has a positive ID unique in the store.
//   - ImportRequests needs each request's Number to be data.ValidNumber and
//     validates like CreateRequest; any invalid request fails the whole batch
//     (ErrInvalid, nothing written). It replaces the whole row of an existing
//     number (notes untouched) and counts it as updated, even when nothing
//     changed; it writes no notes; a zero UpdatedAt becomes RequestedAt.
//
// # Key store (key.go, TestKeyStore)
//
//   - CreateKey validates (ErrInvalid): non-nil key, non-empty ID, a valid
//     Role, a Hash, a CreatedAt. A used ID is ErrConflict, also under
//     concurrent creates. RevokedAt given at creation is stored as given.
//   - Keys lists every key, revoked ones included, ordered by ID byte-wise.
//   - RevokeKey sets RevokedAt; revoking a revoked key succeeds and keeps the
//     first time; a zero time is ErrInvalid; an unknown ID is ErrNotFound.
//   - Nil and empty Districts are the same; their order is kept.
//
// # Export scan (export.go, TestExportScanner)
//
// For every export filter (and public mode), a store's ScanExport
// (data.ExportScanner) yields the same rows, in the same order, as the
// export rows of its own ScanRequests: nulls vs empty strings, time zones,
// custom layers, ties at one instant, paging, an early stop and a
// cancelled context included. Community concerns are in their own file
// (community.go, TestCommunityStore).
package storetest
