package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/data/postgis/pgtest"
	"github.com/geo311/geo311/geo"
)

// whereamiAnswer is the JSON of GET /v1/whereami as a client reads it.
type whereamiAnswer struct {
	Lat, Lon     float64
	Jurisdiction string         `json:"jurisdiction"`
	TimeZone     string         `json:"time_zone"`
	AsOf         time.Time      `json:"as_of"`
	Areas        []data.AreaRef `json:"areas"`
	Beat         string         `json:"beat"`
	District     string         `json:"district"`
	NextMeetings []struct {
		ID           string    `json:"id"`
		Beats        []string  `json:"beats"`
		Group        bool      `json:"group"`
		Start        time.Time `json:"start"`
		Date         string    `json:"date"`
		Time         string    `json:"time"`
		LocationName string    `json:"location_name"`
	} `json:"next_meetings"`
	NoMeeting *struct {
		Message string             `json:"message"`
		Contact *community.Contact `json:"contact"`
	} `json:"no_meeting"`
	Contacts   []community.Contact `json:"contacts"`
	OpenNearby int                 `json:"open_nearby"`
}

func (a whereamiAnswer) area(l data.Layer) string {
	for _, r := range a.Areas {
		if r.Layer == l {
			return r.ID
		}
	}
	return ""
}

// demoPoints returns an interior point (lon, lat) of each demo beat.
func demoPoints(t *testing.T) map[string][2]float64 {
	t.Helper()
	_, gens := geo.Demo(1)
	pts := map[string][2]float64{}
	for _, g := range gens {
		if g.Layer != data.LayerBeat {
			continue
		}
		for _, a := range g.Areas {
			pt, ok := geo.InteriorPoint(a.Geometry)
			if !ok {
				t.Fatalf("beat %s has no interior point", a.ID)
			}
			pts[a.ID] = [2]float64{pt[0], pt[1]}
		}
	}
	return pts
}

// nextDSTChange returns the first local day, at least two days after now,
// on which loc's UTC offset changes (the clocks change in the early hours).
func nextDSTChange(t *testing.T, now time.Time, loc *time.Location) time.Time {
	t.Helper()
	d := time.Date(now.Year(), now.Month(), now.Day()+2, 12, 0, 0, 0, loc)
	for i := 0; i < 400; i++ {
		prev := d.AddDate(0, 0, -1)
		_, o1 := prev.Zone()
		_, o2 := d.Zone()
		if o1 != o2 {
			return d
		}
		d = d.AddDate(0, 0, 1)
	}
	t.Fatalf("no DST change in %s within a year", loc)
	return time.Time{}
}

func TestWhereamiMeetingsContactsE2E(t *testing.T) {
	testWhereamiE2E(t, nil)
}

// TestWhereamiPostGIS runs the same loads and answers on the PostGIS store.
func TestWhereamiPostGIS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Logf("pgtest.Start: %v", err)
		pgtest.Need(t, nil)
	}
	t.Cleanup(func() { c.Stop() })
	u, err := c.NewDatabase(ctx, "geo311_whereami")
	if err != nil {
		t.Fatal(err)
	}
	testWhereamiE2E(t, map[string]string{"GEO311_DATABASE_URL": u})
}

// testWhereamiE2E loads meetings and contacts through the CLI for demo
// beats and asks /v1/whereami about points in them; extra selects the
// store (SQLite by default).
func testWhereamiE2E(t *testing.T, extra map[string]string) {
	dir := t.TempDir()
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(dir, "geo311.db"), "GEO311_LOG_LEVEL": "warn",
		"GEO311_ADMIN_KEY": adminKey, "GEO311_PIN_ITERATIONS": "1000", "GEO311_RELOAD_INTERVAL": "0"}
	for k, v := range extra {
		vars[k] = v
	}
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	pts := demoPoints(t)
	for _, b := range []string{"0111", "0121", "0131", "0132", "0133", "0211"} {
		if _, ok := pts[b]; !ok {
			t.Fatalf("demo has no beat %s", b)
		}
	}
	j, gens := geo.Demo(1)
	ix, err := geo.NewIndex(j, gens)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := ix.Locate(pts["0111"][0], pts["0111"][1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ward string
	for _, r := range refs {
		if r.Layer == data.LayerWard {
			ward = r.ID
		}
	}

	// The schedule, relative to today in Chicago: past meetings are never next.
	now := time.Now().In(loc)
	day := func(n int) string { return now.AddDate(0, 0, n).Format(time.DateOnly) }
	dst := nextDSTChange(t, now, loc)
	before, after := dst.AddDate(0, 0, -1), dst.AddDate(0, 0, 1)
	meetings := strings.Join([]string{
		"beat,date,time,duration_minutes,location_name,address,notes",
		"0111," + day(-1) + ",18:30,90,Yesterday Hall,1 Past St,",                          // line 2: past
		"111," + day(3) + ",6:30 PM,90,Merrimac Park fieldhouse,6343 W Irving Park Rd,",    // line 3
		"0111," + day(10) + ",18:30,,Merrimac Park fieldhouse,,Spanish interpretation <b>", // line 4
		"0131;0132;0133," + day(5) + ",19:00,60,Sector 013 Library,10 Group Ave,",          // line 5: a group
		"0132," + day(7) + ",18:00,,Beat 0132 church basement,,",                           // line 6
		"0111," + day(20) + ",25:00,,Bad Time Hall,,",                                      // line 7: bad
		"0121," + before.Format(time.DateOnly) + ",18:30,90,DST Hall,5 Clock St,",          // line 8
		"0121," + after.Format(time.DateOnly) + ",18:30,90,DST Hall,5 Clock St,",           // line 9
		"9999," + day(4) + ",18:30,,Nowhere Hall,,",                                        // line 10: unknown beat
	}, "\n") + "\n"
	mfile := writeFile(t, dir, "meetings.csv", meetings)
	contacts := filepath.Join("testdata", "community", "contacts.csv")

	// Bad rows: reported with file:line and column, and nothing stored
	// without --allow-errors.
	out, errs, err := cli(t, vars, "meetings", "load", "--demo", mfile)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("meetings with a bad row: err %v\n%s%s", err, out, errs)
	}
	if !strings.Contains(errs, mfile+":7: time:") || strings.Count(errs, mfile+":") != 2 {
		t.Errorf("row error not reported with its line and column:\n%s", errs)
	}
	if !strings.Contains(errs, "beat 9999 is not in the active beat generation") {
		t.Errorf("unknown beat not warned about:\n%s", errs)
	}
	if !strings.Contains(err.Error(), "1 row errors") || out != "" {
		t.Errorf("error %v, stdout %q", err, out)
	}

	out, errs = mustCLI(t, vars, "meetings", "load", "--demo", "--allow-errors", mfile), ""
	if !strings.Contains(out, "8 read, 8 inserted, 0 updated, 0 deleted, 1 row errors, 1 warnings") {
		t.Errorf("meetings load: %q", out)
	}
	// Idempotent: the same file again changes nothing.
	if out := mustCLI(t, vars, "meetings", "load", "--demo", "--allow-errors", mfile); !strings.Contains(out, "8 read, 0 inserted, 0 updated, 0 deleted") {
		t.Errorf("reload: %q", out)
	}

	out, errs, err = cli(t, vars, "contacts", "load", "--demo", contacts)
	if err == nil || !strings.Contains(errs, "contacts.csv:6: email:") || !strings.Contains(errs, "district 99 is not in the active district generation") {
		t.Fatalf("contacts with a bad row: err %v\n%s%s", err, out, errs)
	}
	if out := mustCLI(t, vars, "contacts", "load", "--demo", "--allow-errors", contacts); !strings.Contains(out, "4 read, 4 inserted, 0 updated") {
		t.Errorf("contacts load: %q", out)
	}
	// A second file adds the ward's office and changes one phone; the
	// contacts it does not list stay.
	c2 := writeFile(t, dir, "contacts2.csv", "layer,area_id,kind,name,phone\n"+
		"ward,"+ward+",alderman_office,Ward "+ward+" Alderman's Office,312-555-0300\n"+
		"district,01,district_station,1st District Station,312-555-0111\n")
	if out := mustCLI(t, vars, "contacts", "load", "--demo", c2); !strings.Contains(out, "2 read, 1 inserted, 1 updated") {
		t.Errorf("second contacts file: %q", out)
	}
	if out := mustCLI(t, vars, "contacts", "load", "--demo", c2); !strings.Contains(out, "2 read, 0 inserted, 0 updated") {
		t.Errorf("second contacts file again: %q", out)
	}

	// An intake key to file requests nearby.
	intake := strings.TrimSpace(mustCLI(t, vars, "keys", "create", "--demo", "--role", "intake", "--name", "test intake"))
	ts := startServe(t, vars, "--demo")
	whereami := func(t *testing.T, beat string, hdr ...string) (whereamiAnswer, *response) {
		t.Helper()
		pt := pts[beat]
		r := do(t, "GET", fmt.Sprintf("%s/v1/whereami?lat=%v&lon=%v", ts.URL, pt[1], pt[0]), "", nil, hdr...)
		var a whereamiAnswer
		if r.Status != http.StatusOK {
			t.Fatalf("whereami beat %s: %d %s", beat, r.Status, r.Body)
		}
		r.JSON(t, &a)
		if a.Beat != beat || a.area(data.LayerBeat) != beat {
			t.Fatalf("whereami beat %s answered beat %s: %s", beat, a.Beat, r.Body)
		}
		return a, r
	}
	post := func(code string, pt [2]float64, extra ...string) {
		f := url.Values{"api_key": {intake}, "service_code": {code}, "lat": {fmt.Sprint(pt[1])}, "long": {fmt.Sprint(pt[0])}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		r := do(t, "POST", ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		if r.Status != http.StatusCreated {
			t.Fatalf("file %s: %d %s", code, r.Status, r.Body)
		}
	}

	t.Run("beat with meetings, contacts and open requests", func(t *testing.T) {
		a, r := whereami(t, "0111")
		if r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		if a.Jurisdiction != "demo" || a.TimeZone != "America/Chicago" || a.District != "01" ||
			a.area(data.LayerSector) != "011" || a.area(data.LayerWard) != ward || a.area(data.LayerCommunityArea) == "" {
			t.Errorf("areas: %s", r.Body)
		}
		if _, off := a.AsOf.Zone(); off != func() int { _, o := time.Now().In(loc).Zone(); return o }() || time.Since(a.AsOf) > time.Minute || time.Since(a.AsOf) < 0 {
			t.Errorf("as_of %v is not now in Chicago", a.AsOf)
		}
		// The past meeting is never next: the first is in 3 days, then 10.
		if len(a.NextMeetings) != 2 || a.NoMeeting != nil {
			t.Fatalf("next meetings: %s", r.Body)
		}
		m0, m1 := a.NextMeetings[0], a.NextMeetings[1]
		if m0.LocationName != "Merrimac Park fieldhouse" || m0.Start.In(loc).Format("2006-01-02 15:04") != day(3)+" 18:30" ||
			!strings.HasPrefix(m0.Time, "6:30 PM") || m0.Group || m1.Start.In(loc).Format(time.DateOnly) != day(10) {
			t.Errorf("next meetings: %+v", a.NextMeetings)
		}
		for _, m := range a.NextMeetings {
			if !m.Start.After(a.AsOf) || m.LocationName == "Yesterday Hall" {
				t.Errorf("meeting %+v is not after %v", m, a.AsOf)
			}
		}
		// Contacts of district 01 (both kinds) and of the ward; not district 02's.
		var keys []string
		for _, c := range a.Contacts {
			keys = append(keys, c.Key())
		}
		want := []string{"district/01/community_policing_office", "district/01/district_station", "ward/" + ward + "/alderman_office"}
		if strings.Join(keys, " ") != strings.Join(want, " ") {
			t.Errorf("contacts %q, want %q", keys, want)
		}
		for _, c := range a.Contacts {
			if c.Kind == community.KindDistrictStation && c.Phone != "312-555-0111" {
				t.Errorf("station phone not updated by the second file: %+v", c)
			}
		}
		if a.OpenNearby != 0 {
			t.Errorf("open_nearby %d before any request", a.OpenNearby)
		}
		// One public request at the point counts; a community concern (police) does not.
		post("SGA", pts["0111"], "address_string", "1 Demo St")
		post("CC-NOISE", pts["0111"], "description", "Loud parties every night", "email", "someone@example.org")
		if a, r := whereami(t, "0111"); a.OpenNearby != 1 {
			t.Errorf("open_nearby %d, want 1: %s", a.OpenNearby, r.Body)
		}
		// A request in a far beat is not nearby.
		if a, _ := whereami(t, "0211"); a.OpenNearby != 0 {
			t.Errorf("open_nearby in beat 0211: %d", a.OpenNearby)
		}
	})

	t.Run("beat group", func(t *testing.T) {
		for _, beat := range []string{"0131", "0133"} {
			a, r := whereami(t, beat)
			if len(a.NextMeetings) != 1 || !a.NextMeetings[0].Group || strings.Join(a.NextMeetings[0].Beats, ";") != "0131;0132;0133" {
				t.Errorf("beat %s: %s", beat, r.Body)
			}
		}
		a, r := whereami(t, "0132")
		if len(a.NextMeetings) != 2 || a.NextMeetings[0].LocationName != "Sector 013 Library" || a.NextMeetings[1].LocationName != "Beat 0132 church basement" || a.NextMeetings[1].Group {
			t.Errorf("beat 0132: group meeting then its own: %s", r.Body)
		}
	})

	t.Run("DST change week", func(t *testing.T) {
		a, r := whereami(t, "0121")
		if len(a.NextMeetings) != 2 {
			t.Fatalf("0121: %s", r.Body)
		}
		b, c := a.NextMeetings[0], a.NextMeetings[1]
		// Both at 18:30 local on either side of the change: 48 hours apart
		// give or take the hour the clocks moved.
		_, offBefore := before.Zone()
		_, offAfter := after.Zone()
		wantGap := 48*time.Hour + time.Duration(offBefore-offAfter)*time.Second
		if got := c.Start.Sub(b.Start); got != wantGap || wantGap == 48*time.Hour {
			t.Errorf("meetings %v and %v are %v apart, want %v", b.Start, c.Start, got, wantGap)
		}
		nameBefore, _ := before.Zone()
		nameAfter, _ := after.Zone()
		if b.Time != "6:30 PM "+nameBefore || c.Time != "6:30 PM "+nameAfter {
			t.Errorf("local times %q, %q; want 6:30 PM %s, 6:30 PM %s", b.Time, c.Time, nameBefore, nameAfter)
		}
		for i, m := range []time.Time{b.Start, c.Start} {
			if l := m.In(loc); l.Hour() != 18 || l.Minute() != 30 {
				t.Errorf("meeting %d starts at %v local", i, l)
			}
		}
	})

	t.Run("empty schedule names the district's community policing office", func(t *testing.T) {
		a, r := whereami(t, "0211")
		if len(a.NextMeetings) != 0 || a.NoMeeting == nil || !strings.Contains(strings.ToLower(a.NoMeeting.Message), "no meeting scheduled") && !strings.Contains(strings.ToLower(a.NoMeeting.Message), "no beat meeting is scheduled") {
			t.Fatalf("0211: %s", r.Body)
		}
		if c := a.NoMeeting.Contact; c == nil || c.Key() != "district/02/community_policing_office" || c.Phone != "312-555-0201 ext 12" {
			t.Errorf("no-meeting contact: %s", r.Body)
		}
	})

	t.Run("HTML card", func(t *testing.T) {
		pt := pts["0111"]
		for _, hdr := range [][]string{nil, {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}} {
			u := fmt.Sprintf("%s/v1/whereami?lat=%v&lon=%v", ts.URL, pt[1], pt[0])
			if hdr == nil {
				u += "&format=html"
			}
			r := do(t, "GET", u, "", nil, hdr...)
			body := string(r.Body)
			if r.Status != 200 || r.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
				!strings.Contains(body, "Merrimac Park fieldhouse") || !strings.Contains(body, "1st District Community Policing Office") ||
				strings.Contains(body, "Yesterday Hall") || strings.Contains(body, "<b>") || !strings.Contains(body, "&lt;b&gt;") {
				t.Errorf("HTML card (%v): %d %s\n%s", hdr, r.Status, r.Header.Get("Content-Type"), body)
			}
		}
		// JSON is still the answer for API clients and JSON-preferring Accept headers.
		r := do(t, "GET", fmt.Sprintf("%s/v1/whereami?lat=%v&lon=%v", ts.URL, pt[1], pt[0]), "", nil, "Accept", "application/json, text/html;q=0.5")
		if r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("Accept JSON first: %s", r.Header.Get("Content-Type"))
		}
	})

	t.Run("bad input", func(t *testing.T) {
		pt := pts["0111"]
		for _, tc := range []struct {
			query, field string
			status       int
		}{
			{"lon=-88.3", "lat", 400},
			{"lat=41.2", "lon", 400},
			{"lat=NaN&lon=-88.3", "lat", 400},
			{"lat=91&lon=-88.3", "lat", 400},
			{"lat=41.2&lon=-181", "lon", 400},
			{"lat=41.2&lon=Inf", "lon", 400},
			{"lat=abc&lon=-88.3", "lat", 400},
			{"lat=41.2&lat=41.3&lon=-88.3", "lat", 400},
			{"address_id=12345", "address_id", 400},
			{fmt.Sprintf("lat=%v&lon=%v&format=xml", pt[1], pt[0]), "format", 400},
			{"lat=10&lon=10", "", 422},
		} {
			r := do(t, "GET", ts.URL+"/v1/whereami?"+tc.query, "", nil)
			var e apiError
			r.JSON(t, &e)
			if r.Status != tc.status || e.Error.Field != tc.field {
				t.Errorf("%s: %d %s, want %d naming %q", tc.query, r.Status, r.Body, tc.status, tc.field)
			}
			if tc.status == 422 && (e.Error.Code != "outside_jurisdiction" || e.Error.Message != j.OutsideMessage) {
				t.Errorf("outside: %s", r.Body)
			}
			if tc.field == "address_id" && !strings.Contains(e.Error.Message, "no address points are loaded") {
				t.Errorf("address_id: %s", r.Body)
			}
		}
	})
}

func TestMeetingsContactsUsage(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "geo311.db"), "GEO311_LOG_LEVEL": "warn"}
	for _, args := range [][]string{{"meetings"}, {"meetings", "list"}, {"contacts", "load"}, {"contacts", "load", "a.csv", "b.csv"}} {
		_, _, err := cli(t, vars, append(args, "--demo")...)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	// A file that is not a meetings file at all is an error naming it.
	f := writeFile(t, t.TempDir(), "x.csv", "name,phone\nx,1\n")
	if _, _, err := cli(t, vars, "meetings", "load", "--demo", f); err == nil || !strings.Contains(err.Error(), f) {
		t.Errorf("structural error: %v", err)
	}
	if _, _, err := cli(t, vars, "contacts", "load", "--demo", filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Error("missing file accepted")
	}
}
