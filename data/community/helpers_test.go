package community

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// chicago is the jurisdiction the tests read schedules for: the layers of
// geo/catalogue/chicago.json (this package may not import geo).
func chicago() *data.Jurisdiction {
	return &data.Jurisdiction{
		ID:       "chicago",
		Name:     "City of Chicago",
		TimeZone: "America/Chicago",
		Layers: []data.LayerSpec{
			{Layer: data.LayerBeat, Title: "Police beat", IDProperty: "beat_num", PadID: 4},
			{Layer: data.LayerSector, Title: "Police sector", DerivedFrom: data.LayerBeat},
			{Layer: data.LayerDistrict, Title: "Police district", IDProperty: "dist_num", PadID: 2},
			{Layer: data.LayerWard, Title: "Ward", IDProperty: "ward", Ignore: []string{"OUT"}},
			{Layer: data.LayerCommunityArea, Title: "Community area", IDProperty: "area_numbe"},
		},
	}
}

func chicagoLoc(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatalf("time zone data: %v", err)
	}
	return loc
}

// at is a Chicago wall-clock instant for tests.
func at(t testing.TB, y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, chicagoLoc(t))
}

func openTestdata(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readMeetingsFile(t testing.TB, name string) ([]Meeting, []RowError) {
	t.Helper()
	ms, errs, err := ReadMeetings(openTestdata(t, name), chicago())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ms, errs
}

func readContactsFile(t testing.TB, name string) ([]Contact, []RowError) {
	t.Helper()
	cs, errs, err := ReadContacts(openTestdata(t, name), chicago())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cs, errs
}

// golden compares got with testdata/name, or rewrites it under -update.
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
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
