package postgis

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/tiles"
)

// BenchmarkRequestsTile (issue 5): the z14 requests tile, uncached and not
// gzipped, through PostGIS (RequestsMVT: ST_AsMVT over the GiST index, one
// round trip) and through the in-process tiles package (RequestIndex.
// RequestsLayer + tiles.Marshal) on the same requests, cycling over the
// 5x5 tiles around the centre of the data. Each iteration encodes one tile
// both ways; reported: postgis-ms and tiles-ms per tile, their ratio
// (postgis/tiles) and the mean features per tile. 200,000 requests by
// default; 1,000,000 when named:
//
//	go test -run '^$' -bench 'BenchmarkRequestsTile/rows=200000' -benchtime 200x ./data/postgis/
func BenchmarkRequestsTile(b *testing.B) {
	for _, n := range []int{200_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			if n > 200_000 && !strings.Contains(benchPattern(), fmt.Sprint(n)) {
				b.Skipf("%d rows: select it with -bench 'BenchmarkRequestsTile/rows=%d'", n, n)
			}
			db := openDB(b)
			ctx := context.Background()
			rs := mvtRequests(n)
			for i := 0; i < len(rs); i += 100_000 {
				if _, _, err := db.ImportRequests(ctx, rs[i:min(i+100_000, len(rs))]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := db.pool.Exec(ctx, "VACUUM (ANALYZE) requests"); err != nil {
				b.Fatal(err)
			}
			ix := tiles.NewRequestIndex(&data.Jurisdiction{ID: "chicago"}, rs)
			rs = nil
			centre := maptile.At(mvtCentre, 14)
			var ts []maptile.Tile
			for dx := -2; dx <= 2; dx++ {
				for dy := -2; dy <= 2; dy++ {
					ts = append(ts, maptile.New(uint32(int(centre.X)+dx), uint32(int(centre.Y)+dy), 14))
				}
			}
			f := data.RequestFilter{Duplicates: data.DuplicatesExclude}
			var pgT, tileT time.Duration
			features := 0
			b.ResetTimer()
			for i := range b.N {
				t := ts[i%len(ts)]
				t0 := time.Now()
				pg, err := db.RequestsMVT(ctx, int(t.Z), int(t.X), int(t.Y), f)
				if err != nil {
					b.Fatal(err)
				}
				pgT += time.Since(t0)
				t0 = time.Now()
				l := ix.RequestsLayer(t, tiles.Filter{}, time.Now(), tiles.RequestsOptions{})
				tb, ok, err := tiles.Marshal(l)
				if err != nil || !ok || len(pg) == 0 {
					b.Fatalf("tile %v: tiles %d bytes (%v, %v), PostGIS %d bytes", t, len(tb), ok, err, len(pg))
				}
				tileT += time.Since(t0)
				features += len(l.Features)
			}
			b.StopTimer()
			b.ReportMetric(pgT.Seconds()*1000/float64(b.N), "postgis-ms")
			b.ReportMetric(tileT.Seconds()*1000/float64(b.N), "tiles-ms")
			b.ReportMetric(pgT.Seconds()/tileT.Seconds(), "postgis/tiles")
			b.ReportMetric(float64(features)/float64(b.N), "features/tile")
		})
	}
}
