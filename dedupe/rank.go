package dedupe

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Ranked is one open request offered to a resident for "me too".
type Ranked struct {
	Request   *data.Request
	DistanceM float64
	Age       time.Duration // now - RequestedAt
	// Supporters is DuplicateCount + MeToo + 1 (the request itself).
	Supporters int
	Score      float64
}

// Rank weights: nearness matters most, then recency, then how many people
// already stand behind a request (log-scaled, saturating at 20).
const (
	rankDistance   = 0.55
	rankRecency    = 0.25
	rankSupporters = 0.20
)

// Rank orders candidates for a resident at (lat, lon) about to file a
// request of serviceCode, so they can add themselves to an existing one
// instead. It keeps open primaries (duplicates are represented by their
// primary), of serviceCode or, when rule.Group is set, of any code the
// caller passed (the caller restricts candidates to the group), received
// within rule.WindowDays and at most rule.RadiusM away. Order: score
// descending, then distance, then number. Invalid coordinates or a rule
// with no radius give nil.
func Rank(lat, lon float64, serviceCode string, rule data.DedupeRule, candidates []*data.Request, now time.Time) []Ranked {
	if checkPoint(lat, lon) != nil || !(rule.RadiusM > 0) || math.IsInf(rule.RadiusM, 0) {
		return nil
	}
	nr := newNear(lat, lon, rule.RadiusM)
	window := time.Duration(windowDays(rule)) * 24 * time.Hour
	var out []Ranked
	for _, c := range candidates {
		if c == nil || c.Number == "" || c.Duplicate || c.State.Closed() ||
			(!c.ClosedAt.IsZero() && !c.ClosedAt.After(now)) {
			continue
		}
		if rule.Group == "" && c.ServiceCode != serviceCode {
			continue
		}
		age := now.Sub(c.RequestedAt)
		if age > window {
			continue
		}
		if age < 0 {
			age = 0
		}
		if !nr.ok(c.Lat, c.Lon) {
			continue
		}
		dist := Haversine(lat, lon, c.Lat, c.Lon)
		if dist > rule.RadiusM {
			continue
		}
		sup := 1 + max(c.DuplicateCount, 0) + max(c.MeToo, 0)
		score := rankDistance*(1-dist/rule.RadiusM) +
			rankRecency*(1-float64(age)/float64(window)) +
			rankSupporters*math.Min(1, math.Log(float64(sup))/math.Log(20))
		out = append(out, Ranked{Request: c, DistanceM: dist, Age: age, Supporters: sup, Score: score})
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		switch {
		case a.Score != b.Score:
			if a.Score > b.Score {
				return -1
			}
			return 1
		case a.DistanceM != b.DistanceM:
			if a.DistanceM < b.DistanceM {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Request.Number, b.Request.Number)
	})
	return out
}
