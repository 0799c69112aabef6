package postgis

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
)

var _ community.Store = (*DB)(nil)

// storedMeeting is a meeting as the meetings table holds it (migration
// 0004): the wall clock and the zone's name instead of an instant.
type storedMeeting struct {
	id                           string
	beats                        []string
	wall, tz                     string
	durationNS                   int64
	locationName, address, notes string
	lon, lat                     float64
}

func (s storedMeeting) equal(o storedMeeting) bool {
	return s.id == o.id && slices.Equal(s.beats, o.beats) && s.wall == o.wall && s.tz == o.tz &&
		s.durationNS == o.durationNS && s.locationName == o.locationName && s.address == o.address &&
		s.notes == o.notes && s.lon == o.lon && s.lat == o.lat
}

func storeMeeting(m community.Meeting) storedMeeting {
	beats := slices.Clone(m.Beats)
	slices.Sort(beats)
	beats = slices.Compact(beats)
	return storedMeeting{id: m.ID, beats: beats, wall: m.Wall(), tz: m.Start.Location().String(),
		durationNS: int64(m.Duration), locationName: m.LocationName, address: m.Address, notes: m.Notes,
		lon: m.Lon, lat: m.Lat}
}

const meetingColumns = "id, beats, wall, tz, duration_ns, location_name, address, notes, lon, lat"

func scanMeeting(row pgx.Row) (storedMeeting, error) {
	var s storedMeeting
	err := row.Scan(&s.id, &s.beats, &s.wall, &s.tz, &s.durationNS, &s.locationName, &s.address, &s.notes, &s.lon, &s.lat)
	return s, err
}

// communityLock is the advisory lock key under which one jurisdiction's
// schedule is replaced, so that two concurrent loads of the same
// jurisdiction apply one after the other.
const communityLock = `SELECT pg_advisory_xact_lock(hashtextextended('geo311 meetings ' || $1, 0))`

// ReplaceMeetings makes ms the jurisdiction's whole schedule
// (community.Store), in one transaction: the stored meetings are read under
// an advisory lock of the jurisdiction, compared in Go, and only the
// differences written.
func (db *DB) ReplaceMeetings(ctx context.Context, jurisdiction string, ms []community.Meeting) (inserted, updated, deleted int, err error) {
	op := "replace meetings of " + jurisdiction
	if err := community.ValidateMeetings(jurisdiction, ms); err != nil {
		return 0, 0, 0, fmt.Errorf("postgis: %s: %w", op, err)
	}
	want := make([]storedMeeting, 0, len(ms))
	for _, m := range ms {
		s := storeMeeting(m)
		if _, err := time.LoadLocation(s.tz); err != nil {
			return 0, 0, 0, fmt.Errorf("postgis: %s: %w", op,
				data.Invalid("meetings", "meeting %s: zone %q cannot be loaded again by name: %v", s.id, s.tz, err))
		}
		want = append(want, s)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, 0, fmt.Errorf("postgis: %s: %w", op, err)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, communityLock, jurisdiction); err != nil {
		return 0, 0, 0, wrap(ctx, op+": lock", err)
	}
	rows, err := tx.Query(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE jurisdiction = $1`, jurisdiction)
	if err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}
	have := map[string]storedMeeting{}
	for rows.Next() {
		s, err := scanMeeting(rows)
		if err != nil {
			rows.Close()
			return 0, 0, 0, wrap(ctx, op, err)
		}
		have[s.id] = s
	}
	if err := rows.Err(); err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}

	keep := make(map[string]bool, len(want))
	b := &pgx.Batch{}
	for _, s := range want {
		keep[s.id] = true
		old, exists := have[s.id]
		if exists && old.equal(s) {
			continue
		}
		if exists {
			updated++
			b.Queue(`DELETE FROM meeting_beats WHERE jurisdiction = $1 AND meeting_id = $2`, jurisdiction, s.id)
		} else {
			inserted++
		}
		b.Queue(`INSERT INTO meetings (jurisdiction, `+meetingColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (jurisdiction, id) DO UPDATE SET beats = EXCLUDED.beats, wall = EXCLUDED.wall, tz = EXCLUDED.tz,
				duration_ns = EXCLUDED.duration_ns, location_name = EXCLUDED.location_name, address = EXCLUDED.address,
				notes = EXCLUDED.notes, lon = EXCLUDED.lon, lat = EXCLUDED.lat`,
			jurisdiction, s.id, s.beats, s.wall, s.tz, s.durationNS, s.locationName, s.address, s.notes, s.lon, s.lat)
		b.Queue(`INSERT INTO meeting_beats (jurisdiction, beat, meeting_id) SELECT $1, unnest($2::text[]), $3`,
			jurisdiction, s.beats, s.id)
	}
	var gone []string
	for id := range have {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	if len(gone) > 0 {
		deleted = len(gone)
		b.Queue(`DELETE FROM meetings WHERE jurisdiction = $1 AND id = ANY($2::text[])`, jurisdiction, gone)
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return 0, 0, 0, wrap(ctx, op, err)
		}
	}
	if err := commit(ctx, tx); err != nil {
		return 0, 0, 0, wrap(ctx, op+": commit", err)
	}
	return inserted, updated, deleted, nil
}

// MeetingsFor lists the jurisdiction's meetings of a beat, or all of them
// when beat is "" (community.Store), ordered by start, then id.
func (db *DB) MeetingsFor(ctx context.Context, jurisdiction, beat string) ([]community.Meeting, error) {
	op := "read meetings of " + jurisdiction
	q := `SELECT ` + meetingColumns + ` FROM meetings WHERE jurisdiction = $1`
	args := []any{jurisdiction}
	if beat != "" {
		q = `SELECT ` + prefixed("m.", []string{"id", "beats", "wall", "tz", "duration_ns", "location_name", "address", "notes", "lon", "lat"}) + `
			FROM meeting_beats b JOIN meetings m ON m.jurisdiction = b.jurisdiction AND m.id = b.meeting_id
			WHERE b.jurisdiction = $1 AND b.beat = $2`
		args = append(args, beat)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	defer rows.Close()
	var starts community.Starts
	out := []community.Meeting{}
	for rows.Next() {
		s, err := scanMeeting(rows)
		if err != nil {
			return nil, wrap(ctx, op, err)
		}
		m := community.Meeting{ID: s.id, Beats: s.beats, Duration: time.Duration(s.durationNS),
			LocationName: s.locationName, Address: s.address, Notes: s.notes, Lon: s.lon, Lat: s.lat}
		if m.Start, err = starts.Start(s.wall, s.tz); err != nil {
			return nil, fmt.Errorf("postgis: %s: meeting %s: %w", op, s.id, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, op, err)
	}
	community.SortMeetings(out)
	return out, nil
}

// UpsertContacts inserts or replaces contacts by key within the
// jurisdiction (community.Store). Rows whose content is unchanged are left
// alone and not counted (the ON CONFLICT update's WHERE).
func (db *DB) UpsertContacts(ctx context.Context, jurisdiction string, cs []community.Contact) (inserted, updated int, err error) {
	op := "upsert contacts of " + jurisdiction
	if err := community.ValidateContacts(jurisdiction, cs); err != nil {
		return 0, 0, fmt.Errorf("postgis: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("postgis: %s: %w", op, err)
	}
	if len(cs) == 0 {
		return 0, 0, nil
	}
	n := len(cs)
	layers, areas, kinds, names := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	phones, emails, addrs, urls, hours := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, c := range cs {
		layers[i], areas[i], kinds[i], names[i] = string(c.Layer), c.AreaID, c.Kind, c.Name
		phones[i], emails[i], addrs[i], urls[i], hours[i] = c.Phone, c.Email, c.Address, c.URL, c.Hours
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var ins, upd int64
	err = tx.QueryRow(ctx, `WITH u AS (
		INSERT INTO contacts AS c (jurisdiction, layer, area_id, kind, name, phone, email, address, url, hours)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
		ON CONFLICT (jurisdiction, layer, area_id, kind) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,
			email = EXCLUDED.email, address = EXCLUDED.address, url = EXCLUDED.url, hours = EXCLUDED.hours
		WHERE (c.name, c.phone, c.email, c.address, c.url, c.hours) IS DISTINCT FROM
			(EXCLUDED.name, EXCLUDED.phone, EXCLUDED.email, EXCLUDED.address, EXCLUDED.url, EXCLUDED.hours)
		RETURNING xmax = 0 AS fresh)
		SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM u`,
		jurisdiction, layers, areas, kinds, names, phones, emails, addrs, urls, hours).Scan(&ins, &upd)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	if err := commit(ctx, tx); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	return int(ins), int(upd), nil
}

// Contacts lists the jurisdiction's contacts by layer, area id and kind,
// byte-wise (community.Store).
func (db *DB) Contacts(ctx context.Context, jurisdiction string) ([]community.Contact, error) {
	op := "read contacts of " + jurisdiction
	rows, err := db.pool.Query(ctx, `SELECT layer, area_id, kind, name, phone, email, address, url, hours
		FROM contacts WHERE jurisdiction = $1 ORDER BY layer, area_id, kind`, jurisdiction)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	defer rows.Close()
	out := []community.Contact{}
	for rows.Next() {
		var c community.Contact
		var layer string
		if err := rows.Scan(&layer, &c.AreaID, &c.Kind, &c.Name, &c.Phone, &c.Email, &c.Address, &c.URL, &c.Hours); err != nil {
			return nil, wrap(ctx, op, err)
		}
		c.Layer = data.Layer(layer)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, op, err)
	}
	return out, nil
}
