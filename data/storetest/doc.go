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
package storetest
