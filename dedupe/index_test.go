package dedupe

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func TestIndexAddRemoveCandidates(t *testing.T) {
	ix := NewIndex(testJurisdiction())
	rule := data.DedupeRule{RadiusM: 150, Group: "lights", WindowDays: 30}
	a := req("A", "SFD", 0, time.Hour, "", "")
	b := req("B", "SFA", 100, time.Hour, "", "")  // same group
	c := req("C", "PHF", 10, time.Hour, "", "")   // other group
	d := req("D", "SFD", 2000, time.Hour, "", "") // far
	for _, r := range []*data.Request{a, b, c, d} {
		if err := ix.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Add(a); err != nil || ix.Len() != 4 { // re-adding replaces
		t.Fatalf("len %d err %v", ix.Len(), err)
	}
	numbers := func() []string {
		cs, err := ix.Candidates(req("N", "SFD", 0, 0, "", ""), rule, t0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Number)
		}
		slices.Sort(out)
		return out
	}
	if got := numbers(); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("candidates %v, want [A B]", got)
	}
	if !ix.Remove("A") || ix.Remove("A") || ix.Len() != 3 {
		t.Fatal("remove")
	}
	if got := numbers(); !slices.Equal(got, []string{"B"}) {
		t.Fatalf("candidates %v, want [B]", got)
	}
	// unknown codes are their own group
	if err := ix.Add(req("X", "NEW", 0, time.Hour, "", "")); err != nil {
		t.Fatal(err)
	}
	cs, _ := ix.Candidates(req("Y", "NEW", 0, 0, "", ""), data.DedupeRule{RadiusM: 10}, t0)
	if len(cs) != 1 || cs[0].Number != "X" {
		t.Fatalf("unknown code candidates %v", cs)
	}
	cs, _ = ix.Candidates(req("Y", "OTHER", 0, 0, "", ""), data.DedupeRule{RadiusM: 10}, t0)
	if len(cs) != 0 {
		t.Fatalf("never-seen code got candidates %v", cs)
	}
	// errors
	if err := ix.Add(&data.Request{}); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("no number: %v", err)
	}
	if err := ix.Add(&data.Request{Number: "Z", Lat: 100}); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("bad lat: %v", err)
	}
	if _, err := ix.Decide(&data.Request{Number: "Z", ServiceCode: "SFD", Lat: 100}, rule, t0); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("decide bad lat: %v", err)
	}
}

// TestIndexConcurrent: concurrent intakes of near-identical requests, each
// holding its lock keys (an in-process mutex per key, taken in order, as the
// SQLite store does) while it decides and stores, produce exactly one primary.
func TestIndexConcurrent(t *testing.T) {
	ix := NewIndex(testJurisdiction())
	rule := testJurisdiction().Services[1].Dedupe // GRAF
	var locks sync.Map
	lock := func(keys []int64) func() {
		var held []*sync.Mutex
		for _, k := range keys {
			m, _ := locks.LoadOrStore(k, &sync.Mutex{})
			mu := m.(*sync.Mutex)
			mu.Lock()
			held = append(held, mu)
		}
		return func() {
			for i := len(held) - 1; i >= 0; i-- {
				held[i].Unlock()
			}
		}
	}
	const n = 64
	var wg sync.WaitGroup
	decisions := make([]Decision, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req("SR-"+string(rune('A'+i/26))+string(rune('a'+i%26)), "GRAF", float64(i%7)*3, 0, "1234 W FULLERTON AVE", "")
			keys, err := LockKeys(r.Lat, r.Lon, rule.RadiusM)
			if err != nil {
				t.Error(err)
				return
			}
			unlock := lock(keys)
			defer unlock()
			d, err := ix.Decide(r, rule, t0)
			if err != nil {
				t.Error(err)
				return
			}
			r.Duplicate, r.ParentNumber = d.Duplicate, d.Primary
			if !d.Duplicate {
				r.ParentNumber = ""
			}
			decisions[i] = d
			if err := ix.Add(r); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	primaries := map[string]bool{}
	roots := 0
	for _, d := range decisions {
		if d.Duplicate {
			primaries[d.Primary] = true
		} else {
			roots++
		}
	}
	if roots != 1 || len(primaries) != 1 {
		t.Fatalf("%d primaries created, duplicates joined %v", roots, primaries)
	}
}

func TestRank(t *testing.T) {
	rule := data.DedupeRule{RadiusM: 200, WindowDays: 30}
	popular := req("P", "GRAF", 60, 5*dayD, "", "")
	popular.DuplicateCount, popular.MeToo = 6, 3
	cands := []*data.Request{
		req("A", "GRAF", 50, 5*dayD, "", ""),
		popular,
		req("B", "GRAF", 10, 20*dayD, "", ""),
		req("C", "GRAF", 10, time.Hour, "", ""),
		dupOf(req("D", "GRAF", 1, time.Hour, "", ""), "C"), // represented by C
		closedAt(req("E", "GRAF", 1, time.Hour, "", ""), time.Minute),
		req("F", "PHF", 1, time.Hour, "", ""),    // other type
		req("G", "GRAF", 250, time.Hour, "", ""), // too far
		req("H", "GRAF", 1, 31*dayD, "", ""),     // too old
		{Number: "I", ServiceCode: "GRAF", State: data.StateClosed, Lat: baseLat, Lon: baseLon, RequestedAt: t0},
	}
	got := Rank(baseLat, baseLon, "GRAF", rule, cands, t0)
	var order []string
	for _, r := range got {
		order = append(order, r.Request.Number)
	}
	if want := []string{"C", "P", "A", "B"}; !slices.Equal(order, want) {
		for _, r := range got {
			t.Logf("%s %.3f %.0f m %v %d", r.Request.Number, r.Score, r.DistanceM, r.Age, r.Supporters)
		}
		t.Fatalf("order %v, want %v", order, want)
	}
	if got[1].Supporters != 10 || got[0].Age != time.Hour {
		t.Errorf("ranked %+v", got[:2])
	}
	if Rank(100, 0, "GRAF", rule, cands, t0) != nil || Rank(baseLat, baseLon, "GRAF", data.DedupeRule{}, cands, t0) != nil {
		t.Error("invalid input should rank nothing")
	}
}
