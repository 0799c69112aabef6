package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func summaryInt(t *testing.T, out, key string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `: (\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in:\n%s", key, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestImportCurrentSchemaBadRow(t *testing.T) {
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "chicago.db"), "GEO311_LOG_LEVEL": "warn"}
	out, errs, err := cli(t, vars, "import", "chicago", "testdata/import_current.csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	// Line 4 has 30 February.
	if !strings.Contains(errs, "testdata/import_current.csv:4:") {
		t.Errorf("row error without its line:\n%s", errs)
	}
	if summaryInt(t, out, "rows") != 3 || summaryInt(t, out, "row errors") != 1 || summaryInt(t, out, "imported") != 3 {
		t.Errorf("summary:\n%s", out)
	}
	out = mustCLI(t, vars, "import", "chicago", "testdata/import_current.csv")
	if summaryInt(t, out, "imported") != 0 || summaryInt(t, out, "updated") != 3 {
		t.Errorf("re-import is not idempotent:\n%s", out)
	}
	if _, _, err := cli(t, vars, "import", "chicago"); err == nil {
		t.Error("import without files succeeded")
	}
	if _, _, err := cli(t, vars, "import", "chicago", "testdata/missing.csv"); err == nil {
		t.Error("import of a missing file succeeded")
	}
}

func TestImportLegacyChicago(t *testing.T) {
	if testing.Short() {
		t.Skip("loads Chicago boundaries")
	}
	legacy := sharedDir(t, "data/chicago/legacy_311/chicago_311_legacy_pot-holes.csv")
	wards := sharedDir(t, "data/chicago/wards_2003_2015.geojson")
	areas := sharedDir(t, "data/chicago/community_areas.geojson")
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(t.TempDir(), "chicago.db"), "GEO311_LOG_LEVEL": "warn"}
	mustCLI(t, vars, "boundaries", "load", "--layer", "ward", "--from", "2003-05-01", "--activate", wards)
	mustCLI(t, vars, "boundaries", "load", "--layer", "community_area", "--from", "2000-01-01", "--activate", areas)
	out, errs, err := cli(t, vars, "import", "chicago", legacy)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	rows, bad := summaryInt(t, out, "rows"), summaryInt(t, out, "row errors")
	if rows+bad != 999 || rows < 900 || summaryInt(t, out, "imported") != rows {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(out, "ward ") || !strings.Contains(out, "community_area ") {
		t.Errorf("no comparison of recorded areas:\n%s", out)
	}
	t.Logf("first import:\n%s", out)
	out = mustCLI(t, vars, "import", "chicago", legacy)
	if summaryInt(t, out, "imported") != 0 || summaryInt(t, out, "updated") != rows {
		t.Errorf("second import:\n%s", out)
	}
}

func TestDedupeEvalLegacy(t *testing.T) {
	dir := sharedDir(t, "data/chicago/legacy_311")
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	out := mustCLI(t, nil, append([]string{"dedupe", "eval", "--labels"}, files...)...)
	for _, want := range []string{"geo311 (catalogue rules)", "baseline (FixMyStreet 250m)", "dup F1", "labelled duplicates:"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`requests: (\d+) from 9 files`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no request count:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 9000 {
		t.Errorf("too few requests:\n%s", out)
	}
	t.Logf("\n%s", out)
}
