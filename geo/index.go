package geo

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
)

// TieTolerance is the distance, in degrees, by which a point is extended
// south and east before it is located (CPD General Order G01-04: an incident
// on a boundary centre line belongs to the unit found by extending it to the
// south and east curb lines). 1e-6 degrees is about 0.11 m north-south and
// 0.08 m east-west at Chicago's latitude: well under a street's half width,
// well above coordinate noise.
const TieTolerance = 1e-6 // degrees

// maxLayers bounds the layers of one index so a lookup keeps its state on
// the stack.
const maxLayers = 32

// sectorPrefix is the length of a sector id within a beat id (DDSB -> DDS).
const sectorPrefix = 3

// Index answers "which area of every layer covers this point on this date".
// It is immutable once built and safe for concurrent use.
type Index struct {
	j          *data.Jurisdiction
	gens       []*data.Generation
	layers     []layerIndex
	outsideErr error
	// frame is the cell geometry shared by every layer's grid.
	frame frame
	// base lists the positions of the layers with their own grids.
	base []int
	// epochs, sorted by start: the spans of time in which the set of
	// generations in force does not change.
	epochs []epoch
}

// epoch is a span of time with a fixed generation per layer, and a combined
// cell table over all base layers: a cell uniform in every layer answers
// every layer with one load (a tuple of area positions); any other cell
// points to a record of the layers' own cell words.
type epoch struct {
	from    time.Time
	gen     [maxLayers]int32 // generation position per layer, -1 if none
	cells   []uint32
	tuples  []int32  // stride len(base)
	records []uint32 // stride len(base)
}

type layerIndex struct {
	layer   data.Layer
	title   string
	derived bool
	src     int // for a derived layer: position of the source layer
	gens    []genIndex
}

type genIndex struct {
	id    string
	from  time.Time
	gen   *data.Generation // nil for a derived generation
	grid  *grid
	areas []data.Area // sorted by id
	refs  []data.AreaRef
	byID  map[string]int
	// toDerived maps a source area to the derived area (derived layers only).
	toDerived []int32
}

// NewIndex builds the index of jurisdiction j from its active generations.
// A layer may have several generations (Chicago's wards of 2003, 2015 and
// 2023); a lookup at time t uses the one with the latest EffectiveFrom not
// after t. Layers of j with DerivedFrom set (sector from beat) are derived:
// their areas come from DeriveSectors over each source generation, so
// generations of a derived layer are refused. Generations of layers that j
// does not list are custom layers, answered after j's layers in name order.
func NewIndex(j *data.Jurisdiction, gens []*data.Generation) (*Index, error) {
	if j == nil {
		return nil, fmt.Errorf("geo: new index: nil jurisdiction")
	}
	ix := &Index{j: j, outsideErr: data.Errorf(data.ErrOutsideJurisdiction, "%s", outsideMessage(j))}
	pos := map[data.Layer]int{}
	for _, s := range j.Layers {
		if _, dup := pos[s.Layer]; dup {
			return nil, data.Errorf(data.ErrInvalid, "jurisdiction %s lists layer %q twice", j.ID, s.Layer)
		}
		pos[s.Layer] = len(ix.layers)
		ix.layers = append(ix.layers, layerIndex{layer: s.Layer, title: s.Title, derived: s.DerivedFrom != ""})
	}
	var custom []data.Layer
	seen := map[string]bool{}
	for _, g := range gens {
		if g == nil {
			return nil, fmt.Errorf("geo: new index: nil generation")
		}
		if !g.Active {
			return nil, data.Errorf(data.ErrInvalid, "generation %s is not active: the index is built from active generations", g.ID)
		}
		if seen[g.ID] {
			return nil, data.Errorf(data.ErrInvalid, "generation %s is given twice", g.ID)
		}
		seen[g.ID] = true
		if _, err := data.ParseLayer(string(g.Layer)); err != nil {
			return nil, err
		}
		if _, ok := pos[g.Layer]; !ok && !slices.Contains(custom, g.Layer) {
			custom = append(custom, g.Layer)
		}
	}
	slices.Sort(custom)
	for _, l := range custom {
		pos[l] = len(ix.layers)
		ix.layers = append(ix.layers, layerIndex{layer: l, title: string(l)})
	}
	if len(ix.layers) > maxLayers {
		return nil, data.Errorf(data.ErrInvalid, "jurisdiction %s has %d layers, at most %d are supported", j.ID, len(ix.layers), maxLayers)
	}
	for i, s := range j.Layers {
		if s.DerivedFrom == "" {
			continue
		}
		src, ok := pos[s.DerivedFrom]
		if !ok || ix.layers[src].derived {
			return nil, data.Errorf(data.ErrInvalid, "layer %s is derived from %q, which is not a loaded base layer", s.Layer, s.DerivedFrom)
		}
		ix.layers[i].src = src
	}
	// One frame for all layers: the union of their bounds, cells sized for
	// the generation with the most edges.
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	maxEdges := 0
	for _, g := range gens {
		n := 0
		for _, a := range g.Areas {
			if err := checkMultiPolygon(a.Geometry); err != nil {
				return nil, data.Errorf(data.ErrInvalid, "generation %s: area %q: %v", g.ID, a.ID, err)
			}
			bound = bound.Union(a.Geometry.Bound())
			for _, p := range a.Geometry {
				for _, r := range p {
					n += len(r)
				}
			}
		}
		maxEdges = max(maxEdges, n)
	}
	ix.frame = newFrame(bound, maxEdges)
	for _, g := range gens {
		li := &ix.layers[pos[g.Layer]]
		if li.derived {
			return nil, data.Errorf(data.ErrInvalid, "generation %s: layer %s is derived from %s; load %s generations instead", g.ID, g.Layer, ix.layers[li.src].layer, ix.layers[li.src].layer)
		}
		gi, err := newGenIndex(g, ix.frame)
		if err != nil {
			return nil, err
		}
		for _, o := range li.gens {
			if o.from.Equal(gi.from) {
				return nil, data.Errorf(data.ErrInvalid, "generations %s and %s of layer %s start at the same time", o.id, g.ID, g.Layer)
			}
		}
		li.gens = append(li.gens, gi)
	}
	for i := range ix.layers {
		li := &ix.layers[i]
		slices.SortFunc(li.gens, func(a, b genIndex) int { return a.from.Compare(b.from) })
	}
	for i := range ix.layers {
		li := &ix.layers[i]
		if !li.derived {
			continue
		}
		for k := range ix.layers[li.src].gens {
			li.gens = append(li.gens, deriveGenIndex(li.layer, &ix.layers[li.src].gens[k]))
		}
	}
	ix.buildEpochs()
	ix.gens = make([]*data.Generation, 0, len(gens))
	for _, li := range ix.layers {
		for _, g := range li.gens {
			if g.gen != nil {
				ix.gens = append(ix.gens, g.gen)
			}
		}
	}
	return ix, nil
}

func outsideMessage(j *data.Jurisdiction) string {
	if j.OutsideMessage != "" {
		return j.OutsideMessage
	}
	name := j.Name
	if name == "" {
		name = j.ID
	}
	return "the location is outside " + name
}

func newGenIndex(g *data.Generation, f frame) (genIndex, error) {
	gi := genIndex{id: g.ID, from: g.EffectiveFrom, gen: g, byID: make(map[string]int, len(g.Areas))}
	gi.areas = slices.Clone(g.Areas)
	slices.SortFunc(gi.areas, func(a, b data.Area) int { return strings.Compare(a.ID, b.ID) })
	for i := range gi.areas {
		a := &gi.areas[i]
		if a.ID == "" {
			return gi, data.Errorf(data.ErrInvalid, "generation %s: area %d has no id", g.ID, i)
		}
		if i > 0 && gi.areas[i-1].ID == a.ID {
			return gi, data.Errorf(data.ErrInvalid, "generation %s: duplicate area id %q", g.ID, a.ID)
		}
		if a.Layer != "" && a.Layer != g.Layer {
			return gi, data.Errorf(data.ErrInvalid, "generation %s: area %q is of layer %q", g.ID, a.ID, a.Layer)
		}
		gi.byID[a.ID] = i
	}
	gi.refs = makeRefs(g.Layer, g.ID, gi.areas)
	geoms := make([]orb.MultiPolygon, len(gi.areas))
	for i := range gi.areas {
		geoms[i] = gi.areas[i].Geometry
	}
	gi.grid = newGrid(geoms, f)
	return gi, nil
}

func makeRefs(l data.Layer, genID string, areas []data.Area) []data.AreaRef {
	refs := make([]data.AreaRef, len(areas))
	for i, a := range areas {
		refs[i] = data.AreaRef{Layer: l, ID: a.ID, Name: a.Name, Generation: genID}
	}
	return refs
}

// deriveGenIndex builds the derived (sector) generation of a source (beat)
// generation: id "<layer>@<date of the source>", areas dissolved by id prefix.
func deriveGenIndex(l data.Layer, src *genIndex) genIndex {
	id := string(l) + "@" + src.id[strings.IndexByte(src.id, '@')+1:]
	if !strings.Contains(src.id, "@") {
		id = string(l) + "@" + src.id
	}
	areas := DeriveSectors(src.areas)
	for i := range areas {
		areas[i].Layer = l
	}
	gi := genIndex{id: id, from: src.from, areas: areas, byID: map[string]int{}, toDerived: make([]int32, len(src.areas))}
	for i, a := range areas {
		gi.byID[a.ID] = i
	}
	for i, a := range src.areas {
		gi.toDerived[i] = -1
		if len(a.ID) > sectorPrefix {
			if k, ok := gi.byID[a.ID[:sectorPrefix]]; ok {
				gi.toDerived[i] = int32(k)
			}
		}
	}
	gi.refs = makeRefs(l, id, areas)
	return gi
}

// genAt returns the position of the generation in force at t, or -1.
func (li *layerIndex) genAt(t time.Time) int {
	for k := len(li.gens) - 1; k >= 0; k-- {
		if !li.gens[k].from.After(t) {
			return k
		}
	}
	return -1
}

// Jurisdiction returns the jurisdiction the index was built for.
func (ix *Index) Jurisdiction() *data.Jurisdiction { return ix.j }

// Generations returns the generations the index was built from, by layer
// (in answer order) then EffectiveFrom. Derived generations are not listed.
// The slice must not be modified.
func (ix *Index) Generations() []*data.Generation { return ix.gens }

// Layers returns the layers the index answers, in answer order.
func (ix *Index) Layers() []data.Layer {
	ls := make([]data.Layer, len(ix.layers))
	for i, l := range ix.layers {
		ls[i] = l.layer
	}
	return ls
}

// CheckPoint validates a longitude and latitude: finite and in range. The
// error wraps data.ErrInvalid and names the field ("lon" or "lat").
func CheckPoint(lon, lat float64) error {
	if math.IsNaN(lat) || math.IsInf(lat, 0) {
		return data.Invalid("lat", "must be a finite number")
	}
	if math.IsNaN(lon) || math.IsInf(lon, 0) {
		return data.Invalid("lon", "must be a finite number")
	}
	if lat < -90 || lat > 90 {
		return data.Invalid("lat", "must be between -90 and 90, got %v", lat)
	}
	if lon < -180 || lon > 180 {
		return data.Invalid("lon", "must be between -180 and 180, got %v", lon)
	}
	return nil
}

// Locate returns the area of every layer covering the point (lon, lat) at
// time t (the zero time means now), in layer order, following the tie rule:
// per layer the point extended by TieTolerance to the south-east decides,
// then the point itself; among several covering areas the smallest id wins.
// It fails with data.ErrInvalid for a bad coordinate and with
// data.ErrOutsideJurisdiction (message: the jurisdiction's OutsideMessage)
// when no layer has an area there.
func (ix *Index) Locate(lon, lat float64, t time.Time) ([]data.AreaRef, error) {
	var buf [8]data.AreaRef
	refs, err := ix.LocateInto(lon, lat, t, buf[:0])
	if err != nil {
		return nil, err
	}
	return slices.Clone(refs), nil
}

// LocateInto is Locate appending to dst, for hot paths and batches: it does
// not allocate when dst has room for one AreaRef per layer. On error dst is
// returned unchanged.
func (ix *Index) LocateInto(lon, lat float64, t time.Time, dst []data.AreaRef) ([]data.AreaRef, error) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return dst, CheckPoint(lon, lat)
	}
	if t.IsZero() {
		t = time.Now()
	}
	var hits [maxLayers]hit
	ix.locate(lon, lat, t, &hits)
	n := len(dst)
	for i := range ix.layers {
		h := hits[i]
		if h.area >= 0 {
			dst = append(dst, ix.layers[i].gens[h.gen].refs[h.area])
		}
	}
	if len(dst) == n {
		return dst, ix.outsideErr
	}
	return dst, nil
}

// hit is one layer's answer: positions of the generation and of the area.
type hit struct{ gen, area int32 }

// locate fills hits[i] for every layer i (area -1: none).
func (ix *Index) locate(lon, lat float64, t time.Time, hits *[maxLayers]hit) {
	for i := range ix.layers {
		hits[i] = hit{-1, -1}
	}
	e := ix.epochAt(t)
	if e == nil {
		return
	}
	// The point extended south-east decides; layers it leaves without an
	// area ask the point itself.
	if ix.probe(e, lon+TieTolerance, lat-TieTolerance, hits) > 0 {
		ix.probe(e, lon, lat, hits)
	}
	for i := range ix.layers {
		li := &ix.layers[i]
		if !li.derived {
			continue
		}
		if h := hits[li.src]; h.area >= 0 {
			// Derived generations mirror the source's, position for position.
			if d := li.gens[h.gen].toDerived[h.area]; d >= 0 {
				hits[i] = hit{h.gen, d}
			}
		}
	}
}

// epochAt returns the epoch in force at t, or nil before the first.
func (ix *Index) epochAt(t time.Time) *epoch {
	for k := len(ix.epochs) - 1; k >= 0; k-- {
		if !ix.epochs[k].from.After(t) {
			return &ix.epochs[k]
		}
	}
	return nil
}

// probe answers, at (x, y), every base layer that has a generation in e and
// no answer in hits yet. It returns how many such layers remain unanswered.
func (ix *Index) probe(e *epoch, x, y float64, hits *[maxLayers]hit) int {
	nb := len(ix.base)
	missing := 0
	c := ix.frame.cell(x, y)
	if c < 0 {
		for _, li := range ix.base {
			if e.gen[li] >= 0 && hits[li].area < 0 {
				missing++
			}
		}
		return missing
	}
	w := e.cells[c]
	k0 := int(w&cellMask) * nb
	if w&^cellMask == cellUniform {
		tup := e.tuples[k0 : k0+nb]
		for k, li := range ix.base {
			g := e.gen[li]
			if g < 0 || hits[li].area >= 0 {
				continue
			}
			if a := tup[k]; a >= 0 {
				hits[li] = hit{g, a}
			} else {
				missing++
			}
		}
		return missing
	}
	rec := e.records[k0 : k0+nb]
	// Start every layer's cache miss before resolving any.
	var sink float64
	for k, li := range ix.base {
		if g := e.gen[li]; g >= 0 {
			sink += ix.layers[li].gens[g].grid.touch(rec[k])
		}
	}
	if sink < 0 {
		return missing // never: keeps the loads
	}
	for k, li := range ix.base {
		g := e.gen[li]
		if g < 0 || hits[li].area >= 0 {
			continue
		}
		if a := ix.layers[li].gens[g].grid.resolve(rec[k], x, y); a >= 0 {
			hits[li] = hit{g, int32(a)}
		} else {
			missing++
		}
	}
	return missing
}

// buildEpochs cuts time at every generation start of a base layer and builds
// each epoch's combined cell table.
func (ix *Index) buildEpochs() {
	for i, li := range ix.layers {
		if !li.derived {
			ix.base = append(ix.base, i)
		}
	}
	var starts []time.Time
	for _, i := range ix.base {
		for _, g := range ix.layers[i].gens {
			starts = append(starts, g.from)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	starts = slices.CompactFunc(starts, func(a, b time.Time) bool { return a.Equal(b) })
	nb := len(ix.base)
	for _, from := range starts {
		e := epoch{from: from}
		for i := range e.gen {
			e.gen[i] = -1
		}
		var grids []*grid
		for _, li := range ix.base {
			k := ix.layers[li].genAt(from)
			e.gen[li] = int32(k)
			if k >= 0 {
				grids = append(grids, ix.layers[li].gens[k].grid)
			} else {
				grids = append(grids, nil)
			}
		}
		ncell := ix.frame.nx * ix.frame.ny
		e.cells = make([]uint32, ncell)
		tupleID := map[[maxLayers]int32]uint32{}
		var words [maxLayers]uint32
		for c := 0; c < ncell; c++ {
			uniform := true
			var key [maxLayers]int32
			for k, g := range grids {
				words[k] = cellEmpty
				key[k] = -1
				if g == nil {
					continue
				}
				w := g.cells[c]
				words[k] = w
				switch w &^ cellMask {
				case cellUniform:
					key[k] = int32(w & cellMask)
				case cellMixed:
					uniform = false
				}
			}
			if uniform {
				id, ok := tupleID[key]
				if !ok {
					id = uint32(len(e.tuples) / max(nb, 1))
					tupleID[key] = id
					e.tuples = append(e.tuples, key[:nb]...)
				}
				e.cells[c] = cellUniform | id
				continue
			}
			e.cells[c] = cellMixed | uint32(len(e.records)/nb)
			e.records = append(e.records, words[:nb]...)
		}
		ix.epochs = append(ix.epochs, e)
	}
}

// Area returns the area of a layer with the given id in the generation in
// force at t (the zero time means now), and that generation's id. The area
// must not be modified.
func (ix *Index) Area(layer data.Layer, id string, t time.Time) (*data.Area, string, bool) {
	if t.IsZero() {
		t = time.Now()
	}
	for i := range ix.layers {
		li := &ix.layers[i]
		if li.layer != layer {
			continue
		}
		k := li.genAt(t)
		if k < 0 {
			return nil, "", false
		}
		g := &li.gens[k]
		a, ok := g.byID[id]
		if !ok {
			return nil, "", false
		}
		return &g.areas[a], g.id, true
	}
	return nil, "", false
}

// Areas returns every area of a layer in the generation in force at t, sorted
// by id, and the generation's id. The slice must not be modified.
func (ix *Index) Areas(layer data.Layer, t time.Time) ([]data.Area, string, bool) {
	if t.IsZero() {
		t = time.Now()
	}
	for i := range ix.layers {
		li := &ix.layers[i]
		if li.layer != layer {
			continue
		}
		if k := li.genAt(t); k >= 0 {
			return li.gens[k].areas, li.gens[k].id, true
		}
	}
	return nil, "", false
}
