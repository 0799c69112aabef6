package community

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

func addTestdataSeeds(f *testing.F, prefix string) {
	files, err := filepath.Glob(filepath.Join("testdata", prefix+"*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no %s seeds: %v", prefix, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReadMeetings: any input gives a file error, or meetings and row
// errors that keep the package's promises: row errors wrap ErrInvalid and
// name real lines, meetings are valid and normalised, and writing the
// meetings and reading them back gives them again.
func FuzzReadMeetings(f *testing.F) {
	addTestdataSeeds(f, "meetings_")
	for _, s := range []string{
		"beat,date,time,address\n1713,2026-03-08,02:30,x\n",
		"beat,date,time,address\n\"1713\n1712\",2026-03-08,18:30,\"a\"\"b\"\n",
		"beat,date,time,location_name,lat,lon\n1,1/1/2000,12:00 am,x,-90,180\n",
		"BEAT,Date,TIME,Address\r\n0001;9999,12/31/2099,11:59 PM,x\r\n",
	} {
		f.Add([]byte(s))
	}
	j := chicago()
	f.Fuzz(func(t *testing.T, in []byte) {
		ms, errs, err := ReadMeetings(bytes.NewReader(in), j)
		if err != nil {
			if ms != nil || errs != nil {
				t.Fatal("records with a file error")
			}
			return
		}
		lines := bytes.Count(in, []byte("\n")) + 1
		for _, e := range errs {
			if !errors.Is(e, data.ErrInvalid) || e.Line < 2 || e.Line > lines {
				t.Fatalf("row error %v (line %d of %d)", e, e.Line, lines)
			}
		}
		ids := map[string]bool{}
		for _, m := range ms {
			if ids[m.ID] {
				t.Fatalf("id %s twice", m.ID)
			}
			ids[m.ID] = true
			if len(m.Beats) == 0 || !slices.IsSorted(m.Beats) || len(slices.Compact(slices.Clone(m.Beats))) != len(m.Beats) {
				t.Fatalf("beats %q", m.Beats)
			}
			for _, b := range m.Beats {
				if len(b) != 4 || !allDigits(b) {
					t.Fatalf("beat %q is not 4 digits", b)
				}
			}
			if m.ID != MeetingID(j.ID, m.Beats, m.Wall()) || m.Start.Location().String() != j.TimeZone ||
				m.Start.Year() < 2000 || m.Start.Year() > 2099 || m.Start.Second() != 0 {
				t.Fatalf("meeting %+v", m)
			}
			if m.LocationName == "" && m.Address == "" {
				t.Fatalf("meeting without a place: %+v", m)
			}
			if m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180 {
				t.Fatalf("point %v %v", m.Lon, m.Lat)
			}
			for _, s := range []string{m.LocationName, m.Address, m.Notes} {
				if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
					t.Fatalf("text %q", s)
				}
			}
		}
		var buf bytes.Buffer
		if err := WriteMeetings(&buf, ms); err != nil {
			t.Fatal(err)
		}
		again, errs2, err := ReadMeetings(&buf, j)
		if err != nil || len(errs2) > 0 || !slices.EqualFunc(ms, again, sameMeeting) {
			t.Fatalf("round trip: %v %v\n%+v\n%+v", errs2, err, ms, again)
		}
	})
}

// FuzzReadContacts: the same promises for contacts.
func FuzzReadContacts(f *testing.F) {
	addTestdataSeeds(f, "contacts_")
	for _, s := range []string{
		"layer,area_id,kind,name,url\nward,1,x,y,https://example.org/\n",
		"layer,area_id,kind,name,phone,email\nDISTRICT,1.0,A_B,\"n\"\"ame\",+1 (312) 555-0100 x9,a@b.co\n",
	} {
		f.Add([]byte(s))
	}
	j := chicago()
	f.Fuzz(func(t *testing.T, in []byte) {
		cs, errs, err := ReadContacts(bytes.NewReader(in), j)
		if err != nil {
			if cs != nil || errs != nil {
				t.Fatal("records with a file error")
			}
			return
		}
		lines := bytes.Count(in, []byte("\n")) + 1
		for _, e := range errs {
			if !errors.Is(e, data.ErrInvalid) || e.Line < 2 || e.Line > lines {
				t.Fatalf("row error %v (line %d of %d)", e, e.Line, lines)
			}
		}
		keys := map[string]bool{}
		for _, c := range cs {
			if keys[c.Key()] {
				t.Fatalf("key %s twice", c.Key())
			}
			keys[c.Key()] = true
			spec, ok := j.LayerSpec(c.Layer)
			if !ok || c.AreaID == "" || NormalizeID(c.AreaID, spec.PadID) != c.AreaID || c.Name == "" {
				t.Fatalf("contact %+v", c)
			}
			if _, err := data.ParseLayer(c.Kind); err != nil {
				t.Fatalf("kind %q", c.Kind)
			}
			if c.Phone == "" && c.Email == "" && c.Address == "" && c.URL == "" {
				t.Fatalf("contact without a way to reach it: %+v", c)
			}
			if c.URL != "" && !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
				t.Fatalf("url %q", c.URL)
			}
		}
		var buf bytes.Buffer
		if err := WriteContacts(&buf, cs); err != nil {
			t.Fatal(err)
		}
		again, errs2, err := ReadContacts(&buf, j)
		if err != nil || len(errs2) > 0 || !slices.Equal(cs, again) {
			t.Fatalf("round trip: %v %v\n%+v\n%+v", errs2, err, cs, again)
		}
		// Rendering never fails on what the reader accepts.
		var areas []data.AreaRef
		for _, c := range cs {
			areas = append(areas, data.AreaRef{Layer: c.Layer, ID: c.AreaID})
		}
		card := BuildCard(areas, nil, cs, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), 0)
		if len(card.Contacts) != len(cs) {
			t.Fatalf("card has %d of %d contacts", len(card.Contacts), len(cs))
		}
		if err := RenderCardHTML(io.Discard, card); err != nil {
			t.Fatal(err)
		}
	})
}
