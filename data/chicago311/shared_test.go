package chicago311

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir finds the shared data folder: $GEO311_SHARED, else ../shared
// beside the module root. Missing data fails under CI=true and skips
// elsewhere.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("GEO311_SHARED")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
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
	legacy := filepath.Join(dir, "data", "chicago", "legacy_311")
	if _, err := os.Stat(legacy); dir == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing (%q): set GEO311_SHARED to the shared folder", legacy)
		}
		t.Skipf("shared data missing (%q): set GEO311_SHARED to run real-data tests", legacy)
	}
	return dir
}
