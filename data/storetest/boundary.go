package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestBoundaryStore runs the data.BoundaryStore contract. open must return a
// fresh, empty store each time; it is called once per subtest, and subtests
// run in parallel. The store is not closed by the suite: register a
// t.Cleanup in open.
func TestBoundaryStore(t *testing.T, open func(t *testing.T) data.BoundaryStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s data.BoundaryStore)
	}{
		{"Empty", testBoundaryEmpty},
		{"CreateAndRead", testBoundaryCreateAndRead},
		{"CreateStoresInactiveAndCounts", testBoundaryCreateStoresInactiveAndCounts},
		{"CreateSetsLoadedAt", testBoundaryCreateSetsLoadedAt},
		{"CreateConflict", testBoundaryCreateConflict},
		{"CreateInvalid", testBoundaryCreateInvalid},
		{"NotFound", testBoundaryNotFound},
		{"ActivateDeactivate", testBoundaryActivateDeactivate},
		{"Ordering", testBoundaryOrdering},
		{"TimeRoundTrip", testBoundaryTimeRoundTrip},
		{"LargeGeneration", testBoundaryLargeGeneration},
		{"NoSharedMemory", testBoundaryNoSharedMemory},
		{"ConcurrentCreates", testBoundaryConcurrentCreates},
		{"ConcurrentCreatesSameID", testBoundaryConcurrentCreatesSameID},
		{"ConsistentReadsDuringWrites", testBoundaryConsistentReadsDuringWrites},
		{"ContextCanceled", testBoundaryContextCanceled},
		{"ContextDeadlineDuringCreate", testBoundaryContextDeadlineDuringCreate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func mustCreate(t *testing.T, s data.BoundaryStore, g *data.Generation) {
	t.Helper()
	if err := s.CreateGeneration(t.Context(), g); err != nil {
		t.Fatalf("CreateGeneration(%q): %v", g.ID, err)
	}
}

func mustActivate(t *testing.T, s data.BoundaryStore, id string) {
	t.Helper()
	if err := s.ActivateGeneration(t.Context(), id); err != nil {
		t.Fatalf("ActivateGeneration(%q): %v", id, err)
	}
}

func mustDeactivate(t *testing.T, s data.BoundaryStore, id string) {
	t.Helper()
	if err := s.DeactivateGeneration(t.Context(), id); err != nil {
		t.Fatalf("DeactivateGeneration(%q): %v", id, err)
	}
}

func mustGeneration(t *testing.T, s data.BoundaryStore, id string) *data.Generation {
	t.Helper()
	g, err := s.Generation(t.Context(), id)
	if err != nil {
		t.Fatalf("Generation(%q): %v", id, err)
	}
	return g
}

func mustGenerations(t *testing.T, s data.BoundaryStore) []*data.Generation {
	t.Helper()
	gs, err := s.Generations(t.Context())
	if err != nil {
		t.Fatalf("Generations: %v", err)
	}
	return gs
}

func mustActiveGenerations(t *testing.T, s data.BoundaryStore) []*data.Generation {
	t.Helper()
	gs, err := s.ActiveGenerations(t.Context())
	if err != nil {
		t.Fatalf("ActiveGenerations: %v", err)
	}
	return gs
}

// checkGeneration reads id back with its areas and compares it with want.
func checkGeneration(t *testing.T, s data.BoundaryStore, want *data.Generation) {
	t.Helper()
	if d := diffGeneration(mustGeneration(t, s, want.ID), want, true); d != "" {
		t.Errorf("Generation(%q): %s", want.ID, d)
	}
}

// checkList compares a listing (Generations: withAreas false;
// ActiveGenerations: true) with want, in order.
func checkList(t *testing.T, what string, got, want []*data.Generation, withAreas bool) {
	t.Helper()
	ids := func(gs []*data.Generation) []string {
		out := make([]string, len(gs))
		for i, g := range gs {
			if g == nil {
				out[i] = "<nil>"
				continue
			}
			out[i] = g.ID
		}
		return out
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Errorf("%s = %q, want %q", what, ids(got), ids(want))
		return
	}
	for i := range want {
		w := want[i]
		if !withAreas {
			w = withoutAreas(w)
		}
		if d := diffGeneration(got[i], w, withAreas); d != "" {
			t.Errorf("%s[%d] (%q): %s", what, i, want[i].ID, d)
		}
	}
}

func checkKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v, want one matching %v", what, err, kind)
	}
}

func testBoundaryEmpty(t *testing.T, s data.BoundaryStore) {
	if gs := mustGenerations(t, s); len(gs) != 0 {
		t.Errorf("Generations on an empty store: %d generations, want 0", len(gs))
	}
	if gs := mustActiveGenerations(t, s); len(gs) != 0 {
		t.Errorf("ActiveGenerations on an empty store: %d generations, want 0", len(gs))
	}
}

func testBoundaryCreateAndRead(t *testing.T, s data.BoundaryStore) {
	g := beatGeneration()
	input := cloneGeneration(g)
	want := stored(g)
	mustCreate(t, s, g)
	if d := diffGeneration(g, input, true); d != "" {
		t.Errorf("CreateGeneration modified its argument: %s", d)
	}
	checkGeneration(t, s, want)
	checkList(t, "Generations", mustGenerations(t, s), []*data.Generation{want}, false)
	if gs := mustActiveGenerations(t, s); len(gs) != 0 {
		t.Errorf("ActiveGenerations after creating an inactive generation: %d generations, want 0", len(gs))
	}
}

func testBoundaryCreateStoresInactiveAndCounts(t *testing.T, s data.BoundaryStore) {
	g := simpleGeneration(data.LayerWard, time.Date(2015, 5, 18, 0, 0, 0, 0, cdt), 5, 7)
	g.Active = true
	g.AreaCount = 99
	want := stored(g)
	mustCreate(t, s, g)
	checkGeneration(t, s, want)
	if gs := mustActiveGenerations(t, s); len(gs) != 0 {
		t.Errorf("a generation created with Active=true is listed active (%d generations); creation must store it inactive", len(gs))
	}
}

func testBoundaryCreateSetsLoadedAt(t *testing.T, s data.BoundaryStore) {
	g := simpleGeneration(data.LayerDistrict, time.Date(2012, 12, 19, 0, 0, 0, 0, cst), 2, 5)
	g.LoadedAt = time.Time{}
	before := time.Now()
	mustCreate(t, s, g)
	after := time.Now()
	got := mustGeneration(t, s, g.ID)
	// A second of slack either way for stores whose clock is a database
	// server's, at transaction start and microsecond resolution.
	if got.LoadedAt.Before(before.Add(-time.Second)) || got.LoadedAt.After(after.Add(time.Second)) {
		t.Errorf("LoadedAt = %s for a generation created between %s and %s", got.LoadedAt, before, after)
	}
	list := mustGenerations(t, s)
	if len(list) != 1 || !list[0].LoadedAt.Equal(got.LoadedAt) {
		t.Errorf("Generations LoadedAt disagrees with Generation: %v vs %s", list, got.LoadedAt)
	}
}

func testBoundaryCreateConflict(t *testing.T, s data.BoundaryStore) {
	g := beatGeneration()
	want := stored(g)
	mustCreate(t, s, g)
	mustActivate(t, s, g.ID)
	want.Active = true

	other := simpleGeneration(g.Layer, g.EffectiveFrom, 3, 5)
	other.ID = g.ID
	other.Source = "a second load of the same map"
	err := s.CreateGeneration(t.Context(), other)
	checkKind(t, "CreateGeneration with an existing id", err, data.ErrConflict)
	// The first generation is untouched, still active, areas unchanged.
	checkGeneration(t, s, want)
	checkList(t, "Generations", mustGenerations(t, s), []*data.Generation{want}, false)
}

func testBoundaryCreateInvalid(t *testing.T, s data.BoundaryStore) {
	base := func() *data.Generation {
		return simpleGeneration(data.LayerWard, time.Date(2023, 5, 15, 0, 0, 0, 0, cdt), 4, 6)
	}
	tests := []struct {
		name   string
		mutate func(g *data.Generation) *data.Generation
	}{
		{"nil generation", func(*data.Generation) *data.Generation { return nil }},
		{"empty id", func(g *data.Generation) *data.Generation { g.ID = ""; return g }},
		{"empty layer", func(g *data.Generation) *data.Generation { g.Layer = ""; return g }},
		{"malformed layer", func(g *data.Generation) *data.Generation { g.Layer = "Ward 12"; return g }},
		{"zero effective date", func(g *data.Generation) *data.Generation { g.EffectiveFrom = time.Time{}; return g }},
		{"no areas", func(g *data.Generation) *data.Generation { g.Areas = nil; return g }},
		{"area with empty id", func(g *data.Generation) *data.Generation { g.Areas[2].ID = ""; return g }},
		{"area of another layer", func(g *data.Generation) *data.Generation { g.Areas[1].Layer = data.LayerBeat; return g }},
		{"area without layer", func(g *data.Generation) *data.Generation { g.Areas[3].Layer = ""; return g }},
		// The duplicate is the last area: a store inserting area by area has
		// stored the others when it fails, and must undo them.
		{"duplicate area id", func(g *data.Generation) *data.Generation { g.Areas[3].ID = g.Areas[0].ID; return g }},
	}
	for _, tc := range tests {
		g := tc.mutate(base())
		err := s.CreateGeneration(t.Context(), g)
		checkKind(t, tc.name, err, data.ErrInvalid)
		if g != nil && g.ID != "" {
			_, err := s.Generation(t.Context(), g.ID)
			checkKind(t, tc.name+": Generation after the failed create", err, data.ErrNotFound)
		}
		if gs := mustGenerations(t, s); len(gs) != 0 {
			t.Errorf("%s: a failed create left %d generations", tc.name, len(gs))
		}
	}
	// Nothing the failed attempts did stands in the way of the valid one.
	g := base()
	mustCreate(t, s, g)
	checkGeneration(t, s, stored(g))
}

func testBoundaryNotFound(t *testing.T, s data.BoundaryStore) {
	ctx := t.Context()
	check := func(id string) {
		t.Helper()
		_, err := s.Generation(ctx, id)
		checkKind(t, fmt.Sprintf("Generation(%q)", id), err, data.ErrNotFound)
		checkKind(t, fmt.Sprintf("ActivateGeneration(%q)", id), s.ActivateGeneration(ctx, id), data.ErrNotFound)
		checkKind(t, fmt.Sprintf("DeactivateGeneration(%q)", id), s.DeactivateGeneration(ctx, id), data.ErrNotFound)
	}
	check("beat@2012-12-19")
	check("")
	g := beatGeneration()
	mustCreate(t, s, g)
	// Ids are compared exactly: no case folding, no trimming, no prefix match.
	for _, id := range []string{"BEAT@2012-12-19", "beat@2012-12-19 ", "beat@2012-12", "beat@2012-12-19%", "beat@2012-12-1_"} {
		check(id)
	}
	if gs := mustActiveGenerations(t, s); len(gs) != 0 {
		t.Errorf("activating unknown ids activated %d generations", len(gs))
	}
}

func testBoundaryActivateDeactivate(t *testing.T, s data.BoundaryStore) {
	w15 := simpleGeneration(data.LayerWard, time.Date(2015, 5, 18, 0, 0, 0, 0, cdt), 3, 5)
	w23 := simpleGeneration(data.LayerWard, time.Date(2023, 5, 15, 0, 0, 0, 0, cdt), 4, 5)
	mustCreate(t, s, w15)
	mustCreate(t, s, w23)
	want15, want23 := stored(w15), stored(w23)

	mustActivate(t, s, w15.ID)
	want15.Active = true
	checkGeneration(t, s, want15)
	checkGeneration(t, s, want23)
	checkList(t, "ActiveGenerations after one activation", mustActiveGenerations(t, s), []*data.Generation{want15}, true)

	// Activating an active generation is not an error and changes nothing.
	mustActivate(t, s, w15.ID)
	checkGeneration(t, s, want15)

	// Several generations of a layer may be active: routing picks by date.
	mustActivate(t, s, w23.ID)
	want23.Active = true
	checkList(t, "Generations", mustGenerations(t, s), []*data.Generation{want15, want23}, false)
	checkList(t, "ActiveGenerations", mustActiveGenerations(t, s), []*data.Generation{want15, want23}, true)

	mustDeactivate(t, s, w15.ID)
	want15.Active = false
	checkGeneration(t, s, want15)
	mustDeactivate(t, s, w15.ID) // idempotent too
	checkGeneration(t, s, want15)
	checkList(t, "Generations after deactivation", mustGenerations(t, s), []*data.Generation{want15, want23}, false)
	checkList(t, "ActiveGenerations after deactivation", mustActiveGenerations(t, s), []*data.Generation{want23}, true)

	// And back again.
	mustActivate(t, s, w15.ID)
	want15.Active = true
	checkList(t, "ActiveGenerations after reactivation", mustActiveGenerations(t, s), []*data.Generation{want15, want23}, true)
}

func testBoundaryOrdering(t *testing.T, s data.BoundaryStore) {
	d := func(layer data.Layer, from time.Time) *data.Generation { return simpleGeneration(layer, from, 2, 4) }
	w03 := d(data.LayerWard, time.Date(2003, 5, 1, 0, 0, 0, 0, cdt))
	w15 := d(data.LayerWard, time.Date(2015, 5, 18, 0, 0, 0, 0, cdt))
	w23 := d(data.LayerWard, time.Date(2023, 5, 15, 0, 0, 0, 0, cdt))
	beat := d(data.LayerBeat, time.Date(2012, 12, 19, 0, 0, 0, 0, cst))
	ca := d(data.LayerCommunityArea, time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC))
	// By instant, not by local clock text nor by id: distEast starts at
	// 19:30:00.000001 UTC (00:30 local the next day, id "…2020-01-01"),
	// distUTC at 20:00 UTC (id "…2019-12-31"), distLater one microsecond
	// after distEast.
	distEast := d(data.LayerDistrict, time.Date(2020, 1, 1, 0, 30, 0, 1000, plus5))
	distUTC := d(data.LayerDistrict, time.Date(2019, 12, 31, 20, 0, 0, 0, time.UTC))
	distLater := d(data.LayerDistrict, distEast.EffectiveFrom.Add(time.Microsecond))
	distLater.ID = "district@2020-01-01-b"
	// Custom layers, byte-wise: "snow_route" < "snowplow" ('_' is 0x5F,
	// 'p' 0x70), although a linguistic collation ignoring punctuation would
	// put snowplow first.
	route := d("snow_route", time.Date(2020, 11, 1, 0, 0, 0, 0, cdt))
	plowA := d("snowplow", time.Date(2020, 11, 1, 0, 0, 0, 0, cdt))
	plowB := d("snowplow", plowA.EffectiveFrom) // same instant: by id
	plowB.ID = plowA.ID + "-v2"

	// Created in an order that matches none of the expected orders.
	for _, g := range []*data.Generation{plowB, w23, distUTC, route, beat, distLater, w03, plowA, ca, w15, distEast} {
		mustCreate(t, s, g)
	}
	all := []*data.Generation{beat, ca, distEast, distLater, distUTC, route, plowA, plowB, w03, w15, w23}
	want := make([]*data.Generation, len(all))
	for i, g := range all {
		want[i] = stored(g)
	}
	checkList(t, "Generations", mustGenerations(t, s), want, false)

	var active []*data.Generation
	for _, i := range []int{10, 8, 7, 3, 2, 0} { // w23 plowB plowA distLater distEast beat
		mustActivate(t, s, want[i].ID)
		want[i].Active = true
	}
	for _, w := range want {
		if w.Active {
			active = append(active, w)
		}
	}
	checkList(t, "Generations with some active", mustGenerations(t, s), want, false)
	checkList(t, "ActiveGenerations", mustActiveGenerations(t, s), active, true)
}

func testBoundaryTimeRoundTrip(t *testing.T, s data.BoundaryStore) {
	times := []time.Time{
		time.Date(2012, 12, 19, 0, 0, 0, 0, cst),                                    // midnight, standard time
		time.Date(2023, 5, 15, 0, 0, 0, 0, cdt),                                     // midnight, daylight time
		time.Date(2019, 12, 31, 23, 59, 59, 999999000, time.UTC),                    // microseconds
		time.Date(1901, 1, 1, 0, 0, 0, 0, time.UTC),                                 // before 1970
		time.Date(2100, 3, 14, 15, 9, 26, 535897000, plus5),                         // far ahead, east of UTC
		time.Date(2024, 3, 10, 2, 30, 0, 0, time.Local),                             // whatever the local zone is
		time.Now().Round(time.Microsecond),                                          // no monotonic reading after Round
		time.Unix(0, 0),                                                             // the epoch itself
		time.Date(2000, 2, 29, 12, 0, 0, 1000, time.FixedZone("", -(9*3600+30*60))), // odd offset
	}
	want := make([]*data.Generation, len(times))
	for i, at := range times {
		g := simpleGeneration(data.Layer(fmt.Sprintf("layer%02d", i)), at, 1, 4)
		g.LoadedAt = at
		mustCreate(t, s, g)
		want[i] = stored(g)
	}
	for _, w := range want {
		checkGeneration(t, s, w)
	}
	checkList(t, "Generations", mustGenerations(t, s), want, false)
}

func testBoundaryLargeGeneration(t *testing.T, s data.BoundaryStore) {
	// 300 areas of 400 vertices: 120,000 points, a Chicago-sized layer.
	g := simpleGeneration(data.LayerBeat, time.Date(2012, 12, 19, 0, 0, 0, 0, cst), 300, 400)
	want := stored(g)
	mustCreate(t, s, g)
	checkGeneration(t, s, want)
	mustActivate(t, s, g.ID)
	want.Active = true
	checkList(t, "ActiveGenerations", mustActiveGenerations(t, s), []*data.Generation{want}, true)
}

func testBoundaryNoSharedMemory(t *testing.T, s data.BoundaryStore) {
	g := beatGeneration()
	want := stored(g)
	mustCreate(t, s, g)

	// Changing the argument after the call changes nothing stored.
	g.Source = "changed"
	g.Areas[0].Name = "changed"
	g.Areas[0].Properties["district"] = "99"
	g.Areas[0].Geometry[0][0][1][0] = 1
	g.Areas = g.Areas[:1]
	checkGeneration(t, s, want)

	// Changing what was returned changes nothing stored.
	for _, got := range append(mustActiveGenerations(t, s), mustGeneration(t, s, want.ID)) {
		got.Active = true
		got.Areas[0].Properties["district"] = "99"
		got.Areas[0].Geometry[0][0][1][0] = 1
		got.Areas[1].ID = "changed"
	}
	for _, got := range mustGenerations(t, s) {
		got.AreaCount = 0
		got.Active = true
	}
	checkGeneration(t, s, want)
	checkList(t, "Generations", mustGenerations(t, s), []*data.Generation{want}, false)
}

func testBoundaryConcurrentCreates(t *testing.T, s data.BoundaryStore) {
	const n = 12
	gens := make([]*data.Generation, n)
	for i := range gens {
		gens[i] = simpleGeneration(data.LayerWard, time.Date(2000+i, 5, 1, 0, 0, 0, 0, cdt), 20, 30)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, g := range gens {
		wg.Go(func() {
			if errs[i] = s.CreateGeneration(t.Context(), g); errs[i] != nil {
				return
			}
			if i%2 == 0 {
				errs[i] = s.ActivateGeneration(t.Context(), g.ID)
			}
		})
	}
	wg.Wait()
	want := make([]*data.Generation, n)
	var active []*data.Generation
	for i, g := range gens {
		if errs[i] != nil {
			t.Errorf("concurrent create of %q: %v", g.ID, errs[i])
		}
		want[i] = stored(g)
		if i%2 == 0 {
			want[i].Active = true
			active = append(active, want[i])
		}
	}
	checkList(t, "Generations", mustGenerations(t, s), want, false)
	checkList(t, "ActiveGenerations", mustActiveGenerations(t, s), active, true)
}

func testBoundaryConcurrentCreatesSameID(t *testing.T, s data.BoundaryStore) {
	const n = 8
	from := time.Date(2015, 5, 18, 0, 0, 0, 0, cdt)
	gens := make([]*data.Generation, n)
	for i := range gens {
		gens[i] = simpleGeneration(data.LayerWard, from, 2+i, 10) // different contents
		gens[i].Source = fmt.Sprintf("attempt %d", i)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, g := range gens {
		wg.Go(func() { errs[i] = s.CreateGeneration(t.Context(), g) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("attempts %d and %d both created %q", winner, i, gens[i].ID)
		case err == nil:
			winner = i
		default:
			checkKind(t, fmt.Sprintf("losing attempt %d", i), err, data.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("no attempt created %q", gens[0].ID)
	}
	// The stored generation is the winner's, whole: no mix of attempts.
	checkGeneration(t, s, stored(gens[winner]))
}

func testBoundaryConsistentReadsDuringWrites(t *testing.T, s data.BoundaryStore) {
	// One generation stays active; a writer creates, activates and
	// deactivates others. Every read must see whole generations: each
	// listed active generation with exactly its AreaCount areas.
	base := simpleGeneration(data.LayerBeat, time.Date(2012, 12, 19, 0, 0, 0, 0, cst), 30, 20)
	mustCreate(t, s, base)
	mustActivate(t, s, base.ID)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		defer cancel()
		for i := range 15 {
			g := simpleGeneration(data.LayerWard, time.Date(2000+i, 1, 1, 0, 0, 0, 0, cst), 10+i, 20)
			for _, step := range []func() error{
				func() error { return s.CreateGeneration(ctx, g) },
				func() error { return s.ActivateGeneration(ctx, g.ID) },
				func() error { return s.DeactivateGeneration(ctx, g.ID) },
				func() error { return s.ActivateGeneration(ctx, g.ID) },
			} {
				if err := step(); err != nil {
					writeErr = err
					return
				}
			}
		}
	})
	reads := make([]int, 2)
	readErrs := make([]error, 2)
	for r := range reads {
		wg.Go(func() {
			for ctx.Err() == nil {
				gs, err := s.ActiveGenerations(t.Context())
				if err != nil {
					readErrs[r] = err
					return
				}
				reads[r]++
				sawBase := false
				for _, g := range gs {
					sawBase = sawBase || g.ID == base.ID
					if !g.Active || g.AreaCount != len(g.Areas) || g.AreaCount == 0 {
						readErrs[r] = fmt.Errorf("torn read: %q active=%v AreaCount=%d with %d areas", g.ID, g.Active, g.AreaCount, len(g.Areas))
						return
					}
				}
				if !sawBase {
					readErrs[r] = fmt.Errorf("read of %d active generations misses %q", len(gs), base.ID)
					return
				}
			}
		})
	}
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}
	for r, err := range readErrs {
		if err != nil {
			t.Errorf("reader %d: %v", r, err)
		}
		if reads[r] == 0 {
			t.Errorf("reader %d completed no read while the writer ran", r)
		}
	}
	if gs := mustActiveGenerations(t, s); len(gs) != 16 {
		t.Errorf("ActiveGenerations after the writer: %d generations, want 16", len(gs))
	}
}

func testBoundaryContextCanceled(t *testing.T, s data.BoundaryStore) {
	existing := simpleGeneration(data.LayerWard, time.Date(2015, 5, 18, 0, 0, 0, 0, cdt), 3, 5)
	mustCreate(t, s, existing)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	g := simpleGeneration(data.LayerWard, time.Date(2023, 5, 15, 0, 0, 0, 0, cdt), 3, 5)
	checkKind(t, "CreateGeneration", s.CreateGeneration(ctx, g), context.Canceled)
	checkKind(t, "ActivateGeneration", s.ActivateGeneration(ctx, existing.ID), context.Canceled)
	checkKind(t, "DeactivateGeneration", s.DeactivateGeneration(ctx, existing.ID), context.Canceled)
	_, err := s.Generation(ctx, existing.ID)
	checkKind(t, "Generation", err, context.Canceled)
	_, err = s.Generations(ctx)
	checkKind(t, "Generations", err, context.Canceled)
	_, err = s.ActiveGenerations(ctx)
	checkKind(t, "ActiveGenerations", err, context.Canceled)

	// Nothing happened.
	_, err = s.Generation(t.Context(), g.ID)
	checkKind(t, "Generation after a cancelled create", err, data.ErrNotFound)
	checkList(t, "Generations", mustGenerations(t, s), []*data.Generation{stored(existing)}, false)
}

func testBoundaryContextDeadlineDuringCreate(t *testing.T, s data.BoundaryStore) {
	// Deadlines that expire at various points of a large create: the create
	// either succeeds whole or fails with the context's error and leaves
	// nothing behind.
	var failed, succeeded int
	for i, d := range []time.Duration{50 * time.Microsecond, 500 * time.Microsecond, 2 * time.Millisecond, 8 * time.Millisecond, 30 * time.Millisecond, 10 * time.Second} {
		g := simpleGeneration(data.LayerWard, time.Date(2000+i, 1, 1, 0, 0, 0, 0, cst), 100, 300)
		ctx, cancel := context.WithTimeout(t.Context(), d)
		err := s.CreateGeneration(ctx, g)
		cancel()
		if err != nil {
			failed++
			checkKind(t, fmt.Sprintf("CreateGeneration with a %s deadline", d), err, context.DeadlineExceeded)
			_, err := s.Generation(t.Context(), g.ID)
			checkKind(t, fmt.Sprintf("Generation after a create that failed on a %s deadline", d), err, data.ErrNotFound)
			continue
		}
		succeeded++
		checkGeneration(t, s, stored(g))
	}
	if failed == 0 || succeeded == 0 {
		t.Errorf("%d creates failed and %d succeeded; want the shortest deadline to fail and the longest to succeed", failed, succeeded)
	}
}
