package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/geo311/geo311/data"
)

var _ data.BoundaryStore = (*DB)(nil)

// srid of every stored geometry: WGS84 lon/lat.
const srid = 4326

// validateGeneration checks what CreateGeneration stores, naming the area at
// fault.
func validateGeneration(g *data.Generation) error {
	if g == nil {
		return data.Invalid("generation", "no generation given")
	}
	if g.ID == "" {
		return data.Invalid("id", "a generation needs an id")
	}
	if _, err := data.ParseLayer(string(g.Layer)); err != nil {
		return err
	}
	if g.EffectiveFrom.IsZero() {
		return data.Invalid("effective_from", "generation %q has no effective date", g.ID)
	}
	if len(g.Areas) == 0 {
		return data.Invalid("areas", "generation %q has no areas", g.ID)
	}
	seen := make(map[string]int, len(g.Areas))
	for i, a := range g.Areas {
		if a.ID == "" {
			return data.Invalid("areas", "area %d of generation %q has no id", i, g.ID)
		}
		if j, dup := seen[a.ID]; dup {
			return data.Invalid("areas", "areas %d and %d of generation %q share the id %q", j, i, g.ID, a.ID)
		}
		seen[a.ID] = i
		if a.Layer != g.Layer {
			return data.Invalid("areas", "area %d (%q) has layer %q in a generation of layer %q", i, a.ID, a.Layer, g.Layer)
		}
		if len(a.Geometry) == 0 {
			return data.Invalid("areas", "area %d (%q) has no polygon", i, a.ID)
		}
		for p, poly := range a.Geometry {
			if len(poly) == 0 {
				return data.Invalid("areas", "area %d (%q): polygon %d has no ring", i, a.ID, p)
			}
			for r, ring := range poly {
				if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
					return data.Invalid("areas", "area %d (%q): ring %d of polygon %d is not a closed ring of at least 4 points", i, a.ID, r, p)
				}
				for _, pt := range ring {
					if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) {
						return data.Invalid("areas", "area %d (%q): ring %d of polygon %d has a non-finite coordinate", i, a.ID, r, p)
					}
				}
			}
		}
	}
	return nil
}

// CreateGeneration stores g and its areas, inactive, in one transaction: all
// or nothing. ErrConflict if a generation with g.ID exists; ErrInvalid for
// malformed input. g is not modified.
func (db *DB) CreateGeneration(ctx context.Context, g *data.Generation) error {
	if err := validateGeneration(g); err != nil {
		return err
	}
	rows := make([][]any, len(g.Areas))
	for i, a := range g.Areas {
		geom, err := ewkb.Marshal(a.Geometry, srid)
		if err != nil {
			return data.Invalid("areas", "area %d (%q): cannot encode the geometry: %v", i, a.ID, err)
		}
		props := []byte("{}")
		if len(a.Properties) > 0 {
			if props, err = json.Marshal(a.Properties); err != nil {
				return fmt.Errorf("postgis: encode properties of area %q: %w", a.ID, err)
			}
		}
		rows[i] = []any{g.ID, string(g.Layer), a.ID, a.Name, string(props), geom}
	}
	var loadedAt *time.Time
	if !g.LoadedAt.IsZero() {
		loadedAt = &g.LoadedAt
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return wrap(ctx, "create generation", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, `INSERT INTO generations (id, layer, effective_from, active, source, loaded_at)
		VALUES ($1, $2, $3, false, $4, COALESCE($5::timestamptz, now()))
		ON CONFLICT (id) DO NOTHING`,
		g.ID, string(g.Layer), g.EffectiveFrom, g.Source, loadedAt)
	if err != nil {
		return wrap(ctx, "create generation "+g.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return data.Errorf(data.ErrConflict, "generation %q exists", g.ID)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"areas"},
		[]string{"generation_id", "layer", "id", "name", "properties", "geom"},
		pgx.CopyFromRows(rows)); err != nil {
		return wrap(ctx, "create generation "+g.ID+": copy areas", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO area_parts (generation_id, id, geom)
		SELECT generation_id, id, geo311_area_parts(geom) FROM areas WHERE generation_id = $1`, g.ID); err != nil {
		return wrap(ctx, "create generation "+g.ID+": cut areas into parts", err)
	}
	// Commit only while the caller still waits, and then without
	// interruption: a commit cut short by the context could be applied by
	// the server yet reported as failed.
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "create generation "+g.ID, err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		return wrap(ctx, "create generation "+g.ID+": commit", err)
	}
	return nil
}

// ActivateGeneration marks a generation active (idempotent). ErrNotFound if
// there is none.
func (db *DB) ActivateGeneration(ctx context.Context, id string) error {
	return db.setActive(ctx, id, true)
}

// DeactivateGeneration marks a generation inactive (idempotent). ErrNotFound
// if there is none.
func (db *DB) DeactivateGeneration(ctx context.Context, id string) error {
	return db.setActive(ctx, id, false)
}

func (db *DB) setActive(ctx context.Context, id string, active bool) error {
	tag, err := db.pool.Exec(ctx, "UPDATE generations SET active = $2 WHERE id = $1", id, active)
	if err != nil {
		op := "activate"
		if !active {
			op = "deactivate"
		}
		return wrap(ctx, op+" generation "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return data.Errorf(data.ErrNotFound, "generation %q not found", id)
	}
	return nil
}

const generationColumns = `g.id, g.layer, g.effective_from, g.active, g.source, g.loaded_at,
	(SELECT count(*) FROM areas a WHERE a.generation_id = g.id)`

const generationOrder = `ORDER BY g.layer COLLATE "C", g.effective_from, g.id COLLATE "C"`

func scanGeneration(row pgx.Row) (*data.Generation, error) {
	var g data.Generation
	var layer string
	var count int64
	if err := row.Scan(&g.ID, &layer, &g.EffectiveFrom, &g.Active, &g.Source, &g.LoadedAt, &count); err != nil {
		return nil, err
	}
	g.Layer = data.Layer(layer)
	g.AreaCount = int(count)
	return &g, nil
}

// Generations lists every generation without areas, ordered by layer
// (byte-wise), effective date, then id.
func (db *DB) Generations(ctx context.Context) ([]*data.Generation, error) {
	return db.listGenerations(ctx, "list generations", "SELECT "+generationColumns+" FROM generations g "+generationOrder)
}

func (db *DB) listGenerations(ctx context.Context, op, sql string, args ...any) ([]*data.Generation, error) {
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	gens, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*data.Generation, error) { return scanGeneration(r) })
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	return gens, nil
}

// Generation reads one generation with its areas (sorted by id, byte-wise).
// ErrNotFound if there is none.
func (db *DB) Generation(ctx context.Context, id string) (*data.Generation, error) {
	gens, err := db.listGenerations(ctx, "read generation "+id, "SELECT "+generationColumns+" FROM generations g WHERE g.id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(gens) == 0 {
		return nil, data.Errorf(data.ErrNotFound, "generation %q not found", id)
	}
	if err := db.readAreas(ctx, gens); err != nil {
		return nil, err
	}
	return gens[0], nil
}

// ActiveGenerations reads every active generation with its areas, ordered
// like Generations.
func (db *DB) ActiveGenerations(ctx context.Context) ([]*data.Generation, error) {
	gens, err := db.listGenerations(ctx, "list active generations",
		"SELECT "+generationColumns+" FROM generations g WHERE g.active "+generationOrder)
	if err != nil {
		return nil, err
	}
	if err := db.readAreas(ctx, gens); err != nil {
		return nil, err
	}
	return gens, nil
}

// readAreas fills the areas of gens. Areas never change once created, so a
// second statement reads exactly the areas counted by the first.
func (db *DB) readAreas(ctx context.Context, gens []*data.Generation) error {
	if len(gens) == 0 {
		return nil
	}
	ids := make([]string, len(gens))
	byID := make(map[string]*data.Generation, len(gens))
	for i, g := range gens {
		ids[i] = g.ID
		byID[g.ID] = g
		g.Areas = make([]data.Area, 0, g.AreaCount)
	}
	rows, err := db.pool.Query(ctx, `SELECT generation_id, id, name, properties::text, ST_AsBinary(geom)
		FROM areas WHERE generation_id = ANY($1) ORDER BY generation_id, id COLLATE "C"`, ids)
	if err != nil {
		return wrap(ctx, "read areas", err)
	}
	defer rows.Close()
	var genID, props string
	var geom []byte
	for rows.Next() {
		var a data.Area
		if err := rows.Scan(&genID, &a.ID, &a.Name, &props, &geom); err != nil {
			return wrap(ctx, "read areas", err)
		}
		g := byID[genID]
		a.Layer = g.Layer
		if props != "{}" {
			if err := json.Unmarshal([]byte(props), &a.Properties); err != nil {
				return fmt.Errorf("postgis: properties of area %q of %q: %w", a.ID, genID, err)
			}
			if len(a.Properties) == 0 {
				a.Properties = nil
			}
		}
		geometry, err := wkb.Unmarshal(geom)
		if err != nil {
			return fmt.Errorf("postgis: geometry of area %q of %q: %w", a.ID, genID, err)
		}
		mp, ok := geometry.(orb.MultiPolygon)
		if !ok {
			return fmt.Errorf("postgis: geometry of area %q of %q is a %s", a.ID, genID, geometry.GeoJSONType())
		}
		a.Geometry = mp
		g.Areas = append(g.Areas, a)
	}
	if err := rows.Err(); err != nil {
		return wrap(ctx, "read areas", err)
	}
	for _, g := range gens {
		if len(g.Areas) != g.AreaCount {
			return fmt.Errorf("postgis: generation %q: read %d areas, counted %d", g.ID, len(g.Areas), g.AreaCount)
		}
	}
	return nil
}
