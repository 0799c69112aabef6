package postgis

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/geo311/geo311/data"
)

// earthRadiusM is the mean earth radius (IUGG) of geo311_distance_m.
const earthRadiusM = 6371008.8

// sqlQuery collects the conditions and arguments of a query; every value
// goes in as a parameter.
type sqlQuery struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (q *sqlQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *sqlQuery) where() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// filterQuery builds the conditions of f over table requests aliased r.
// Every predicate can use an index: see TestQueryPlans.
func filterQuery(f *data.RequestFilter) *sqlQuery {
	q := &sqlQuery{}
	add := func(c string) { q.conds = append(q.conds, c) }
	if len(f.Numbers) > 0 {
		add("r.number = ANY(" + q.arg(f.Numbers) + "::text[])")
	}
	if len(f.ServiceCodes) > 0 {
		add("r.service_code = ANY(" + q.arg(f.ServiceCodes) + "::text[])")
	}
	if len(f.Kinds) > 0 {
		add("r.kind = ANY(" + q.arg(stringsOf(f.Kinds)) + "::text[])")
	}
	if len(f.States) > 0 {
		add("r.state = ANY(" + q.arg(stringsOf(f.States)) + "::text[])")
	}
	if f.Status != "" {
		if len(f.Cells) > 0 {
			// With cells, requests_h3_window is the narrow index (a few
			// cells around a point). On a table whose statistics lag its
			// growth the planner would rather walk requests_state over every
			// open request of the window: as an expression of state the
			// status is only a filter (SQLite's filter does the same with
			// +r.closed).
			add("geo311_status(r.state) = " + q.arg(f.Status))
		} else {
			// status is generated from state: (state, requested_at)
			// answers it (migration 0006 dropped the status index).
			add("r.state = ANY(" + q.arg(statesOf(f.Status)) + "::text[])")
		}
	}
	switch {
	case len(f.Cells) > 0:
		// With cells, the window is on the expression of
		// requests_h3_window (h3, requested_at AT TIME ZONE 'UTC'), which
		// requests_requested cannot answer: see migration 0006.
		if !f.From.IsZero() {
			add("(r.requested_at AT TIME ZONE 'UTC') >= (" + q.arg(f.From) + "::timestamptz AT TIME ZONE 'UTC')")
		}
		if !f.To.IsZero() {
			add("(r.requested_at AT TIME ZONE 'UTC') < (" + q.arg(f.To) + "::timestamptz AT TIME ZONE 'UTC')")
		}
	default:
		if !f.From.IsZero() {
			add("r.requested_at >= " + q.arg(f.From))
		}
		if !f.To.IsZero() {
			add("r.requested_at < " + q.arg(f.To))
		}
	}
	if !f.UpdatedAfter.IsZero() {
		add("r.updated_at > " + q.arg(f.UpdatedAfter))
	}
	if !f.UpdatedBefore.IsZero() {
		add("r.updated_at < " + q.arg(f.UpdatedBefore))
	}
	for _, a := range f.Areas {
		if a.Layer == data.LayerSector {
			// Through the beat index: the beats that start with the sector
			// id, then the rows whose sector is not a prefix of their beat
			// through their own partial index (migration 0008). The
			// conditions of each arm repeat its index's predicate.
			id := q.arg(a.ID)
			beats := "r.beat >= " + id + " AND r.beat <> ''"
			if hi, ok := prefixSuccessor(a.ID); ok {
				beats += " AND r.beat < " + q.arg(hi)
			}
			add("(" + beats + " AND r.sector = " + id +
				" OR r.sector <> '' AND NOT starts_with(r.beat, r.sector) AND r.sector = " + id + ")")
			continue
		}
		if col, ok := areaColumns[a.Layer]; ok {
			add("r." + col + " = " + q.arg(a.ID))
			continue
		}
		// Custom layers: containment on custom_areas (the areas of the
		// layers without a column, NULL when none), whose partial GIN index
		// (requests_custom_areas) holds only the rows that have some
		// (migration 0007).
		b, _ := json.Marshal([]map[string]string{{"layer": string(a.Layer), "id": a.ID}})
		add("r.custom_areas IS NOT NULL AND r.custom_areas @> " + q.arg(string(b)) + "::jsonb")
	}
	if b := f.BBox; b != nil {
		// && on the GiST index compares float4 boxes rounded outwards: a
		// superset; the exact, edge-inclusive test follows on lon/lat.
		add("r.geom && ST_MakeEnvelope(" + q.arg(b.Min[0]) + "::float8, " + q.arg(b.Min[1]) + "::float8, " +
			q.arg(b.Max[0]) + "::float8, " + q.arg(b.Max[1]) + "::float8, 4326)")
		add("r.lon BETWEEN " + q.arg(b.Min[0]) + "::float8 AND " + q.arg(b.Max[0]) + "::float8")
		add("r.lat BETWEEN " + q.arg(b.Min[1]) + "::float8 AND " + q.arg(b.Max[1]) + "::float8")
	}
	if c := f.Near; c != nil {
		// The circle's bounding box, a little larger, on the GiST index;
		// then the exact haversine distance.
		const rad = math.Pi / 180
		dlat := c.RadiusM / earthRadiusM / rad * 1.001
		dlon := 360.0
		if cos := math.Cos(c.Lat * rad); cos > 1e-9 {
			dlon = math.Min(360, dlat/cos)
		}
		add("r.geom && ST_MakeEnvelope(" + q.arg(c.Lon-dlon) + "::float8, " + q.arg(c.Lat-dlat) + "::float8, " +
			q.arg(c.Lon+dlon) + "::float8, " + q.arg(c.Lat+dlat) + "::float8, 4326)")
		add("geo311_distance_m(" + q.arg(c.Lon) + "::float8, " + q.arg(c.Lat) + "::float8, r.lon, r.lat) <= " + q.arg(c.RadiusM) + "::float8")
	}
	if len(f.Cells) > 0 {
		cells := make([]int64, len(f.Cells))
		for i, c := range f.Cells {
			cells[i] = int64(c)
		}
		add("r.h3 = ANY(" + q.arg(cells) + "::bigint[])")
	}
	switch f.Duplicates {
	case data.DuplicatesExclude:
		add("NOT r.duplicate")
	case data.DuplicatesOnly:
		add("r.duplicate")
	}
	if f.ExcludePolice {
		add("NOT r.police_related AND r.kind <> 'community_concern'")
	}
	return q
}

// prefixSuccessor returns the least string above every string that starts
// with p in byte order (COLLATE "C"): p with its last rune replaced by the
// next code point, the trailing runes that have none dropped; false when
// there is none (p empty or all U+10FFFF). It stays valid UTF-8 (the next
// code point after U+D7FF is U+E000), so it can be sent as text, and UTF-8
// orders bytes as code points, so every string with the prefix p sorts
// below it and every other string at or above p's successor.
func prefixSuccessor(p string) (string, bool) {
	rs := []rune(p)
	for len(rs) > 0 {
		last := rs[len(rs)-1]
		switch {
		case last == utf8.MaxRune:
			rs = rs[:len(rs)-1]
			continue
		case last == 0xD7FF:
			rs[len(rs)-1] = 0xE000
		default:
			rs[len(rs)-1] = last + 1
		}
		return string(rs), true
	}
	return "", false
}

// allStates lists every state, for statesOf.
var allStates = []data.State{data.StateNew, data.StateAccepted, data.StateNotAccepted, data.StateAssigned, data.StateCompleted, data.StateClosed}

// statesOf returns the states whose Open311 status is status ("open" or
// "closed"), the states of the generated column status.
func statesOf(status string) []string {
	var out []string
	for _, s := range allStates {
		if s.Closed() == (status == "closed") {
			out = append(out, string(s))
		}
	}
	return out
}

// orderLimit is the ORDER BY and paging of f, appended to q's arguments.
func (q *sqlQuery) orderLimit(f *data.RequestFilter) string {
	s := " ORDER BY r.requested_at DESC, r.number DESC"
	if f.Ascending {
		s = " ORDER BY r.requested_at, r.number"
	}
	if f.Limit > 0 {
		s += " LIMIT " + q.arg(int64(f.Limit))
	}
	if f.Offset > 0 {
		s += " OFFSET " + q.arg(int64(f.Offset))
	}
	return s
}
