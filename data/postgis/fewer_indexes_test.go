package postgis

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestCustomAreasColumn: geo311_custom_areas (migration 0006; migration
// 0007 filled custom_areas of the rows stored with it) drops exactly the
// layers that have their own column (areaColumns), and custom_areas as the
// store writes it (customAreas) is its answer, NULL when empty: a
// custom-layer filter finds every request routed to that layer and the
// partial GIN index holds no row of a city without custom layers.
func TestCustomAreasColumn(t *testing.T) {
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
	// custom_areas (migration 0007), written by Go, is the function's
	// answer for the same areas; NULL where it is empty.
	rs := variedRequests(14, 0)
	rs[0].Areas = append(rs[0].Areas, data.AreaRef{Layer: "zone", ID: `Z<"&\x`, Name: "Zone \u00e9", Generation: "zone@1"},
		data.AreaRef{Layer: "Beat", ID: "7"}, data.AreaRef{Layer: data.LayerWard, ID: "8"})
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	var wrong []string
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(array_agg(number), '{}') FROM requests
		WHERE custom_areas IS DISTINCT FROM nullif(geo311_custom_areas(areas::jsonb), '[]'::jsonb)`).Scan(&wrong); err != nil {
		t.Fatal(err)
	}
	if len(wrong) > 0 {
		t.Errorf("custom_areas differs from geo311_custom_areas(areas) in %v", wrong)
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM requests WHERE custom_areas IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 2 || n == len(rs) {
		t.Errorf("%d of %d rows have custom areas: the fixture does not tell them apart", n, len(rs))
	}
}

// TestStatusThroughState: a status filter (answered through state since
// migration 0006) finds a request of every state under the status
// geo311_status (migration 0007, which dropped the generated column) gives
// it.
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
		if err := db.pool.QueryRow(ctx, `SELECT geo311_status(state) FROM requests WHERE number = $1`, r.Number).Scan(&status); err != nil {
			t.Fatal(err)
		}
		want[status] = append(want[status], r.Number)
	}
	if len(want["open"]) != 4 || len(want["closed"]) != 2 {
		t.Fatalf("status per state: %v", want)
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

func TestPrefixSuccessor(t *testing.T) {
	for _, tc := range []struct {
		p, want string
		ok      bool
	}{
		{"011", "012", true},
		{"01z", "01{", true},
		{"0\x7f", "0\u0080", true},
		{"é", "ê", true},
		{"a\uD7FF", "a\uE000", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF\U0010FFFF", "", false},
		{"", "", false},
	} {
		got, ok := prefixSuccessor(tc.p)
		if got != tc.want || ok != tc.ok {
			t.Errorf("prefixSuccessor(%q) = %q, %v; want %q, %v", tc.p, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSectorThroughBeat: the sector filter (migration 0008: the beat
// index's key range, and the partial index of rows whose sector is not a
// prefix of their beat) finds exactly the rows whose sector column is the
// id, whatever their beat.
func TestSectorThroughBeat(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	type row struct{ beat, sector string }
	rows := []row{
		{"0111", "011"}, {"0112", "011"}, {"011", "011"}, // regular
		{"", "011"}, {"0211", "011"}, {"01", "011"}, // irregular
		{"0119", "012"}, {"0110", ""}, {"011", "01"}, {"0120", "012"}, // other sectors or none
		{"é12", "é1"}, {"é2", "é1"}, {"é1\U0010FFFF", "é1"}, {"ê1", "ê"}, // beyond ASCII
	}
	rs := synthRequests(len(rows), 0)
	for i, w := range rows {
		var as []data.AreaRef
		if w.beat != "" {
			as = append(as, data.AreaRef{Layer: data.LayerBeat, ID: w.beat})
		}
		if w.sector != "" {
			as = append(as, data.AreaRef{Layer: data.LayerSector, ID: w.sector})
		}
		rs[i].Areas = as
	}
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for _, sector := range []string{"011", "012", "01", "é1", "ê", "0", "013"} {
		var want []string
		for i, w := range rows {
			if w.sector == sector {
				want = append(want, rs[i].Number)
			}
		}
		numbers := filterNumbers(t, db, data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerSector, ID: sector}}, Ascending: true})
		slices.Sort(want)
		if !slices.Equal(numbers, want) {
			t.Errorf("sector %q: %v, want %v", sector, numbers, want)
		}
	}
}
