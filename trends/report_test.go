package trends

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, chicago)
}

func areas(beat string) []data.AreaRef {
	return []data.AreaRef{
		{Layer: data.LayerBeat, ID: beat, Generation: "beat@2012-12-19"},
		{Layer: data.LayerDistrict, ID: beat[:2], Generation: "district@2012-12-19"},
	}
}

// reportFixture: eight requests around 2026 Q3 (see TestStatusReportNumbers
// for what each contributes).
func reportFixture() []*data.Request {
	sr, cc := data.KindServiceRequest, data.KindCommunityConcern
	return []*data.Request{
		// A: closed in 4 days, before its due date (assigned Jul 2 + 7 days).
		{Number: "SR26-00000001", Kind: sr, ServiceCode: "PHF", Areas: areas("1211"), SLADays: 7,
			RequestedAt: at(7, 1, 10), AssignedAt: at(7, 2, 10), CompletedAt: at(7, 5, 10), ClosedAt: at(7, 5, 10),
			State: data.StateClosed, UpdatedAt: at(7, 5, 10)},
		// B: never assigned, closed after 10 days, past its 3-day SLA.
		{Number: "SR26-00000002", Kind: sr, ServiceCode: "PHF", Areas: areas("1211"), SLADays: 3,
			RequestedAt: at(7, 10, 0), ClosedAt: at(7, 20, 0), State: data.StateClosed, UpdatedAt: at(7, 20, 0)},
		// C: assigned Aug 2 with one 15-day extension: due Aug 24, open and overdue at the end.
		{Number: "SR26-00000003", Kind: sr, ServiceCode: "SCB", Areas: areas("1212"), SLADays: 5,
			RequestedAt: at(8, 1, 9), AssignedAt: at(8, 2, 9), Extensions: 1, ExtensionDays: 15,
			State: data.StateAssigned, UpdatedAt: at(8, 3, 9)},
		// D: a concern received on Sep 30 at 20:00: its 36 hours run past the period end.
		{Number: "CC26-00000001", Kind: cc, ServiceCode: "CPD", Areas: areas("1212"),
			RequestedAt: at(9, 30, 20), State: data.StateNew, UpdatedAt: at(9, 30, 20)},
		// E: a concern from June, reassigned 4 times, 2 extensions (14 days), closed Jul 15 after 44 days.
		{Number: "CC26-00000002", Kind: cc, ServiceCode: "CPD", Areas: areas("1111"),
			RequestedAt: at(6, 1, 10), AcceptedAt: at(6, 1, 12), AssignedAt: at(6, 2, 10), Reassignments: 4,
			Extensions: 2, ExtensionDays: 14, CompletedAt: at(7, 14, 10), ClosedAt: at(7, 15, 10),
			State: data.StateClosed, UpdatedAt: at(7, 15, 10)},
		// F: a duplicate: left out by default.
		{Number: "SR26-00000004", Kind: sr, ServiceCode: "PHF", Areas: areas("1111"), SLADays: 7,
			RequestedAt: at(9, 15, 8), State: data.StateNew, Duplicate: true, ParentNumber: "SR26-00000009", UpdatedAt: at(9, 15, 8)},
		// G: no SLA, never assigned: closed after 31 days without a deadline.
		{Number: "SR26-00000005", Kind: sr, ServiceCode: "OTH", Areas: areas("1111"),
			RequestedAt: at(8, 10, 12), ClosedAt: at(9, 10, 12), State: data.StateClosed, UpdatedAt: at(9, 10, 12)},
		// H: assigned Sep 2 (due Sep 9), closed Oct 5: open and overdue at the period end.
		{Number: "SR26-00000006", Kind: sr, ServiceCode: "PHF", Areas: areas("1211"), SLADays: 7,
			RequestedAt: at(9, 1, 8), AssignedAt: at(9, 2, 8), CompletedAt: at(10, 5, 8), ClosedAt: at(10, 5, 8),
			State: data.StateClosed, UpdatedAt: at(10, 5, 8)},
	}
}

func fp(v float64) *float64 { return &v }

func TestStatusReportNumbers(t *testing.T) {
	p, err := ParsePeriod("2026Q3", chicago)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := StatusReport(slices.Values(reportFixture()), ReportQuery{Period: p, Now: at(11, 15, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.AsOf.Equal(at(10, 1, 0)) {
		t.Errorf("as of %v, want the period end", rep.AsOf)
	}
	// Hand count, per request letter in reportFixture:
	//   beat 1211: received A B H; open H; overdue H; closed A (4 d, within) B (10 d, late):
	//              50%, median 7, p90 4 + 0.9·6 = 9.4
	//   beat 1212: received C D; open C D; overdue C (due Aug 24); D's window ends Oct 2 08:00; extensions 1
	//   beat 1111: received G (F is a duplicate); closed E (44 d, late) G (31 d, no deadline): 0%,
	//              median 37.5, p90 31 + 0.9·13 = 42.7; extensions 2; E reassigned 4 times
	//   all:       closed days 4 10 31 44: median 20.5, p90 31 + 0.7·13 = 40.1; 1 within of 3 = 33.3%
	want := []Row{
		{Period: "2026Q3", Layer: "beat", Area: "1111", Received: 1, Closed: 2, ClosedWithDeadline: 1,
			ClosedWithinSLAPct: fp(0), MedianDaysToClose: fp(37.5), P90DaysToClose: fp(42.7), Extensions: 2, ConcernsReassignedOver3: 1},
		{Period: "2026Q3", Layer: "beat", Area: "1211", Received: 3, OpenAtEnd: 1, OverdueAtEnd: 1, Closed: 2,
			ClosedWithDeadline: 2, ClosedWithinSLA: 1, ClosedWithinSLAPct: fp(50), MedianDaysToClose: fp(7), P90DaysToClose: fp(9.4)},
		{Period: "2026Q3", Layer: "beat", Area: "1212", Received: 2, OpenAtEnd: 2, OverdueAtEnd: 1, Extensions: 1},
		{Period: "2026Q3", Layer: "district", Area: "11", Received: 1, Closed: 2, ClosedWithDeadline: 1,
			ClosedWithinSLAPct: fp(0), MedianDaysToClose: fp(37.5), P90DaysToClose: fp(42.7), Extensions: 2, ConcernsReassignedOver3: 1},
		{Period: "2026Q3", Layer: "district", Area: "12", Received: 5, OpenAtEnd: 3, OverdueAtEnd: 2, Closed: 2,
			ClosedWithDeadline: 2, ClosedWithinSLA: 1, ClosedWithinSLAPct: fp(50), MedianDaysToClose: fp(7), P90DaysToClose: fp(9.4), Extensions: 1},
		{Period: "2026Q3", Layer: "all", Area: "all", Received: 6, OpenAtEnd: 3, OverdueAtEnd: 2, Closed: 4,
			ClosedWithDeadline: 3, ClosedWithinSLA: 1, ClosedWithinSLAPct: fp(100.0 / 3), MedianDaysToClose: fp(20.5), P90DaysToClose: fp(40.1),
			Extensions: 3, ConcernsReassignedOver3: 1},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rep.Rows), len(want), rep.Rows)
	}
	for i, w := range want {
		g := rep.Rows[i]
		if !rowEqual(g, w) {
			t.Errorf("row %d:\n got %s\nwant %s", i, rowString(g), rowString(w))
		}
	}

	// A district's sergeant: only district 12's requests.
	rep12, err := StatusReport(slices.Values(reportFixture()), ReportQuery{Period: p, Now: at(11, 15, 0),
		Areas: []data.AreaRef{{Layer: data.LayerDistrict, ID: "12"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep12.Rows {
		if r.Area == "1111" || r.Area == "11" {
			t.Errorf("district filter let %s %s through", r.Layer, r.Area)
		}
	}
	if last := rep12.Rows[len(rep12.Rows)-1]; last.Received != 5 {
		t.Errorf("district 12 total received %d, want 5", last.Received)
	}

	// Mid-period clock: as of Aug 5, C is open but not yet overdue (due Aug 24),
	// H not yet received, D not yet received.
	mid, err := StatusReport(slices.Values(reportFixture()), ReportQuery{Period: p, Now: at(8, 5, 0), Duplicates: true})
	if err != nil {
		t.Fatal(err)
	}
	all := mid.Rows[len(mid.Rows)-1]
	if all.OpenAtEnd != 1 || all.OverdueAtEnd != 0 {
		t.Errorf("as of Aug 5: open %d overdue %d, want 1 and 0", all.OpenAtEnd, all.OverdueAtEnd)
	}
}

func rowEqual(a, b Row) bool {
	eq := func(x, y *float64) bool {
		if x == nil || y == nil {
			return x == y
		}
		return near(*x, *y, 1e-9)
	}
	pa, pb := a, b
	pa.AsOf, pb.AsOf = time.Time{}, time.Time{}
	pa.ClosedWithinSLAPct, pa.MedianDaysToClose, pa.P90DaysToClose = nil, nil, nil
	pb.ClosedWithinSLAPct, pb.MedianDaysToClose, pb.P90DaysToClose = nil, nil, nil
	return pa == pb && eq(a.ClosedWithinSLAPct, b.ClosedWithinSLAPct) &&
		eq(a.MedianDaysToClose, b.MedianDaysToClose) && eq(a.P90DaysToClose, b.P90DaysToClose)
}

func rowString(r Row) string {
	var buf bytes.Buffer
	_ = WriteCSV(&buf, &Report{Rows: []Row{r}})
	return buf.String()
}

func TestStatusReportGolden(t *testing.T) {
	p, _ := ParsePeriod("2026Q3", chicago)
	q := ReportQuery{Period: p, Now: at(11, 15, 0)}
	rep, err := StatusReport(slices.Values(reportFixture()), q)
	if err != nil {
		t.Fatal(err)
	}
	var csvBuf, jsonBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&jsonBuf, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "status_2026Q3.csv", csvBuf.Bytes())
	golden(t, "status_2026Q3.json", jsonBuf.Bytes())

	mon, err := MonthlySummary(slices.Values(reportFixture()), q)
	if err != nil {
		t.Fatal(err)
	}
	var monBuf bytes.Buffer
	if err := WriteCSV(&monBuf, mon); err != nil {
		t.Fatal(err)
	}
	golden(t, "monthly_2026Q3.csv", monBuf.Bytes())
	// July: A and B received in district 12; A, B and E closed.
	for _, r := range mon.Rows {
		if r.Period == "2026-07" && r.Layer == "all" && (r.Received != 2 || r.Closed != 3) {
			t.Errorf("July total: received %d closed %d, want 2 and 3", r.Received, r.Closed)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	cases := []struct {
		in, label  string
		start, end time.Time
		bad        bool
	}{
		{in: "2026Q3", label: "2026Q3", start: at(7, 1, 0), end: at(10, 1, 0)},
		{in: "2026-q1", label: "2026Q1", start: at(1, 1, 0), end: at(4, 1, 0)},
		{in: " 2026Q4 ", label: "2026Q4", start: at(10, 1, 0), end: time.Date(2027, 1, 1, 0, 0, 0, 0, chicago)},
		{in: "2026-07", label: "2026-07", start: at(7, 1, 0), end: at(8, 1, 0)},
		{in: "2026-12", label: "2026-12", start: at(12, 1, 0), end: time.Date(2027, 1, 1, 0, 0, 0, 0, chicago)},
		{in: "2026", label: "2026", start: at(1, 1, 0), end: time.Date(2027, 1, 1, 0, 0, 0, 0, chicago)},
		{in: "2026Q5", bad: true}, {in: "2026Q0", bad: true}, {in: "2026-13", bad: true}, {in: "2026-00", bad: true},
		{in: "26Q3", bad: true}, {in: "", bad: true}, {in: "2026-7", bad: true}, {in: "1899", bad: true},
		{in: "2026Q3x", bad: true}, {in: "２０２６", bad: true}, {in: "-2026", bad: true},
	}
	for _, tc := range cases {
		p, err := ParsePeriod(tc.in, chicago)
		if tc.bad {
			if err == nil || data.ErrorField(err) != "period" {
				t.Errorf("ParsePeriod(%q) = %+v, %v; want an error on field period", tc.in, p, err)
			}
			continue
		}
		if err != nil || p.Label != tc.label || !p.Start.Equal(tc.start) || !p.End.Equal(tc.end) {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %s [%v, %v)", tc.in, p, err, tc.label, tc.start, tc.end)
		}
	}
	q, _ := ParsePeriod("2026Q3", chicago)
	if m := q.Months(); len(m) != 3 || m[0].Label != "2026-07" || m[2].Label != "2026-09" || !m[2].End.Equal(q.End) {
		t.Errorf("Months() = %+v", m)
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026Q3", "2026-q4", "2026-07", "2026", "9999-12", "1900Q1", "2026Q5", "", "2026-7", "20２6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s, chicago)
		if err != nil {
			if data.ErrorField(err) != "period" {
				t.Fatalf("error %v does not name the field", err)
			}
			return
		}
		if !p.Start.Before(p.End) {
			t.Fatalf("%q: start %v not before end %v", s, p.Start, p.End)
		}
		again, err := ParsePeriod(p.Label, chicago)
		if err != nil || again != p {
			t.Fatalf("%q: label %q does not round-trip: %+v, %v", s, p.Label, again, err)
		}
		if h, m, sec := p.Start.Clock(); h != 0 || m != 0 || sec != 0 {
			t.Fatalf("%q: start %v is not a local midnight", s, p.Start)
		}
	})
}
