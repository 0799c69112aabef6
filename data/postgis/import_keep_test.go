package postgis

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/geo311/geo311/data"
)

// variedRequests are synthetic requests with the cases the partial
// indexes' predicates tell apart: a precinct, a custom layer, two beats,
// an area with an empty id, no areas, a parent, a sector that is not a
// prefix of the beat.
func variedRequests(n, from int) []*data.Request {
	rs := synthRequests(n, from)
	for i, r := range rs {
		switch i % 7 {
		case 0:
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerPrecinct, ID: fmt.Sprint(i % 5), Generation: "precinct@2020-01-01"})
		case 1:
			r.Areas = append(r.Areas, data.AreaRef{Layer: "zone", ID: fmt.Sprint("Z", i%3), Generation: "zone@2020-01-01"})
		case 2:
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerBeat, ID: "9999", Generation: "beat@2012-12-19"})
		case 3:
			r.Areas = []data.AreaRef{{Layer: data.LayerWard, ID: "", Generation: "ward@2023-05-15"}}
		case 4:
			r.Areas = nil
		case 5:
			r.ParentNumber = ""
		case 6:
			r.Areas[1].ID = "9" + r.Areas[1].ID // a sector its beat does not start with
		}
	}
	return rs
}

// TestPartialIndexRows: partialIndexRows knows every partial index of
// requests, and each of its functions says of every request what the
// index's SQL predicate says of the stored row.
func TestPartialIndexRows(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	rs := variedRequests(700, 0)
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	rows, err := db.pool.Query(ctx, `SELECT c.relname, pg_get_expr(i.indpred, i.indrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'requests'::regclass AND i.indpred IS NOT NULL ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	preds := map[string]string{}
	for rows.Next() {
		var name, pred string
		if err := rows.Scan(&name, &pred); err != nil {
			t.Fatal(err)
		}
		preds[name] = pred
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for name := range partialIndexRows {
		if _, ok := preds[name]; !ok {
			t.Errorf("partialIndexRows names %s, which is not a partial index of requests", name)
		}
	}
	for name, pred := range preds {
		in, ok := partialIndexRows[name]
		if !ok {
			t.Errorf("partial index %s (%s) is missing from partialIndexRows", name, pred)
			continue
		}
		var sql []string
		if err := db.pool.QueryRow(ctx, `SELECT coalesce(array_agg(number ORDER BY number), '{}') FROM requests WHERE `+pred).Scan(&sql); err != nil {
			t.Fatal(err)
		}
		var goRows []string
		for _, r := range rs {
			if in(r) {
				goRows = append(goRows, r.Number)
			}
		}
		slices.Sort(goRows)
		if !slices.Equal(sql, goRows) {
			t.Errorf("%s (%s): %d rows in SQL, %d in Go", name, pred, len(sql), len(goRows))
		}
		if len(sql) == 0 || len(sql) == len(rs) {
			t.Errorf("%s: %d of %d rows: the fixture does not tell the predicate apart", name, len(sql), len(rs))
		}
	}
}

// TestImportKeepsUnusedPartialIndexes: the bulk path keeps the partial
// indexes no row of its first chunk belongs to (in place: the same index,
// not rebuilt; on a shadow table: made before the rows) and rebuilds the
// others; rows of later chunks that belong to a kept index are found.
func TestImportKeepsUnusedPartialIndexes(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		t.Run(fmt.Sprintf("inPlace=%v", inPlace), func(t *testing.T) { testImportKeepsUnusedPartialIndexes(t, inPlace) })
	}
}

func testImportKeepsUnusedPartialIndexes(t *testing.T, inPlace bool) {
	db := openDB(t)
	ctx := context.Background()
	oids := func() map[string]uint32 {
		t.Helper()
		rows, err := db.pool.Query(ctx, `SELECT c.relname, c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			WHERE i.indrelid = 'requests'::regclass`)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]uint32{}
		for rows.Next() {
			var name string
			var oid uint32
			if err := rows.Scan(&name, &oid); err != nil {
				t.Fatal(err)
			}
			m[name] = oid
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := oids()
	plain := synthRequests(3_000, 0) // no precinct, no custom layer
	later := variedRequests(1_000, 3_000)
	all := append(slices.Clone(plain), later...)
	ins, _, err := db.importSeq(ctx, func(yield func(*data.Request, error) bool) {
		for _, r := range all {
			if !yield(r, nil) {
				return
			}
		}
	}, importConfig{chunk: 3_000, bulkMin: 3_000, ratio: 0.2, inPlace: inPlace})
	if err != nil || ins != len(all) {
		t.Fatalf("imported %d of %d: %v", ins, len(all), err)
	}
	after := oids()
	if len(after) != len(before) {
		t.Fatalf("indexes before %v, after %v", before, after)
	}
	for _, name := range []string{"requests_precinct", "requests_custom_areas"} {
		if inPlace && after[name] != before[name] {
			t.Errorf("%s was rebuilt; no row of the first chunk belongs to it", name)
		}
	}
	for _, name := range []string{"requests_beat", "requests_requested", "requests_geom", "requests_parent"} {
		if after[name] == before[name] {
			t.Errorf("%s was kept; the bulk path rebuilds it", name)
		}
	}
	for _, a := range []data.AreaRef{{Layer: data.LayerPrecinct, ID: "3"}, {Layer: "zone", ID: "Z1"}} {
		var want []string
		for _, r := range later {
			if slices.ContainsFunc(r.Areas, func(x data.AreaRef) bool { return x.Layer == a.Layer && x.ID == a.ID }) {
				want = append(want, r.Number)
			}
		}
		numbers := filterNumbers(t, db, data.RequestFilter{Areas: []data.AreaRef{a}, Ascending: true})
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(numbers, want) {
			t.Errorf("%s=%s: %d requests, want %d", a.Layer, a.ID, len(numbers), len(want))
		}
	}
}
