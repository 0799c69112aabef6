package sqlite

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func TestPrefixSuccessor(t *testing.T) {
	for _, tc := range []struct {
		p, want string
		ok      bool
	}{
		{"011", "012", true},
		{"01\xff", "02", true},
		{"0\xff\xff", "1", true},
		{"\xff\xff", "", false},
		{"", "", false},
		{"é", "\xc3\xaa", true},
		{"\U0010FFFF", "\xf4\x8f\xbf\xc0", true},
		{"0\x00", "0\x01", true},
	} {
		got, ok := prefixSuccessor(tc.p)
		if got != tc.want || ok != tc.ok {
			t.Errorf("prefixSuccessor(%q) = %q, %v; want %q, %v", tc.p, got, ok, tc.want, tc.ok)
		}
		if !ok {
			continue
		}
		// Every string that starts with p sorts below the successor, and
		// the successor is the least string that does not start with p.
		for _, s := range []string{tc.p, tc.p + "\x00", tc.p + "\xff\xff", tc.p + "zz"} {
			if s >= got {
				t.Errorf("%q starts with %q but is not below %q", s, tc.p, got)
			}
		}
		if strings.HasPrefix(got, tc.p) {
			t.Errorf("successor %q of %q starts with it", got, tc.p)
		}
	}
}

// sectorRows are requests of every kind the sector filter must find: a
// sector that is its beat's first 3 characters (Chicago's rule), a sector
// that is not a prefix of the beat, a sector without a beat, a beat
// without a sector, a beat shorter than or equal to its sector, ids beyond
// ASCII (a sector ending in U+10FFFF, whose successor is not valid UTF-8),
// and a second sector area (not indexed: the column holds the first).
func sectorRows(rng *rand.Rand, start, n int) []*data.Request {
	rs := synthRequests(rng, start, n)
	odd := [][2]string{ // beat, sector
		{"01", "011"}, {"011", "011"}, {"0119", "011"}, {"0120", "011"}, {"010", "01"},
		{"é12x", "é1"}, {"é2", "é1"}, {"", "é1"}, {"\U0010FFFF1", "\U0010FFFF"}, {"\U0010FFFF", "\U0010FFFF"},
		{"ÿ1", "ÿ"}, {"0111", "0"},
	}
	for i, r := range rs {
		beat := r.Areas[0].ID
		switch i % 10 {
		case 0, 1, 2, 3, 4: // regular
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerSector, ID: beat[:3], Generation: "sector@x"})
		case 5: // irregular: another beat's sector
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerSector, ID: fmt.Sprintf("%03d", rng.IntN(40)), Generation: "sector@x"})
		case 6: // a sector without a beat
			r.Areas[0] = data.AreaRef{Layer: data.LayerSector, ID: fmt.Sprintf("%03d", rng.IntN(40)), Generation: "sector@x"}
		case 7: // no sector
		case 8:
			o := odd[rng.IntN(len(odd))]
			r.Areas = slices.DeleteFunc(r.Areas, func(a data.AreaRef) bool { return a.Layer == data.LayerBeat })
			if o[0] != "" {
				r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerBeat, ID: o[0], Generation: "beat@x"})
			}
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerSector, ID: o[1], Generation: "sector@x"})
		case 9: // regular, then a second sector
			r.Areas = append(r.Areas, data.AreaRef{Layer: data.LayerSector, ID: beat[:3], Generation: "sector@x"},
				data.AreaRef{Layer: data.LayerSector, ID: "038", Generation: "sector@x"})
		}
	}
	return rs
}

// firstSector is the sector column of r: its first sector area's id.
func firstSector(r *data.Request) string {
	for _, a := range r.Areas {
		if a.Layer == data.LayerSector {
			return a.ID
		}
	}
	return ""
}

// TestSectorFilter: a sector filter (through requests_beat and
// requests_sector_irregular, migration 0008) returns exactly the rows whose
// sector column is the id, for regular and irregular rows written by a bulk
// import (indexes rebuilt), an incremental import, intakes and updates, in
// every filter shape: alone, paged, ascending, with a status, a window,
// other areas, service codes, a box; counted and scanned too. The
// expectation is brute force: the rows of the filter without the sector,
// kept in Go where the first sector area is the id.
func TestSectorFilter(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.bulkIndexMin = 500
	rng := rand.New(rand.NewPCG(81, 82))
	if ins, _, err := db.ImportRequests(ctx, sectorRows(rng, 0, 1500)); err != nil || ins != 1500 {
		t.Fatalf("bulk import: %d, %v", ins, err)
	}
	if ins, _, err := db.ImportRequests(ctx, sectorRows(rng, 1500, 300)); err != nil || ins != 300 {
		t.Fatalf("incremental import: %d, %v", ins, err)
	}
	for _, r := range sectorRows(rng, 1800, 60) {
		r.Number, r.Origin = "", data.OriginWeb
		if _, _, err := db.CreateRequest(ctx, data.Intake{Request: r}); err != nil {
			t.Fatal(err)
		}
	}
	// Updates that make regular rows irregular and back.
	for i, number := range []string{"SR25-00000001", "SR25-00000002", "SR25-00000006", "SR25-00000007", "SR25-00001501"} {
		if _, err := db.UpdateRequest(ctx, number, func(r *data.Request) ([]data.Note, error) {
			switch i % 3 {
			case 0:
				r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "0113", Generation: "b"}, {Layer: data.LayerSector, ID: "022", Generation: "s"}}
			case 1:
				r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "0224", Generation: "b"}, {Layer: data.LayerSector, ID: "022", Generation: "s"}}
			case 2:
				r.Areas = []data.AreaRef{{Layer: data.LayerSector, ID: "011", Generation: "s"}}
			}
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	all, err := db.Requests(ctx, data.RequestFilter{})
	if err != nil || len(all) != 1860 {
		t.Fatalf("%d requests, %v; want 1860", len(all), err)
	}
	var regular, irregular int
	for _, r := range all {
		if s := firstSector(r); s != "" {
			cols, _ := layerColumns(r)
			if irregularSector(cols) {
				irregular++
			} else {
				regular++
			}
		}
	}
	if regular < 500 || irregular < 300 {
		t.Fatalf("%d regular and %d irregular rows: the fixture lacks a kind", regular, irregular)
	}

	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	shapes := []struct {
		name string
		f    data.RequestFilter
	}{
		{"alone", data.RequestFilter{}},
		{"paged", data.RequestFilter{Limit: 7, Offset: 3}},
		{"ascending", data.RequestFilter{Ascending: true, Limit: 20}},
		{"open", data.RequestFilter{Status: "open", Limit: 100}},
		{"window", data.RequestFilter{From: start, To: start.Add(120 * 24 * time.Hour)}},
		{"ward", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "7"}}}},
		{"beat", data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0113"}}}},
		{"codes", data.RequestFilter{ServiceCodes: []string{"PHF", "SLA", "GRAF"}}},
		{"bbox", data.RequestFilter{BBox: bboxOf(-87.9, 41.7, -87.6, 41.95)}},
	}
	ids := []string{"000", "011", "022", "038", "039", "01", "0", "0119", "é1", "\U0010FFFF", "ÿ", "999"}
	for _, id := range ids {
		sector := data.AreaRef{Layer: data.LayerSector, ID: id}
		for _, s := range shapes {
			base := s.f
			base.Limit, base.Offset = 0, 0
			rest, err := db.Requests(ctx, base)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range rest {
				if firstSector(r) == id {
					want = append(want, r.Number)
				}
			}
			total := len(want)
			want = want[min(len(want), s.f.Offset):]
			if s.f.Limit > 0 {
				want = want[:min(len(want), s.f.Limit)]
			}
			f := s.f
			f.Areas = append(slices.Clone(f.Areas), sector)
			rs, err := db.Requests(ctx, f)
			if err != nil {
				t.Fatalf("sector %q %s: %v", id, s.name, err)
			}
			got := make([]string, 0, len(rs))
			for _, r := range rs {
				got = append(got, r.Number)
			}
			if !slices.Equal(got, want) {
				t.Errorf("sector %q %s: %d requests %v, want %d %v", id, s.name, len(got), got, len(want), want)
			}
			if n, err := db.CountRequests(ctx, data.RequestFilter{Areas: f.Areas, ServiceCodes: f.ServiceCodes,
				From: f.From, To: f.To, Status: f.Status, BBox: f.BBox}); err != nil || n != total {
				t.Errorf("sector %q %s: count %d, %v; want %d", id, s.name, n, err, total)
			}
		}
		var scanned int
		if err := db.ScanRequests(ctx, data.RequestFilter{Areas: []data.AreaRef{sector}}, func(r *data.Request) error {
			if firstSector(r) != id {
				t.Errorf("sector %q: scan yields %s of sector %q", id, r.Number, firstSector(r))
			}
			scanned++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var want int
		for _, r := range all {
			if firstSector(r) == id {
				want++
			}
		}
		if scanned != want {
			t.Errorf("sector %q: scan yields %d requests, want %d", id, scanned, want)
		}
	}

	// requests_sector_irregular holds exactly the irregular rows.
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM requests r INDEXED BY requests_sector_irregular WHERE `+sectorIrregularWhere).Scan(&n); err != nil || n != irregular {
		t.Errorf("requests_sector_irregular holds %d rows, %v; want %d", n, err, irregular)
	}
}

// irregularSector reads the beat and sector columns at their places in
// areaLayers.
func TestIrregularSectorColumns(t *testing.T) {
	if areaLayers[0] != data.LayerBeat || areaLayers[1] != data.LayerSector {
		t.Fatalf("areaLayers = %v: irregularSector reads the wrong columns", areaLayers)
	}
	for _, tc := range []struct {
		beat, sector string
		want         bool
	}{
		{"0111", "011", false}, {"011", "011", false}, {"0111", "", false}, {"", "", false},
		{"", "011", true}, {"01", "011", true}, {"0211", "011", true}, {"é12", "é1", false}, {"é2", "é1", true},
	} {
		var cols [len(areaLayers)]string
		cols[0], cols[1] = tc.beat, tc.sector
		if got := irregularSector(cols); got != tc.want {
			t.Errorf("beat %q sector %q: irregular %v, want %v", tc.beat, tc.sector, got, tc.want)
		}
	}
}
