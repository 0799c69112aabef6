package trends

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestCubeHeatmapMatchesBruteForce(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, chicago)
	rs := synthRequests(20000, 7, start, 365)
	c, err := NewCube(Options{Location: chicago})
	if err != nil {
		t.Fatal(err)
	}
	c.Load(rs[:15000])
	for _, r := range rs[15000:] {
		c.Add(r)
	}
	cases := []struct {
		name     string
		res      int
		from, to time.Time
		types    []string
		ev       Event
		dups     bool
	}{
		{"year res7", 7, start, start.AddDate(1, 0, 0), nil, Opened, false},
		{"year res10 dups", 10, start, start.AddDate(1, 0, 0), nil, Opened, true},
		{"march closed res8", 8, start.AddDate(0, 2, 0), start.AddDate(0, 3, 0), nil, Closed, false},
		{"two types res9", 9, start.AddDate(0, 1, 0), start.AddDate(0, 7, 0), []string{"T00", "T03"}, Opened, true},
		{"unknown type", 9, start, start.AddDate(1, 0, 0), []string{"NOPE"}, Opened, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Heatmap(HeatmapQuery{From: tc.from, To: tc.to, Types: tc.types, Event: tc.ev, Duplicates: tc.dups, Resolution: tc.res})
			if err != nil {
				t.Fatal(err)
			}
			want := bruteCount(rs, chicago, tc.res, tc.from, tc.to, tc.types, tc.ev, tc.dups)
			if len(got) != len(want) {
				t.Fatalf("%d cells, want %d", len(got), len(want))
			}
			for i := 1; i < len(got); i++ {
				if got[i-1].Cell >= got[i].Cell {
					t.Fatalf("cells not sorted at %d: %s, %s", i, got[i-1].Cell, got[i].Cell)
				}
			}
			for _, cc := range got {
				if want[uint64(cc.Cell)] != cc.Count {
					t.Fatalf("cell %s: %d, want %d", cc.Cell, cc.Count, want[uint64(cc.Cell)])
				}
			}
		})
	}
}

// TestCubeUpdates feeds a cube the way a server does (a bulk load, then an
// Add per intake and an Update per transition, with queries running
// concurrently) and checks every answer against a brute-force count of the
// final requests.
func TestCubeUpdates(t *testing.T) {
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, chicago)
	rs := synthRequests(7000, 11, start, 120)
	// Everything starts open and not a duplicate; transitions come later.
	initial := make([]*data.Request, len(rs))
	for i, r := range rs {
		cp := *r
		cp.State, cp.ClosedAt, cp.Duplicate = data.StateNew, time.Time{}, false
		initial[i] = &cp
	}
	c, err := NewCube(Options{Location: chicago})
	if err != nil {
		t.Fatal(err)
	}
	c.Load(initial[:1500])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // readers while writing
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Heatmap(HeatmapQuery{Resolution: 8, Duplicates: true}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	blockEntries := func() int {
		c.mu.RLock()
		defer c.mu.RUnlock()
		n := 0
		for _, b := range c.days {
			n += len(b.keys)
		}
		return n
	}
	loaded := blockEntries()
	for _, r := range initial[1500:] {
		c.Add(r) // more than deltaMergeAt new keys: the delta map is merged on the way
	}
	if blockEntries() == loaded {
		t.Error("the delta map was never merged into the day blocks")
	}
	for i := range rs {
		if initial[i].State != rs[i].State || initial[i].Duplicate != rs[i].Duplicate {
			c.Update(initial[i], rs[i]) // close and/or mark duplicate
		}
	}
	// A request moved and retyped, one removed, one re-sent unchanged.
	moved := *rs[0]
	moved.Lat, moved.Lon, moved.ServiceCode = 41.80, -87.60, "MOVED"
	c.Update(rs[0], &moved)
	rs[0] = &moved
	c.Update(rs[1], nil)
	rs = rs[2:]
	rs = append(rs, &moved)
	c.Update(rs[5], rs[5])
	close(stop)
	wg.Wait()

	if s := c.Stats(); s.Requests != int64(len(rs)) {
		t.Errorf("stats: %d requests, want %d", s.Requests, len(rs))
	}
	end := start.AddDate(0, 6, 0)
	for _, ev := range []Event{Opened, Closed} {
		for _, dups := range []bool{false, true} {
			for _, res := range []int{7, 10} {
				got, err := c.Heatmap(HeatmapQuery{From: start, To: end, Event: ev, Duplicates: dups, Resolution: res})
				if err != nil {
					t.Fatal(err)
				}
				want := bruteCount(rs, chicago, res, start, end, nil, ev, dups)
				if len(got) != len(want) {
					t.Fatalf("%s dups=%v res %d: %d cells, want %d", ev, dups, res, len(got), len(want))
				}
				for _, cc := range got {
					if want[uint64(cc.Cell)] != cc.Count {
						t.Fatalf("%s dups=%v res %d: cell %s %d, want %d", ev, dups, res, cc.Cell, cc.Count, want[uint64(cc.Cell)])
					}
				}
			}
		}
	}
	got, _ := c.Heatmap(HeatmapQuery{Types: []string{"MOVED"}, Resolution: 10})
	if len(got) != 1 || uint64(got[0].Cell) != latLngToCell(41.80, -87.60, 10) || got[0].Count != 1 {
		t.Errorf("moved request: %v", got)
	}
}

func TestCubeAreaFilters(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, chicago)
	rs := synthRequests(5000, 3, start, 60)
	c, _ := NewCube(Options{Location: chicago})
	c.Load(rs)
	loop := time.Date(2025, 3, 1, 0, 0, 0, 0, chicago)
	// The Loop, roughly, as a polygon and as a bbox.
	bound := orb.Bound{Min: orb.Point{-87.64, 41.87}, Max: orb.Point{-87.62, 41.89}}
	poly := orb.Polygon{bound.ToRing()}
	hole := orb.Polygon{bound.ToRing(), orb.Bound{Min: orb.Point{-87.635, 41.875}, Max: orb.Point{-87.625, 41.885}}.ToRing()}
	inBound := func(r *data.Request, b orb.Bound) bool {
		return b.Contains(orb.Point(cellCenter(latLngToCell(r.Lat, r.Lon, 10))))
	}
	holeB := orb.Bound{Min: orb.Point{-87.635, 41.875}, Max: orb.Point{-87.625, 41.885}}
	count := func(keep func(r *data.Request) bool) int64 {
		var n int64
		for _, r := range rs {
			if !r.Duplicate && keep(r) {
				n++
			}
		}
		return n
	}
	sum := func(cells []CellCount) int64 {
		var n int64
		for _, cc := range cells {
			n += cc.Count
		}
		return n
	}
	someCell := latLngToCell(rs[0].Lat, rs[0].Lon, 8)
	cases := []struct {
		name string
		area Area
		want int64
	}{
		{"bbox", Area{BBox: &bound}, count(func(r *data.Request) bool { return inBound(r, bound) })},
		{"polygon", Area{Polygon: poly}, count(func(r *data.Request) bool { return inBound(r, bound) })},
		{"polygon with hole", Area{Polygon: hole}, count(func(r *data.Request) bool { return inBound(r, bound) && !inBound(r, holeB) })},
		{"multipolygon", Area{Polygon: orb.MultiPolygon{poly}}, count(func(r *data.Request) bool { return inBound(r, bound) })},
		{"cell res 8", Area{Cells: []uint64{someCell}}, count(func(r *data.Request) bool {
			return cellParent(latLngToCell(r.Lat, r.Lon, 10), 8) == someCell
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == 0 {
				t.Fatal("fixture has no request in the area")
			}
			got, err := c.Heatmap(HeatmapQuery{Area: tc.area, From: start, To: loop, Zoom: 15})
			if err != nil {
				t.Fatal(err)
			}
			if n := sum(got); n != tc.want {
				t.Errorf("heatmap total %d, want %d", n, tc.want)
			}
			series, err := c.Series(SeriesQuery{Area: tc.area, From: start, To: loop, Interval: Week})
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, p := range series {
				n += p.Count
			}
			if n != tc.want {
				t.Errorf("series total %d, want %d", n, tc.want)
			}
		})
	}
	for name, a := range map[string]Area{
		"line":      {Polygon: orb.LineString{{0, 0}, {1, 1}}},
		"bad cell":  {Cells: []uint64{42}},
		"too fine":  {Cells: []uint64{latLngToCell(41.8, -87.6, 12)}},
		"open ring": {Polygon: orb.Polygon{{{0, 0}, {1, 1}}}},
	} {
		if _, err := c.Heatmap(HeatmapQuery{Area: a, Resolution: 9}); !errors.Is(err, data.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := c.Heatmap(HeatmapQuery{}); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("no resolution: err = %v", err)
	}
	if _, err := c.Heatmap(HeatmapQuery{Resolution: 9, From: loop, To: start}); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("from after to: err = %v", err)
	}
}

func TestSeriesBins(t *testing.T) {
	c, _ := NewCube(Options{Location: chicago})
	mk := func(ts time.Time) *data.Request {
		return &data.Request{ServiceCode: "PHF", Lat: 41.88, Lon: -87.63, RequestedAt: ts, State: data.StateNew}
	}
	// 23:30 local on Sunday Mar 8 2026 (the DST change day) is still Mar 8;
	// 00:30 on Monday Mar 9 starts a new ISO week.
	for _, ts := range []time.Time{
		time.Date(2026, 3, 8, 23, 30, 0, 0, chicago),
		time.Date(2026, 3, 9, 0, 30, 0, 0, chicago),
		time.Date(2026, 3, 9, 0, 30, 0, 0, chicago).UTC(), // same instant in UTC
		time.Date(2026, 4, 1, 12, 0, 0, 0, chicago),
	} {
		c.Add(mk(ts))
	}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, chicago)
	to := time.Date(2026, 4, 2, 0, 0, 0, 0, chicago)
	cases := []struct {
		iv     Interval
		bins   int
		starts map[string]int64
	}{
		{Day, 32, map[string]int64{"2026-03-08": 1, "2026-03-09": 2, "2026-04-01": 1}},
		{Week, 6, map[string]int64{"2026-03-02": 1, "2026-03-09": 2, "2026-03-30": 1}}, // Mar 1 is a Sunday: first bin starts Feb 23
		{Month, 2, map[string]int64{"2026-03-01": 3, "2026-04-01": 1}},
	}
	for _, tc := range cases {
		got, err := c.Series(SeriesQuery{From: from, To: to, Interval: tc.iv})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.bins {
			t.Errorf("%s: %d bins, want %d", tc.iv, len(got), tc.bins)
		}
		for _, p := range got {
			if p.Start.Location() != chicago || p.Start.Hour() != 0 {
				t.Errorf("%s: bin start %v is not a local midnight", tc.iv, p.Start)
			}
			if want := tc.starts[p.Start.Format("2006-01-02")]; p.Count != want {
				t.Errorf("%s: bin %s = %d, want %d", tc.iv, p.Start.Format("2006-01-02"), p.Count, want)
			}
		}
	}
	if got, _ := c.Series(SeriesQuery{From: from, To: to, Interval: Week}); !got[0].Start.Equal(time.Date(2026, 2, 23, 0, 0, 0, 0, chicago)) {
		t.Errorf("first week starts %v, want Monday Feb 23", got[0].Start)
	}
	if _, err := c.Series(SeriesQuery{From: to, To: from}); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("reversed window: %v", err)
	}
	if _, err := ParseInterval("fortnight"); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("ParseInterval: %v", err)
	}
}

func TestResolutionForZoom(t *testing.T) {
	for _, tc := range []struct {
		zoom float64
		res  int
	}{{3, 7}, {11.9, 7}, {12, 8}, {12.5, 8}, {13, 9}, {13.99, 9}, {14, 10}, {20, 10}} {
		if got := ResolutionForZoom(tc.zoom); got != tc.res {
			t.Errorf("ResolutionForZoom(%v) = %d, want %d", tc.zoom, got, tc.res)
		}
	}
}

func TestHeatmapGeoJSON(t *testing.T) {
	cell := Cell(latLngToCell(41.88, -87.63, 9))
	fc := HeatmapGeoJSON([]CellCount{{cell, 7}})
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Type     string `json:"type"`
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type        string
				Coordinates [][][2]float64
			}
			Properties struct {
				Cell       string `json:"cell"`
				Resolution int    `json:"resolution"`
				Count      int64  `json:"count"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	f := back.Features[0]
	if back.Type != "FeatureCollection" || f.ID != cell.String() || f.Properties.Count != 7 || f.Properties.Resolution != 9 {
		t.Fatalf("feature %+v", f)
	}
	ring := f.Geometry.Coordinates[0]
	if f.Geometry.Type != "Polygon" || len(ring) != 7 || ring[0] != ring[6] {
		t.Fatalf("ring %v", ring)
	}
	// The centre lies inside, and the ring is counter-clockwise (RFC 7946).
	if !planar.RingContains(orb.Ring(toRing(ring)), cellCenter(uint64(cell))) {
		t.Error("centre outside its polygon")
	}
	if toRing(ring).Orientation() != orb.CCW {
		t.Error("ring is not counter-clockwise")
	}
	c2, err := ParseCell(cell.String())
	if err != nil || c2 != cell {
		t.Errorf("ParseCell round trip: %v %v", c2, err)
	}
	if _, err := ParseCell("zz"); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("ParseCell(zz): %v", err)
	}
}

func toRing(r [][2]float64) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = orb.Point(p)
	}
	return out
}
