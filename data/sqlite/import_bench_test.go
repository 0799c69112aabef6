package sqlite

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// BenchmarkImportSeq1M imports one million synthetic requests into an empty
// database per iteration with one ImportRequestSeq call (one transaction),
// the way `geo311 import chicago` streams a file (issue 3: a million rows
// in under 30 s). The requests are made before the timer starts. It reports
// rows/s and the seconds per import (wall), and cpu-ns/op, the process's
// CPU time per import.
//
//	go test ./data/sqlite/ -run '^$' -bench 'BenchmarkImportSeq1M' -benchtime=1x -count 3
func BenchmarkImportSeq1M(b *testing.B) {
	benchImportSeq(b, synthRequests(rand.New(rand.NewPCG(1, 2)), 0, 1_000_000))
}

// BenchmarkImportSeq1MSectors is BenchmarkImportSeq1M with a sector in
// every row, the first 3 characters of its beat, as the derived sector
// layer routes Chicago's requests (geo.DeriveSectors): the rows of a real
// import. Before migration 0008 their import built requests_sector over
// every row; now they all belong to the beat index's ranges and
// requests_sector_irregular stays empty.
//
//	go test ./data/sqlite/ -run '^$' -bench 'BenchmarkImportSeq1M' -benchtime=1x -count 3
func BenchmarkImportSeq1MSectors(b *testing.B) {
	benchImportSeq(b, withSectors(synthRequests(rand.New(rand.NewPCG(1, 2)), 0, 1_000_000)))
}

// benchImportSeq imports rs into an empty database per iteration with one
// ImportRequestSeq call.
func benchImportSeq(b *testing.B, rs []*data.Request) {
	total := len(rs)
	ctx := context.Background()
	cpu := datatest.StartCPU()
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		db, err := open(ctx, filepath.Join(b.TempDir(), "bench.db"), config{readers: 2, busyTimeout: busyTimeout})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		ins, upd, err := db.ImportRequestSeq(ctx, func(yield func(*data.Request, error) bool) {
			for _, r := range rs {
				if !yield(r, nil) {
					return
				}
			}
		})
		took += time.Since(t0)
		if err != nil || ins != total || upd != 0 {
			b.Fatalf("%d inserted, %d updated: %v", ins, upd, err)
		}
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total*b.N)/took.Seconds(), "rows/s")
	b.ReportMetric(took.Seconds()/float64(b.N), "s/import")
	cpu.Report(b)
}
