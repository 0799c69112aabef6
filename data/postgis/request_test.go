package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/geo311/geo311/data"
)

const loopLon, loopLat = -87.6298, 41.8781

func metresNorth(lat, d float64) float64 { return lat + d/earthRadiusM*180/math.Pi }

func TestH3Parent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		lat, lng := rng.Float64()*170-85, rng.Float64()*360-180
		res := 7 + i%9 // 7..15
		c := h3.LatLngToCell(h3.LatLng{Lat: lat, Lng: lng}, res)
		for _, pr := range []int{0, 5, 7, res} {
			want := c.Parent(pr)
			got, ok := h3Parent(uint64(c), pr)
			if !ok || got != uint64(want) {
				t.Fatalf("h3Parent(%s, %d) = %x, %v; want %s", c, pr, got, ok, want)
			}
		}
		if _, ok := h3Parent(uint64(c), res+1); ok && res < 15 {
			t.Fatalf("h3Parent(%s, %d): a finer resolution is no parent", c, res+1)
		}
	}
	for _, c := range []uint64{0, 1 << 63, 0x0123456789abcdef} {
		if _, ok := h3Parent(c, 7); ok {
			t.Errorf("h3Parent(%#x) ok for a value that is not a cell", c)
		}
	}
}

// intakeAt is a near-identical pothole intake at the Loop that joins the
// oldest open primary within 250 m, locking one dedupe neighbourhood.
func intakeAt(at time.Time, lat float64) data.Intake {
	r := &data.Request{
		Jurisdiction: "chicago", Kind: data.KindServiceRequest, ServiceCode: "PHF", ServiceName: "Pothole in Street",
		State: data.StateNew, Lon: loopLon, Lat: lat, H3: 0x892664c1a8fffff, Origin: data.OriginWeb,
		RequestedAt: at, SLADays: 7,
	}
	return data.Intake{
		Request:  r,
		LockKeys: []int64{0x862664c1fffffff, 0x862664c17ffffff},
		Candidates: data.RequestFilter{
			ServiceCodes: []string{"PHF"}, Status: "open", Duplicates: data.DuplicatesExclude,
			Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 250}, Ascending: true,
		},
		Decide: func(c []*data.Request) (*data.DuplicateLink, error) {
			if len(c) == 0 {
				return nil, nil
			}
			return &data.DuplicateLink{Primary: c[0].Number, Reason: "same place"}, nil
		},
	}
}

// TestTwoProcessesDedupe: two stores (two pools, two group committers, as
// two geo311 processes would have) on one database receive near-identical
// intakes at once: exactly one primary, every other one its duplicate, and
// the numbers are unique and gap-free.
func TestTwoProcessesDedupe(t *testing.T) {
	url := newURL(t)
	ctx := context.Background()
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		dbs[i] = db
	}
	const perProcess = 20
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		all   []*data.Request
		start = make(chan struct{})
		at0   = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	)
	for p, db := range dbs {
		for w := range perProcess {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := p*perProcess + w
				in := intakeAt(at0.Add(time.Duration(n)*time.Millisecond), metresNorth(loopLat, float64(n)))
				<-start
				r, created, err := db.CreateRequest(ctx, in)
				if err != nil || !created {
					t.Errorf("process %d worker %d: created %v, %v", p, w, created, err)
					return
				}
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
			}()
		}
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	var primaries, nums []string
	for _, r := range all {
		nums = append(nums, r.Number)
		if !r.Duplicate {
			primaries = append(primaries, r.Number)
		}
	}
	if len(primaries) != 1 {
		t.Fatalf("%d near-identical intakes on two processes made %d primaries %v, want 1", len(all), len(primaries), primaries)
	}
	slices.Sort(nums)
	for i, n := range nums {
		if want := data.FormatNumber(data.KindServiceRequest, 2026, int64(i+1)); n != want {
			t.Fatalf("numbers %v: position %d is %s, want %s (unique, sequential, gap-free)", nums, i, n, want)
		}
	}
	p, err := dbs[1].Request(ctx, primaries[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.DuplicateCount != len(all)-1 {
		t.Errorf("primary DuplicateCount = %d, want %d", p.DuplicateCount, len(all)-1)
	}
	for _, r := range all {
		if r.Duplicate && r.ParentNumber != p.Number {
			t.Errorf("%s is a duplicate of %q, want %s", r.Number, r.ParentNumber, p.Number)
		}
	}
	notes, err := dbs[0].Notes(ctx, p.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != len(all) { // created + one duplicate_of per duplicate
		t.Errorf("primary has %d notes, want %d", len(notes), len(all))
	}
}

// TestIdempotencyAcrossProcesses: the same key sent to two processes at
// once creates one request.
func TestIdempotencyAcrossProcesses(t *testing.T) {
	url := newURL(t)
	ctx := context.Background()
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		dbs[i] = db
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		nums    = map[string]bool{}
	)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := intakeAt(time.Date(2026, 5, 1, 12, 0, i, 0, time.UTC), loopLat)
			in.IdempotencyKey = fmt.Sprintf("retry-%d", i%4)
			r, c, err := dbs[i%2].CreateRequest(ctx, in)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			nums[r.Number] = true
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if created != 4 || len(nums) != 4 {
		t.Errorf("16 intakes with 4 keys on two processes: %d created, %d numbers; want 4 and 4", created, len(nums))
	}
}

// TestImportCounts pins what the suite leaves open: a number repeated in
// one batch is stored once (last wins) and counted as an update.
func TestImportCounts(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	mk := func(num, desc string) *data.Request {
		r := intakeAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), loopLat).Request
		r.Number, r.Description = num, desc
		return r
	}
	ins, upd, err := db.ImportRequests(ctx, []*data.Request{mk("SR26-00000007", "a"), mk("SR26-00000007", "b"), mk("SR26-00000002", "c")})
	if err != nil || ins != 2 || upd != 1 {
		t.Fatalf("import: %d %d %v, want 2 1 nil", ins, upd, err)
	}
	r, err := db.Request(ctx, "SR26-00000007")
	if err != nil || r.Description != "b" {
		t.Fatalf("SR26-00000007: %+v %v, want the last occurrence", r, err)
	}
	got, _, err := db.CreateRequest(ctx, data.Intake{Request: intakeAt(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), loopLat).Request})
	if err != nil || got.Number != "SR26-00000008" {
		t.Fatalf("next number after importing SR26-00000007: %v %v", got, err)
	}
}

// TestStoredColumns checks the derived columns the SQL side relies on:
// geom equals lon/lat, H3 parents, area columns, custom areas, status.
func TestStoredColumns(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	c := h3.LatLngToCell(h3.LatLng{Lat: loopLat, Lng: loopLon}, data.H3Resolution)
	in := intakeAt(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), loopLat)
	in.Request.H3 = uint64(c)
	in.Request.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "0122", Generation: "g"}, {Layer: data.LayerDistrict, ID: "01"},
		{Layer: data.LayerCommunityArea, ID: "32"}, {Layer: "zone", ID: "Z1"}}
	in.Request.State = data.StateNotAccepted
	r, _, err := db.CreateRequest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var (
		x, y                             float64
		h, h7, h8                        int64
		beat, district, ward, ca, status string
		custom                           string
	)
	if err := db.pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom), h3, h3_r7, h3_r8, beat, district, ward, community_area,
		geo311_status(state), custom_areas::text
		FROM requests WHERE number = $1`, r.Number).Scan(&x, &y, &h, &h7, &h8, &beat, &district, &ward, &ca, &status, &custom); err != nil {
		t.Fatal(err)
	}
	p7, p8 := c.Parent(7), c.Parent(8)
	if x != loopLon || y != loopLat || uint64(h) != uint64(c) || uint64(h7) != uint64(p7) || uint64(h8) != uint64(p8) {
		t.Errorf("geom %v %v h3 %x %x %x, want %v %v %x %x %x", x, y, h, h7, h8, loopLon, loopLat, uint64(c), uint64(p7), uint64(p8))
	}
	if beat != "0122" || district != "01" || ward != "" || ca != "32" || status != "closed" {
		t.Errorf("area columns %q %q %q %q, status %q", beat, district, ward, ca, status)
	}
	if custom != `[{"id": "Z1", "layer": "zone", "generation": ""}]` {
		t.Errorf("custom_areas %s", custom)
	}
	n, err := db.CountRequests(ctx, data.RequestFilter{Areas: []data.AreaRef{{Layer: "zone", ID: "Z1"}, {Layer: data.LayerBeat, ID: "0122"}}})
	if err != nil || n != 1 {
		t.Errorf("custom layer filter: %d %v, want 1", n, err)
	}
}

// seedRequests imports n synthetic requests spread over Chicago and a year
// (deterministic), in batches.
func seedRequests(tb testing.TB, db *DB, n, from int) {
	tb.Helper()
	rs := synthRequests(n, from)
	for i := 0; i < len(rs); i += 50_000 {
		if _, _, err := db.ImportRequests(context.Background(), rs[i:min(i+50_000, len(rs))]); err != nil {
			tb.Fatal(err)
		}
	}
}

// synthRequests makes n requests numbered from+1.. with realistic fields.
func synthRequests(n, from int) []*data.Request {
	rng := rand.New(rand.NewPCG(uint64(from), 7))
	codes := []string{"PHF", "SLA", "GRAF", "RODENT", "TREE", "AVE", "SWSNOREM", "WBJUNK"}
	states := []data.State{data.StateNew, data.StateAssigned, data.StateCompleted, data.StateClosed, data.StateClosed, data.StateClosed}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rs := make([]*data.Request, n)
	for i := range rs {
		lon, lat := -87.94+rng.Float64()*0.42, 41.64+rng.Float64()*0.38
		at := t0.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
		dist := fmt.Sprintf("%02d", 1+rng.IntN(25))
		beat := dist + fmt.Sprintf("%d%d", 1+rng.IntN(3), 1+rng.IntN(4))
		st := states[rng.IntN(len(states))]
		r := &data.Request{
			Number:       data.FormatNumber(data.KindServiceRequest, at.Year(), int64(from+i+1)),
			Jurisdiction: "chicago", Kind: data.KindServiceRequest,
			ServiceCode: codes[rng.IntN(len(codes))], ServiceName: "Synthetic type",
			State: st, Description: "Synthetic request for the benchmark, with a sentence of text.",
			Lon: lon, Lat: lat, Address: fmt.Sprintf("%d N Synthetic Ave", rng.IntN(9000)), ZIP: "60601",
			H3: 0x892664c1a8fffff,
			Areas: []data.AreaRef{
				{Layer: data.LayerBeat, ID: beat, Generation: "beat@2012-12-19"},
				{Layer: data.LayerSector, ID: beat[:3], Generation: "sector@2012-12-19"},
				{Layer: data.LayerDistrict, ID: dist, Generation: "district@2012-12-19"},
				{Layer: data.LayerWard, ID: fmt.Sprint(1 + rng.IntN(50)), Generation: "ward@2023-05-15"},
				{Layer: data.LayerCommunityArea, ID: fmt.Sprint(1 + rng.IntN(77)), Generation: "community_area@2018-01-01"},
			},
			Department: "CDOT", Origin: data.OriginImport, RequestedAt: at, UpdatedAt: at.Add(time.Hour), SLADays: 7,
			Attributes: map[string][]string{"WHERE": {"curb"}},
			Legacy:     true,
		}
		r.H3 = uint64(h3.LatLngToCell(h3.LatLng{Lat: lat, Lng: lon}, data.H3Resolution))
		if st == data.StateClosed {
			r.ClosedAt = at.Add(48 * time.Hour)
		}
		if rng.IntN(10) == 0 {
			r.Duplicate, r.ParentNumber = true, data.FormatNumber(data.KindServiceRequest, at.Year(), int64(from+1+rng.IntN(i+1)))
		}
		rs[i] = r
	}
	return rs
}

// explain returns the plan of the listing query of f.
func explain(t *testing.T, db *DB, f data.RequestFilter, noSeqScan bool) string {
	t.Helper()
	ctx := context.Background()
	q := filterQuery(&f)
	sql := "EXPLAIN (FORMAT JSON) " + selectRequest + q.where() + q.orderLimit(&f)
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if noSeqScan {
		if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
	}
	var plan []byte
	if err := tx.QueryRow(ctx, sql, q.args...).Scan(&plan); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var v any
	if err := json.Unmarshal(plan, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestQueryPlans: every filter a caller can give is answered through an
// index. On 30,000 requests with statistics, the selective filters must
// choose their index by cost; with sequential scans disabled, every filter
// must be able to use its index.
func TestQueryPlans(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	seedRequests(t, db, 30_000, 0)
	if _, err := db.pool.Exec(ctx, "ANALYZE requests"); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	near := &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 250}
	bbox := &orb.Bound{Min: orb.Point{loopLon - 0.002, loopLat - 0.002}, Max: orb.Point{loopLon + 0.002, loopLat + 0.002}}
	for _, tc := range []struct {
		name      string
		f         data.RequestFilter
		index     string
		selective bool // chosen by cost on the seeded table
	}{
		{"numbers", data.RequestFilter{Numbers: []string{"SR25-00000010", "SR25-00000011"}}, "requests_number_key", true},
		{"requested window", data.RequestFilter{From: day, To: day.Add(24 * time.Hour)}, "requests_requested", true},
		{"updated window (Open311 polling)", data.RequestFilter{UpdatedAfter: day, UpdatedBefore: day.Add(time.Hour)}, "requests_updated", true},
		{"service code and window", data.RequestFilter{ServiceCodes: []string{"PHF"}, From: day, To: day.Add(48 * time.Hour)}, "requests_code", true},
		{"latest page", data.RequestFilter{Limit: 50}, "requests_requested", true},
		{"beat", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0122"}}}, "requests_beat", true},
		{"district", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerDistrict, ID: "12"}}, Limit: 100}, "requests_district", false},
		{"ward", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "42"}}}, "requests_ward", true},
		{"community area", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerCommunityArea, ID: "32"}}}, "requests_community_area", true},
		{"sector", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerSector, ID: "012"}}}, "requests_beat", true},
		{"sector (rows whose beat does not start with it)", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerSector, ID: "012"}}}, "requests_sector_irregular", true},
		{"custom layer", data.RequestFilter{Areas: []data.AreaRef{{Layer: "zone", ID: "Z1"}}}, "requests_custom_areas", true},
		{"near", data.RequestFilter{Near: near}, "requests_geom", true},
		{"dedupe candidates", data.RequestFilter{ServiceCodes: []string{"PHF"}, Status: "open", Duplicates: data.DuplicatesExclude, Near: near, Ascending: true}, "requests_geom", true},
		{"bbox", data.RequestFilter{BBox: bbox}, "requests_geom", true},
		{"cells", data.RequestFilter{Cells: []uint64{0x892664c1a8fffff, 0x892664c1a93ffff}}, "requests_h3_window", true},
		{"intake candidates (cells, window, open)", data.RequestFilter{Cells: []uint64{0x892664c1a8fffff, 0x892664c1a93ffff},
			From: day, Status: "open"}, "requests_h3_window", true},
		{"state and window", data.RequestFilter{States: []data.State{data.StateNew}, From: day, To: day.Add(7 * 24 * time.Hour)}, "requests_state", true},
		{"status and window", data.RequestFilter{Status: "open", From: day, To: day.Add(7 * 24 * time.Hour)}, "requests_state", true},
		{"closed and window", data.RequestFilter{Status: "closed", From: day, To: day.Add(7 * 24 * time.Hour)}, "requests_state", true},
	} {
		for _, noSeq := range []bool{false, true} {
			if !noSeq && !tc.selective {
				continue
			}
			plan := explain(t, db, tc.f, noSeq)
			if !strings.Contains(plan, `"`+tc.index+`"`) {
				t.Errorf("%s (enable_seqscan=%v): plan does not use %s:\n%s", tc.name, !noSeq, tc.index, plan)
			}
			if !noSeq && strings.Contains(plan, `"Seq Scan"`) {
				t.Errorf("%s: sequential scan on the seeded table:\n%s", tc.name, plan)
			}
		}
	}
	// The count of a filter uses the same indexes.
	q := filterQuery(&data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0122"}}})
	var plan []byte
	if err := db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT count(*) FROM requests r"+q.where(), q.args...).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(plan), `"requests_beat"`) {
		t.Errorf("count by beat does not use requests_beat: %s", plan)
	}
}
