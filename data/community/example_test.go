package community_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
)

func chicago() *data.Jurisdiction {
	return &data.Jurisdiction{ID: "chicago", TimeZone: "America/Chicago", Layers: []data.LayerSpec{
		{Layer: data.LayerBeat, PadID: 4}, {Layer: data.LayerDistrict, PadID: 2}, {Layer: data.LayerWard},
	}}
}

// Meetings are read with their line numbers; a bad row is reported, not
// dropped. Beat ids are padded to 4 digits, times are Chicago wall clocks.
func ExampleReadMeetings() {
	src := `beat,date,time,duration_minutes,location_name,address
"1711,1712,1713",2026-03-10,6:30 PM,90,Elm Park fieldhouse,4700 N Example Ave
713,03/17/2026,18:30,,Birch Senior Center,2000 S Example Pkwy
1713,2026-03-08,02:30,,Elm Park fieldhouse,4700 N Example Ave
`
	ms, rowErrs, err := community.ReadMeetings(strings.NewReader(src), chicago())
	if err != nil {
		panic(err)
	}
	for _, m := range ms {
		fmt.Println(m.Beats, m.Start.Format(time.RFC3339), m.Duration, m.LocationName)
	}
	for _, e := range rowErrs {
		fmt.Println(e)
	}
	// Output:
	// [1711 1712 1713] 2026-03-10T18:30:00-05:00 1h30m0s Elm Park fieldhouse
	// [0713] 2026-03-17T18:30:00-05:00 0s Birch Senior Center
	// line 4: time: 02:30 does not exist on 2026-03-08 in America/Chicago: the clocks skip that hour (daylight saving time starts)
}

func ExampleReadContacts() {
	src := `layer,area_id,kind,name,phone,email
district,7,community_policing_office,7th District CAPS Office,312-555-0107,caps007@example.org
ward,17,alderman_office,17th Ward Office,773-555-0117,not an address
`
	cs, rowErrs, err := community.ReadContacts(strings.NewReader(src), chicago())
	if err != nil {
		panic(err)
	}
	for _, c := range cs {
		fmt.Println(c.Key(), c.Name)
	}
	for _, e := range rowErrs {
		fmt.Println(e)
	}
	// Output:
	// district/07/community_policing_office 7th District CAPS Office
	// line 3: email: "not an address" is not an email address (user@example.org)
}

// A meeting that has started is not next. The group meeting of beats
// 1711-1713 is a meeting of beat 1712.
func ExampleNextMeetings() {
	loc, _ := time.LoadLocation("America/Chicago")
	src := `beat,date,time,address
1711;1712;1713,2026-03-03,18:30,4700 N Example Ave
1711;1712;1713,2026-03-10,18:30,4700 N Example Ave
1712,2026-03-24,19:00,1 Example St
`
	ms, _, _ := community.ReadMeetings(strings.NewReader(src), chicago())
	now := time.Date(2026, 3, 3, 18, 30, 0, 0, loc)
	for _, m := range community.NextMeetings(ms, "1712", now, 5) {
		fmt.Println(m.Start.Format("Mon Jan 2 15:04 MST"), m.Start.UTC().Format("15:04 UTC"))
	}
	// Output:
	// Tue Mar 10 18:30 CDT 23:30 UTC
	// Tue Mar 24 19:00 CDT 00:00 UTC
}

// LocalTime reads wall clocks the zone skips or repeats as RFC 5545 does.
func ExampleLocalTime() {
	loc, _ := time.LoadLocation("America/Chicago")
	t, exact := community.LocalTime(loc, 2026, time.March, 8, 2, 30)
	fmt.Println(t.Format("15:04 MST"), exact)
	t, exact = community.LocalTime(loc, 2026, time.November, 1, 1, 30)
	fmt.Println(t.Format("15:04 MST"), exact)
	// Output:
	// 03:30 CDT false
	// 01:30 CDT true
}

// With no meeting ahead, the card names the district's community policing
// office.
func ExampleBuildCard() {
	loc, _ := time.LoadLocation("America/Chicago")
	areas := []data.AreaRef{
		{Layer: data.LayerBeat, ID: "0713", Generation: "beat@2012-12-19"},
		{Layer: data.LayerDistrict, ID: "07", Generation: "district@2012-12-19"},
	}
	cs := []community.Contact{{Layer: data.LayerDistrict, AreaID: "07", Kind: community.KindCommunityPolicingOffice,
		Name: "7th District CAPS Office", Phone: "312-555-0107"}}
	c := community.BuildCard(areas, nil, cs, time.Date(2026, 3, 10, 12, 0, 0, 0, loc), 2)
	fmt.Println(len(c.NextMeetings), c.NoMeeting.Message)
	fmt.Println(c.NoMeeting.Contact.Phone, c.OpenNearby)
	// Output:
	// 0 No beat meeting is scheduled for beat 0713. 7th District CAPS Office can tell you about community meetings and take your concerns between them.
	// 312-555-0107 2
}
