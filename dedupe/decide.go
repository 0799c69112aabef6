package dedupe

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Threshold is the score at or above which a request becomes a duplicate of
// its best candidate's primary.
const Threshold = 0.6

// Score weights (see the package documentation). A component with no
// evidence (an address or a description missing on either side) is left out
// and the others are re-weighted, so the score stays in [0, 1].
const (
	WeightDistance = 0.40
	WeightTime     = 0.20
	WeightPlace    = 0.30
	WeightText     = 0.10
)

// DefaultWindowDays is used when a rule's WindowDays is not positive.
const DefaultWindowDays = 30

const day = int64(24 * time.Hour)

// areaNeutral is the address component, for a rule without SameStreet, of
// any relation but the same address.
const areaNeutral = 0.5

// placeScore is the address component of the score for each relation.
var placeScore = [...]float64{placeUnknown: 0, placeOther: 0, placeFar: 0.15, placeSameStreet: 0.5, placeNear: 0.75, placeSame: 1}

// Decision is what Decide concluded about a new request, and why.
type Decision struct {
	// Duplicate is true when the request joins Primary.
	Duplicate bool
	// Primary is the root of the best candidate's cluster (the candidate
	// itself, or its ParentNumber when it is a duplicate). Empty when no
	// candidate passed the filters.
	Primary string
	// Match is the best candidate itself (equal to Primary unless the
	// candidate is a duplicate).
	Match string
	// Score of the best candidate (0 when none), in [0, 1].
	Score float64
	// DistanceM is the great-circle distance to the best candidate; Gap is
	// how long before the new request it was received.
	DistanceM float64
	Gap       time.Duration
	// SameAddress: same house number and street (or same intersection).
	// SameStreet: same street (SameAddress implies it).
	SameAddress, SameStreet bool
	// Similarity is the token Jaccard similarity of the descriptions, when
	// both have words (HasText).
	Similarity float64
	HasText    bool
	// Considered counts the candidates that passed every filter.
	Considered int
	// Reason is a sentence explaining the decision, for the note on the
	// primary and the Open311 extended attributes.
	Reason string
}

// SameGroup reports whether requests of service codes a and b dedupe against
// each other in jurisdiction j: the same code, or the same non-empty
// data.DedupeRule.Group in j's catalogue.
func SameGroup(j *data.Jurisdiction, a, b string) bool {
	if a == b {
		return true
	}
	if j == nil {
		return false
	}
	sa, okA := j.Service(a)
	sb, okB := j.Service(b)
	return okA && okB && sa.Dedupe.Group != "" && sa.Dedupe.Group == sb.Dedupe.Group
}

// Decide decides whether r duplicates one of candidates under rule (r's
// type's data.DedupeRule), at time now. Candidates are what the caller found
// in SearchCells(r.Lat, r.Lon, rule.RadiusM), restricted to r's type or, when
// rule.Group is set, to the types of the group (SameGroup); they may include
// anything else, which Decide filters out:
//
//   - r itself (same Number) and candidates without a Number;
//   - candidates of another service code when rule.Group is empty;
//   - candidates received after r, or more than rule.WindowDays before it;
//   - candidates closed at now, unless closed at most rule.IncludeClosedDays
//     days before now (a closed request without ClosedAt counts as closed
//     long ago);
//   - candidates farther than rule.RadiusM (haversine);
//   - with rule.SameStreet, candidates whose address is on another street,
//     or on the same street more than HouseSpan house numbers away (when
//     both addresses are known).
//
// The rest are scored (see the package documentation); the best one (highest
// score, then nearest, then earliest, then smallest number) decides. r's
// RequestedAt is its time; if zero, now is used. Decide is a pure function.
func Decide(r *data.Request, rule data.DedupeRule, candidates []*data.Request, now time.Time) Decision {
	d := newDecider(r, rule, now)
	if d == nil {
		return offDecision(r)
	}
	var c item
	for _, cr := range candidates {
		if cr == nil {
			continue
		}
		c = item{r: cr}
		c.setBasics()
		d.consider(&c)
	}
	return d.decision(rootOfRequest)
}

func offDecision(r *data.Request) Decision {
	return Decision{Reason: fmt.Sprintf("Not checked for duplicates: deduplication is off for service %q.", r.ServiceCode)}
}

// item is a request with what the decision needs at hand.
type item struct {
	r        *data.Request
	lat, lon float64
	at       int64 // RequestedAt, Unix nanoseconds
	closed   int64 // ClosedAt; 0 when open; closedLongAgo when closed without a time
	idx      int32 // position in a batch; -1 elsewhere
	featured bool  // addr and toks are filled
	addr     Address
	toks     []uint64
}

const closedLongAgo = math.MinInt64

func (c *item) setBasics() {
	r := c.r
	c.lat, c.lon = r.Lat, r.Lon
	c.at = unixNano(r.RequestedAt)
	c.closed = 0
	if !r.ClosedAt.IsZero() {
		c.closed = r.ClosedAt.UnixNano()
	} else if r.State.Closed() {
		c.closed = closedLongAgo
	}
	c.idx = -1
}

func (c *item) features() {
	if !c.featured {
		c.addr = ParseAddress(c.r.Address)
		c.toks = tokens(c.r.Description)
		c.featured = true
	}
}

func newItem(r *data.Request) item {
	c := item{r: r}
	c.setBasics()
	c.features()
	return c
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func rootOfRequest(c *item) string {
	if c.r.Duplicate && c.r.ParentNumber != "" {
		return c.r.ParentNumber
	}
	return c.r.Number
}

// decider holds one decision in progress.
type decider struct {
	self     item
	rule     data.DedupeRule
	now      int64
	tRef     int64
	from     int64 // earliest candidate RequestedAt
	grace    int64 // closed candidates count when closed at or after this
	nr       near
	anyCode  bool
	nearest  bool // baseline: the nearest candidate wins, no other evidence
	considrd int

	best      *item // points at bestItem
	bestItem  item  // a copy: the candidate's storage may change after the scan
	bestScore float64
	bestDist  float64
	bestPlace place
	bestSim   float64
	bestText  bool
}

// newDecider returns nil when the rule disables deduplication.
func newDecider(r *data.Request, rule data.DedupeRule, now time.Time) *decider {
	if !(rule.RadiusM > 0) || math.IsInf(rule.RadiusM, 0) {
		return nil
	}
	d := &decider{self: newItem(r), rule: rule, now: now.UnixNano(), anyCode: rule.Group != ""}
	d.tRef = d.self.at
	if d.tRef == 0 {
		d.tRef = d.now
	}
	d.from = d.tRef - int64(windowDays(rule))*day
	d.grace = math.MaxInt64
	if rule.IncludeClosedDays > 0 {
		d.grace = d.now - int64(rule.IncludeClosedDays)*day
	}
	d.nr = newNear(r.Lat, r.Lon, rule.RadiusM)
	return d
}

func windowDays(rule data.DedupeRule) int {
	if rule.WindowDays > 0 {
		return rule.WindowDays
	}
	return DefaultWindowDays
}

// eligibleBasic applies the filters that need no address or description,
// cheapest first (time and place are in the item; the request behind it is
// only read for candidates already near in time and space).
func (d *decider) eligibleBasic(c *item) (float64, bool) {
	if c.at > d.tRef || c.at < d.from {
		return 0, false
	}
	if c.closed != 0 && c.closed <= d.now && c.closed < d.grace {
		return 0, false
	}
	if !d.nr.ok(c.lat, c.lon) {
		return 0, false
	}
	cr := c.r
	if cr.Number == "" || (cr == d.self.r) || (d.self.r.Number != "" && cr.Number == d.self.r.Number) {
		return 0, false
	}
	if !d.anyCode && cr.ServiceCode != d.self.r.ServiceCode {
		return 0, false
	}
	dist := Haversine(d.self.lat, d.self.lon, c.lat, c.lon)
	if dist > d.rule.RadiusM {
		return 0, false
	}
	return dist, true
}

// consider filters and scores one candidate, keeping the best.
func (d *decider) consider(c *item) {
	dist, ok := d.eligibleBasic(c)
	if !ok {
		return
	}
	if d.nearest {
		d.considrd++
		score := 1 - dist/d.rule.RadiusM
		if d.best == nil || better(score, dist, c, d.bestScore, d.bestDist, d.best) {
			d.keep(c)
			d.bestScore, d.bestDist = score, dist
		}
		return
	}
	c.features()
	pl := relate(&d.self.addr, &c.addr)
	if d.rule.SameStreet && (pl == placeOther || pl == placeFar) {
		return
	}
	d.considrd++
	sim, hasText := jaccard(d.self.toks, c.toks)
	gap := float64(d.tRef - c.at)
	window := float64(int64(windowDays(d.rule)) * day)
	num := WeightDistance*(1-dist/d.rule.RadiusM) + WeightTime*(1-gap/window)
	den := WeightDistance + WeightTime
	if pl != placeUnknown {
		v := placeScore[pl]
		if !d.rule.SameStreet && pl != placeSame {
			// For area problems (lights on a circuit, graffiti, rodents) the
			// street is no evidence either way; only the same address is.
			v = areaNeutral
		}
		num += WeightPlace * v
		den += WeightPlace
	}
	if hasText {
		num += WeightText * sim
		den += WeightText
	}
	score := num / den
	if d.best == nil || better(score, dist, c, d.bestScore, d.bestDist, d.best) {
		d.keep(c)
		d.bestScore, d.bestDist, d.bestPlace, d.bestSim, d.bestText = score, dist, pl, sim, hasText
	}
}

func (d *decider) keep(c *item) {
	d.bestItem = *c
	d.best = &d.bestItem
}

// better orders candidates: higher score, nearer, earlier, smaller number.
func better(score, dist float64, c *item, bScore, bDist float64, b *item) bool {
	switch {
	case score != bScore:
		return score > bScore
	case dist != bDist:
		return dist < bDist
	case c.at != b.at:
		return c.at < b.at
	}
	return c.r.Number < b.r.Number
}

func (d *decider) decision(rootOf func(*item) string) Decision {
	r := d.self.r
	what := fmt.Sprintf("open %s request", r.ServiceCode)
	if d.rule.Group != "" {
		what = fmt.Sprintf("open request of the %s group", d.rule.Group)
	}
	if d.best == nil {
		return Decision{Reason: fmt.Sprintf("Not a duplicate: no %s within %s in the %d days before it.",
			what, meters(d.rule.RadiusM), windowDays(d.rule))}
	}
	b := d.best
	dec := Decision{
		Primary:     rootOf(b),
		Match:       b.r.Number,
		Score:       d.bestScore,
		DistanceM:   d.bestDist,
		Gap:         time.Duration(d.tRef - b.at),
		SameAddress: d.bestPlace == placeSame,
		SameStreet:  d.bestPlace >= placeFar,
		Similarity:  d.bestSim,
		HasText:     d.bestText,
		Considered:  d.considrd,
	}
	dec.Duplicate = dec.Score >= Threshold
	var why strings.Builder
	fmt.Fprintf(&why, "%s away, received %s earlier", meters(dec.DistanceM), human(dec.Gap))
	switch d.bestPlace {
	case placeSame:
		fmt.Fprintf(&why, ", same address (%s)", b.addr.String())
	case placeNear:
		fmt.Fprintf(&why, ", same street within %d house numbers (%s)", HouseSpan, b.addr.String())
	case placeSameStreet, placeFar:
		fmt.Fprintf(&why, ", same street (%s)", b.addr.Street())
	case placeOther:
		fmt.Fprintf(&why, ", on another street (%s)", b.addr.String())
	}
	if dec.HasText {
		fmt.Fprintf(&why, ", descriptions %.0f%% alike", 100*dec.Similarity)
	}
	via := ""
	if dec.Match != dec.Primary {
		via = fmt.Sprintf(" (through %s, itself a duplicate)", dec.Match)
	}
	if dec.Duplicate {
		dec.Reason = fmt.Sprintf("Duplicate of %s%s: %s; score %.2f >= %.2f.", dec.Primary, via, why.String(), dec.Score, Threshold)
	} else {
		dec.Reason = fmt.Sprintf("Not a duplicate: the best match, %s, is %s; score %.2f < %.2f.", dec.Match, why.String(), dec.Score, Threshold)
	}
	return dec
}

func meters(m float64) string {
	if m >= 1000 {
		return fmt.Sprintf("%.1f km", m/1000)
	}
	return fmt.Sprintf("%.0f m", m)
}

// human formats a duration for a sentence: "40 minutes", "3 hours", "2 days".
func human(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int64(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int64(d/time.Hour), "hour")
	}
	return plural(int64(d/(24*time.Hour)), "day")
}
