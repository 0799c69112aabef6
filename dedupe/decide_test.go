package dedupe

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.FixedZone("CST", -6*3600))

const baseLat, baseLon = 41.92535, -87.65830 // W Fullerton Ave, Lincoln Park

// req builds a request dm metres east (bearing 90°) of the base point,
// received ago before t0.
func req(num, code string, dm float64, ago time.Duration, addr, desc string) *data.Request {
	lat, lon := destination(baseLat, baseLon, math.Pi/2, dm)
	return &data.Request{Number: num, ServiceCode: code, State: data.StateNew, Lat: lat, Lon: lon,
		Address: addr, Description: desc, RequestedAt: t0.Add(-ago)}
}

func closedAt(r *data.Request, ago time.Duration) *data.Request {
	r.State = data.StateClosed
	r.ClosedAt = t0.Add(-ago)
	return r
}

func dupOf(r *data.Request, parent string) *data.Request {
	r.Duplicate, r.ParentNumber = true, parent
	return r
}

const dayD = 24 * time.Hour

func TestDecide(t *testing.T) {
	pothole := data.DedupeRule{RadiusM: 40, WindowDays: 30, SameStreet: true}
	graffiti := data.DedupeRule{RadiusM: 100, WindowDays: 14, IncludeClosedDays: 3}
	lights := data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}
	newPH := func() *data.Request {
		return req("SR26-9", "PHF", 0, 0, "1234 W FULLERTON AVE", "deep pothole in the curb lane")
	}
	newGR := func() *data.Request { return req("SR26-9", "GRAF", 0, 0, "1234 W FULLERTON AVE", "") }
	for _, tc := range []struct {
		name       string
		r          *data.Request
		rule       data.DedupeRule
		cands      []*data.Request
		dup        bool
		primary    string
		match      string
		considered int
		reason     string
	}{
		{"no candidates", newPH(), pothole, nil, false, "", "", 0, "no open PHF request within 40 m in the 30 days"},
		{"dedupe off", newPH(), data.DedupeRule{}, []*data.Request{req("SR26-1", "PHF", 0, dayD, "1234 W FULLERTON AVE", "")}, false, "", "", 0, "deduplication is off"},
		{"same address same day", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 2, time.Hour, "1234 W Fullerton Ave", "pothole")}, true, "SR26-1", "SR26-1", 1, "same address (1234 W FULLERTON AVE)"},
		{"chain collapses to root", newPH(), pothole,
			[]*data.Request{dupOf(req("SR26-2", "PHF", 2, time.Hour, "1234 W FULLERTON AVE", ""), "SR26-1")}, true, "SR26-1", "SR26-2", 1, "through SR26-2"},
		{"itself is not a candidate", newPH(), pothole,
			[]*data.Request{req("SR26-9", "PHF", 0, 0, "1234 W FULLERTON AVE", "")}, false, "", "", 0, "no open PHF"},
		{"beyond radius", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 41, time.Hour, "1234 W FULLERTON AVE", "")}, false, "", "", 0, ""},
		{"older than window", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 0, 31*dayD, "1234 W FULLERTON AVE", "")}, false, "", "", 0, ""},
		{"received after", newPH(), pothole,
			[]*data.Request{req("SR26-10", "PHF", 0, -time.Minute, "1234 W FULLERTON AVE", "")}, false, "", "", 0, ""},
		{"closed, open only", newPH(), pothole,
			[]*data.Request{closedAt(req("SR26-1", "PHF", 0, 5*dayD, "1234 W FULLERTON AVE", ""), dayD)}, false, "", "", 0, ""},
		{"closed later than now is still open", newPH(), pothole,
			[]*data.Request{closedAt(req("SR26-1", "PHF", 0, 5*dayD, "1234 W FULLERTON AVE", ""), -dayD)}, true, "SR26-1", "SR26-1", 1, ""},
		{"closed within grace", newGR(), graffiti,
			[]*data.Request{closedAt(req("SR26-1", "GRAF", 5, 5*dayD, "1234 W FULLERTON AVE", ""), 2*dayD)}, true, "SR26-1", "SR26-1", 1, ""},
		{"closed beyond grace", newGR(), graffiti,
			[]*data.Request{closedAt(req("SR26-1", "GRAF", 5, 5*dayD, "1234 W FULLERTON AVE", ""), 4*dayD)}, false, "", "", 0, ""},
		{"closed without time", newGR(), graffiti,
			[]*data.Request{{Number: "SR26-1", ServiceCode: "GRAF", State: data.StateClosed, Lat: baseLat, Lon: baseLon, RequestedAt: t0.Add(-time.Hour)}}, false, "", "", 0, ""},
		{"other type", newPH(), pothole,
			[]*data.Request{req("SR26-1", "GRAF", 0, time.Hour, "1234 W FULLERTON AVE", "")}, false, "", "", 0, ""},
		{"group admits other type", req("SR26-9", "SFD", 0, 0, "", ""), lights,
			[]*data.Request{req("SR26-1", "SFA", 60, 2*dayD, "", "")}, true, "SR26-1", "SR26-1", 1, "60 m away, received 2 days earlier"},
		{"other street with same-street rule", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 10, time.Hour, "2400 N CLARK ST", "")}, false, "", "", 0, ""},
		{"same street beyond four addresses", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 10, time.Hour, "1250 W FULLERTON AVE", "")}, false, "", "", 0, ""},
		{"same street within four addresses", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 10, time.Hour, "1240 W FULLERTON AVE", "")}, true, "SR26-1", "SR26-1", 1, "same street within 8 house numbers"},
		{"unknown address falls back to distance", newPH(), pothole,
			[]*data.Request{req("SR26-1", "PHF", 10, time.Hour, "", "")}, true, "SR26-1", "SR26-1", 1, ""},
		{"weak match stays primary", newGR(), graffiti,
			[]*data.Request{req("SR26-1", "GRAF", 90, 12*dayD, "2400 N CLARK ST", "")}, false, "SR26-1", "SR26-1", 1, "Not a duplicate: the best match, SR26-1"},
		{"best of several: same address beats nearer other street", newGR(), graffiti,
			[]*data.Request{
				req("SR26-1", "GRAF", 3, time.Hour, "2400 N CLARK ST", ""),
				req("SR26-2", "GRAF", 8, time.Hour, "1234 W FULLERTON AVE", ""),
				req("SR26-3", "GRAF", 50, 13*dayD, "", ""),
			}, true, "SR26-2", "SR26-2", 3, ""},
		{"tie: smaller number", newGR(), graffiti,
			[]*data.Request{
				req("SR26-5", "GRAF", 5, time.Hour, "1234 W FULLERTON AVE", ""),
				req("SR26-4", "GRAF", 5, time.Hour, "1234 W FULLERTON AVE", ""),
			}, true, "SR26-4", "SR26-4", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.r, tc.rule, tc.cands, t0)
			if d.Duplicate != tc.dup || d.Primary != tc.primary || d.Match != tc.match || d.Considered != tc.considered {
				t.Fatalf("got dup %v primary %q match %q considered %d, want %v %q %q %d\n%s",
					d.Duplicate, d.Primary, d.Match, d.Considered, tc.dup, tc.primary, tc.match, tc.considered, d.Reason)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", d.Reason, tc.reason)
			}
			if d.Score < 0 || d.Score > 1 || (d.Duplicate && d.Score < Threshold) {
				t.Errorf("score %v out of range", d.Score)
			}
			// The index must reach the same decision.
			ix := NewIndex(&data.Jurisdiction{Services: []data.ServiceType{
				{Code: "PHF", Dedupe: pothole}, {Code: "GRAF", Dedupe: graffiti},
				{Code: "SFD", Dedupe: lights}, {Code: "SFA", Dedupe: lights}}})
			for _, c := range tc.cands {
				if err := ix.Add(c); err != nil {
					t.Fatal(err)
				}
			}
			d2, err := ix.Decide(tc.r, tc.rule, t0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "other type" {
				return // the index never offers another group; Decide filtered it
			}
			if d2 != d {
				t.Errorf("index decision differs:\n%+v\n%+v", d2, d)
			}
		})
	}
}

func TestDecideScoreComponents(t *testing.T) {
	rule := data.DedupeRule{RadiusM: 100, WindowDays: 10}
	r := req("SR26-9", "GRAF", 0, 0, "1234 W FULLERTON AVE", "gang tags on garage door")
	c := req("SR26-1", "GRAF", 50, 5*dayD, "1234 W FULLERTON AVE", "tags on the garage door")
	d := Decide(r, rule, []*data.Request{c}, t0)
	sim, _ := Similarity(r.Description, c.Description)
	want := (WeightDistance*0.5 + WeightTime*0.5 + WeightPlace*1 + WeightText*sim) / (WeightDistance + WeightTime + WeightPlace + WeightText)
	if math.Abs(d.Score-want) > 1e-3 || !d.SameAddress || !d.SameStreet || !d.HasText || d.Similarity != sim {
		t.Fatalf("decision %+v, want score %v", d, want)
	}
	if math.Abs(d.DistanceM-50) > 0.01 || d.Gap != 5*dayD {
		t.Fatalf("distance %v gap %v", d.DistanceM, d.Gap)
	}
	// Without addresses or descriptions, only distance and time count.
	r.Address, c.Address, r.Description = "", "", ""
	d = Decide(r, rule, []*data.Request{c}, t0)
	if want := (WeightDistance*0.5 + WeightTime*0.5) / (WeightDistance + WeightTime); math.Abs(d.Score-want) > 1e-3 {
		t.Fatalf("score %v, want %v", d.Score, want)
	}
}

func TestSameGroup(t *testing.T) {
	j := &data.Jurisdiction{Services: []data.ServiceType{
		{Code: "SFD", Dedupe: data.DedupeRule{Group: "lights"}},
		{Code: "SFA", Dedupe: data.DedupeRule{Group: "lights"}},
		{Code: "PHF"}, {Code: "GRAF"},
	}}
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"SFD", "SFA", true}, {"SFD", "SFD", true}, {"PHF", "PHF", true}, {"PHF", "GRAF", false}, {"SFD", "PHF", false}, {"XX", "SFD", false}, {"XX", "XX", true}} {
		if got := SameGroup(j, tc.a, tc.b); got != tc.want {
			t.Errorf("SameGroup(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}
