package export

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
)

// TestBoundedMemory streams many synthetic requests through every format
// and samples the Go heap in use: it must stay under a bound that does not
// depend on the row count (one batch, not the export, is held). The default
// is 200 000 rows (60 000 under -race, which slows appends tenfold; below
// 786 432 rows the batch is a twelfth of the rows, so that a quarter spans
// three batches, otherwise the default sizes);
// GEO311_EXPORT_ROWS=2000000 runs the figure
// (exporting 2 million requests under 200 MB).
func TestBoundedMemory(t *testing.T) {
	rows := 200_000
	if raceEnabled {
		rows = 60_000
	}
	if s := os.Getenv("GEO311_EXPORT_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("GEO311_EXPORT_ROWS=%q", s)
		}
		rows = n
	}
	const limit = 200 << 20 // the bound, for any row count
	batch := 0              // the defaults
	if rows < 12*DefaultBatchSize {
		batch = rows / 12 // a quarter of the rows spans three batches
	}
	var ms runtime.MemStats
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse
			var peak, peakQuarter uint64
			sample := func() uint64 {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > base {
					return ms.HeapInuse - base
				}
				return 0
			}
			w, err := NewWriter(io.Discard, f, Options{Jurisdiction: testJurisdiction(), TempDir: t.TempDir(), BatchSize: batch})
			if err != nil {
				t.Fatal(err)
			}
			var r data.Request
			for i := range rows {
				genRequest(&r, i)
				r.Description = "resident's text " + strings.Repeat("ab", i%50)
				if err := w.Write(&r); err != nil {
					t.Fatal(err)
				}
				if i%10_000 == 0 {
					peak = max(peak, sample())
					if i < rows/4 {
						peakQuarter = peak
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			peak = max(peak, sample())
			st := w.Stats()
			t.Logf("%s: %d rows, %.1f MB written, peak heap in use %.1f MB (first quarter %.1f MB)",
				f, st.Rows, float64(st.Bytes)/1e6, float64(peak)/(1<<20), float64(peakQuarter)/(1<<20))
			if st.Rows != int64(rows) {
				t.Errorf("%d rows written", st.Rows)
			}
			if peak > limit {
				t.Errorf("peak heap in use %d MB > %d MB", peak>>20, limit>>20)
			}
			// Memory must not grow with the rows written: the peak over the
			// whole export stays near the peak of its first quarter.
			if peak > peakQuarter+48<<20 {
				t.Errorf("heap grows with rows: %d MB after a quarter, %d MB overall", peakQuarter>>20, peak>>20)
			}
		})
	}
}
