package dedupe

import (
	"fmt"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
)

// Index holds the requests that can still be duplicated (open ones, and
// recently closed ones for types with IncludeClosedDays), keyed by (dedupe
// group, resolution-9 cell), with their addresses and descriptions parsed
// once. It serves in-process intake (the SQLite store keeps one beside its
// file) and batch work. It is safe for concurrent use; the caller still
// serialises the decide-then-store step with LockKeys.
//
// Requests are not removed by themselves: the caller removes a request once
// it can no longer be a candidate (closed for longer than its type's
// IncludeClosedDays, or older than WindowDays). Decide filters either way.
type Index struct {
	mu       sync.RWMutex
	groupOf  map[string]int32 // service code -> group id
	groupIDs map[string]int32 // group name -> id
	buckets  map[bucketKey][]item
	where    map[string]bucketKey // number -> bucket
}

type bucketKey struct {
	group int32
	cell  uint64
}

// NewIndex returns an empty index for jurisdiction j, whose catalogue
// defines the dedupe groups (data.DedupeRule.Group; a type without a group
// is a group of its own). j may be nil: every code is then its own group.
func NewIndex(j *data.Jurisdiction) *Index {
	ix := &Index{
		groupOf:  map[string]int32{},
		groupIDs: map[string]int32{},
		buckets:  map[bucketKey][]item{},
		where:    map[string]bucketKey{},
	}
	if j != nil {
		for _, st := range j.Services {
			ix.groupOf[st.Code] = ix.groupID(groupName(st.Code, st.Dedupe))
		}
	}
	return ix
}

func groupName(code string, rule data.DedupeRule) string {
	if rule.Group != "" {
		return "group:" + rule.Group
	}
	return "code:" + code
}

func (ix *Index) groupID(name string) int32 {
	id, ok := ix.groupIDs[name]
	if !ok {
		id = int32(len(ix.groupIDs))
		ix.groupIDs[name] = id
	}
	return id
}

// group resolves a code's group id; unknown codes get their own group,
// created when create is set (Add), or -1 (lookups).
func (ix *Index) group(code string, create bool) int32 {
	if g, ok := ix.groupOf[code]; ok {
		return g
	}
	if !create {
		if g, ok := ix.groupIDs["code:"+code]; ok {
			return g
		}
		return -1
	}
	g := ix.groupID("code:" + code)
	ix.groupOf[code] = g
	return g
}

// Add indexes r (replacing a request with the same number). r must have a
// Number and valid coordinates; its H3 cell is computed when r.H3 is 0. The
// index keeps the pointer: change a request only through Remove and Add.
func (ix *Index) Add(r *data.Request) error {
	if r == nil || r.Number == "" {
		return data.Invalid("number", "an indexed request needs a number")
	}
	cell := r.H3
	if cell == 0 {
		c, err := Cell(r.Lat, r.Lon)
		if err != nil {
			return fmt.Errorf("dedupe: index %s: %w", r.Number, err)
		}
		cell = c
	}
	it := newItem(r)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeLocked(r.Number)
	k := bucketKey{ix.group(r.ServiceCode, true), cell}
	ix.buckets[k] = append(ix.buckets[k], it)
	ix.where[r.Number] = k
	return nil
}

// Remove drops the request with the given number; it reports whether it was
// indexed.
func (ix *Index) Remove(number string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.removeLocked(number)
}

func (ix *Index) removeLocked(number string) bool {
	k, ok := ix.where[number]
	if !ok {
		return false
	}
	delete(ix.where, number)
	b := ix.buckets[k]
	for i := range b {
		if b[i].r.Number == number {
			last := len(b) - 1
			b[i] = b[last]
			b[last] = item{}
			b = b[:last]
			break
		}
	}
	if len(b) == 0 {
		delete(ix.buckets, k)
	} else {
		ix.buckets[k] = b
	}
	return true
}

// Len is the number of indexed requests.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.where)
}

// Candidates returns the indexed requests of r's dedupe group in
// SearchCells(r.Lat, r.Lon, rule.RadiusM): a superset of what Decide keeps
// (no distance, time or status filter is applied here). rule is r's type's
// rule; now is unused by the lookup and kept for symmetry with Decide.
func (ix *Index) Candidates(r *data.Request, rule data.DedupeRule, now time.Time) ([]*data.Request, error) {
	_ = now
	var out []*data.Request
	err := ix.scan(r, rule, func(it *item) { out = append(out, it.r) })
	return out, err
}

func (ix *Index) scan(r *data.Request, rule data.DedupeRule, fn func(*item)) error {
	if !(rule.RadiusM > 0) {
		return nil
	}
	cells, err := SearchCells(r.Lat, r.Lon, rule.RadiusM)
	if err != nil {
		return err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	g := ix.group(r.ServiceCode, false)
	if g < 0 {
		return nil
	}
	for _, c := range cells {
		b := ix.buckets[bucketKey{g, c}]
		for i := range b {
			fn(&b[i])
		}
	}
	return nil
}

// Decide is the intake decision over the index: Candidates then Decide,
// using the addresses and descriptions parsed when the candidates were
// added. It returns the same Decision as Decide(r, rule, candidates, now).
func (ix *Index) Decide(r *data.Request, rule data.DedupeRule, now time.Time) (Decision, error) {
	d := newDecider(r, rule, now)
	if d == nil {
		return offDecision(r), nil
	}
	if err := ix.scan(r, rule, d.consider); err != nil {
		return Decision{}, err
	}
	return d.decision(rootOfRequest), nil
}
