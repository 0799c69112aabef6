package dedupe

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
)

// Assignment is the batch decision for one request.
type Assignment struct {
	Number string
	// Primary is the root of the cluster the request joined, "" when the
	// request is a primary itself.
	Primary string
	// Match is the request it matched (Primary unless that one was itself a
	// duplicate); Score the match's score.
	Match string
	Score float64
}

// BaselineRadiusM is the radius of the FixMyStreet-style baseline.
const BaselineRadiusM = 250

// Recluster re-runs the intake decision over history: rs in the order the
// requests were received (sorted by RequestedAt; ties keep their order, and
// a request only ever joins one received before it). Each request is
// decided at its own RequestedAt with its type's rule from j's catalogue
// (types missing from the catalogue, or with RadiusM 0, stay primaries);
// candidates are earlier requests of the same dedupe group that were still
// open then (ClosedAt after the request's time) or closed within the rule's
// IncludeClosedDays. The labels the requests carry (Duplicate, ParentNumber)
// are ignored: roots come from this run's own decisions, and duplicates of
// duplicates chain to the root. The result has one Assignment per request,
// in the order of rs. Input not sorted by RequestedAt is processed in a
// stable time order.
//
// It uses every CPU: parsing, H3 cells and the search for each request's
// best match run in parallel (the best match of a request does not depend on
// the other decisions, only its root does), then one pass resolves roots.
func Recluster(j *data.Jurisdiction, rs []*data.Request) []Assignment {
	groups := map[string]int32{}
	gid := func(name string) int32 {
		id, ok := groups[name]
		if !ok {
			id = int32(len(groups))
			groups[name] = id
		}
		return id
	}
	type typ struct {
		group int32
		rule  data.DedupeRule
	}
	types := map[string]typ{}
	if j != nil {
		for _, st := range j.Services {
			types[st.Code] = typ{gid(groupName(st.Code, st.Dedupe)), st.Dedupe}
		}
	}
	b := batch{rs: rs}
	b.rule = make([]data.DedupeRule, len(rs))
	b.group = make([]int32, len(rs))
	for i, r := range rs {
		t, ok := types[r.ServiceCode]
		if !ok {
			t = typ{gid("code:" + r.ServiceCode), data.DedupeRule{}}
			types[r.ServiceCode] = t
		}
		b.rule[i], b.group[i] = t.rule, t.group
	}
	return b.run(false)
}

// Baseline clusters rs like FixMyStreet's duplicate suggestion, applied
// automatically: a request joins the nearest earlier request of the same
// service code that is still open at its time and within BaselineRadiusM
// (ties: earliest, then smallest number), whatever its age, street or
// description; chains collapse to the root. rs in received order, as for
// Recluster.
func Baseline(rs []*data.Request) []Assignment {
	b := batch{rs: rs, rule: make([]data.DedupeRule, len(rs)), group: make([]int32, len(rs))}
	codes := map[string]int32{}
	for i, r := range rs {
		g, ok := codes[r.ServiceCode]
		if !ok {
			g = int32(len(codes))
			codes[r.ServiceCode] = g
		}
		b.group[i] = g
		b.rule[i] = data.DedupeRule{RadiusM: BaselineRadiusM}
	}
	return b.run(true)
}

type batch struct {
	rs    []*data.Request
	rule  []data.DedupeRule
	group []int32
	items []item // in processing order
	cells []uint64
	order []int32 // processing position -> index in rs
}

type diskKey struct {
	cell uint64
	k    int
}

func (b *batch) run(nearest bool) []Assignment {
	n := len(b.rs)
	out := make([]Assignment, n)
	if n == 0 {
		return out
	}
	// Processing order: stable by RequestedAt.
	b.order = make([]int32, n)
	for i := range b.order {
		b.order[i] = int32(i)
	}
	if !slices.IsSortedFunc(b.rs, func(x, y *data.Request) int { return x.RequestedAt.Compare(y.RequestedAt) }) {
		slices.SortStableFunc(b.order, func(x, y int32) int { return b.rs[x].RequestedAt.Compare(b.rs[y].RequestedAt) })
	}
	b.items = make([]item, n)
	b.cells = make([]uint64, n)
	parallel(n, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			r := b.rs[b.order[p]]
			it := &b.items[p]
			it.r = r
			it.setBasics()
			it.idx = int32(p)
			if !nearest {
				it.features()
			}
			c := r.H3
			if c == 0 && b.rule[b.order[p]].RadiusM > 0 {
				c, _ = Cell(r.Lat, r.Lon) // 0 for bad coordinates: never matched
			}
			b.cells[p] = c
		}
	})
	// Buckets of positions by (group, cell), each ascending; and for each
	// request the list of buckets its search disk covers, shared by every
	// request of the same (group, cell, k), so the parallel phase does no map
	// lookup.
	bucketID := map[bucketKey]int32{}
	var buckets [][]int32
	type searchKey struct {
		group int32
		cell  uint64
		k     int
	}
	searchID := map[searchKey]int32{}
	var searches []searchKey
	search := make([]int32, n)
	for p := 0; p < n; p++ {
		i := b.order[p]
		search[p] = -1
		if b.cells[p] == 0 {
			continue
		}
		k := bucketKey{b.group[i], b.cells[p]}
		id, ok := bucketID[k]
		if !ok {
			id = int32(len(buckets))
			bucketID[k] = id
			buckets = append(buckets, nil)
		}
		buckets[id] = append(buckets[id], int32(p))
		if rule := b.rule[i]; rule.RadiusM > 0 && rule.RadiusM <= MaxRadiusM {
			sk := searchKey{b.group[i], b.cells[p], SearchK(rule.RadiusM)}
			sid, ok := searchID[sk]
			if !ok {
				sid = int32(len(searches))
				searchID[sk] = sid
				searches = append(searches, sk)
			}
			search[p] = sid
		}
	}
	disks := map[diskKey][]uint64{}
	for _, sk := range searches {
		disks[diskKey{sk.cell, sk.k}] = nil
	}
	keys := make([]diskKey, 0, len(disks))
	for k := range disks {
		keys = append(keys, k)
	}
	diskList := make([][]uint64, len(keys))
	parallel(len(keys), func(lo, hi int) {
		for x := lo; x < hi; x++ {
			diskList[x] = diskOf(keys[x].cell, keys[x].k)
		}
	})
	for x, k := range keys {
		disks[k] = diskList[x]
	}
	searchBuckets := make([][]int32, len(searches))
	for sid, sk := range searches {
		for _, c := range disks[diskKey{sk.cell, sk.k}] {
			if id, ok := bucketID[bucketKey{sk.group, c}]; ok {
				searchBuckets[sid] = append(searchBuckets[sid], id)
			}
		}
	}

	// Receipt times by processing position. They are normally nondecreasing
	// (the order is by RequestedAt), and then the window start is one
	// position for all of a request's buckets, found once, and each bucket
	// (ascending positions) is cut by a binary search over its own compact
	// int32 slice instead of probing scattered items. The zero time (0 here,
	// but sorted first) or times beyond UnixNano's range can break the
	// monotony; those runs search each bucket by time as before.
	at := make([]int64, n)
	for p := range at {
		at[p] = b.items[p].at
	}
	monotone := slices.IsSorted(at)
	best := make([]int32, n)
	score := make([]float64, n)
	parallel(n, func(lo, hi int) {
		var d decider
		for p := lo; p < hi; p++ {
			best[p] = -1
			if search[p] < 0 {
				continue
			}
			self := &b.items[p]
			d.init(self, b.rule[b.order[p]], time.Unix(0, self.at), nearest)
			pFrom := int32(0) // first position received at or after d.from
			if !nearest && monotone {
				x, _ := slices.BinarySearchFunc(at[:p], d.from, func(t, from int64) int {
					if t < from {
						return -1
					}
					return 1
				})
				pFrom = int32(x)
			}
			for _, bid := range searchBuckets[search[p]] {
				ids := buckets[bid]
				// candidates received in the window and before p
				start := 0
				switch {
				case nearest:
				case monotone:
					start, _ = slices.BinarySearch(ids, pFrom)
				default:
					start = sort.Search(len(ids), func(x int) bool { return b.items[ids[x]].at >= d.from })
				}
				for _, q := range ids[start:] {
					if q >= int32(p) {
						break
					}
					d.consider(&b.items[q])
				}
			}
			if d.best != nil {
				best[p], score[p] = d.best.idx, d.bestScore
			}
		}
	})
	// Roots, in processing order.
	root := make([]int32, n)
	for p := 0; p < n; p++ {
		root[p] = int32(p)
		q := best[p]
		if q >= 0 && (nearest || score[p] >= Threshold) {
			root[p] = root[q]
		}
		i := b.order[p]
		out[i] = Assignment{Number: b.rs[i].Number}
		if q >= 0 {
			out[i].Match = b.items[q].r.Number
			out[i].Score = score[p]
		}
		if root[p] != int32(p) {
			out[i].Primary = b.items[root[p]].r.Number
		}
	}
	return out
}

// init prepares a decider for one batch request (no allocation).
func (d *decider) init(self *item, rule data.DedupeRule, now time.Time, nearest bool) {
	*d = decider{self: *self, rule: rule, now: now.UnixNano(), anyCode: rule.Group != "", nearest: nearest}
	d.tRef = d.self.at
	if d.tRef == 0 {
		d.tRef = d.now
	}
	if nearest {
		d.from = math.MinInt64
	} else {
		d.from = d.tRef - int64(windowDays(rule))*day
	}
	d.grace = math.MaxInt64
	if rule.IncludeClosedDays > 0 {
		d.grace = d.now - int64(rule.IncludeClosedDays)*day
	}
	d.nr = newNear(self.lat, self.lon, rule.RadiusM)
}

// parallel runs fn over [0, n) split in chunks across the CPUs.
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	const chunk = 4096
	if workers < 2 || n <= chunk {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}
