package data

import (
	"strings"
	"testing"
	"time"
)

// TestPublicText: the public text of assignment notes, as Assign and
// Reassign write them, names no assignee, even one whose name looks like
// the note's own wording.
func TestPublicText(t *testing.T) {
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	staff := Actor{Name: "Sgt. Ruiz", Role: RoleStaff}
	r := &Request{Number: "SR26-00000001", Kind: KindServiceRequest, ServiceCode: "PHF", State: StateNew,
		RequestedAt: at, SLADays: 7}
	const member = "P.O. Smith; due (reassignment 9) #1234"
	notes, err := Assign(r, staff, at, member)
	if err != nil {
		t.Fatal(err)
	}
	if got := PublicText(notes[0]); got != "Assigned; due 2026-03-09T15:00:00Z" {
		t.Errorf("assigned: %q", got)
	}
	notes, err = Reassign(r, staff, at.Add(time.Hour), "Unit 241 (reassignment 7)", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := PublicText(notes[0]); got != "Reassigned (reassignment 1); due 2026-03-09T16:00:00Z" {
		t.Errorf("reassigned: %q", got)
	}
	for _, n := range []Note{notes[0], {Event: EventAssigned, Text: "Assigned to " + member}} {
		if got := PublicText(n); strings.Contains(got, "Smith") || strings.Contains(got, "241") {
			t.Errorf("public text %q names the assignee", got)
		}
	}
	other := Note{Event: EventCreated, Text: "Request received"}
	if got := PublicText(other); got != other.Text {
		t.Errorf("created: %q", got)
	}
}
