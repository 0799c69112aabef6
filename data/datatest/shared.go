package datatest

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns the shared folder: $GEO311_SHARED, else "shared" beside
// the directory holding go.mod. It does not check that the folder exists.
func SharedDir() string {
	if dir := os.Getenv("GEO311_SHARED"); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Shared returns the path of a file or folder under the shared folder's
// data/ directory, e.g. Shared(t, "chicago", "police_beats.geojson"). When it
// is missing the test fails under CI=true and is skipped elsewhere.
func Shared(tb testing.TB, elem ...string) string {
	tb.Helper()
	dir := SharedDir()
	p := filepath.Join(append([]string{dir, "data"}, elem...)...)
	if _, err := os.Stat(p); dir == "" || err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared data missing: %s (CI runs with ../shared beside the repository, or set GEO311_SHARED)", p)
		}
		tb.Skipf("shared data missing: %s (set GEO311_SHARED or put the shared folder beside the repository); skipping real-data test", p)
	}
	return p
}
