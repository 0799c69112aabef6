package sqlite

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
	"github.com/geo311/geo311/data/export"
)

// BenchmarkScanExport compares, on the 200,000 requests of
// BenchmarkScanRequests, the narrow export scan (ScanExport) with
// ScanRequests, alone and feeding an Arrow IPC stream as the export does;
// it reports rows/s (wall) and cpu-ns/row (process CPU time):
//
//	go test ./data/sqlite/ -run '^$' -bench BenchmarkScanExport -benchtime 3x
func BenchmarkScanExport(b *testing.B) {
	db := openBench(b, config{readers: 2, busyTimeout: busyTimeout})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	for start := 0; start < scanBenchRows; start += 100_000 {
		if _, _, err := db.ImportRequests(ctx, scanSynth(rng, start, min(100_000, scanBenchRows-start))); err != nil {
			b.Fatal(err)
		}
	}
	f := data.RequestFilter{Ascending: true}
	layers := []data.Layer{data.LayerBeat, data.LayerSector, data.LayerDistrict, data.LayerWard, data.LayerCommunityArea}
	for _, tc := range []struct {
		name string
		run  func() (int64, error)
	}{
		{"scan-export", func() (int64, error) {
			n := int64(0)
			err := db.ScanExport(ctx, f, layers, func(*data.ExportRow) error { n++; return nil })
			return n, err
		}},
		{"scan-requests", func() (int64, error) {
			n := int64(0)
			err := db.ScanRequests(ctx, f, func(*data.Request) error { n++; return nil })
			return n, err
		}},
		{"arrow-via-scan-export", func() (int64, error) {
			st, err := export.WriteRows(io.Discard, export.FormatArrowStream, export.Options{}, func(layers []data.Layer, fn func(*data.ExportRow) error) error {
				return db.ScanExport(ctx, f, layers, fn)
			})
			return st.Rows, err
		}},
		{"arrow-via-scan-requests", func() (int64, error) {
			st, err := export.WriteRequests(io.Discard, export.FormatArrowStream, export.Options{}, func(fn func(*data.Request) error) error {
				return db.ScanRequests(ctx, f, fn)
			})
			return st.Rows, err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cpu := datatest.StartCPU()
			rows := int64(0)
			for b.Loop() {
				n, err := tc.run()
				if err != nil {
					b.Fatal(err)
				}
				if n != scanBenchRows {
					b.Fatalf("%d rows, want %d", n, scanBenchRows)
				}
				rows += n
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			if d, ok := cpu.Elapsed(); ok && rows > 0 {
				b.ReportMetric(float64(d.Nanoseconds())/float64(rows), "cpu-ns/row")
			}
		})
	}
}
