package sqlite

import (
	"math"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// from is the FROM clause for f: a spatial filter drives the query from
// the Z-order key ranges of its box (json_each of where's first argument,
// zRanges; CROSS JOIN fixes the join order), each a range of
// requests_zkey, so a dedupe candidate search reads the few requests near
// the point instead of every open request of the type. INDEXED BY keeps
// SQLite from searching r by another filter's index (requests_state, with
// statistics) inside the loop over ranges.
func from(f *data.RequestFilter) string {
	if f.BBox != nil || f.Near != nil {
		return " FROM json_each(?) z CROSS JOIN requests r INDEXED BY requests_zkey"
	}
	return " FROM requests r"
}

// where builds the WHERE clause (with its leading " WHERE", or "") and
// arguments of f over table requests aliased r (and the key ranges z, see
// from: with a bbox or near filter the first argument is the ranges, for
// from's placeholder). Every predicate can use an index: see
// TestQueryPlans.
func where(f *data.RequestFilter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	if box, ok := spatialBox(f); ok {
		conds = append(conds, "r.zkey BETWEEN z.value ->> 0 AND z.value ->> 1")
		args = append(args, zRangesJSON(zRanges(box[0], box[1], box[2], box[3])))
	}
	in := func(col string, n int) string {
		return col + " IN (?" + strings.Repeat(", ?", n-1) + ")"
	}
	if len(f.Numbers) > 0 {
		conds = append(conds, in("r.number", len(f.Numbers)))
		for _, v := range f.Numbers {
			args = append(args, v)
		}
	}
	if len(f.ServiceCodes) > 0 {
		conds = append(conds, in("r.service_code", len(f.ServiceCodes)))
		for _, v := range f.ServiceCodes {
			args = append(args, v)
		}
	}
	if len(f.Kinds) > 0 {
		conds = append(conds, in("r.kind", len(f.Kinds)))
		for _, v := range f.Kinds {
			args = append(args, string(v))
		}
	}
	if len(f.States) > 0 {
		conds = append(conds, in("r.state", len(f.States)))
		for _, v := range f.States {
			args = append(args, string(v))
		}
	}
	// The status is the closed column, which no index has since migration
	// 0007 (requests_status was one more index for every import to
	// build): it is tested on the rows another filter's index reads, or
	// requests_requested, walked in the requested order, when none does.
	// "open, newest first" reads about as many rows as the open ones before
	// its page, never sorts; requests_state with the states of a status
	// (state IN ...) would sort every open request for a page of them.
	switch f.Status {
	case "open":
		conds = append(conds, "r.closed = 0")
	case "closed":
		conds = append(conds, "r.closed = 1")
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "r.requested_at >= ?"), append(args, formatTime(clampTime(f.From)))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "r.requested_at < ?"), append(args, formatTime(clampTime(f.To)))
	}
	if !f.UpdatedAfter.IsZero() {
		conds, args = append(conds, "r.updated_at > ?"), append(args, formatTime(clampTime(f.UpdatedAfter)))
	}
	if !f.UpdatedBefore.IsZero() {
		conds, args = append(conds, "r.updated_at < ?"), append(args, formatTime(clampTime(f.UpdatedBefore)))
	}
	for _, a := range f.Areas {
		if a.Layer == data.LayerSector {
			// Through the beat index (migration 0008): the rows whose beat
			// starts with the sector id, a range of requests_beat, then
			// the rows whose sector is not a prefix of their beat, through
			// requests_sector_irregular. The two arms are disjoint; each
			// repeats its index's WHERE so SQLite may use it.
			beats := "r.beat >= ? AND r.beat <> ''"
			args = append(args, a.ID)
			if hi, ok := prefixSuccessor(a.ID); ok {
				beats += " AND r.beat < ?"
				args = append(args, hi)
			}
			conds = append(conds, "("+beats+" AND r.sector = ? AND r.sector <> '' OR "+sectorIrregularWhere+" AND r.sector = ?)")
			args = append(args, a.ID, a.ID)
			continue
		}
		// A well-known layer is a column with a partial index (0005);
		// "<> ''" repeats the index's WHERE so SQLite may use it.
		if col, ok := areaColumn[a.Layer]; ok {
			conds = append(conds, "r."+col+" = ? AND r."+col+" <> ''")
			args = append(args, a.ID)
			continue
		}
		conds = append(conds, "r.id IN (SELECT request_id FROM request_areas WHERE layer = ? AND area_id = ?)")
		args = append(args, string(a.Layer), a.ID)
	}
	if b := f.BBox; b != nil {
		conds = append(conds, "r.lon BETWEEN ? AND ? AND r.lat BETWEEN ? AND ?")
		args = append(args, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	}
	if c := f.Near; c != nil {
		conds = append(conds, "geo311_distance_m(?, ?, r.lon, r.lat) <= ?")
		args = append(args, c.Lon, c.Lat, c.RadiusM)
	}
	if len(f.Cells) > 0 {
		conds = append(conds, in("r.h3", len(f.Cells)))
		for _, v := range f.Cells {
			args = append(args, int64(v))
		}
	}
	switch f.Duplicates {
	case data.DuplicatesExclude:
		conds = append(conds, "r.duplicate = 0")
	case data.DuplicatesOnly:
		conds = append(conds, "r.duplicate = 1")
	}
	if f.ExcludePolice {
		conds = append(conds, "r.police = 0 AND r.kind <> 'community_concern'")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// sectorIrregularWhere is the WHERE of requests_sector_irregular (migration
// 0008): the rows that have a sector that is not a byte prefix of their
// beat (or have no beat).
const sectorIrregularWhere = "r.sector <> '' AND (r.beat = '' OR substr(CAST(r.beat AS BLOB), 1, length(CAST(r.sector AS BLOB))) <> CAST(r.sector AS BLOB))"

// prefixSuccessor returns the least string above every string that starts
// with p in byte order (SQLite's BINARY collation compares with memcmp): p
// with its last byte below 0xFF incremented, the 0xFF bytes after it
// dropped; false when there is none (p empty or all 0xFF). So beat >= p
// AND beat < prefixSuccessor(p) holds exactly for the beats that start
// with p. The result may not be valid UTF-8; SQLite compares its bytes
// all the same.
func prefixSuccessor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// spatialBox is the box (min lon, min lat, max lon, max lat) whose key
// ranges a bbox or near filter reads: the bbox, the near circle's bounding
// box (a little larger), or both intersected.
func spatialBox(f *data.RequestFilter) ([4]float64, bool) {
	box := [4]float64{math.Inf(-1), math.Inf(-1), math.Inf(1), math.Inf(1)}
	if b := f.BBox; b != nil {
		box = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	if c := f.Near; c != nil {
		const rad = math.Pi / 180
		dlat := c.RadiusM / earthRadiusM / rad * 1.001
		dlon := 360.0
		if cos := math.Cos(c.Lat * rad); cos > 1e-9 {
			dlon = math.Min(360, dlat/cos)
		}
		box = [4]float64{max(box[0], c.Lon-dlon), max(box[1], c.Lat-dlat), min(box[2], c.Lon+dlon), min(box[3], c.Lat+dlat)}
	}
	return box, f.BBox != nil || f.Near != nil
}

// orderLimit is the ORDER BY and paging of f.
func orderLimit(f *data.RequestFilter) (string, []any) {
	// Without STAT4 SQLite cannot tell a narrow updated_at range (Open311
	// polling: "updated in the last minutes") from a wide one and prefers
	// walking requests_requested in order over the whole table; the unary
	// + keeps the order index out of the choice so requests_updated is used
	// and the few rows are sorted.
	col := "r.requested_at"
	if (!f.UpdatedAfter.IsZero() || !f.UpdatedBefore.IsZero()) && f.From.IsZero() && f.To.IsZero() {
		col = "+r.requested_at"
	}
	s := " ORDER BY " + col + " DESC, r.number DESC"
	if f.Ascending {
		s = " ORDER BY " + col + ", r.number"
	}
	switch {
	case f.Limit > 0:
		return s + " LIMIT ? OFFSET ?", []any{f.Limit, f.Offset}
	case f.Offset > 0:
		return s + " LIMIT -1 OFFSET ?", []any{f.Offset}
	}
	return s, nil
}

// clampTime keeps a filter bound inside the years the TEXT layout holds, so
// its text still orders like the instant.
func clampTime(t time.Time) time.Time {
	switch u := t.UTC(); {
	case u.Year() < 1:
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	case u.Year() > 9999:
		return time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	}
	return t
}
