package postgis

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/geo311/geo311/data"
)

// BenchmarkImportSeq: one ImportRequestSeq call (one transaction) of n new
// synthetic requests into an empty table, the way `geo311 import chicago`
// streams a file. Reports rows/s and the seconds per import. The million-row
// run (issue 3: a million rows in under 30 s) is selected by name:
//
//	go test -run '^$' -bench 'BenchmarkImportSeq/rows=1000000' -benchtime 1x -count 3 ./data/postgis/
func BenchmarkImportSeq(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			if n > 100_000 && !strings.Contains(benchPattern(), fmt.Sprint(n)) {
				b.Skipf("%d rows: select it with -bench 'BenchmarkImportSeq/rows=%d'", n, n)
			}
			db := openDB(b)
			rs := synthRequests(n, 0)
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if _, err := db.pool.Exec(ctx, "TRUNCATE requests CASCADE; TRUNCATE number_counters"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				ins, upd, err := db.ImportRequestSeq(ctx, func(yield func(*data.Request, error) bool) {
					for _, r := range rs {
						if !yield(r, nil) {
							return
						}
					}
				})
				if err != nil || ins != n || upd != 0 {
					b.Fatalf("imported %d, updated %d: %v", ins, upd, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
		})
	}
}
