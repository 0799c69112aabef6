package tiles

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
	"github.com/uber/h3-go/v4"
)

// Layer names, as they appear in tile URLs and as MVT layer names.
const (
	LayerRequests   = "requests"
	LayerHexbins    = "hexbins"
	LayerBoundaries = "boundaries"
	LayerChronic    = "chronic"
)

// LayerNames lists the layers in URL order.
var layerNames = []string{LayerRequests, LayerHexbins, LayerBoundaries, LayerChronic}

// ParseLayer checks a tile layer name from a URL. An unknown name is
// data.ErrNotFound (HTTP 404) naming the field "layer".
func ParseLayer(s string) (string, error) {
	for _, n := range layerNames {
		if s == n {
			return n, nil
		}
	}
	return "", &data.Error{Kind: data.ErrNotFound, Field: "layer",
		Message: fmt.Sprintf("%q is not a tile layer (requests, hexbins, boundaries, chronic)", clipText(s))}
}

func newLayer(name string) *mvt.Layer {
	return &mvt.Layer{Name: name, Version: 2, Extent: Extent}
}

// RequestsOptions tunes the requests layer.
type RequestsOptions struct {
	// MinPointZoom: below it the layer is always aggregated to hexagons.
	// Default 13.
	MinPointZoom int
	// MaxPoints: a tile whose buffered area holds more matching requests
	// is aggregated to hexagons instead. Default 1000 (orb's encoder costs
	// about 1.5 microseconds per point feature with its three properties,
	// so a point tile stays under about 2 ms).
	MaxPoints int
}

func (o RequestsOptions) withDefaults() RequestsOptions {
	if o.MinPointZoom == 0 {
		o.MinPointZoom = 13
	}
	if o.MaxPoints == 0 {
		o.MaxPoints = 1000
	}
	return o
}

// RequestsLayer builds the "requests" layer of tile t (features in tile
// coordinates, version 2, extent 4096; possibly without features).
//
// At zoom MinPointZoom and above, when the tile with its buffer holds at
// most MaxPoints matching requests, each request is a point feature with id
// FeatureID(number) and properties type (service code), status ("open" or
// "closed") and age_days (whole days from the requested time to now, at
// least 0). Otherwise the requests are aggregated to H3 hexagons of
// HexResolution(z): polygon features with id the H3 index and properties
// count and h3 (the index in hex, since JavaScript numbers cannot hold it).
// Counts are whole-cell counts, so a hexagon cut by a tile edge shows the
// same count in both tiles.
func (ix *RequestIndex) RequestsLayer(t maptile.Tile, f Filter, now time.Time, opt RequestsOptions) *mvt.Layer {
	opt = opt.withDefaults()
	l := newLayer(LayerRequests)
	f = f.normalized()
	if int(t.Z) >= opt.MinPointZoom {
		box := tileBox(t, Buffer)
		recs := make([]record, 0, 256)
		types := ix.pointsLocked(box, f, opt.MaxPoints+1, &recs)
		if len(recs) <= opt.MaxPoints {
			p := newTileProj(t)
			nowNs := now.UnixNano()
			const day = int64(24 * time.Hour)
			l.Features = make([]*geojson.Feature, 0, len(recs))
			for i := range recs {
				r := &recs[i]
				x, y := float64(r.x)+0.5, float64(r.y)+0.5
				pt := p.point(x, y)
				status := "open"
				if r.flags&flagClosed != 0 {
					status = "closed"
				}
				age := int64(0)
				if nowNs > r.t {
					age = (nowNs - r.t) / day
				}
				ft := geojson.NewFeature(pt)
				ft.ID = r.id
				ft.Properties = geojson.Properties{"type": types[r.typ], "status": status, "age_days": age}
				l.Features = append(l.Features, ft)
			}
			return l
		}
	}
	l.Features = hexFeatures(t, ix.hexCounts(t, f), nil)
	return l
}

// pointsLocked copies up to limit matching records inside box into *out
// and returns the type dictionary to read their codes with.
func (ix *RequestIndex) pointsLocked(box wbox, f Filter, limit int, out *[]record) []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	c := ix.compileLocked(f)
	ix.scanLocked(box, coverLevel(box), &c, func(r *record) bool {
		*out = append(*out, *r)
		return len(*out) < limit
	})
	return ix.types[:len(ix.types):len(ix.types)]
}

// hexCounts counts the matching requests by cell of HexResolution(z) for
// every cell that may touch the tile with its buffer.
func (ix *RequestIndex) hexCounts(t maptile.Tile, f Filter) []CellCount {
	res := HexResolution(int(t.Z))
	box := tileBox(t, Buffer)
	return ix.countBox(box.expand(cellMargin(box, res)), res, f)
}

// hexFeatures draws cells clipped to tile t. extra, if set, adds
// properties to a cell's feature.
func hexFeatures(t maptile.Tile, cells []CellCount, extra func(i int, p geojson.Properties)) []*geojson.Feature {
	p := newTileProj(t)
	box := tileBox(t, Buffer)
	var fs []*geojson.Feature
	for i, c := range cells {
		ring := cellRing(c.Cell)
		if !ringBox(ring).intersects(box) {
			continue
		}
		poly := tilePolygon(orb.Polygon{p.ring(ring)})
		if poly == nil {
			continue
		}
		ft := geojson.NewFeature(poly)
		ft.ID = c.Cell
		ft.Properties = geojson.Properties{"count": c.Count, "h3": h3.IndexToString(c.Cell)}
		if extra != nil {
			extra(i, ft.Properties)
		}
		fs = append(fs, ft)
	}
	return fs
}

// HexbinsLayer builds the "hexbins" layer of tile t: H3 cells of
// HexResolution(z) as polygons with id the H3 index and properties count
// and h3, counted by counter (a RequestIndex, or the trends cube through
// the HTTP layer). The counter is asked for the tile's area widened by a
// cell diameter, so cells cut by the tile edge carry whole-cell counts.
func HexbinsLayer(ctx context.Context, t maptile.Tile, counter CellCounter, f Filter) (*mvt.Layer, error) {
	res := HexResolution(int(t.Z))
	box := tileBox(t, Buffer)
	cells, err := counter.CountCells(ctx, boxBound(box.expand(cellMargin(box, res))), res, f.normalized())
	if err != nil {
		return nil, fmt.Errorf("tiles: hexbins: %w", err)
	}
	sortCells(cells)
	l := newLayer(LayerHexbins)
	l.Features = hexFeatures(t, cells, nil)
	return l, nil
}

func sortCells(cs []CellCount) {
	for i := 1; i < len(cs); i++ { // insertion sort: usually sorted already
		for j := i; j > 0 && cs[j].Cell < cs[j-1].Cell; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// ChronicCell is one hot-spot cell for the "chronic" layer (the trends
// package's emerging hot spot analysis, passed as plain values).
type ChronicCell struct {
	Cell     uint64  // H3 index
	Category string  // "new", "consecutive", "intensifying", "persistent", ...
	Z        float64 // Gi* z-score of the latest period
	Count    int     // requests in the cell over the analysed window
}

// Chronic is a prepared set of hot-spot cells, ready to be cut into tiles.
// It is immutable and safe for concurrent use.
type Chronic struct {
	cells []ChronicCell
	rings []orb.Ring // world coordinates
	boxes []wbox
}

// NewChronic prepares cells (invalid H3 indexes are data.Invalid naming
// "cell").
func NewChronic(cells []ChronicCell) (*Chronic, error) {
	c := &Chronic{cells: append([]ChronicCell(nil), cells...)}
	for _, cc := range c.cells {
		if !h3.Cell(cc.Cell).IsValid() {
			return nil, data.Invalid("cell", "%x is not an H3 cell", cc.Cell)
		}
		r := cellRing(cc.Cell)
		c.rings = append(c.rings, r)
		c.boxes = append(c.boxes, ringBox(r))
	}
	return c, nil
}

// Layer builds the "chronic" layer of tile t: each cell as a polygon with id
// the H3 index and properties category, z, count and h3.
func (c *Chronic) Layer(t maptile.Tile) *mvt.Layer {
	l := newLayer(LayerChronic)
	p := newTileProj(t)
	box := tileBox(t, Buffer)
	for i, cc := range c.cells {
		if !c.boxes[i].intersects(box) {
			continue
		}
		poly := tilePolygon(orb.Polygon{p.ring(c.rings[i])})
		if poly == nil {
			continue
		}
		ft := geojson.NewFeature(poly)
		ft.ID = cc.Cell
		z := cc.Z
		if math.IsNaN(z) || math.IsInf(z, 0) {
			z = 0
		}
		ft.Properties = geojson.Properties{"category": cc.Category, "z": math.Round(z*1000) / 1000,
			"count": cc.Count, "h3": h3.IndexToString(cc.Cell)}
		l.Features = append(l.Features, ft)
	}
	return l
}

// Boundaries is a prepared set of areas (of any layers and generations) for
// the "boundaries" layer: projected once, simplified once per zoom (lazily)
// and clipped per tile. Immutable and safe for concurrent use.
type Boundaries struct {
	areas    []boundaryArea
	oneLayer bool
	mu       sync.Mutex
	byZoom   map[maptile.Zoom][]orb.MultiPolygon
}

type boundaryArea struct {
	layer, id, name string
	geom            orb.MultiPolygon // world coordinates
	boxes           []wbox           // per polygon
	box             wbox
}

// simplifyMaxZoom: above it the source geometry is drawn unsimplified (the
// tolerance falls under half a metre).
const simplifyMaxZoom = 17

// NewBoundaries prepares areas for tiles.
func NewBoundaries(areas []data.Area) *Boundaries {
	b := &Boundaries{oneLayer: true, byZoom: map[maptile.Zoom][]orb.MultiPolygon{}}
	for i, a := range areas {
		ba := boundaryArea{layer: string(a.Layer), id: a.ID, name: a.Name}
		ba.box = wbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for _, poly := range a.Geometry {
			var wp orb.Polygon
			for _, r := range poly {
				wr := make(orb.Ring, len(r))
				for k, q := range r {
					x, y := worldXYf(q[0], q[1])
					wr[k] = orb.Point{x, y}
				}
				wp = append(wp, wr)
			}
			if len(wp) == 0 {
				continue
			}
			pb := ringBox(wp[0])
			ba.geom = append(ba.geom, wp)
			ba.boxes = append(ba.boxes, pb)
			ba.box = wbox{math.Min(ba.box.x0, pb.x0), math.Min(ba.box.y0, pb.y0), math.Max(ba.box.x1, pb.x1), math.Max(ba.box.y1, pb.y1)}
		}
		if i > 0 && a.Layer != areas[0].Layer {
			b.oneLayer = false
		}
		b.areas = append(b.areas, ba)
	}
	return b
}

// simplified returns every area's geometry simplified for zoom z with
// Douglas-Peucker at a tolerance of one pixel of a 256-pixel tile (16 tile
// units), in world coordinates.
func (b *Boundaries) simplified(z maptile.Zoom) []orb.MultiPolygon {
	if z > simplifyMaxZoom {
		out := make([]orb.MultiPolygon, len(b.areas))
		for i := range b.areas {
			out[i] = b.areas[i].geom
		}
		return out
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.byZoom[z]; ok {
		return s
	}
	tol := tileSpan(z) / 256
	dp := simplify.DouglasPeucker(tol)
	out := make([]orb.MultiPolygon, len(b.areas))
	for i := range b.areas {
		mp := b.areas[i].geom.Clone()
		// Keep polygon positions aligned with the per-polygon boxes: simplify
		// each polygon alone and keep collapsed ones as nil.
		s := make(orb.MultiPolygon, len(mp))
		for k, poly := range mp {
			sp := dp.Polygon(poly)
			if len(sp) > 0 && len(sp[0]) >= 4 {
				s[k] = sp
			}
		}
		out[i] = s
	}
	b.byZoom[z] = out
	return out
}

// Layer builds the "boundaries" layer of tile t: each area cut by the tile
// as a (multi)polygon with properties layer, id and name. Feature ids are
// the numeric area ids (beat 0834 -> 834) when the set holds one layer and
// the id is all digits; otherwise features carry no id (ids would collide
// across layers).
func (b *Boundaries) Layer(t maptile.Tile) *mvt.Layer {
	l := newLayer(LayerBoundaries)
	box := tileBox(t, Buffer)
	var simp []orb.MultiPolygon
	p := newTileProj(t)
	for i := range b.areas {
		a := &b.areas[i]
		if !a.box.intersects(box) {
			continue
		}
		if simp == nil {
			simp = b.simplified(t.Z)
		}
		var mp orb.MultiPolygon
		for k, poly := range simp[i] {
			if poly == nil || !a.boxes[k].intersects(box) {
				continue
			}
			tp := make(orb.Polygon, len(poly))
			for r := range poly {
				tp[r] = p.ring(poly[r])
			}
			if out := tilePolygon(tp); out != nil {
				mp = append(mp, out)
			}
		}
		if len(mp) == 0 {
			continue
		}
		var g orb.Geometry = mp
		if len(mp) == 1 {
			g = mp[0]
		}
		ft := geojson.NewFeature(g)
		if b.oneLayer {
			if n, err := strconv.ParseUint(a.id, 10, 63); err == nil {
				ft.ID = n
			}
		}
		ft.Properties = geojson.Properties{"layer": a.layer, "id": a.id, "name": a.name}
		l.Features = append(l.Features, ft)
	}
	return l
}
