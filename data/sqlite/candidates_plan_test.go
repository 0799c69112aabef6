package sqlite

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestIntakeCandidatesPlan checks the plan of the HTTP intake's dedupe
// candidates (cells, a time window, open) before and after ANALYZE: a
// store that never ran ANALYZE (the usual case) must also search
// requests_h3_requested by cell and time, not walk requests_requested
// over every request of the window (the open status is a row test since
// migration 0007).
func TestIntakeCandidatesPlan(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if _, _, err := db.ImportRequests(ctx, synthRequests(rand.New(rand.NewPCG(5, 6)), 0, 3000)); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	f := data.RequestFilter{Cells: []uint64{0x0890000000000000 | 5<<20, 0x0890000000000000 | 6<<20, 0x0890000000000000 | 7<<20},
		From: start, To: start.Add(30 * 24 * time.Hour), Status: "open"}
	const want = "SEARCH r USING INDEX requests_h3_requested (h3=? AND requested_at>? AND requested_at<?)"
	for _, stats := range []bool{false, true} {
		if stats {
			if _, err := db.w.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		if p := queryPlan(t, db.w, &f); !strings.Contains(p, want) || strings.Contains(p, "requests_requested") {
			t.Errorf("statistics %v: plan %q, want %q", stats, p, want)
		}
	}
}

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of the request query of f
// on q, its details joined by " | ".
func queryPlan(t testing.TB, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, f *data.RequestFilter) string {
	t.Helper()
	w, args := where(f)
	ol, oargs := orderLimit(f)
	rows, err := q.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+selectColumns+from(f)+w+ol, append(args, oargs...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, " | ")
}
