package tiles

import (
	"context"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/h3"
	"github.com/paulmach/orb"
)

// RequestIndex is an in-memory point index of the public requests, for
// tiles and cell counts without a database round trip.
//
// Each request is kept as a 40-byte record: its feature id (FeatureID of the
// number), world coordinates (projected once), H3 cell at data.H3Resolution,
// requested time, a type index and open/duplicate flags. Police-related
// requests and community concerns are never stored, so no query can return
// them.
//
// Layout: a static base sorted by the Morton (Z-order) code of the world
// coordinates, in which every map tile is one contiguous run found by binary
// search (a tile with its buffer is a handful of runs), plus a small delta
// of records added or changed since the base was built, scanned linearly.
// Base records that were updated or removed are masked by a bit set. When
// the delta exceeds CompactThreshold records the writer merges it into a new
// base (readers keep using the old one until the swap).
//
// All methods are safe for concurrent use: readers share a RWMutex, writers
// are serialised. Every change bumps Version, which keys the tile cache.
type RequestIndex struct {
	police func(*data.Request) bool

	wmu sync.Mutex   // serialises writers (and compaction)
	mu  sync.RWMutex // guards everything below
	b   *base
	// dead marks base positions updated or removed since the base was built.
	dead     []uint64
	ndead    int
	delta    []record
	deltaPos map[uint64]int
	types    []string
	typeIdx  map[string]uint16
	skipped  int
	// compactAt is the delta size that triggers compaction.
	compactAt int

	version atomic.Uint64
}

// CompactThreshold is the delta size at which a write merges the delta into
// a new base.
const CompactThreshold = 16384

type record struct {
	id    uint64 // FeatureID(number)
	cell  uint64 // H3 cell at data.H3Resolution
	t     int64  // requested time, Unix nanoseconds
	x, y  uint32 // world coordinates
	typ   uint16 // index into types
	flags uint8
}

const (
	flagClosed    = 1 << iota
	flagDuplicate //
)

type base struct {
	recs   []record
	morton []uint64  // morton[i] = interleave(recs[i].x, recs[i].y), ascending
	ids    []idPos   // sorted by id
	bbox   [4]uint32 // x0, y0, x1, y1 of the records (valid if len > 0)
}

type idPos struct {
	id  uint64
	pos int32
}

// NewRequestIndex builds the index from rs. j's catalogue decides which
// service types are police-related (data.Request.Police); with a nil j only
// community concerns are. Requests with coordinates that are not finite or
// out of range are skipped and counted (Skipped). H3 cells missing on the
// requests are computed on all cores.
func NewRequestIndex(j *data.Jurisdiction, rs []*data.Request) *RequestIndex {
	b := NewIndexBuilder(j)
	for _, r := range rs {
		b.Add(r)
	}
	return b.Build()
}

// IndexBuilder builds a RequestIndex from a stream of requests (such as a
// store's ScanRequests) holding only the compact records, not the requests.
type IndexBuilder struct {
	ix         *RequestIndex
	recs       []record
	need       []int32 // positions in recs without a usable H3 cell
	lons, lats []float64
}

// NewIndexBuilder starts an index; j as for NewRequestIndex.
func NewIndexBuilder(j *data.Jurisdiction) *IndexBuilder {
	ix := &RequestIndex{
		deltaPos:  map[uint64]int{},
		typeIdx:   map[string]uint16{},
		compactAt: CompactThreshold,
	}
	ix.police = func(r *data.Request) bool {
		if j == nil {
			return r.Kind == data.KindCommunityConcern
		}
		return r.Police(j)
	}
	return &IndexBuilder{ix: ix}
}

// Grow reserves room for n more requests.
func (b *IndexBuilder) Grow(n int) { b.recs = slices.Grow(b.recs, n) }

// Add takes one request (police-related ones are dropped, bad coordinates
// counted as skipped). It keeps nothing of r but its record, so callers may
// reuse r. It always returns nil, so it can be passed to ScanRequests.
func (b *IndexBuilder) Add(r *data.Request) error {
	if r == nil || b.ix.police(r) {
		return nil
	}
	rec, ok := b.ix.makeRecord(r, false)
	if !ok {
		b.ix.skipped++
		return nil
	}
	if rec.cell == 0 {
		b.need = append(b.need, int32(len(b.recs)))
		b.lons = append(b.lons, r.Lon)
		b.lats = append(b.lats, r.Lat)
	}
	b.recs = append(b.recs, rec)
	return nil
}

// Build computes missing H3 cells in parallel, sorts and returns the index.
// The builder must not be used afterwards.
func (b *IndexBuilder) Build() *RequestIndex {
	recs, need := b.recs, b.need
	if len(need) > 0 {
		parallel(len(need), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				recs[need[k]].cell = uint64(h3.LatLngToCell(b.lats[k], b.lons[k], data.H3Resolution))
			}
		})
	}
	ix := b.ix
	ix.b = buildBase(recs)
	ix.dead = make([]uint64, (len(ix.b.recs)+63)/64)
	*b = IndexBuilder{}
	return ix
}

// parallel runs fn over [0,n) split in chunks on GOMAXPROCS goroutines.
func parallel(n int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if n < 4096 || w == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// makeRecord converts a request; it interns the type (the caller holds the
// write lock or is the constructor). computeCell computes a missing H3 cell.
func (ix *RequestIndex) makeRecord(r *data.Request, computeCell bool) (record, bool) {
	if math.IsNaN(r.Lon) || math.IsNaN(r.Lat) || r.Lon < -180 || r.Lon > 180 || r.Lat < -90 || r.Lat > 90 {
		return record{}, false
	}
	x, y := worldXY(r.Lon, r.Lat)
	rec := record{id: FeatureID(r.Number), x: x, y: y, t: r.RequestedAt.UnixNano(), typ: ix.intern(r.ServiceCode)}
	if r.State.Closed() {
		rec.flags |= flagClosed
	}
	if r.Duplicate {
		rec.flags |= flagDuplicate
	}
	switch {
	case isCell(r.H3) && cellRes(r.H3) == data.H3Resolution:
		rec.cell = r.H3
	case isCell(r.H3) && cellRes(r.H3) > data.H3Resolution:
		rec.cell = cellParent(r.H3, data.H3Resolution)
	case computeCell:
		rec.cell = uint64(h3.LatLngToCell(r.Lat, r.Lon, data.H3Resolution))
	}
	return rec, true
}

func (ix *RequestIndex) intern(code string) uint16 {
	if i, ok := ix.typeIdx[code]; ok {
		return i
	}
	if len(ix.types) >= math.MaxUint16 {
		// 65535 distinct service codes: fold the rest into the last one
		// rather than fail (no real catalogue comes near).
		return math.MaxUint16 - 1
	}
	i := uint16(len(ix.types))
	ix.types = append(ix.types, code)
	ix.typeIdx[code] = i
	return i
}

func buildBase(recs []record) *base {
	n := len(recs)
	pairs := make([]pair, n)
	for i := range recs {
		pairs[i] = pair{interleave(recs[i].x, recs[i].y), uint32(i)}
	}
	radixSort(pairs)
	b := &base{recs: make([]record, n), morton: make([]uint64, n), ids: make([]idPos, n)}
	idp := make([]pair, n)
	for i, p := range pairs {
		b.recs[i] = recs[p.v]
		b.morton[i] = p.k
		idp[i] = pair{b.recs[i].id, uint32(i)}
	}
	radixSort(idp)
	for i, p := range idp {
		b.ids[i] = idPos{p.k, int32(p.v)}
	}
	if n > 0 {
		bb := [4]uint32{math.MaxUint32, math.MaxUint32, 0, 0}
		for i := range b.recs {
			r := &b.recs[i]
			bb[0], bb[1] = min(bb[0], r.x), min(bb[1], r.y)
			bb[2], bb[3] = max(bb[2], r.x), max(bb[3], r.y)
		}
		b.bbox = bb
	}
	return b
}

type pair struct {
	k uint64
	v uint32
}

// radixSort sorts pairs by k (stable LSD radix sort, 16-bit digits,
// skipping digits every key shares).
func radixSort(a []pair) {
	if len(a) < 256 {
		sort.Slice(a, func(i, j int) bool { return a[i].k < a[j].k || a[i].k == a[j].k && a[i].v < a[j].v })
		return
	}
	tmp := make([]pair, len(a))
	src, dst := a, tmp
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for i := range src {
			count[(src[i].k>>shift)&0xFFFF]++
		}
		if count[(src[0].k>>shift)&0xFFFF] == len(src) {
			continue
		}
		sum := 0
		for i := range count {
			c := count[i]
			count[i] = sum
			sum += c
		}
		for i := range src {
			d := (src[i].k >> shift) & 0xFFFF
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

// Len returns the number of (public) requests in the index.
func (ix *RequestIndex) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.b.recs) - ix.ndead + len(ix.delta)
}

// Skipped returns how many requests were left out for bad coordinates.
func (ix *RequestIndex) Skipped() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.skipped
}

// Version counts changes: it grows with every Add, Update and Remove that
// changed the index. Cache keys include it.
func (ix *RequestIndex) Version() uint64 { return ix.version.Load() }

// Add inserts a request, or replaces the one with the same number. A
// police-related request is not stored (and removes any earlier public
// version of it). Bad coordinates are data.Invalid naming "lat" or "lon".
func (ix *RequestIndex) Add(r *data.Request) error {
	if r == nil {
		return data.Invalid("request", "missing")
	}
	if math.IsNaN(r.Lat) || r.Lat < -90 || r.Lat > 90 {
		return data.Invalid("lat", "must be between -90 and 90")
	}
	if math.IsNaN(r.Lon) || r.Lon < -180 || r.Lon > 180 {
		return data.Invalid("lon", "must be between -180 and 180")
	}
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.police(r) {
		ix.remove(FeatureID(r.Number))
		return nil
	}
	var cell uint64
	if !isCell(r.H3) || cellRes(r.H3) < data.H3Resolution {
		// The cell is computed outside the readers' lock.
		cell = uint64(h3.LatLngToCell(r.Lat, r.Lon, data.H3Resolution))
	}
	ix.mu.Lock()
	rec, _ := ix.makeRecord(r, false)
	if cell != 0 {
		rec.cell = cell
	}
	ix.unlinkLocked(rec.id)
	ix.deltaPos[rec.id] = len(ix.delta)
	ix.delta = append(ix.delta, rec)
	ix.version.Add(1)
	n := len(ix.delta)
	ix.mu.Unlock()
	if n >= ix.compactAt {
		ix.compact()
	}
	return nil
}

// Update is Add: the request replaces the stored one with its number (a
// transition changed its state, a dedupe decision its duplicate flag).
func (ix *RequestIndex) Update(r *data.Request) error { return ix.Add(r) }

// Remove deletes a request by number, reporting whether it was there.
func (ix *RequestIndex) Remove(number string) bool {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	return ix.remove(FeatureID(number))
}

func (ix *RequestIndex) remove(id uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.unlinkLocked(id) {
		ix.version.Add(1)
		return true
	}
	return false
}

// unlinkLocked removes the live record with id from the base (masking it)
// or the delta.
func (ix *RequestIndex) unlinkLocked(id uint64) bool {
	if p, ok := ix.deltaPos[id]; ok {
		last := len(ix.delta) - 1
		if p != last {
			ix.delta[p] = ix.delta[last]
			ix.deltaPos[ix.delta[p].id] = p
		}
		ix.delta = ix.delta[:last]
		delete(ix.deltaPos, id)
		return true
	}
	ids := ix.b.ids
	i := sort.Search(len(ids), func(i int) bool { return ids[i].id >= id })
	for ; i < len(ids) && ids[i].id == id; i++ {
		p := ids[i].pos
		if ix.dead[p/64]&(1<<(p%64)) == 0 {
			ix.dead[p/64] |= 1 << (p % 64)
			ix.ndead++
			return true
		}
	}
	return false
}

// compact merges the delta into a new base. The caller holds wmu, so the
// delta cannot change meanwhile; readers continue on the old base until the
// swap.
func (ix *RequestIndex) compact() {
	ix.mu.RLock()
	old, dead := ix.b, ix.dead
	recs := make([]record, 0, len(old.recs)-ix.ndead+len(ix.delta))
	for i := range old.recs {
		if dead[i/64]&(1<<(i%64)) == 0 {
			recs = append(recs, old.recs[i])
		}
	}
	recs = append(recs, ix.delta...)
	ix.mu.RUnlock()
	nb := buildBase(recs)
	ix.mu.Lock()
	ix.b = nb
	ix.dead = make([]uint64, (len(nb.recs)+63)/64)
	ix.ndead = 0
	ix.delta = ix.delta[:0]
	clear(ix.deltaPos)
	ix.mu.Unlock()
}

// compiled is a Filter resolved against the type dictionary.
type compiled struct {
	none     bool
	types    []bool // nil: every type
	status   uint8  // 0 any, 1 open, 2 closed
	from, to int64
	noDup    bool
}

func (ix *RequestIndex) compileLocked(f Filter) compiled {
	c := compiled{from: math.MinInt64, to: math.MaxInt64, noDup: !f.IncludeDuplicates}
	if len(f.Types) > 0 {
		c.types = make([]bool, len(ix.types))
		any := false
		for _, t := range f.Types {
			if i, ok := ix.typeIdx[t]; ok {
				c.types[i] = true
				any = true
			}
		}
		c.none = !any
	}
	switch f.Status {
	case "open":
		c.status = 1
	case "closed":
		c.status = 2
	}
	if !f.From.IsZero() {
		c.from = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		c.to = f.To.UnixNano()
	}
	return c
}

func (c *compiled) match(r *record) bool {
	if c.types != nil && (int(r.typ) >= len(c.types) || !c.types[r.typ]) {
		return false
	}
	if c.noDup && r.flags&flagDuplicate != 0 {
		return false
	}
	switch c.status {
	case 1:
		if r.flags&flagClosed != 0 {
			return false
		}
	case 2:
		if r.flags&flagClosed == 0 {
			return false
		}
	}
	return r.t >= c.from && r.t < c.to
}

// scanLocked calls fn for every live record matching c inside box (closed)
// until fn returns false.
// maxLevel bounds the quadtree descent of the range cover. The caller holds
// mu for reading.
func (ix *RequestIndex) scanLocked(box wbox, maxLevel int, c *compiled, fn func(*record) bool) {
	if c.none {
		return
	}
	x0, y0, x1, y1, ok := intBox(box)
	if !ok {
		return
	}
	b := ix.b
	if len(b.recs) > 0 && !(x1 < b.bbox[0] || x0 > b.bbox[2] || y1 < b.bbox[1] || y0 > b.bbox[3]) {
		// Clip the query to the base's box: fewer, tighter ranges.
		bx0, by0, bx1, by1 := max(x0, b.bbox[0]), max(y0, b.bbox[1]), min(x1, b.bbox[2]), min(y1, b.bbox[3])
		var buf [64]mrange
		ranges := coverRanges(bx0, by0, bx1, by1, maxLevel, buf[:0])
		m := b.morton
		lo := 0
		for _, r := range ranges {
			i := lo + sort.Search(len(m)-lo, func(k int) bool { return m[lo+k] >= r.lo })
			for ; i < len(m) && (r.hi == 0 || m[i] < r.hi); i++ {
				rec := &b.recs[i]
				if rec.x < bx0 || rec.x > bx1 || rec.y < by0 || rec.y > by1 {
					continue
				}
				if ix.ndead > 0 && ix.dead[i/64]&(1<<(i%64)) != 0 {
					continue
				}
				if c.match(rec) && !fn(rec) {
					return
				}
			}
			lo = i
		}
	}
	for i := range ix.delta {
		rec := &ix.delta[i]
		if rec.x < x0 || rec.x > x1 || rec.y < y0 || rec.y > y1 {
			continue
		}
		if c.match(rec) && !fn(rec) {
			return
		}
	}
}

// coverLevel picks the quadtree depth for a range cover of box: about 16
// cells across its smaller side.
func coverLevel(box wbox) int {
	w := math.Min(box.x1-box.x0, box.y1-box.y0)
	if w <= 1 {
		return worldBits
	}
	l := int(math.Ceil(math.Log2(worldSize/w))) + 4
	return min(max(l, 0), worldBits)
}

// Point is a request as the index holds it.
type Point struct {
	ID          uint64 // FeatureID of the number (see FeatureNumber)
	Lon, Lat    float64
	ServiceCode string
	Closed      bool
	Duplicate   bool
	RequestedAt time.Time
	Cell        uint64 // H3 cell at data.H3Resolution
}

// Query calls fn with every request inside bound (lon/lat) matching f, in
// Z-order; fn returning false stops the scan. fn must not call back into
// the index's writers.
func (ix *RequestIndex) Query(bound orb.Bound, f Filter, fn func(Point) bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	c := ix.compileLocked(f.normalized())
	box := boundBox(bound)
	var pts []Point
	ix.scanLocked(box, coverLevel(box), &c, func(r *record) bool {
		lon, lat := lonLat(float64(r.x)+0.5, float64(r.y)+0.5)
		pts = append(pts, Point{ID: r.id, Lon: lon, Lat: lat, ServiceCode: ix.types[r.typ],
			Closed: r.flags&flagClosed != 0, Duplicate: r.flags&flagDuplicate != 0,
			RequestedAt: time.Unix(0, r.t).UTC(), Cell: r.cell})
		return true
	})
	for _, p := range pts {
		if !fn(p) {
			return
		}
	}
}

// CellCount is the number of requests in one H3 cell.
type CellCount struct {
	Cell  uint64
	Count int
}

// CellCounter counts requests by H3 cell. RequestIndex implements it; the
// HTTP layer may back the hexbins layer with another implementation (such as
// the trends cube) instead.
type CellCounter interface {
	// CountCells returns the cells at resolution res holding at least one
	// request matching f whose location is inside bound (lon/lat); the
	// counts are whole-cell counts over the matching requests located inside
	// bound. Order does not matter.
	CountCells(ctx context.Context, bound orb.Bound, res int, f Filter) ([]CellCount, error)
	// Version changes whenever counts may have changed (cache key).
	Version() uint64
}

// CountCells implements CellCounter for resolutions 0 to data.H3Resolution.
func (ix *RequestIndex) CountCells(ctx context.Context, bound orb.Bound, res int, f Filter) ([]CellCount, error) {
	if res < 0 || res > data.H3Resolution {
		return nil, data.Invalid("resolution", "must be between 0 and %d", data.H3Resolution)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	box := boundBox(bound)
	return ix.countBox(box, res, f), nil
}

func (ix *RequestIndex) countBox(box wbox, res int, f Filter) []CellCount {
	ix.mu.RLock()
	c := ix.compileLocked(f.normalized())
	counts := map[uint64]int{}
	var last uint64
	n := 0
	ix.scanLocked(box, coverLevel(box), &c, func(r *record) bool {
		p := cellParent(r.cell, res)
		if p == last {
			n++
			return true
		}
		if n > 0 {
			counts[last] += n
		}
		last, n = p, 1
		return true
	})
	ix.mu.RUnlock()
	if n > 0 {
		counts[last] += n
	}
	out := make([]CellCount, 0, len(counts))
	for k, v := range counts {
		out = append(out, CellCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cell < out[j].Cell })
	return out
}

// isCell reports whether c has the shape of an H3 cell index (high bit
// clear, mode 1), checked in Go: h3-go's IsValid is a cgo call, too dear per
// request at index build.
func isCell(c uint64) bool { return c != 0 && c>>63 == 0 && c>>59&0xF == 1 }

// cellRes is the resolution field of an H3 index.
func cellRes(c uint64) int { return int(c >> 52 & 0xF) }

// cellParent returns the parent of an H3 cell index at a coarser
// resolution by bit manipulation (as H3's cellToParent does, without cgo):
// set the resolution field and the digits below it to 7.
func cellParent(c uint64, res int) uint64 {
	cur := int(c >> 52 & 0xF)
	if c == 0 || res >= cur {
		return c
	}
	c = c&^(0xF<<52) | uint64(res)<<52
	return c | (uint64(1)<<((15-res)*3) - 1)
}

// FeatureID maps a tracking number to the MVT feature id of its point:
//
//	SRyy-nnnnnnnn  ->  1·10^10 + yy·10^8 + n
//	CCyy-nnnnnnnn  ->  2·10^10 + yy·10^8 + n
//	yy-nnnnnnnn    ->  3·10^10 + yy·10^8 + n   (Chicago legacy numbers)
//
// so ids stay below 2^53 (exact in JavaScript) and FeatureNumber turns them
// back into numbers. Any other number maps to a 63-bit FNV-1a hash with the
// top bit set (unique in practice, not reversible).
func FeatureID(number string) uint64 {
	var kind uint64
	var yy, seq int64
	switch {
	case len(number) == 13 && number[4] == '-' && (number[:2] == "SR" || number[:2] == "CC"):
		kind = 1
		if number[0] == 'C' {
			kind = 2
		}
		yy, seq = digits(number[2:4]), digits(number[5:])
	case len(number) == 11 && number[2] == '-':
		kind = 3
		yy, seq = digits(number[:2]), digits(number[3:])
	}
	if kind != 0 && yy >= 0 && seq >= 0 {
		return kind*1e10 + uint64(yy)*1e8 + uint64(seq)
	}
	h := fnv.New64a()
	h.Write([]byte(number))
	return 1<<63 | h.Sum64()>>1
}

func digits(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// FeatureNumber inverts FeatureID for numbers of the three known shapes.
func FeatureNumber(id uint64) (string, bool) {
	kind, rest := id/1e10, id%1e10
	yy, seq := rest/1e8, rest%1e8
	var prefix string
	switch kind {
	case 1:
		prefix = data.PrefixServiceRequest
	case 2:
		prefix = data.PrefixCommunityConcern
	case 3:
	default:
		return "", false
	}
	b := make([]byte, 0, 13)
	b = append(b, prefix...)
	b = append(b, byte('0'+yy/10), byte('0'+yy%10), '-')
	for d := uint64(1e7); d > 0; d /= 10 {
		b = append(b, byte('0'+seq/d%10))
	}
	return string(b), true
}
