package postgis

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/export"
	"github.com/geo311/geo311/data/storetest"
)

func TestExportScanner(t *testing.T) { storetest.TestExportScanner(t, openStore) }

// TestExportChunks: the keyset chunks of an unpaged export scan join into
// exactly the rows of ScanRequests, also when a chunk ends inside a run of
// requests received at the same instant, in both orders and under filters.
func TestExportChunks(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var rs []*data.Request
	for i := range 23 {
		r := synthRequests(1, i)[0]
		r.RequestedAt = at.Add(time.Duration(i/7) * time.Microsecond) // runs of seven at one instant
		r.ServiceCode = []string{"PHF", "SLA"}[i%2]
		r.Number = data.FormatNumber(data.KindServiceRequest, 2026, int64(100-i)) // numbers against time order
		rs = append(rs, r)
	}
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	layers := []data.Layer{data.LayerBeat, data.LayerWard, "custom"}
	for _, f := range []data.RequestFilter{
		{}, {Ascending: true}, {ServiceCodes: []string{"SLA"}}, {ServiceCodes: []string{"PHF"}, Ascending: true},
		{From: at.Add(time.Microsecond), Ascending: true},
	} {
		var want []string
		if err := db.ScanRequests(ctx, f, func(r *data.Request) error {
			var row data.ExportRow
			row.SetRequest(r, layers)
			want = append(want, rowText(&row))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(want) < 7 {
			t.Fatalf("%+v: only %d rows", f, len(want))
		}
		for _, chunk := range []int{1, 2, 3, 7, 100} {
			var got []string
			err := db.scanExport(ctx, &f, layers, chunk, func(r *data.ExportRow) error {
				got = append(got, rowText(r))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v, chunks of %d:\n got %q\nwant %q", f, chunk, got, want)
			}
		}
	}
}

// rowText prints a row with its times as instants.
func rowText(r *data.ExportRow) string {
	c := *r
	ts := fmt.Sprint(c.RequestedAt.UnixNano(), c.UpdatedAt.UnixNano(), c.ClosedAt.IsZero(), c.ClosedAt.UnixNano())
	c.RequestedAt, c.UpdatedAt, c.ClosedAt = time.Time{}, time.Time{}, time.Time{}
	return fmt.Sprintf("%#v %s", c, ts)
}

// TestExportScanMemory streams an export through ScanExport into an Arrow
// IPC stream and samples the Go heap in use: it must stay under the
// issue's bound and not grow with the rows (the scan holds one row, the
// writer one batch). The default is 30,000 rows (batches of 2,500);
// GEO311_EXPORT_ROWS=2000000 runs the figure on the real store
// (seeding takes minutes).
func TestExportScanMemory(t *testing.T) {
	rows := 30_000
	if s := os.Getenv("GEO311_EXPORT_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("GEO311_EXPORT_ROWS=%q", s)
		}
		rows = n
	}
	db := openDB(t)
	ctx := context.Background()
	for from := 0; from < rows; from += 100_000 {
		seedRequests(t, db, min(100_000, rows-from), from)
	}
	batch := 0 // the default
	if rows < 12*export.DefaultBatchSize {
		batch = rows / 12 // a quarter of the rows spans three batches
	}
	var ms runtime.MemStats
	debug.FreeOSMemory() // the seeding's garbage out of the resident set too
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak, peakQuarter uint64
	peakRSS, rssOK := residentBytes()
	seen := 0
	st, err := export.WriteRows(io.Discard, export.FormatArrowStream, export.Options{BatchSize: batch}, func(layers []data.Layer, fn func(*data.ExportRow) error) error {
		return db.ScanExport(ctx, data.RequestFilter{Ascending: true}, layers, func(r *data.ExportRow) error {
			if seen%5000 == 0 {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > base {
					peak = max(peak, ms.HeapInuse-base)
				}
				if seen < rows/4 {
					peakQuarter = peak
				}
				rss, ok := residentBytes()
				peakRSS, rssOK = max(peakRSS, rss), rssOK && ok
			}
			seen++
			return fn(r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows, %.1f MB written, peak heap in use %.1f MB (first quarter %.1f MB)",
		st.Rows, float64(st.Bytes)/1e6, float64(peak)/(1<<20), float64(peakQuarter)/(1<<20))
	if st.Rows != int64(rows) {
		t.Errorf("%d rows written, want %d", st.Rows, rows)
	}
	if peak > 200<<20 {
		t.Errorf("peak heap in use %d MB > 200 MB", peak>>20)
	}
	if rssOK {
		t.Logf("peak resident set of the test process while exporting: %.1f MB", float64(peakRSS)/(1<<20))
		if peakRSS > 200<<20 && !exportRaceEnabled { // the race detector's shadow memory counts too
			t.Errorf("peak resident set %d MB > 200 MB", peakRSS>>20)
		}
	}
	if peak > peakQuarter+48<<20 {
		t.Errorf("heap grows with rows: %d MB after a quarter, %d MB overall", peakQuarter>>20, peak>>20)
	}
}

// residentBytes is the resident set size of this process (VmRSS); false
// where /proc has none.
func residentBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
