package trends

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

var chicago = mustLoc("America/Chicago")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// synthRequests generates n requests over the Chicago bbox with a fixed seed:
// 60% spread uniformly, 40% around 30 hot spots; 40 service types with a
// skewed mix; requested uniformly over [start, start+days); 75% closed after
// an exponential delay (mean 6 days); 10% duplicates.
func synthRequests(n int, seed uint64, start time.Time, days int) []*data.Request {
	rng := rand.New(rand.NewPCG(seed, 311))
	type spot struct{ lon, lat, sd float64 }
	spots := make([]spot, 30)
	for i := range spots {
		spots[i] = spot{-87.90 + rng.Float64()*0.34, 41.66 + rng.Float64()*0.34, 0.002 + rng.Float64()*0.01}
	}
	codes := make([]string, 40)
	for i := range codes {
		codes[i] = fmt.Sprintf("T%02d", i)
	}
	states := []data.State{data.StateNew, data.StateAssigned, data.StateCompleted}
	rs := make([]*data.Request, n)
	backing := make([]data.Request, n)
	for i := range rs {
		r := &backing[i]
		if rng.Float64() < 0.6 {
			r.Lon = -87.94 + rng.Float64()*0.42
			r.Lat = 41.64 + rng.Float64()*0.39
		} else {
			s := spots[rng.IntN(len(spots))]
			r.Lon = s.lon + rng.NormFloat64()*s.sd
			r.Lat = s.lat + rng.NormFloat64()*s.sd
		}
		r.ServiceCode = codes[min(int(rng.ExpFloat64()*8), len(codes)-1)]
		r.RequestedAt = start.Add(time.Duration(rng.Float64() * float64(days) * 24 * float64(time.Hour)))
		if rng.Float64() < 0.75 {
			r.State = data.StateClosed
			r.ClosedAt = r.RequestedAt.Add(time.Duration(rng.ExpFloat64() * 6 * 24 * float64(time.Hour)))
		} else {
			r.State = states[rng.IntN(len(states))]
		}
		r.Duplicate = rng.Float64() < 0.1
		r.Number = fmt.Sprintf("SR%02d-%08d", r.RequestedAt.Year()%100, i+1)
		r.Kind = data.KindServiceRequest
		rs[i] = r
	}
	return rs
}

// bruteCount counts requests the slow way, for checking the cube.
func bruteCount(rs []*data.Request, loc *time.Location, res int, from, to time.Time, types []string, ev Event, dups bool) map[uint64]int64 {
	out := map[uint64]int64{}
	lo, hi := dayOf(from, loc), dayOf(to.Add(-time.Nanosecond), loc)
	for _, r := range rs {
		if r.Duplicate && !dups {
			continue
		}
		if len(types) > 0 {
			ok := false
			for _, t := range types {
				ok = ok || t == r.ServiceCode
			}
			if !ok {
				continue
			}
		}
		at := r.RequestedAt
		if ev == Closed {
			ct, ok := closedTime(r)
			if !ok {
				continue
			}
			at = ct
		}
		if d := dayOf(at, loc); d < lo || d > hi {
			continue
		}
		if !validLonLat(r.Lon, r.Lat) {
			continue
		}
		out[cellParent(latLngToCell(r.Lat, r.Lon, 10), res)]++
	}
	return out
}

var _ = math.Pi
var _ = testing.Short
