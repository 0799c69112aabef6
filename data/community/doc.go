// Package community owns CAPS beat community meetings and the contact
// directory of areas: the data behind a resident's "where am I" card (the
// next meeting of my beat, whom to call in my police district and ward).
//
// It reads both from CSV files, validates them row by row, answers "what are
// the next meetings of this beat" at a given instant, picks the contacts of a
// set of routed areas, and assembles the card /v1/whereami returns, as JSON
// (Card) and as a small printable HTML page (RenderCardHTML). It does no I/O
// beyond the readers and writers it is given, knows no store and no HTTP:
// Meeting and Contact are plain structs a store persists field by field.
//
// # Meetings CSV
//
// One row per meeting. The first line is the header; column names are
// matched case-insensitively after trimming, in any order; unknown columns
// are ignored; a UTF-8 byte order mark is tolerated. Fields are trimmed.
//
//	column            required  format
//	beat              yes       one beat id, or a beat group: ids separated by ";"
//	                            ("1711;1712;1713"). "," (quote the field) and "|"
//	                            are accepted as separators too. Ids are normalised
//	                            like boundary ids: "713" -> "0713" where the
//	                            jurisdiction's beat layer has pad_id 4; with a pad
//	                            width an id must be digits, at most that many.
//	                            A group is stored sorted, without repeats.
//	date              yes       YYYY-MM-DD or MM/DD/YYYY (M/D/YYYY), years 2000-2099
//	time              yes       HH:MM on the 24-hour clock ("18:30") or h:mm AM/PM
//	                            ("6:30 PM", "6:30pm", "6:30 p.m."); local time of
//	                            the jurisdiction (see Time zones)
//	duration_minutes  no        whole minutes, 1-1440
//	location_name     one of    name of the place ("Merrimac Park fieldhouse")
//	address           the two   street address
//	lat, lon          no        WGS84 degrees, both or neither; 0,0 is refused
//	notes             no        free text ("Spanish interpretation available")
//
// # Contacts CSV
//
// One row per contact of an area, same header rules. Layer and kind are
// matched case-insensitively and stored lower-case.
//
//	column   required  format
//	layer    yes       a layer of the jurisdiction ("district", "ward", "beat", ...)
//	area_id  yes       the area's id, normalised with the layer's pad_id ("7" ->
//	                   "07" for Chicago districts)
//	kind     yes       what the contact is: lower-case letters, digits and _
//	                   ("community_policing_office", "district_station",
//	                   "alderman_office"); see the Kind* constants
//	name     yes       display name ("7th District Community Policing Office")
//	phone    one of    digits with spaces, + ( ) - . / and an "ext" or "x" extension; 7-20 digits
//	email    phone,    one plain address (user@example.org), no display name
//	address  email,    street address
//	url      address,  absolute http or https URL
//	         url
//	hours    no        free text ("Mon-Fri 9:00-17:00")
//
// A contact is identified by (layer, area_id, kind): one contact per kind per
// area. An area with two offices of the same sort gives the second its own
// kind ("alderman_satellite_office").
//
// # Validation
//
// Every data row either becomes a record or is reported as a RowError with
// its line number (the line the row starts on; the header is line 1), the
// column at fault and an error wrapping data.ErrInvalid: no row is dropped
// silently. The readers keep going after a bad row so that one pass reports
// every problem. Two exceptions, neither losing data: a row whose every
// field is blank is skipped, and a row repeating an earlier row's natural key
// with the same content collapses into it. A row repeating a key with
// different content is a RowError naming the earlier line. Structural
// problems (unreadable input, missing required columns, a header naming a
// column twice, a jurisdiction without a beat layer or with an unknown time
// zone) are the returned error instead, and no records are returned.
//
// Loads are idempotent: a meeting's ID is a hash of its natural key
// (jurisdiction, sorted beat group, local start date and time), so loading
// a corrected file again updates meetings in place rather than adding
// copies; a contact's key is (layer, area_id, kind).
//
// # Time zones
//
// Meeting times are wall-clock times of the jurisdiction
// (Jurisdiction.TimeZone, America/Chicago). Meeting.Start holds the instant
// with that location attached, computed from the wall clock by LocalTime, so
// an 18:30 meeting is 23:30 UTC in summer and 00:30 UTC the next day in
// winter, including in the weeks the clocks change. Stores persist the wall
// clock (Meeting.Wall, "2026-03-10T18:30") and rebuild Start with ParseWall
// in the jurisdiction's zone, so a change of time-zone rules keeps meetings
// at their announced local time. WriteMeetings and WriteContacts write files
// the readers read back unchanged (exports, round-trip tests).
//
// Wall clocks the zone skips or repeats follow RFC 5545 (iCalendar) rather
// than time.Date, whose choice the Go documentation leaves open (Go 1.26
// turns 02:30 on 8 March 2026 in Chicago into 01:30 CST, an hour before the
// gap). LocalTime reads a skipped time with the offset in force before the
// gap, so 02:30 on 8 March 2026 becomes 03:30 CDT, and a repeated time as
// its first occurrence, so 01:30 on 1 November 2026 is 01:30 CDT. The CSV
// reader refuses a skipped time (nobody can attend a meeting at a time that
// does not exist; the row is a typo) and accepts a repeated one.
//
// "Next" is strict: NextMeetings returns meetings that start after now. A
// meeting that has started is no longer next; while it runs (its Duration is
// known and now is before its end) it is "now" (MeetingsNow), and the card
// shows it as under way. Past meetings are never next.
//
// The testdata schedules and directories are synthetic.
package community
