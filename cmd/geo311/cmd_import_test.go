package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/sqlite"
	"github.com/geo311/geo311/geo"
)

func summaryInt(t testing.TB, out, key string) int {
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

// chicagoCSV writes an export of n generated rows, then extra lines.
func chicagoCSV(t *testing.T, n int, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.csv")
	if err := writeChicagoCSV(path, n, 7); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range extra {
		fmt.Fprintln(f, l)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// relist returns line (a data row of path) with its status replaced.
func relist(t *testing.T, path string, line int, status string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(strings.Split(string(b), "\n")[line-1], ",")
	fields[5] = status
	if status == "Open" {
		fields[9] = "" // closed_date
	}
	return strings.Join(fields, ",")
}

func storedState(t *testing.T, dbPath, number string) data.State {
	t.Helper()
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Request(t.Context(), number)
	if err != nil {
		t.Fatal(err)
	}
	return r.State
}

// TestImportStream: a file spanning several pipeline blocks goes in as one
// stream, in file order: the last listing of a number wins, a row error
// keeps its line number, the summary counts every row; --batch splits the
// same file into transactions with the same outcome; re-import updates.
func TestImportStream(t *testing.T) {
	base := chicagoCSV(t, 3000)
	// Line 7 is SR25-00000006, listed again (reopened) at the end, after a
	// malformed row.
	path := chicagoCSV(t, 3000, "SR25-00003001,malformed row", relist(t, base, 7, "Open"))
	for _, batch := range []string{"0", "700"} {
		dbPath := filepath.Join(t.TempDir(), "chicago.db")
		vars := map[string]string{"GEO311_DATABASE": dbPath, "GEO311_LOG_LEVEL": "warn"}
		out, errs, err := cli(t, vars, "import", "chicago", "--batch", batch, path)
		if err != nil {
			t.Fatalf("--batch %s: %v\n%s", batch, err, errs)
		}
		if !strings.Contains(errs, path+":3002:") {
			t.Errorf("--batch %s: the malformed row is not reported at line 3002:\n%s", batch, errs)
		}
		if summaryInt(t, out, "rows") != 3001 || summaryInt(t, out, "row errors") != 1 ||
			summaryInt(t, out, "imported") != 3000 || summaryInt(t, out, "updated") != 1 {
			t.Errorf("--batch %s: summary:\n%s", batch, out)
		}
		if st := storedState(t, dbPath, "SR25-00000006"); st.Closed() {
			t.Errorf("--batch %s: SR25-00000006 is %s, want the last listing (open)", batch, st)
		}
		out = mustCLI(t, vars, "import", "chicago", "--batch", batch, path)
		if summaryInt(t, out, "imported") != 0 || summaryInt(t, out, "updated") != 3001 {
			t.Errorf("--batch %s: re-import:\n%s", batch, out)
		}
	}
}

// batchOnly hides a store's ImportRequestSeq, as a store that cannot
// stream, and counts its ImportRequests calls.
type batchOnly struct {
	data.RequestStore
	calls int
}

func (b *batchOnly) ImportRequests(ctx context.Context, rs []*data.Request) (int, int, error) {
	b.calls++
	return b.RequestStore.ImportRequests(ctx, rs)
}

// TestImportWithoutStream: with a store that only takes slices, the rows go
// in batches (of --batch, else 10,000) with the same result.
func TestImportWithoutStream(t *testing.T) {
	path := chicagoCSV(t, 2500)
	j, err := geo.LookupJurisdiction("chicago")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ batch, calls int }{{0, 1}, {1000, 3}} {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "chicago.db"))
		if err != nil {
			t.Fatal(err)
		}
		rs := &batchOnly{RequestStore: db}
		im := &importer{j: j, rs: rs, batch: tc.batch, stderr: io.Discard, st: newImportStats()}
		if err := im.file(t.Context(), path, func(int64) {}); err != nil {
			t.Fatal(err)
		}
		if im.st.Rows != 2500 || im.st.Imported != 2500 || rs.calls != tc.calls {
			t.Errorf("batch %d: %d rows, %d imported in %d calls; want 2500, 2500 in %d", tc.batch, im.st.Rows, im.st.Imported, rs.calls, tc.calls)
		}
		if n, err := db.CountRequests(t.Context(), data.RequestFilter{}); err != nil || n != 2500 {
			t.Errorf("batch %d: %d stored, %v", tc.batch, n, err)
		}
		db.Close()
	}
}

// failingReader returns its data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestImportReadErrorRollsBack: a file that cannot be read to its end
// (after several blocks) fails the import naming it, and, the file being
// one transaction, stores none of it.
func TestImportReadErrorRollsBack(t *testing.T) {
	b, err := os.ReadFile(chicagoCSV(t, 3000))
	if err != nil {
		t.Fatal(err)
	}
	j, err := geo.LookupJurisdiction("chicago")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "chicago.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	im := &importer{j: j, rs: db, stderr: io.Discard, st: newImportStats()}
	err = im.read(t.Context(), "export.csv", &failingReader{data: b[:len(b)*2/3], err: errors.New("device gone")}, func(int64) {})
	if err == nil || !strings.Contains(err.Error(), "export.csv") || !strings.Contains(err.Error(), "device gone") {
		t.Fatalf("import of a failing file: %v", err)
	}
	if n, err := db.CountRequests(t.Context(), data.RequestFilter{}); err != nil || n != 0 {
		t.Errorf("%d requests stored, %v; want 0", n, err)
	}
}
