package postgis

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// BenchmarkImportSeq: one ImportRequestSeq call (one transaction) of n new
// synthetic requests into an empty table, the way `geo311 import chicago`
// streams a file. Reports rows/s and the seconds per import, split into the
// COPY phase (copy-s) and the index builds before COMMIT (build-s), and the
// CPU seconds per import of the whole server (server-cpu-s: every process
// of the cluster, parallel index-build workers included) and of this
// process (go-cpu-s), the server's in the COPY phase (copy-server-cpu-s),
// read from /proc (Linux, local server; left out
// elsewhere). The million-row run (issue 3: a million rows in under 30 s)
// is selected by name:
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
			var (
				copyT, buildT time.Duration
				srvCPU, goCPU time.Duration
				copyCPU       time.Duration
				cpuOK         = true
			)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if _, err := db.pool.Exec(ctx, "TRUNCATE requests CASCADE; TRUNCATE number_counters"); err != nil {
					b.Fatal(err)
				}
				srv0, ok1 := serverCPU()
				go0, ok2 := datatest.ProcessCPU()
				b.StartTimer()
				start := time.Now()
				var (
					copied time.Time
					srvC   time.Duration
					ok5    bool
				)
				cfg := defaultImportConfig()
				cfg.copied = func() {
					copied = time.Now()
					srvC, ok5 = serverCPU()
				}
				ins, upd, err := db.importSeq(ctx, func(yield func(*data.Request, error) bool) {
					for _, r := range rs {
						if !yield(r, nil) {
							return
						}
					}
				}, cfg)
				end := time.Now()
				b.StopTimer()
				if err != nil || ins != n || upd != 0 {
					b.Fatalf("imported %d, updated %d: %v", ins, upd, err)
				}
				srv1, ok3 := serverCPU()
				go1, ok4 := datatest.ProcessCPU()
				cpuOK = cpuOK && ok1 && ok2 && ok3 && ok4 && ok5
				srvCPU, goCPU, copyCPU = srvCPU+srv1-srv0, goCPU+go1-go0, copyCPU+srvC-srv0
				copyT, buildT = copyT+copied.Sub(start), buildT+end.Sub(copied)
				b.StartTimer()
			}
			per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
			b.ReportMetric(per(copyT), "copy-s")
			b.ReportMetric(per(buildT), "build-s")
			if cpuOK {
				b.ReportMetric(per(srvCPU), "server-cpu-s")
				b.ReportMetric(per(copyCPU), "copy-server-cpu-s")
				b.ReportMetric(per(goCPU), "go-cpu-s")
			}
		})
	}
}

// serverCPU is the CPU time so far of the whole cluster the tests run on:
// the postmaster, its live children (backends, parallel workers, WAL
// writer, checkpointer ...) and the children it has reaped, so that
// parallel index-build workers, which exit when their build ends, are
// counted (datatest.TreeCPU). False unless the server runs on this machine.
func serverCPU() (time.Duration, bool) {
	if cluster == nil {
		return 0, false
	}
	return datatest.TreeCPU(cluster.Pid())
}

// BenchmarkCopyEncode: the Go side of an import's COPY per chunk of
// importChunk synthetic requests, without a server: the chunk's sort into
// (requested_at, number) order and its binary COPY encoding (copyenc.go).
// Reports ns per row.
func BenchmarkCopyEncode(b *testing.B) {
	rs := synthRequests(importChunk, 0)
	chunk := make([]*data.Request, len(rs))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		copy(chunk, rs) // the synthetic order, not the previous loop's sorted one
		sortChunk(chunk)
		src := newCopyReader(chunk)
		if _, err := io.Copy(io.Discard, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/row")
}
