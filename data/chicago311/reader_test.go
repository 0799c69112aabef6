package chicago311

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func openReader(t *testing.T, name string) *Reader {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rd, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// drain reads every row, returning requests and row errors.
func drain(t *testing.T, rd *Reader) ([]*data.Request, []*RowError) {
	t.Helper()
	var reqs []*data.Request
	var errs []*RowError
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return reqs, errs
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			errs = append(errs, re)
		case err != nil:
			t.Fatalf("fatal error: %v", err)
		default:
			reqs = append(reqs, r)
		}
	}
}

func TestCurrentGolden(t *testing.T) {
	for _, name := range []string{"current_api.csv", "current_export.csv"} {
		t.Run(name, func(t *testing.T) {
			rd := openReader(t, name)
			if rd.Schema() != SchemaCurrent {
				t.Fatalf("schema %q", rd.Schema())
			}
			reqs, errs := drain(t, rd)
			for _, e := range errs {
				t.Errorf("row error: %v", e)
			}
			got, err := json.MarshalIndent(reqs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".csv")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parsed requests differ from %s (run with -update after checking the diff):\n%s", golden, got)
			}
		})
	}
}

// TestCurrentFields checks the mapping rules on the API-style file, so the
// golden file is not the only judge.
func TestCurrentFields(t *testing.T) {
	reqs, errs := drain(t, openReader(t, "current_api.csv"))
	if len(errs) != 0 || len(reqs) != 8 {
		t.Fatalf("%d requests, errors %v", len(reqs), errs)
	}
	by := map[string]*data.Request{}
	for _, r := range reqs {
		by[r.Number] = r
	}
	chi, _ := time.LoadLocation("America/Chicago")

	r := by["SR23-00012345"]
	if r.ServiceCode != "PHF" || r.State != data.StateClosed || r.Origin != data.OriginPhone || r.Duplicate || r.Legacy {
		t.Errorf("pothole: %+v", r)
	}
	if want := time.Date(2023, 1, 3, 14, 15, 22, 0, time.UTC); !r.RequestedAt.Equal(want) {
		t.Errorf("requested %v, want %v (08:15:22 CST)", r.RequestedAt.UTC(), want)
	}
	if r.Department != "CDOT - Department of Transportation" || r.ZIP != "60620" || r.Address != "1200 W 81ST ST" {
		t.Errorf("pothole dept/zip/address: %q %q %q", r.Department, r.ZIP, r.Address)
	}
	wantAreas := []data.AreaRef{
		{Layer: data.LayerBeat, ID: "0622", Generation: "recorded"},
		{Layer: data.LayerSector, ID: "062", Generation: "recorded"},
		{Layer: data.LayerDistrict, ID: "06", Generation: "recorded"},
		{Layer: data.LayerWard, ID: "21", Generation: "recorded"},
		{Layer: data.LayerCommunityArea, ID: "71", Generation: "recorded"},
	}
	if fmt.Sprint(r.RecordedAreas) != fmt.Sprint(wantAreas) {
		t.Errorf("recorded areas %v, want %v", r.RecordedAreas, wantAreas)
	}

	d := by["SR23-00012391"]
	if !d.Duplicate || d.ParentNumber != "SR23-00012345" || d.Origin != data.OriginMobile {
		t.Errorf("duplicate: dup %v parent %q origin %q", d.Duplicate, d.ParentNumber, d.Origin)
	}

	// No latitude/longitude: converted from State Plane; the city's own
	// conversion of these feet is 41.81904110375691, -87.63695396416237.
	rat := by["SR23-00020017"]
	if math.Abs(rat.Lat-41.81904110375691) > 1e-7 || math.Abs(rat.Lon+87.63695396416237) > 1e-7 {
		t.Errorf("rodent location %v,%v", rat.Lat, rat.Lon)
	}
	if rat.State != data.StateNew || !rat.ClosedAt.IsZero() || rat.Origin != data.OriginWeb {
		t.Errorf("rodent state %q closed %v origin %q", rat.State, rat.ClosedAt, rat.Origin)
	}
	if want := time.Date(2023, 3, 13, 7, 45, 12, 0, chi); !rat.UpdatedAt.Equal(want) {
		t.Errorf("updated %v, want %v", rat.UpdatedAt, want)
	}
	// 2:30 on 12 March 2023 does not exist in Chicago (spring forward): it
	// is read with one of the two offsets around the gap.
	if u := rat.RequestedAt.UTC(); !u.Equal(time.Date(2023, 3, 12, 7, 30, 0, 0, time.UTC)) && !u.Equal(time.Date(2023, 3, 12, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("nonexistent local time became %v", u)
	}

	if g := by["SR23-00020544"]; g.Origin != data.OriginOpen311 || HasLocation(g) == false {
		t.Errorf("graffiti origin %q", g.Origin)
	}

	sl := by["SR23-00031002"]
	if sl.Address != "2524 N MOZART ST" || sl.Origin != data.OriginStaff || sl.Duplicate || sl.ParentNumber != "" ||
		fmt.Sprint(sl.Attributes["parent_sr_number"]) != "[SR23-00030977]" {
		t.Errorf("street light: address %q origin %q dup %v parent %q attrs %v", sl.Address, sl.Origin, sl.Duplicate, sl.ParentNumber, sl.Attributes)
	}

	tt := by["SR18-01234567"]
	if !tt.Legacy || fmt.Sprint(tt.Attributes["legacy_sr_number"]) != "[18-01234567]" || tt.UpdatedAt.Before(tt.ClosedAt) {
		t.Errorf("legacy record: %v %v", tt.Legacy, tt.Attributes)
	}

	air := by["SR23-00040001"]
	if HasLocation(air) || air.RecordedAreas != nil || air.ServiceCode != "AVN" || air.Department != "Aviation" {
		t.Errorf("no-location row: %+v", air)
	}
	av := by["SR23-00040002"]
	if av.State != data.StateClosed || av.Disposition != "Canceled" || av.Origin != data.OriginStaff {
		t.Errorf("canceled: state %q disposition %q origin %q", av.State, av.Disposition, av.Origin)
	}
}

// TestExportMatchesAPI: the upper-case portal export with US dates parses to
// the same requests as the API-style rows it was written from.
func TestExportMatchesAPI(t *testing.T) {
	a, _ := drain(t, openReader(t, "current_api.csv"))
	e, errs := drain(t, openReader(t, "current_export.csv"))
	if len(errs) != 0 || len(e) != 6 {
		t.Fatalf("%d requests, errors %v", len(e), errs)
	}
	for i := range e {
		ja, _ := json.Marshal(a[i])
		je, _ := json.Marshal(e[i])
		if !bytes.Equal(ja, je) {
			t.Errorf("row %d differs:\napi    %s\nexport %s", i, ja, je)
		}
	}
}

func TestBadRows(t *testing.T) {
	reqs, errs := drain(t, openReader(t, "current_bad.csv"))
	want := []struct {
		line   int
		column string
		msg    string
	}{
		{3, "created_date", "2023-02-30"},
		{6, "sr_number", "missing service request number"},
		{7, "latitude", "141.9"},
		{8, "", "row has 4 fields, the header has 39"},
		{9, "status", "Pending"},
		{10, "duplicate", "maybe"},
		{11, "x_coordinate", "abc"},
		{12, "longitude", "missing while latitude"},
		{14, "", "bare \" in non-quoted-field"},
	}
	if len(errs) != len(want) {
		for _, e := range errs {
			t.Log(e)
		}
		t.Fatalf("%d row errors, want %d", len(errs), len(want))
	}
	for i, w := range want {
		e := errs[i]
		if e.Line != w.line || e.Column != w.column || !strings.Contains(e.Error(), w.msg) {
			t.Errorf("error %d = line %d column %q %q, want line %d column %q containing %q", i, e.Line, e.Column, e.Error(), w.line, w.column, w.msg)
		}
		if !errors.Is(e, data.ErrInvalid) {
			t.Errorf("error %d does not wrap data.ErrInvalid: %v", i, e)
		}
	}
	var nums []string
	for _, r := range reqs {
		nums = append(nums, r.Number)
	}
	if got := strings.Join(nums, " "); got != "SR23-00050001 SR23-00050003 SR23-00050011 SR23-00050013" {
		t.Errorf("good rows %s", got)
	}
	if reqs[1].Address != "3701 S WOLCOTT AVE\nREAR GARAGE" {
		t.Errorf("multi-line address %q", reqs[1].Address)
	}
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		name, in, schema, err string
	}{
		{"current lower", "sr_number,sr_type,status,created_date\n", SchemaCurrent, ""},
		{"current upper with BOM", "\ufeffSR_NUMBER,SR_TYPE,STATUS,CREATED_DATE\n", SchemaCurrent, ""},
		{"current spaced", "SR NUMBER,SR TYPE,STATUS,CREATED DATE\n", SchemaCurrent, ""},
		{"legacy", "Creation Date,Status,Completion Date,Service Request Number,Type of Service Request\n", SchemaLegacy, ""},
		{"legacy upper", "CREATION DATE,STATUS,SERVICE REQUEST NUMBER,TYPE OF SERVICE REQUEST\n", SchemaLegacy, ""},
		{"current missing date", "sr_number,sr_type,status\n", "", "required column \"created_date\""},
		{"legacy missing type", "Creation Date,Status,Service Request Number\n", "", "Type of Service Request"},
		{"neither", "id,lat,lon\n", "", "not a Chicago 311 export"},
		{"empty", "", "", "empty input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := NewReader(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, data.ErrInvalid) {
					t.Fatalf("err %v, want ErrInvalid containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rd.Schema() != tc.schema {
				t.Errorf("schema %q, want %q", rd.Schema(), tc.schema)
			}
		})
	}
}

func TestParseLocal(t *testing.T) {
	chi, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2019-01-01T00:00:00.000", time.Date(2019, 1, 1, 0, 0, 0, 0, chi), true},
		{"2019-07-04T13:05:09.5", time.Date(2019, 7, 4, 13, 5, 9, 500000000, chi), true},
		{"2019-07-04 13:05:09", time.Date(2019, 7, 4, 13, 5, 9, 0, chi), true},
		{"2019-07-04T13:05", time.Date(2019, 7, 4, 13, 5, 0, 0, chi), true},
		{"2011-01-01T00:00:00", time.Date(2011, 1, 1, 0, 0, 0, 0, chi), true},
		{"2019-07-04", time.Date(2019, 7, 4, 0, 0, 0, 0, chi), true},
		{"01/01/2019 12:00:00 AM", time.Date(2019, 1, 1, 0, 0, 0, 0, chi), true},
		{"01/01/2019 12:30:00 PM", time.Date(2019, 1, 1, 12, 30, 0, 0, chi), true},
		{"12/31/2019 11:59:59 PM", time.Date(2019, 12, 31, 23, 59, 59, 0, chi), true},
		{"7/4/2019 1:05 PM", time.Date(2019, 7, 4, 13, 5, 0, 0, chi), true},
		{"07/04/2019 13:05:00", time.Date(2019, 7, 4, 13, 5, 0, 0, chi), true},
		{"07/04/2019", time.Date(2019, 7, 4, 0, 0, 0, 0, chi), true},
		{"02/29/2020 10:00:00 AM", time.Date(2020, 2, 29, 10, 0, 0, 0, chi), true},
		{"02/29/2019 10:00:00 AM", time.Time{}, false},
		{"13/01/2019", time.Time{}, false},
		{"01/01/2019 13:00:00 PM", time.Time{}, false},
		{"01/01/2019 00:00:00 AM", time.Time{}, false},
		{"2019-01-01T24:00:00", time.Time{}, false},
		{"2019-01-01T10:00:00Z", time.Time{}, false},
		{"2019-01-01X10:00", time.Time{}, false},
		{"2019-1-01", time.Time{}, false},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	} {
		got, ok := parseLocal(tc.in, chi)
		if ok != tc.ok || (ok && !got.Equal(tc.want)) {
			t.Errorf("parseLocal(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStatusAndOrigin(t *testing.T) {
	for _, tc := range []struct {
		in    string
		state data.State
		dup   bool
		ok    bool
	}{
		{"Open", data.StateNew, false, true},
		{"Completed", data.StateClosed, false, true},
		{"Completed - Dup", data.StateClosed, true, true},
		{"Open - Dup", data.StateNew, true, true},
		{"OPEN - DUP", data.StateNew, true, true},
		{"Canceled", data.StateClosed, false, true},
		{"Closed", data.StateClosed, false, true},
		{"Pending", "", false, false},
		{"", "", false, false},
	} {
		st, dup, ok := parseStatus(tc.in)
		if st != tc.state || dup != tc.dup || ok != tc.ok {
			t.Errorf("parseStatus(%q) = %q %v %v", tc.in, st, dup, ok)
		}
	}
	for in, want := range map[string]data.Origin{
		"Phone Call": data.OriginPhone, "Internet": data.OriginWeb, "Mobile Device": data.OriginMobile,
		"Open311 Interface": data.OriginOpen311, "Spot Checker": data.OriginStaff, "E-Mail": data.OriginWeb,
		"": data.OriginImport, "Carrier Pigeon": data.OriginImport,
	} {
		if got := Origin(in); got != want {
			t.Errorf("Origin(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStatePlaneRoundTrip checks the inverse against the forward series over
// the city and beyond, and one published control: the projection origin.
func TestStatePlaneRoundTrip(t *testing.T) {
	lon, lat := StatePlaneToWGS84(300000/usFootToM, 0)
	if math.Abs(lon-(-88-20.0/60)) > 1e-9 || math.Abs(lat-(36+40.0/60)) > 1e-9 {
		t.Errorf("origin maps to %v, %v", lon, lat)
	}
	worst := 0.0
	for lat := 36.7; lat <= 42.6; lat += 0.05 {
		for lon := -89.5; lon <= -87.0; lon += 0.05 {
			x, y := stateplane.forward(lon, lat)
			glon, glat := StatePlaneToWGS84(x, y)
			worst = math.Max(worst, metres(lon, lat, glon, glat))
		}
	}
	if worst > 1e-5 { // 10 micrometres: the n^4 Krüger series
		t.Errorf("round trip error up to %g m", worst)
	}
}

func TestLegacySynthetic(t *testing.T) {
	in := "CREATION DATE,STATUS,COMPLETION DATE,SERVICE REQUEST NUMBER,TYPE OF SERVICE REQUEST,CURRENT ACTIVITY,NUMBER OF POTHOLES FILLED ON BLOCK,STREET ADDRESS,ZIP,X COORDINATE,Y COORDINATE,Ward,Police District,Community Area,SSA,LATITUDE,LONGITUDE,LOCATION\n" +
		"2013-03-01T00:00:00,Open - Dup,,13-00000001,Pot Hole in Street,,,100 W MADISON ST,60602,1175000,1900000,42,1,32,,,,\n" +
		"2013-03-01T00:00:00,Open,,13-00000002,Pot Hole in Street,Dispatch Crew,4,100 W MADISON ST,60602.0,,,42.0,1,32,23,41.88,-87.63,\n" +
		"2013-03-01T00:00:00,Open,,13-00000003,Dead Animal Pick-Up,,,100 W MADISON ST,60602,,,42,1,32,,41.88,-87.63,\n"
	rd, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	reqs, errs := drain(t, rd)
	if len(reqs) != 2 || len(errs) != 1 {
		t.Fatalf("%d requests %d errors", len(reqs), len(errs))
	}
	if errs[0].Line != 4 || errs[0].Column != "TYPE OF SERVICE REQUEST" {
		t.Errorf("unknown type error %v", errs[0])
	}
	a, b := reqs[0], reqs[1]
	if !a.Duplicate || a.State != data.StateNew || a.ParentNumber != "" || !HasLocation(a) || a.ServiceCode != "PHF" {
		t.Errorf("open dup: %+v", a)
	}
	if b.ZIP != "60602" || fmt.Sprint(b.Attributes) != "map[current_activity:[Dispatch Crew] number_of_potholes_filled_on_block:[4] ssa:[23]]" {
		t.Errorf("zip %q attributes %v", b.ZIP, b.Attributes)
	}
	if fmt.Sprint(b.RecordedAreas) != fmt.Sprint([]data.AreaRef{
		{Layer: data.LayerDistrict, ID: "01", Generation: "recorded"},
		{Layer: data.LayerWard, ID: "42", Generation: "recorded"},
		{Layer: data.LayerCommunityArea, ID: "32", Generation: "recorded"},
	}) {
		t.Errorf("recorded areas %v", b.RecordedAreas)
	}
}
