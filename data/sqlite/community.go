package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
)

var _ community.Store = (*DB)(nil)

// storedMeeting is a meeting as the meetings table holds it.
type storedMeeting struct {
	id, beats, wall, tz          string
	durationNS                   int64
	locationName, address, notes string
	lon, lat                     float64
}

func toStored(m community.Meeting) (storedMeeting, error) {
	beats := slices.Clone(m.Beats)
	slices.Sort(beats)
	beats = slices.Compact(beats)
	b, err := json.Marshal(beats)
	if err != nil {
		return storedMeeting{}, err
	}
	return storedMeeting{id: m.ID, beats: string(b), wall: m.Wall(), tz: m.Start.Location().String(),
		durationNS: int64(m.Duration), locationName: m.LocationName, address: m.Address, notes: m.Notes,
		lon: m.Lon, lat: m.Lat}, nil
}

// ReplaceMeetings makes ms the jurisdiction's schedule (community.Store).
func (db *DB) ReplaceMeetings(ctx context.Context, jurisdiction string, ms []community.Meeting) (inserted, updated, deleted int, err error) {
	op := "replace meetings of " + jurisdiction
	if err := community.ValidateMeetings(jurisdiction, ms); err != nil {
		return 0, 0, 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	want := make(map[string]storedMeeting, len(ms))
	order := make([]string, 0, len(ms))
	for _, m := range ms {
		s, err := toStored(m)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("sqlite: %s: %w", op, data.Invalid("meetings", "%v", err))
		}
		if _, err := time.LoadLocation(s.tz); err != nil {
			return 0, 0, 0, fmt.Errorf("sqlite: %s: %w", op, data.Invalid("meetings", "meeting %s: zone %q cannot be loaded again by name: %v", s.id, s.tz, err))
		}
		want[s.id] = s
		order = append(order, s.id)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	have := map[string]storedMeeting{}
	rows, err := tx.QueryContext(ctx, `SELECT id, beats, wall, tz, duration_ns, location_name, address, notes, lon, lat
    FROM meetings WHERE jurisdiction = ?`, jurisdiction)
	if err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}
	for rows.Next() {
		var s storedMeeting
		if err := rows.Scan(&s.id, &s.beats, &s.wall, &s.tz, &s.durationNS, &s.locationName, &s.address, &s.notes, &s.lon, &s.lat); err != nil {
			rows.Close()
			return 0, 0, 0, wrap(ctx, op, err)
		}
		have[s.id] = s
	}
	if err := rows.Close(); err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, 0, wrap(ctx, op, err)
	}
	ids := make([]string, 0, len(have))
	for id := range have {
		if _, ok := want[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM meetings WHERE jurisdiction = ? AND id = ?`, jurisdiction, id); err != nil {
			return 0, 0, 0, wrap(ctx, op+": delete "+id, err)
		}
		deleted++
	}
	for _, id := range order {
		s := want[id]
		old, exists := have[id]
		if exists && old == s {
			continue
		}
		if exists {
			if _, err := tx.ExecContext(ctx, `DELETE FROM meetings WHERE jurisdiction = ? AND id = ?`, jurisdiction, id); err != nil {
				return 0, 0, 0, wrap(ctx, op+": update "+id, err)
			}
			updated++
		} else {
			inserted++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meetings (jurisdiction, id, beats, wall, tz, duration_ns, location_name, address, notes, lon, lat)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, jurisdiction, s.id, s.beats, s.wall, s.tz, s.durationNS,
			s.locationName, s.address, s.notes, s.lon, s.lat); err != nil {
			return 0, 0, 0, wrap(ctx, op+": write "+id, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_beats (jurisdiction, beat, meeting_id)
    SELECT ?1, value, ?2 FROM json_each(?3)`, jurisdiction, s.id, s.beats); err != nil {
			return 0, 0, 0, wrap(ctx, op+": beats of "+id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, 0, wrap(ctx, op+": commit", err)
	}
	return inserted, updated, deleted, nil
}

// MeetingsFor lists the jurisdiction's meetings of a beat (community.Store).
func (db *DB) MeetingsFor(ctx context.Context, jurisdiction, beat string) ([]community.Meeting, error) {
	op := "read meetings of " + jurisdiction
	q := `SELECT m.id, m.beats, m.wall, m.tz, m.duration_ns, m.location_name, m.address, m.notes, m.lon, m.lat
    FROM meetings m WHERE m.jurisdiction = ?1`
	args := []any{jurisdiction}
	if beat != "" {
		q = `SELECT m.id, m.beats, m.wall, m.tz, m.duration_ns, m.location_name, m.address, m.notes, m.lon, m.lat
    FROM meeting_beats b JOIN meetings m ON m.jurisdiction = b.jurisdiction AND m.id = b.meeting_id
    WHERE b.jurisdiction = ?1 AND b.beat = ?2`
		args = append(args, beat)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	defer rows.Close()
	var starts community.Starts
	out := []community.Meeting{}
	for rows.Next() {
		var s storedMeeting
		if err := rows.Scan(&s.id, &s.beats, &s.wall, &s.tz, &s.durationNS, &s.locationName, &s.address, &s.notes, &s.lon, &s.lat); err != nil {
			return nil, wrap(ctx, op, err)
		}
		m := community.Meeting{ID: s.id, Duration: time.Duration(s.durationNS), LocationName: s.locationName,
			Address: s.address, Notes: s.notes, Lon: s.lon, Lat: s.lat}
		if m.Start, err = starts.Start(s.wall, s.tz); err != nil {
			return nil, fmt.Errorf("sqlite: %s: meeting %s: %w", op, s.id, err)
		}
		if err := json.Unmarshal([]byte(s.beats), &m.Beats); err != nil {
			return nil, fmt.Errorf("sqlite: %s: meeting %s: beats: %w", op, s.id, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, op, err)
	}
	community.SortMeetings(out)
	return out, nil
}

// UpsertContacts inserts or replaces contacts by key (community.Store).
func (db *DB) UpsertContacts(ctx context.Context, jurisdiction string, cs []community.Contact) (inserted, updated int, err error) {
	op := "upsert contacts of " + jurisdiction
	if err := community.ValidateContacts(jurisdiction, cs); err != nil {
		return 0, 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	find, err := tx.PrepareContext(ctx, `SELECT name, phone, email, address, url, hours FROM contacts
    WHERE jurisdiction = ? AND layer = ? AND area_id = ? AND kind = ?`)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer find.Close()
	put, err := tx.PrepareContext(ctx, `INSERT INTO contacts (jurisdiction, layer, area_id, kind, name, phone, email, address, url, hours)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (jurisdiction, layer, area_id, kind) DO UPDATE SET name = excluded.name, phone = excluded.phone,
        email = excluded.email, address = excluded.address, url = excluded.url, hours = excluded.hours`)
	if err != nil {
		return 0, 0, wrap(ctx, op, err)
	}
	defer put.Close()
	for _, c := range cs {
		old := c
		err := find.QueryRowContext(ctx, jurisdiction, string(c.Layer), c.AreaID, c.Kind).
			Scan(&old.Name, &old.Phone, &old.Email, &old.Address, &old.URL, &old.Hours)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			inserted++
		case err != nil:
			return 0, 0, wrap(ctx, op, err)
		case old == c:
			continue
		default:
			updated++
		}
		if _, err := put.ExecContext(ctx, jurisdiction, string(c.Layer), c.AreaID, c.Kind, c.Name, c.Phone, c.Email,
			c.Address, c.URL, c.Hours); err != nil {
			return 0, 0, wrap(ctx, op+": "+c.Key(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, wrap(ctx, op+": commit", err)
	}
	return inserted, updated, nil
}

// Contacts lists the jurisdiction's contacts (community.Store).
func (db *DB) Contacts(ctx context.Context, jurisdiction string) ([]community.Contact, error) {
	op := "read contacts of " + jurisdiction
	rows, err := db.r.QueryContext(ctx, `SELECT layer, area_id, kind, name, phone, email, address, url, hours
    FROM contacts WHERE jurisdiction = ? ORDER BY layer, area_id, kind`, jurisdiction)
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
