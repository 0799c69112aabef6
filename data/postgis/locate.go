package postgis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
)

// TieTolerance is the distance in degrees by which a point is extended to the
// south and east before the areas covering it are looked up (CPD G01-04). It
// equals geo.TieTolerance; the comparison test checks that.
const TieTolerance = 1e-6

// Point is one point to route with LocateBatch, at its own date.
type Point struct {
	Lon, Lat float64
	At       time.Time
}

// Located is the answer for one point of a batch: its areas, or an error
// (data.ErrOutsideJurisdiction, data.ErrInvalid for bad coordinates).
type Located struct {
	Areas []data.AreaRef
	Err   error
}

// locateSQL answers, for every point and every non-derived layer, the
// generation in force and the area chosen by the routing rule.
//
//   - gi lists the active generations of every layer but the derived ones
//     ($6), with the interval of time each is in force: from its
//     effective_from to the next one's (equal effective_from, which
//     geo.NewIndex refuses: the one with the greater id in byte order
//     wins, the other's interval is empty).
//   - The probe (lon+T, lat-T) is computed by the caller in float64.
//   - The areas are tested through area_parts, their pieces of at most 64
//     vertices (migration 0002): an area covers a point exactly when one of
//     its pieces does.
//   - COALESCE evaluates the second sub-select (the point itself) only when
//     the first (the probe) finds nothing; OFFSET 0 keeps the planner from
//     inlining the COALESCE into the join below, which would evaluate it
//     several times per row.
const locateSQL = `
WITH pts AS MATERIALIZED (
	SELECT * FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[], $5::timestamptz[])
		WITH ORDINALITY AS p(lon, lat, qlon, qlat, at, n)
), gi AS MATERIALIZED (
	SELECT g.layer, g.id, g.effective_from AS since,
		lead(g.effective_from) OVER (PARTITION BY g.layer ORDER BY g.effective_from, g.id COLLATE "C") AS until
	FROM generations g
	WHERE g.active AND g.layer <> ALL ($6::text[])
)
SELECT c.n, c.layer, c.gen, a.id, a.name
FROM (
	SELECT p.n, g.layer, g.id AS gen, COALESCE(
		(SELECT s.id FROM area_parts s
		 WHERE s.generation_id = g.id AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(p.qlon, p.qlat), 4326))
		 ORDER BY s.id COLLATE "C" LIMIT 1),
		(SELECT s.id FROM area_parts s
		 WHERE s.generation_id = g.id AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
		 ORDER BY s.id COLLATE "C" LIMIT 1)
	) AS area_id
	FROM gi g
	JOIN pts p ON p.at >= g.since AND (g.until IS NULL OR p.at < g.until)
	OFFSET 0
) c
JOIN areas a ON a.generation_id = c.gen AND a.id = c.area_id
`

// hit is the area of one layer found for one point.
type hit struct {
	layer, gen, id, name string
}

// Batches are cut into chunks of batchChunk points, of which up to
// batchParallel run at once, each on its own connection.
const (
	batchChunk    = 5000
	batchParallel = 2
)

// locateChunk runs locateSQL for the points pts[idx[k]] and fills found[k]
// with the hits of the layers that have an area there (nil when none has);
// derived names the layers not to look up.
func (db *DB) locateChunk(ctx context.Context, pts []Point, idx []int, derived []string, now time.Time, found [][]hit) error {
	n := len(idx)
	lon, lat := make([]float64, n), make([]float64, n)
	qlon, qlat := make([]float64, n), make([]float64, n)
	ats := make([]time.Time, n)
	for k, i := range idx {
		p := pts[i]
		lon[k], lat[k] = p.Lon, p.Lat
		// The probe: the point extended south and east (CPD G01-04).
		qlon[k], qlat[k] = p.Lon+TieTolerance, p.Lat-TieTolerance
		ats[k] = p.At
		if p.At.IsZero() {
			ats[k] = now
		}
	}
	rows, err := db.pool.Query(ctx, locateSQL, lon, lat, qlon, qlat, ats, derived)
	if err != nil {
		return wrap(ctx, "locate", err)
	}
	defer rows.Close()
	var pn int64
	var h hit
	for rows.Next() {
		if err := rows.Scan(&pn, &h.layer, &h.gen, &h.id, &h.name); err != nil {
			return wrap(ctx, "locate", err)
		}
		k := int(pn - 1)
		found[k] = append(found[k], h)
	}
	if err := rows.Err(); err != nil {
		return wrap(ctx, "locate", err)
	}
	return nil
}

// checkPoint validates coordinates like geo.Router does.
func checkPoint(lon, lat float64) error {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return data.Invalid("lat", "must be a number between -90 and 90")
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return data.Invalid("lon", "must be a number between -180 and 180")
	}
	return nil
}

// Locate routes one point at a date to the areas of every layer of j, with
// the same rule and answer as geo.Index.Locate (see the package doc), in one
// SQL round trip. A point in no area of any layer gives an error of kind
// data.ErrOutsideJurisdiction carrying j.OutsideMessage.
func (db *DB) Locate(ctx context.Context, j *data.Jurisdiction, lon, lat float64, at time.Time) ([]data.AreaRef, error) {
	res, err := db.LocateBatch(ctx, j, []Point{{Lon: lon, Lat: lat, At: at}})
	if err != nil {
		return nil, err
	}
	return res[0].Areas, res[0].Err
}

// LocateBatch routes many points, each at its own date, in one query: the
// answer for pts[i] is in result[i]. Per-point problems (outside, invalid
// coordinates) are in Located.Err; the returned error is for the query as a
// whole.
func (db *DB) LocateBatch(ctx context.Context, j *data.Jurisdiction, pts []Point) ([]Located, error) {
	if j == nil {
		return nil, data.Invalid("jurisdiction", "no jurisdiction given")
	}
	out := make([]Located, len(pts))
	derived := []string{}
	listed := make(map[data.Layer]bool, len(j.Layers))
	for _, spec := range j.Layers {
		listed[spec.Layer] = true
		if spec.DerivedFrom != "" {
			derived = append(derived, string(spec.Layer))
		}
	}
	// Valid points go to the database; idx maps query rows back.
	idx := make([]int, 0, len(pts))
	for i, p := range pts {
		if err := checkPoint(p.Lon, p.Lat); err != nil {
			out[i].Err = err
			continue
		}
		idx = append(idx, i)
	}
	found := make([][]hit, len(idx))
	if len(idx) > 0 {
		// Large batches run as chunks on several connections at once.
		// The first failure cancels the other chunks and is the one
		// returned.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var once sync.Once
		var firstErr error
		sem := make(chan struct{}, batchParallel)
		var wg sync.WaitGroup
		now := time.Now()
		for lo := 0; lo < len(idx) && cctx.Err() == nil; lo += batchChunk {
			hi := min(lo+batchChunk, len(idx))
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := db.locateChunk(cctx, pts, idx[lo:hi], derived, now, found[lo:hi]); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			})
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		if err := ctx.Err(); err != nil {
			return nil, wrap(ctx, "locate", err)
		}
	}

	for k, hits := range found {
		i := idx[k]
		if len(hits) == 0 {
			out[i].Err = outside(j)
			continue
		}
		out[i].Areas = assemble(j, listed, hits)
	}
	return out, nil
}

// assemble orders the hits of one point like geo.Index: the jurisdiction's
// layers in its order (derived layers computed from their source), then the
// layers it does not list (custom layers), by name.
func assemble(j *data.Jurisdiction, listed map[data.Layer]bool, hits []hit) []data.AreaRef {
	direct := make(map[data.Layer]data.AreaRef, len(hits))
	var custom []data.AreaRef
	for _, h := range hits {
		ref := data.AreaRef{Layer: data.Layer(h.layer), ID: h.id, Name: h.name, Generation: h.gen}
		if listed[ref.Layer] {
			direct[ref.Layer] = ref
		} else {
			custom = append(custom, ref)
		}
	}
	areas := make([]data.AreaRef, 0, len(j.Layers)+len(custom))
	for _, spec := range j.Layers {
		if spec.DerivedFrom != "" {
			if ref, ok := derive(spec.Layer, direct[spec.DerivedFrom]); ok {
				areas = append(areas, ref)
			}
			continue
		}
		if ref, ok := direct[spec.Layer]; ok {
			areas = append(areas, ref)
		}
	}
	slices.SortFunc(custom, func(a, b data.AreaRef) int { return strings.Compare(string(a.Layer), string(b.Layer)) })
	return append(areas, custom...)
}

// sectorPrefix is the length of a sector id within a beat id (DDSB -> DDS).
const sectorPrefix = 3

// derive answers a derived layer (police sector from beat) from the answer of
// its source layer, like geo: the first three characters of a source id
// longer than three (Chicago beats are DDSB: district, sector, beat) and the
// source generation's id with the derived layer's name ("sector@2012-12-19").
func derive(layer data.Layer, src data.AreaRef) (data.AreaRef, bool) {
	if len(src.ID) <= sectorPrefix {
		return data.AreaRef{}, false
	}
	gen := string(layer) + "@" + src.Generation
	if _, date, ok := strings.Cut(src.Generation, "@"); ok {
		gen = string(layer) + "@" + date
	}
	return data.AreaRef{Layer: layer, ID: src.ID[:sectorPrefix], Generation: gen}, true
}

// outside is the error for a point in no area of any layer.
func outside(j *data.Jurisdiction) error {
	msg := j.OutsideMessage
	if msg == "" {
		msg = fmt.Sprintf("the point is outside %s", j.Name)
	}
	return data.Errorf(data.ErrOutsideJurisdiction, "%s", msg)
}
