package sqlite

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/geo311/geo311/data"
)

// BenchmarkSpatialQueries runs the bbox and near reads over 500,000
// synthetic requests spread over a Chicago-sized box (about 35 by 42 km):
// the HTTP intake's dedupe candidates (50 m, one type, open), an Open311
// lat/long/radius listing, map boxes from a block to the whole city (the
// newest 100, and counted), each at a fixed place per iteration drawn from
// a seeded sequence. It needs a large table, so the store is built once.
//
//	go test ./data/sqlite/ -run '^$' -bench BenchmarkSpatialQueries -benchtime 2s
func BenchmarkSpatialQueries(b *testing.B) {
	const n = 500_000
	ctx := context.Background()
	db := openBench(b, config{readers: 2, busyTimeout: busyTimeout})
	if _, _, err := db.ImportRequests(ctx, synthRequests(rand.New(rand.NewPCG(1, 2)), 0, n)); err != nil {
		b.Fatal(err)
	}
	at := func(rng *rand.Rand) (lon, lat float64) {
		return -87.94 + 0.02 + rng.Float64()*0.38, 41.64 + 0.02 + rng.Float64()*0.34
	}
	box := func(rng *rand.Rand, dLon, dLat float64) *data.RequestFilter {
		lon, lat := at(rng)
		return &data.RequestFilter{BBox: bboxOf(lon-dLon/2, lat-dLat/2, lon+dLon/2, lat+dLat/2), Limit: 100}
	}
	for _, bc := range []struct {
		name  string
		count bool
		f     func(rng *rand.Rand) *data.RequestFilter
	}{
		{"near=50m/dedupe", false, func(rng *rand.Rand) *data.RequestFilter {
			lon, lat := at(rng)
			return &data.RequestFilter{ServiceCodes: []string{"PHF"}, Status: "open", Duplicates: data.DuplicatesExclude,
				Near: &data.Circle{Lon: lon, Lat: lat, RadiusM: 50}}
		}},
		{"near=500m/newest100", false, func(rng *rand.Rand) *data.RequestFilter {
			lon, lat := at(rng)
			return &data.RequestFilter{Near: &data.Circle{Lon: lon, Lat: lat, RadiusM: 500}, Limit: 100}
		}},
		{"bbox=block/newest100", false, func(rng *rand.Rand) *data.RequestFilter { return box(rng, 0.002, 0.0015) }},
		{"bbox=2km/newest100", false, func(rng *rand.Rand) *data.RequestFilter { return box(rng, 0.024, 0.018) }},
		{"bbox=2km/count", true, func(rng *rand.Rand) *data.RequestFilter { return box(rng, 0.024, 0.018) }},
		{"bbox=city/newest100", false, func(*rand.Rand) *data.RequestFilter {
			return &data.RequestFilter{BBox: bboxOf(-87.94, 41.64, -87.52, 42.02), Limit: 100}
		}},
		{"bbox=city/count", true, func(*rand.Rand) *data.RequestFilter {
			return &data.RequestFilter{BBox: bboxOf(-87.94, 41.64, -87.52, 42.02)}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, 7))
			rows := 0
			for b.Loop() {
				f := bc.f(rng)
				if bc.count {
					c, err := db.CountRequests(ctx, *f)
					if err != nil {
						b.Fatal(err)
					}
					rows += c
					continue
				}
				rs, err := db.Requests(ctx, *f)
				if err != nil {
					b.Fatal(err)
				}
				rows += len(rs)
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}
