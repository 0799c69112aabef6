package community

import (
	"bytes"
	"encoding/json"
	"html/template"
	"slices"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
)

// areas1713 is what routing answers for a point in beat 1713.
var areas1713 = []data.AreaRef{
	{Layer: data.LayerBeat, ID: "1713", Generation: "beat@2012-12-19"},
	{Layer: data.LayerSector, ID: "171", Generation: "sector@2012-12-19"},
	{Layer: data.LayerDistrict, ID: "17", Name: "17th", Generation: "district@2012-12-19"},
	{Layer: data.LayerWard, ID: "39", Generation: "ward@2023-05-15"},
	{Layer: data.LayerCommunityArea, ID: "14", Name: "EXAMPLE SQUARE", Generation: "community_area@2018-01-01"},
}

func TestContactsFor(t *testing.T) {
	cs, _ := readContactsFile(t, "contacts_chicago.csv")
	got := ContactsFor(cs, areas1713)
	var keys []string
	for _, c := range got {
		keys = append(keys, c.Key())
	}
	want := []string{
		"beat/1713/beat_facilitator",
		"district/17/community_policing_office",
		"district/17/district_station",
		"ward/39/alderman_office",
		"community_area/14/community_organization",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("contacts %v\nwant %v", keys, want)
	}
	// Areas' order rules; an area given twice is answered once; unknown
	// areas have no contacts.
	rev := []data.AreaRef{areas1713[3], areas1713[2], areas1713[3], {Layer: data.LayerDistrict, ID: "99"}}
	keys = nil
	for _, c := range ContactsFor(cs, rev) {
		keys = append(keys, c.Key())
	}
	if want := []string{"ward/39/alderman_office", "district/17/community_policing_office", "district/17/district_station"}; !slices.Equal(keys, want) {
		t.Errorf("contacts %v\nwant %v", keys, want)
	}
	if ContactsFor(cs, nil) != nil {
		t.Error("no areas, no contacts")
	}
}

func TestBuildCard(t *testing.T) {
	ms, _ := readMeetingsFile(t, "meetings_chicago.csv")
	cs, _ := readContactsFile(t, "contacts_chicago.csv")

	// During the 10 March group meeting: it is under way, the next ones follow.
	c := BuildCard(areas1713, ms, cs, at(t, 2026, 3, 10, 19, 0), 4)
	if c.Beat != "1713" || c.District != "17" || c.OpenNearby != 4 || c.NoMeeting != nil {
		t.Errorf("card %+v", c)
	}
	if len(c.MeetingsNow) != 1 || c.MeetingsNow[0].Date != "Tuesday, March 10, 2026" || c.MeetingsNow[0].Until != "8:00 PM" {
		t.Errorf("meetings now %+v", c.MeetingsNow)
	}
	var next []string
	for _, m := range c.NextMeetings {
		next = append(next, m.Date+" "+m.Time)
	}
	if want := []string{"Thursday, March 12, 2026 7:00 PM CDT", "Tuesday, April 14, 2026 6:30 PM CDT"}; !slices.Equal(next, want) {
		t.Errorf("next %v, want %v", next, want)
	}
	if len(c.Contacts) != 5 {
		t.Errorf("%d contacts", len(c.Contacts))
	}

	// Nothing scheduled after 14 April: the district's community policing
	// office is named.
	c = BuildCard(areas1713, ms, cs, at(t, 2026, 4, 15, 9, 0), 0)
	if c.NoMeeting == nil || c.NoMeeting.Contact == nil || c.NoMeeting.Contact.Kind != KindCommunityPolicingOffice ||
		!strings.HasPrefix(c.NoMeeting.Message, "No beat meeting is scheduled for beat 1713. 17th District Community Policing Office") {
		t.Errorf("no meeting %+v", c.NoMeeting)
	}
	if c.NextMeetings == nil || len(c.NextMeetings) != 0 {
		t.Errorf("next meetings %#v, want empty, not null", c.NextMeetings)
	}

	// Without a community policing office, the district station.
	var noCPO []Contact
	for _, ct := range cs {
		if ct.Kind != KindCommunityPolicingOffice {
			noCPO = append(noCPO, ct)
		}
	}
	c = BuildCard(areas1713, nil, noCPO, at(t, 2026, 4, 15, 9, 0), 0)
	if c.NoMeeting == nil || c.NoMeeting.Contact == nil || c.NoMeeting.Contact.Kind != KindDistrictStation {
		t.Errorf("no meeting %+v", c.NoMeeting)
	}

	// Without any directory, the message alone.
	c = BuildCard(areas1713, nil, nil, at(t, 2026, 4, 15, 9, 0), 0)
	if c.NoMeeting == nil || c.NoMeeting.Contact != nil || c.NoMeeting.Message != "No beat meeting is scheduled for beat 1713." {
		t.Errorf("no meeting %+v", c.NoMeeting)
	}
	if c.Contacts == nil {
		t.Error("contacts must encode as [], not null")
	}

	// A point without a beat.
	c = BuildCard(areas1713[3:], ms, cs, at(t, 2026, 3, 1, 9, 0), 0)
	if c.Beat != "" || len(c.NextMeetings) != 0 || c.NoMeeting == nil || !strings.HasPrefix(c.NoMeeting.Message, "No police beat covers") {
		t.Errorf("card without beat %+v", c)
	}

	// Group meetings of another beat of the group appear; beat 1711 is in
	// the 1711-1713 group.
	c = BuildCard([]data.AreaRef{{Layer: data.LayerBeat, ID: "1711"}}, ms, cs, at(t, 2026, 3, 1, 9, 0), 0)
	if len(c.NextMeetings) != CardMeetings || !c.NextMeetings[0].Group || c.NextMeetings[0].Point == nil {
		t.Errorf("group meetings %+v", c.NextMeetings)
	}
}

// cards builds the cards the golden files hold.
func cards(t *testing.T) map[string]Card {
	ms, errs := readMeetingsFile(t, "meetings_chicago.csv")
	cs, errs2 := readContactsFile(t, "contacts_chicago.csv")
	empty, errs3 := readMeetingsFile(t, "meetings_empty.csv")
	if len(errs)+len(errs2)+len(errs3) > 0 {
		t.Fatal(errs, errs2, errs3)
	}
	return map[string]Card{
		"card":       BuildCard(areas1713, ms, cs, at(t, 2026, 3, 10, 19, 0), 4),
		"card_empty": BuildCard(areas1713, empty, cs, at(t, 2026, 3, 10, 19, 0), 1),
	}
}

func TestCardGolden(t *testing.T) {
	for name, c := range cards(t) {
		t.Run(name, func(t *testing.T) {
			js, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".golden.json", append(js, '\n'))

			var back Card
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if len(back.NextMeetings) != len(c.NextMeetings) || !back.AsOf.Equal(c.AsOf) {
				t.Errorf("JSON does not decode back: %+v", back)
			}

			var html bytes.Buffer
			if err := RenderCardHTML(&html, c); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".golden.html", html.Bytes())
		})
	}
}

func TestRenderCardHTML(t *testing.T) {
	cs, _ := readContactsFile(t, "contacts_chicago.csv")
	evil := Contact{Layer: data.LayerWard, AreaID: "39", Kind: "x_office", Name: `<script>alert(1)</script>`,
		Phone: "+1 (312) 555-0100 ext. 12", Email: "a@example.org", URL: "https://example.org/?a=1&b=<2>"}
	c := BuildCard(areas1713, nil, append(cs, evil), at(t, 2026, 3, 10, 19, 0), 1)
	var buf bytes.Buffer
	if err := RenderCardHTML(&buf, c); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`<html lang="en">`,
		`<h1>Police beat 1713</h1>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`href="tel:&#43;13125550100;ext=12"`,
		`href="tel:3125550117"`,
		`href="mailto:caps017@example.org"`,
		`role="status">No beat meeting is scheduled for beat 1713.`,
		`1 open service request near this location.`,
		`X office, Ward 39`,
		`@media print`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	for _, bad := range []string{"<script>", "<img", "<link", "src=", "ZgotmplZ"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %s", bad)
		}
	}
}

func TestTelURL(t *testing.T) {
	for in, want := range map[string]template.URL{
		"312-555-0117":          "tel:3125550117",
		"(773) 555-0139 ext. 2": "tel:7735550139;ext=2",
		"+1 312 555 0117 x204":  "tel:+13125550117;ext=204",
	} {
		if got := telURL(in); got != want {
			t.Errorf("telURL(%q) = %s, want %s", in, got, want)
		}
	}
}
