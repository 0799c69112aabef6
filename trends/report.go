package trends

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Period is a reporting period [Start, End) of local midnights.
type Period struct {
	// Label is the canonical form: "2026Q3", "2026-07" or "2026".
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ParsePeriod reads a quarter ("2026Q3", also "2026-Q3", "2026q3"), a month
// ("2026-07") or a year ("2026") in the given time zone. Years run from 1900
// to 9999.
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	if loc == nil {
		return Period{}, data.Invalid("period", "no time zone")
	}
	bad := func() (Period, error) {
		return Period{}, data.Invalid("period", "%q is not a period (2026Q3, 2026-07 or 2026)", s)
	}
	t := strings.TrimSpace(s)
	if len(t) < 4 {
		return bad()
	}
	year, ok := digits(t[:4])
	if !ok || year < 1900 {
		return bad()
	}
	rest := t[4:]
	start := func(month int) time.Time { return time.Date(year, time.Month(month), 1, 0, 0, 0, 0, loc) }
	if rest == "" {
		return Period{Label: fmt.Sprintf("%04d", year), Start: start(1), End: start(13)}, nil
	}
	q := strings.TrimPrefix(rest, "-")
	if len(q) == 2 && (q[0] == 'Q' || q[0] == 'q') {
		if q[1] < '1' || q[1] > '4' {
			return bad()
		}
		n := int(q[1] - '0')
		return Period{Label: fmt.Sprintf("%04dQ%d", year, n), Start: start(3*n - 2), End: start(3*n + 1)}, nil
	}
	if len(rest) == 3 && rest[0] == '-' {
		m, ok := digits(rest[1:])
		if !ok || m < 1 || m > 12 {
			return bad()
		}
		return Period{Label: fmt.Sprintf("%04d-%02d", year, m), Start: start(m), End: start(m + 1)}, nil
	}
	return bad()
}

// Months splits a period into its calendar months.
func (p Period) Months() []Period {
	var out []Period
	for s := p.Start; s.Before(p.End); {
		e := time.Date(s.Year(), s.Month()+1, 1, 0, 0, 0, 0, s.Location())
		out = append(out, Period{Label: fmt.Sprintf("%04d-%02d", s.Year(), int(s.Month())), Start: s, End: e})
		s = e
	}
	return out
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// ReportQuery asks for a status report.
type ReportQuery struct {
	Period Period
	// Now is the report's clock. Open and overdue counts are taken at AsOf =
	// min(Period.End, Now): the end of a past period, or now for the
	// current one. Required.
	Now time.Time
	// Layers to report by (default beat and district), from Request.Areas.
	Layers []data.Layer
	// Areas keeps only requests routed to every listed area (layer and id),
	// e.g. one district for its sergeant.
	Areas []data.AreaRef
	// Types keeps only these service codes (all if empty).
	Types []string
	// Duplicates counts duplicates too; by default only primaries and
	// requests that are not duplicates are counted.
	Duplicates bool
}

// Row is one line of a status report: one area of one layer for one period.
// Layer "all" with Area "all" is the total over every request of the report.
type Row struct {
	Period string     `json:"period"`
	Layer  data.Layer `json:"layer"`
	Area   string     `json:"area"`
	// Received: requested within the period.
	Received int `json:"received"`
	// OpenAtEnd: received before AsOf and not closed before AsOf.
	OpenAtEnd int `json:"open_at_end"`
	// OverdueAtEnd: of those, past their lifecycle deadline at AsOf
	// (data.Overdue on the request as it stood at AsOf).
	OverdueAtEnd int `json:"overdue_at_end"`
	// Closed: closed within the period.
	Closed int `json:"closed"`
	// ClosedWithDeadline: closed ones that had a deadline (data.ExpectedAt:
	// the due date once assigned, else the SLA date); ClosedWithinSLA: closed
	// at or before it; ClosedWithinSLAPct = 100 × within / with deadline
	// (null when no closed request had a deadline).
	ClosedWithDeadline int      `json:"closed_with_deadline"`
	ClosedWithinSLA    int      `json:"closed_within_sla"`
	ClosedWithinSLAPct *float64 `json:"closed_within_sla_pct"`
	// Days from request to closure of the requests closed within the period
	// (24-hour days): median and 90th percentile (linear interpolation
	// between order statistics); null when none closed.
	MedianDaysToClose *float64 `json:"median_days_to_close"`
	P90DaysToClose    *float64 `json:"p90_days_to_close"`
	// Extensions granted on requests active in the period (received before
	// its end and not closed before its start).
	Extensions int `json:"extensions"`
	// ConcernsReassignedOver3: community concerns active in the period that
	// data.ReassignedTooOften flags (reassigned more than 3 times).
	ConcernsReassignedOver3 int `json:"concerns_reassigned_over_3"`
	// AsOf is when open and overdue were counted: min(period end, Now).
	AsOf time.Time `json:"as_of"`
}

// Report is a status report: rows sorted by period, then layer (in query
// order, "all" last), then area id.
type Report struct {
	Period Period    `json:"period"`
	AsOf   time.Time `json:"as_of"`
	Rows   []Row     `json:"rows"`
}

// Layer "all": the total row.
const layerAll data.Layer = "all"

type acc struct {
	row   Row
	close []float64
}

func (q *ReportQuery) check() error {
	if q.Period.Start.IsZero() || !q.Period.Start.Before(q.Period.End) {
		return data.Invalid("period", "a period is required")
	}
	if q.Now.IsZero() {
		return data.Invalid("now", "the report's clock is required")
	}
	if len(q.Layers) == 0 {
		q.Layers = []data.Layer{data.LayerBeat, data.LayerDistrict}
	}
	return nil
}

func (q *ReportQuery) keep(r *data.Request) bool {
	if r == nil || (r.Duplicate && !q.Duplicates) {
		return false
	}
	if len(q.Types) > 0 && !slices.Contains(q.Types, r.ServiceCode) {
		return false
	}
	for _, want := range q.Areas {
		found := false
		for _, a := range r.Areas {
			if a.Layer == want.Layer && a.ID == want.ID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// StatusReport computes the quarterly (or any period's) City Service
// Requests Status Report by area: one pass over rs.
func StatusReport(rs iter.Seq[*data.Request], q ReportQuery) (*Report, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	return buildReport(rs, q, []Period{q.Period}, q.Layers)
}

// MonthlySummary computes, for each month of the query's period, one row per
// district (or per q.Layers[0] if Layers is given) and a total row.
func MonthlySummary(rs iter.Seq[*data.Request], q ReportQuery) (*Report, error) {
	layers := q.Layers
	if len(layers) == 0 {
		layers = []data.Layer{data.LayerDistrict}
	}
	q.Layers = layers[:1]
	if err := q.check(); err != nil {
		return nil, err
	}
	return buildReport(rs, q, q.Period.Months(), q.Layers)
}

func asOf(p Period, now time.Time) time.Time {
	if now.Before(p.End) {
		return now
	}
	return p.End
}

func buildReport(rs iter.Seq[*data.Request], q ReportQuery, periods []Period, layers []data.Layer) (*Report, error) {
	type gkey struct {
		period int
		layer  data.Layer
		area   string
	}
	groups := map[gkey]*acc{}
	get := func(k gkey) *acc {
		a := groups[k]
		if a == nil {
			a = &acc{row: Row{Period: periods[k.period].Label, Layer: k.layer, Area: k.area, AsOf: asOf(periods[k.period], q.Now)}}
			groups[k] = a
		}
		return a
	}
	for pi := range periods {
		get(gkey{pi, layerAll, "all"}) // the total row exists even when empty
	}
	ids := make([]string, len(layers))
	for r := range rs {
		if !q.keep(r) {
			continue
		}
		for i, l := range layers {
			ids[i] = ""
			for _, a := range r.Areas {
				if a.Layer == l {
					ids[i] = a.ID
					break
				}
			}
		}
		for pi, p := range periods {
			m := measure(r, p, asOf(p, q.Now))
			if !m.any() {
				continue
			}
			m.add(get(gkey{pi, layerAll, "all"}))
			for i, l := range layers {
				if ids[i] != "" {
					m.add(get(gkey{pi, l, ids[i]}))
				}
			}
		}
	}
	layerOrder := map[data.Layer]int{layerAll: len(layers)}
	for i, l := range layers {
		layerOrder[l] = i
	}
	keys := make([]gkey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b gkey) int {
		if a.period != b.period {
			return a.period - b.period
		}
		if d := layerOrder[a.layer] - layerOrder[b.layer]; d != 0 {
			return d
		}
		return strings.Compare(a.area, b.area)
	})
	rep := &Report{Period: q.Period, AsOf: asOf(q.Period, q.Now), Rows: make([]Row, 0, len(keys))}
	for _, k := range keys {
		a := groups[k]
		row := a.row
		if row.ClosedWithDeadline > 0 {
			pct := 100 * float64(row.ClosedWithinSLA) / float64(row.ClosedWithDeadline)
			row.ClosedWithinSLAPct = &pct
		}
		if len(a.close) > 0 {
			slices.Sort(a.close)
			med, p90 := quantile(a.close, 0.5), quantile(a.close, 0.9)
			row.MedianDaysToClose, row.P90DaysToClose = &med, &p90
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// quantile of sorted values with linear interpolation between order
// statistics (Hyndman and Fan type 7, as R and spreadsheets do).
func quantile(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// measurement is what one request adds to a row.
type measurement struct {
	received, open, overdue, closed, withDeadline, within, extensions, reassigned int
	daysToClose                                                                   float64
}

func (m measurement) any() bool {
	return m.received+m.open+m.closed+m.extensions+m.reassigned > 0
}

func (m measurement) add(a *acc) {
	r := &a.row
	r.Received += m.received
	r.OpenAtEnd += m.open
	r.OverdueAtEnd += m.overdue
	r.Closed += m.closed
	r.ClosedWithDeadline += m.withDeadline
	r.ClosedWithinSLA += m.within
	r.Extensions += m.extensions
	r.ConcernsReassignedOver3 += m.reassigned
	if m.closed > 0 {
		a.close = append(a.close, m.daysToClose)
	}
}

func in(t time.Time, p Period) bool { return !t.Before(p.Start) && t.Before(p.End) }

func measure(r *data.Request, p Period, at time.Time) measurement {
	var m measurement
	if r.RequestedAt.IsZero() || !r.RequestedAt.Before(p.End) {
		return m
	}
	closedAt, closed := closedTime(r)
	if in(r.RequestedAt, p) {
		m.received = 1
	}
	if closed && in(closedAt, p) {
		m.closed = 1
		m.daysToClose = closedAt.Sub(r.RequestedAt).Hours() / 24
		if due, ok := data.ExpectedAt(r); ok {
			m.withDeadline = 1
			if !closedAt.After(due) {
				m.within = 1
			}
		}
	}
	if r.RequestedAt.Before(at) && (!closed || !closedAt.Before(at)) {
		m.open = 1
		if data.Overdue(stateAt(r, at), at) {
			m.overdue = 1
		}
	}
	if !closed || !closedAt.Before(p.Start) { // active in the period
		m.extensions = r.Extensions
		if data.ReassignedTooOften(r) {
			m.reassigned = 1
		}
	}
	return m
}

// stateAt returns r as it stood at t, as far as its timestamps tell: the
// request itself if it has not changed since t, otherwise a copy whose
// state is rebuilt from AcceptedAt, AssignedAt (the latest assignment) and
// CompletedAt. A reassignment after t hides an earlier assignment, and
// extensions granted after t count as if granted before: the record keeps
// no history (the notes do, and are not read here).
func stateAt(r *data.Request, t time.Time) *data.Request {
	if !r.UpdatedAt.After(t) && !r.UpdatedAt.IsZero() {
		return r
	}
	v := *r
	v.ClosedAt = time.Time{}
	switch {
	case !r.CompletedAt.IsZero() && !r.CompletedAt.After(t) && !r.AssignedAt.After(t):
		v.State = data.StateCompleted
	case !r.AssignedAt.IsZero() && !r.AssignedAt.After(t):
		v.State = data.StateAssigned
	case !r.AcceptedAt.IsZero() && !r.AcceptedAt.After(t):
		v.State = data.StateAccepted
	default:
		v.State = data.StateNew
		v.AssignedAt = time.Time{}
	}
	return &v
}

// csvHeader is the CSV column order (stable: append new columns at the end).
var csvHeader = []string{"period", "layer", "area", "received", "open_at_end", "overdue_at_end",
	"closed", "closed_with_deadline", "closed_within_sla", "closed_within_sla_pct",
	"median_days_to_close", "p90_days_to_close", "extensions", "concerns_reassigned_over_3", "as_of"}

func fmtOpt(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

// WriteCSV writes the report as CSV with a header row; empty cells mean
// "no value" (no closed request).
func WriteCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("trends: write csv: %w", err)
	}
	for _, r := range rep.Rows {
		rec := []string{r.Period, string(r.Layer), r.Area, strconv.Itoa(r.Received), strconv.Itoa(r.OpenAtEnd),
			strconv.Itoa(r.OverdueAtEnd), strconv.Itoa(r.Closed), strconv.Itoa(r.ClosedWithDeadline),
			strconv.Itoa(r.ClosedWithinSLA), fmtOpt(r.ClosedWithinSLAPct, 1), fmtOpt(r.MedianDaysToClose, 2),
			fmtOpt(r.P90DaysToClose, 2), strconv.Itoa(r.Extensions), strconv.Itoa(r.ConcernsReassignedOver3), r.AsOf.Format(time.RFC3339)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("trends: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("trends: write csv: %w", err)
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("trends: write json: %w", err)
	}
	return nil
}
