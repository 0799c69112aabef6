package sqlite

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// sectorPlan is the plan of a sector filter (migration 0008): the sector's
// beats, a range of requests_beat, and its irregular rows, in
// requests_sector_irregular.
const sectorPlan = "MULTI-INDEX OR | INDEX 1 | SEARCH r USING INDEX requests_beat (beat>? AND beat<?) | " +
	"INDEX 2 | SEARCH r USING INDEX requests_sector_irregular (sector=?)"

// TestAreaFilterPlans checks that area filters search their layer's column
// index (0005), the beat index and requests_sector_irregular for a sector
// (0008), or request_areas for a custom layer, before and after ANALYZE:
// SQLite must not walk requests_requested (or, before migration 0007,
// requests_status) over every request when a filter also asks for open
// ones.
func TestAreaFilterPlans(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	rs := synthRequests(rand.New(rand.NewPCG(7, 8)), 0, 3000)
	for i, r := range rs {
		if i%10 == 0 {
			r.Areas = append(r.Areas, data.AreaRef{Layer: "ssa", ID: "23", Generation: "ssa@x"})
		}
		// Sectors routed from the beat, and every 20th one that is not
		// its beat's prefix.
		sector := r.Areas[0].ID[:3]
		if i%20 == 1 {
			sector = "010"
		}
		r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerSector, ID: sector, Generation: "sector@x"})
	}
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	beat := data.AreaRef{Layer: data.LayerBeat, ID: "0101"}
	ward := data.AreaRef{Layer: data.LayerWard, ID: "7"}
	sector := data.AreaRef{Layer: data.LayerSector, ID: "010"}
	for _, stats := range []bool{false, true} {
		if stats {
			if _, err := db.w.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name string
			f    data.RequestFilter
			want string
		}{
			{"beat, newest first", data.RequestFilter{Areas: []data.AreaRef{beat}, Limit: 100}, "SEARCH r USING INDEX requests_beat (beat=?)"},
			{"ward in a window", data.RequestFilter{Areas: []data.AreaRef{ward}, From: start, To: start.Add(24 * time.Hour)},
				"SEARCH r USING INDEX requests_ward (ward=? AND requested_at>? AND requested_at<?)"},
			{"open in a beat", data.RequestFilter{Areas: []data.AreaRef{beat}, Status: "open", Limit: 100}, "SEARCH r USING INDEX requests_beat (beat=?)"},
			{"sector, newest first", data.RequestFilter{Areas: []data.AreaRef{sector}, Limit: 100}, sectorPlan},
			{"open in a sector", data.RequestFilter{Areas: []data.AreaRef{sector}, Status: "open", Limit: 100}, sectorPlan},
			{"sector, oldest first", data.RequestFilter{Areas: []data.AreaRef{sector}, Ascending: true}, sectorPlan},
			{"open in a ward and beat", data.RequestFilter{Areas: []data.AreaRef{ward, beat}, Status: "open"}, "SEARCH r USING INDEX requests_"},
			{"custom layer", data.RequestFilter{Areas: []data.AreaRef{{Layer: "ssa", ID: "23"}}, Limit: 10},
				"SEARCH request_areas USING PRIMARY KEY (layer=? AND area_id=?)"},
		} {
			p := queryPlan(t, db.r, &tc.f)
			if !strings.Contains(p, tc.want) || strings.Contains(p, "requests_requested") || strings.Contains(p, "SCAN r") {
				t.Errorf("statistics %v, %s: plan %q, want %q", stats, tc.name, p, tc.want)
			}
		}
	}
}
