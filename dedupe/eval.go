package dedupe

import (
	"fmt"

	"github.com/geo311/geo311/data"
)

// Clustering maps request numbers to the root (primary) of their cluster. A
// primary maps to itself. A duplicate whose primary is unknown (Chicago's
// legacy "Dup" statuses carry no parent) maps to "".
type Clustering map[string]string

// FromAssignments turns Recluster or Baseline output into a Clustering.
func FromAssignments(as []Assignment) Clustering {
	c := make(Clustering, len(as))
	for _, a := range as {
		if a.Primary == "" {
			c[a.Number] = a.Number
		} else {
			c[a.Number] = a.Primary
		}
	}
	return c
}

// Labels reads the duplicate labels a city recorded on its requests:
// Duplicate with ParentNumber (Chicago's current schema, `duplicate` and
// `parent_sr_number`) puts a request in its parent's cluster, following
// parents that are themselves duplicates up to the root (a parent missing
// from rs is a root); Duplicate without a parent (the legacy "Open - Dup" and
// "Completed - Dup" statuses) maps to "" (unknown primary); anything else is
// a primary. Requests without a number are skipped.
func Labels(rs []*data.Request) Clustering {
	parent := make(map[string]*data.Request, len(rs))
	for _, r := range rs {
		if r.Number != "" {
			parent[r.Number] = r
		}
	}
	c := make(Clustering, len(rs))
	for _, r := range rs {
		if r.Number == "" {
			continue
		}
		if !r.Duplicate {
			c[r.Number] = r.Number
			continue
		}
		root := r.ParentNumber
		seen := 0
		for root != "" && seen < len(rs) {
			p, ok := parent[root]
			if !ok || !p.Duplicate || p.ParentNumber == "" || p.ParentNumber == root || p.ParentNumber == r.Number {
				break
			}
			root = p.ParentNumber
			seen++
		}
		c[r.Number] = root
	}
	return c
}

// PRF is a precision/recall/F1 triple with the counts behind it.
type PRF struct {
	Precision, Recall, F1 float64
	// TP: true positives; Pred: predicted positives; Truth: true positives
	// possible (pairs for the pairwise figures, requests for the per-request
	// ones).
	TP, Pred, Truth int64
}

func newPRF(tp, pred, truth int64) PRF {
	m := PRF{TP: tp, Pred: pred, Truth: truth}
	if pred > 0 {
		m.Precision = float64(tp) / float64(pred)
	}
	if truth > 0 {
		m.Recall = float64(tp) / float64(truth)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	return m
}

func (m PRF) String() string {
	return fmt.Sprintf("P %.3f R %.3f F1 %.3f (tp %d, predicted %d, true %d)", m.Precision, m.Recall, m.F1, m.TP, m.Pred, m.Truth)
}

// Metrics compares a predicted clustering with the truth.
type Metrics struct {
	// Requests evaluated: the keys of the truth clustering. A request
	// missing from the prediction counts as a predicted primary.
	Requests int
	// Pairwise: over pairs of requests, "same cluster" as the positive
	// class. Requests whose true primary is unknown are left out of it on
	// both sides (UnknownPrimary counts them), since their true pairs are
	// unknown.
	Pairwise PRF
	// Duplicate: per request, "is a duplicate" (not the root of its
	// cluster) as the positive class. Every request takes part, including
	// those with an unknown primary: this is the only figure legacy labels
	// support.
	Duplicate      PRF
	UnknownPrimary int
}

// Evaluate computes pairwise and per-request precision, recall and F1 of
// pred against truth. Pairs are counted from the contingency table of
// (predicted cluster, true cluster): true positive pairs are Σ C(n_ij, 2),
// predicted pairs Σ_i C(a_i, 2), true pairs Σ_j C(b_j, 2), in O(n) time.
func Evaluate(pred, truth Clustering) Metrics {
	type cell struct{ p, t string }
	cont := map[cell]int64{}
	predSize := map[string]int64{}
	truthSize := map[string]int64{}
	var m Metrics
	var dupTP, dupPred, dupTruth int64
	for num, troot := range truth {
		m.Requests++
		proot, ok := pred[num]
		if !ok || proot == "" {
			proot = num
		}
		pDup := proot != num
		tDup := troot != num
		if pDup {
			dupPred++
		}
		if tDup {
			dupTruth++
		}
		if pDup && tDup {
			dupTP++
		}
		if troot == "" {
			m.UnknownPrimary++
			continue
		}
		cont[cell{proot, troot}]++
		predSize[proot]++
		truthSize[troot]++
	}
	pairs := func(n int64) int64 { return n * (n - 1) / 2 }
	var tp, pp, tt int64
	for _, n := range cont {
		tp += pairs(n)
	}
	for _, n := range predSize {
		pp += pairs(n)
	}
	for _, n := range truthSize {
		tt += pairs(n)
	}
	m.Pairwise = newPRF(tp, pp, tt)
	m.Duplicate = newPRF(dupTP, dupPred, dupTruth)
	return m
}
