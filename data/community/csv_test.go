package community

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func TestReadMeetings(t *testing.T) {
	ms, errs := readMeetingsFile(t, "meetings_chicago.csv")
	if len(errs) > 0 {
		t.Fatalf("row errors: %v", errs)
	}
	// 8 rows, the 14 April meeting twice (written with "|" and ";").
	if len(ms) != 7 {
		t.Fatalf("%d meetings, want 7", len(ms))
	}
	loc := chicagoLoc(t)
	first := ms[0]
	if !slices.Equal(first.Beats, []string{"1711", "1712", "1713"}) {
		t.Errorf("beats %v", first.Beats)
	}
	if want := time.Date(2026, 3, 4, 0, 30, 0, 0, time.UTC); !first.Start.Equal(want) || first.Start.Location().String() != loc.String() {
		t.Errorf("start %v, want %v in America/Chicago", first.Start, want)
	}
	if first.Duration != 90*time.Minute || first.LocationName != "Elm Park fieldhouse" || first.Address != "4700 N Example Ave" ||
		first.Lat != 41.9612 || first.Lon != -87.7401 || first.Notes != "" {
		t.Errorf("fields %+v", first)
	}
	if first.ID != MeetingID("chicago", first.Beats, "2026-03-03T18:30") {
		t.Errorf("id %s is not the hash of the natural key", first.ID)
	}
	byWall := map[string]Meeting{}
	for _, m := range ms {
		byWall[m.Wall()+" "+strings.Join(m.Beats, ";")] = m
	}
	tests := []struct {
		key   string
		check func(Meeting) bool
	}{
		{"2026-03-10T18:30 1711;1712;1713", func(m Meeting) bool { return m.Notes == "First meeting after the clocks change" }}, // 6:30 PM
		{"2026-03-12T19:00 1713", func(m Meeting) bool { // MM/DD/YYYY, 7:00 p.m., no point
			return m.Duration == time.Hour && !m.HasPoint() && m.Notes == "Spanish interpretation available"
		}},
		{"2026-03-11T18:00 1722;1723", func(m Meeting) bool { return m.Duration == 0 }},
		{"2026-03-17T18:30 0713", func(m Meeting) bool { return m.LocationName == "Birch Senior Center" }}, // padded
		{"2026-04-14T18:30 1711;1712;1713", func(m Meeting) bool { return m.Duration == 90*time.Minute }},
		{"2026-02-10T18:30 1713", func(m Meeting) bool { return true }},
	}
	for _, tt := range tests {
		m, ok := byWall[tt.key]
		if !ok {
			t.Errorf("no meeting %s; have %v", tt.key, keys(byWall))
			continue
		}
		if !tt.check(m) {
			t.Errorf("meeting %s: %+v", tt.key, m)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

type lineCol struct {
	Line   int
	Column string
}

func rowErrorPositions(errs []RowError) []lineCol {
	var out []lineCol
	for _, e := range errs {
		out = append(out, lineCol{e.Line, e.Column})
	}
	return out
}

func TestReadMeetingsBadRows(t *testing.T) {
	ms, errs := readMeetingsFile(t, "meetings_bad.csv")
	want := []lineCol{
		{4, "beat"},             // five digits
		{5, "beat"},             // not a number
		{6, "date"},             // 30 February
		{7, "time"},             // 25:00
		{8, "time"},             // 02:30 on spring-forward day
		{9, "duration_minutes"}, // 0
		{10, "lat"},             // 91
		{11, "lon"},             // lat without lon
		{12, "address"},         // no place
		{13, ""},                // repeats line 2's meeting with another place
		{14, ""},                // three fields
		{15, "beat"},            // empty
		{17, ""},                // a bare quote
		{18, "date"},            // 10-03-2026
		{18, "time"},            // 6:30 XM
		{21, "lat"},             // 0,0
	}
	if got := rowErrorPositions(errs); !slices.Equal(got, want) {
		t.Errorf("row errors at\n%v\nwant\n%v", got, want)
		for _, e := range errs {
			t.Log(e)
		}
	}
	for _, e := range errs {
		if !errors.Is(e, data.ErrInvalid) {
			t.Errorf("%v does not wrap data.ErrInvalid", e)
		}
		if e.Column != "" && data.ErrorField(e.Err) != e.Column {
			t.Errorf("%v: field %q, column %q", e, data.ErrorField(e.Err), e.Column)
		}
	}
	// Line 2 (with line 19 collapsed into it) and line 22 are good.
	if len(ms) != 2 || ms[0].Notes != "A note on\ntwo lines" || ms[1].Wall() != "2026-03-24T18:30" {
		t.Errorf("good meetings %+v", ms)
	}
	msgs := map[int]string{}
	for _, e := range errs {
		msgs[e.Line] += e.Error()
	}
	for line, frag := range map[int]string{
		4:  "more than 4 digits",
		8:  "02:30 does not exist on 2026-03-08 in America/Chicago",
		13: "repeats the meeting of line 2",
		14: "the row has 3 fields, the header 9",
		17: "bare \"",
	} {
		if !strings.Contains(msgs[line], frag) {
			t.Errorf("line %d: %q does not say %q", line, msgs[line], frag)
		}
	}
}

func TestReadMeetingsEmptySchedule(t *testing.T) {
	ms, errs := readMeetingsFile(t, "meetings_empty.csv")
	if len(ms) != 0 || len(errs) != 0 {
		t.Errorf("empty schedule: %v, %v", ms, errs)
	}
}

func TestReadMeetingsFileErrors(t *testing.T) {
	noBeat := chicago()
	noBeat.Layers = noBeat.Layers[2:]
	badZone := chicago()
	badZone.TimeZone = "America/Gotham"
	noZone := chicago()
	noZone.TimeZone = ""
	tests := []struct {
		name string
		j    *data.Jurisdiction
		src  string
		frag string
	}{
		{"empty file", chicago(), "", "the file is empty"},
		{"BOM only", chicago(), "\ufeff", "the file is empty"},
		{"missing columns", chicago(), "beat,when,address\n1713,2026-03-10,x\n", "lacks the required column(s) date, time"},
		{"no place column", chicago(), "beat,date,time\n", "location_name or an address column"},
		{"column twice", chicago(), "beat,date,time,address,Address\n", `names column "address" twice`},
		{"bad header", chicago(), "beat,\"date,time\n", "header line"},
		{"no jurisdiction", nil, "beat,date,time,address\n", "no jurisdiction"},
		{"no beat layer", noBeat, "beat,date,time,address\n", "has no beat layer"},
		{"unknown zone", badZone, "beat,date,time,address\n", "America/Gotham"},
		{"no zone", noZone, "beat,date,time,address\n", "has no time zone"},
	}
	for _, tt := range tests {
		ms, errs, err := ReadMeetings(strings.NewReader(tt.src), tt.j)
		if err == nil || !errors.Is(err, data.ErrInvalid) || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("%s: err %v, want ErrInvalid saying %q", tt.name, err, tt.frag)
		}
		if ms != nil || errs != nil {
			t.Errorf("%s: records returned with a file error", tt.name)
		}
	}
	_, _, err := ReadMeetings(errReader{}, chicago())
	if err == nil || errors.Is(err, data.ErrInvalid) || !strings.HasPrefix(err.Error(), "community: ") {
		t.Errorf("I/O error: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadMeetingsFormats(t *testing.T) {
	tests := []struct {
		beat, date, clock string
		wantBeats         string
		wantWall          string
	}{
		{"1713", "2026-03-10", "18:30", "1713", "2026-03-10T18:30"},
		{"1713", "3/10/2026", "6:30 PM", "1713", "2026-03-10T18:30"},
		{"1713", "03/10/2026", "6:30pm", "1713", "2026-03-10T18:30"},
		{"1713", "2026-03-10", "6:30 p.m.", "1713", "2026-03-10T18:30"},
		{"1713", "2026-03-10", "12:00 AM", "1713", "2026-03-10T00:00"},
		{"1713", "2026-03-10", "12:15 pm", "1713", "2026-03-10T12:15"},
		{"1713", "2026-03-10", "9:05", "1713", "2026-03-10T09:05"},
		{"111.0", "2026-03-10", "09:05", "0111", "2026-03-10T09:05"},
		{"1713 | 1711 |1713", "2026-03-10", "18:30", "1711;1713", "2026-03-10T18:30"},
		{"1713;", "2026-03-10", "18:30", "1713", "2026-03-10T18:30"},
	}
	for _, tt := range tests {
		src := fmt.Sprintf("beat,date,time,address\n%q,%s,%s,1 Example St\n", tt.beat, tt.date, tt.clock)
		ms, errs, err := ReadMeetings(strings.NewReader(src), chicago())
		if err != nil || len(errs) > 0 || len(ms) != 1 {
			t.Errorf("%q %q %q: %v %v %v", tt.beat, tt.date, tt.clock, ms, errs, err)
			continue
		}
		if got := strings.Join(ms[0].Beats, ";"); got != tt.wantBeats || ms[0].Wall() != tt.wantWall {
			t.Errorf("%q %q %q: beats %s at %s, want %s at %s", tt.beat, tt.date, tt.clock, got, ms[0].Wall(), tt.wantBeats, tt.wantWall)
		}
	}
	for _, bad := range []struct{ col, date, clock string }{
		{"date", "2026-3-10", "18:30"}, {"date", "10.03.2026", "18:30"}, {"date", "1999-12-31", "18:30"},
		{"date", "2026-03-10T18:30", "18:30"}, {"time", "2026-03-10", "18:30:00"}, {"time", "2026-03-10", "13:00 PM"},
		{"time", "2026-03-10", "1830"}, {"time", "2026-03-10", "18:3"}, {"time", "2026-03-10", "24:00"},
	} {
		src := fmt.Sprintf("beat,date,time,address\n1713,%s,%s,1 Example St\n", bad.date, bad.clock)
		_, errs, err := ReadMeetings(strings.NewReader(src), chicago())
		if err != nil || len(errs) != 1 || errs[0].Column != bad.col || errs[0].Line != 2 {
			t.Errorf("%s %s: %v %v, want one %s error on line 2", bad.date, bad.clock, errs, err, bad.col)
		}
	}
}

// Loading the same file twice, or a file written from what was loaded,
// gives the same meetings with the same ids.
func TestReadMeetingsIdempotent(t *testing.T) {
	for _, name := range []string{"meetings_chicago.csv", "meetings_dst.csv", "meetings_bad.csv"} {
		a, _ := readMeetingsFile(t, name)
		b, _ := readMeetingsFile(t, name)
		var buf bytes.Buffer
		if err := WriteMeetings(&buf, a); err != nil {
			t.Fatal(err)
		}
		c, errs, err := ReadMeetings(&buf, chicago())
		if err != nil || len(errs) > 0 {
			t.Fatalf("%s: reading written meetings: %v %v", name, errs, err)
		}
		if !slices.EqualFunc(a, b, sameMeeting) || !slices.EqualFunc(a, c, sameMeeting) {
			t.Errorf("%s: loads differ:\n%+v\n%+v\n%+v", name, a, b, c)
		}
	}
}

func TestReadContacts(t *testing.T) {
	cs, errs := readContactsFile(t, "contacts_chicago.csv")
	if len(errs) > 0 {
		t.Fatalf("row errors: %v", errs)
	}
	// 7 rows, the 17th district's office twice ("17.0" normalises to "17").
	if len(cs) != 6 {
		t.Fatalf("%d contacts, want 6: %+v", len(cs), cs)
	}
	want := Contact{Layer: data.LayerDistrict, AreaID: "17", Kind: KindCommunityPolicingOffice,
		Name: "17th District Community Policing Office", Phone: "(312) 555-0117", Email: "caps017@example.org",
		Address: "4650 N Example Ave", URL: "https://example.org/district-17/caps", Hours: "Mon-Fri 8:30-16:30"}
	if cs[2] != want {
		t.Errorf("contact %+v\nwant %+v", cs[2], want)
	}
	if cs[1].Layer != data.LayerDistrict || cs[1].Kind != KindDistrictStation {
		t.Errorf("layer names are case-insensitive: %+v", cs[1])
	}
	var buf bytes.Buffer
	if err := WriteContacts(&buf, cs); err != nil {
		t.Fatal(err)
	}
	again, errs, err := ReadContacts(&buf, chicago())
	if err != nil || len(errs) > 0 || !slices.Equal(cs, again) {
		t.Errorf("round trip: %v %v\n%+v\n%+v", errs, err, cs, again)
	}
}

func TestReadContactsBadRows(t *testing.T) {
	cs, errs := readContactsFile(t, "contacts_bad.csv")
	want := []lineCol{
		{3, "layer"},   // "District Layer"
		{4, "layer"},   // precinct: not a Chicago layer
		{5, "area_id"}, // district 123
		{6, "kind"},    // "District Station"
		{7, "name"},    // empty
		{8, "phone"},   // "call us"
		{9, "email"},   // not-an-email
		{10, "url"},    // javascript:
		{11, "phone"},  // nothing to contact
		{12, ""},       // a second community policing office for district 17
		{13, "area_id"},
		{14, "email"}, // display name
	}
	if got := rowErrorPositions(errs); !slices.Equal(got, want) {
		t.Errorf("row errors at\n%v\nwant\n%v", got, want)
		for _, e := range errs {
			t.Log(e)
		}
	}
	for _, e := range errs {
		if !errors.Is(e, data.ErrInvalid) {
			t.Errorf("%v does not wrap data.ErrInvalid", e)
		}
	}
	if len(cs) != 2 || cs[0].AreaID != "17" || cs[1].Email != "ward39@example.org" {
		t.Errorf("good contacts %+v", cs)
	}
	msgs := map[int]string{}
	for _, e := range errs {
		msgs[e.Line] = e.Error()
	}
	for line, frag := range map[int]string{
		4:  `chicago has no layer "precinct" (layers: beat, sector, district, ward, community_area)`,
		12: "already has a community_policing_office contact on line 2",
	} {
		if !strings.Contains(msgs[line], frag) {
			t.Errorf("line %d: %q does not say %q", line, msgs[line], frag)
		}
	}
}

func TestContactFieldShapes(t *testing.T) {
	tests := []struct {
		col, value string
		ok         bool
	}{
		{"phone", "312-555-0117", true},
		{"phone", "+1 312 555 0117", true},
		{"phone", "312.555.0117 x204", true},
		{"phone", "(773) 555-0139 ext. 2", true},
		{"phone", "555-0110", true},
		{"phone", "555-01", false},
		{"phone", "312-555-0117; drop table", false},
		{"email", "caps017@example.org", true},
		{"email", "first.last+caps@sub.example.org", true},
		{"email", "caps017@localhost", false},
		{"email", "two@example.org, three@example.org", false},
		{"email", "@example.org", false},
		{"url", "https://example.org/x?y=1", true},
		{"url", "http://example.org", true},
		{"url", "example.org", false},
		{"url", "ftp://example.org", false},
		{"url", "https://exa mple.org", false},
	}
	for _, tt := range tests {
		row := map[string]string{"phone": "", "email": "", "url": ""}
		row[tt.col] = tt.value
		src := fmt.Sprintf("layer,area_id,kind,name,phone,email,url\ndistrict,7,district_station,7th District,%q,%q,%q\n", row["phone"], row["email"], row["url"])
		cs, errs, err := ReadContacts(strings.NewReader(src), chicago())
		if err != nil {
			t.Fatal(err)
		}
		if got := len(errs) == 0; got != tt.ok {
			t.Errorf("%s %q: accepted %v, want %v (%v)", tt.col, tt.value, got, tt.ok, errs)
		}
		if tt.ok && (len(cs) != 1 || cs[0].AreaID != "07") {
			t.Errorf("%s %q: %+v", tt.col, tt.value, cs)
		}
	}
}
