package dedupe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/geo311/geo311/data"
)

// synthType is one service type of the synthetic city with its share of
// requests, mean days to close and dedupe rule.
type synthType struct {
	code  string
	share float64
	sla   float64
	rule  data.DedupeRule
	words []string
}

// synthTypes is a Chicago-like mix (shares loosely follow the 311 portal's
// yearly counts: information-only calls, potholes, street lights, graffiti,
// rodents, garbage carts, trees, vehicles, sanitation) with the rules the
// legacy evaluation uses.
var synthTypes = []synthType{
	{"AAF", 0.22, 0, data.DedupeRule{}, []string{"question", "information", "hours", "office"}},
	{"PHF", 0.12, 6, data.DedupeRule{RadiusM: 40, WindowDays: 30, SameStreet: true}, []string{"pothole", "deep", "lane", "curb", "tire", "crater"}},
	{"SFD", 0.09, 5, data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}, []string{"light", "out", "dark", "pole", "flickering"}},
	{"SFA", 0.04, 5, data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}, []string{"alley", "light", "out", "dark"}},
	{"GRAF", 0.10, 3, data.DedupeRule{RadiusM: 100, WindowDays: 14}, []string{"graffiti", "tags", "garage", "wall", "paint", "brick"}},
	{"SGA", 0.08, 8, data.DedupeRule{RadiusM: 100, WindowDays: 30}, []string{"rats", "rodent", "alley", "burrows", "garbage"}},
	{"SIE", 0.08, 12, data.DedupeRule{RadiusM: 30, WindowDays: 30}, []string{"cart", "broken", "lid", "wheel", "black"}},
	{"SEE", 0.04, 7, data.DedupeRule{RadiusM: 50, WindowDays: 14}, []string{"branch", "debris", "parkway", "fallen"}},
	{"SEF", 0.06, 60, data.DedupeRule{RadiusM: 50, WindowDays: 60}, []string{"tree", "trim", "branches", "wires", "overgrown"}},
	{"SKA", 0.05, 10, data.DedupeRule{RadiusM: 50, WindowDays: 30}, []string{"vehicle", "abandoned", "car", "plates", "flat"}},
	{"SCB", 0.12, 7, data.DedupeRule{RadiusM: 50, WindowDays: 14}, []string{"garbage", "overflowing", "yard", "dumping", "alley"}},
}

func synthJurisdiction() *data.Jurisdiction {
	j := &data.Jurisdiction{ID: "synthetic", TimeZone: "America/Chicago"}
	for _, st := range synthTypes {
		j.Services = append(j.Services, data.ServiceType{Code: st.code, Name: st.code, SLADays: int(st.sla), Dedupe: st.rule})
	}
	return j
}

var streetsNS = []string{"STATE ST", "CLARK ST", "HALSTED ST", "ASHLAND AVE", "DAMEN AVE", "WESTERN AVE", "CALIFORNIA AVE", "KEDZIE AVE", "PULASKI RD", "CICERO AVE", "LARAMIE AVE", "CENTRAL AVE", "HARLEM AVE"}
var streetsEW = []string{"MADISON ST", "CHICAGO AVE", "DIVISION ST", "NORTH AVE", "ARMITAGE AVE", "FULLERTON AVE", "DIVERSEY AVE", "BELMONT AVE", "ADDISON ST", "IRVING PARK RD", "MONTROSE AVE", "LAWRENCE AVE", "FOSTER AVE", "ROOSEVELT RD", "CERMAK RD", "PERSHING RD", "GARFIELD BLVD", "63RD ST", "79TH ST", "95TH ST"}

// synthAddress gives a Chicago-grid address for a point: 800 numbers to the
// mile from State and Madison, on the nearer of a north-south or east-west
// street (named from a short list by position).
func synthAddress(lat, lon float64) string {
	const milesPerDegLat, milesPerDegLon = 69.0, 51.5
	north := (lat - 41.8819) * milesPerDegLat
	east := (lon + 87.6278) * milesPerDegLon
	// distance to the nearest east-west (every 1/8 mile) and north-south street
	ewOff := math.Abs(north*8 - math.Round(north*8))
	nsOff := math.Abs(east*8 - math.Round(east*8))
	if ewOff < nsOff { // on an east-west street: numbered east/west
		dir := "W"
		if east > 0 {
			dir = "E"
		}
		name := streetsEW[int(math.Abs(math.Round(north*8)))%len(streetsEW)]
		return fmt.Sprintf("%d %s %s", int(math.Abs(east)*800)&^1, dir, name)
	}
	dir := "N"
	if north < 0 {
		dir = "S"
	}
	name := streetsNS[int(math.Abs(math.Round(east*8)))%len(streetsNS)]
	return fmt.Sprintf("%d %s %s", int(math.Abs(north)*800)&^1, dir, name)
}

// synth generates n requests over days days from start, sorted by
// RequestedAt, in a Chicago-sized box with hot spots; a share dupShare of
// them are true duplicates of an earlier request of the same type (a few
// metres away, hours to days later, similar words), with Duplicate and
// ParentNumber set to their root. withH3 stores the H3 cell as a store
// would. openOnly keeps every request open.
func synth(n int, seed uint64, start time.Time, days int, dupShare float64, withH3, openOnly bool) []*data.Request {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var cum []float64
	total := 0.0
	for _, st := range synthTypes {
		total += st.share
		cum = append(cum, total)
	}
	pickType := func() int {
		x := rng.Float64() * total
		i, _ := slices.BinarySearch(cum, x)
		return min(i, len(cum)-1)
	}
	hot := make([][2]float64, 300)
	for i := range hot {
		hot[i] = [2]float64{41.66 + rng.Float64()*0.34, -87.92 + rng.Float64()*0.36}
	}
	span := time.Duration(days) * 24 * time.Hour
	type gen struct {
		r   *data.Request
		typ int
	}
	out := make([]gen, 0, n)
	desc := func(t int) string {
		w := synthTypes[t].words
		k := 2 + rng.IntN(3)
		parts := make([]string, k)
		for i := range parts {
			parts[i] = w[rng.IntN(len(w))]
		}
		if rng.IntN(3) == 0 {
			return ""
		}
		return fmt.Sprint(parts)
	}
	for len(out) < n {
		var lat, lon float64
		var at time.Time
		t := pickType()
		var parent *data.Request
		if len(out) > 100 && rng.Float64() < dupShare {
			// a duplicate of a recent request of a deduped type
			p := out[len(out)-1-rng.IntN(min(len(out)-1, 5000))]
			if synthTypes[p.typ].rule.RadiusM > 0 {
				t = p.typ
				parent = p.r
			}
		}
		if parent != nil {
			lat, lon = destination(parent.Lat, parent.Lon, rng.Float64()*2*math.Pi, math.Abs(rng.NormFloat64())*synthTypes[t].rule.RadiusM/4)
			at = parent.RequestedAt.Add(time.Duration(rng.ExpFloat64() * float64(36*time.Hour)))
		} else {
			if rng.Float64() < 0.6 {
				h := hot[rng.IntN(len(hot))]
				lat, lon = h[0]+rng.NormFloat64()*0.004, h[1]+rng.NormFloat64()*0.005
			} else {
				lat, lon = chicagoBox[0]+rng.Float64()*(chicagoBox[2]-chicagoBox[0]), chicagoBox[1]+rng.Float64()*(chicagoBox[3]-chicagoBox[1])
			}
			// weekday and daytime cycles: reject some weekend and night times
			for {
				at = start.Add(time.Duration(rng.Int64N(int64(span))))
				h := at.Hour()
				wk := at.Weekday() == time.Saturday || at.Weekday() == time.Sunday
				if (h >= 7 && h <= 19 || rng.IntN(4) == 0) && (!wk || rng.IntN(2) == 0) {
					break
				}
			}
		}
		r := &data.Request{
			ServiceCode: synthTypes[t].code, State: data.StateNew, Lat: lat, Lon: lon,
			Address: synthAddress(lat, lon), Description: desc(t), RequestedAt: at,
		}
		if parent != nil {
			r.Duplicate = true
			r.ParentNumber = parent.Number
			if parent.Duplicate {
				r.ParentNumber = parent.ParentNumber
			}
			if rng.IntN(2) == 0 {
				r.Address = parent.Address
			}
		}
		if !openOnly && synthTypes[t].sla > 0 {
			r.ClosedAt = r.RequestedAt.Add(time.Duration(rng.ExpFloat64() * synthTypes[t].sla * float64(24*time.Hour)))
			if parent != nil {
				r.ClosedAt = r.RequestedAt.Add(time.Duration(rng.Float64() * float64(time.Hour)))
			}
			if r.ClosedAt.Before(start.Add(span)) {
				r.State = data.StateClosed
			} else {
				r.ClosedAt = time.Time{}
			}
		}
		if withH3 {
			r.H3, _ = Cell(lat, lon)
		}
		r.Number = fmt.Sprintf("SR-%08d", len(out)+1)
		out = append(out, gen{r, t})
	}
	rs := make([]*data.Request, len(out))
	for i, g := range out {
		rs[i] = g.r
	}
	// Duplicates come later than their parent: sort by time, then number.
	slices.SortStableFunc(rs, func(a, b *data.Request) int { return a.RequestedAt.Compare(b.RequestedAt) })
	return rs
}
