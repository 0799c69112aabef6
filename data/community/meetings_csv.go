package community

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

var meetingColumns = []string{"beat", "date", "time", "duration_minutes", "location_name", "address", "lat", "lon", "notes"}

// schedule is what reading meetings needs from a jurisdiction.
type schedule struct {
	jurisdiction string
	zone         string
	loc          *time.Location
	beat         *data.LayerSpec
}

func newSchedule(j *data.Jurisdiction) (*schedule, error) {
	if j == nil {
		return nil, data.Errorf(data.ErrInvalid, "meetings CSV: no jurisdiction given")
	}
	if j.TimeZone == "" {
		return nil, data.Errorf(data.ErrInvalid, "meetings CSV: jurisdiction %s has no time zone", j.ID)
	}
	loc, err := time.LoadLocation(j.TimeZone)
	if err != nil {
		return nil, data.Errorf(data.ErrInvalid, "meetings CSV: jurisdiction %s: time zone %q: %v", j.ID, j.TimeZone, err)
	}
	spec, ok := j.LayerSpec(data.LayerBeat)
	if !ok {
		return nil, data.Errorf(data.ErrInvalid, "meetings CSV: jurisdiction %s has no beat layer, so it has no beat meetings", j.ID)
	}
	return &schedule{jurisdiction: j.ID, zone: j.TimeZone, loc: loc, beat: spec}, nil
}

// ReadMeetings reads a meetings CSV file (columns in the package
// documentation) for jurisdiction j, whose time zone places the local times
// and whose beat layer's pad_id normalises beat ids. It returns the good
// meetings in file order, one RowError per problem of a bad row (a row may
// have several), and an error when the file cannot be read as a meetings
// file at all. Rows repeating a meeting (same beat group, date and time)
// with the same details collapse into one; with other details they are a
// RowError.
func ReadMeetings(r io.Reader, j *data.Jurisdiction) ([]Meeting, []RowError, error) {
	s, err := newSchedule(j)
	if err != nil {
		return nil, nil, err
	}
	t, err := openTable(r, "meetings", meetingColumns, []string{"beat", "date", "time"})
	if err != nil {
		return nil, nil, err
	}
	if !t.has("location_name") && !t.has("address") {
		return nil, nil, data.Errorf(data.ErrInvalid, "meetings CSV: the header needs a location_name or an address column (columns: %s)", strings.Join(meetingColumns, ","))
	}
	var (
		ms    []Meeting
		errs  []RowError
		first = make(map[string]int) // meeting id -> index in ms
		lines = make(map[string]int) // meeting id -> line
	)
	for {
		line, rec, bad, done, err := t.next()
		if err != nil {
			return nil, nil, err
		}
		if done {
			break
		}
		if bad != nil {
			errs = append(errs, *bad)
			continue
		}
		m, rowErrs := s.meeting(t, line, rec)
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			continue
		}
		if i, dup := first[m.ID]; dup {
			if !sameMeeting(ms[i], m) {
				errs = append(errs, RowError{Line: line, Err: data.Errorf(data.ErrInvalid,
					"beat %s on %s repeats the meeting of line %d with other details: keep one row per meeting",
					strings.Join(m.Beats, ";"), m.Wall(), lines[m.ID])})
			}
			continue
		}
		first[m.ID], lines[m.ID] = len(ms), line
		ms = append(ms, m)
	}
	return ms, errs, nil
}

func (s *schedule) meeting(t *table, line int, rec []string) (Meeting, []RowError) {
	re := &rowErrs{line: line}
	var m Meeting
	m.Beats = re.beats(t.get(rec, "beat"), s.beat)
	date, okDate := re.date(t.get(rec, "date"))
	hour, min, okTime := re.clock(t.get(rec, "time"))
	if okDate && okTime {
		start, exact := LocalTime(s.loc, date.Year(), date.Month(), date.Day(), hour, min)
		if !exact {
			re.add("time", "%02d:%02d does not exist on %s in %s: the clocks skip that hour (daylight saving time starts)",
				hour, min, date.Format(time.DateOnly), s.zone)
		}
		m.Start = start
	}
	if d := t.get(rec, "duration_minutes"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 24*60 {
			re.add("duration_minutes", "%q is not a number of minutes between 1 and 1440", clip(d))
		} else {
			m.Duration = time.Duration(n) * time.Minute
		}
	}
	m.LocationName = re.text("location_name", t.get(rec, "location_name"), maxNameLen, false)
	m.Address = re.text("address", t.get(rec, "address"), maxAddressLen, false)
	if t.get(rec, "location_name") == "" && t.get(rec, "address") == "" {
		col := "address"
		if !t.has("address") {
			col = "location_name"
		}
		re.add(col, "a meeting needs a location_name or an address")
	}
	m.Lat, m.Lon = re.coords(t.get(rec, "lat"), t.get(rec, "lon"))
	m.Notes = re.text("notes", t.get(rec, "notes"), maxNotesLen, true)
	if len(re.errs) > 0 {
		return Meeting{}, re.errs
	}
	m.ID = MeetingID(s.jurisdiction, m.Beats, m.Wall())
	return m, nil
}

// beats parses a beat or a beat group.
func (r *rowErrs) beats(raw string, spec *data.LayerSpec) []string {
	parts := strings.FieldsFunc(raw, func(c rune) bool { return c == ';' || c == ',' || c == '|' })
	if len(parts) == 0 {
		r.add("beat", "a beat or a beat group (\"1711;1712;1713\") is required")
		return nil
	}
	if len(parts) > maxGroupBeats {
		r.add("beat", "a beat group of %d beats: at most %d are allowed", len(parts), maxGroupBeats)
		return nil
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		id, ok := r.areaID("beat", p, spec)
		if !ok {
			return nil
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// date parses YYYY-MM-DD or MM/DD/YYYY.
func (r *rowErrs) date(s string) (time.Time, bool) {
	if s == "" {
		r.add("date", "a date is required (YYYY-MM-DD or MM/DD/YYYY)")
		return time.Time{}, false
	}
	layout := "2006-01-02"
	if strings.Contains(s, "/") {
		layout = "1/2/2006"
	}
	d, err := time.Parse(layout, s)
	if err != nil || len(s) > 10 {
		r.add("date", "%q is not a date (YYYY-MM-DD or MM/DD/YYYY)", clip(s))
		return time.Time{}, false
	}
	if d.Year() < 2000 || d.Year() > 2099 {
		r.add("date", "%q: the year must be between 2000 and 2099", clip(s))
		return time.Time{}, false
	}
	return d, true
}

// clock parses HH:MM (24-hour) or h:mm AM/PM.
func (r *rowErrs) clock(s string) (hour, min int, ok bool) {
	if s == "" {
		r.add("time", "a start time is required (HH:MM or h:mm AM/PM)")
		return 0, 0, false
	}
	k := strings.ToLower(strings.NewReplacer(" ", "", ".", "").Replace(s))
	var t time.Time
	var err error
	switch {
	case strings.HasSuffix(k, "am") || strings.HasSuffix(k, "pm"):
		t, err = time.Parse("3:04pm", k)
	default:
		t, err = time.Parse("15:04", k)
	}
	if err != nil || len(k) > 7 {
		r.add("time", "%q is not a time (HH:MM on the 24-hour clock, or h:mm AM/PM)", clip(s))
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}

func sameMeeting(a, b Meeting) bool {
	return a.ID == b.ID && slices.Equal(a.Beats, b.Beats) && a.Start.Equal(b.Start) && a.Duration == b.Duration &&
		a.LocationName == b.LocationName && a.Address == b.Address && a.Lon == b.Lon && a.Lat == b.Lat && a.Notes == b.Notes
}

// WriteMeetings writes meetings as a meetings CSV file that ReadMeetings
// reads back to the same meetings: beat groups joined with ";", dates
// YYYY-MM-DD and times HH:MM in each meeting's own location (the
// jurisdiction's, for meetings read or rebuilt by this package).
func WriteMeetings(w io.Writer, ms []Meeting) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(meetingColumns); err != nil {
		return fmt.Errorf("community: write meetings CSV: %w", err)
	}
	for _, m := range ms {
		var dur, lat, lon string
		if m.Duration > 0 {
			dur = strconv.FormatInt(int64(m.Duration/time.Minute), 10)
		}
		if m.HasPoint() {
			lat, lon = strconv.FormatFloat(m.Lat, 'f', -1, 64), strconv.FormatFloat(m.Lon, 'f', -1, 64)
		}
		rec := []string{strings.Join(m.Beats, ";"), m.Start.Format(time.DateOnly), m.Start.Format("15:04"),
			dur, m.LocationName, m.Address, lat, lon, m.Notes}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("community: write meetings CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("community: write meetings CSV: %w", err)
	}
	return nil
}
