package postgis

import (
	"context"
	"fmt"
	"math"
	"strings"
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
// generation in force and the area chosen by the routing rule. The probe
// (lon+T, lat-T) is computed by the caller. COALESCE evaluates the second
// sub-select only when the first finds nothing.
const locateSQL = `
WITH pts AS MATERIALIZED (
	SELECT * FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[], $5::timestamptz[])
		WITH ORDINALITY AS p(lon, lat, qlon, qlat, at, n)
), lyr AS MATERIALIZED (
	SELECT * FROM unnest($6::text[]) WITH ORDINALITY AS l(layer, ord)
)
SELECT p.n, l.ord, g.id, c.area_id, a.name
FROM lyr l
CROSS JOIN pts p
CROSS JOIN LATERAL (
	SELECT gg.id FROM generations gg
	WHERE gg.layer = l.layer AND gg.active AND gg.effective_from <= p.at
	ORDER BY gg.effective_from DESC, gg.id COLLATE "C" DESC
	LIMIT 1
) g
CROSS JOIN LATERAL (
	SELECT COALESCE(
		(SELECT s.id FROM areas s
		 WHERE s.generation_id = g.id AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(p.qlon, p.qlat), 4326))
		 ORDER BY s.id COLLATE "C" LIMIT 1),
		(SELECT s.id FROM areas s
		 WHERE s.generation_id = g.id AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
		 ORDER BY s.id COLLATE "C" LIMIT 1)
	) AS area_id
) c
JOIN areas a ON a.generation_id = g.id AND a.id = c.area_id
`

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
	var layers []string
	for _, spec := range j.Layers {
		if spec.DerivedFrom == "" {
			layers = append(layers, string(spec.Layer))
		}
	}
	// Valid points go to the database; idx maps query rows back.
	n := 0
	lon, lat := make([]float64, 0, len(pts)), make([]float64, 0, len(pts))
	qlon, qlat := make([]float64, 0, len(pts)), make([]float64, 0, len(pts))
	ats := make([]time.Time, 0, len(pts))
	idx := make([]int, 0, len(pts))
	for i, p := range pts {
		if err := checkPoint(p.Lon, p.Lat); err != nil {
			out[i].Err = err
			continue
		}
		lon, lat = append(lon, p.Lon), append(lat, p.Lat)
		qlon, qlat = append(qlon, p.Lon+TieTolerance), append(qlat, p.Lat-TieTolerance)
		ats = append(ats, p.At)
		idx = append(idx, i)
		n++
	}
	// found[k][layer ordinal] for valid point k.
	type hit struct {
		gen, id, name string
		ok            bool
	}
	found := make([][]hit, n)
	if n > 0 && len(layers) > 0 {
		rows, err := db.pool.Query(ctx, locateSQL, lon, lat, qlon, qlat, ats, layers)
		if err != nil {
			return nil, wrap(ctx, "locate", err)
		}
		var pn, ord int64
		var h hit
		for rows.Next() {
			if err := rows.Scan(&pn, &ord, &h.gen, &h.id, &h.name); err != nil {
				rows.Close()
				return nil, wrap(ctx, "locate", err)
			}
			k := int(pn - 1)
			if found[k] == nil {
				found[k] = make([]hit, len(layers))
			}
			h.ok = true
			found[k][ord-1] = h
		}
		if err := rows.Err(); err != nil {
			return nil, wrap(ctx, "locate", err)
		}
	}

	for k, hits := range found {
		i := idx[k]
		if hits == nil {
			out[i].Err = outside(j)
			continue
		}
		direct := make(map[data.Layer]data.AreaRef, len(layers))
		for o, h := range hits {
			if h.ok {
				l := data.Layer(layers[o])
				direct[l] = data.AreaRef{Layer: l, ID: h.id, Name: h.name, Generation: h.gen}
			}
		}
		areas := make([]data.AreaRef, 0, len(j.Layers))
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
		out[i].Areas = areas
	}
	return out, nil
}

// derive answers a derived layer (police sector from beat) from the answer of
// its source layer: the first three characters of the source area's id
// (Chicago beats are DDSB: district, sector, beat) and the source
// generation's id with the derived layer's name.
func derive(layer data.Layer, src data.AreaRef) (data.AreaRef, bool) {
	if len(src.ID) < 3 {
		return data.AreaRef{}, false
	}
	_, date, ok := strings.Cut(src.Generation, "@")
	if !ok {
		return data.AreaRef{}, false
	}
	return data.AreaRef{Layer: layer, ID: src.ID[:3], Generation: string(layer) + "@" + date}, true
}

// outside is the error for a point in no area of any layer.
func outside(j *data.Jurisdiction) error {
	msg := j.OutsideMessage
	if msg == "" {
		msg = fmt.Sprintf("the point is outside %s", j.Name)
	}
	return data.Errorf(data.ErrOutsideJurisdiction, "%s", msg)
}
