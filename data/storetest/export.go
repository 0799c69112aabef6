package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
)

// TestExportScanner runs the data.ExportScanner contract; open returns a
// fresh, empty store (as for TestRequestStore) that implements
// data.ExportScanner. Beyond the interface comment, every store does
// exactly this:
//
//   - For every filter ScanExport yields the requests ScanRequests yields,
//     in the same order with the same paging, and each row equals
//     data.ExportRow.SetRequest of the request ScanRequests returns: the
//     same strings (empty stays "", whitespace stays), instants
//     (time.Time.Equal; zones are not kept), booleans and numbers bit for
//     bit; for each layer asked for, the id of the first area of the layer
//     that has one, "" without such an area, for well-known and custom
//     layers alike.
//   - Public exports filter with ExcludePolice: police-related requests and
//     every community concern are left out; the rows keep PoliceRelated so
//     that the export's own guard can drop catalogue police types.
//   - A malformed layer name or filter is data.ErrInvalid; fn's error is
//     returned as is and fn is not called again; a context cancelled before
//     the scan fails it with an error matching context.Canceled, one
//     cancelled during the scan fails it too. The store stays usable after
//     a stopped or cancelled scan.
func TestExportScanner(t *testing.T, open func(t *testing.T) data.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s data.Store, x data.ExportScanner)
	}{
		{"Empty", testExportEmpty},
		{"Filters", testExportFilters},
		{"Values", testExportValues},
		{"Stop", testExportStop},
		{"Invalid", testExportInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			x, ok := s.(data.ExportScanner)
			if !ok {
				t.Fatalf("%T does not implement data.ExportScanner", s)
			}
			tc.fn(t, s, x)
		})
	}
}

// exportLayers are the layer sets the suite asks for: the well-known
// columns, custom layers (one that requests have, one nobody has), none.
var exportLayers = [][]data.Layer{
	{data.LayerBeat, data.LayerSector, data.LayerDistrict, data.LayerWard, data.LayerCommunityArea},
	{"custom_zone", data.LayerWard, data.LayerPrecinct, "nowhere"},
	nil,
}

// scanExport collects the rows of a scan, copied (the store reuses them).
func scanExport(t *testing.T, x data.ExportScanner, f data.RequestFilter, layers []data.Layer) []data.ExportRow {
	t.Helper()
	var out []data.ExportRow
	err := x.ScanExport(t.Context(), f, layers, func(r *data.ExportRow) error {
		c := *r
		c.Areas = slices.Clone(r.Areas)
		for _, p := range []*string{&c.Number, &c.ServiceCode, &c.ServiceName, &c.Department, &c.Unit,
			&c.ParentNumber, &c.Description, &c.Address, &c.ZIP} {
			*p = strings.Clone(*p)
		}
		c.Kind, c.State, c.Origin = data.Kind(strings.Clone(string(c.Kind))), data.State(strings.Clone(string(c.State))), data.Origin(strings.Clone(string(c.Origin)))
		for i := range c.Areas {
			c.Areas[i] = strings.Clone(c.Areas[i])
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("ScanExport(%+v, %v): %v", f, layers, err)
	}
	return out
}

// diffExportRow describes how got differs from want ("" if not at all).
func diffExportRow(got, want data.ExportRow) string {
	var d []string
	for _, c := range []struct {
		name      string
		got, want time.Time
	}{{"RequestedAt", got.RequestedAt, want.RequestedAt}, {"UpdatedAt", got.UpdatedAt, want.UpdatedAt}, {"ClosedAt", got.ClosedAt, want.ClosedAt}} {
		if !c.got.Equal(c.want) {
			d = append(d, fmt.Sprintf("%s %s, want %s", c.name, fmtTime(c.got), fmtTime(c.want)))
		}
	}
	got.RequestedAt, got.UpdatedAt, got.ClosedAt = want.RequestedAt, want.UpdatedAt, want.ClosedAt
	if !slices.Equal(got.Areas, want.Areas) {
		d = append(d, fmt.Sprintf("Areas %q, want %q", got.Areas, want.Areas))
	}
	got.Areas = want.Areas
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		// Floats compare by their bits through %#v's shortest form.
		d = append(d, fmt.Sprintf("\n got %#v\nwant %#v", got, want))
	}
	return strings.Join(d, "; ")
}

// checkExport compares ScanExport with ScanRequests for f and layers.
func checkExport(t *testing.T, s data.Store, x data.ExportScanner, what string, f data.RequestFilter, layers []data.Layer) int {
	t.Helper()
	var want []data.ExportRow
	if err := s.ScanRequests(t.Context(), f, func(r *data.Request) error {
		var row data.ExportRow
		row.SetRequest(r, layers)
		want = append(want, row)
		return nil
	}); err != nil {
		t.Fatalf("%s: ScanRequests: %v", what, err)
	}
	got := scanExport(t, x, f, layers)
	nums := func(rs []data.ExportRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Number)
		}
		return out
	}
	if !slices.Equal(nums(got), nums(want)) {
		t.Errorf("%s, layers %v: ScanExport rows %v, ScanRequests %v", what, layers, nums(got), nums(want))
		return len(got)
	}
	for i := range got {
		if d := diffExportRow(got[i], want[i]); d != "" {
			t.Errorf("%s, layers %v: row %d (%s): %s", what, layers, i, got[i].Number, d)
		}
	}
	return len(got)
}

// exportFixture adds to filterFixture the awkward rows of an export: every
// text column set to what a separator-, quote- or escape-based row format
// would trip on, whitespace-only and non-ASCII text, custom layers, a
// second area of a layer and an area without an id, no location, times in
// other zones with microseconds, several requests at one instant (the
// order's tie on number).
func exportFixture(t *testing.T, s data.Store) map[string]string {
	n := filterFixture(t, s)
	awkward := "a\x1fb\x1ec,\"d\"\t'e'\\f\ng\r\nh; DROP TABLE requests; -- Łódź 北京 🚧 \u2028"
	full := fullRequest(data.KindServiceRequest, time.Date(2026, 3, 7, 1, 2, 3, 456789000, cdt))
	full.ServiceName, full.Description, full.Unit, full.Department = awkward, awkward, awkward, " "
	full.Address, full.ZIP, full.ParentNumber = "  ", "\x1f", "SR26-00000001"
	full.State, full.ClosedAt = data.StateClosed, time.Date(2026, 3, 8, 0, 0, 0, 1000, plus5)
	full.Areas = []data.AreaRef{
		{Layer: "custom_zone", ID: "Z 9", Name: "Zone 9"},
		{Layer: data.LayerWard, Generation: "ward@2023-05-15"}, // no id
		{Layer: data.LayerWard, ID: "42", Generation: "ward@2023-05-15"},
		{Layer: data.LayerBeat, ID: awkward},
		{Layer: "custom_zone", ID: "Z 10"}, // the first one counts
		{Layer: data.LayerWard, ID: "7"},
	}
	n["full"] = mustCreateRequest(t, s, data.Intake{Request: full}).Number
	nowhere := simpleRequest("PHF", time.Date(2026, 3, 7, 1, 2, 3, 456789000, time.UTC))
	nowhere.Lon, nowhere.Lat, nowhere.H3, nowhere.Origin, nowhere.ServiceName = 0, 0, 0, "", ""
	n["nowhere"] = mustCreateRequest(t, s, data.Intake{Request: nowhere}).Number
	concern := fullRequest(data.KindCommunityConcern, time.Date(2026, 3, 7, 1, 2, 3, 456789000, plus5))
	concern.PoliceRelated = false // a concern is police-related anyway
	n["concern"] = mustCreateRequest(t, s, data.Intake{Request: concern}).Number
	for i := range 5 { // five at one instant
		r := simpleRequest([]string{"SLA", "PHF"}[i%2], time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
		r.Duplicate, r.ParentNumber, r.MeToo, r.DuplicateCount = i%2 == 1, n["A"], i, 2*i
		r.Areas = []data.AreaRef{{Layer: data.LayerDistrict, ID: "01"}, {Layer: data.LayerPrecinct, ID: fmt.Sprint(i)}}
		n[fmt.Sprint("tie", i)] = mustCreateRequest(t, s, data.Intake{Request: r}).Number
	}
	return n
}

func testExportEmpty(t *testing.T, s data.Store, x data.ExportScanner) {
	for _, layers := range exportLayers {
		if rows := scanExport(t, x, data.RequestFilter{}, layers); len(rows) != 0 {
			t.Errorf("ScanExport on an empty store: %d rows", len(rows))
		}
	}
}

func testExportFilters(t *testing.T, s data.Store, x data.ExportScanner) {
	n := exportFixture(t, s)
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	bbox := orb.Bound{Min: orb.Point{loopLon - 0.001, loopLat - 0.001}, Max: orb.Point{loopLon + 0.001, metresNorth(loopLat, 200)}}
	area := func(l data.Layer, id string) data.AreaRef { return data.AreaRef{Layer: l, ID: id} }
	for _, tc := range []struct {
		name string
		f    data.RequestFilter
		min  int // rows at least, so that a filter that matches nothing cannot pass unnoticed
	}{
		{"all", data.RequestFilter{}, 16},
		{"ascending", data.RequestFilter{Ascending: true}, 16},
		{"public", data.RequestFilter{ExcludePolice: true, Ascending: true}, 10},
		{"window", data.RequestFilter{From: day(2, 0), To: day(7, 0), Ascending: true}, 9},
		{"window in other zones", data.RequestFilter{From: day(2, 0).In(cst), To: day(7, 2).In(plus5)}, 9},
		{"instant bound", data.RequestFilter{From: time.Date(2026, 3, 7, 1, 2, 3, 456789000, time.UTC)}, 2},
		{"types", data.RequestFilter{ServiceCodes: []string{"PHF", "SLA"}, Ascending: true}, 10},
		{"status open", data.RequestFilter{Status: "open"}, 10},
		{"status closed", data.RequestFilter{Status: "closed"}, 3},
		{"states", data.RequestFilter{States: []data.State{data.StateNew}}, 5},
		{"kinds", data.RequestFilter{Kinds: []data.Kind{data.KindCommunityConcern}}, 2},
		{"district", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerDistrict, "01")}}, 10},
		{"beat and district", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerDistrict, "01"), area(data.LayerBeat, "0122")}}, 4},
		{"custom layer", data.RequestFilter{Areas: []data.AreaRef{area("custom_zone", "Z 9")}}, 1},
		{"precinct", data.RequestFilter{Areas: []data.AreaRef{area(data.LayerPrecinct, "3")}}, 1},
		{"bbox", data.RequestFilter{BBox: &bbox, Ascending: true}, 10},
		{"near", data.RequestFilter{Near: &data.Circle{Lon: loopLon, Lat: loopLat, RadiusM: 300}}, 10},
		{"cells", data.RequestFilter{Cells: []uint64{otherCell, loopCell}}, 10},
		{"duplicates exclude", data.RequestFilter{Duplicates: data.DuplicatesExclude, Ascending: true}, 10},
		{"duplicates only", data.RequestFilter{Duplicates: data.DuplicatesOnly, Ascending: true}, 3},
		{"numbers", data.RequestFilter{Numbers: []string{n["full"], n["nowhere"], n["tie3"]}}, 3},
		{"updated window", data.RequestFilter{UpdatedAfter: day(1, 0), UpdatedBefore: day(30, 0)}, 10},
		{"public combined", data.RequestFilter{ExcludePolice: true, ServiceCodes: []string{"PHF"}, Status: "open",
			Duplicates: data.DuplicatesExclude, From: day(1, 0), Ascending: true}, 3},
		{"limit", data.RequestFilter{Limit: 4}, 4},
		{"limit offset ascending", data.RequestFilter{Limit: 3, Offset: 4, Ascending: true}, 3},
		{"offset only", data.RequestFilter{Offset: 12}, 4},
		{"offset beyond", data.RequestFilter{Offset: 100}, 0},
	} {
		for _, layers := range exportLayers {
			if got := checkExport(t, s, x, tc.name, tc.f, layers); got < tc.min {
				t.Errorf("%s: %d rows, want at least %d", tc.name, got, tc.min)
			}
		}
	}
}

// testExportValues pins the rows of the awkward fixtures down without
// ScanRequests, so that a store whose two scans agree on a wrong value
// still fails.
func testExportValues(t *testing.T, s data.Store, x data.ExportScanner) {
	n := exportFixture(t, s)
	layers := []data.Layer{data.LayerBeat, data.LayerWard, "custom_zone", data.LayerDistrict}
	rows := scanExport(t, x, data.RequestFilter{Numbers: []string{n["full"], n["nowhere"], n["concern"]}}, layers)
	byNum := map[string]data.ExportRow{}
	for _, r := range rows {
		byNum[r.Number] = r
	}
	awkward := "a\x1fb\x1ec,\"d\"\t'e'\\f\ng\r\nh; DROP TABLE requests; -- Łódź 北京 🚧 \u2028"
	full := byNum[n["full"]]
	if full.Description != awkward || full.ServiceName != awkward || full.Unit != awkward ||
		full.Department != " " || full.Address != "  " || full.ZIP != "\x1f" || full.ParentNumber != "SR26-00000001" {
		t.Errorf("text of the awkward request changed: %+v", full)
	}
	if want := []string{awkward, "42", "Z 9", ""}; !slices.Equal(full.Areas, want) {
		t.Errorf("areas %q, want %q", full.Areas, want)
	}
	if at := time.Date(2026, 3, 7, 6, 2, 3, 456789000, time.UTC); !full.RequestedAt.Equal(at) {
		t.Errorf("RequestedAt %s, want %s", fmtTime(full.RequestedAt), fmtTime(at))
	}
	if at := time.Date(2026, 3, 7, 19, 0, 0, 1000, time.UTC); !full.ClosedAt.Equal(at) {
		t.Errorf("ClosedAt %s, want %s", fmtTime(full.ClosedAt), fmtTime(at))
	}
	if !full.PoliceRelated || full.DuplicateCount != 3 || full.MeToo != 11 || full.H3 != loopCell ||
		full.Lon != next(loopLon) || full.Lat != loopLat || full.State != data.StateClosed || full.Origin != data.OriginOpen311 {
		t.Errorf("values of the awkward request changed: %+v", full)
	}
	nowhere := byNum[n["nowhere"]]
	if nowhere.Lon != 0 || nowhere.Lat != 0 || nowhere.H3 != 0 || nowhere.Origin != "" || nowhere.ServiceName != "" ||
		!nowhere.ClosedAt.IsZero() || !slices.Equal(nowhere.Areas, []string{"", "", "", ""}) {
		t.Errorf("request without location or areas: %+v", nowhere)
	}
	if c := byNum[n["concern"]]; c.Kind != data.KindCommunityConcern || c.PoliceRelated {
		t.Errorf("community concern: kind %q, PoliceRelated %v", c.Kind, c.PoliceRelated)
	}
	for _, r := range scanExport(t, x, data.RequestFilter{ExcludePolice: true}, nil) {
		if r.PoliceRelated || r.Kind == data.KindCommunityConcern {
			t.Errorf("public scan returned %s (police-related %v, kind %s)", r.Number, r.PoliceRelated, r.Kind)
		}
	}
}

func testExportStop(t *testing.T, s data.Store, x data.ExportScanner) {
	exportFixture(t, s)
	stop := errors.New("enough")
	for _, f := range []data.RequestFilter{{}, {Limit: 10}} {
		calls := 0
		err := x.ScanExport(t.Context(), f, exportLayers[0], func(*data.ExportRow) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		checkKind(t, "ScanExport stopped by fn", err, stop)
		if calls != 3 {
			t.Errorf("fn called %d times after returning an error at the 3rd, want 3", calls)
		}
		// The store stays usable after a stopped scan.
		mustCreateRequest(t, s, data.Intake{Request: simpleRequest("PHF", t2026)})
		checkExport(t, s, x, "after a stopped scan", data.RequestFilter{}, exportLayers[0])
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := x.ScanExport(ctx, data.RequestFilter{}, nil, func(*data.ExportRow) error { return nil })
	checkKind(t, "ScanExport with a cancelled context", err, context.Canceled)
	ctx, cancel = context.WithCancel(t.Context())
	calls := 0
	err = x.ScanExport(ctx, data.RequestFilter{}, nil, func(*data.ExportRow) error {
		if calls++; calls == 2 {
			cancel()
		}
		return nil
	})
	cancel()
	if err == nil {
		t.Errorf("ScanExport cancelled during the scan succeeded after %d rows", calls)
	}
	checkExport(t, s, x, "after a cancelled scan", data.RequestFilter{Ascending: true}, exportLayers[1])
}

func testExportInvalid(t *testing.T, s data.Store, x data.ExportScanner) {
	exportFixture(t, s)
	called := false
	fn := func(*data.ExportRow) error { called = true; return nil }
	for _, tc := range []struct {
		name   string
		f      data.RequestFilter
		layers []data.Layer
	}{
		{"layer", data.RequestFilter{}, []data.Layer{"Beat'; --"}},
		{"empty layer", data.RequestFilter{}, []data.Layer{""}},
		{"status", data.RequestFilter{Status: "pending"}, nil},
		{"negative limit", data.RequestFilter{Limit: -1}, nil},
		{"duplicates", data.RequestFilter{Duplicates: 7}, nil},
	} {
		err := x.ScanExport(t.Context(), tc.f, tc.layers, fn)
		checkKind(t, "ScanExport with invalid "+tc.name, err, data.ErrInvalid)
	}
	if called {
		t.Error("ScanExport called fn despite an invalid argument")
	}
}
