package postgis

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestCustomAreasFunction: geo311_custom_areas (migration 0006) drops
// exactly the layers that have their own column (areaColumns), so that a
// custom-layer filter finds every request routed to that layer and the
// partial GIN index holds no row of a city without custom layers.
func TestCustomAreasFunction(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	custom := func(areas string) string {
		t.Helper()
		var out string
		if err := db.pool.QueryRow(ctx, `SELECT geo311_custom_areas($1::jsonb)::text`, areas).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for layer := range areaColumns {
		if got := custom(`[{"layer": "` + string(layer) + `", "id": "1", "generation": "g"}]`); got != "[]" {
			t.Errorf("layer %s (a column) is a custom area: %s", layer, got)
		}
	}
	for _, layer := range []string{"zone", "Beat", "beats", "police_district", "aldermanic"} {
		if got := custom(`[{"layer": "beat", "id": "0111"}, {"layer": "` + layer + `", "id": "7"}]`); got != `[{"id": "7", "layer": "`+layer+`"}]` {
			t.Errorf("layer %s (no column): custom areas %s", layer, got)
		}
	}
	if got := custom(`[]`); got != "[]" {
		t.Errorf("no areas: %s", got)
	}
	// The partial index's predicate: true for every row with a custom area.
	for _, tc := range []struct {
		areas                                      string
		beat, sector, district, ward, ca, precinct string
		want                                       bool
	}{
		{`[]`, "", "", "", "", "", "", false},
		{`[{"layer": "beat", "id": "0111"}, {"layer": "district", "id": "01"}]`, "0111", "", "01", "", "", "", false},
		{`[{"layer": "beat", "id": "0111"}, {"layer": "zone", "id": "Z1"}]`, "0111", "", "", "", "", "", true},
		{`[{"layer": "zone", "id": "Z1"}]`, "", "", "", "", "", "", true},
		{`[{"layer": "beat", "id": "0111"}, {"layer": "sector", "id": "011"}, {"layer": "district", "id": "01"}, {"layer": "ward", "id": "2"},
			{"layer": "community_area", "id": "32"}, {"layer": "precinct", "id": "5"}, {"layer": "zone", "id": "Z1"}]`, "0111", "011", "01", "2", "32", "5", true},
		// Two beats: the second one only in areas; harmlessly indexed.
		{`[{"layer": "beat", "id": "0111"}, {"layer": "beat", "id": "0112"}]`, "0111", "", "", "", "", "", true},
	} {
		var got bool
		if err := db.pool.QueryRow(ctx, `SELECT geo311_has_custom_areas($1::jsonb, $2, $3, $4, $5, $6, $7)`,
			tc.areas, tc.beat, tc.sector, tc.district, tc.ward, tc.ca, tc.precinct).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("geo311_has_custom_areas(%s, ...) = %v, want %v", tc.areas, got, tc.want)
		}
	}
}

// TestStatusThroughState: a status filter (answered through state since
// migration 0006) finds a request of every state under the status the
// generated column gives it.
func TestStatusThroughState(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	want := map[string][]string{}
	for i, st := range allStates {
		if _, err := data.ParseState(string(st)); err != nil {
			t.Fatalf("allStates lists %q: %v", st, err)
		}
		in := intakeAt(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour), loopLat+float64(i)*0.01)
		in.Request.State, in.Decide = st, nil
		r, _, err := db.CreateRequest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var status string
		if err := db.pool.QueryRow(ctx, `SELECT status FROM requests WHERE number = $1`, r.Number).Scan(&status); err != nil {
			t.Fatal(err)
		}
		want[status] = append(want[status], r.Number)
	}
	if len(want["open"]) != 4 || len(want["closed"]) != 2 {
		t.Fatalf("generated status per state: %v", want)
	}
	for status, numbers := range want {
		for _, cells := range [][]uint64{nil, {0x892664c1a8fffff}} { // both forms of the condition
			rs, err := db.Requests(ctx, data.RequestFilter{Status: status, Cells: cells, Ascending: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Number)
			}
			if !slices.Equal(got, numbers) {
				t.Errorf("status %s: %v, want %v", status, got, numbers)
			}
		}
	}
}
