package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/data/h3"
)

// A newer binary migrates an older database: for every released schema
// version k below the latest, a database is built with migrations 1..k only
// (through the migration runner) and filled with plain SQL rows valid at
// version k, as an older geo311 wrote them; Open then applies the rest, and
// every row is read back through the store API. A second Open applies
// nothing. Nothing here counts the migrations: a new migration file is
// exercised by every older version's database.

// upgradeFixture writes rows that need schema version `version` (released
// migrations are never edited, so the SQL stays valid) and checks them
// after the upgrade.
type upgradeFixture struct {
	version int
	name    string
	write   func(ctx context.Context, tx *sql.Tx) error
	check   func(t *testing.T, db *DB)
}

const upgradeJurisdiction = "chicago"

func upgradeFixtures(t *testing.T) []upgradeFixture {
	t.Helper()
	square := orb.MultiPolygon{{{{-87.70, 41.85}, {-87.69, 41.85}, {-87.69, 41.86}, {-87.70, 41.86}, {-87.70, 41.85}}}}
	geom, err := wkb.Marshal(square, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	pinHash, err := data.HashPIN("48151623", 1000)
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := data.NewAPIKey("intake from v2", data.RoleStaff, []string{"011"}, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	const lon, lat = -87.695, 41.855
	cell := h3.LatLngToCell(lat, lon, data.H3Resolution)
	areas := `[{"layer":"beat","id":"0111","generation":"beat@2012-12-19"},{"layer":"district","id":"011","generation":"district@2012-12-19"},{"layer":"ward","id":"7","generation":"ward@2015-05-18"}]`
	requested := time.Date(2026, 2, 3, 15, 4, 5, 123456789, time.UTC)

	return []upgradeFixture{
		{version: 1, name: "boundaries", write: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO boundary_generations (id, layer, effective_from, active, source, loaded_at, area_count)
				VALUES ('ward@2015-05-18', 'ward', '2015-05-18T05:00:00.000000000Z', 1, 'wards 2015 (v1)', '2026-01-02T03:04:05.000000000Z', 1)`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO boundary_areas (generation_id, area_id, name, properties, geometry)
				VALUES ('ward@2015-05-18', '7', 'Ward 7', '{"alderman":"A. Person"}', ?)`, geom)
			return err
		}, check: func(t *testing.T, db *DB) {
			g, err := db.Generation(t.Context(), "ward@2015-05-18")
			if err != nil {
				t.Fatalf("generation written at v1: %v", err)
			}
			want := time.Date(2015, 5, 18, 5, 0, 0, 0, time.UTC)
			if !g.Active || g.Layer != data.LayerWard || !g.EffectiveFrom.Equal(want) || g.Source != "wards 2015 (v1)" || g.AreaCount != 1 || len(g.Areas) != 1 {
				t.Fatalf("generation written at v1 reads %+v", g)
			}
			a := g.Areas[0]
			if a.ID != "7" || a.Name != "Ward 7" || a.Properties["alderman"] != "A. Person" || !orb.Equal(a.Geometry, square) {
				t.Errorf("area written at v1 reads %+v", a)
			}
			active, err := db.ActiveGenerations(t.Context())
			if err != nil || len(active) != 1 || active[0].ID != g.ID {
				t.Errorf("active generations after upgrade: %v %v", active, err)
			}
		}},
		{version: 2, name: "requests, notes, counters, idempotency and API keys", write: func(ctx context.Context, tx *sql.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO requests (number, jurisdiction, kind, service_code, service_name, state, closed, description, lon, lat,
					address, zip, h3, areas, department, unit, assigned_to, origin, requested_at, updated_at, assigned_at,
					sla_days, attributes, contact, police)
				VALUES ('SR26-00000041', 'chicago', 'service_request', 'SGA', 'Rodent Baiting/Rat Complaint', 'assigned', 0,
					'Rats by the garage', ?, ?, '1234 W Fullerton Ave', '60614', ?, ?, 'Streets and Sanitation', 'Ward 7 office',
					'Crew 12', 'open311', '2026-02-03T15:04:05.123456789Z', '2026-02-04T09:00:00.000000000Z', '2026-02-04T09:00:00.000000000Z',
					7, '{"SEEN":["ALLEY","YARD"]}', '{"first_name":"Ada","email":"ada@example.org","phone":"312-555-0100"}', 0)`,
					[]any{lon, lat, int64(cell), areas}},
				{`INSERT INTO requests (number, jurisdiction, kind, service_code, service_name, state, closed, description, lon, lat,
					h3, areas, department, origin, requested_at, updated_at, closed_at, sla_days, pin_hash, police, disposition)
				VALUES ('CC26-00000007', 'chicago', 'community_concern', 'CC-NARC', 'Community Concern: Narcotics Activity', 'not_accepted', 1,
					'Dealing on the corner', ?, ?, ?, ?, 'Chicago Police Department', 'web', '2026-01-20T18:00:00.000000000Z',
					'2026-01-21T10:00:00.000000000Z', '2026-01-21T10:00:00.000000000Z', 7, ?, 1, 'referred to the district')`,
					[]any{lon + 0.001, lat, int64(cell), areas, pinHash}},
				{`INSERT INTO request_notes (request_id, at, actor, event, text, reason, internal)
					SELECT id, '2026-02-03T15:04:05.123456789Z', 'intake:x', 'created', 'Received', '', 0 FROM requests WHERE number = 'SR26-00000041'`, nil},
				{`INSERT INTO request_notes (request_id, at, actor, event, text, reason, internal)
					SELECT id, '2026-02-04T09:00:00.000000000Z', 'staff:sgt', 'comment', 'neighbour is the landlord', 'why', 1 FROM requests WHERE number = 'SR26-00000041'`, nil},
				{`INSERT INTO request_counters (kind, year, n) VALUES ('service_request', 2026, 41), ('community_concern', 2026, 7)`, nil},
				{`INSERT INTO request_idempotency (key, number, created_at) VALUES ('retry-me', 'SR26-00000041', '2026-02-03T15:04:05.123456789Z')`, nil},
				{`INSERT INTO api_keys (id, name, role, districts, hash, created_at) VALUES (?, ?, 'staff', '["011"]', ?, '2026-01-05T00:00:00.000000000Z')`,
					[]any{key.ID, key.Name, key.Hash}},
			} {
				if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
					return fmt.Errorf("%.60s: %w", q.sql, err)
				}
			}
			return nil
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			r, err := db.Request(ctx, "SR26-00000041")
			if err != nil {
				t.Fatalf("request written at v2: %v", err)
			}
			if r.Kind != data.KindServiceRequest || r.State != data.StateAssigned || r.Description != "Rats by the garage" ||
				r.Lon != lon || r.Lat != lat || r.H3 != uint64(cell) || !r.RequestedAt.Equal(requested) || r.AssignedTo != "Crew 12" ||
				r.Contact.Email != "ada@example.org" || r.Contact.FirstName != "Ada" || !reflect.DeepEqual(r.Attributes, map[string][]string{"SEEN": {"ALLEY", "YARD"}}) ||
				len(r.Areas) != 3 || r.Areas[2].ID != "7" || r.SLADays != 7 {
				t.Errorf("request written at v2 reads %+v", r)
			}
			cc, err := db.Request(ctx, "CC26-00000007")
			if err != nil {
				t.Fatalf("concern written at v2: %v", err)
			}
			if !cc.State.Closed() || !cc.PoliceRelated || !data.CheckPIN(cc.PINHash, "48151623") || cc.Disposition != "referred to the district" {
				t.Errorf("concern written at v2 reads %+v", cc)
			}
			// The status filters read the closed column written at v2 (no
			// index since 0007).
			for status, want := range map[string]string{"open": "SR26-00000041", "closed": "CC26-00000007"} {
				if rs, err := db.Requests(ctx, data.RequestFilter{Status: status, Numbers: []string{"SR26-00000041", "CC26-00000007"}}); err != nil || len(rs) != 1 || rs[0].Number != want {
					t.Errorf("status %s after upgrade: %d requests (%v), want %s", status, len(rs), err, want)
				}
			}
			notes, err := db.Notes(ctx, "SR26-00000041")
			if err != nil || len(notes) != 2 || notes[0].Event != data.EventCreated || !notes[1].Internal || notes[1].Reason != "why" {
				t.Errorf("notes written at v2: %+v %v", notes, err)
			}
			// The side tables the triggers of v2 filled answer filters.
			for name, f := range map[string]data.RequestFilter{
				"area":  {Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "7"}}, ExcludePolice: true},
				"bbox":  {BBox: &orb.Bound{Min: orb.Point{lon - 0.0001, lat - 0.0001}, Max: orb.Point{lon + 0.0001, lat + 0.0001}}},
				"cells": {Cells: []uint64{uint64(cell)}, ExcludePolice: true},
			} {
				rs, err := db.Requests(ctx, f)
				if err != nil || len(rs) != 1 || rs[0].Number != "SR26-00000041" {
					t.Errorf("%s filter after upgrade: %v %v", name, rs, err)
				}
			}
			k, err := db.Key(ctx, key.ID)
			if err != nil || !k.Verify(secret) || k.Role != data.RoleStaff || !reflect.DeepEqual(k.Districts, []string{"011"}) {
				t.Errorf("API key written at v2: %+v %v", k, err)
			}
			// The counters go on from where the old binary left them; the
			// idempotency key still replays.
			again, created, err := db.CreateRequest(ctx, data.Intake{Request: newUpgradeRequest(data.KindServiceRequest), IdempotencyKey: "retry-me"})
			if err != nil || created || again.Number != "SR26-00000041" {
				t.Errorf("replayed idempotency key: %v created=%v %v", numberOf(again), created, err)
			}
			for kind, want := range map[data.Kind]string{data.KindServiceRequest: "SR26-00000042", data.KindCommunityConcern: "CC26-00000008"} {
				n, _, err := db.CreateRequest(ctx, data.Intake{Request: newUpgradeRequest(kind)})
				if err != nil || n.Number != want {
					t.Errorf("first %s after upgrade: %v %v, want %s", kind, numberOf(n), err, want)
				}
			}
		}},
		{version: 3, name: "community meetings and contacts", write: func(ctx context.Context, tx *sql.Tx) error {
			for _, q := range []string{
				`INSERT INTO meetings (jurisdiction, id, beats, wall, tz, duration_ns, location_name, address, lon, lat, notes)
					VALUES ('chicago', 'm-0111-2026-03-10', '["0111","0112"]', '2026-03-10T18:30', 'America/Chicago', 3600000000000,
					'Library', '1 N Main St', -87.69, 41.85, 'bring ideas')`,
				`INSERT INTO meeting_beats (jurisdiction, beat, meeting_id) VALUES ('chicago', '0111', 'm-0111-2026-03-10'), ('chicago', '0112', 'm-0111-2026-03-10')`,
				`INSERT INTO contacts (jurisdiction, layer, area_id, kind, name, phone, email) VALUES ('chicago', 'district', '011', 'caps', 'CAPS office', '312-555-0111', 'caps011@example.org')`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%.60s: %w", q, err)
				}
			}
			return nil
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			ms, err := db.MeetingsFor(ctx, upgradeJurisdiction, "0112")
			loc, _ := time.LoadLocation("America/Chicago")
			if err != nil || len(ms) != 1 || !ms[0].Start.Equal(time.Date(2026, 3, 10, 18, 30, 0, 0, loc)) || ms[0].Duration != time.Hour ||
				!reflect.DeepEqual(ms[0].Beats, []string{"0111", "0112"}) || ms[0].Notes != "bring ideas" {
				t.Errorf("meeting written at v3: %+v %v", ms, err)
			}
			cs, err := db.Contacts(ctx, upgradeJurisdiction)
			want := []community.Contact{{Layer: data.LayerDistrict, AreaID: "011", Kind: "caps", Name: "CAPS office", Phone: "312-555-0111", Email: "caps011@example.org"}}
			if err != nil || !reflect.DeepEqual(cs, want) {
				t.Errorf("contacts written at v3: %+v %v", cs, err)
			}
		}},
		{version: 4, name: "requests with areas of every kind of layer", write: func(ctx context.Context, tx *sql.Tx) error {
			// Written as v4 did: request_areas filled by the v2 triggers for
			// every layer. Two beats (the first one gets the column), a
			// custom layer.
			areas := `[{"layer":"beat","id":"1834","generation":"beat@2012-12-19"},{"layer":"sector","id":"183","generation":"sector@2012-12-19"},` +
				`{"layer":"district","id":"018","generation":"district@2012-12-19"},{"layer":"ward","id":"42","generation":"ward@2023-05-15"},` +
				`{"layer":"community_area","id":"8","generation":"community_area@2018-01-01"},{"layer":"ssa","id":"SSA 1","generation":"ssa@2020-01-01"},` +
				`{"layer":"beat","id":"1835","generation":"beat@2012-12-19"}]`
			_, err := tx.ExecContext(ctx, `INSERT INTO requests (number, jurisdiction, kind, service_code, service_name, state, closed, lon, lat,
					h3, areas, origin, requested_at, updated_at)
				VALUES ('SR26-00000050', 'chicago', 'service_request', 'PHF', 'Pothole in Street', 'new', 0, -87.63, 41.89,
					?, ?, 'import', '2026-03-01T12:00:00.000000000Z', '2026-03-01T12:00:00.000000000Z')`,
				int64(h3.LatLngToCell(41.89, -87.63, data.H3Resolution)), areas)
			return err
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			for _, c := range []struct {
				area data.AreaRef
				want int
			}{
				{data.AreaRef{Layer: data.LayerBeat, ID: "1834"}, 1},
				{data.AreaRef{Layer: data.LayerSector, ID: "183"}, 1},
				{data.AreaRef{Layer: data.LayerDistrict, ID: "018"}, 1},
				{data.AreaRef{Layer: data.LayerWard, ID: "42"}, 1},
				{data.AreaRef{Layer: data.LayerCommunityArea, ID: "8"}, 1},
				{data.AreaRef{Layer: "ssa", ID: "SSA 1"}, 1},
				{data.AreaRef{Layer: data.LayerBeat, ID: "1835"}, 0}, // a second beat: not indexed (0005)
				{data.AreaRef{Layer: data.LayerPrecinct, ID: "1834"}, 0},
			} {
				rs, err := db.Requests(ctx, data.RequestFilter{Areas: []data.AreaRef{c.area}})
				if err != nil || len(rs) != c.want || (c.want == 1 && rs[0].Number != "SR26-00000050") {
					t.Errorf("%s %s after upgrade: %d requests, %v; want %d", c.area.Layer, c.area.ID, len(rs), err, c.want)
				}
			}
			// Its point, in the R*Tree at v4, is found by zkey (0006).
			for name, f := range map[string]data.RequestFilter{
				"near": {Near: &data.Circle{Lon: -87.6301, Lat: 41.8901, RadiusM: 30}},
				"bbox": {BBox: &orb.Bound{Min: orb.Point{-87.64, 41.88}, Max: orb.Point{-87.63, 41.89}}},
			} {
				if rs, err := db.Requests(ctx, f); err != nil || len(rs) != 1 || rs[0].Number != "SR26-00000050" {
					t.Errorf("%s filter after upgrade: %v %v", name, rs, err)
				}
			}
			r, err := db.Request(ctx, "SR26-00000050")
			if err != nil || len(r.Areas) != 7 || r.Areas[6].ID != "1835" {
				t.Errorf("request written at v4 reads %+v %v", r, err)
			}
			// request_areas keeps the custom layers only.
			var layers string
			if err := db.r.QueryRowContext(ctx, `SELECT group_concat(layer || ':' || area_id, ',') FROM request_areas
				WHERE request_id = (SELECT id FROM requests WHERE number = 'SR26-00000050')`).Scan(&layers); err != nil || layers != "ssa:SSA 1" {
				t.Errorf("request_areas after upgrade: %q %v", layers, err)
			}
			// The new triggers and columns follow a later update.
			if _, err := db.UpdateRequest(ctx, "SR26-00000050", func(r *data.Request) ([]data.Note, error) {
				r.Areas = []data.AreaRef{{Layer: data.LayerBeat, ID: "1835"}, {Layer: "ssa", ID: "SSA 2"}}
				return nil, nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				area data.AreaRef
				want int
			}{
				{data.AreaRef{Layer: data.LayerBeat, ID: "1835"}, 1},
				{data.AreaRef{Layer: data.LayerBeat, ID: "1834"}, 0},
				{data.AreaRef{Layer: data.LayerWard, ID: "42"}, 0},
				{data.AreaRef{Layer: "ssa", ID: "SSA 2"}, 1},
				{data.AreaRef{Layer: "ssa", ID: "SSA 1"}, 0},
			} {
				if n, err := db.CountRequests(ctx, data.RequestFilter{Areas: []data.AreaRef{c.area}}); err != nil || n != c.want {
					t.Errorf("%s %s after an update: %d requests, %v; want %d", c.area.Layer, c.area.ID, n, err, c.want)
				}
			}
		}},
		{version: 7, name: "requests with regular and irregular sectors", write: func(ctx context.Context, tx *sql.Tx) error {
			// The sector column as v5-v7 wrote it, in requests_sector: a
			// sector that is its beat's prefix, one that is not, one
			// without a beat, and another sector's row.
			for _, r := range []struct{ number, beat, sector string }{
				{"SR26-00000071", "2433", "243"},
				{"SR26-00000072", "0111", "243"},
				{"SR26-00000073", "", "243"},
				{"SR26-00000074", "2441", "244"},
			} {
				areas := `[{"layer":"sector","id":"` + r.sector + `","generation":"sector@2012-12-19"}]`
				if r.beat != "" {
					areas = `[{"layer":"beat","id":"` + r.beat + `","generation":"beat@2012-12-19"},` + areas[1:]
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO requests (number, jurisdiction, kind, service_code, service_name, state, closed, lon, lat,
					h3, areas, origin, requested_at, updated_at, beat, sector, zkey)
				VALUES (?, 'chicago', 'service_request', 'PHF', 'Pothole in Street', 'new', 0, -87.66, 41.97,
					?, ?, 'import', '2026-04-01T12:00:00.000000000Z', '2026-04-01T12:00:00.000000000Z', ?, ?, geo311_zkey(-87.66, 41.97))`,
					r.number, int64(h3.LatLngToCell(41.97, -87.66, data.H3Resolution)), areas, r.beat, r.sector); err != nil {
					return err
				}
			}
			return nil
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			for _, c := range []struct {
				id   string
				want []string
			}{
				{"243", []string{"SR26-00000073", "SR26-00000072", "SR26-00000071"}},
				{"244", []string{"SR26-00000074"}},
				{"24", nil},
			} {
				f := data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerSector, ID: c.id}}}
				rs, err := db.Requests(ctx, f)
				var got []string
				for _, r := range rs {
					got = append(got, r.Number)
				}
				if err != nil || !reflect.DeepEqual(got, c.want) {
					t.Errorf("sector %s after upgrade: %v, %v; want %v", c.id, got, err, c.want)
				}
				if p := queryPlan(t, db.r, &f); !strings.Contains(p, sectorPlan) {
					t.Errorf("sector %s after upgrade: plan %q, want %q", c.id, p, sectorPlan)
				}
			}
			// requests_sector is gone; the partial index holds the two
			// irregular rows.
			var old, n int
			if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'requests_sector'`).Scan(&old); err != nil || old != 0 {
				t.Errorf("requests_sector after upgrade: %d, %v", old, err)
			}
			if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM requests r INDEXED BY requests_sector_irregular WHERE `+sectorIrregularWhere).Scan(&n); err != nil || n != 2 {
				t.Errorf("requests_sector_irregular after upgrade holds %d rows, %v; want 2", n, err)
			}
		}},
	}
}

func newUpgradeRequest(kind data.Kind) *data.Request {
	code := "SGA"
	if kind == data.KindCommunityConcern {
		code = "CC-NARC"
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return &data.Request{Jurisdiction: upgradeJurisdiction, Kind: kind, ServiceCode: code, State: data.StateNew,
		Lon: -87.695, Lat: 41.855, RequestedAt: now, UpdatedAt: now}
}

func numberOf(r *data.Request) string {
	if r == nil {
		return "<nil>"
	}
	return r.Number
}

// openAtVersion creates a database file at the k-th embedded migration as a
// database used through the versions would be: each migration is applied by
// the migration runner, and right after version v the rows of version v are
// written (by write, in one transaction), so later migrations find them.
func openAtVersion(t *testing.T, path string, k int, write func(ctx context.Context, tx *sql.Tx, version int) error) {
	t.Helper()
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	w := sql.OpenDB(newConnector(dsn(path, false, busyTimeout)))
	defer w.Close()
	w.SetMaxOpenConns(1)
	for i := 1; i <= k; i++ {
		if _, err := applyMigrations(ctx, w, ms[:i]); err != nil {
			t.Fatalf("migrations 1..%d: %v", i, err)
		}
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(ctx, tx, ms[i-1].version); err != nil {
			tx.Rollback()
			t.Fatalf("rows of schema version %d: %v", ms[i-1].version, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func schemaVersions(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestOlderDatabaseUpgrades(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	fixtures := upgradeFixtures(t)
	for _, f := range fixtures {
		if f.version > latest {
			t.Fatalf("fixture %q needs schema version %d; the binary knows %d", f.name, f.version, latest)
		}
	}
	for k := 1; k < len(ms); k++ {
		t.Run(fmt.Sprintf("from_v%d", k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			var mine []upgradeFixture
			for _, f := range fixtures {
				if f.version <= k {
					mine = append(mine, f)
				}
			}
			openAtVersion(t, path, k, func(ctx context.Context, tx *sql.Tx, v int) error {
				for _, f := range mine {
					if f.version != v {
						continue
					}
					if err := f.write(ctx, tx); err != nil {
						return fmt.Errorf("%s: %w", f.name, err)
					}
				}
				return nil
			})

			db, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open of a version %d database: %v", k, err)
			}
			if got := schemaVersions(t, db); len(got) != len(ms) || got[len(got)-1] != latest {
				t.Errorf("after Open: versions %v, want 1..%d", got, latest)
			}
			for _, f := range mine {
				t.Run(strings.ReplaceAll(f.name, " ", "_"), func(t *testing.T) { f.check(t, db) })
			}
			var integrity string
			if err := db.r.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
				t.Errorf("integrity_check after upgrade: %q %v", integrity, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			// Opening the upgraded file again is a no-op.
			db, err = Open(t.Context(), path)
			if err != nil {
				t.Fatalf("second Open: %v", err)
			}
			defer db.Close()
			if n, err := migrate(t.Context(), db.w); err != nil || n != 0 {
				t.Errorf("migrate on an up-to-date database applied %d, %v", n, err)
			}
		})
	}
}

// A database written by a newer geo311 is refused before anything is
// changed: the error names both versions, the file keeps its rows and its
// schema_migrations.
func TestNewerDatabaseRefusedUnchanged(t *testing.T) {
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	path := filepath.Join(t.TempDir(), "newer.db")
	future := latest + 1
	// Migrations 1..k of this binary plus one it does not know, so the
	// refusal must come before the missing ones are applied.
	k := max(1, len(ms)-1)
	openAtVersion(t, path, k, func(ctx context.Context, tx *sql.Tx, v int) error {
		if v != ms[k-1].version {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_a_newer_geo311', '2030-01-01T00:00:00.000000000Z')`, future)
		return err
	})
	_, err = Open(ctx, path)
	if err == nil {
		t.Fatal("Open accepted a database of a newer schema")
	}
	for _, want := range []string{fmt.Sprintf("%d is newer", future), fmt.Sprintf("(%d)", latest), "newer geo311"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	raw, err := sql.Open("sqlite3", dsn(path, true, busyTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n, top int
	if err := raw.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &top); err != nil {
		t.Fatal(err)
	}
	if n != k+1 || top != future {
		t.Errorf("after the refusal schema_migrations has %d rows up to %d, want %d up to %d", n, top, k+1, future)
	}
	if k < len(ms) {
		// The next migration's objects were not created.
		var objects int
		err := raw.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&objects)
		if err != nil {
			t.Fatal(err)
		}
		w := sql.OpenDB(newConnector(dsn(filepath.Join(t.TempDir(), "ref.db"), false, busyTimeout)))
		defer w.Close()
		w.SetMaxOpenConns(1)
		if _, err := applyMigrations(ctx, w, ms[:k]); err != nil {
			t.Fatal(err)
		}
		var want int
		if err := w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if objects != want {
			t.Errorf("the refused database has %d schema objects, a version %d one %d", objects, k, want)
		}
	}
}
