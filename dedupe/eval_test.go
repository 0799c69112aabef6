package dedupe

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/geo311/geo311/data"
)

func TestEvaluate(t *testing.T) {
	for _, tc := range []struct {
		name        string
		pred, truth Clustering
		pair, dup   PRF
		unknown     int
	}{
		{
			name:  "hand computed",
			truth: Clustering{"a": "a", "b": "a", "c": "a", "d": "d", "e": "e"},
			pred:  Clustering{"a": "a", "b": "a", "c": "c", "d": "a", "e": "e"},
			// true pairs ab ac bc; predicted ab ad bd; common ab
			pair: PRF{Precision: 1.0 / 3, Recall: 1.0 / 3, F1: 1.0 / 3, TP: 1, Pred: 3, Truth: 3},
			// true duplicates b c; predicted b d
			dup: PRF{Precision: 0.5, Recall: 0.5, F1: 0.5, TP: 1, Pred: 2, Truth: 2},
		},
		{
			name:  "perfect",
			truth: Clustering{"a": "a", "b": "a", "c": "c"},
			pred:  Clustering{"a": "a", "b": "a", "c": "c"},
			pair:  PRF{1, 1, 1, 1, 1, 1},
			dup:   PRF{1, 1, 1, 1, 1, 1},
		},
		{
			name:  "missing predictions are primaries; cluster names do not matter",
			truth: Clustering{"a": "a", "b": "a", "c": "a", "d": "d"},
			pred:  Clustering{"b": "x", "c": "x", "x": "x"},
			pair:  PRF{Precision: 1, Recall: 1.0 / 3, F1: 0.5, TP: 1, Pred: 1, Truth: 3},
			dup:   PRF{Precision: 1, Recall: 1, F1: 1, TP: 2, Pred: 2, Truth: 2},
		},
		{
			name:    "legacy duplicates with unknown primary",
			truth:   Clustering{"a": "a", "b": "", "c": "", "d": "d"},
			pred:    Clustering{"a": "a", "b": "a", "c": "c", "d": "a"},
			pair:    PRF{Precision: 0, Recall: 0, F1: 0, TP: 0, Pred: 1, Truth: 0},
			dup:     PRF{Precision: 0.5, Recall: 0.5, F1: 0.5, TP: 1, Pred: 2, Truth: 2},
			unknown: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Evaluate(tc.pred, tc.truth)
			if !near3(m.Pairwise, tc.pair) || !near3(m.Duplicate, tc.dup) || m.UnknownPrimary != tc.unknown || m.Requests != len(tc.truth) {
				t.Fatalf("got %+v\nwant pairwise %+v dup %+v unknown %d", m, tc.pair, tc.dup, tc.unknown)
			}
		})
	}
}

func near3(a, b PRF) bool {
	return a.TP == b.TP && a.Pred == b.Pred && a.Truth == b.Truth &&
		abs(a.Precision-b.Precision) < 1e-9 && abs(a.Recall-b.Recall) < 1e-9 && abs(a.F1-b.F1) < 1e-9
}

// TestEvaluateMatchesBruteForce checks the contingency-table counts against
// counting every pair.
func TestEvaluateMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := 0; round < 20; round++ {
		n := 50 + rng.IntN(250)
		ids := make([]string, n)
		pred, truth := Clustering{}, Clustering{}
		for i := range ids {
			ids[i] = fmt.Sprint(i)
		}
		for i, id := range ids {
			pred[id] = ids[rng.IntN(i+1)/4*4]
			truth[id] = ids[rng.IntN(i+1)/3*3]
		}
		m := Evaluate(pred, truth)
		var tp, pp, tt int64
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				sp := pred[ids[i]] == pred[ids[j]]
				st := truth[ids[i]] == truth[ids[j]]
				if sp {
					pp++
				}
				if st {
					tt++
				}
				if sp && st {
					tp++
				}
			}
		}
		if m.Pairwise.TP != tp || m.Pairwise.Pred != pp || m.Pairwise.Truth != tt {
			t.Fatalf("round %d: %+v, brute force tp %d pred %d truth %d", round, m.Pairwise, tp, pp, tt)
		}
	}
}

func TestLabels(t *testing.T) {
	rs := []*data.Request{
		{Number: "1"},
		{Number: "2", Duplicate: true, ParentNumber: "1"},
		{Number: "3", Duplicate: true, ParentNumber: "2"},  // chain to 1
		{Number: "4", Duplicate: true},                     // legacy "Dup": unknown
		{Number: "5", Duplicate: true, ParentNumber: "99"}, // parent outside the data
		{Number: "6", Duplicate: true, ParentNumber: "7"},  // a cycle stops
		{Number: "7", Duplicate: true, ParentNumber: "6"},
		{Number: "8", ParentNumber: "1"}, // not a duplicate: follow-on work
		{Number: ""},
	}
	want := Clustering{"1": "1", "2": "1", "3": "1", "4": "", "5": "99", "6": "7", "7": "6", "8": "8"}
	got := Labels(rs)
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

func ExampleEvaluate() {
	truth := Clustering{"SR1": "SR1", "SR2": "SR1", "SR3": "SR1", "SR4": "SR4"}
	pred := Clustering{"SR1": "SR1", "SR2": "SR1", "SR3": "SR3", "SR4": "SR1"}
	m := Evaluate(pred, truth)
	fmt.Println("pairwise:   ", m.Pairwise)
	fmt.Println("per request:", m.Duplicate)
	// Output:
	// pairwise:    P 0.333 R 0.333 F1 0.333 (tp 1, predicted 3, true 3)
	// per request: P 0.500 R 0.500 F1 0.500 (tp 1, predicted 2, true 2)
}
