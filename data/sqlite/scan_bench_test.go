package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// scanBenchRows is how many requests BenchmarkScanRequests imports.
const scanBenchRows = 200_000

// scanSynth is synthRequests with the fields a real import also carries:
// the city's recorded areas on every row, service attributes on a fifth,
// contact fields on a third, an assignment on a quarter.
func scanSynth(rng *rand.Rand, start, n int) []*data.Request {
	rs := synthRequests(rng, start, n)
	for i, r := range rs {
		r.RecordedAreas = []data.AreaRef{
			{Layer: data.LayerBeat, ID: r.Areas[0].ID},
			{Layer: data.LayerWard, ID: r.Areas[2].ID},
			{Layer: data.LayerCommunityArea, ID: fmt.Sprint(1 + i%77)},
		}
		if i%5 == 0 {
			r.Attributes = map[string][]string{"WHERE": {"Street"}, "SIZE": {fmt.Sprint(i % 4)}}
		}
		if i%3 == 0 {
			r.Contact = data.Contact{FirstName: "Pat", LastName: "Doe", Phone: "312-555-0100"}
		}
		if i%4 == 0 {
			r.AssignedAt, r.AssignedTo, r.Unit = r.RequestedAt.Add(time.Hour), "Star 1234", "Unit 241"
			if r.State == data.StateNew {
				r.State = data.StateAssigned
			}
		}
	}
	return rs
}

// BenchmarkScanRequests streams every request of a 200,000-row store
// (imported once per run; ScanRequests with the start-up filter of
// geo311 serve: everything, ascending) and reports rows/s (wall) and
// cpu-ns/row (process CPU time: the machine is shared). Profile with
// go test ./data/sqlite/ -run '^$' -bench BenchmarkScanRequests -benchtime 3x -cpuprofile /tmp/scan.prof
func BenchmarkScanRequests(b *testing.B) {
	db := openBench(b, config{readers: 2, busyTimeout: busyTimeout})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	for start := 0; start < scanBenchRows; start += 100_000 {
		if _, _, err := db.ImportRequests(ctx, scanSynth(rng, start, min(100_000, scanBenchRows-start))); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    data.RequestFilter
	}{
		{"all-ascending", data.RequestFilter{Ascending: true}},
		{"all-descending", data.RequestFilter{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cpu := datatest.StartCPU()
			rows := 0
			for b.Loop() {
				n := 0
				if err := db.ScanRequests(ctx, tc.f, func(*data.Request) error {
					n++
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				if n != scanBenchRows {
					b.Fatalf("scanned %d rows, want %d", n, scanBenchRows)
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
