package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// candidateFields are the fields data.Intake promises on every candidate
// Decide sees, formatted for comparison.
func candidateFields(r *data.Request) string {
	return fmt.Sprintf("number=%s kind=%s code=%s name=%q state=%s lon=%v lat=%v h3=%x address=%q description=%q requested=%s updated=%s closed=%s duplicate=%t parent=%s duplicates=%d me_too=%d",
		r.Number, r.Kind, r.ServiceCode, r.ServiceName, r.State, r.Lon, r.Lat, r.H3, r.Address, r.Description,
		fmtTime(r.RequestedAt), fmtTime(r.UpdatedAt), fmtTime(r.ClosedAt), r.Duplicate, r.ParentNumber, r.DuplicateCount, r.MeToo)
}

// testRequestDecideCandidateFields: Decide's candidates carry, equal to the
// stored requests, every field deduplication reads (a primary with a
// duplicate count and "me too"s, its duplicate, a closed request), whatever
// else a store leaves out.
func testRequestDecideCandidateFields(t *testing.T, s data.Store) {
	primary := simpleRequest("PHF", t2026.Add(-3*time.Hour))
	primary.Address, primary.Description, primary.MeToo = "121 N LaSalle St", "deep pothole in the bus lane", 2
	primary.Attributes = map[string][]string{"WHERE": {"STREET"}}
	primary.Contact = data.Contact{Email: "resident@example.org"}
	primary.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "0111", Generation: "beat@2012"}}
	primary = mustCreateRequest(t, s, data.Intake{Request: primary, Notes: []data.Note{createdNote(primary.RequestedAt)}})
	dup := dedupeIntake("PHF", t2026.Add(-2*time.Hour), "same hole")
	dup.Request.Address, dup.Request.Description = "125 N LaSalle St", "pothole again"
	stored := mustCreateRequest(t, s, dup)
	if stored.ParentNumber != primary.Number {
		t.Fatalf("fixture: the second request joined %q, want %s", stored.ParentNumber, primary.Number)
	}
	closed := simpleRequest("PHF", t2026.Add(-time.Hour))
	closed.State, closed.ClosedAt, closed.Address = data.StateClosed, t2026.Add(-30*time.Minute), "130 N LaSalle St"
	mustCreateRequest(t, s, data.Intake{Request: closed, Notes: []data.Note{createdNote(closed.RequestedAt)}})

	in := dedupeIntake("PHF", t2026, "")
	in.Candidates.Status, in.Candidates.Duplicates = "", data.DuplicatesInclude
	var seen []*data.Request
	in.Decide = func(c []*data.Request) (*data.DuplicateLink, error) {
		seen = c
		return nil, nil
	}
	mustCreateRequest(t, s, in)
	if len(seen) != 3 {
		t.Fatalf("Decide saw %d candidates %v, want the primary, its duplicate and the closed request", len(seen), numbers(seen))
	}
	for _, c := range seen {
		if got, want := candidateFields(c), candidateFields(mustRequest(t, s, c.Number)); got != want {
			t.Errorf("candidate %s:\n got %s\nwant %s", c.Number, got, want)
		}
	}
}
