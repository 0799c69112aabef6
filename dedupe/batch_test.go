package dedupe

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func testJurisdiction() *data.Jurisdiction {
	return &data.Jurisdiction{Services: []data.ServiceType{
		{Code: "PHF", Dedupe: data.DedupeRule{RadiusM: 40, WindowDays: 30, SameStreet: true}},
		{Code: "GRAF", Dedupe: data.DedupeRule{RadiusM: 100, WindowDays: 14, IncludeClosedDays: 2}},
		{Code: "SFD", Dedupe: data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}},
		{Code: "SFA", Dedupe: data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}},
		{Code: "AAF"},
	}}
}

func TestRecluster(t *testing.T) {
	at := func(r *data.Request, d time.Duration) *data.Request { r.RequestedAt = t0.Add(d); return r }
	rs := []*data.Request{
		at(req("A", "PHF", 0, 0, "1234 W FULLERTON AVE", ""), 0),
		at(req("B", "PHF", 3, 0, "1234 W FULLERTON AVE", ""), time.Hour),
		at(req("C", "PHF", 30, 0, "1240 W FULLERTON AVE", ""), 2*time.Hour), // near B, 30 m from A: joins A through B
		at(req("D", "PHF", 20, 0, "2400 N CLARK ST", ""), 3*time.Hour),      // other street: primary
		at(req("E", "AAF", 0, 0, "1234 W FULLERTON AVE", ""), 4*time.Hour),  // dedupe off
		at(req("F", "ZZZ", 0, 0, "1234 W FULLERTON AVE", ""), 5*time.Hour),  // not in the catalogue
		at(closedAt(req("G", "GRAF", 0, 0, "", ""), 0), 6*time.Hour),        // closed at once
		at(req("H", "GRAF", 5, 0, "", ""), 7*time.Hour),                     // within 2 days of G closing
		at(req("I", "SFD", 0, 0, "", ""), 8*time.Hour),
		at(req("J", "SFA", 80, 0, "", ""), 9*time.Hour),                        // same group
		at(req("K", "PHF", 0, 0, "1234 W FULLERTON AVE", ""), 40*24*time.Hour), // window over: new primary
	}
	rs[6].ClosedAt = t0.Add(6*time.Hour + time.Minute)
	// Labels on the input must not leak into the run.
	rs[3].Duplicate, rs[3].ParentNumber = true, "A"
	want := map[string]string{"A": "", "B": "A", "C": "A", "D": "", "E": "", "F": "", "G": "", "H": "G", "I": "", "J": "I", "K": ""}
	got := Recluster(testJurisdiction(), rs)
	if len(got) != len(rs) {
		t.Fatalf("%d assignments for %d requests", len(got), len(rs))
	}
	for i, a := range got {
		if a.Number != rs[i].Number || a.Primary != want[a.Number] {
			t.Errorf("%s: primary %q, want %q (match %q score %.2f)", a.Number, a.Primary, want[a.Number], a.Match, a.Score)
		}
	}
	if got[2].Match != "B" {
		t.Errorf("C matched %q, want B", got[2].Match)
	}
	// Unsorted input: the same decisions, in input order.
	shuffled := slices.Clone(rs)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, a := range Recluster(testJurisdiction(), shuffled) {
		if a.Primary != want[a.Number] {
			t.Errorf("shuffled %s: primary %q, want %q", a.Number, a.Primary, want[a.Number])
		}
	}
	if len(Recluster(nil, nil)) != 0 {
		t.Error("empty input")
	}
}

// sequential is the reference semantics of Recluster: each request, in
// order, decided by Decide against every earlier request of its group,
// whose Duplicate and ParentNumber are this run's own decisions.
func sequential(j *data.Jurisdiction, rs []*data.Request) []Assignment {
	copies := make([]*data.Request, len(rs))
	out := make([]Assignment, len(rs))
	for i, r := range rs {
		c := *r
		c.Duplicate, c.ParentNumber = false, ""
		copies[i] = &c
		out[i].Number = r.Number
		st, ok := j.Service(r.ServiceCode)
		if !ok {
			continue
		}
		var cands []*data.Request
		for _, p := range copies[:i] {
			if SameGroup(j, p.ServiceCode, r.ServiceCode) {
				cands = append(cands, p)
			}
		}
		d := Decide(&c, st.Dedupe, cands, r.RequestedAt)
		out[i].Match, out[i].Score = d.Match, d.Score
		if d.Duplicate {
			c.Duplicate, c.ParentNumber = true, d.Primary
			out[i].Primary = d.Primary
		}
	}
	return out
}

func TestReclusterMatchesSequentialDecide(t *testing.T) {
	rs := synth(2000, 7, t0, 20, 0.25, false, false)
	// squeeze into a small area so that candidates abound
	for _, r := range rs {
		r.Lat = 41.90 + (r.Lat-chicagoBox[0])*0.05
		r.Lon = -87.70 + (r.Lon-chicagoBox[1])*0.05
	}
	j := synthJurisdiction()
	want := sequential(j, rs)
	got := Recluster(j, rs)
	dups := 0
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("request %d: batch %+v, sequential %+v", i, got[i], want[i])
		}
		if got[i].Primary != "" {
			dups++
		}
	}
	if dups < 100 {
		t.Fatalf("only %d duplicates: the comparison says little", dups)
	}
	t.Logf("%d of %d requests are duplicates", dups, len(rs))
}

func TestBaseline(t *testing.T) {
	at := func(r *data.Request, d time.Duration) *data.Request { r.RequestedAt = t0.Add(d); return r }
	rs := []*data.Request{
		at(req("A", "PHF", 0, 0, "", ""), 0),
		at(req("B", "PHF", 200, 0, "", ""), time.Hour),        // within 250 m of A
		at(req("C", "PHF", 240, 0, "", ""), 2*time.Hour),      // nearest is B (40 m): joins A through B
		at(req("D", "GRAF", 0, 0, "", ""), 3*time.Hour),       // other type
		at(req("E", "PHF", 600, 0, "", ""), 400*24*time.Hour), // far from all
		at(closedAt(req("F", "SKA", 0, 0, "", ""), 0), 0),     // closed at once
		at(req("G", "SKA", 10, 0, "", ""), 5*time.Hour),       // F closed: primary
		at(req("H", "PHF", 0, 0, "", ""), 500*24*time.Hour),   // A still open a year later: FixMyStreet has no window
	}
	rs[5].RequestedAt, rs[5].ClosedAt = t0, t0.Add(time.Hour)
	want := map[string]string{"A": "", "B": "A", "C": "A", "D": "", "E": "", "F": "", "G": "", "H": "A"}
	for _, a := range Baseline(rs) {
		if a.Primary != want[a.Number] {
			t.Errorf("%s: primary %q, want %q (match %q)", a.Number, a.Primary, want[a.Number], a.Match)
		}
	}
}

func TestReclusterSynthetic(t *testing.T) {
	rs := synth(10000, 3, t0, 60, 0.15, false, false)
	j := synthJurisdiction()
	ours := Evaluate(FromAssignments(Recluster(j, rs)), Labels(rs))
	base := Evaluate(FromAssignments(Baseline(rs)), Labels(rs))
	t.Logf("synthetic 10k, geo311:   pairwise %v", ours.Pairwise)
	t.Logf("synthetic 10k, baseline: pairwise %v", base.Pairwise)
	t.Logf("synthetic 10k, geo311:   per-request %v", ours.Duplicate)
	t.Logf("synthetic 10k, baseline: per-request %v", base.Duplicate)
	if ours.Pairwise.F1 <= base.Pairwise.F1 || ours.Pairwise.Precision < 0.5 || ours.Pairwise.Recall < 0.3 {
		t.Errorf("geo311 F1 %.3f vs baseline %.3f: the synthetic duplicates should be found", ours.Pairwise.F1, base.Pairwise.F1)
	}
}

func ExampleRecluster() {
	j := &data.Jurisdiction{Services: []data.ServiceType{
		{Code: "PHF", Dedupe: data.DedupeRule{RadiusM: 40, WindowDays: 30, SameStreet: true}},
	}}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
	rs := []*data.Request{
		{Number: "SR26-1", ServiceCode: "PHF", Lat: 41.92535, Lon: -87.65830, Address: "1234 W FULLERTON AVE", RequestedAt: day(1)},
		{Number: "SR26-2", ServiceCode: "PHF", Lat: 41.92536, Lon: -87.65840, Address: "1236 W FULLERTON AVE", RequestedAt: day(2)},
		{Number: "SR26-3", ServiceCode: "PHF", Lat: 41.92537, Lon: -87.65850, Address: "1240 W FULLERTON AVE", RequestedAt: day(3)},
		{Number: "SR26-4", ServiceCode: "PHF", Lat: 41.93000, Lon: -87.65830, Address: "2450 N RACINE AVE", RequestedAt: day(3)},
	}
	for _, a := range Recluster(j, rs) {
		fmt.Printf("%s primary=%q match=%q\n", a.Number, a.Primary, a.Match)
	}
	// Output:
	// SR26-1 primary="" match=""
	// SR26-2 primary="SR26-1" match="SR26-1"
	// SR26-3 primary="SR26-1" match="SR26-2"
	// SR26-4 primary="" match=""
}
