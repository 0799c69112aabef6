package community

import (
	"time"

	"github.com/geo311/geo311/data"
)

// CardMeetings is how many upcoming meetings a card lists.
const CardMeetings = 3

// Card is the "where am I" answer for a point: its areas, the meetings of
// its beat and beat group, the contacts of its areas and the number of open
// requests nearby. It is JSON-tagged for /v1/whereami and rendered for print
// by RenderCardHTML.
type Card struct {
	// AsOf is the instant the card was built for, as given to BuildCard
	// (the HTTP layer passes the request time in the jurisdiction's zone).
	AsOf time.Time `json:"as_of"`
	// Areas are the routed areas, in the order given.
	Areas []data.AreaRef `json:"areas"`
	// Beat and District are the ids of the beat and police district among
	// Areas, "" when the point has none.
	Beat     string `json:"beat,omitempty"`
	District string `json:"district,omitempty"`
	// MeetingsNow are meetings of the beat under way at AsOf (started, and
	// with a known duration that has not ended).
	MeetingsNow []CardMeeting `json:"meetings_now,omitempty"`
	// NextMeetings are the next CardMeetings meetings of the beat or a beat
	// group including it, starting after AsOf, earliest first. Never null.
	NextMeetings []CardMeeting `json:"next_meetings"`
	// NoMeeting is set when no meeting of the beat is under way or
	// scheduled (or the point has no beat).
	NoMeeting *NoMeeting `json:"no_meeting,omitempty"`
	// Contacts are the contacts of every routed area, by area order then
	// kind. Never null.
	Contacts []Contact `json:"contacts"`
	// OpenNearby is the number of open requests near the point, as the
	// caller counted them.
	OpenNearby int `json:"open_nearby"`
}

// NoMeeting tells a resident that no beat meeting is scheduled and whom to
// ask instead: the district's community policing office (or, without one in
// the directory, the district station).
type NoMeeting struct {
	Message string   `json:"message"`
	Contact *Contact `json:"contact,omitempty"`
}

// CardMeeting is a meeting as a card shows it: the instants, and the local
// date and time already written out for people.
type CardMeeting struct {
	ID    string   `json:"id"`
	Beats []string `json:"beats"`
	// Group is true when several beats meet together.
	Group bool       `json:"group"`
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end,omitempty"`
	// Date and Time are local: "Tuesday, March 10, 2026", "6:30 PM CDT";
	// Until is the local end time, "8:00 PM", when the duration is known.
	Date         string `json:"date"`
	Time         string `json:"time"`
	Until        string `json:"until,omitempty"`
	LocationName string `json:"location_name,omitempty"`
	Address      string `json:"address,omitempty"`
	// Point is [lon, lat] when known.
	Point *[2]float64 `json:"point,omitempty"`
	Notes string      `json:"notes,omitempty"`
}

// BuildCard assembles the card of a point from its routed areas (as
// geo.Router or the store's Locate return them), the jurisdiction's meetings
// and contacts, the request time and the count of open requests nearby.
// Meetings are those of the beat among areas (see NextMeetings and
// MeetingsNow); contacts are ContactsFor(cs, areas). When the beat has no
// meeting under way or ahead, NoMeeting says so and names the district's
// community policing office.
func BuildCard(areas []data.AreaRef, ms []Meeting, cs []Contact, now time.Time, nearbyOpen int) Card {
	c := Card{
		AsOf:         now,
		Areas:        append([]data.AreaRef{}, areas...),
		NextMeetings: []CardMeeting{},
		Contacts:     ContactsFor(cs, areas),
		OpenNearby:   nearbyOpen,
	}
	if c.Contacts == nil {
		c.Contacts = []Contact{}
	}
	for _, a := range areas {
		switch a.Layer {
		case data.LayerBeat:
			if c.Beat == "" {
				c.Beat = a.ID
			}
		case data.LayerDistrict:
			if c.District == "" {
				c.District = a.ID
			}
		}
	}
	if c.Beat != "" {
		for _, m := range MeetingsNow(ms, c.Beat, now) {
			c.MeetingsNow = append(c.MeetingsNow, cardMeeting(m))
		}
		for _, m := range NextMeetings(ms, c.Beat, now, CardMeetings) {
			c.NextMeetings = append(c.NextMeetings, cardMeeting(m))
		}
	}
	if len(c.NextMeetings) == 0 && len(c.MeetingsNow) == 0 {
		c.NoMeeting = noMeeting(c.Beat, c.District, cs)
	}
	return c
}

func noMeeting(beat, district string, cs []Contact) *NoMeeting {
	nm := &NoMeeting{}
	if district != "" {
		for _, kind := range []string{KindCommunityPolicingOffice, KindDistrictStation} {
			for _, ct := range cs {
				if ct.Layer == data.LayerDistrict && ct.AreaID == district && ct.Kind == kind {
					nm.Contact = &ct
					break
				}
			}
			if nm.Contact != nil {
				break
			}
		}
	}
	if beat == "" {
		nm.Message = "No police beat covers this location, so there is no beat meeting to show."
	} else {
		nm.Message = "No beat meeting is scheduled for beat " + beat + "."
	}
	if nm.Contact != nil {
		nm.Message += " " + nm.Contact.Name + " can tell you about community meetings and take your concerns between them."
	}
	return nm
}

func cardMeeting(m Meeting) CardMeeting {
	cm := CardMeeting{
		ID:           m.ID,
		Beats:        m.Beats,
		Group:        len(m.Beats) > 1,
		Start:        m.Start,
		Date:         m.Start.Format("Monday, January 2, 2006"),
		Time:         m.Start.Format("3:04 PM MST"),
		LocationName: m.LocationName,
		Address:      m.Address,
		Notes:        m.Notes,
	}
	if end, ok := m.End(); ok {
		cm.End = &end
		cm.Until = end.Format("3:04 PM")
		if end.Format(time.DateOnly) != m.Start.Format(time.DateOnly) {
			cm.Until = end.Format("Monday 3:04 PM")
		}
	}
	if m.HasPoint() {
		cm.Point = &[2]float64{m.Lon, m.Lat}
	}
	return cm
}
