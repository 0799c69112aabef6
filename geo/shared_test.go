package geo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// sharedDir returns the shared folder, failing under CI=true and skipping
// elsewhere when the real data is missing.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	datatest.Shared(tb, "chicago", "police_beats.geojson")
	return datatest.SharedDir()
}

// loadShared loads one real boundary file.
func loadShared(tb testing.TB, rel string, spec data.LayerSpec) []data.Area {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedDir(tb), "data", rel))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	areas, err := LoadGeoJSON(f, spec)
	if err != nil {
		tb.Fatalf("load %s: %v", rel, err)
	}
	return areas
}
