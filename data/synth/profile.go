package synth

import (
	"strings"

	"github.com/geo311/geo311/data"
)

// category is a family of service types sharing a share of the volume and
// the same temporal and spatial behaviour.
type category struct {
	name  string
	share float64 // of all requests, before renormalising over the categories present
	// match reports whether a service type belongs here (after the police
	// check); words are matched in the lower-cased name, code, group and
	// keywords.
	words []string
	not   []string
	// Seasonal cycle: 1 + amp·cos(2π(day-peak)/365.25), day of year from 0.
	peakDay float64
	amp     float64
	// Weekend multiplier for Saturday (Sunday is 0.9 of it).
	weekend float64
	// evening: reports peak after dark (street lights, police concerns)
	// rather than in working hours.
	evening bool
	// dupRate: share of requests re-reported near an open one of the same
	// type (before Config.DuplicateScale).
	dupRate float64
	// sigmaM: Gaussian spread of a hot spot, metres.
	sigmaM float64
	// description phrases.
	phrases []string
}

// categories and their shares. The shares follow the City of Chicago's 311
// volume by type (portal dataset v6vf-nfxy, 2019-2023, information-only
// calls left out) rounded, and the duplicate rates the "- Dup" share of the
// legacy per-type datasets (the nine sample files: street lights 63 % in a
// sample that over-represents outages, abandoned vehicles 21 %, graffiti
// 22 %, tree trims 20 %, garbage carts 16 %, potholes 14 %, sanitation 5 %,
// tree debris 5 %, rodents 3 %), tempered where the sample is biased.
var categories = []category{
	{name: "police", share: 0.03, peakDay: 200, amp: 0.15, weekend: 1.0, evening: true, dupRate: 0.03, sigmaM: 150,
		phrases: []string{"Loitering and drug sales on the corner", "Speeding cars every evening", "Loud parties late at night"}},
	{name: "pothole", share: 0.10, words: []string{"pothole", "pot hole"}, peakDay: 75, amp: 0.8, weekend: 0.6, dupRate: 0.14, sigmaM: 150,
		phrases: []string{"Deep pothole in the curb lane", "Several potholes across the lane", "Pothole at the crosswalk"}},
	{name: "graffiti", share: 0.09, words: []string{"graffiti"}, peakDay: 200, amp: 0.25, weekend: 0.55, dupRate: 0.2, sigmaM: 180,
		phrases: []string{"Graffiti on garage door", "Tags on the viaduct wall", "Graffiti on a mailbox"}},
	{name: "streetlight", share: 0.11, words: []string{"light"}, not: []string{"traffic"}, peakDay: 350, amp: 0.3, weekend: 0.75, evening: true, dupRate: 0.3, sigmaM: 120,
		phrases: []string{"Street light out", "Whole block dark", "Alley light flickering"}},
	{name: "rodent", share: 0.08, words: []string{"rodent", "rat "}, peakDay: 190, amp: 0.6, weekend: 0.6, dupRate: 0.05, sigmaM: 250,
		phrases: []string{"Rats in the alley", "Rat burrows in the yard", "Rats near the garbage carts"}},
	{name: "cart", share: 0.07, words: []string{"cart"}, peakDay: 180, amp: 0.05, weekend: 0.5, dupRate: 0.12, sigmaM: 250,
		phrases: []string{"Garbage cart lid broken", "Cart missing after pickup", "Need a new cart"}},
	{name: "tree", share: 0.08, words: []string{"tree"}, peakDay: 180, amp: 0.5, weekend: 0.6, dupRate: 0.1, sigmaM: 200,
		phrases: []string{"Branches over the sidewalk", "Fallen limb on parkway", "Tree needs trimming"}},
	{name: "vehicle", share: 0.06, words: []string{"vehicle"}, peakDay: 240, amp: 0.1, weekend: 0.7, dupRate: 0.18, sigmaM: 180,
		phrases: []string{"Car parked for weeks", "Vehicle with flat tyres not moved", "Car without plates"}},
	{name: "sanitation", share: 0.09, words: []string{"sanitation", "dumping", "garbage", "weed", "street clean", "debris"}, peakDay: 200, amp: 0.35, weekend: 0.6, dupRate: 0.06, sigmaM: 200,
		phrases: []string{"Garbage overflowing in the alley", "Mattresses dumped in the alley", "Overgrown weeds on vacant lot"}},
	{name: "other", share: 0.29, peakDay: 180, amp: 0.1, weekend: 0.6, dupRate: 0.05, sigmaM: 250,
		phrases: []string{"Please inspect", "Problem reported by resident", "Needs attention"}},
}

// Hourly weights (local time), working-hours and evening profiles.
var (
	dayHours = [24]float64{0.3, 0.2, 0.15, 0.12, 0.15, 0.3, 0.8, 1.6, 2.6, 3.0, 3.1, 3.0,
		2.8, 2.8, 2.7, 2.5, 2.2, 1.9, 1.6, 1.4, 1.2, 1.0, 0.7, 0.5}
	eveningHours = [24]float64{1.2, 0.9, 0.6, 0.4, 0.3, 0.3, 0.5, 0.9, 1.3, 1.5, 1.5, 1.5,
		1.5, 1.5, 1.5, 1.6, 1.8, 2.2, 2.6, 2.8, 2.8, 2.6, 2.1, 1.6}
	// weekday multipliers, Sunday first; Saturday and Sunday are replaced
	// by the category's weekend factor.
	weekdays = [7]float64{0, 1.15, 1.1, 1.05, 1.0, 0.95, 0}
)

// origins of requests, with shares (Chicago: phone, web, mobile app, Open311
// partners, and city staff such as spot checkers).
var originShares = []struct {
	o     data.Origin
	share float64
}{
	{data.OriginPhone, 0.40}, {data.OriginWeb, 0.20}, {data.OriginMobile, 0.18},
	{data.OriginOpen311, 0.04}, {data.OriginStaff, 0.18},
}

// categoryOf returns the index of the category of a service type.
func categoryOf(st *data.ServiceType) int {
	if st.Police || st.Kind == data.KindCommunityConcern {
		return 0
	}
	text := strings.ToLower(st.Name + " " + st.Code + " " + st.Group + " " + strings.Join(st.Keywords, " ") + " ")
	for i := 1; i < len(categories)-1; i++ {
		c := &categories[i]
		hit := false
		for _, w := range c.words {
			if strings.Contains(text, w) {
				hit = true
				break
			}
		}
		for _, w := range c.not {
			if strings.Contains(text, w) {
				hit = false
			}
		}
		if hit {
			return i
		}
	}
	return len(categories) - 1
}

// Shares returns the share of requests each service type of j gets by
// default (service code to share, summing to 1): each category's share,
// renormalised over the categories j has, split equally among its types.
// Emergency types (refused by 311) get none.
func Shares(j *data.Jurisdiction) map[string]float64 {
	members := make([][]string, len(categories))
	for i := range j.Services {
		st := &j.Services[i]
		if st.Emergency {
			continue
		}
		c := categoryOf(st)
		members[c] = append(members[c], st.Code)
	}
	total := 0.0
	for c, m := range members {
		if len(m) > 0 {
			total += categories[c].share
		}
	}
	out := map[string]float64{}
	for c, m := range members {
		for _, code := range m {
			out[code] += categories[c].share / total / float64(len(m))
		}
	}
	return out
}
