package postgis

import (
	"context"
	"fmt"
	"strconv"

	"github.com/geo311/geo311/data"
)

// MVTExtent and MVTBuffer are the tile extent and clipping buffer of
// RequestsMVT, those of package tiles.
const (
	MVTExtent = 4096
	MVTBuffer = 64
)

// MaxMVTZoom is the highest zoom RequestsMVT serves.
const MaxMVTZoom = 24

// mvtFeatureID is tiles.FeatureID in SQL for the numbers it can reverse:
// SRyy-nnnnnnnn -> 1e10 + yy*1e8 + n, CCyy-nnnnnnnn -> 2e10 + ..., Chicago
// legacy yy-nnnnnnnn -> 3e10 + .... Other numbers (tiles hashes them with
// FNV-1a) get no feature id here.
const mvtFeatureID = `CASE
	WHEN r.number ~ '^(SR|CC)[0-9]{2}-[0-9]{8}$' THEN
		(CASE WHEN left(r.number, 1) = 'S' THEN 10000000000 ELSE 20000000000 END)
		+ substr(r.number, 3, 2)::bigint * 100000000 + substr(r.number, 6)::bigint
	WHEN r.number ~ '^[0-9]{2}-[0-9]{8}$' THEN
		30000000000 + substr(r.number, 1, 2)::bigint * 100000000 + substr(r.number, 4)::bigint
	END`

// RequestsMVT encodes the "requests" points layer of tile z/x/y with
// PostGIS's ST_AsMVT and ST_AsMVTGeom, for comparison with the in-process
// tiles package (which serves the map): MVT version 2, extent 4096, buffer
// 64, points clipped to the tile plus buffer. Every request matching f is a
// point feature with tiles' feature id (see mvtFeatureID) and properties
// type (service code), status (open/closed) and age_days (whole days since
// it was received, at least 0, at the transaction's now()); unlike the
// tiles package it never aggregates to hexagons, so a low zoom over a
// large city is a large tile. The filter is always public: ExcludePolice is
// forced (police-related requests and community concerns are never drawn);
// pass Duplicates: data.DuplicatesExclude for tiles' default. f's paging
// and order are ignored. An empty tile is nil.
//
// The tile's rows are found through the GiST index on geom (&& on the
// tile's buffered envelope in WGS 84) and projected to Web Mercator per row.
func (db *DB) RequestsMVT(ctx context.Context, z, x, y int, f data.RequestFilter) ([]byte, error) {
	op := fmt.Sprintf("requests tile %d/%d/%d", z, x, y)
	if z < 0 || z > MaxMVTZoom {
		return nil, fmt.Errorf("postgis: %s: %w", op, data.Invalid("z", "zoom must be between 0 and %d", MaxMVTZoom))
	}
	if n := 1 << z; x < 0 || x >= n || y < 0 || y >= n {
		return nil, fmt.Errorf("postgis: %s: %w", op, data.Invalid("x", "tile x and y must be between 0 and %d at zoom %d", n-1, z))
	}
	f.ExcludePolice = true
	f.Limit, f.Offset = 0, 0
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", op, err)
	}
	q := filterQuery(&f)
	zp, xp, yp := q.arg(int32(z)), q.arg(int32(x)), q.arg(int32(y))
	margin := strconv.FormatFloat(float64(MVTBuffer)/MVTExtent, 'g', -1, 64)
	q.conds = append(q.conds, "r.geom && ST_Transform(ST_TileEnvelope("+zp+", "+xp+", "+yp+", margin => "+margin+"), 4326)")
	sql := `SELECT ST_AsMVT(m, 'requests', ` + strconv.Itoa(MVTExtent) + `, 'geom', 'id') FROM (
		SELECT ` + mvtFeatureID + ` AS id,
			r.service_code AS type,
			geo311_status(r.state) AS status,
			greatest(0, floor(extract(epoch FROM now() - r.requested_at) / 86400))::bigint AS age_days,
			ST_AsMVTGeom(ST_Transform(r.geom, 3857), ST_TileEnvelope(` + zp + `, ` + xp + `, ` + yp + `),
				` + strconv.Itoa(MVTExtent) + `, ` + strconv.Itoa(MVTBuffer) + `, true) AS geom
		FROM requests r` + q.where() + `) m
		WHERE m.geom IS NOT NULL`
	var tile []byte
	if err := db.pool.QueryRow(ctx, sql, q.args...).Scan(&tile); err != nil {
		return nil, wrap(ctx, op, err)
	}
	if len(tile) == 0 {
		return nil, nil
	}
	return tile, nil
}
