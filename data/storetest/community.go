package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
)

// TestCommunityStore runs the community.Store contract (meeting schedules
// and contact directories). open must return a fresh, empty store each
// time; subtests run in parallel. Beyond the interface comments it pins
// down: meetings come back with Start in the zone they were stored with
// (same instant, same location name), Beats sorted; results are never nil.
func TestCommunityStore(t *testing.T, open func(t *testing.T) community.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s community.Store)
	}{
		{"Empty", testCommunityEmpty},
		{"MeetingsRoundTrip", testMeetingsRoundTrip},
		{"MeetingsReplace", testMeetingsReplace},
		{"MeetingsInvalid", testMeetingsInvalid},
		{"ContactsUpsert", testContactsUpsert},
		{"ContactsInvalid", testContactsInvalid},
		{"Jurisdictions", testCommunityJurisdictions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func chicagoZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skipf("time zone data for America/Chicago is not installed: %v", err)
	}
	return loc
}

// meeting makes a meeting of beats at a Chicago wall clock.
func meeting(t *testing.T, beats []string, y int, mo time.Month, d, h, mi int, place string) community.Meeting {
	t.Helper()
	start, _ := community.LocalTime(chicagoZone(t), y, mo, d, h, mi)
	sorted := slices.Sorted(slices.Values(beats))
	return community.Meeting{
		ID:    community.MeetingID("chicago", sorted, start.Format(community.WallLayout)),
		Beats: sorted, Start: start, Duration: 90 * time.Minute,
		LocationName: place, Address: "1 N Test Ave", Lon: -87.7, Lat: 41.9, Notes: "synthetic",
	}
}

// communityMeetings is a synthetic schedule: a single beat, a beat group
// covering three beats, meetings in the week Chicago's clocks change
// (8 March 2026) and on the day they fall back (01:30 repeated).
func communityMeetings(t *testing.T) []community.Meeting {
	return []community.Meeting{
		meeting(t, []string{"1713"}, 2026, time.March, 10, 18, 30, "Merrimac Park"),
		meeting(t, []string{"1712", "1711", "1713"}, 2026, time.March, 5, 19, 0, "Portage Cragin Library"),
		meeting(t, []string{"1713"}, 2026, time.March, 8, 3, 30, "Early bird"), // first hours of CDT
		meeting(t, []string{"0111"}, 2026, time.November, 1, 1, 30, "Repeated hour"),
		meeting(t, []string{"0111"}, 2026, time.January, 6, 18, 0, "Winter"),
	}
}

func testCommunityEmpty(t *testing.T, s community.Store) {
	ctx := t.Context()
	ms, err := s.MeetingsFor(ctx, "chicago", "1713")
	if err != nil || ms == nil || len(ms) != 0 {
		t.Errorf("MeetingsFor on an empty store: %v, %v; want an empty, non-nil list", ms, err)
	}
	cs, err := s.Contacts(ctx, "chicago")
	if err != nil || cs == nil || len(cs) != 0 {
		t.Errorf("Contacts on an empty store: %v, %v; want an empty, non-nil list", cs, err)
	}
	ins, upd, del, err := s.ReplaceMeetings(ctx, "chicago", nil)
	if err != nil || ins+upd+del != 0 {
		t.Errorf("ReplaceMeetings(nil) on an empty store: %d, %d, %d, %v", ins, upd, del, err)
	}
}

// sameMeetings reports the first difference between got and want
// (compared field by field, Start by instant and location name).
func sameMeetings(t *testing.T, what string, got, want []community.Meeting) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d meetings, want %d: %v", what, len(got), len(want), got)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Start.Equal(w.Start) || g.Start.Location().String() != w.Start.Location().String() ||
			g.Wall() != w.Wall() || g.Start.Format(time.RFC3339) != w.Start.Format(time.RFC3339) {
			t.Errorf("%s: meeting %d (%s) starts %s (%s), want %s (%s)", what, i, w.ID, g.Start, g.Start.Location(), w.Start, w.Start.Location())
		}
		g.Start, w.Start = time.Time{}, time.Time{}
		if g.ID != w.ID || !slices.Equal(g.Beats, w.Beats) || g.Duration != w.Duration || g.LocationName != w.LocationName ||
			g.Address != w.Address || g.Lon != w.Lon || g.Lat != w.Lat || g.Notes != w.Notes {
			t.Errorf("%s: meeting %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func sortedMeetings(ms []community.Meeting) []community.Meeting {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b community.Meeting) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func mustReplace(t *testing.T, s community.Store, j string, ms []community.Meeting) (int, int, int) {
	t.Helper()
	ins, upd, del, err := s.ReplaceMeetings(t.Context(), j, ms)
	if err != nil {
		t.Fatalf("ReplaceMeetings(%s, %d meetings): %v", j, len(ms), err)
	}
	return ins, upd, del
}

func mustMeetings(t *testing.T, s community.Store, j, beat string) []community.Meeting {
	t.Helper()
	ms, err := s.MeetingsFor(t.Context(), j, beat)
	if err != nil {
		t.Fatalf("MeetingsFor(%s, %q): %v", j, beat, err)
	}
	return ms
}

func testMeetingsRoundTrip(t *testing.T, s community.Store) {
	ms := communityMeetings(t)
	if ins, upd, del := mustReplace(t, s, "chicago", ms); ins != len(ms) || upd != 0 || del != 0 {
		t.Errorf("first load: %d inserted, %d updated, %d deleted; want %d, 0, 0", ins, upd, del, len(ms))
	}
	sameMeetings(t, "all meetings", mustMeetings(t, s, "chicago", ""), sortedMeetings(ms))
	// 1713 meets alone and in the group; 1711 only in the group.
	sameMeetings(t, "beat 1713", mustMeetings(t, s, "chicago", "1713"), sortedMeetings([]community.Meeting{ms[0], ms[1], ms[2]}))
	sameMeetings(t, "beat 1711", mustMeetings(t, s, "chicago", "1711"), []community.Meeting{ms[1]})
	sameMeetings(t, "beat 0111", mustMeetings(t, s, "chicago", "0111"), []community.Meeting{ms[4], ms[3]})
	if got := mustMeetings(t, s, "chicago", "9999"); len(got) != 0 {
		t.Errorf("beat without meetings: %v", got)
	}
	// The DST week: 18:30 on 10 March is CDT (23:30 UTC), 19:00 on 5 March
	// CST (01:00 UTC the next day); the repeated 01:30 is its first (CDT) occurrence.
	all := mustMeetings(t, s, "chicago", "")
	wantUTC := map[string]string{
		ms[0].ID: "2026-03-10T23:30:00Z", ms[1].ID: "2026-03-06T01:00:00Z", ms[2].ID: "2026-03-08T08:30:00Z",
		ms[3].ID: "2026-11-01T06:30:00Z", ms[4].ID: "2026-01-07T00:00:00Z",
	}
	for _, m := range all {
		if got := m.Start.UTC().Format(time.RFC3339); got != wantUTC[m.ID] {
			t.Errorf("meeting %s at %s starts %s UTC, want %s", m.ID, m.Wall(), got, wantUTC[m.ID])
		}
	}
	// No shared memory: changing a returned meeting changes nothing stored.
	all[0].Beats[0] = "changed"
	all[0].Address = "changed"
	sameMeetings(t, "after changing a returned meeting", mustMeetings(t, s, "chicago", ""), sortedMeetings(ms))
}

func testMeetingsReplace(t *testing.T, s community.Store) {
	ms := communityMeetings(t)
	mustReplace(t, s, "chicago", ms)
	if ins, upd, del := mustReplace(t, s, "chicago", ms); ins+upd+del != 0 {
		t.Errorf("same schedule again: %d inserted, %d updated, %d deleted; want nothing", ins, upd, del)
	}
	// A corrected address updates in place, a dropped meeting goes, a new
	// one comes; the order of the list does not matter.
	next := slices.Clone(ms[1:])
	next[0].Address = "5108 W Belmont Ave"
	added := meeting(t, []string{"1722"}, 2026, time.April, 14, 18, 30, "New place")
	next = append([]community.Meeting{added}, next...)
	if ins, upd, del := mustReplace(t, s, "chicago", next); ins != 1 || upd != 1 || del != 1 {
		t.Errorf("corrected schedule: %d inserted, %d updated, %d deleted; want 1, 1, 1", ins, upd, del)
	}
	sameMeetings(t, "corrected schedule", mustMeetings(t, s, "chicago", ""), sortedMeetings(next))
	sameMeetings(t, "beat 1713 after the change", mustMeetings(t, s, "chicago", "1713"), sortedMeetings([]community.Meeting{next[1], next[2]}))
	// A changed beat group moves the meeting between beats.
	regroup := slices.Clone(next)
	regroup[1].Beats = []string{"1711", "1712"}
	if _, upd, _ := mustReplace(t, s, "chicago", regroup); upd != 1 {
		t.Errorf("regrouped meeting: %d updated, want 1", upd)
	}
	sameMeetings(t, "beat 1713 after the regroup", mustMeetings(t, s, "chicago", "1713"), []community.Meeting{regroup[2]})
	// An empty schedule deletes everything.
	if ins, upd, del := mustReplace(t, s, "chicago", nil); ins != 0 || upd != 0 || del != len(regroup) {
		t.Errorf("empty schedule: %d inserted, %d updated, %d deleted; want 0, 0, %d", ins, upd, del, len(regroup))
	}
	if got := mustMeetings(t, s, "chicago", ""); len(got) != 0 {
		t.Errorf("after an empty schedule: %d meetings", len(got))
	}
}

func testMeetingsInvalid(t *testing.T, s community.Store) {
	ctx := t.Context()
	good := communityMeetings(t)
	mustReplace(t, s, "chicago", good[:1])
	for _, tc := range []struct {
		name string
		j    string
		edit func(m *community.Meeting)
		dup  bool
	}{
		{"no jurisdiction", "", func(*community.Meeting) {}, false},
		{"no id", "chicago", func(m *community.Meeting) { m.ID = "" }, false},
		{"no beats", "chicago", func(m *community.Meeting) { m.Beats = nil }, false},
		{"empty beat", "chicago", func(m *community.Meeting) { m.Beats = []string{""} }, false},
		{"no start", "chicago", func(m *community.Meeting) { m.Start = time.Time{} }, false},
		{"negative duration", "chicago", func(m *community.Meeting) { m.Duration = -time.Minute }, false},
		{"id twice", "chicago", func(*community.Meeting) {}, true},
	} {
		ms := slices.Clone(good)
		tc.edit(&ms[2])
		if tc.dup {
			ms = append(ms, ms[2])
		}
		_, _, _, err := s.ReplaceMeetings(ctx, tc.j, ms)
		checkKind(t, "ReplaceMeetings with "+tc.name, err, data.ErrInvalid)
	}
	sameMeetings(t, "after refused loads", mustMeetings(t, s, "chicago", ""), good[:1])
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, _, err := s.ReplaceMeetings(cctx, "chicago", good); err == nil {
		t.Error("ReplaceMeetings with a cancelled context: no error")
	}
	sameMeetings(t, "after a cancelled load", mustMeetings(t, s, "chicago", ""), good[:1])
}

func communityContacts() []community.Contact {
	return []community.Contact{
		{Layer: data.LayerWard, AreaID: "35", Kind: community.KindAldermanOffice, Name: "35th Ward Office", Phone: "773-887-0000", URL: "https://example.org/35"},
		{Layer: data.LayerDistrict, AreaID: "017", Kind: community.KindCommunityPolicingOffice, Name: "17th District CAPS", Phone: "312-742-0000", Email: "caps017@example.org", Hours: "Mon-Fri 9:00-17:00"},
		{Layer: data.LayerDistrict, AreaID: "017", Kind: community.KindDistrictStation, Name: "17th District Station", Address: "4650 N Pulaski Rd"},
	}
}

func sortedContacts(cs []community.Contact) []community.Contact {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b community.Contact) int {
		for _, c := range [][2]string{{string(a.Layer), string(b.Layer)}, {a.AreaID, b.AreaID}, {a.Kind, b.Kind}} {
			if r := compareStrings(c[0], c[1]); r != 0 {
				return r
			}
		}
		return 0
	})
	return out
}

func mustContacts(t *testing.T, s community.Store, j string) []community.Contact {
	t.Helper()
	cs, err := s.Contacts(t.Context(), j)
	if err != nil {
		t.Fatalf("Contacts(%s): %v", j, err)
	}
	return cs
}

func testContactsUpsert(t *testing.T, s community.Store) {
	ctx := t.Context()
	cs := communityContacts()
	ins, upd, err := s.UpsertContacts(ctx, "chicago", cs)
	if err != nil || ins != 3 || upd != 0 {
		t.Fatalf("first load: %d inserted, %d updated, %v; want 3, 0", ins, upd, err)
	}
	if got := mustContacts(t, s, "chicago"); !slices.Equal(got, sortedContacts(cs)) {
		t.Errorf("Contacts: %+v, want %+v", got, sortedContacts(cs))
	}
	if ins, upd, err := s.UpsertContacts(ctx, "chicago", cs); err != nil || ins+upd != 0 {
		t.Errorf("same contacts again: %d inserted, %d updated, %v; want nothing", ins, upd, err)
	}
	// A new phone updates by key; a contact not listed stays.
	changed := cs[1]
	changed.Phone, changed.Email = "312-742-9999", ""
	added := community.Contact{Layer: data.LayerBeat, AreaID: "1713", Kind: "beat_facilitator", Name: "Facilitator"}
	if ins, upd, err := s.UpsertContacts(ctx, "chicago", []community.Contact{changed, added}); err != nil || ins != 1 || upd != 1 {
		t.Errorf("changed contacts: %d inserted, %d updated, %v; want 1, 1", ins, upd, err)
	}
	want := sortedContacts([]community.Contact{cs[0], changed, cs[2], added})
	got := mustContacts(t, s, "chicago")
	if !slices.Equal(got, want) {
		t.Errorf("Contacts after upsert: %+v, want %+v", got, want)
	}
	got[0].Name = "changed"
	if again := mustContacts(t, s, "chicago"); !slices.Equal(again, want) {
		t.Errorf("changing a returned contact changed the store: %+v", again)
	}
}

func testContactsInvalid(t *testing.T, s community.Store) {
	ctx := t.Context()
	good := communityContacts()
	for _, tc := range []struct {
		name string
		j    string
		edit func(c *community.Contact)
		dup  bool
	}{
		{"no jurisdiction", "", func(*community.Contact) {}, false},
		{"no layer", "chicago", func(c *community.Contact) { c.Layer = "" }, false},
		{"no area", "chicago", func(c *community.Contact) { c.AreaID = "" }, false},
		{"no kind", "chicago", func(c *community.Contact) { c.Kind = "" }, false},
		{"no name", "chicago", func(c *community.Contact) { c.Name = "" }, false},
		{"key twice", "chicago", func(*community.Contact) {}, true},
	} {
		cs := slices.Clone(good)
		tc.edit(&cs[2])
		if tc.dup {
			cs = append(cs, cs[2])
		}
		_, _, err := s.UpsertContacts(ctx, tc.j, cs)
		checkKind(t, "UpsertContacts with "+tc.name, err, data.ErrInvalid)
	}
	if got := mustContacts(t, s, "chicago"); len(got) != 0 {
		t.Errorf("refused loads wrote %d contacts", len(got))
	}
}

func testCommunityJurisdictions(t *testing.T, s community.Store) {
	ctx := t.Context()
	ms := communityMeetings(t)
	mustReplace(t, s, "chicago", ms)
	other := ms[0]
	other.ID = community.MeetingID("demo", other.Beats, other.Wall())
	mustReplace(t, s, "demo", []community.Meeting{other})
	sameMeetings(t, "demo meetings", mustMeetings(t, s, "demo", ""), []community.Meeting{other})
	sameMeetings(t, "chicago meetings beside demo", mustMeetings(t, s, "chicago", ""), sortedMeetings(ms))
	// Replacing one jurisdiction's schedule leaves the other alone.
	if _, _, del := mustReplace(t, s, "demo", nil); del != 1 {
		t.Errorf("emptying demo deleted %d meetings, want 1", del)
	}
	sameMeetings(t, "chicago after emptying demo", mustMeetings(t, s, "chicago", ""), sortedMeetings(ms))
	if _, _, err := s.UpsertContacts(ctx, "demo", communityContacts()[:1]); err != nil {
		t.Fatal(err)
	}
	if got := mustContacts(t, s, "chicago"); len(got) != 0 {
		t.Errorf("chicago contacts after loading demo's: %v", got)
	}
	if got := mustContacts(t, s, "demo"); len(got) != 1 {
		t.Errorf("demo contacts: %v", got)
	}
}
