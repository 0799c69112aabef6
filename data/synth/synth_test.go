package synth

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

func testJurisdiction() *data.Jurisdiction {
	dd := func(r float64, w int) data.DedupeRule { return data.DedupeRule{RadiusM: r, WindowDays: w} }
	return &data.Jurisdiction{
		ID: "testcity", Name: "Test City", TimeZone: "America/Chicago",
		Services: []data.ServiceType{
			{Code: "PHF", Name: "Pothole in Street Complaint", Kind: data.KindServiceRequest, Department: "CDOT", SLADays: 7, Dedupe: data.DedupeRule{RadiusM: 30, WindowDays: 30, SameStreet: true}},
			{Code: "GRAF", Name: "Graffiti Removal Request", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 5, Dedupe: dd(50, 30)},
			{Code: "SFD", Name: "Street Light Out Complaint", Kind: data.KindServiceRequest, Department: "CDOT", SLADays: 10, Dedupe: data.DedupeRule{Group: "lights", RadiusM: 60, WindowDays: 30}},
			{Code: "SFA", Name: "Alley Light Out Complaint", Kind: data.KindServiceRequest, Department: "CDOT", SLADays: 10, Dedupe: data.DedupeRule{Group: "lights", RadiusM: 60, WindowDays: 30}},
			{Code: "SGA", Name: "Rodent Baiting/Rat Complaint", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 10, Dedupe: dd(100, 30)},
			{Code: "SIE", Name: "Garbage Cart Maintenance", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 14, Dedupe: dd(30, 60)},
			{Code: "SEF", Name: "Tree Trim Request", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 90, Dedupe: dd(50, 90)},
			{Code: "SKA", Name: "Abandoned Vehicle Complaint", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 14, Dedupe: data.DedupeRule{RadiusM: 50, WindowDays: 30, IncludeClosedDays: 7}},
			{Code: "SCB", Name: "Sanitation Code Violation", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 7, Dedupe: dd(50, 14)},
			{Code: "BBA", Name: "Building Violation", Kind: data.KindServiceRequest, Department: "Buildings", SLADays: 30},
			{Code: "SFB", Name: "Traffic Signal Out Complaint", Kind: data.KindServiceRequest, Department: "CDOT", SLADays: 2, Dedupe: dd(40, 7)},
			{Code: "CPD-CC", Name: "Community Concern", Kind: data.KindCommunityConcern, Department: "Chicago Police Department", SLADays: 7, Police: true},
			{Code: "ROB", Name: "Robbery in progress", Kind: data.KindServiceRequest, Police: true, Emergency: true},
		},
	}
}

// testAreas: a concave polygon, a polygon with a hole, and a multipolygon
// of two squares, around (-87.7, 41.85).
func testAreas() []data.Area {
	sq := func(x, y, s float64) orb.Ring {
		return orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
	}
	concave := orb.Polygon{{{-87.80, 41.80}, {-87.70, 41.80}, {-87.70, 41.90}, {-87.75, 41.84}, {-87.80, 41.90}, {-87.80, 41.80}}}
	holed := orb.Polygon{sq(-87.69, 41.80, 0.08), sq(-87.67, 41.82, 0.04)}
	return []data.Area{
		{Layer: data.LayerWard, ID: "1", Geometry: orb.MultiPolygon{concave}},
		{Layer: data.LayerWard, ID: "2", Geometry: orb.MultiPolygon{holed}},
		{Layer: data.LayerWard, ID: "3", Geometry: orb.MultiPolygon{{sq(-87.60, 41.80, 0.02)}, {sq(-87.60, 41.86, 0.02)}}},
	}
}

func collect(t testing.TB, cfg Config) []*data.Request {
	t.Helper()
	var out []*data.Request
	if err := Generate(cfg, func(r *data.Request) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func fingerprint(rs []*data.Request) uint64 {
	h := fnv.New64a()
	for _, r := range rs {
		fmt.Fprintf(h, "%s|%s|%s|%.9f|%.9f|%d|%d|%v|%s|%s|%s\n", r.Number, r.ServiceCode, r.State, r.Lon, r.Lat,
			r.RequestedAt.UnixNano(), r.ClosedAt.UnixNano(), r.Duplicate, r.ParentNumber, r.Origin, r.Description)
	}
	return h.Sum64()
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Jurisdiction: testJurisdiction(), N: 20000, Seed: 7, Year: 2026, Areas: testAreas()}
	a, b := collect(t, cfg), collect(t, cfg)
	if fingerprint(a) != fingerprint(b) {
		t.Fatal("same seed, different output")
	}
	cfg.Seed = 8
	if fingerprint(collect(t, cfg)) == fingerprint(a) {
		t.Fatal("different seeds, same output")
	}
}

func TestYear(t *testing.T) {
	j := testJurisdiction()
	areas := testAreas()
	const n = 200000
	rs := collect(t, Config{Jurisdiction: j, N: n, Seed: 1, Year: 2026, Areas: areas})
	if len(rs) != n {
		t.Fatalf("%d requests, want %d", len(rs), n)
	}
	chi, _ := time.LoadLocation("America/Chicago")
	start, end := time.Date(2026, 1, 1, 0, 0, 0, 0, chi), time.Date(2027, 1, 1, 0, 0, 0, 0, chi)

	byNumber := make(map[string]int, n)
	counts := map[string]int{}
	seq := map[string]int{}
	var prev time.Time
	dups, closed, withinSLA := 0, 0, 0
	dupByGroup := map[string]int{}
	for i, r := range rs {
		if r.RequestedAt.Before(prev) {
			t.Fatalf("%s: requested %v before the previous %v", r.Number, r.RequestedAt, prev)
		}
		prev = r.RequestedAt
		if r.RequestedAt.Before(start) || !r.RequestedAt.Before(end) {
			t.Fatalf("%s: requested %v outside 2026", r.Number, r.RequestedAt)
		}
		// Numbers: sequential per prefix, formatted SR26-00000001.
		prefix := r.Number[:2]
		seq[prefix]++
		if want := fmt.Sprintf("%s26-%08d", prefix, seq[prefix]); r.Number != want {
			t.Fatalf("request %d numbered %s, want %s", i, r.Number, want)
		}
		if (prefix == "CC") != (r.Kind == data.KindCommunityConcern) {
			t.Fatalf("%s: kind %s", r.Number, r.Kind)
		}
		byNumber[r.Number] = i
		counts[r.ServiceCode]++
		if r.Areas != nil || r.H3 != 0 || r.Jurisdiction != "testcity" || r.Department == "" || r.Origin == "" {
			t.Fatalf("%s: areas %v h3 %d jurisdiction %q department %q origin %q", r.Number, r.Areas, r.H3, r.Jurisdiction, r.Department, r.Origin)
		}
		if r.State.Closed() {
			closed++
			if !r.ClosedAt.After(r.RequestedAt) || r.UpdatedAt.Before(r.RequestedAt) {
				t.Fatalf("%s: closed %v requested %v", r.Number, r.ClosedAt, r.RequestedAt)
			}
			if !r.Duplicate && r.State == data.StateClosed && r.ClosedAt.Sub(r.RequestedAt) <= time.Duration(r.SLADays)*24*time.Hour {
				withinSLA++
			}
		} else if !r.ClosedAt.IsZero() {
			t.Fatalf("%s: open with a closing time", r.Number)
		}
		if r.Duplicate {
			dups++
			pi, ok := byNumber[r.ParentNumber]
			if !ok {
				t.Fatalf("%s: parent %q not emitted before", r.Number, r.ParentNumber)
			}
			p := rs[pi]
			st, _ := j.Service(r.ServiceCode)
			pst, _ := j.Service(p.ServiceCode)
			group := func(s *data.ServiceType) string {
				if s.Dedupe.Group != "" {
					return s.Dedupe.Group
				}
				return s.Code
			}
			if p.Duplicate || group(st) != group(pst) || !p.RequestedAt.Before(r.RequestedAt) {
				t.Fatalf("%s: parent %s dup %v type %s requested %v", r.Number, p.Number, p.Duplicate, p.ServiceCode, p.RequestedAt)
			}
			if d := metres(r.Lon, r.Lat, p.Lon, p.Lat); d > st.Dedupe.RadiusM {
				t.Fatalf("%s: %.1f m from parent, radius %v", r.Number, d, st.Dedupe.RadiusM)
			}
			if gap := r.RequestedAt.Sub(p.RequestedAt); gap > time.Duration(st.Dedupe.WindowDays)*24*time.Hour {
				t.Fatalf("%s: %v after parent, window %d days", r.Number, gap, st.Dedupe.WindowDays)
			}
			if !p.ClosedAt.IsZero() && p.ClosedAt.Before(r.RequestedAt) &&
				r.RequestedAt.Sub(p.ClosedAt) > time.Duration(st.Dedupe.IncludeClosedDays)*24*time.Hour {
				t.Fatalf("%s: parent closed %v before", r.Number, r.RequestedAt.Sub(p.ClosedAt))
			}
			dupByGroup[group(st)]++
		}
	}
	// Shares within 0.2 percentage points (counts are allocated, not drawn).
	shares := Shares(j)
	if _, ok := shares["ROB"]; ok || counts["ROB"] != 0 {
		t.Errorf("emergency type generated")
	}
	sum := 0.0
	for code, s := range shares {
		sum += s
		got := float64(counts[code]) / n
		if math.Abs(got-s) > 0.002 {
			t.Errorf("%s: share %.4f, want %.4f", code, got, s)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares sum to %v", sum)
	}
	if math.Abs(shares["PHF"]-0.10) > 1e-9 || math.Abs(shares["SFD"]-0.055) > 1e-9 || math.Abs(shares["BBA"]-0.145) > 1e-9 {
		t.Errorf("shares PHF %v SFD %v BBA %v", shares["PHF"], shares["SFD"], shares["BBA"])
	}
	dupShare := float64(dups) / n
	if dupShare < 0.05 || dupShare > 0.2 {
		t.Errorf("duplicate share %.3f", dupShare)
	}
	if dupByGroup["lights"] == 0 || dupByGroup["PHF"] == 0 || dupByGroup["SKA"] == 0 {
		t.Errorf("duplicates by group %v", dupByGroup)
	}
	if f := float64(closed) / n; f < 0.9 || f > 0.995 {
		t.Errorf("closed share %.3f", f)
	}
	if f := float64(withinSLA) / float64(closed); f < 0.6 || f > 0.95 {
		t.Errorf("closed within SLA %.3f", f)
	}
	t.Logf("%d requests: %.1f %% duplicates, %.1f %% closed, %.1f %% of closed within SLA", n, 100*dupShare, 100*float64(closed)/n, 100*float64(withinSLA)/float64(closed))
}

// TestCycles checks the seasonal, weekly and daily cycles.
func TestCycles(t *testing.T) {
	rs := collect(t, Config{Jurisdiction: testJurisdiction(), N: 200000, Seed: 3, Year: 2026, Areas: testAreas()})
	var springPH, autumnPH, weekdayPH, weekendPH, dayHours, nightHours, eveningSL, morningSL int
	weekdays, weekends := 0, 0
	days := map[int]bool{}
	for _, r := range rs {
		at := r.RequestedAt
		h := at.Hour()
		switch r.ServiceCode {
		case "PHF":
			if m := at.Month(); m >= time.February && m <= time.April {
				springPH++
			} else if m >= time.August && m <= time.October {
				autumnPH++
			}
			if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weekendPH++
			} else {
				weekdayPH++
			}
			if h >= 9 && h < 15 {
				dayHours++
			} else if h < 5 {
				nightHours++
			}
		case "SFD", "SFA":
			if h >= 18 && h < 22 {
				eveningSL++
			} else if h >= 5 && h < 9 {
				morningSL++
			}
		}
		if !days[at.YearDay()] {
			days[at.YearDay()] = true
			if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weekends++
			} else {
				weekdays++
			}
		}
	}
	if float64(springPH) < 2*float64(autumnPH) {
		t.Errorf("potholes Feb-Apr %d vs Aug-Oct %d: no spring peak", springPH, autumnPH)
	}
	perWeekday, perWeekend := float64(weekdayPH)/float64(weekdays), float64(weekendPH)/float64(weekends)
	if perWeekend > 0.75*perWeekday {
		t.Errorf("potholes per weekend day %.0f vs weekday %.0f", perWeekend, perWeekday)
	}
	if float64(dayHours) < 8*float64(nightHours) {
		t.Errorf("potholes 9-15 h %d vs 0-5 h %d", dayHours, nightHours)
	}
	if eveningSL < 2*morningSL {
		t.Errorf("street lights 18-22 h %d vs 5-9 h %d", eveningSL, morningSL)
	}
}

// TestInsidePolygons checks every point with orb's planar test (an
// independent implementation), for the test areas and, when the shared data
// is present, Chicago's police beats.
func TestInsidePolygons(t *testing.T) {
	check := func(t *testing.T, areas []data.Area, n int) {
		bounds := make([]orb.Bound, len(areas))
		for i, a := range areas {
			bounds[i] = a.Geometry.Bound()
		}
		gen := func(hotShare float64) []*data.Request {
			return collect(t, Config{Jurisdiction: testJurisdiction(), N: n, Seed: 11, Year: 2026, Areas: areas, HotspotShare: hotShare})
		}
		rs := gen(0)
		for _, r := range rs {
			in := false
			p := orb.Point{r.Lon, r.Lat}
			for i, a := range areas {
				if bounds[i].Contains(p) && planar.MultiPolygonContains(a.Geometry, p) {
					in = true
					break
				}
			}
			if !in {
				t.Fatalf("%s at %v,%v is outside every area", r.Number, r.Lon, r.Lat)
			}
		}
		// Hot spots: the busiest 1 % of 200 m cells hold several times what
		// they hold without hot spots.
		top := func(rs []*data.Request) float64 {
			cells := map[[2]int]int{}
			for _, r := range rs {
				cells[[2]int{int(math.Floor(r.Lon * 400)), int(math.Floor(r.Lat * 550))}]++
			}
			cs := make([]int, 0, len(cells))
			for _, c := range cells {
				cs = append(cs, c)
			}
			slices.Sort(cs)
			k := max(1, len(cs)/100)
			sum := 0
			for _, c := range cs[len(cs)-k:] {
				sum += c
			}
			return float64(sum) / float64(len(rs))
		}
		withHot, uniform := top(rs), top(gen(-1))
		if withHot < 2.5*uniform {
			t.Errorf("top 1 %% of cells hold %.3f with hot spots, %.3f without", withHot, uniform)
		}
		t.Logf("top 1 %% of 200 m cells: %.1f %% of requests with hot spots, %.1f %% uniform", 100*withHot, 100*uniform)
	}
	t.Run("synthetic", func(t *testing.T) {
		areas := testAreas()
		check(t, areas, 50000)
		// Nothing in the hole of area 2.
		rs := collect(t, Config{Jurisdiction: testJurisdiction(), N: 50000, Seed: 11, Year: 2026, Areas: areas})
		for _, r := range rs {
			if r.Lon > -87.67 && r.Lon < -87.63 && r.Lat > 41.82 && r.Lat < 41.86 {
				t.Fatalf("%s in the hole: %v,%v", r.Number, r.Lon, r.Lat)
			}
		}
	})
	t.Run("chicago beats", func(t *testing.T) {
		check(t, chicagoBeats(t), 20000)
	})
}

// chicagoBeats loads the real beat polygons (skips or fails as the team's
// conventions say when the shared data is missing).
func chicagoBeats(t testing.TB) []data.Area {
	t.Helper()
	raw, err := os.ReadFile(datatest.Shared(t, "chicago", "police_beats.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	var areas []data.Area
	for _, f := range fc.Features {
		var mp orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.MultiPolygon:
			mp = g
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		default:
			t.Fatalf("beat geometry %T", g)
		}
		areas = append(areas, data.Area{Layer: data.LayerBeat, ID: f.Properties.MustString("beat_num", ""), Geometry: mp})
	}
	return areas
}

func TestConfigErrors(t *testing.T) {
	j := testJurisdiction()
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no jurisdiction", Config{N: 1, Areas: testAreas()}, "jurisdiction"},
		{"negative n", Config{Jurisdiction: j, N: -1, Areas: testAreas()}, "n"},
		{"no areas", Config{Jurisdiction: j, N: 1}, "areas"},
		{"degenerate area", Config{Jurisdiction: j, N: 1, Areas: []data.Area{{Geometry: orb.MultiPolygon{{{{0, 0}, {1, 1}, {0, 0}}}}}}}, "areas"},
		{"no shares", Config{Jurisdiction: j, N: 1, Areas: testAreas(), Shares: map[string]float64{"ROB": 1}}, "shares"},
		{"bad zone", Config{Jurisdiction: &data.Jurisdiction{ID: "x", TimeZone: "Mars/Olympus"}, N: 1, Areas: testAreas()}, "time_zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Generate(tc.cfg, func(*data.Request) error { return nil })
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != tc.field {
				t.Fatalf("err %v, want ErrInvalid on %q", err, tc.field)
			}
		})
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("disk full")
	n := 0
	err := Generate(Config{Jurisdiction: testJurisdiction(), N: 1000, Seed: 1, Areas: testAreas()}, func(*data.Request) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("err %v after %d", err, n)
	}
}

func TestSharesOverrideAndNoDuplicates(t *testing.T) {
	rs := collect(t, Config{Jurisdiction: testJurisdiction(), N: 5000, Seed: 2, Areas: testAreas(),
		Shares: map[string]float64{"PHF": 3, "CPD-CC": 1}, DuplicateScale: -1, Days: 30,
		Start: time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC)})
	c := map[string]int{}
	years := map[string]bool{}
	for _, r := range rs {
		c[r.ServiceCode]++
		if r.Duplicate {
			t.Fatalf("%s: duplicate with DuplicateScale -1", r.Number)
		}
		years[r.Number[:4]] = true
	}
	// Rounding day by day may move one request between types.
	if c["PHF"] < 3749 || c["PHF"] > 3751 || c["PHF"]+c["CPD-CC"] != 5000 || len(c) != 2 {
		t.Errorf("counts %v", c)
	}
	// The period crosses New Year: both years' sequences appear.
	if !years["SR25"] || !years["SR26"] || !years["CC25"] || !years["CC26"] {
		t.Errorf("number prefixes %v", years)
	}
}

func metres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
