package community

import (
	"slices"
	"testing"
	"time"
)

func TestLocalTime(t *testing.T) {
	loc := chicagoLoc(t)
	utc := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		y         int
		mo        time.Month
		d, h, mi  int
		wantUTC   time.Time
		wantWall  string // local wall clock of the answer, with the zone
		wantExact bool
	}{
		{"winter evening", 2026, 3, 3, 18, 30, utc(2026, 3, 4, 0, 30), "2026-03-03 18:30 CST", true},
		{"day before spring forward", 2026, 3, 7, 18, 30, utc(2026, 3, 8, 0, 30), "2026-03-07 18:30 CST", true},
		{"spring forward evening", 2026, 3, 8, 18, 30, utc(2026, 3, 8, 23, 30), "2026-03-08 18:30 CDT", true},
		{"week after spring forward", 2026, 3, 10, 18, 30, utc(2026, 3, 10, 23, 30), "2026-03-10 18:30 CDT", true},
		{"just before the gap", 2026, 3, 8, 1, 59, utc(2026, 3, 8, 7, 59), "2026-03-08 01:59 CST", true},
		{"in the gap: offset before it", 2026, 3, 8, 2, 30, utc(2026, 3, 8, 8, 30), "2026-03-08 03:30 CDT", false},
		{"gap start", 2026, 3, 8, 2, 0, utc(2026, 3, 8, 8, 0), "2026-03-08 03:00 CDT", false},
		{"gap end", 2026, 3, 8, 3, 0, utc(2026, 3, 8, 8, 0), "2026-03-08 03:00 CDT", true},
		{"week before fall back", 2026, 10, 27, 18, 30, utc(2026, 10, 27, 23, 30), "2026-10-27 18:30 CDT", true},
		{"repeated hour: first occurrence", 2026, 11, 1, 1, 30, utc(2026, 11, 1, 6, 30), "2026-11-01 01:30 CDT", true},
		{"after the repeated hour", 2026, 11, 1, 2, 0, utc(2026, 11, 1, 8, 0), "2026-11-01 02:00 CST", true},
		{"fall back evening", 2026, 11, 1, 18, 30, utc(2026, 11, 2, 0, 30), "2026-11-01 18:30 CST", true},
		{"week after fall back", 2026, 11, 3, 18, 30, utc(2026, 11, 4, 0, 30), "2026-11-03 18:30 CST", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, exact := LocalTime(loc, tt.y, tt.mo, tt.d, tt.h, tt.mi)
			if !got.Equal(tt.wantUTC) || exact != tt.wantExact {
				t.Errorf("LocalTime = %v (%v), exact %v; want %v, exact %v", got, got.UTC(), exact, tt.wantUTC, tt.wantExact)
			}
			if w := got.Format("2006-01-02 15:04 MST"); w != tt.wantWall {
				t.Errorf("wall clock %s, want %s", w, tt.wantWall)
			}
			if got.Location() != loc {
				t.Errorf("location %v, want the jurisdiction's", got.Location())
			}
		})
	}
}

// time.Date's answer for a skipped wall clock is unspecified by its
// documentation. The package doc says what Go 1.26 does (01:30 CST, an hour
// before the gap) to explain why LocalTime does not rely on it; this test
// keeps that sentence true, and shows LocalTime differs.
func TestTimeDateInGap(t *testing.T) {
	loc := chicagoLoc(t)
	got := time.Date(2026, 3, 8, 2, 30, 0, 0, loc)
	if want := "2026-03-08 01:30 CST"; got.Format("2006-01-02 15:04 MST") != want {
		t.Errorf("time.Date gives %v for the skipped 02:30, not %s: update the package doc", got, want)
	}
	rfc, _ := LocalTime(loc, 2026, 3, 8, 2, 30)
	if d := rfc.Sub(got); d != time.Hour {
		t.Errorf("LocalTime's 02:30 is %v after time.Date's, want 1h", d)
	}
}

func TestParseWallRoundTrip(t *testing.T) {
	loc := chicagoLoc(t)
	ms, _ := readMeetingsFile(t, "meetings_dst.csv")
	for _, m := range ms {
		got, err := ParseWall(m.Wall(), loc)
		if err != nil || !got.Equal(m.Start) || got.Location() != loc {
			t.Errorf("ParseWall(%q) = %v, %v; want %v", m.Wall(), got, err, m.Start)
		}
	}
	if _, err := ParseWall("2026-03-10 18:30", loc); err == nil {
		t.Error("ParseWall accepted a wall clock not in WallLayout")
	}
}

func TestMeetingID(t *testing.T) {
	a := MeetingID("chicago", []string{"1713", "1711", "1712"}, "2026-03-10T18:30")
	b := MeetingID("chicago", []string{"1711", "1712", "1713", "1712"}, "2026-03-10T18:30")
	if a != b {
		t.Errorf("order and repeats of the group changed the id: %s vs %s", a, b)
	}
	if len(a) != 22 || a[:2] != "m_" {
		t.Errorf("id %q: want m_ and 20 hex digits", a)
	}
	for _, other := range []string{
		MeetingID("chicago", []string{"1711", "1712"}, "2026-03-10T18:30"),
		MeetingID("chicago", []string{"1711", "1712", "1713"}, "2026-03-10T18:31"),
		MeetingID("demo", []string{"1711", "1712", "1713"}, "2026-03-10T18:30"),
	} {
		if other == a {
			t.Errorf("different natural keys share id %s", a)
		}
	}
}

func TestNextMeetingsDSTWeeks(t *testing.T) {
	ms, errs := readMeetingsFile(t, "meetings_dst.csv")
	if len(errs) > 0 || len(ms) != 9 {
		t.Fatalf("meetings_dst.csv: %d meetings, errors %v", len(ms), errs)
	}
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		name string
		now  time.Time
		want []time.Time // instants of the next meetings, at most 3
	}{
		{"week before spring forward", at(t, 2026, 3, 1, 12, 0),
			[]time.Time{utc(3, 4, 0, 30), utc(3, 8, 0, 30), utc(3, 8, 23, 30)}},
		{"saturday meeting has started: not next", at(t, 2026, 3, 7, 18, 30),
			[]time.Time{utc(3, 8, 23, 30), utc(3, 10, 23, 30), utc(10, 27, 23, 30)}},
		{"one second before the saturday meeting", at(t, 2026, 3, 7, 18, 30).Add(-time.Second),
			[]time.Time{utc(3, 8, 0, 30), utc(3, 8, 23, 30), utc(3, 10, 23, 30)}},
		{"spring forward day, at 03:00 CDT", at(t, 2026, 3, 8, 3, 0),
			[]time.Time{utc(3, 8, 23, 30), utc(3, 10, 23, 30), utc(10, 27, 23, 30)}},
		{"fall back night, before the repeated hour", utc(11, 1, 6, 0),
			[]time.Time{utc(11, 1, 6, 30), utc(11, 2, 0, 30), utc(11, 4, 0, 30)}},
		{"fall back night, second 01:30 (CST)", utc(11, 1, 7, 30),
			[]time.Time{utc(11, 2, 0, 30), utc(11, 4, 0, 30)}},
		{"after the last meeting", at(t, 2026, 11, 3, 18, 31), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextMeetings(ms, "1713", tt.now, 3)
			var instants []time.Time
			for _, m := range got {
				instants = append(instants, m.Start.UTC())
				if !m.Start.After(tt.now) {
					t.Errorf("meeting at %v is not after now %v", m.Start, tt.now)
				}
			}
			if !slices.EqualFunc(instants, tt.want, time.Time.Equal) {
				t.Errorf("next meetings at %v\nwant %v", instants, tt.want)
			}
		})
	}
}

func TestNextMeetingsGroups(t *testing.T) {
	ms, errs := readMeetingsFile(t, "meetings_chicago.csv")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	now := at(t, 2026, 3, 1, 12, 0)
	wall := func(ms []Meeting) []string {
		var s []string
		for _, m := range ms {
			s = append(s, m.Wall())
		}
		return s
	}
	tests := []struct {
		beat string
		n    int
		want []string
	}{
		{"1713", 0, []string{"2026-03-03T18:30", "2026-03-10T18:30", "2026-03-12T19:00", "2026-04-14T18:30"}},
		{"1713", 2, []string{"2026-03-03T18:30", "2026-03-10T18:30"}},
		{"1711", 0, []string{"2026-03-03T18:30", "2026-03-10T18:30", "2026-04-14T18:30"}},
		{"1712", 1, []string{"2026-03-03T18:30"}},
		{"1723", 0, []string{"2026-03-11T18:00"}},
		{"0713", 0, []string{"2026-03-17T18:30"}},
		{"713", 0, nil}, // callers pass normalised ids, as routing returns them
		{"1714", 0, nil},
		{"", 0, nil},
	}
	for _, tt := range tests {
		if got := wall(NextMeetings(ms, tt.beat, now, tt.n)); !slices.Equal(got, tt.want) {
			t.Errorf("NextMeetings(%q, n=%d) = %v, want %v", tt.beat, tt.n, got, tt.want)
		}
	}
	// The past meeting of 10 February is next on 1 February, never on 1
	// March; ms is not reordered.
	before := slices.Clone(ms)
	isFeb10 := func(m Meeting) bool { return m.Wall() == "2026-02-10T18:30" }
	if !slices.ContainsFunc(NextMeetings(ms, "1713", at(t, 2026, 2, 1, 0, 0), 0), isFeb10) {
		t.Error("the 10 February meeting should be next on 1 February")
	}
	if slices.ContainsFunc(NextMeetings(ms, "1713", now, 0), isFeb10) {
		t.Error("a past meeting was listed as next")
	}
	if !slices.EqualFunc(before, ms, func(a, b Meeting) bool { return a.ID == b.ID }) {
		t.Error("NextMeetings reordered its input")
	}
}

func TestMeetingsNow(t *testing.T) {
	ms, _ := readMeetingsFile(t, "meetings_chicago.csv")
	tests := []struct {
		name string
		now  time.Time
		beat string
		want int
	}{
		{"at the start", at(t, 2026, 3, 10, 18, 30), "1712", 1},
		{"during", at(t, 2026, 3, 10, 19, 59), "1713", 1},
		{"at the end", at(t, 2026, 3, 10, 20, 0), "1713", 0},
		{"before", at(t, 2026, 3, 10, 18, 29), "1713", 0},
		{"other beat", at(t, 2026, 3, 10, 19, 0), "1722", 0},
		{"no duration: never now", at(t, 2026, 3, 11, 18, 5), "1722", 0},
	}
	for _, tt := range tests {
		if got := MeetingsNow(ms, tt.beat, tt.now); len(got) != tt.want {
			t.Errorf("%s: %d meetings now, want %d", tt.name, len(got), tt.want)
		}
		for _, m := range NextMeetings(ms, tt.beat, tt.now, 0) {
			for _, n := range MeetingsNow(ms, tt.beat, tt.now) {
				if m.ID == n.ID {
					t.Errorf("%s: meeting %s is both now and next", tt.name, m.ID)
				}
			}
		}
	}
}
