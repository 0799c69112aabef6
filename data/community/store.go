package community

import (
	"context"
	"slices"
	"time"

	"github.com/geo311/geo311/data"
)

// Store keeps the meeting schedules and contact directories of
// jurisdictions. Every method that writes returns only once the write is
// durable, and runs in one transaction: a failing call writes nothing.
// The contract suite is storetest.TestCommunityStore.
//
// A store persists a meeting as its ID, its wall clock (Meeting.Wall), the
// name of its Start's time.Location (the jurisdiction's zone, e.g.
// "America/Chicago") and its zone-independent fields; it rebuilds Start
// with ParseWall in that zone, so a meeting stays at its announced local
// time when the zone's rules change, and Start carries the location.
type Store interface {
	// ReplaceMeetings makes ms the whole schedule of the jurisdiction:
	// meetings whose ID is new are inserted, meetings whose stored content
	// differs are updated, meetings of the jurisdiction not in ms are
	// deleted. Meetings stored unchanged are not counted, so loading the
	// same file twice reports 0, 0, 0 the second time. ValidateMeetings
	// errors (data.ErrInvalid) write nothing.
	ReplaceMeetings(ctx context.Context, jurisdiction string, ms []Meeting) (inserted, updated, deleted int, err error)
	// MeetingsFor returns the jurisdiction's meetings whose beat or beat
	// group includes beat ("" means every meeting), past ones too, ordered
	// by Start, then ID. No meetings is an empty result, not an error.
	MeetingsFor(ctx context.Context, jurisdiction, beat string) ([]Meeting, error)
	// UpsertContacts inserts or replaces contacts by Key within the
	// jurisdiction; contacts not listed stay. Contacts stored unchanged
	// are not counted. ValidateContacts errors (data.ErrInvalid) write
	// nothing.
	UpsertContacts(ctx context.Context, jurisdiction string, cs []Contact) (inserted, updated int, err error)
	// Contacts returns the jurisdiction's contacts ordered by layer, area
	// id and kind (byte-wise).
	Contacts(ctx context.Context, jurisdiction string) ([]Contact, error)
}

// ValidateMeetings checks what a Store needs to keep meetings: a
// jurisdiction, and for each meeting an ID (unique within ms), at least one
// beat without empty ids, a Start with a named location (not time.Local)
// and no negative Duration.
func ValidateMeetings(jurisdiction string, ms []Meeting) error {
	if jurisdiction == "" {
		return data.Invalid("jurisdiction", "no jurisdiction given")
	}
	seen := make(map[string]bool, len(ms))
	for i, m := range ms {
		switch {
		case m.ID == "":
			return data.Invalid("meetings", "meeting %d has no id", i)
		case seen[m.ID]:
			return data.Invalid("meetings", "meeting %s is listed twice", m.ID)
		case len(m.Beats) == 0 || slices.Contains(m.Beats, ""):
			return data.Invalid("beat", "meeting %s has no beat, or an empty beat id", m.ID)
		case m.Start.IsZero():
			return data.Invalid("date", "meeting %s has no start", m.ID)
		case m.Start.Location() == time.Local:
			return data.Invalid("date", "meeting %s: start must carry the jurisdiction's zone, not the local one", m.ID)
		case m.Duration < 0:
			return data.Invalid("duration_minutes", "meeting %s has a negative duration", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

// ValidateContacts checks what a Store needs to keep contacts: a
// jurisdiction, and for each contact a layer, an area id, a kind and a
// name, with no Key listed twice.
func ValidateContacts(jurisdiction string, cs []Contact) error {
	if jurisdiction == "" {
		return data.Invalid("jurisdiction", "no jurisdiction given")
	}
	seen := make(map[string]bool, len(cs))
	for i, c := range cs {
		if c.Layer == "" || c.AreaID == "" || c.Kind == "" || c.Name == "" {
			return data.Invalid("contacts", "contact %d (%s) lacks a layer, area id, kind or name", i, c.Key())
		}
		if seen[c.Key()] {
			return data.Invalid("contacts", "contact %s is listed twice", c.Key())
		}
		seen[c.Key()] = true
	}
	return nil
}
