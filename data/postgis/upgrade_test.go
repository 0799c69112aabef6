package postgis

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/data/h3"
)

// A newer binary migrates an older database: for every released schema
// version k below the latest, a fresh database gets migrations 1..k only
// (through the migration runner) and plain SQL rows valid at version k, as
// an older geo311 wrote them; Open applies the rest and every row is read
// back through the store API. A second Open applies nothing. Nothing here
// counts the migrations: a new migration file is exercised by the database
// of every older version.

// upgradeFixture writes rows that need schema version `version` (released
// migrations are never edited, so the SQL stays valid) and checks them after
// the upgrade.
type upgradeFixture struct {
	version int
	name    string
	write   func(ctx context.Context, tx pgx.Tx) error
	check   func(t *testing.T, db *DB)
}

func upgradeFixtures(t *testing.T) []upgradeFixture {
	t.Helper()
	pinHash, err := data.HashPIN("48151623", 1000)
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := data.NewAPIKey("staff from an old binary", data.RoleStaff, []string{"011"}, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	const lon, lat = -87.695, 41.855
	cell := h3.LatLngToCell(lat, lon, data.H3Resolution)
	cell5 := h3.LatLngToCell(lat, lon-0.02, data.H3Resolution) // apart from the v3 rows' cell
	cell6 := h3.LatLngToCell(lat, lon+0.02, data.H3Resolution) // and from the v5 row's
	areas := `[{"layer":"beat","id":"0111","generation":"beat@2012-12-19"},{"layer":"district","id":"011","generation":"district@2012-12-19"},{"layer":"ward","id":"7","generation":"ward@2015-05-18"}]`
	requested := time.Date(2026, 2, 3, 15, 4, 5, 123456000, time.UTC) // timestamptz keeps microseconds
	square := orb.MultiPolygon{{{{-87.70, 41.85}, {-87.69, 41.85}, {-87.69, 41.86}, {-87.70, 41.86}, {-87.70, 41.85}}}}

	exec := func(ctx context.Context, tx pgx.Tx, stmts ...string) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%.60s: %w", s, err)
			}
		}
		return nil
	}
	return []upgradeFixture{
		{version: 1, name: "boundaries", write: func(ctx context.Context, tx pgx.Tx) error {
			return exec(ctx, tx,
				`INSERT INTO generations (id, layer, effective_from, active, source, loaded_at)
					VALUES ('ward@2015-05-18', 'ward', '2015-05-18T05:00:00Z', true, 'wards 2015 (v1)', '2026-01-02T03:04:05Z')`,
				`INSERT INTO areas (generation_id, layer, id, name, properties, geom)
					VALUES ('ward@2015-05-18', 'ward', '7', 'Ward 7', '{"alderman":"A. Person"}',
					ST_GeomFromText('MULTIPOLYGON(((-87.70 41.85,-87.69 41.85,-87.69 41.86,-87.70 41.86,-87.70 41.85)))', 4326))`)
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			g, err := db.Generation(ctx, "ward@2015-05-18")
			if err != nil {
				t.Fatalf("generation written at v1: %v", err)
			}
			if !g.Active || g.Layer != data.LayerWard || !g.EffectiveFrom.Equal(time.Date(2015, 5, 18, 5, 0, 0, 0, time.UTC)) ||
				g.Source != "wards 2015 (v1)" || len(g.Areas) != 1 {
				t.Fatalf("generation written at v1 reads %+v", g)
			}
			if a := g.Areas[0]; a.ID != "7" || a.Name != "Ward 7" || a.Properties["alderman"] != "A. Person" || !orb.Equal(a.Geometry, square) {
				t.Errorf("area written at v1 reads %+v", a)
			}
			// Routing answers from area_parts, which a later migration
			// filled from the areas already stored.
			refs, err := db.Locate(ctx, testville, lon, lat, time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil || len(refs) != 1 || refs[0].Layer != data.LayerWard || refs[0].ID != "7" {
				t.Errorf("Locate in an area written at v1: %v %v", refs, err)
			}
		}},
		{version: 3, name: "requests, notes, counters, idempotency and API keys", write: func(ctx context.Context, tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO requests (number, jurisdiction, kind, service_code, service_name, state, description,
					lon, lat, geom, address, zip, h3, areas, beat, district, ward, department, unit, assigned_to, origin,
					requested_at, updated_at, assigned_at, sla_days, attributes, contact)
				VALUES ('SR26-00000041', 'chicago', 'service_request', 'SGA', 'Rodent Baiting/Rat Complaint', 'assigned', 'Rats by the garage',
					$1, $2, ST_SetSRID(ST_MakePoint($1, $2), 4326), '1234 W Fullerton Ave', '60614', $3, $4, '0111', '011', '7',
					'Streets and Sanitation', 'Ward 7 office', 'Crew 12', 'open311',
					'2026-02-03T15:04:05.123456Z', '2026-02-04T09:00:00Z', '2026-02-04T09:00:00Z', 7,
					'{"SEEN":["ALLEY","YARD"]}', '{"first_name":"Ada","email":"ada@example.org","phone":"312-555-0100"}')`,
				lon, lat, int64(cell), areas); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO requests (number, jurisdiction, kind, service_code, service_name, state, description,
					lon, lat, geom, h3, areas, beat, district, ward, department, origin, requested_at, updated_at, closed_at, sla_days,
					pin_hash, police_related, disposition)
				VALUES ('CC26-00000007', 'chicago', 'community_concern', 'CC-NARC', 'Community Concern: Narcotics Activity', 'not_accepted',
					'Dealing on the corner', $1, $2, ST_SetSRID(ST_MakePoint($1, $2), 4326), $3, $4, '0111', '011', '7',
					'Chicago Police Department', 'web', '2026-01-20T18:00:00Z', '2026-01-21T10:00:00Z', '2026-01-21T10:00:00Z', 7,
					$5, true, 'referred to the district')`,
				lon+0.001, lat, int64(cell), areas, pinHash); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, role, districts, hash, created_at)
				VALUES ($1, $2, 'staff', '{011}', $3, '2026-01-05T00:00:00Z')`, key.ID, key.Name, key.Hash); err != nil {
				return err
			}
			return exec(ctx, tx,
				`INSERT INTO request_notes (number, at, actor, event, text, reason, internal) VALUES
					('SR26-00000041', '2026-02-03T15:04:05.123456Z', 'intake:x', 'created', 'Received', '', false),
					('SR26-00000041', '2026-02-04T09:00:00Z', 'staff:sgt', 'comment', 'neighbour is the landlord', 'why', true)`,
				`INSERT INTO number_counters (prefix, n) VALUES ('SR26-', 41), ('CC26-', 7)`,
				`INSERT INTO idempotency_keys (key, number, created_at) VALUES ('retry-me', 'SR26-00000041', '2026-02-03T15:04:05Z')`)
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			r, err := db.Request(ctx, "SR26-00000041")
			if err != nil {
				t.Fatalf("request written at v3: %v", err)
			}
			if r.Kind != data.KindServiceRequest || r.State != data.StateAssigned || r.Description != "Rats by the garage" ||
				r.Lon != lon || r.Lat != lat || r.H3 != uint64(cell) || !r.RequestedAt.Equal(requested) || r.AssignedTo != "Crew 12" ||
				r.Contact.Email != "ada@example.org" || r.Contact.FirstName != "Ada" || !reflect.DeepEqual(r.Attributes, map[string][]string{"SEEN": {"ALLEY", "YARD"}}) ||
				len(r.Areas) != 3 || r.SLADays != 7 {
				t.Errorf("request written at v3 reads %+v", r)
			}
			cc, err := db.Request(ctx, "CC26-00000007")
			if err != nil {
				t.Fatalf("concern written at v3: %v", err)
			}
			if !cc.State.Closed() || !cc.PoliceRelated || !data.CheckPIN(cc.PINHash, "48151623") || cc.Disposition != "referred to the district" {
				t.Errorf("concern written at v3 reads %+v", cc)
			}
			notes, err := db.Notes(ctx, "SR26-00000041")
			if err != nil || len(notes) != 2 || notes[0].Event != data.EventCreated || !notes[1].Internal || notes[1].Reason != "why" {
				t.Errorf("notes written at v3: %+v %v", notes, err)
			}
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
				t.Errorf("API key written at v3: %+v %v", k, err)
			}
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
		{version: 4, name: "community meetings and contacts", write: func(ctx context.Context, tx pgx.Tx) error {
			return exec(ctx, tx,
				`INSERT INTO meetings (jurisdiction, id, beats, wall, tz, duration_ns, location_name, address, notes, lon, lat)
					VALUES ('chicago', 'm-0111-2026-03-10', '{0111,0112}', '2026-03-10T18:30', 'America/Chicago', 3600000000000,
					'Library', '1 N Main St', 'bring ideas', -87.69, 41.85)`,
				`INSERT INTO meeting_beats (jurisdiction, beat, meeting_id) VALUES ('chicago', '0111', 'm-0111-2026-03-10'), ('chicago', '0112', 'm-0111-2026-03-10')`,
				`INSERT INTO contacts (jurisdiction, layer, area_id, kind, name, phone, email) VALUES ('chicago', 'district', '011', 'caps', 'CAPS office', '312-555-0111', 'caps011@example.org')`)
		}, check: func(t *testing.T, db *DB) {
			ctx := t.Context()
			loc, _ := time.LoadLocation("America/Chicago")
			ms, err := db.MeetingsFor(ctx, "chicago", "0112")
			if err != nil || len(ms) != 1 || !ms[0].Start.Equal(time.Date(2026, 3, 10, 18, 30, 0, 0, loc)) || ms[0].Duration != time.Hour ||
				!reflect.DeepEqual(ms[0].Beats, []string{"0111", "0112"}) || ms[0].Notes != "bring ideas" {
				t.Errorf("meeting written at v4: %+v %v", ms, err)
			}
			cs, err := db.Contacts(ctx, "chicago")
			want := []community.Contact{{Layer: data.LayerDistrict, AreaID: "011", Kind: "caps", Name: "CAPS office", Phone: "312-555-0111", Email: "caps011@example.org"}}
			if err != nil || !reflect.DeepEqual(cs, want) {
				t.Errorf("contacts written at v4: %+v %v", cs, err)
			}
		}},
		{version: 5, name: "a request with a custom layer", write: func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO requests (number, jurisdiction, kind, service_code, state, lon, lat, geom, h3, areas, beat,
					requested_at, updated_at, closed_at)
				VALUES ('SR26-00000050', 'chicago', 'service_request', 'SGA', 'closed', $1, $2, ST_SetSRID(ST_MakePoint($1, $2), 4326), $3,
					'[{"layer":"beat","id":"0111","generation":"beat@2012-12-19"},{"layer":"zone","id":"Z9","generation":"zone@2020-01-01"}]',
					'0111', '2026-03-01T10:00:00Z', '2026-03-02T10:00:00Z', '2026-03-02T10:00:00Z')`,
				lon-0.02, lat, int64(cell5))
			return err
		}, check: func(t *testing.T, db *DB) {
			// Migration 0006 moved the custom layers to requests_custom_areas
			// and status filters to state: rows written before still match.
			ctx := t.Context()
			for name, f := range map[string]data.RequestFilter{
				"custom layer":        {Areas: []data.AreaRef{{Layer: "zone", ID: "Z9"}}},
				"custom layer, beat":  {Areas: []data.AreaRef{{Layer: "zone", ID: "Z9"}, {Layer: data.LayerBeat, ID: "0111"}}},
				"closed, window":      {Status: "closed", From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
				"closed, cells, zone": {Status: "closed", Cells: []uint64{uint64(cell5)}, Areas: []data.AreaRef{{Layer: "zone", ID: "Z9"}}},
			} {
				rs, err := db.Requests(ctx, f)
				if err != nil || len(rs) != 1 || rs[0].Number != "SR26-00000050" {
					t.Errorf("%s filter after upgrade: %v %v", name, rs, err)
				}
			}
			if rs, err := db.Requests(ctx, data.RequestFilter{Areas: []data.AreaRef{{Layer: "zone", ID: "Z8"}}}); err != nil || len(rs) != 0 {
				t.Errorf("another zone after upgrade: %v %v", rs, err)
			}
		}},
		{version: 6, name: "jsonb areas, attributes and contact, generated status", write: func(ctx context.Context, tx pgx.Tx) error {
			// As the v6 store wrote them: jsonb, the status generated.
			_, err := tx.Exec(ctx, `INSERT INTO requests (number, jurisdiction, kind, service_code, state, lon, lat, geom, h3,
					areas, beat, sector, ward, requested_at, updated_at, closed_at, attributes, contact, recorded_areas)
				VALUES ('SR26-00000060', 'chicago', 'service_request', 'SGA', 'not_accepted', $1, $2, ST_SetSRID(ST_MakePoint($1, $2), 4326), $3,
					'[{"layer":"beat","id":"0111","generation":"beat@2012-12-19"},{"layer":"zone","id":"Y<7>","name":"Zone \u00e9","generation":"zone@2020-01-01"},
					  {"layer":"sector","id":"011","generation":"sector@2012-12-19"},{"layer":"zone","id":"Y8","generation":"zone@2020-01-01"},
					  {"layer":"ward","id":"2","generation":"ward@2023-05-15"}]',
					'0111', '011', '2', '2026-04-01T10:00:00Z', '2026-04-02T10:00:00Z', '2026-04-02T10:00:00Z',
					'{"WHERE":["curb","alley"],"A":[]}', '{"first_name":"Bo","phone":"312-555-0199"}',
					'[{"layer":"ward","id":"1","generation":"ward@2015-05-18"}]')`,
				lon+0.02, lat, int64(cell6))
			return err
		}, check: func(t *testing.T, db *DB) {
			// Migration 0007 turned the JSON columns into text, moved the
			// custom layers' areas to custom_areas and dropped the
			// generated status: the row reads back whole and every filter
			// still finds it.
			ctx := t.Context()
			r, err := db.Request(ctx, "SR26-00000060")
			if err != nil {
				t.Fatalf("request written at v6: %v", err)
			}
			wantAreas := []data.AreaRef{
				{Layer: data.LayerBeat, ID: "0111", Generation: "beat@2012-12-19"},
				{Layer: "zone", ID: "Y<7>", Name: "Zone \u00e9", Generation: "zone@2020-01-01"},
				{Layer: data.LayerSector, ID: "011", Generation: "sector@2012-12-19"},
				{Layer: "zone", ID: "Y8", Generation: "zone@2020-01-01"},
				{Layer: data.LayerWard, ID: "2", Generation: "ward@2023-05-15"},
			}
			if !reflect.DeepEqual(r.Areas, wantAreas) {
				t.Errorf("areas written at v6 read %+v", r.Areas)
			}
			if want := []data.AreaRef{{Layer: data.LayerWard, ID: "1", Generation: "ward@2015-05-18"}}; !reflect.DeepEqual(r.RecordedAreas, want) {
				t.Errorf("recorded areas written at v6 read %+v", r.RecordedAreas)
			}
			if want := map[string][]string{"WHERE": {"curb", "alley"}, "A": {}}; !reflect.DeepEqual(r.Attributes, want) {
				t.Errorf("attributes written at v6 read %#v", r.Attributes)
			}
			if r.Contact.FirstName != "Bo" || r.Contact.Phone != "312-555-0199" || r.Contact.Email != "" {
				t.Errorf("contact written at v6 reads %+v", r.Contact)
			}
			if r.State != data.StateNotAccepted {
				t.Errorf("state %s", r.State)
			}
			for name, f := range map[string]data.RequestFilter{
				"zone Y<7>":            {Areas: []data.AreaRef{{Layer: "zone", ID: "Y<7>"}}},
				"zone Y8, sector":      {Areas: []data.AreaRef{{Layer: "zone", ID: "Y8"}, {Layer: data.LayerSector, ID: "011"}}},
				"closed, cells, zone":  {Status: "closed", Cells: []uint64{uint64(cell6)}, Areas: []data.AreaRef{{Layer: "zone", ID: "Y8"}}},
				"closed in april":      {Status: "closed", From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
				"ward 2, not accepted": {Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "2"}}, States: []data.State{data.StateNotAccepted}},
			} {
				rs, err := db.Requests(ctx, f)
				if err != nil || len(rs) != 1 || rs[0].Number != "SR26-00000060" {
					t.Errorf("%s filter after upgrade: %v %v", name, rs, err)
				}
			}
			for name, f := range map[string]data.RequestFilter{
				"open in april": {Status: "open", From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
				"zone Y9":       {Areas: []data.AreaRef{{Layer: "zone", ID: "Y9"}}, From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
				"ward 1":        {Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "1"}}},
			} {
				if rs, err := db.Requests(ctx, f); err != nil || len(rs) != 0 {
					t.Errorf("%s filter after upgrade: %v %v", name, rs, err)
				}
			}
			var custom string
			if err := db.pool.QueryRow(ctx, `SELECT custom_areas::text FROM requests WHERE number = 'SR26-00000060'`).Scan(&custom); err != nil {
				t.Fatal(err)
			}
			if want := `[{"id": "Y<7>", "name": "Zone é", "layer": "zone", "generation": "zone@2020-01-01"}, {"id": "Y8", "layer": "zone", "generation": "zone@2020-01-01"}]`; custom != want {
				t.Errorf("custom_areas after upgrade %s, want %s", custom, want)
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
	return &data.Request{Jurisdiction: "chicago", Kind: kind, ServiceCode: code, State: data.StateNew,
		Lon: -87.695, Lat: 41.855, RequestedAt: now, UpdatedAt: now}
}

func numberOf(r *data.Request) string {
	if r == nil {
		return "<nil>"
	}
	return r.Number
}

// databaseAtVersion brings the database at url to the k-th embedded
// migration as a database used through the versions would be: each
// migration is applied by the migration runner, and right after version v
// the rows of the fixtures of version v are written (by write, in one
// transaction), so later migrations find and convert them.
func databaseAtVersion(t *testing.T, url string, k int, write func(ctx context.Context, tx pgx.Tx, version int) error) {
	t.Helper()
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for i := 1; i <= k; i++ {
		if _, err := applyMigrations(ctx, conn, ms[:i]); err != nil {
			t.Fatalf("migrations 1..%d: %v", i, err)
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(ctx, tx, ms[i-1].version); err != nil {
			tx.Rollback(context.Background())
			t.Fatalf("rows of schema version %d: %v", ms[i-1].version, err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOlderDatabaseUpgrades(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	fixtures := upgradeFixtures(t)
	for _, f := range fixtures {
		if f.version > SchemaVersion() {
			t.Fatalf("fixture %q needs schema version %d; the binary knows %d", f.name, f.version, SchemaVersion())
		}
	}
	for k := 1; k < len(ms); k++ {
		version := ms[k-1].version
		t.Run(fmt.Sprintf("from_v%d", version), func(t *testing.T) {
			url := newURL(t)
			var mine []upgradeFixture
			for _, f := range fixtures {
				if f.version <= version {
					mine = append(mine, f)
				}
			}
			databaseAtVersion(t, url, k, func(ctx context.Context, tx pgx.Tx, v int) error {
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
			if got := appliedMigrations(t, url); len(got) != k {
				t.Fatalf("set-up: %d migrations applied, want %d", len(got), k)
			}

			db, err := Open(t.Context(), url)
			if err != nil {
				t.Fatalf("Open of a version %d database: %v", version, err)
			}
			first := appliedMigrations(t, url)
			if len(first) != len(ms) {
				t.Errorf("after Open: %d migrations applied, want %d", len(first), len(ms))
			}
			for _, f := range mine {
				t.Run(strings.ReplaceAll(f.name, " ", "_"), func(t *testing.T) { f.check(t, db) })
			}
			db.Close()

			db, err = Open(t.Context(), url)
			if err != nil {
				t.Fatalf("second Open: %v", err)
			}
			db.Close()
			if again := appliedMigrations(t, url); !reflect.DeepEqual(again, first) {
				t.Errorf("second Open changed schema_migrations: %v -> %v", first, again)
			}
		})
	}
}

// A database written by a newer geo311 is refused before anything changes,
// even when it also lacks migrations this binary has: the error names both
// versions and nothing is applied.
func TestNewerDatabaseRefusedUnchanged(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	url := newURL(t)
	k := max(1, len(ms)-1)
	future := SchemaVersion() + 1
	databaseAtVersion(t, url, k, func(ctx context.Context, tx pgx.Tx, v int) error {
		if v != ms[k-1].version {
			return nil
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'from_a_newer_geo311', 'x')", future)
		return err
	})
	before := appliedMigrations(t, url)
	_, err = Open(t.Context(), url)
	if err == nil {
		t.Fatal("Open accepted a database of a newer schema")
	}
	for _, want := range []string{fmt.Sprintf("schema version %d", future), fmt.Sprintf("newer than this binary's %d", SchemaVersion()), "upgrade geo311"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if after := appliedMigrations(t, url); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused Open changed schema_migrations: %v -> %v", before, after)
	}
}
