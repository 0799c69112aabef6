package sqlite

import (
	"math/rand/v2"
	"testing"

	"github.com/geo311/geo311/data"
)

// sideTablesMismatch counts the differences between the side tables and
// what the triggers of 0002 derive from the requests rows.
func sideTablesMismatch(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	err := db.r.QueryRowContext(t.Context(), `SELECT
    (SELECT count(*) FROM (
        SELECT j.value ->> 'layer', j.value ->> 'id', r.id FROM requests r, json_each(r.areas) j
        EXCEPT SELECT layer, area_id, request_id FROM request_areas))
  + (SELECT count(*) FROM (
        SELECT layer, area_id, request_id FROM request_areas
        EXCEPT SELECT j.value ->> 'layer', j.value ->> 'id', r.id FROM requests r, json_each(r.areas) j))
  + (SELECT count(*) FROM requests r LEFT JOIN requests_rtree t ON t.id = r.id
        WHERE t.id IS NULL OR abs(t.min_lon - r.lon) > 1e-4 OR abs(t.min_lat - r.lat) > 1e-4)
  + (SELECT count(*) FROM requests_rtree t LEFT JOIN requests r ON r.id = t.id WHERE r.id IS NULL)`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// schemaObjects counts the triggers and indexes of the file.
func schemaObjects(t *testing.T, db *DB) (triggers, indexes int) {
	t.Helper()
	if err := db.r.QueryRowContext(t.Context(), `SELECT
    (SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'),
    (SELECT count(*) FROM sqlite_schema WHERE type = 'index')`).Scan(&triggers, &indexes); err != nil {
		t.Fatal(err)
	}
	return triggers, indexes
}

// TestImportSideTables: ImportRequests suspends the triggers and keeps the
// R*Tree and request_areas itself; after inserts, updates with moved points
// and changed areas, repeats within a batch and the bulk path that rebuilds
// indexes, the side tables match the rows exactly, the triggers and indexes
// are back, and the counts are right.
func TestImportSideTables(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.bulkIndexMin = 500 // exercise the index rebuild with a small batch
	triggers, indexes := schemaObjects(t, db)

	rng := rand.New(rand.NewPCG(11, 12))
	first := synthRequests(rng, 0, 1000) // bulk path: empty table
	ins, upd, err := db.ImportRequests(ctx, first)
	if err != nil || ins != 1000 || upd != 0 {
		t.Fatalf("first import: %d inserted, %d updated, %v; want 1000, 0", ins, upd, err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after first import: %d side-table rows differ", n)
	}

	// Second batch: 100 updates (moved, re-routed) plus 100 new, and one
	// number listed twice (the last listing wins): incremental path.
	var second []*data.Request
	for i := range 100 {
		r := cloneRequest(first[i*7])
		r.Lon, r.Lat = r.Lon+0.01, r.Lat-0.01
		r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "9999", Generation: "beat@x"}}
		second = append(second, r)
	}
	second = append(second, synthRequests(rng, 1000, 100)...)
	again := cloneRequest(second[0])
	again.Description = "last listing"
	second = append(second, again)
	ins, upd, err = db.ImportRequests(ctx, second)
	if err != nil || ins != 100 || upd != 101 {
		t.Fatalf("second import: %d inserted, %d updated, %v; want 100, 101", ins, upd, err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after second import: %d side-table rows differ", n)
	}
	if got, want := countOf(t, db, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "9999"}}}), 100; got != want {
		t.Errorf("requests in beat 9999: %d, want %d", got, want)
	}
	r, err := db.Request(ctx, again.Number)
	if err != nil || r.Description != "last listing" {
		t.Errorf("repeated number: %v, %v; want the last listing", r, err)
	}
	if tr, ix := schemaObjects(t, db); tr != triggers || ix != indexes {
		t.Errorf("after imports: %d triggers, %d indexes; want %d, %d", tr, ix, triggers, indexes)
	}

	// The restored triggers keep working for the other write paths.
	moved := first[1]
	if _, err := db.UpdateRequest(ctx, moved.Number, func(r *data.Request) ([]data.Note, error) {
		r.Lon += 0.02
		r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerWard, ID: "77", Generation: "ward@x"})
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after UpdateRequest: %d side-table rows differ", n)
	}

	// Importing the same batch again changes nothing but counts updates.
	ins, upd, err = db.ImportRequests(ctx, second[100:200])
	if err != nil || ins != 0 || upd != 100 {
		t.Fatalf("re-import: %d inserted, %d updated, %v; want 0, 100", ins, upd, err)
	}
	if n := sideTablesMismatch(t, db); n != 0 {
		t.Fatalf("after re-import: %d side-table rows differ", n)
	}
}

func countOf(t *testing.T, db *DB, f data.RequestFilter) int {
	t.Helper()
	n, err := db.CountRequests(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
