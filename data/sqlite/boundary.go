package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/geo311/geo311/data"
)

var _ data.BoundaryStore = (*DB)(nil)

// encodedArea is an area ready for INSERT.
type encodedArea struct {
	id, name, props string
	geom            []byte
}

// CreateGeneration stores g and its areas, inactive, in one transaction.
func (db *DB) CreateGeneration(ctx context.Context, g *data.Generation) error {
	if err := validateGeneration(g); err != nil {
		return fmt.Errorf("sqlite: create generation: %w", err)
	}
	// Encode before taking the write lock: the lock is held for I/O only.
	areas := make([]encodedArea, len(g.Areas))
	for i := range g.Areas {
		a := &g.Areas[i]
		geom, err := wkb.Marshal(a.Geometry, binary.LittleEndian)
		if err != nil {
			return fmt.Errorf("sqlite: create generation %q: %w", g.ID, data.Invalid("areas", "area %q: geometry: %v", a.ID, err))
		}
		props, err := encodeProperties(a.Properties)
		if err != nil {
			return fmt.Errorf("sqlite: create generation %q: area %q properties: %w", g.ID, a.ID, err)
		}
		areas[i] = encodedArea{id: a.ID, name: a.Name, props: props, geom: geom}
	}
	loadedAt := g.LoadedAt
	if loadedAt.IsZero() {
		loadedAt = time.Now()
	}

	op := fmt.Sprintf("create generation %q", g.ID)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap(ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	_, err = tx.ExecContext(ctx, `INSERT INTO boundary_generations
    (id, layer, effective_from, active, source, loaded_at, area_count) VALUES (?, ?, ?, 0, ?, ?, ?)`,
		g.ID, string(g.Layer), formatTime(g.EffectiveFrom), g.Source, formatTime(loadedAt), len(areas))
	if isPrimaryKeyViolation(err) {
		return fmt.Errorf("sqlite: %s: %w", op, data.Errorf(data.ErrConflict, "generation %q exists", g.ID))
	}
	if err != nil {
		return wrap(ctx, op, err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO boundary_areas
    (generation_id, area_id, name, properties, geometry) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return wrap(ctx, op, err)
	}
	defer stmt.Close()
	for _, a := range areas {
		if _, err := stmt.ExecContext(ctx, g.ID, a.id, a.name, a.props, a.geom); err != nil {
			return wrap(ctx, fmt.Sprintf("%s: area %q", op, a.id), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap(ctx, op+": commit", err)
	}
	return nil
}

// validateGeneration checks what the store relies on; geometry validity is
// the geo package's business, the store keeps whatever it is given.
func validateGeneration(g *data.Generation) error {
	if g == nil {
		return data.Invalid("generation", "no generation given")
	}
	if g.ID == "" {
		return data.Invalid("id", "generation id is empty")
	}
	if _, err := data.ParseLayer(string(g.Layer)); err != nil {
		return err
	}
	if g.EffectiveFrom.IsZero() || !data.StorableTime(g.EffectiveFrom) {
		return data.Invalid("effective_from", "generation %q: effective date %s is missing or out of range", g.ID, g.EffectiveFrom)
	}
	if !g.LoadedAt.IsZero() && !data.StorableTime(g.LoadedAt) {
		return data.Invalid("loaded_at", "generation %q: load time %s is out of range", g.ID, g.LoadedAt)
	}
	if len(g.Areas) == 0 {
		return data.Invalid("areas", "generation %q has no areas", g.ID)
	}
	seen := make(map[string]int, len(g.Areas))
	for i := range g.Areas {
		a := &g.Areas[i]
		if a.ID == "" {
			return data.Invalid("areas", "generation %q: area %d has an empty id", g.ID, i)
		}
		if a.Layer != g.Layer {
			return data.Invalid("areas", "generation %q of layer %q: area %q is of layer %q", g.ID, g.Layer, a.ID, a.Layer)
		}
		if j, dup := seen[a.ID]; dup {
			return data.Invalid("areas", "generation %q: areas %d and %d share the id %q", g.ID, j, i, a.ID)
		}
		seen[a.ID] = i
	}
	return nil
}

// ActivateGeneration marks a generation active (idempotent).
func (db *DB) ActivateGeneration(ctx context.Context, id string) error {
	return db.setActive(ctx, id, true)
}

// DeactivateGeneration marks a generation inactive (idempotent).
func (db *DB) DeactivateGeneration(ctx context.Context, id string) error {
	return db.setActive(ctx, id, false)
}

func (db *DB) setActive(ctx context.Context, id string, active bool) error {
	op := fmt.Sprintf("deactivate generation %q", id)
	if active {
		op = fmt.Sprintf("activate generation %q", id)
	}
	// SQLite counts every row the WHERE clause matched as changed, whether
	// or not the value differed, so 0 means "no such generation".
	res, err := db.w.ExecContext(ctx, `UPDATE boundary_generations SET active = ? WHERE id = ?`, active, id)
	if err != nil {
		return wrap(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(ctx, op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, data.Errorf(data.ErrNotFound, "generation %q not found", id))
	}
	return nil
}

const generationColumns = `id, layer, effective_from, active, source, loaded_at, area_count`

// Generations lists every generation without its areas.
func (db *DB) Generations(ctx context.Context) ([]*data.Generation, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+generationColumns+`
    FROM boundary_generations ORDER BY layer, effective_from, id`)
	if err != nil {
		return nil, wrap(ctx, "list generations", err)
	}
	gens, err := scanGenerations(rows)
	if err != nil {
		return nil, wrap(ctx, "list generations", err)
	}
	return gens, nil
}

// Generation reads one generation with its areas.
func (db *DB) Generation(ctx context.Context, id string) (*data.Generation, error) {
	op := fmt.Sprintf("read generation %q", id)
	var gens []*data.Generation
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+generationColumns+` FROM boundary_generations WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if gens, err = scanGenerations(rows); err != nil || len(gens) == 0 {
			return err
		}
		return readAreas(ctx, tx, gens[0])
	})
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	if len(gens) == 0 {
		return nil, fmt.Errorf("sqlite: %s: %w", op, data.Errorf(data.ErrNotFound, "generation %q not found", id))
	}
	return gens[0], nil
}

// ActiveGenerations reads every active generation with its areas, from one
// snapshot of the database.
func (db *DB) ActiveGenerations(ctx context.Context) ([]*data.Generation, error) {
	var gens []*data.Generation
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+generationColumns+`
    FROM boundary_generations WHERE active = 1 ORDER BY layer, effective_from, id`)
		if err != nil {
			return err
		}
		if gens, err = scanGenerations(rows); err != nil {
			return err
		}
		for _, g := range gens {
			if err := readAreas(ctx, tx, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(ctx, "read active generations", err)
	}
	return gens, nil
}

// readTx runs fn in a read transaction on a reader connection: every query
// in it sees the same snapshot.
func (db *DB) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func scanGenerations(rows *sql.Rows) ([]*data.Generation, error) {
	defer rows.Close()
	gens := []*data.Generation{}
	for rows.Next() {
		var (
			g            data.Generation
			layer        string
			from, loaded string
		)
		if err := rows.Scan(&g.ID, &layer, &from, &g.Active, &g.Source, &loaded, &g.AreaCount); err != nil {
			return nil, err
		}
		g.Layer = data.Layer(layer)
		var err error
		if g.EffectiveFrom, err = parseTime(from); err != nil {
			return nil, fmt.Errorf("generation %q: %w", g.ID, err)
		}
		if g.LoadedAt, err = parseTime(loaded); err != nil {
			return nil, fmt.Errorf("generation %q: %w", g.ID, err)
		}
		gens = append(gens, &g)
	}
	return gens, rows.Err()
}

// readAreas fills g.Areas, sorted by id.
func readAreas(ctx context.Context, tx *sql.Tx, g *data.Generation) error {
	rows, err := tx.QueryContext(ctx, `SELECT area_id, name, properties, geometry
    FROM boundary_areas WHERE generation_id = ? ORDER BY area_id`, g.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	g.Areas = make([]data.Area, 0, g.AreaCount)
	for rows.Next() {
		a := data.Area{Layer: g.Layer}
		var props string
		var geom sql.RawBytes // decoded before the next row; no copy needed
		if err := rows.Scan(&a.ID, &a.Name, &props, &geom); err != nil {
			return err
		}
		if a.Properties, err = decodeProperties(props); err != nil {
			return fmt.Errorf("generation %q area %q: properties: %w", g.ID, a.ID, err)
		}
		mp, err := decodeMultiPolygon(geom)
		if err != nil {
			return fmt.Errorf("generation %q area %q: geometry: %w", g.ID, a.ID, err)
		}
		a.Geometry = mp
		g.Areas = append(g.Areas, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(g.Areas) != g.AreaCount {
		return fmt.Errorf("generation %q: %d areas stored, %d recorded", g.ID, len(g.Areas), g.AreaCount)
	}
	return nil
}

// decodeMultiPolygon decodes a WKB blob written by CreateGeneration.
func decodeMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	geom, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	mp, ok := geom.(orb.MultiPolygon)
	if !ok {
		return nil, fmt.Errorf("stored geometry is a %s, want MultiPolygon", geom.GeoJSONType())
	}
	return mp, nil
}
