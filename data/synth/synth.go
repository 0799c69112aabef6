package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
)

// Config says what to generate.
type Config struct {
	// Jurisdiction supplies the service catalogue (codes, names, kinds,
	// departments, SLA days, dedupe rules) and the time zone.
	Jurisdiction *data.Jurisdiction
	// N is the number of requests, exactly.
	N int
	// Seed makes the output reproducible: the same Config gives the same
	// requests in the same order.
	Seed int64
	// Start is the first instant of the period; when zero, midnight of
	// 1 January of Year (2026 when Year is zero) in the jurisdiction's zone.
	Start time.Time
	Year  int
	// Days is the length of the period (default: one year, 365 or 366).
	Days int
	// Areas are the polygons requests are placed in (for example the beats
	// or wards of the active generation); sampling is uniform over their
	// ground area, plus hot spots inside them.
	Areas []data.Area
	// Hotspots is the number of clustered centres over all types (default 300).
	Hotspots int
	// HotspotShare is the fraction of primary requests drawn around hot
	// spots (default 0.5; negative means none).
	HotspotShare float64
	// DuplicateScale multiplies the categories' duplicate rates (default 1;
	// negative means no duplicates).
	DuplicateScale float64
	// Now is the time the data set is taken: requests whose closure would
	// come later are still open. Default: the end of the period.
	Now time.Time
	// Shares optionally replaces the default type shares (service code to
	// weight, normalised); see Shares for the default.
	Shares map[string]float64
}

// svc is a service type ready for generation.
type svc struct {
	st       *data.ServiceType
	cat      *category
	share    float64
	prefix   string // "SR" or "CC"
	group    int    // dedupe pool index, -1 if the type is not deduplicated
	radiusM  float64
	window   time.Duration
	closedOK time.Duration // IncludeClosedDays
	hourCDF  [24]float64
	hot      []hotspot
	hotCum   []float64
}

type seqKey struct {
	prefix string
	year   int
}

type hotspot struct {
	lon, lat, sigmaM float64
}

// primary is a recent request that later ones may duplicate.
type primary struct {
	number   string
	at       time.Time
	closedAt time.Time // zero: open at Now
	lon, lat float64
}

// poolSize bounds the recent primaries kept per dedupe group.
const poolSize = 512

type pool struct {
	ring []primary
	next int
}

func (p *pool) add(pr primary) {
	if len(p.ring) < poolSize {
		p.ring = append(p.ring, pr)
		return
	}
	p.ring[p.next] = pr
	p.next = (p.next + 1) % poolSize
}

// Generate writes cfg.N synthetic requests to emit in order of RequestedAt,
// numbered "SR26-00000001"... per kind and year in that order ("CC" for
// community concerns). Duplicates name an earlier, still open (or recently
// closed) request of the same dedupe group within the type's radius and
// window as ParentNumber. Areas are left empty: the caller routes. emit's
// error stops generation and is returned.
func Generate(cfg Config, emit func(*data.Request) error) error {
	g, err := newGenerator(cfg)
	if err != nil {
		return err
	}
	return g.run(emit)
}

type generator struct {
	cfg      Config
	loc      *time.Location
	rng      *rand.Rand
	svcs     []svc
	pools    []pool
	ix       *polyIndex
	start    time.Time
	days     int
	now      time.Time
	dupScale float64
	hotShare float64
	seq      map[seqKey]int // last number per prefix and year
	numBuf   []byte
}

func newGenerator(cfg Config) (*generator, error) {
	j := cfg.Jurisdiction
	if j == nil {
		return nil, data.Invalid("jurisdiction", "a jurisdiction is required")
	}
	if cfg.N < 0 {
		return nil, data.Invalid("n", "must not be negative")
	}
	loc := time.UTC
	if j.TimeZone != "" {
		l, err := time.LoadLocation(j.TimeZone)
		if err != nil {
			return nil, data.Invalid("time_zone", "jurisdiction %q: unknown time zone %q", j.ID, j.TimeZone)
		}
		loc = l
	}
	g := &generator{cfg: cfg, loc: loc, seq: map[seqKey]int{}}
	g.rng = rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15))
	g.start = cfg.Start
	if g.start.IsZero() {
		y := cfg.Year
		if y == 0 {
			y = 2026
		}
		g.start = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	}
	g.start = g.start.In(loc)
	g.days = cfg.Days
	if g.days <= 0 {
		g.days = int(math.Round(g.start.AddDate(1, 0, 0).Sub(g.start).Hours() / 24))
	}
	g.now = cfg.Now
	if g.now.IsZero() {
		g.now = g.start.AddDate(0, 0, g.days)
	}
	g.dupScale = cfg.DuplicateScale
	if g.dupScale == 0 {
		g.dupScale = 1
	}
	g.hotShare = cfg.HotspotShare
	if g.hotShare == 0 {
		g.hotShare = 0.5
	}
	if g.hotShare < 0 {
		g.hotShare = 0
	}

	mps := make([]orb.MultiPolygon, 0, len(cfg.Areas))
	for _, a := range cfg.Areas {
		mps = append(mps, a.Geometry)
	}
	g.ix = newPolyIndex(mps)
	if len(g.ix.polys) == 0 {
		return nil, data.Invalid("areas", "no polygon with a positive area to place requests in")
	}

	shares := cfg.Shares
	if shares == nil {
		shares = Shares(j)
	}
	total := 0.0
	for i := range j.Services {
		st := &j.Services[i]
		if w := shares[st.Code]; w > 0 && !st.Emergency {
			total += w
		}
	}
	if total <= 0 || math.IsNaN(total) || math.IsInf(total, 0) {
		return nil, data.Invalid("shares", "no non-emergency service type of %q has a positive share", j.ID)
	}
	groups := map[string]int{}
	for i := range j.Services {
		st := &j.Services[i]
		w := shares[st.Code]
		if w <= 0 || st.Emergency {
			continue
		}
		s := svc{st: st, cat: &categories[categoryOf(st)], share: w / total, prefix: "SR", group: -1}
		if st.Kind == data.KindCommunityConcern {
			s.prefix = "CC"
		}
		if st.Dedupe.RadiusM > 0 && st.Dedupe.WindowDays > 0 {
			key := st.Dedupe.Group
			if key == "" {
				key = st.Code
			}
			gi, ok := groups[key]
			if !ok {
				gi = len(groups)
				groups[key] = gi
			}
			s.group = gi
			s.radiusM = st.Dedupe.RadiusM
			s.window = time.Duration(st.Dedupe.WindowDays) * 24 * time.Hour
			s.closedOK = time.Duration(st.Dedupe.IncludeClosedDays) * 24 * time.Hour
		}
		hours := &dayHours
		if s.cat.evening {
			hours = &eveningHours
		}
		sum := 0.0
		for h := range hours {
			sum += hours[h]
			s.hourCDF[h] = sum
		}
		for h := range s.hourCDF {
			s.hourCDF[h] /= sum
		}
		g.svcs = append(g.svcs, s)
	}
	g.pools = make([]pool, len(groups))

	// Hot spots: per type, in proportion to its share (at least 2), with
	// log-normal weights so a few dominate.
	hs := cfg.Hotspots
	if hs <= 0 {
		hs = 300
	}
	for i := range g.svcs {
		s := &g.svcs[i]
		n := max(2, int(math.Round(float64(hs)*s.share)))
		cum := 0.0
		for k := 0; k < n; k++ {
			x, y, ok := g.ix.sample(g.rng.Float64)
			if !ok {
				return nil, data.Invalid("areas", "cannot sample a point inside the areas")
			}
			s.hot = append(s.hot, hotspot{lon: x, lat: y, sigmaM: s.cat.sigmaM * (0.5 + g.rng.Float64())})
			cum += math.Exp(1.5 * g.rng.NormFloat64())
			s.hotCum = append(s.hotCum, cum)
		}
	}
	return g, nil
}

// dayWeights returns, for day d of the period, each type's weight before
// normalisation: seasonal times weekly factor.
func (g *generator) factor(s *svc, day time.Time) float64 {
	c := s.cat
	doy := float64(day.YearDay() - 1)
	season := 1 + c.amp*math.Cos(2*math.Pi*(doy-c.peakDay)/365.25)
	wd := day.Weekday()
	week := weekdays[wd]
	switch wd {
	case time.Saturday:
		week = c.weekend
	case time.Sunday:
		week = c.weekend * 0.9
	}
	return season * week
}

func (g *generator) run(emit func(*data.Request) error) error {
	if g.cfg.N == 0 {
		return nil
	}
	K, D := len(g.svcs), g.days
	// Normalise each type's factors over the period so its total is N·share.
	w := make([]float64, D*K)
	for k := range g.svcs {
		s := &g.svcs[k]
		sum := 0.0
		for d := 0; d < D; d++ {
			f := g.factor(s, g.start.AddDate(0, 0, d))
			w[d*K+k] = f
			sum += f
		}
		for d := 0; d < D; d++ {
			w[d*K+k] *= s.share / sum
		}
	}
	// Counts by cumulative rounding: exact total N, deterministic.
	counts := make([]int, D*K)
	cum, prev := 0.0, 0
	totalW := 0.0
	for _, v := range w {
		totalW += v
	}
	for i, v := range w {
		cum += v
		c := int(math.Round(float64(g.cfg.N) * cum / totalW))
		if i == len(w)-1 {
			c = g.cfg.N
		}
		counts[i] = c - prev
		prev = c
	}

	type item struct {
		at int64 // unix nanoseconds
		k  int32
	}
	var items []item
	var hourStart [25]time.Time
	for d := 0; d < D; d++ {
		day := g.start.AddDate(0, 0, d)
		y, m, dd := day.Date()
		for h := 0; h <= 24; h++ {
			hourStart[h] = time.Date(y, m, dd, h, 0, 0, 0, g.loc)
		}
		items = items[:0]
		for k := 0; k < K; k++ {
			s := &g.svcs[k]
			for n := counts[d*K+k]; n > 0; n-- {
				u := g.rng.Float64()
				h := 0
				for h < 23 && s.hourCDF[h] < u {
					h++
				}
				span := hourStart[h+1].Sub(hourStart[h])
				if span <= 0 {
					span = time.Hour
				}
				at := hourStart[h].Add(time.Duration(g.rng.Int64N(int64(span))))
				items = append(items, item{at: at.UnixNano(), k: int32(k)})
			}
		}
		slices.SortFunc(items, func(a, b item) int {
			if a.at != b.at {
				if a.at < b.at {
					return -1
				}
				return 1
			}
			return int(a.k - b.k)
		})
		for _, it := range items {
			r := g.request(&g.svcs[it.k], time.Unix(0, it.at).In(g.loc), y)
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// number formats the next tracking number of a prefix and year:
// "SR26-00000001".
func (g *generator) number(prefix string, year int) string {
	key := seqKey{prefix, year}
	n := g.seq[key] + 1
	g.seq[key] = n
	if n > 99999999 {
		return fmt.Sprintf("%s%02d-%08d", prefix, year%100, n)
	}
	b := append(g.numBuf[:0], prefix...)
	yy := year % 100
	b = append(b, byte('0'+yy/10), byte('0'+yy%10), '-')
	var d [8]byte
	for i := 7; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	b = append(b, d[:]...)
	g.numBuf = b
	return string(b)
}

const metresPerDegLat = 111320.0

func (g *generator) request(s *svc, at time.Time, year int) *data.Request {
	rng := g.rng
	st := s.st
	r := &data.Request{
		Number:       g.number(s.prefix, year),
		Jurisdiction: g.cfg.Jurisdiction.ID,
		Kind:         st.Kind,
		ServiceCode:  st.Code,
		ServiceName:  st.Name,
		Department:   st.Department,
		Unit:         st.Unit,
		SLADays:      st.SLADays,
		RequestedAt:  at,
		Description:  s.cat.phrases[rng.IntN(len(s.cat.phrases))],
	}
	if r.Kind == "" {
		r.Kind = data.KindServiceRequest
	}
	u := rng.Float64()
	for _, o := range originShares {
		if u < o.share {
			r.Origin = o.o
			break
		}
		u -= o.share
	}
	if r.Origin == "" {
		r.Origin = data.OriginPhone
	}

	// Duplicate of a recent primary of the same group?
	if s.group >= 0 && g.dupScale > 0 && rng.Float64() < s.cat.dupRate*g.dupScale {
		if p := g.pickParent(s, at); p != nil {
			r.Duplicate, r.ParentNumber = true, p.number
			r.Lon, r.Lat = g.near(p.lon, p.lat, s.radiusM)
			// Closed with its primary, or at once when the primary is closed.
			switch {
			case p.closedAt.IsZero():
			case p.closedAt.After(at):
				r.ClosedAt = p.closedAt
			default:
				r.ClosedAt = at.Add(time.Duration(1+rng.IntN(24*60)) * time.Minute)
			}
			if !r.ClosedAt.IsZero() && r.ClosedAt.After(g.now) {
				r.ClosedAt = time.Time{}
			}
			g.finish(r, s, at)
			return r
		}
	}

	// A primary: near a hot spot or anywhere.
	placed := false
	if len(s.hot) > 0 && rng.Float64() < g.hotShare {
		t := rng.Float64() * s.hotCum[len(s.hotCum)-1]
		i, _ := slices.BinarySearch(s.hotCum, t)
		i = min(i, len(s.hot)-1)
		h := &s.hot[i]
		for try := 0; try < 4 && !placed; try++ {
			lat := h.lat + rng.NormFloat64()*h.sigmaM/metresPerDegLat
			lon := h.lon + rng.NormFloat64()*h.sigmaM/(metresPerDegLat*math.Cos(h.lat*math.Pi/180))
			if g.ix.inside(lon, lat) {
				r.Lon, r.Lat, placed = lon, lat, true
			}
		}
	}
	if !placed {
		x, y, ok := g.ix.sample(rng.Float64)
		if !ok { // unreachable for polygons with area; keep the hot spot centre
			x, y = s.hot[0].lon, s.hot[0].lat
		}
		r.Lon, r.Lat = x, y
	}

	// Closure after a log-normal duration whose median is 45 % of the SLA.
	sla := float64(st.SLADays)
	if sla <= 0 {
		sla = 14
	}
	days := 0.45 * sla * math.Exp(0.9*rng.NormFloat64())
	dur := time.Duration(math.Min(days, 400) * 24 * float64(time.Hour))
	dur = max(dur, 10*time.Minute)
	if r.Kind == data.KindCommunityConcern && rng.Float64() < 0.1 {
		// Not accepted by the community policing sergeant within 36 hours.
		dur = time.Duration(rng.Int64N(int64(36 * time.Hour)))
		if c := at.Add(dur); !c.After(g.now) {
			r.ClosedAt = c
			r.State = data.StateNotAccepted
		}
	} else if c := at.Add(dur); !c.After(g.now) {
		r.ClosedAt = c
	}
	if s.group >= 0 {
		g.pools[s.group].add(primary{number: r.Number, at: at, closedAt: r.ClosedAt, lon: r.Lon, lat: r.Lat})
	}
	g.finish(r, s, at)
	return r
}

// finish sets the state and the lifecycle times.
func (g *generator) finish(r *data.Request, s *svc, at time.Time) {
	if r.State == data.StateNotAccepted {
		r.UpdatedAt = r.ClosedAt
		return
	}
	concern := r.Kind == data.KindCommunityConcern
	if !r.ClosedAt.IsZero() {
		r.State = data.StateClosed
		span := r.ClosedAt.Sub(at)
		r.AssignedAt = at.Add(time.Duration(float64(span) * 0.2))
		if concern {
			r.AcceptedAt = at.Add(time.Duration(float64(span) * 0.1))
		}
		r.CompletedAt = r.ClosedAt
		r.UpdatedAt = r.ClosedAt
		return
	}
	r.State = data.StateNew
	r.UpdatedAt = at
	if age := g.now.Sub(at); age > 24*time.Hour && g.rng.Float64() < 0.7 {
		r.State = data.StateAssigned
		r.AssignedAt = at.Add(min(age/4, 72*time.Hour))
		if concern {
			r.AcceptedAt = at.Add(min(age/8, 36*time.Hour))
		}
		r.UpdatedAt = r.AssignedAt
	}
}

// pickParent draws a recent primary of the type's group that is within the
// window and open at `at` (or closed within IncludeClosedDays).
func (g *generator) pickParent(s *svc, at time.Time) *primary {
	p := &g.pools[s.group]
	n := len(p.ring)
	if n == 0 {
		return nil
	}
	for try := 0; try < 6; try++ {
		c := &p.ring[g.rng.IntN(n)]
		if !c.at.Before(at) || at.Sub(c.at) > s.window {
			continue
		}
		if c.closedAt.IsZero() || c.closedAt.After(at) || (s.closedOK > 0 && at.Sub(c.closedAt) <= s.closedOK) {
			return c
		}
	}
	return nil
}

// near returns a point inside the areas within 90 % of radiusM of (lon, lat),
// or (lon, lat) itself when a few draws fall outside.
func (g *generator) near(lon, lat, radiusM float64) (float64, float64) {
	for try := 0; try < 4; try++ {
		d := 0.9 * radiusM * math.Sqrt(g.rng.Float64())
		a := 2 * math.Pi * g.rng.Float64()
		y := lat + d*math.Sin(a)/metresPerDegLat
		x := lon + d*math.Cos(a)/(metresPerDegLat*math.Cos(lat*math.Pi/180))
		if g.ix.inside(x, y) {
			return x, y
		}
	}
	return lon, lat
}
