package community

import (
	"testing"
	"time"
)

func TestStartsRebuildsInstants(t *testing.T) {
	var s Starts
	got, err := s.Start("2026-03-10T18:30", "America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Start = %v, want %v (18:30 CDT)", got, want)
	}
	if _, err := s.Start("2026-03-10T18:30", "Not/AZone"); err == nil {
		t.Fatal("an unknown zone must be an error")
	}
	if _, err := s.Start("18:30 on Tuesday", "America/Chicago"); err == nil {
		t.Fatal("a malformed wall clock must be an error")
	}
}

func TestSortMeetingsByInstantThenID(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	chi, _ := time.LoadLocation("America/Chicago")
	ms := []Meeting{
		{ID: "b", Start: time.Date(2026, 5, 1, 18, 0, 0, 0, chi)}, // 23:00 UTC
		{ID: "c", Start: time.Date(2026, 5, 1, 18, 30, 0, 0, ny)}, // 22:30 UTC: earlier despite the later wall clock
		{ID: "a", Start: time.Date(2026, 5, 1, 18, 0, 0, 0, chi)},
	}
	SortMeetings(ms)
	if got := ms[0].ID + ms[1].ID + ms[2].ID; got != "cab" {
		t.Fatalf("order %s, want cab", got)
	}
}
