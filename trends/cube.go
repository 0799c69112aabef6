package trends

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	h3 "github.com/uber/h3-go/v4"
)

// Event is what a cube count counts: requests opened (received) or closed on a day.
type Event uint8

// Events.
const (
	Opened Event = 0
	Closed Event = 1
)

func (e Event) String() string {
	if e == Closed {
		return "closed"
	}
	return "opened"
}

// ParseEvent reads "opened" (also "" and "received") or "closed".
func ParseEvent(s string) (Event, error) {
	switch s {
	case "", "opened", "received":
		return Opened, nil
	case "closed":
		return Closed, nil
	}
	return 0, data.Invalid("event", "%q is not an event (opened, closed)", s)
}

// Cell is an H3 cell index. It encodes as H3's hexadecimal string in JSON and
// text.
type Cell uint64

func (c Cell) String() string { return h3.IndexToString(uint64(c)) }

// MarshalText writes the H3 string form.
func (c Cell) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads the H3 string form.
func (c *Cell) UnmarshalText(b []byte) error {
	v, err := ParseCell(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ParseCell reads an H3 cell in hexadecimal string form and checks it.
func ParseCell(s string) (Cell, error) {
	v := h3.IndexFromString(s)
	if v == 0 || !h3.Cell(v).IsValid() {
		return 0, data.Invalid("cell", "%q is not an H3 cell", s)
	}
	return Cell(v), nil
}

// Resolution returns the cell's H3 resolution.
func (c Cell) Resolution() int { return cellRes(uint64(c)) }

// Options configure a Cube.
type Options struct {
	// Location is the jurisdiction's time zone: days are local days.
	// Required.
	Location *time.Location
	// MinRes and MaxRes bound the H3 resolutions the cube answers (default
	// 7 and 10). Counts are kept at MaxRes; coarser resolutions are exact
	// roll-ups through each cell's H3 parent.
	MinRes, MaxRes int
}

// Cube counts requests by H3 cell, local day, service type, event (opened,
// closed) and duplicate flag. It is safe for concurrent use: queries take a
// read lock, Add and Update a short write lock.
//
// Layout: counts are kept at the finest resolution only, keyed by a dense
// cell id, in one block per local day (keys sorted, packed as event<<49 |
// duplicate<<48 | cell<<16 | type, with int32 counts, so that each event and
// duplicate flag is one contiguous run of a block), plus a small delta map
// for incremental updates that is merged into the day blocks once it grows.
// A per-resolution table maps each finest cell id to the dense id of its
// ancestor, so a roll-up costs one array read per entry.
type Cube struct {
	loc            *time.Location
	minRes, maxRes int

	mu      sync.RWMutex
	types   []string
	typeIDs map[string]uint16
	// cells[k] lists the cells of resolution minRes+k by dense id;
	// ids[k] is the inverse; parent[k] maps a finest id to its ancestor's
	// dense id at minRes+k (nil for k == maxRes-minRes).
	cells  [][]uint64
	ids    []map[uint64]uint32
	parent [][]uint32
	// centers of the finest cells, by dense id.
	centers []orb.Point
	// order[k] lists the dense ids of resolution minRes+k sorted by cell, so
	// answers come out sorted without a sort; rebuilt when cells are added.
	orderMu sync.Mutex
	order   [][]uint32
	// days[d] is the block of local day base+d.
	base  int32
	days  []block
	delta map[deltaKey]int32

	requests, skipped int64
}

// packKey packs a count's key: flags (event<<1 | duplicate) in bits 48-49,
// the finest cell's dense id in bits 16-47, the type id in bits 0-15.
func packKey(flags uint8, fid uint32, tid uint16) uint64 {
	return uint64(flags)<<48 | uint64(fid)<<16 | uint64(tid)
}

func keyCell(k uint64) uint32 { return uint32(k >> 16) }
func keyType(k uint64) uint16 { return uint16(k) }

type block struct {
	keys   []uint64
	counts []int32
}

type deltaKey struct {
	day int32
	key uint64
}

const deltaMergeAt = 4096

// NewCube returns an empty cube.
func NewCube(o Options) (*Cube, error) {
	if o.Location == nil {
		return nil, data.Invalid("location", "a time zone is required")
	}
	if o.MinRes == 0 && o.MaxRes == 0 {
		o.MinRes, o.MaxRes = 7, 10
	}
	if o.MinRes < 0 || o.MaxRes > 15 || o.MinRes > o.MaxRes {
		return nil, data.Invalid("resolution", "resolutions %d..%d are not within 0..15", o.MinRes, o.MaxRes)
	}
	n := o.MaxRes - o.MinRes + 1
	c := &Cube{
		loc: o.Location, minRes: o.MinRes, maxRes: o.MaxRes,
		typeIDs: map[string]uint16{},
		cells:   make([][]uint64, n),
		ids:     make([]map[uint64]uint32, n),
		parent:  make([][]uint32, n),
		order:   make([][]uint32, n),
		delta:   map[deltaKey]int32{},
	}
	for k := range c.ids {
		c.ids[k] = map[uint64]uint32{}
	}
	return c, nil
}

// Resolutions returns the cube's coarsest and finest resolutions.
func (c *Cube) Resolutions() (min, max int) { return c.minRes, c.maxRes }

// Location returns the cube's time zone.
func (c *Cube) Location() *time.Location { return c.loc }

// Stats describes what a cube holds.
type Stats struct {
	// Requests counted (Add and Load add one, Update(old, nil) removes
	// one); Skipped: requests added without a usable location.
	Requests, Skipped int64
	// Entries is the number of (day, cell, type, event, duplicate) counts.
	Entries int
	// Cells is the number of distinct cells at the finest resolution.
	Cells int
	Types int
	// Days spanned by the day blocks.
	Days int
}

// Stats returns counters describing the cube.
func (c *Cube) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := Stats{Requests: c.requests, Skipped: c.skipped, Cells: len(c.centers), Types: len(c.types), Days: len(c.days)}
	for i := range c.days {
		s.Entries += len(c.days[i].keys)
	}
	s.Entries += len(c.delta)
	return s
}

// sortedIDsLocked returns the dense ids of resolution index k in cell
// order. The caller holds c.mu (read or write).
func (c *Cube) sortedIDsLocked(k int) []uint32 {
	c.orderMu.Lock()
	defer c.orderMu.Unlock()
	cells := c.cells[k]
	if len(c.order[k]) != len(cells) {
		ids := make([]uint32, len(cells))
		for i := range ids {
			ids[i] = uint32(i)
		}
		slices.SortFunc(ids, func(a, b uint32) int { return cmp.Compare(cells[a], cells[b]) })
		c.order[k] = ids
	}
	return c.order[k]
}

// contribution is one count a request puts in the cube.
type contribution struct {
	day   int32
	cell  uint64 // finest resolution
	typ   string
	flags uint8 // event<<1 | duplicate
}

// dayOf returns the local day number (days since 1970-01-01 local) of t.
func dayOf(t time.Time, loc *time.Location) int32 {
	lt := t.In(loc)
	y, m, d := lt.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayStart returns the first instant of local day d.
func dayStart(d int32, loc *time.Location) time.Time {
	return time.Date(1970, 1, 1+int(d), 0, 0, 0, 0, loc)
}

// dayClock converts instants to local day numbers quickly by caching the
// current zone period (a clock per goroutine; not safe for sharing).
type dayClock struct {
	loc        *time.Location
	start, end int64 // unix seconds of the cached zone period
	offset     int64
	valid      bool
}

func (dc *dayClock) day(unix int64) int32 {
	if !dc.valid || unix < dc.start || unix >= dc.end {
		t := time.Unix(unix, 0).In(dc.loc)
		_, off := t.Zone()
		s, e := t.ZoneBounds()
		dc.offset = int64(off)
		dc.start, dc.end = math.MinInt64, math.MaxInt64
		if !s.IsZero() {
			dc.start = s.Unix()
		}
		if !e.IsZero() {
			dc.end = e.Unix()
		}
		dc.valid = true
	}
	return int32(floorDiv(unix+dc.offset, 86400))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// finestCell returns the request's cell at the cube's finest resolution,
// from its coordinates, or from Request.H3 when it has none and MaxRes is
// not finer than data.H3Resolution. 0 if neither is usable.
func (c *Cube) finestCell(r *data.Request) uint64 {
	if validLonLat(r.Lon, r.Lat) {
		return latLngToCell(r.Lat, r.Lon, c.maxRes)
	}
	if r.H3 != 0 && c.maxRes <= cellRes(r.H3) {
		return cellParent(r.H3, c.maxRes)
	}
	return 0
}

func validLonLat(lon, lat float64) bool {
	if lon == 0 && lat == 0 {
		return false // unset
	}
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// contributions lists what r counts in the cube (nil if it has no location).
func (c *Cube) contributions(r *data.Request, dst []contribution) []contribution {
	if r == nil {
		return dst
	}
	cell := c.finestCell(r)
	if cell == 0 {
		return dst
	}
	var dup uint8
	if r.Duplicate {
		dup = 1
	}
	dst = append(dst, contribution{dayOf(r.RequestedAt, c.loc), cell, r.ServiceCode, uint8(Opened)<<1 | dup})
	if closedAt, ok := closedTime(r); ok {
		dst = append(dst, contribution{dayOf(closedAt, c.loc), cell, r.ServiceCode, uint8(Closed)<<1 | dup})
	}
	return dst
}

// closedTime is when r was closed, if it is.
func closedTime(r *data.Request) (time.Time, bool) {
	if r.State.Closed() && !r.ClosedAt.IsZero() {
		return r.ClosedAt, true
	}
	return time.Time{}, false
}

// Add counts a new request.
func (c *Cube) Add(r *data.Request) { c.Update(nil, r) }

// Update replaces the counts of old (nil for a new request) with those of
// new (nil to remove a request): a transition to closed adds a closed event;
// a change of type, place or duplicate flag moves the counts.
func (c *Cube) Update(old, new *data.Request) {
	var buf [4]contribution
	minus := c.contributions(old, buf[:0])
	plus := c.contributions(new, buf[len(minus):len(minus)])
	// identical contributions cancel
	for i := 0; i < len(minus); i++ {
		for j := 0; j < len(plus); j++ {
			if minus[i] == plus[j] {
				minus = slices.Delete(minus, i, i+1)
				plus = slices.Delete(plus, j, j+1)
				i--
				break
			}
		}
	}
	// Centres of cells the cube has not seen (a cgo call each), computed
	// outside the write lock.
	var centers [4]orb.Point
	var known [4]bool
	c.mu.RLock()
	for i, p := range plus {
		_, known[i] = c.ids[len(c.ids)-1][p.cell]
	}
	c.mu.RUnlock()
	for i, p := range plus {
		if !known[i] {
			centers[i] = cellCenter(p.cell)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case old == nil && new != nil && len(plus) == 0:
		c.skipped++
	case old == nil && new != nil:
		c.requests++
	case old != nil && new == nil && len(minus) > 0:
		c.requests--
	}
	for _, m := range minus {
		c.addLocked(m, -1, orb.Point{})
	}
	for i, p := range plus {
		c.addLocked(p, 1, centers[i])
	}
	if len(c.delta) >= deltaMergeAt {
		c.mergeDeltaLocked()
	}
}

func cellCenter(cell uint64) orb.Point {
	ll := h3.Cell(cell).LatLng()
	return orb.Point{ll.Lng, ll.Lat}
}

func (c *Cube) addLocked(p contribution, n int32, center orb.Point) {
	fid, ok := c.ids[len(c.ids)-1][p.cell]
	if !ok {
		if n < 0 {
			return // removing what was never counted
		}
		if center == (orb.Point{}) { // not known when checked under the read lock
			center = cellCenter(p.cell)
		}
		fid = c.newFinestLocked(p.cell, center)
	}
	tid := c.typeIDLocked(p.typ)
	key := packKey(p.flags, fid, tid)
	c.ensureDayLocked(p.day)
	b := &c.days[p.day-c.base]
	if i, found := slices.BinarySearch(b.keys, key); found {
		b.counts[i] += n
		return
	}
	dk := deltaKey{p.day, key}
	if v := c.delta[dk] + n; v != 0 {
		c.delta[dk] = v
	} else {
		delete(c.delta, dk)
	}
}

func (c *Cube) typeIDLocked(code string) uint16 {
	if id, ok := c.typeIDs[code]; ok {
		return id
	}
	if len(c.types) >= math.MaxUint16 {
		panic(fmt.Sprintf("trends: more than %d service types", math.MaxUint16))
	}
	id := uint16(len(c.types))
	c.types = append(c.types, code)
	c.typeIDs[code] = id
	return id
}

// newFinestLocked registers a cell of the finest resolution and its
// ancestors.
func (c *Cube) newFinestLocked(cell uint64, center orb.Point) uint32 {
	last := len(c.cells) - 1
	fid := uint32(len(c.cells[last]))
	c.cells[last] = append(c.cells[last], cell)
	c.ids[last][cell] = fid
	c.centers = append(c.centers, center)
	for k := 0; k < last; k++ {
		p := cellParent(cell, c.minRes+k)
		pid, ok := c.ids[k][p]
		if !ok {
			pid = uint32(len(c.cells[k]))
			c.cells[k] = append(c.cells[k], p)
			c.ids[k][p] = pid
		}
		c.parent[k] = append(c.parent[k], pid)
	}
	return fid
}

func (c *Cube) ensureDayLocked(d int32) {
	if len(c.days) == 0 {
		c.base = d
		c.days = make([]block, 1)
		return
	}
	if d < c.base {
		grown := make([]block, int(c.base-d)+len(c.days))
		copy(grown[c.base-d:], c.days)
		c.days, c.base = grown, d
		return
	}
	if i := int(d - c.base); i >= len(c.days) {
		c.days = append(c.days, make([]block, i-len(c.days)+1)...)
	}
}

// mergeDeltaLocked folds the delta map into the day blocks.
func (c *Cube) mergeDeltaLocked() {
	byDay := map[int32][]kc{}
	for dk, n := range c.delta {
		byDay[dk.day] = append(byDay[dk.day], kc{dk.key, n})
	}
	for d, add := range byDay {
		slices.SortFunc(add, func(a, b kc) int { return cmp.Compare(a.key, b.key) })
		c.ensureDayLocked(d)
		b := &c.days[d-c.base]
		*b = mergeBlock(*b, add)
	}
	clear(c.delta)
}

type kc struct {
	key uint64
	n   int32
}

// mergeBlock merges sorted, key-unique additions into a block, dropping zero
// counts.
func mergeBlock(b block, add []kc) block {
	out := block{keys: make([]uint64, 0, len(b.keys)+len(add)), counts: make([]int32, 0, len(b.keys)+len(add))}
	i, j := 0, 0
	for i < len(b.keys) || j < len(add) {
		var k uint64
		var n int32
		switch {
		case j == len(add) || (i < len(b.keys) && b.keys[i] < add[j].key):
			k, n = b.keys[i], b.counts[i]
			i++
		case i == len(b.keys) || add[j].key < b.keys[i]:
			k, n = add[j].key, add[j].n
			j++
		default:
			k, n = b.keys[i], b.counts[i]+add[j].n
			i++
			j++
		}
		if n != 0 {
			out.keys = append(out.keys, k)
			out.counts = append(out.counts, n)
		}
	}
	return out
}

// Load adds many requests, using every core; it is the start-up path (a
// store scan) and much faster than calling Add for each.
func (c *Cube) Load(rs []*data.Request) {
	l := c.NewLoader()
	for _, r := range rs {
		l.Add(r)
	}
	l.Close()
}

// Loader bulk-loads requests into a cube: feed it from a store scan with
// Add, then Close. Add is not safe for concurrent use; the cube stays
// readable while loading and receives the counts at Close.
type Loader struct {
	c       *Cube
	types   map[string]uint16
	typeSeq []string
	chunk   []loadItem
	work    chan []loadItem
	free    chan []loadItem
	wg      sync.WaitGroup
	workers []*loadWorker
	closed  bool
}

type loadItem struct {
	lat, lon       float64
	h3             uint64
	opened, closed int64 // unix seconds; closed is math.MinInt64 when open
	typ            uint16
	dup            bool
}

type loadWorker struct {
	cells   *cellTable
	recs    []loadRec
	skipped int64
	n       int64
}

type loadRec struct {
	day  int32
	cell uint32 // worker-local cell id
	tf   uint32 // type<<16 | flags
}

const loadChunk = 8192

// NewLoader starts a bulk load with one worker per core.
func (c *Cube) NewLoader() *Loader {
	n := runtime.GOMAXPROCS(0)
	l := &Loader{c: c, types: map[string]uint16{}, work: make(chan []loadItem, n), free: make(chan []loadItem, 2*n+1)}
	for i := 0; i < n; i++ {
		w := &loadWorker{cells: newCellTable(1 << 15)}
		l.workers = append(l.workers, w)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			clock := dayClock{loc: c.loc}
			for items := range l.work {
				w.run(c, items, &clock)
				select {
				case l.free <- items[:0]:
				default:
				}
			}
		}()
	}
	l.chunk = make([]loadItem, 0, loadChunk)
	return l
}

// Add queues a request.
func (l *Loader) Add(r *data.Request) {
	if r == nil {
		return
	}
	t, ok := l.types[r.ServiceCode]
	if !ok {
		t = uint16(len(l.typeSeq))
		l.types[r.ServiceCode] = t
		l.typeSeq = append(l.typeSeq, r.ServiceCode)
	}
	it := loadItem{lat: r.Lat, lon: r.Lon, h3: r.H3, opened: r.RequestedAt.Unix(), closed: math.MinInt64, typ: t, dup: r.Duplicate}
	if ct, ok := closedTime(r); ok {
		it.closed = ct.Unix()
	}
	l.chunk = append(l.chunk, it)
	if len(l.chunk) == loadChunk {
		l.work <- l.chunk
		select {
		case l.chunk = <-l.free:
		default:
			l.chunk = make([]loadItem, 0, loadChunk)
		}
	}
}

func (w *loadWorker) run(c *Cube, items []loadItem, clock *dayClock) {
	if need := len(w.recs) + 2*len(items); need > cap(w.recs) {
		grown := make([]loadRec, len(w.recs), max(need, 2*cap(w.recs)))
		copy(grown, w.recs)
		w.recs = grown
	}
	for i := range items {
		it := &items[i]
		var cell uint64
		switch {
		case validLonLat(it.lon, it.lat):
			cell = latLngToCell(it.lat, it.lon, c.maxRes)
		case it.h3 != 0 && c.maxRes <= cellRes(it.h3):
			cell = cellParent(it.h3, c.maxRes)
		}
		if cell == 0 {
			w.skipped++
			continue
		}
		w.n++
		id := w.cells.id(cell)
		var dup uint32
		if it.dup {
			dup = 1
		}
		tf := uint32(it.typ) << 16
		w.recs = append(w.recs, loadRec{clock.day(it.opened), id, tf | uint32(Opened)<<1 | dup})
		if it.closed != math.MinInt64 {
			w.recs = append(w.recs, loadRec{clock.day(it.closed), id, tf | uint32(Closed)<<1 | dup})
		}
	}
}

// Close waits for the workers and adds their counts to the cube.
func (l *Loader) Close() {
	if l.closed {
		return
	}
	l.closed = true
	if len(l.chunk) > 0 {
		l.work <- l.chunk
	}
	close(l.work)
	l.wg.Wait()
	c := l.c

	// Centres of cells the cube does not know yet, computed outside the lock
	// and in parallel (a cgo call each).
	c.mu.RLock()
	last := len(c.ids) - 1
	var fresh []uint64
	seen := map[uint64]bool{}
	for _, w := range l.workers {
		for _, cell := range w.cells.list {
			if _, ok := c.ids[last][cell]; !ok && !seen[cell] {
				seen[cell] = true
				fresh = append(fresh, cell)
			}
		}
	}
	c.mu.RUnlock()
	centers := make(map[uint64]orb.Point, len(fresh))
	pts := make([]orb.Point, len(fresh))
	parallel(len(fresh), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			pts[i] = cellCenter(fresh[i])
		}
	})
	for i, cell := range fresh {
		centers[cell] = pts[i]
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	typeMap := make([]uint32, len(l.typeSeq))
	for i, code := range l.typeSeq {
		typeMap[i] = uint32(c.typeIDLocked(code))
	}
	minDay, maxDay := int32(math.MaxInt32), int32(math.MinInt32)
	total := 0
	remaps := make([][]uint32, len(l.workers))
	for wi, w := range l.workers {
		c.requests += w.n
		c.skipped += w.skipped
		remap := make([]uint32, len(w.cells.list))
		for i, cell := range w.cells.list {
			fid, ok := c.ids[last][cell]
			if !ok {
				center, ok := centers[cell]
				if !ok {
					center = cellCenter(cell)
				}
				fid = c.newFinestLocked(cell, center)
			}
			remap[i] = fid
		}
		remaps[wi] = remap
		for _, r := range w.recs {
			minDay = min(minDay, r.day)
			maxDay = max(maxDay, r.day)
		}
		total += len(w.recs)
	}
	if total == 0 {
		return
	}
	c.ensureDayLocked(minDay)
	c.ensureDayLocked(maxDay)
	// Counting sort of every record by day into one key array.
	span := int(maxDay-minDay) + 1
	offs := make([]int, span+1)
	for _, w := range l.workers {
		for _, r := range w.recs {
			offs[r.day-minDay+1]++
		}
	}
	for i := 1; i <= span; i++ {
		offs[i] += offs[i-1]
	}
	keys := make([]uint64, total)
	pos := slices.Clone(offs[:span])
	for wi, w := range l.workers {
		remap := remaps[wi]
		for _, r := range w.recs {
			keys[pos[r.day-minDay]] = packKey(uint8(r.tf), remap[r.cell], uint16(typeMap[r.tf>>16]))
			pos[r.day-minDay]++
		}
		w.recs = nil
	}
	// Sort and count each day, merging into the day's block; days are
	// independent, so split them across the cores.
	parallel(span, func(lo, hi int) {
		var add []kc
		for d := lo; d < hi; d++ {
			seg := keys[offs[d]:offs[d+1]]
			if len(seg) == 0 {
				continue
			}
			slices.Sort(seg)
			add = add[:0]
			for i := 0; i < len(seg); {
				j := i + 1
				for j < len(seg) && seg[j] == seg[i] {
					j++
				}
				add = append(add, kc{seg[i], int32(j - i)})
				i = j
			}
			b := &c.days[int(minDay-c.base)+d]
			if len(b.keys) == 0 {
				nb := block{keys: make([]uint64, len(add)), counts: make([]int32, len(add))}
				for i, a := range add {
					nb.keys[i], nb.counts[i] = a.key, a.n
				}
				*b = nb
			} else {
				*b = mergeBlock(*b, add)
			}
		}
	})
	// Delta entries for keys now present in a block move into it.
	for dk, n := range c.delta {
		b := &c.days[dk.day-c.base]
		if i, ok := slices.BinarySearch(b.keys, dk.key); ok {
			b.counts[i] += n
			delete(c.delta, dk)
		}
	}
}

// parallel splits [0,n) into one contiguous range per core.
func parallel(n int, fn func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < 2*p || p == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < p; i++ {
		lo, hi := n*i/p, n*(i+1)/p
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
