package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// BenchmarkAreaQueries runs area filters over 300,000 synthetic requests
// (400 beats, 40 sectors routed from them, 20 districts, 50 wards): a
// beat's newest 100, a ward's open requests newest first, a beat's month, a
// district counted, a sector's newest 100 and a sector counted (through
// the beat index since migration 0008: about 7,500 rows sorted for a page);
// each at an area drawn from a seeded sequence. The store is built once.
//
//	go test ./data/sqlite/ -run '^$' -bench BenchmarkAreaQueries -benchtime 2s
func BenchmarkAreaQueries(b *testing.B) {
	const n = 300_000
	ctx := context.Background()
	db := openBench(b, config{readers: 2, busyTimeout: busyTimeout})
	if _, _, err := db.ImportRequests(ctx, withSectors(synthRequests(rand.New(rand.NewPCG(1, 2)), 0, n))); err != nil {
		b.Fatal(err)
	}
	beat := func(rng *rand.Rand) data.AreaRef {
		return data.AreaRef{Layer: data.LayerBeat, ID: fmt.Sprintf("%04d", rng.IntN(400))}
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name  string
		count bool
		f     func(rng *rand.Rand) data.RequestFilter
	}{
		{"beat/newest100", false, func(rng *rand.Rand) data.RequestFilter {
			return data.RequestFilter{Areas: []data.AreaRef{beat(rng)}, Limit: 100}
		}},
		{"ward/open/newest100", false, func(rng *rand.Rand) data.RequestFilter {
			return data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerWard, ID: fmt.Sprint(1 + rng.IntN(50))}}, Status: "open", Limit: 100}
		}},
		{"beat/month", false, func(rng *rand.Rand) data.RequestFilter {
			from := start.AddDate(0, rng.IntN(11), 0)
			return data.RequestFilter{Areas: []data.AreaRef{beat(rng)}, From: from, To: from.AddDate(0, 1, 0)}
		}},
		{"district/count", true, func(rng *rand.Rand) data.RequestFilter {
			return data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerDistrict, ID: fmt.Sprintf("%02d", rng.IntN(20))}}}
		}},
		{"sector/newest100", false, func(rng *rand.Rand) data.RequestFilter {
			return data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerSector, ID: fmt.Sprintf("%03d", rng.IntN(40))}}, Limit: 100}
		}},
		{"sector/count", true, func(rng *rand.Rand) data.RequestFilter {
			return data.RequestFilter{Areas: []data.AreaRef{{Layer: data.LayerSector, ID: fmt.Sprintf("%03d", rng.IntN(40))}}}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(9, 9))
			rows := 0
			for b.Loop() {
				f := bc.f(rng)
				if bc.count {
					c, err := db.CountRequests(ctx, f)
					if err != nil {
						b.Fatal(err)
					}
					rows += c
					continue
				}
				rs, err := db.Requests(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				rows += len(rs)
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}
