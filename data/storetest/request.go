package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
)

// TestRequestStore runs the data.RequestStore contract. open must return a
// fresh, empty store each time; it is called once per subtest, and subtests
// run in parallel. The store is not closed by the suite: register a
// t.Cleanup in open.
func TestRequestStore(t *testing.T, open func(t *testing.T) data.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s data.Store)
	}{
		{"Empty", testRequestEmpty},
		{"CreateRoundTrip", testRequestCreateRoundTrip},
		{"CreateDefaults", testRequestCreateDefaults},
		{"CreateInvalid", testRequestCreateInvalid},
		{"Numbers", testRequestNumbers},
		{"NumbersConcurrent", testRequestNumbersConcurrent},
		{"NumbersAfterImport", testRequestNumbersAfterImport},
		{"Idempotency", testRequestIdempotency},
		{"IdempotencyConcurrent", testRequestIdempotencyConcurrent},
		{"Decide", testRequestDecide},
		{"DecideErrors", testRequestDecideErrors},
		{"DecideCandidateFields", testRequestDecideCandidateFields},
		{"DedupeConcurrent", testRequestDedupeConcurrent},
		{"NotFound", testRequestNotFound},
		{"Filters", testRequestFilters},
		{"FilterInvalid", testRequestFilterInvalid},
		{"Scan", testRequestScan},
		{"Update", testRequestUpdate},
		{"UpdateError", testRequestUpdateError},
		{"UpdateConcurrent", testRequestUpdateConcurrent},
		{"UpdateAreas", testRequestUpdateAreas},
		{"StatusEveryState", testRequestStatusEveryState},
		{"CustomAreas", testRequestCustomAreas},
		{"NotesOrder", testRequestNotesOrder},
		{"Import", testRequestImport},
		{"ImportInvalid", testRequestImportInvalid},
		{"NoSharedMemory", testRequestNoSharedMemory},
		{"ContextCanceled", testRequestContextCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// ---- helpers ----

func mustCreateRequest(t *testing.T, s data.RequestStore, in data.Intake) *data.Request {
	t.Helper()
	r, created, err := s.CreateRequest(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateRequest(%s %s): %v", in.Request.ServiceCode, in.Request.RequestedAt, err)
	}
	if !created {
		t.Fatalf("CreateRequest(%s %s): created = false for a new request", in.Request.ServiceCode, in.Request.RequestedAt)
	}
	return r
}

func mustRequest(t *testing.T, s data.RequestStore, number string) *data.Request {
	t.Helper()
	r, err := s.Request(t.Context(), number)
	if err != nil {
		t.Fatalf("Request(%q): %v", number, err)
	}
	return r
}

func mustRequests(t *testing.T, s data.RequestStore, f data.RequestFilter) []*data.Request {
	t.Helper()
	rs, err := s.Requests(t.Context(), f)
	if err != nil {
		t.Fatalf("Requests(%+v): %v", f, err)
	}
	return rs
}

func mustCount(t *testing.T, s data.RequestStore, f data.RequestFilter) int {
	t.Helper()
	n, err := s.CountRequests(t.Context(), f)
	if err != nil {
		t.Fatalf("CountRequests(%+v): %v", f, err)
	}
	return n
}

func mustNotes(t *testing.T, s data.RequestStore, number string) []data.Note {
	t.Helper()
	ns, err := s.Notes(t.Context(), number)
	if err != nil {
		t.Fatalf("Notes(%q): %v", number, err)
	}
	return ns
}

func numbers(rs []*data.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Number
	}
	return out
}

// createdNote is the note a caller gives with a new request.
func createdNote(at time.Time) data.Note {
	return data.Note{At: at, Actor: "resident", Event: data.EventCreated, Text: "Received through the web form"}
}

var (
	t2026 = time.Date(2026, 3, 1, 10, 0, 0, 123456000, cst)
	admin = data.Actor{Name: "staff:Sgt. J. Ruiz #1234", Role: data.RoleAdmin}
)

// ---- tests ----

func testRequestEmpty(t *testing.T, s data.Store) {
	if rs := mustRequests(t, s, data.RequestFilter{}); len(rs) != 0 {
		t.Errorf("Requests on an empty store: %d, want 0", len(rs))
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 0 {
		t.Errorf("CountRequests on an empty store: %d, want 0", n)
	}
	_, err := s.Request(t.Context(), "SR26-00000001")
	checkKind(t, "Request on an empty store", err, data.ErrNotFound)
	_, err = s.Notes(t.Context(), "SR26-00000001")
	checkKind(t, "Notes on an empty store", err, data.ErrNotFound)
}

func testRequestCreateRoundTrip(t *testing.T, s data.Store) {
	for _, kind := range []data.Kind{data.KindServiceRequest, data.KindCommunityConcern} {
		in := fullRequest(kind, t2026)
		want := cloneRequest(in)
		notes := []data.Note{
			createdNote(t2026),
			{At: t2026.Add(time.Hour + time.Microsecond), Actor: "staff:x", Event: data.EventComment,
				Text: "internal remark — 'quoted'", Reason: "why\nnot", Internal: true},
		}
		got := mustCreateRequest(t, s, data.Intake{Request: in, Notes: slices.Clone(notes)})
		want.Number = data.FormatNumber(kind, 2026, 1)
		if d := diffRequest(got, want); d != "" {
			t.Errorf("%s: CreateRequest returned: %s", kind, d)
		}
		if d := diffRequest(mustRequest(t, s, want.Number), want); d != "" {
			t.Errorf("%s: Request(%s): %s", kind, want.Number, d)
		}
		rs := mustRequests(t, s, data.RequestFilter{Numbers: []string{want.Number}})
		if len(rs) != 1 {
			t.Fatalf("%s: Requests by number: %d requests, want 1", kind, len(rs))
		}
		if d := diffRequest(rs[0], want); d != "" {
			t.Errorf("%s: Requests by number: %s", kind, d)
		}
		got2 := mustNotes(t, s, want.Number)
		if len(got2) != len(notes) {
			t.Fatalf("%s: Notes: %d notes, want %d: %+v", kind, len(got2), len(notes), got2)
		}
		for i := range notes {
			if d := diffNote(got2[i], notes[i]); d != "" {
				t.Errorf("%s: note %d: %s", kind, i, d)
			}
			if got2[i].ID <= 0 {
				t.Errorf("%s: note %d has ID %d, want a positive id", kind, i, got2[i].ID)
			}
		}
		if got2[0].ID == got2[1].ID {
			t.Errorf("%s: notes share the ID %d", kind, got2[0].ID)
		}
	}
}

// testRequestCreateDefaults pins what the store fills in: the number (any
// number the caller set is replaced), UpdatedAt (RequestedAt when zero), a
// "created" note when the caller gave none, and the At of notes given
// without one (RequestedAt).
func testRequestCreateDefaults(t *testing.T, s data.Store) {
	in := simpleRequest("PHF", t2026)
	in.Number = "SR26-00000099"
	got := mustCreateRequest(t, s, data.Intake{Request: in, Notes: []data.Note{{Actor: "resident", Event: data.EventComment, Text: "no time"}}})
	if got.Number != "SR26-00000001" {
		t.Errorf("Number = %q, want SR26-00000001 (a number set by the caller is ignored)", got.Number)
	}
	if !got.UpdatedAt.Equal(t2026) {
		t.Errorf("UpdatedAt = %s, want RequestedAt %s when not given", fmtTime(got.UpdatedAt), fmtTime(t2026))
	}
	if _, err := s.Request(t.Context(), "SR26-00000099"); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("Request(SR26-00000099): %v, want ErrNotFound", err)
	}
	ns := mustNotes(t, s, got.Number)
	if len(ns) != 2 {
		t.Fatalf("Notes: %+v, want a created note added before the caller's note", ns)
	}
	if ns[0].Event != data.EventCreated || ns[0].Actor != "system" || !ns[0].At.Equal(t2026) {
		t.Errorf("added note = %+v, want event created, actor system, At = RequestedAt", ns[0])
	}
	if ns[1].Event != data.EventComment || !ns[1].At.Equal(t2026) || ns[1].Text != "no time" {
		t.Errorf("caller's note = %+v, want the comment at RequestedAt", ns[1])
	}
}

func testRequestCreateInvalid(t *testing.T, s data.Store) {
	mod := func(f func(r *data.Request)) *data.Request {
		r := simpleRequest("PHF", t2026)
		f(r)
		return r
	}
	for _, tc := range []struct {
		name string
		r    *data.Request
	}{
		{"nil request", nil},
		{"unknown kind", mod(func(r *data.Request) { r.Kind = "complaint" })},
		{"empty kind", mod(func(r *data.Request) { r.Kind = "" })},
		{"zero RequestedAt", mod(func(r *data.Request) { r.RequestedAt = time.Time{} })},
		{"year before 2000", mod(func(r *data.Request) { r.RequestedAt = time.Date(1999, 6, 1, 0, 0, 0, 0, time.UTC) })},
		{"year after 2099", mod(func(r *data.Request) { r.RequestedAt = time.Date(2100, 6, 1, 0, 0, 0, 0, time.UTC) })},
		{"bad state", mod(func(r *data.Request) { r.State = "pending" })},
		{"empty state", mod(func(r *data.Request) { r.State = "" })},
	} {
		_, created, err := s.CreateRequest(t.Context(), data.Intake{Request: tc.r})
		checkKind(t, "CreateRequest with "+tc.name, err, data.ErrInvalid)
		if created {
			t.Errorf("CreateRequest with %s: created = true", tc.name)
		}
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 0 {
		t.Errorf("%d requests stored after invalid intakes, want 0", n)
	}
	// Failed intakes consume no number.
	if got := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)}); got.Number != "SR26-00000001" {
		t.Errorf("first valid intake after invalid ones got %s, want SR26-00000001", got.Number)
	}
}

// testRequestNumbers: numbers by kind and year of RequestedAt, in UTC.
func testRequestNumbers(t *testing.T, s data.Store) {
	cc := func(at time.Time) *data.Request {
		r := simpleRequest("CCPOL", at)
		r.Kind = data.KindCommunityConcern
		return r
	}
	steps := []struct {
		r    *data.Request
		want string
	}{
		{simpleRequest("PHF", t2026), "SR26-00000001"},
		{simpleRequest("PHF", t2026.Add(-time.Hour)), "SR26-00000002"}, // order of intake, not of time
		{cc(t2026), "CC26-00000001"},
		{simpleRequest("SLA", time.Date(2025, 7, 4, 12, 0, 0, 0, cdt)), "SR25-00000001"},
		{simpleRequest("SLA", t2026), "SR26-00000003"},
		// 20:00 CST on 31 December 2025 is 02:00 UTC on 1 January 2026:
		// the year is RequestedAt's year in UTC.
		{simpleRequest("SLA", time.Date(2025, 12, 31, 20, 0, 0, 0, cst)), "SR26-00000004"},
		{cc(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), "CC25-00000001"},
		{cc(t2026), "CC26-00000002"},
	}
	for i, st := range steps {
		got := mustCreateRequest(t, s, data.Intake{Request: st.r})
		if got.Number != st.want {
			t.Errorf("intake %d (%s at %s): number %s, want %s", i, st.r.Kind, fmtTime(st.r.RequestedAt), got.Number, st.want)
		}
	}
}

// testRequestNumbersConcurrent: 16 concurrent intakes at a time get distinct
// numbers 1..N of their prefix, without gaps.
func testRequestNumbersConcurrent(t *testing.T, s data.Store) {
	const workers, each = 16, 4
	var (
		mu  sync.Mutex
		got []string
		wg  sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := simpleRequest("PHF", t2026.Add(time.Duration(w*each+i)*time.Second))
				st, created, err := s.CreateRequest(context.Background(), data.Intake{Request: r})
				if err != nil || !created {
					t.Errorf("worker %d intake %d: created %v, %v", w, i, created, err)
					return
				}
				mu.Lock()
				got = append(got, st.Number)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	want := make([]string, workers*each)
	for i := range want {
		want[i] = data.FormatNumber(data.KindServiceRequest, 2026, int64(i+1))
	}
	if !slices.Equal(got, want) {
		t.Errorf("numbers of %d concurrent intakes:\n got %v\nwant %v", len(want), got, want)
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != len(want) {
		t.Errorf("CountRequests = %d, want %d", n, len(want))
	}
}

// testRequestNumbersAfterImport: a number is never reused, also one that
// came in through ImportRequests: new numbers continue above the highest
// stored number of the kind and year.
func testRequestNumbersAfterImport(t *testing.T, s data.Store) {
	first := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	imp := simpleRequest("PHF", t2026)
	imp.Number = "SR26-00000041"
	legacy := simpleRequest("PHF", time.Date(2011, 5, 1, 0, 0, 0, 0, time.UTC))
	legacy.Number = "11-00002767"
	legacy.Legacy = true
	cc := simpleRequest("CCPOL", t2026)
	cc.Kind = data.KindCommunityConcern
	cc.Number = "CC26-00000007"
	if _, _, err := s.ImportRequests(t.Context(), []*data.Request{imp, legacy, cc}); err != nil {
		t.Fatalf("ImportRequests: %v", err)
	}
	if first.Number != "SR26-00000001" {
		t.Errorf("first number %s, want SR26-00000001", first.Number)
	}
	next := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	if next.Number != "SR26-00000042" {
		t.Errorf("number after importing SR26-00000041: %s, want SR26-00000042", next.Number)
	}
	r := simpleRequest("CCPOL", t2026)
	r.Kind = data.KindCommunityConcern
	if got := mustCreateRequest(t, s, data.Intake{Request: r}); got.Number != "CC26-00000008" {
		t.Errorf("number after importing CC26-00000007: %s, want CC26-00000008", got.Number)
	}
	if got := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC))}); got.Number != "SR11-00000001" {
		t.Errorf("number for 2011 after importing legacy 11-00002767: %s, want SR11-00000001", got.Number)
	}
}

func testRequestIdempotency(t *testing.T, s data.Store) {
	in := data.Intake{Request: simpleRequest("PHF", t2026), Notes: []data.Note{createdNote(t2026)}, IdempotencyKey: "client-1:abc"}
	first := mustCreateRequest(t, s, in)
	decided := false
	again := data.Intake{
		Request:        simpleRequest("SLA", t2026.Add(time.Hour)),
		Notes:          []data.Note{createdNote(t2026), {At: t2026, Actor: "x", Event: data.EventComment, Text: "second"}},
		IdempotencyKey: "client-1:abc",
		Candidates:     data.RequestFilter{},
		Decide: func([]*data.Request) (*data.DuplicateLink, error) {
			decided = true
			return &data.DuplicateLink{Primary: first.Number, Reason: "replay"}, nil
		},
	}
	got, created, err := s.CreateRequest(t.Context(), again)
	if err != nil {
		t.Fatalf("CreateRequest with a used idempotency key: %v", err)
	}
	if created {
		t.Error("CreateRequest with a used idempotency key: created = true")
	}
	if decided {
		t.Error("Decide was called for a replayed intake")
	}
	if d := diffRequest(got, first); d != "" {
		t.Errorf("replayed intake returned a different request: %s", d)
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 1 {
		t.Errorf("%d requests after a replay, want 1", n)
	}
	if ns := mustNotes(t, s, first.Number); len(ns) != 1 {
		t.Errorf("%d notes after a replay, want 1 (nothing written)", len(ns))
	}
	if d := diffRequest(mustRequest(t, s, first.Number), first); d != "" {
		t.Errorf("replay changed the first request: %s", d)
	}
	// Another key, and no key, create.
	other := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026), IdempotencyKey: "client-1:abd"})
	none1 := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	none2 := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	if got := []string{first.Number, other.Number, none1.Number, none2.Number}; !slices.Equal(got,
		[]string{"SR26-00000001", "SR26-00000002", "SR26-00000003", "SR26-00000004"}) {
		t.Errorf("numbers %v, want SR26-00000001..4 (an empty key is no key)", got)
	}
}

func testRequestIdempotencyConcurrent(t *testing.T, s data.Store) {
	const workers = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		nums    = map[string]int{}
		created int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := simpleRequest("PHF", t2026.Add(time.Duration(w)*time.Second))
			st, c, err := s.CreateRequest(context.Background(), data.Intake{Request: r, IdempotencyKey: "same-key"})
			if err != nil {
				t.Errorf("worker %d: %v", w, err)
				return
			}
			mu.Lock()
			nums[st.Number]++
			if c {
				created++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if created != 1 || len(nums) != 1 {
		t.Errorf("%d concurrent intakes with one key: %d created, numbers %v; want exactly one request", workers, created, nums)
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 1 {
		t.Errorf("CountRequests = %d, want 1", n)
	}
}

// dedupeIntake is an intake that joins the oldest open primary of its code
// among the candidates, as the dedupe package does.
func dedupeIntake(code string, at time.Time, reason string) data.Intake {
	return data.Intake{
		Request:  simpleRequest(code, at),
		Notes:    []data.Note{createdNote(at)},
		LockKeys: []int64{-7, 42, 1 << 40},
		Candidates: data.RequestFilter{
			ServiceCodes: []string{code},
			Status:       "open",
			Duplicates:   data.DuplicatesExclude,
			Near:         &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 250},
			Ascending:    true,
		},
		Decide: func(c []*data.Request) (*data.DuplicateLink, error) {
			if len(c) == 0 {
				return nil, nil
			}
			return &data.DuplicateLink{Primary: c[0].Number, Reason: reason}, nil
		},
	}
}

func testRequestDecide(t *testing.T, s data.Store) {
	// A closed pothole, a pothole elsewhere and an open light are not candidates.
	closed := simpleRequest("PHF", t2026.Add(-48*time.Hour))
	closed.State, closed.ClosedAt = data.StateClosed, t2026.Add(-24*time.Hour)
	far := simpleRequest("PHF", t2026.Add(-47*time.Hour))
	far.Lat = metresNorth(loopLat, 2000)
	light := simpleRequest("SLA", t2026.Add(-46*time.Hour))
	for _, r := range []*data.Request{closed, far, light} {
		mustCreateRequest(t, s, data.Intake{Request: r})
	}

	var seen [][]string
	in := dedupeIntake("PHF", t2026, "first")
	decide := in.Decide
	in.Decide = func(c []*data.Request) (*data.DuplicateLink, error) {
		seen = append(seen, numbers(c))
		return decide(c)
	}
	primary := mustCreateRequest(t, s, in)
	if primary.Duplicate || primary.ParentNumber != "" {
		t.Errorf("first intake: Duplicate %v parent %q, want a primary", primary.Duplicate, primary.ParentNumber)
	}
	if len(seen) != 1 || len(seen[0]) != 0 {
		t.Fatalf("Decide saw %v, want one call with no candidates", seen)
	}

	before := time.Now().Truncate(time.Microsecond)
	in2 := dedupeIntake("PHF", t2026.Add(time.Minute), "23 m away, 1 min later, score 0.93")
	in2.Request.Lat = metresNorth(loopLat, 23)
	decide = in2.Decide
	in2.Decide = func(c []*data.Request) (*data.DuplicateLink, error) {
		seen = append(seen, numbers(c))
		return decide(c)
	}
	dup := mustCreateRequest(t, s, in2)
	after := time.Now()
	if len(seen) != 2 || !slices.Equal(seen[1], []string{primary.Number}) {
		t.Fatalf("Decide saw %v, want the primary %s only as candidate", seen, primary.Number)
	}
	if !dup.Duplicate || dup.ParentNumber != primary.Number {
		t.Errorf("second intake: Duplicate %v parent %q, want a duplicate of %s", dup.Duplicate, dup.ParentNumber, primary.Number)
	}
	if d := diffRequest(mustRequest(t, s, dup.Number), dup); d != "" {
		t.Errorf("stored duplicate differs from the returned one: %s", d)
	}
	p := mustRequest(t, s, primary.Number)
	if p.DuplicateCount != 1 {
		t.Errorf("primary DuplicateCount = %d, want 1", p.DuplicateCount)
	}
	if p.UpdatedAt.Before(before) || p.UpdatedAt.After(after) {
		t.Errorf("primary UpdatedAt = %s, want the time of the intake (%s..%s)", fmtTime(p.UpdatedAt), fmtTime(before), fmtTime(after))
	}
	dn := mustNotes(t, s, dup.Number)
	if len(dn) != 2 || dn[0].Event != data.EventCreated || dn[1].Event != data.EventDuplicate ||
		dn[1].Reason != "23 m away, 1 min later, score 0.93" || !strings.Contains(dn[1].Text, primary.Number) ||
		dn[1].Actor != "system" || !dn[1].At.Equal(dup.RequestedAt) {
		t.Errorf("duplicate's notes = %+v, want created, then duplicate (actor system, at RequestedAt, reason, text naming %s)", dn, primary.Number)
	}
	pn := mustNotes(t, s, primary.Number)
	if len(pn) != 2 || pn[1].Event != data.EventDuplicateOf || pn[1].Reason != "23 m away, 1 min later, score 0.93" ||
		!strings.Contains(pn[1].Text, dup.Number) || pn[1].Actor != "system" || !pn[1].At.Equal(dup.RequestedAt) {
		t.Errorf("primary's notes = %+v, want created, then duplicate_of (actor system, at the duplicate's RequestedAt, reason, text naming %s)", pn, dup.Number)
	}
	// A third joins the same primary: the duplicate is excluded from candidates.
	third := mustCreateRequest(t, s, dedupeIntake("PHF", t2026.Add(2*time.Minute), "third"))
	if third.ParentNumber != primary.Number {
		t.Errorf("third intake parent %q, want %s", third.ParentNumber, primary.Number)
	}
	if p := mustRequest(t, s, primary.Number); p.DuplicateCount != 2 {
		t.Errorf("primary DuplicateCount = %d, want 2", p.DuplicateCount)
	}
}

func testRequestDecideErrors(t *testing.T, s data.Store) {
	primary := mustCreateRequest(t, s, dedupeIntake("PHF", t2026, "x"))
	pBefore := mustRequest(t, s, primary.Number)
	errBoom := errors.New("dedupe exploded")
	in := dedupeIntake("PHF", t2026.Add(time.Minute), "x")
	in.Decide = func([]*data.Request) (*data.DuplicateLink, error) { return nil, errBoom }
	_, created, err := s.CreateRequest(t.Context(), in)
	checkKind(t, "CreateRequest with a failing Decide", err, errBoom)
	if created {
		t.Error("created = true with a failing Decide")
	}
	in = dedupeIntake("PHF", t2026.Add(time.Minute), "x")
	in.Decide = func([]*data.Request) (*data.DuplicateLink, error) {
		return &data.DuplicateLink{Primary: "SR26-09999999", Reason: "ghost"}, nil
	}
	if _, created, err := s.CreateRequest(t.Context(), in); err == nil || created {
		t.Errorf("CreateRequest linking to a missing primary: created %v, err %v; want an error", created, err)
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 1 {
		t.Errorf("%d requests after failed intakes, want 1", n)
	}
	if d := diffRequest(mustRequest(t, s, primary.Number), pBefore); d != "" {
		t.Errorf("failed intakes changed the primary: %s", d)
	}
	if ns := mustNotes(t, s, primary.Number); len(ns) != 1 {
		t.Errorf("primary has %d notes after failed intakes, want 1", len(ns))
	}
	// No number was consumed.
	if r := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("SLA", t2026)}); r.Number != "SR26-00000002" {
		t.Errorf("next number %s, want SR26-00000002", r.Number)
	}
}

// testRequestDedupeConcurrent: many goroutines file near-identical requests
// at once; exactly one becomes the primary and every other one its duplicate.
func testRequestDedupeConcurrent(t *testing.T, s data.Store) {
	const workers = 16
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all []*data.Request
	)
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := dedupeIntake("PHF", t2026.Add(time.Duration(w)*time.Millisecond), fmt.Sprintf("worker %d", w))
			in.Request.Lat = metresNorth(loopLat, float64(w))
			<-start
			r, created, err := s.CreateRequest(context.Background(), in)
			if err != nil || !created {
				t.Errorf("worker %d: created %v, %v", w, created, err)
				return
			}
			mu.Lock()
			all = append(all, r)
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	var primaries []string
	for _, r := range all {
		if !r.Duplicate {
			primaries = append(primaries, r.Number)
		}
	}
	if len(primaries) != 1 {
		t.Fatalf("%d concurrent near-identical intakes made %d primaries %v, want exactly 1", workers, len(primaries), primaries)
	}
	p := primaries[0]
	for _, r := range all {
		if r.Duplicate && r.ParentNumber != p {
			t.Errorf("%s is a duplicate of %q, want %s", r.Number, r.ParentNumber, p)
		}
		if r.Duplicate {
			if ns := mustNotes(t, s, r.Number); len(ns) != 2 || ns[1].Event != data.EventDuplicate {
				t.Errorf("duplicate %s notes %+v, want created then duplicate", r.Number, ns)
			}
		}
	}
	pr := mustRequest(t, s, p)
	if pr.DuplicateCount != workers-1 {
		t.Errorf("primary DuplicateCount = %d, want %d", pr.DuplicateCount, workers-1)
	}
	ns := mustNotes(t, s, p)
	dupNotes := 0
	for _, n := range ns {
		if n.Event == data.EventDuplicateOf {
			dupNotes++
		}
	}
	if dupNotes != workers-1 {
		t.Errorf("primary has %d duplicate_of notes, want %d", dupNotes, workers-1)
	}
	if n := mustCount(t, s, data.RequestFilter{Duplicates: data.DuplicatesOnly}); n != workers-1 {
		t.Errorf("%d duplicates stored, want %d", n, workers-1)
	}
}

func testRequestNotFound(t *testing.T, s data.Store) {
	mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	for _, n := range []string{"SR26-00000002", "CC26-00000001", "", "sr26-00000001", "SR26-00000001 ", "' OR 1=1 --"} {
		_, err := s.Request(t.Context(), n)
		checkKind(t, fmt.Sprintf("Request(%q)", n), err, data.ErrNotFound)
		_, err = s.Notes(t.Context(), n)
		checkKind(t, fmt.Sprintf("Notes(%q)", n), err, data.ErrNotFound)
		called := false
		_, err = s.UpdateRequest(t.Context(), n, func(*data.Request) ([]data.Note, error) { called = true; return nil, nil })
		checkKind(t, fmt.Sprintf("UpdateRequest(%q)", n), err, data.ErrNotFound)
		if called {
			t.Errorf("UpdateRequest(%q) called fn for a missing request", n)
		}
	}
}

// filterFixture stores eight requests labelled A..H and returns their
// numbers by label. In the default order (RequestedAt descending, then
// number descending) they list as G F E D C B A H.
func filterFixture(t *testing.T, s data.Store) map[string]string {
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	loopAreas := []data.AreaRef{
		{Layer: data.LayerBeat, ID: "0122", Generation: "beat@2012-12-19"},
		{Layer: data.LayerDistrict, ID: "01", Generation: "district@2012-12-19"},
		{Layer: data.LayerWard, ID: "42", Generation: "ward@2023-05-15"},
	}
	farAreas := []data.AreaRef{
		{Layer: data.LayerBeat, ID: "1234", Generation: "beat@2012-12-19"},
		{Layer: data.LayerDistrict, ID: "12", Generation: "district@2012-12-19"},
		{Layer: data.LayerWard, ID: "2", Generation: "ward@2023-05-15"},
	}
	mk := func(code string, at time.Time, f func(r *data.Request)) *data.Request {
		r := simpleRequest(code, at)
		r.Areas = slices.Clone(loopAreas)
		r.UpdatedAt = at.Add(time.Hour)
		f(r)
		return r
	}
	fixtures := []struct {
		label string
		r     *data.Request
	}{
		{"A", mk("PHF", day(1, 10), func(r *data.Request) {})},
		{"B", mk("PHF", day(2, 0), func(r *data.Request) {
			r.State, r.ClosedAt = data.StateClosed, day(4, 0)
			r.Lat = metresNorth(loopLat, 100)
			r.UpdatedAt = day(5, 0)
			r.Areas[0].ID = "0123"
		})},
		{"C", mk("SLA", day(3, 0), func(r *data.Request) {
			r.State, r.AssignedAt = data.StateAssigned, day(3, 5)
			r.Lat = metresNorth(loopLat, 1000)
			r.H3 = otherCell
			r.Areas[0].ID, r.Areas[2].ID = "0124", "2"
		})},
		{"D", mk("PMC", day(4, 0), func(r *data.Request) {
			r.PoliceRelated = true
			r.Lon, r.Lat, r.H3 = -87.70, 41.90, 0x892664c0001ffff
			r.Areas = slices.Clone(farAreas)
		})},
		{"E", mk("CCPOL", day(5, 0), func(r *data.Request) {
			r.Kind, r.State, r.AcceptedAt = data.KindCommunityConcern, data.StateAccepted, day(5, 1)
			r.Lon, r.Lat, r.H3 = -87.70, 41.90, 0x892664c0001ffff
			r.Areas = slices.Clone(farAreas)
		})},
		{"F", mk("PHF", day(6, 0), func(r *data.Request) { r.Duplicate = true })}, // ParentNumber set below
		{"G", mk("PHF", day(6, 0), func(r *data.Request) { r.State, r.CompletedAt = data.StateCompleted, day(6, 2) })},
		{"H", mk("PHF", time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC), func(r *data.Request) {
			r.State, r.ClosedAt = data.StateClosed, day(1, 0)
			r.Areas[2].Generation = "ward@2015-05-18"
		})},
	}
	nums := map[string]string{}
	for _, f := range fixtures {
		if f.label == "F" {
			f.r.ParentNumber = nums["A"]
		}
		nums[f.label] = mustCreateRequest(t, s, data.Intake{Request: f.r}).Number
	}
	return nums
}

func testRequestFilters(t *testing.T, s data.Store) {
	n := filterFixture(t, s)
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	bbox := orb.Bound{Min: orb.Point{loopLon - 0.001, loopLat - 0.001}, Max: orb.Point{loopLon + 0.001, metresNorth(loopLat, 200)}}
	area := func(l data.Layer, id string) data.AreaRef { return data.AreaRef{Layer: l, ID: id} }
	for _, tc := range []struct {
		name string
		f    data.RequestFilter
		want string // labels in result order
	}{
		{"all", data.RequestFilter{}, "GFEDCBAH"},
		{"numbers", data.RequestFilter{Numbers: []string{n["A"], n["C"], "SR26-09999999"}}, "CA"},
		{"codes", data.RequestFilter{ServiceCodes: []string{"PHF"}}, "GFBAH"},
		{"two codes", data.RequestFilter{ServiceCodes: []string{"SLA", "PMC"}}, "DC"},
		{"kind concern", data.RequestFilter{Kinds: []data.Kind{data.KindCommunityConcern}}, "E"},
		{"kind request", data.RequestFilter{Kinds: []data.Kind{data.KindServiceRequest}}, "GFDCBAH"},
		{"states", data.RequestFilter{States: []data.State{data.StateNew, data.StateClosed}}, "FDBAH"},
		{"status open", data.RequestFilter{Status: "open"}, "GFEDCA"},
		{"status closed", data.RequestFilter{Status: "closed"}, "BH"},
		{"from to", data.RequestFilter{From: day(2, 0), To: day(5, 0)}, "DCB"},
		{"from only", data.RequestFilter{From: day(5, 0)}, "GFE"},
		{"to only", data.RequestFilter{To: day(2, 0)}, "AH"},
		{"from in another zone", data.RequestFilter{From: day(2, 0).In(cst)}, "GFEDCB"},
		{"updated after before", data.RequestFilter{UpdatedAfter: day(3, 1), UpdatedBefore: day(5, 1)}, "DB"},
		{"updated after", data.RequestFilter{UpdatedAfter: day(5, 0)}, "GFE"},
		{"updated before", data.RequestFilter{UpdatedBefore: day(1, 11)}, "H"},
		{"area district", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerDistrict, "01")}}, "GFCBAH"},
		{"area beat and district", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerDistrict, "01"), area(data.LayerBeat, "0122")}}, "GFAH"},
		{"area generation ignored", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "42", Generation: "ward@1999-01-01"}}}, "GFBAH"},
		{"area id of another layer", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerWard, "01")}}, ""},
		{"area no match", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerDistrict, "01"), area(data.LayerDistrict, "12")}}, ""},
		{"bbox", data.RequestFilter{BBox: &bbox}, "GFBAH"},
		{"bbox far", data.RequestFilter{BBox: &orb.Bound{Min: orb.Point{-87.71, 41.89}, Max: orb.Point{-87.69, 41.91}}}, "ED"},
		{"near 300 m", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 300}}, "GFBAH"},
		{"near 50 m", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 50}}, "GFAH"},
		{"near 1.5 km", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 1500}}, "GFCBAH"},
		{"cells", data.RequestFilter{Cells: []uint64{otherCell}}, "C"},
		{"two cells", data.RequestFilter{Cells: []uint64{otherCell, 0x892664c0001ffff}}, "EDC"},
		{"duplicates exclude", data.RequestFilter{Duplicates: data.DuplicatesExclude}, "GEDCBAH"},
		{"duplicates only", data.RequestFilter{Duplicates: data.DuplicatesOnly}, "F"},
		{"exclude police", data.RequestFilter{ExcludePolice: true}, "GFCBAH"},
		{"combined", data.RequestFilter{ServiceCodes: []string{"PHF"}, Status: "open", Duplicates: data.DuplicatesExclude}, "GA"},
		{"ascending", data.RequestFilter{Ascending: true}, "HABCDEFG"},
		{"limit", data.RequestFilter{Limit: 3}, "GFE"},
		{"limit offset", data.RequestFilter{Limit: 2, Offset: 1}, "FE"},
		{"offset only", data.RequestFilter{Offset: 6}, "AH"},
		{"offset beyond", data.RequestFilter{Offset: 8}, ""},
		{"ascending limit offset", data.RequestFilter{Ascending: true, Limit: 2, Offset: 6}, "FG"},
		{"paged filter", data.RequestFilter{ServiceCodes: []string{"PHF"}, Limit: 2, Offset: 2}, "BA"},
	} {
		want := make([]string, 0, len(tc.want))
		for _, l := range tc.want {
			want = append(want, n[string(l)])
		}
		got := numbers(mustRequests(t, s, tc.f))
		if !slices.Equal(got, want) {
			t.Errorf("%s: Requests = %v, want %v (%s)", tc.name, labels(n, got), tc.want, strings.Join(want, " "))
		}
		count := len(want)
		if tc.f.Limit > 0 || tc.f.Offset > 0 {
			g := tc.f
			g.Limit, g.Offset = 0, 0
			count = len(mustRequests(t, s, g))
		}
		if c := mustCount(t, s, tc.f); c != count {
			t.Errorf("%s: CountRequests = %d, want %d (Limit and Offset ignored)", tc.name, c, count)
		}
	}
}

func labels(n map[string]string, nums []string) string {
	var b strings.Builder
	for _, x := range nums {
		found := "?"
		for l, v := range n {
			if v == x {
				found = l
			}
		}
		b.WriteString(found)
	}
	return b.String()
}

func testRequestFilterInvalid(t *testing.T, s data.Store) {
	filterFixture(t, s)
	for _, tc := range []struct {
		name string
		f    data.RequestFilter
	}{
		{"status", data.RequestFilter{Status: "pending"}},
		{"negative limit", data.RequestFilter{Limit: -1}},
		{"negative offset", data.RequestFilter{Offset: -1}},
		{"duplicates", data.RequestFilter{Duplicates: 7}},
		{"negative radius", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: -1}}},
	} {
		_, err := s.Requests(t.Context(), tc.f)
		checkKind(t, "Requests with invalid "+tc.name, err, data.ErrInvalid)
		_, err = s.CountRequests(t.Context(), tc.f)
		checkKind(t, "CountRequests with invalid "+tc.name, err, data.ErrInvalid)
		err = s.ScanRequests(t.Context(), tc.f, func(*data.Request) error { return nil })
		checkKind(t, "ScanRequests with invalid "+tc.name, err, data.ErrInvalid)
	}
}

func testRequestScan(t *testing.T, s data.Store) {
	filterFixture(t, s)
	for _, f := range []data.RequestFilter{
		{},
		{Ascending: true},
		{ServiceCodes: []string{"PHF"}, Limit: 3, Offset: 1},
		{Status: "closed"},
	} {
		want := mustRequests(t, s, f)
		var got []*data.Request
		if err := s.ScanRequests(t.Context(), f, func(r *data.Request) error {
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatalf("ScanRequests(%+v): %v", f, err)
		}
		if !slices.Equal(numbers(got), numbers(want)) {
			t.Errorf("ScanRequests(%+v) = %v, want the order of Requests %v", f, numbers(got), numbers(want))
		}
		for i := range min(len(got), len(want)) {
			if d := diffRequest(got[i], want[i]); d != "" {
				t.Errorf("ScanRequests(%+v) row %d: %s", f, i, d)
			}
		}
	}
	stop := errors.New("enough")
	calls := 0
	err := s.ScanRequests(t.Context(), data.RequestFilter{}, func(*data.Request) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	checkKind(t, "ScanRequests stopped by fn", err, stop)
	if calls != 3 {
		t.Errorf("fn called %d times after returning an error at the 3rd, want 3", calls)
	}
	// The store stays usable after a stopped scan (no leaked transaction).
	mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
}

func testRequestUpdate(t *testing.T, s data.Store) {
	r := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026), Notes: []data.Note{createdNote(t2026)}})
	at := t2026.Add(3*time.Hour + 5*time.Microsecond)
	before := time.Now().Truncate(time.Microsecond)
	got, err := s.UpdateRequest(t.Context(), r.Number, func(x *data.Request) ([]data.Note, error) {
		if x.Number != r.Number || x.State != data.StateNew {
			return nil, fmt.Errorf("fn got %s in state %s", x.Number, x.State)
		}
		return data.Assign(x, admin, at, "Officer K. Lee #5678")
	})
	after := time.Now()
	if err != nil {
		t.Fatalf("UpdateRequest(Assign): %v", err)
	}
	want := cloneRequest(r)
	want.State, want.AssignedTo, want.AssignedAt = data.StateAssigned, "Officer K. Lee #5678", at
	want.UpdatedAt = got.UpdatedAt
	if d := diffRequest(got, want); d != "" {
		t.Errorf("UpdateRequest returned: %s", d)
	}
	if got.UpdatedAt.Before(before) || got.UpdatedAt.After(after) {
		t.Errorf("UpdatedAt = %s, want the time of the update (%s..%s)", fmtTime(got.UpdatedAt), fmtTime(before), fmtTime(after))
	}
	if d := diffRequest(mustRequest(t, s, r.Number), want); d != "" {
		t.Errorf("Request after update: %s", d)
	}
	ns := mustNotes(t, s, r.Number)
	if len(ns) != 2 || ns[1].Event != data.EventAssigned || !ns[1].At.Equal(at) || ns[1].Actor != admin.Name ||
		!strings.Contains(ns[1].Text, "Officer K. Lee #5678") {
		t.Errorf("notes after Assign = %+v, want created then assigned", ns)
	}
	// Then close it: state filters see the change.
	if _, err := s.UpdateRequest(t.Context(), r.Number, func(x *data.Request) ([]data.Note, error) {
		return data.Close(x, admin, at.Add(time.Hour), "Completed - pothole patched")
	}); err != nil {
		t.Fatalf("UpdateRequest(Close): %v", err)
	}
	if got := numbers(mustRequests(t, s, data.RequestFilter{Status: "closed"})); !slices.Equal(got, []string{r.Number}) {
		t.Errorf("closed requests after Close: %v, want %s", got, r.Number)
	}
	if got := mustRequest(t, s, r.Number); got.Disposition != "Completed - pothole patched" || !got.ClosedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("after Close: disposition %q closed %s", got.Disposition, fmtTime(got.ClosedAt))
	}
	// A change to the number by fn is not stored.
	if _, err := s.UpdateRequest(t.Context(), r.Number, func(x *data.Request) ([]data.Note, error) {
		x.Number = "SR26-00000777"
		x.MeToo++
		return nil, nil
	}); err != nil {
		t.Fatalf("UpdateRequest: %v", err)
	}
	if got := mustRequest(t, s, r.Number); got.MeToo != 1 {
		t.Errorf("MeToo = %d after an update, want 1", got.MeToo)
	}
	if _, err := s.Request(t.Context(), "SR26-00000777"); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("a number changed by fn was stored: %v", err)
	}
	if ns := mustNotes(t, s, r.Number); len(ns) != 3 {
		t.Errorf("%d notes after an update returning none, want 3", len(ns))
	}
}

func testRequestUpdateError(t *testing.T, s data.Store) {
	r := mustCreateRequest(t, s, data.Intake{Request: fullRequest(data.KindServiceRequest, t2026)})
	boom := errors.New("no")
	_, err := s.UpdateRequest(t.Context(), r.Number, func(x *data.Request) ([]data.Note, error) {
		x.State, x.Description, x.MeToo = data.StateClosed, "changed", 99
		x.Areas = nil
		return []data.Note{{At: t2026, Actor: "x", Event: data.EventComment}}, boom
	})
	checkKind(t, "UpdateRequest with fn error", err, boom)
	// A lifecycle rule's error comes back with its kind.
	_, err = s.UpdateRequest(t.Context(), r.Number, func(x *data.Request) ([]data.Note, error) {
		return data.Accept(x, admin, t2026.Add(time.Hour)) // a service request cannot be accepted
	})
	checkKind(t, "UpdateRequest(Accept) of a service request", err, data.ErrConflict)
	if d := diffRequest(mustRequest(t, s, r.Number), r); d != "" {
		t.Errorf("failed updates changed the request: %s", d)
	}
	if ns := mustNotes(t, s, r.Number); len(ns) != 1 {
		t.Errorf("%d notes after failed updates, want 1", len(ns))
	}
	if got := mustCount(t, s, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0122"}}}); got != 1 {
		t.Errorf("area filter after a failed update: %d, want 1", got)
	}
}

// testRequestUpdateConcurrent: read-modify-write under the write lock loses
// no update.
func testRequestUpdateConcurrent(t *testing.T, s data.Store) {
	r := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	const workers, each = 8, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.UpdateRequest(context.Background(), r.Number, func(x *data.Request) ([]data.Note, error) {
					x.MeToo++
					return []data.Note{{At: t2026.Add(time.Hour), Actor: fmt.Sprintf("resident %d", w), Event: data.EventMeToo}}, nil
				}); err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := mustRequest(t, s, r.Number).MeToo; got != workers*each {
		t.Errorf("MeToo = %d after %d concurrent increments, want %d", got, workers*each, workers*each)
	}
	if ns := mustNotes(t, s, r.Number); len(ns) != 1+workers*each {
		t.Errorf("%d notes, want %d", len(ns), 1+workers*each)
	}
}

// testRequestUpdateAreas: re-routing through UpdateRequest moves the
// request between area, bbox, near and cell filters.
func testRequestUpdateAreas(t *testing.T, s data.Store) {
	r := simpleRequest("PHF", t2026)
	r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "0122", Generation: "g1"}}
	st := mustCreateRequest(t, s, data.Intake{Request: r})
	farLat := metresNorth(loopLat, 5000)
	if _, err := s.UpdateRequest(t.Context(), st.Number, func(x *data.Request) ([]data.Note, error) {
		x.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "1234", Generation: "g2"}, {Layer: data.LayerWard, ID: "7", Generation: "g3"}}
		x.Lat, x.H3 = farLat, otherCell
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    data.RequestFilter
		want int
	}{
		{"old area", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0122"}}}, 0},
		{"new area", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "1234"}, {Layer: data.LayerWard, ID: "7"}}}, 1},
		{"old place", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 100}}, 0},
		{"new place", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: farLat, RadiusM: 100}}, 1},
		{"old bbox", data.RequestFilter{BBox: &orb.Bound{Min: orb.Point{loopLon - 0.01, loopLat - 0.01}, Max: orb.Point{loopLon + 0.01, loopLat + 0.01}}}, 0},
		{"new bbox", data.RequestFilter{BBox: &orb.Bound{Min: orb.Point{loopLon - 0.01, farLat - 0.01}, Max: orb.Point{loopLon + 0.01, farLat + 0.01}}}, 1},
		{"old cell", data.RequestFilter{Cells: []uint64{loopCell}}, 0},
		{"new cell", data.RequestFilter{Cells: []uint64{otherCell}}, 1},
	} {
		if got := mustCount(t, s, tc.f); got != tc.want {
			t.Errorf("%s after re-routing: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func testRequestNotesOrder(t *testing.T, s data.Store) {
	r := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026), Notes: []data.Note{createdNote(t2026)}})
	for i, d := range []time.Duration{3 * time.Hour, time.Hour, 3 * time.Hour, 2 * time.Hour} {
		if _, err := s.UpdateRequest(t.Context(), r.Number, func(x *data.Request) ([]data.Note, error) {
			return []data.Note{{At: t2026.Add(d), Actor: "staff:a", Event: data.EventComment, Text: fmt.Sprint(i)}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, n := range mustNotes(t, s, r.Number) {
		got = append(got, n.Text)
	}
	// Oldest first by At; notes with the same At in the order they were added.
	want := []string{createdNote(t2026).Text, "1", "3", "0", "2"}
	if !slices.Equal(got, want) {
		t.Errorf("notes in order %q, want %q", got, want)
	}
}

func testRequestImport(t *testing.T, s data.Store) {
	mk := func(num string, at time.Time) *data.Request {
		r := fullRequest(data.KindServiceRequest, at)
		r.Number = num
		r.Origin = data.OriginImport
		return r
	}
	a := mk("SR19-00000001", time.Date(2019, 1, 2, 3, 4, 5, 678901000, time.UTC))
	b := mk("19-00002767", time.Date(2019, 1, 3, 0, 0, 0, 0, time.UTC))
	b.UpdatedAt = time.Time{} // becomes RequestedAt
	c := mk("SR19-00000003", time.Date(2019, 1, 4, 0, 0, 0, 0, time.UTC))
	ins, upd, err := s.ImportRequests(t.Context(), []*data.Request{cloneRequest(a), cloneRequest(b), cloneRequest(c)})
	if err != nil || ins != 3 || upd != 0 {
		t.Fatalf("first import: inserted %d updated %d err %v, want 3, 0, nil", ins, upd, err)
	}
	bWant := cloneRequest(b)
	bWant.UpdatedAt = b.RequestedAt
	for _, w := range []*data.Request{a, bWant, c} {
		if d := diffRequest(mustRequest(t, s, w.Number), w); d != "" {
			t.Errorf("imported %s: %s", w.Number, d)
		}
		if ns := mustNotes(t, s, w.Number); len(ns) != 0 {
			t.Errorf("imported %s has notes %+v, want none", w.Number, ns)
		}
	}
	// Again, with changes to two and one new: replaces by number.
	a2 := cloneRequest(a)
	a2.State, a2.ClosedAt, a2.Disposition = data.StateClosed, a.RequestedAt.Add(time.Hour), "done"
	a2.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "9999", Generation: "x"}}
	c2 := cloneRequest(c)
	c2.Description, c2.Attributes, c2.PINHash, c2.Contact = "changed", nil, nil, data.Contact{}
	d := mk("SR19-00000004", time.Date(2019, 1, 5, 0, 0, 0, 0, time.UTC))
	ins, upd, err = s.ImportRequests(t.Context(), []*data.Request{cloneRequest(a2), cloneRequest(c2), cloneRequest(d)})
	if err != nil || ins != 1 || upd != 2 {
		t.Fatalf("second import: inserted %d updated %d err %v, want 1, 2, nil", ins, upd, err)
	}
	for _, w := range []*data.Request{a2, bWant, c2, d} {
		if diff := diffRequest(mustRequest(t, s, w.Number), w); diff != "" {
			t.Errorf("after re-import %s: %s", w.Number, diff)
		}
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 4 {
		t.Errorf("%d requests after two imports, want 4", n)
	}
	if got := numbers(mustRequests(t, s, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0122"}}})); !slices.Equal(got, []string{d.Number, c.Number, b.Number}) {
		t.Errorf("area filter after re-import: %v, want the old areas of %s gone", got, a.Number)
	}
	if got := numbers(mustRequests(t, s, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "9999"}}})); !slices.Equal(got, []string{a.Number}) {
		t.Errorf("area filter for the new area: %v, want %s", got, a.Number)
	}
	// Idempotent: the same rows again change nothing but count as updated.
	ins, upd, err = s.ImportRequests(t.Context(), []*data.Request{cloneRequest(a2), cloneRequest(c2), cloneRequest(d)})
	if err != nil || ins != 0 || upd != 3 {
		t.Errorf("third import: inserted %d updated %d err %v, want 0, 3, nil", ins, upd, err)
	}
	if n := mustCount(t, s, data.RequestFilter{}); n != 4 {
		t.Errorf("%d requests after three imports, want 4", n)
	}
	// An empty import is fine.
	if ins, upd, err := s.ImportRequests(t.Context(), nil); err != nil || ins != 0 || upd != 0 {
		t.Errorf("empty import: %d %d %v", ins, upd, err)
	}
}

func testRequestImportInvalid(t *testing.T, s data.Store) {
	good := simpleRequest("PHF", t2026)
	good.Number = "SR26-00000001"
	for _, tc := range []struct {
		name string
		f    func(r *data.Request)
	}{
		{"empty number", func(r *data.Request) { r.Number = "" }},
		{"malformed number", func(r *data.Request) { r.Number = "not a number" }},
		{"unknown kind", func(r *data.Request) { r.Kind = "x" }},
		{"zero RequestedAt", func(r *data.Request) { r.RequestedAt = time.Time{} }},
		{"bad state", func(r *data.Request) { r.State = "x" }},
	} {
		bad := simpleRequest("PHF", t2026)
		bad.Number = "SR26-00000002"
		tc.f(bad)
		_, _, err := s.ImportRequests(t.Context(), []*data.Request{cloneRequest(good), bad})
		checkKind(t, "ImportRequests with "+tc.name, err, data.ErrInvalid)
	}
	_, _, err := s.ImportRequests(t.Context(), []*data.Request{cloneRequest(good), nil})
	checkKind(t, "ImportRequests with a nil request", err, data.ErrInvalid)
	if n := mustCount(t, s, data.RequestFilter{}); n != 0 {
		t.Errorf("%d requests after invalid imports, want 0 (all or nothing)", n)
	}
}

func testRequestNoSharedMemory(t *testing.T, s data.Store) {
	in := fullRequest(data.KindServiceRequest, t2026)
	want := cloneRequest(in)
	got := mustCreateRequest(t, s, data.Intake{Request: in})
	want.Number = got.Number
	// Scribble over the input and over what came back.
	for _, r := range []*data.Request{in, got} {
		r.Areas[0].ID = "XXXX"
		r.RecordedAreas[0].ID = "YYYY"
		r.Attributes["WHERE"][0] = "zzz"
		r.Attributes["NEW"] = []string{"1"}
		r.PINHash[0] = 'Z'
	}
	r1 := mustRequest(t, s, want.Number)
	if d := diffRequest(r1, want); d != "" {
		t.Errorf("after changing returned values: %s", d)
	}
	r1.Areas[0].ID = "WWWW"
	r1.Attributes["WHERE"][0] = "www"
	if d := diffRequest(mustRequest(t, s, want.Number), want); d != "" {
		t.Errorf("two reads share memory: %s", d)
	}
}

func testRequestContextCanceled(t *testing.T, s data.Store) {
	r := mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := s.CreateRequest(ctx, data.Intake{Request: simpleRequest("PHF", t2026)})
	checkKind(t, "CreateRequest", err, context.Canceled)
	_, err = s.Request(ctx, r.Number)
	checkKind(t, "Request", err, context.Canceled)
	_, err = s.Requests(ctx, data.RequestFilter{})
	checkKind(t, "Requests", err, context.Canceled)
	_, err = s.CountRequests(ctx, data.RequestFilter{})
	checkKind(t, "CountRequests", err, context.Canceled)
	err = s.ScanRequests(ctx, data.RequestFilter{}, func(*data.Request) error { return nil })
	checkKind(t, "ScanRequests", err, context.Canceled)
	_, err = s.UpdateRequest(ctx, r.Number, func(x *data.Request) ([]data.Note, error) { x.MeToo = 5; return nil, nil })
	checkKind(t, "UpdateRequest", err, context.Canceled)
	_, err = s.Notes(ctx, r.Number)
	checkKind(t, "Notes", err, context.Canceled)
	imp := simpleRequest("PHF", t2026)
	imp.Number = "SR26-00000500"
	_, _, err = s.ImportRequests(ctx, []*data.Request{imp})
	checkKind(t, "ImportRequests", err, context.Canceled)
	if n := mustCount(t, s, data.RequestFilter{}); n != 1 {
		t.Errorf("%d requests after cancelled calls, want 1", n)
	}
	if got := mustRequest(t, s, r.Number); got.MeToo != 0 {
		t.Errorf("cancelled update was stored: MeToo %d", got.MeToo)
	}
}
