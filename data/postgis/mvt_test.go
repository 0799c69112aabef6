package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/tiles"
)

// mvtCentre is the middle of synthRequests' area.
var mvtCentre = orb.Point{-87.73, 41.83}

// mvtRequests is synthRequests(n) with every 40th request police-related
// and 50 community concerns near the centre: neither may be drawn.
func mvtRequests(n int) []*data.Request {
	rs := synthRequests(n, 0)
	for i, r := range rs {
		if i%40 == 0 {
			r.PoliceRelated = true
		}
	}
	for i := range 50 {
		c := *rs[i+1]
		c.Number = data.FormatNumber(data.KindCommunityConcern, c.RequestedAt.Year(), int64(i+1))
		c.Kind, c.PoliceRelated = data.KindCommunityConcern, false
		c.Lon, c.Lat = mvtCentre[0]+float64(i-25)*0.0004, mvtCentre[1]+float64(i%7-3)*0.0004
		rs = append(rs, &c)
	}
	return rs
}

// decodeRequestsLayer decodes an MVT tile and returns its requests layer.
func decodeRequestsLayer(t testing.TB, b []byte) *mvt.Layer {
	t.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	for _, l := range ls {
		if l.Name == tiles.LayerRequests {
			return l
		}
	}
	t.Fatalf("tile has no %q layer: %d layers", tiles.LayerRequests, len(ls))
	return nil
}

type mvtPoint struct {
	pt          orb.Point
	typ, status string
	age         float64
}

// mvtPoints indexes a decoded points layer by feature id.
func mvtPoints(t testing.TB, what string, l *mvt.Layer) map[uint64]mvtPoint {
	t.Helper()
	out := map[uint64]mvtPoint{}
	for i, f := range l.Features {
		id, ok := f.ID.(float64)
		if !ok {
			t.Fatalf("%s: feature %d has id %v (%T)", what, i, f.ID, f.ID)
		}
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			t.Fatalf("%s: feature %d is a %T, want a point", what, i, f.Geometry)
		}
		if _, dup := out[uint64(id)]; dup {
			t.Errorf("%s: feature id %d twice", what, uint64(id))
		}
		age, _ := f.Properties["age_days"].(float64)
		out[uint64(id)] = mvtPoint{pt: pt, typ: fmt.Sprint(f.Properties["type"]), status: fmt.Sprint(f.Properties["status"]), age: age}
	}
	return out
}

// TestRequestsMVT compares RequestsMVT with the tiles package on the same
// requests, at z14 (points mode) on the 3x3 tiles around the centre: the
// same feature ids (tracking numbers), types and statuses, positions within
// one tile unit (rounding of two projections), ages within a day (two
// clocks); no police-related request or community concern; MVT version 2,
// extent 4096.
func TestRequestsMVT(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	rs := mvtRequests(30_000)
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	ix := tiles.NewRequestIndex(&data.Jurisdiction{ID: "chicago"}, rs)
	police := map[uint64]bool{}
	for _, r := range rs {
		if r.PoliceRelated || r.Kind == data.KindCommunityConcern {
			police[tiles.FeatureID(r.Number)] = true
		}
	}
	centre := maptile.At(mvtCentre, 14)
	total := 0
	for dx := -1; dx <= 1; dx++ {
		for dy := -1; dy <= 1; dy++ {
			tile := maptile.New(uint32(int(centre.X)+dx), uint32(int(centre.Y)+dy), 14)
			name := fmt.Sprintf("tile %d/%d/%d", tile.Z, tile.X, tile.Y)
			b, err := db.RequestsMVT(ctx, int(tile.Z), int(tile.X), int(tile.Y), data.RequestFilter{Duplicates: data.DuplicatesExclude})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pl := decodeRequestsLayer(t, b)
			if pl.Version != 2 || pl.Extent != tiles.Extent {
				t.Errorf("%s: PostGIS layer version %d extent %d, want 2 and %d", name, pl.Version, pl.Extent, tiles.Extent)
			}
			pg := mvtPoints(t, name+" (PostGIS)", pl)

			tl := ix.RequestsLayer(tile, tiles.Filter{}, time.Now(), tiles.RequestsOptions{})
			tb, ok, err := tiles.Marshal(tl)
			if err != nil || !ok {
				t.Fatalf("%s: tiles.Marshal: %v, %v", name, ok, err)
			}
			want := mvtPoints(t, name+" (tiles)", decodeRequestsLayer(t, tb))
			if len(want) == 0 {
				t.Fatalf("%s: the tiles package draws no point: the fixture misses the tile", name)
			}
			total += len(want)
			for id, w := range want {
				g, ok := pg[id]
				num, _ := tiles.FeatureNumber(id)
				if !ok {
					t.Errorf("%s: request %s (%d) missing from the PostGIS tile", name, num, id)
					continue
				}
				if g.typ != w.typ || g.status != w.status || math.Abs(g.age-w.age) > 1 ||
					math.Abs(g.pt[0]-w.pt[0]) > 1 || math.Abs(g.pt[1]-w.pt[1]) > 1 {
					t.Errorf("%s: request %s: PostGIS %+v, tiles %+v", name, num, g, w)
				}
			}
			var extra []uint64
			for id := range pg {
				if police[id] {
					t.Errorf("%s: PostGIS tile draws police-related request %d", name, id)
				}
				if _, ok := want[id]; !ok {
					extra = append(extra, id)
				}
			}
			slices.Sort(extra)
			if len(extra) > 0 {
				t.Errorf("%s: PostGIS tile has %d features the tiles package does not draw: %v", name, len(extra), extra)
			}
		}
	}
	t.Logf("%d points compared in 9 tiles", total)
}

func TestRequestsMVTInvalidAndEmpty(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	for _, c := range [][3]int{{-1, 0, 0}, {MaxMVTZoom + 1, 0, 0}, {2, 4, 0}, {2, 0, -1}, {0, 1, 0}} {
		if _, err := db.RequestsMVT(ctx, c[0], c[1], c[2], data.RequestFilter{}); !errors.Is(err, data.ErrInvalid) {
			t.Errorf("tile %v: %v, want ErrInvalid", c, err)
		}
	}
	b, err := db.RequestsMVT(ctx, 14, 4202, 6089, data.RequestFilter{})
	if err != nil || b != nil {
		t.Errorf("empty store: %d bytes, %v; want nil, nil", len(b), err)
	}
}
