package postgis

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uber/h3-go/v4"

	"github.com/geo311/geo311/data"
)

// groupRequest is a valid new service request at the Loop, requested at.
func groupRequest(code string, at time.Time) *data.Request {
	return &data.Request{
		Jurisdiction: "chicago", Kind: data.KindServiceRequest, ServiceCode: code, ServiceName: "Type " + code,
		State: data.StateNew, Lon: -87.6298, Lat: 41.8781, Origin: data.OriginWeb, RequestedAt: at, SLADays: 7,
	}
}

// openWithPrimary opens a fresh store holding one request, a primary for
// the groups that follow, requested at t0.
func openWithPrimary(t *testing.T) (db *DB, t0 time.Time, primary *data.Request) {
	t.Helper()
	db = openDB(t)
	t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	primary, _, err := db.CreateRequest(t.Context(), data.Intake{Request: groupRequest("PHF", t0)})
	if err != nil {
		t.Fatal(err)
	}
	return db, t0, primary
}

// runGroup hands jobs to the committer as one group, as run would, and
// returns each job's answer (nil for a job handed back) and the jobs
// handed back.
func runGroup(db *DB, ins []data.Intake) ([]*intakeResult, []*intakeJob) {
	jobs := make([]*intakeJob, len(ins))
	for i, in := range ins {
		r := in.Request
		jobs[i] = &intakeJob{ctx: context.Background(), in: in, prefix: data.NumberPrefix(r.Kind, r.RequestedAt.UTC().Year()),
			done: make(chan intakeResult, 1)}
	}
	again := db.intake.commit(slices.Clone(jobs))
	out := make([]*intakeResult, len(jobs))
	for i, j := range jobs {
		select {
		case res := <-j.done:
			out[i] = &res
		default:
		}
	}
	return out, again
}

// TestIntakeGroupBatched: a group of intakes with disjoint lock keys is
// stored in the batched round trips: numbers in group order without gaps,
// a duplicate linked to a primary stored before, the primary's count and
// notes, an idempotency key, a replay of it in the next group.
func TestIntakeGroupBatched(t *testing.T) {
	db, t0, primary := openWithPrimary(t)
	ctx := t.Context()
	link := func(cands []*data.Request) (*data.DuplicateLink, error) {
		for _, c := range cands {
			if c.Number == primary.Number {
				return &data.DuplicateLink{Primary: c.Number, Reason: "same place"}, nil
			}
		}
		return nil, errors.New("primary not among the candidates")
	}
	ins := []data.Intake{
		{Request: groupRequest("PHF", t0.Add(time.Minute)), LockKeys: []int64{1, 2}, Decide: link,
			Candidates: data.RequestFilter{ServiceCodes: []string{"PHF"}}},
		{Request: groupRequest("SLA", t0.Add(2*time.Minute)), LockKeys: []int64{3}, IdempotencyKey: "k-1"},
		{Request: groupRequest("SLA", t0.Add(3*time.Minute)), LockKeys: []int64{4},
			Decide: func([]*data.Request) (*data.DuplicateLink, error) { return nil, nil }},
	}
	fallbacks := db.intake.fallbacks.Load()
	res, again := runGroup(db, ins)
	if len(again) != 0 {
		t.Fatalf("%d intakes handed back, want none", len(again))
	}
	if db.intake.fallbacks.Load() != fallbacks {
		t.Errorf("the group fell back to one intake at a time")
	}
	for i, want := range []string{"SR26-00000002", "SR26-00000003", "SR26-00000004"} {
		if res[i] == nil || res[i].err != nil || !res[i].created || res[i].r.Number != want {
			t.Fatalf("intake %d: %+v, want created %s", i, res[i], want)
		}
	}
	// One INSERT stores the group's rows: each under its own number.
	for i, in := range ins {
		got, err := db.Request(ctx, res[i].r.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.ServiceCode != in.Request.ServiceCode || !got.RequestedAt.Equal(in.Request.RequestedAt) {
			t.Errorf("%s holds %s at %s, want intake %d's %s at %s", got.Number, got.ServiceCode, got.RequestedAt, i, in.Request.ServiceCode, in.Request.RequestedAt)
		}
	}
	dup, err := db.Request(ctx, "SR26-00000002")
	if err != nil {
		t.Fatal(err)
	}
	if !dup.Duplicate || dup.ParentNumber != primary.Number {
		t.Errorf("duplicate: Duplicate %v parent %q, want true %q", dup.Duplicate, dup.ParentNumber, primary.Number)
	}
	p, err := db.Request(ctx, primary.Number)
	if err != nil {
		t.Fatal(err)
	}
	if p.DuplicateCount != 1 {
		t.Errorf("primary DuplicateCount = %d, want 1", p.DuplicateCount)
	}
	events := func(number string) []data.Event {
		notes, err := db.Notes(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		var ev []data.Event
		for _, n := range notes {
			ev = append(ev, n.Event)
		}
		return ev
	}
	if got, want := events(dup.Number), []data.Event{data.EventCreated, data.EventDuplicate}; !slices.Equal(got, want) {
		t.Errorf("duplicate's notes %v, want %v", got, want)
	}
	if got, want := events(primary.Number), []data.Event{data.EventCreated, data.EventDuplicateOf}; !slices.Equal(got, want) {
		t.Errorf("primary's notes %v, want %v", got, want)
	}
	// The key's replay, in a later group with a new intake, answers the
	// first request and takes no number.
	res, _ = runGroup(db, []data.Intake{
		{Request: groupRequest("SLA", t0.Add(5*time.Minute)), IdempotencyKey: "k-1"},
		{Request: groupRequest("SLA", t0.Add(6*time.Minute))},
	})
	if res[0] == nil || res[0].err != nil || res[0].created || res[0].r.Number != "SR26-00000003" {
		t.Errorf("replay: %+v, want SR26-00000003 not created", res[0])
	}
	if res[1] == nil || res[1].err != nil || res[1].r.Number != "SR26-00000005" {
		t.Errorf("intake after the replay: %+v, want SR26-00000005", res[1])
	}
}

// TestIntakeGroupRefusals: an intake the database refuses (a NUL byte in
// its text) makes the group fall back to one intake at a time, where it
// fails alone; a Decide error fails its intake alone; intakes whose lock
// keys meet an earlier intake's are handed back for the next group. No
// number is lost.
func TestIntakeGroupRefusals(t *testing.T) {
	db := openDB(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	bad := groupRequest("PHF", t0)
	bad.Description = "pothole\x00here"
	refuse := errors.New("refused by Decide")
	ins := []data.Intake{
		{Request: groupRequest("PHF", t0), LockKeys: []int64{1}},
		{Request: bad, LockKeys: []int64{2}, IdempotencyKey: "k-bad"},
		{Request: groupRequest("PHF", t0), LockKeys: []int64{3},
			Decide: func([]*data.Request) (*data.DuplicateLink, error) { return nil, refuse }},
		{Request: groupRequest("PHF", t0), LockKeys: []int64{2, 5}}, // meets the bad one's key 2
		{Request: groupRequest("PHF", t0), LockKeys: []int64{6}},
	}
	fallbacks := db.intake.fallbacks.Load()
	res, again := runGroup(db, ins)
	if len(again) != 1 || again[0].in.Request != ins[3].Request {
		t.Fatalf("handed back %d intakes, want the one meeting key 2", len(again))
	}
	if db.intake.fallbacks.Load() != fallbacks+1 {
		t.Errorf("fallbacks %d, want %d", db.intake.fallbacks.Load(), fallbacks+1)
	}
	if res[0] == nil || res[0].err != nil || res[0].r.Number != "SR26-00000001" {
		t.Errorf("intake 0: %+v, want SR26-00000001", res[0])
	}
	if res[1] == nil || !errors.Is(res[1].err, data.ErrInvalid) {
		t.Errorf("intake with NUL: %+v, want ErrInvalid", res[1])
	}
	if res[2] == nil || !errors.Is(res[2].err, refuse) {
		t.Errorf("intake refused by Decide: %+v, want its error", res[2])
	}
	if res[3] != nil {
		t.Errorf("handed-back intake was answered: %+v", res[3])
	}
	if res[4] == nil || res[4].err != nil || res[4].r.Number != "SR26-00000002" {
		t.Errorf("intake 4: %+v, want SR26-00000002", res[4])
	}
	// The handed-back intake runs next and continues the sequence; the
	// failed intake's idempotency key is free again.
	res, _ = runGroup(db, []data.Intake{ins[3], {Request: groupRequest("PHF", t0), IdempotencyKey: "k-bad"}})
	for i, want := range []string{"SR26-00000003", "SR26-00000004"} {
		if res[i] == nil || res[i].err != nil || !res[i].created || res[i].r.Number != want {
			t.Errorf("next group, intake %d: %+v, want created %s", i, res[i], want)
		}
	}
}

// TestIntakeCandidatesPlanYoungTable: on a table that grew since its last
// statistics (here: never analyzed), an intake's candidates (cells, since
// the window's start, open) are read from requests_h3_window alone, not
// by ANDing a bitmap of every request of the window.
func TestIntakeCandidatesPlanYoungTable(t *testing.T) {
	db := openDB(t)
	seedRequests(t, db, 3_000, 0)
	var cells []uint64
	if err := db.pool.QueryRow(t.Context(), `SELECT array_agg(DISTINCT h3) FROM (SELECT h3 FROM requests LIMIT 7) s`).Scan(&cells); err != nil {
		t.Fatal(err)
	}
	var oldest time.Time
	if err := db.pool.QueryRow(t.Context(), `SELECT min(requested_at) FROM requests`).Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	f := data.RequestFilter{Cells: cells, From: oldest, Status: "open"} // every row is in the window
	// As the intake transaction plans it (enable_seqscan off), whether or
	// not autovacuum has analyzed the table meanwhile.
	plan := explain(t, db, f, true)
	if !strings.Contains(plan, `"requests_h3_window"`) || strings.Contains(plan, `"requests_requested"`) {
		t.Errorf("candidates plan:\n%s", plan)
	}
}

// TestIntakeCandidatesPlanStaleStatistics: on a table whose statistics
// were taken when it was small (a service's first hours: every newer
// request lies past the histogram, and the planner expects one row in the
// dedupe window), an intake's candidates are read from requests_h3_window,
// never by walking requests_requested over the whole window and filtering
// the cells. Both the plan for the given cells and window (custom) and the
// one a prepared statement may switch to after five runs (generic) are
// checked, with and without a status filter (types whose rule keeps closed
// requests have none).
func TestIntakeCandidatesPlanStaleStatistics(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	seedRequests(t, db, 200, 0)
	if _, err := db.pool.Exec(ctx, "ANALYZE requests"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	recent := synthRequests(3_000, 200)
	for i, r := range recent {
		r.RequestedAt = now.Add(-time.Duration(i) * time.Second)
		r.UpdatedAt, r.ClosedAt = r.RequestedAt, time.Time{}
		r.Number = data.FormatNumber(r.Kind, r.RequestedAt.Year(), int64(201+i))
	}
	if _, _, err := db.ImportRequests(ctx, recent); err != nil {
		t.Fatal(err)
	}
	cells := []uint64{recent[0].H3, recent[1].H3, recent[2].H3}
	from := now.Add(-30 * data.Day)
	for _, f := range []data.RequestFilter{{Cells: cells, From: from}, {Cells: cells, From: from, Status: "open"}} {
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			name := "cands_" + mode
			q := filterQuery(&f)
			sql := selectRequest + q.where() + q.orderLimit(&f)
			tx, err := db.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			params := make([]string, len(q.args))
			for i := range params {
				params[i] = fmt.Sprintf("$%d", i+1)
			}
			var plan []byte
			for _, s := range append(intakePlanSettings, "SET LOCAL plan_cache_mode = "+mode, "PREPARE "+name+" AS "+sql) {
				if _, err = tx.Exec(ctx, s); err != nil {
					break
				}
			}
			if err == nil {
				// The simple protocol writes the arguments into the text:
				// EXECUTE takes no bind parameters.
				args := append([]any{pgx.QueryExecModeSimpleProtocol}, q.args...)
				err = tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE "+name+"("+strings.Join(params, ", ")+")", args...).Scan(&plan)
			}
			tx.Exec(ctx, "DEALLOCATE "+name)
			tx.Rollback(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p := string(plan); !strings.Contains(p, `"requests_h3_window"`) || strings.Contains(p, `"requests_requested"`) {
				t.Errorf("status %q, %s: candidates plan:\n%s", f.Status, mode, p)
			}
		}
	}
}

// TestIntakeGroupTwoPrefixes: one batched group holding service requests
// and community concerns (two number prefixes, one counter row each), a
// duplicate, and idempotency keys: each prefix's numbers continue its own
// sequence in group order, the duplicate and its primary get their notes
// and count, and the keys answer replays with the right requests.
func TestIntakeGroupTwoPrefixes(t *testing.T) {
	db, t0, primary := openWithPrimary(t)
	ctx := t.Context()
	concern := func(at time.Time) *data.Request {
		r := groupRequest("CC", at)
		r.Kind, r.PoliceRelated = data.KindCommunityConcern, true
		return r
	}
	link := func([]*data.Request) (*data.DuplicateLink, error) {
		return &data.DuplicateLink{Primary: primary.Number, Reason: "same place"}, nil
	}
	ins := []data.Intake{
		{Request: concern(t0.Add(time.Minute)), LockKeys: []int64{1}, IdempotencyKey: "cc-1"},
		{Request: groupRequest("SLA", t0.Add(2*time.Minute)), LockKeys: []int64{2}, IdempotencyKey: "sr-1"},
		{Request: concern(t0.Add(3 * time.Minute)), LockKeys: []int64{3}},
		{Request: groupRequest("PHF", t0.Add(4*time.Minute)), LockKeys: []int64{4}, Decide: link},
	}
	fallbacks := db.intake.fallbacks.Load()
	res, again := runGroup(db, ins)
	if len(again) != 0 || db.intake.fallbacks.Load() != fallbacks {
		t.Fatalf("handed back %d, fallbacks %d: want the group batched", len(again), db.intake.fallbacks.Load()-fallbacks)
	}
	want := []string{"CC26-00000001", "SR26-00000002", "CC26-00000002", "SR26-00000003"}
	for i, r := range res {
		if r == nil || r.err != nil || !r.created {
			t.Fatalf("intake %d: %+v", i, r)
		}
		if r.r.Number != want[i] {
			t.Errorf("intake %d: number %s, want %s", i, r.r.Number, want[i])
		}
		stored, err := db.Request(ctx, want[i])
		if err != nil || stored.Description != ins[i].Request.Description || stored.Kind != ins[i].Request.Kind {
			t.Errorf("stored %s: %+v, %v", want[i], stored, err)
		}
	}
	dup, err := db.Request(ctx, "SR26-00000003")
	if err != nil || !dup.Duplicate || dup.ParentNumber != primary.Number {
		t.Fatalf("duplicate: %+v, %v", dup, err)
	}
	p, err := db.Request(ctx, primary.Number)
	if err != nil || p.DuplicateCount != 1 {
		t.Fatalf("primary: %+v, %v", p, err)
	}
	notes, err := db.Notes(ctx, primary.Number)
	if err != nil {
		t.Fatal(err)
	}
	if n := notes[len(notes)-1]; n.Event != data.EventDuplicateOf || n.Text != "SR26-00000003 joined as a duplicate" || n.Reason != "same place" {
		t.Errorf("primary's last note: %+v", n)
	}
	for key, number := range map[string]string{"cc-1": "CC26-00000001", "sr-1": "SR26-00000002"} {
		in := data.Intake{Request: groupRequest("SLA", t0.Add(time.Hour)), IdempotencyKey: key}
		if key == "cc-1" {
			in.Request = concern(t0.Add(time.Hour))
		}
		got, created, err := db.CreateRequest(ctx, in)
		if err != nil || created || got.Number != number {
			t.Errorf("replay of %s: %v, created %v, %v; want %s", key, got, created, err, number)
		}
	}
}

// groupCandidateFilters are three intakes' candidate filters over the
// requests of seedRequests: the cells of a few stored requests and their
// neighbours, windows from the year's start and from its middle, with and
// without a status; the third shares cells with the first.
func groupCandidateFilters(t *testing.T, db *DB) []data.RequestFilter {
	t.Helper()
	var h3s []int64
	if err := db.pool.QueryRow(t.Context(), `SELECT array_agg(h3 ORDER BY number) FROM (SELECT h3, number FROM requests ORDER BY number LIMIT 6) s`).Scan(&h3s); err != nil {
		t.Fatal(err)
	}
	disk := func(cs ...int64) []uint64 {
		var out []uint64
		for _, c := range cs {
			for _, x := range h3.GridDisk(h3.Cell(c), 1) {
				out = append(out, uint64(x))
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return []data.RequestFilter{
		{Cells: disk(h3s[0], h3s[1]), From: t0},
		{Cells: disk(h3s[2], h3s[3], h3s[4]), From: t0.Add(180 * data.Day), Status: "open"},
		{Cells: disk(h3s[0], h3s[5]), From: t0.Add(90 * data.Day), Status: "closed"},
	}
}

// TestGroupCandidates: the one statement that reads the candidates of a
// whole group returns, for each intake, exactly the rows and values its
// own filterQuery returns through scanCandidate, in the same order.
func TestGroupCandidates(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	rs := synthRequests(3_000, 0)
	// Dense cells (many candidates per intake) and values scanCandidate
	// must carry through: counts, multibyte text, an open row with no
	// closed time next to closed ones.
	for i, r := range rs {
		if i%3 == 0 {
			r.Lon, r.Lat = -87.63+float64(i%7)*0.0004, 41.88+float64(i%5)*0.0004
			r.H3 = uint64(h3.LatLngToCell(h3.LatLng{Lat: r.Lat, Lng: r.Lon}, data.H3Resolution))
		}
		if i%11 == 0 {
			r.DuplicateCount, r.MeToo = i%4, i%3
			r.Description = "Rats near the garage – ça grouille 🐀"
			r.Address = "1200 N Ñandú Ave"
		}
	}
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	filters := groupCandidateFilters(t, db)
	var gc groupCandidates
	for i := range filters {
		if !gc.add(i, &filters[i]) {
			t.Fatalf("filter %d: not of dedupe's shape", i)
		}
	}
	if other := (data.RequestFilter{Cells: filters[0].Cells, From: filters[0].From, ServiceCodes: []string{"PHF"}}); gc.add(9, &other) {
		t.Error("a filter with service codes was taken as dedupe's shape")
	}
	if other := (data.RequestFilter{Cells: filters[0].Cells}); gc.add(9, &other) {
		t.Error("a filter without a window was taken as dedupe's shape")
	}
	got := make([][]*data.Request, len(filters))
	rows, err := db.pool.Query(ctx, selectGroupCandidates, gc.idx, gc.cells, gc.since, gc.status)
	if err != nil {
		t.Fatal(err)
	}
	err = gc.read(rows, got, new(candidateSlab))
	rows.Close()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, f := range filters {
		q := filterQuery(&f)
		rows, err := db.pool.Query(ctx, selectCandidate+q.where()+q.orderLimit(&f), q.args...)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*data.Request, error) { return scanCandidate(row) })
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 5 {
			t.Fatalf("filter %d: only %d candidates: the test needs more", i, len(want))
		}
		total += len(want)
		if len(got[i]) != len(want) {
			t.Errorf("filter %d: %d candidates, want %d", i, len(got[i]), len(want))
			continue
		}
		for k := range want {
			if !reflect.DeepEqual(got[i][k], want[k]) {
				t.Errorf("filter %d, candidate %d:\n got %+v\nwant %+v", i, k, *got[i][k], *want[k])
			}
		}
	}
	t.Logf("%d candidates compared", total)
}

// TestGroupCandidatesPlan: as the intake transaction plans it (generic
// plan, sequential scans off), the group's candidates statement probes
// requests_h3_window once per intake and cell, whether the table's
// statistics are missing or taken.
func TestGroupCandidatesPlan(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	seedRequests(t, db, 3_000, 0)
	filters := groupCandidateFilters(t, db)
	var gc groupCandidates
	for i := range filters {
		gc.add(i, &filters[i])
	}
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if _, err := db.pool.Exec(ctx, "ANALYZE requests"); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := db.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var plan []byte
		for _, s := range append(intakePlanSettings, "PREPARE group_cands AS "+selectGroupCandidates) {
			if _, err = tx.Exec(ctx, s); err != nil {
				break
			}
		}
		if err == nil {
			err = tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE group_cands($1, $2, $3, $4)",
				pgx.QueryExecModeSimpleProtocol, gc.idx, gc.cells, gc.since, gc.status).Scan(&plan)
		}
		tx.Exec(ctx, "DEALLOCATE group_cands")
		tx.Rollback(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := string(plan)
		if !strings.Contains(p, `"Nested Loop"`) || !strings.Contains(p, `"requests_h3_window"`) ||
			strings.Contains(p, `"requests_requested"`) || strings.Contains(p, `"Seq Scan"`) {
			t.Errorf("analyzed %v: group candidates plan:\n%s", analyzed, p)
		}
	}
}
