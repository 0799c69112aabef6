package community

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Meeting is one CAPS beat community meeting: a beat, or a group of beats
// meeting together, at a local date and time and a place.
type Meeting struct {
	// ID is stable across loads: see MeetingID.
	ID string
	// Beats holds one normalised beat id ("1713") or a beat group
	// ("1711", "1712", "1713"), sorted, without repeats.
	Beats []string
	// Start is the instant the meeting starts, in the jurisdiction's
	// location, computed from the local wall clock by LocalTime.
	Start time.Time
	// Duration is 0 when unknown.
	Duration     time.Duration
	LocationName string
	Address      string
	// Lon, Lat locate the place; 0, 0 means no point.
	Lon, Lat float64
	Notes    string
}

// WallLayout is the layout of Meeting.Wall: a local date and time without a
// zone.
const WallLayout = "2006-01-02T15:04"

// Wall returns the meeting's local start, "2026-03-10T18:30", the form a
// store persists next to the jurisdiction's zone.
func (m Meeting) Wall() string { return m.Start.Format(WallLayout) }

// HasPoint reports whether the meeting has a location point.
func (m Meeting) HasPoint() bool { return m.Lon != 0 || m.Lat != 0 }

// End returns Start+Duration, and false when the duration is unknown.
func (m Meeting) End() (time.Time, bool) {
	if m.Duration <= 0 {
		return time.Time{}, false
	}
	return m.Start.Add(m.Duration), true
}

// Includes reports whether beat is the meeting's beat or in its group.
func (m Meeting) Includes(beat string) bool {
	return beat != "" && slices.Contains(m.Beats, beat)
}

// MeetingID returns the stable id of a meeting: "m_" and 20 hex digits of
// the SHA-256 of its natural key, the jurisdiction id, the sorted beat group
// and the local start wall clock (WallLayout). The place is not part of the
// key: a beat group meets once at a time, and a corrected address loads onto
// the same meeting.
func MeetingID(jurisdiction string, beats []string, wall string) string {
	sorted := slices.Clone(beats)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	h := sha256.Sum256([]byte("meeting\x00" + jurisdiction + "\x00" + strings.Join(sorted, ";") + "\x00" + wall))
	return "m_" + hex.EncodeToString(h[:10])
}

// LocalTime returns the instant a local wall clock denotes in loc, with loc
// attached, and whether that wall clock exists exactly. Unlike time.Date,
// whose choice at a daylight-saving change the Go documentation leaves
// open, it follows RFC 5545 section 3.3.5:
//
//   - a wall clock the zone skips (02:30 on the spring-forward day in
//     Chicago) is read with the UTC offset in force before the gap, so it
//     lands as far after the gap's end as it was after its start: 02:30
//     becomes 03:30 CDT; exact is false;
//   - a wall clock the zone repeats (01:30 on the fall-back day) is its
//     first occurrence: 01:30 CDT, not 01:30 CST; exact is true.
//
// Seconds and smaller are zero.
func LocalTime(loc *time.Location, year int, month time.Month, day, hour, min int) (t time.Time, exact bool) {
	wall := time.Date(year, month, day, hour, min, 0, 0, time.UTC)
	// Every instant the wall clock can denote lies within 14 hours of it,
	// and the offsets in force then are those at the ends of that window
	// or at time.Date's answer (zones change offsets far less often).
	offsets := make([]int, 0, 3)
	for _, probe := range []time.Time{wall.Add(-14 * time.Hour), time.Date(year, month, day, hour, min, 0, 0, loc), wall.Add(14 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var best time.Time
	for _, off := range offsets {
		u := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if _, o := u.Zone(); o == off && (best.IsZero() || u.Before(best)) {
			best = u
		}
	}
	if !best.IsZero() {
		return best, true
	}
	// A gap: the offset before it is the one in force 14 hours earlier.
	_, before := wall.Add(-14 * time.Hour).In(loc).Zone()
	return wall.Add(-time.Duration(before) * time.Second).In(loc), false
}

// ParseWall rebuilds a meeting start from its stored wall clock (WallLayout)
// in loc, with LocalTime's rules.
func ParseWall(wall string, loc *time.Location) (time.Time, error) {
	w, err := time.Parse(WallLayout, wall)
	if err != nil {
		return time.Time{}, err
	}
	t, _ := LocalTime(loc, w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute())
	return t, nil
}

// NextMeetings returns the meetings whose beat or beat group includes beat
// (a normalised id, as routing returns it) and that start strictly after
// now, earliest first (ties by ID), at most n of them; n <= 0 means all. A
// meeting that has started is not next, even while it runs (see
// MeetingsNow). The result is a new slice; ms is not changed.
func NextMeetings(ms []Meeting, beat string, now time.Time, n int) []Meeting {
	var out []Meeting
	for _, m := range ms {
		if m.Includes(beat) && m.Start.After(now) {
			out = append(out, m)
		}
	}
	sortMeetings(out)
	if n > 0 && len(out) > n {
		out = out[:n:n]
	}
	return out
}

// MeetingsNow returns the meetings of beat (or its group) under way at now:
// started at or before now, with a known Duration whose end is after now,
// earliest first. A meeting without a duration is never "now": its end is
// unknown.
func MeetingsNow(ms []Meeting, beat string, now time.Time) []Meeting {
	var out []Meeting
	for _, m := range ms {
		end, ok := m.End()
		if ok && m.Includes(beat) && !m.Start.After(now) && end.After(now) {
			out = append(out, m)
		}
	}
	sortMeetings(out)
	return out
}

func sortMeetings(ms []Meeting) {
	slices.SortFunc(ms, func(a, b Meeting) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
