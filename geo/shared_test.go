package geo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/geo311/geo311/data"
)

// sharedDir finds the shared data folder: $GEO311_SHARED, else ../shared
// next to the module root. Under CI=true missing data fails the test,
// elsewhere it skips.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("GEO311_SHARED")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "data", "chicago", "police_beats.geojson")); err == nil {
			return dir
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("shared data not found (GEO311_SHARED=%q, tried %q): CI needs ../shared/data", os.Getenv("GEO311_SHARED"), dir)
	}
	tb.Skipf("shared data not found (set GEO311_SHARED or put it at ../shared next to the repository): skipping real-data test")
	return ""
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
