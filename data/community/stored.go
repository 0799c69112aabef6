package community

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Starts rebuilds the start instants of stored meetings, which a store
// keeps as a wall clock (Meeting.Wall) and a zone name. It loads each zone
// once. The zero value is ready to use; it is not safe for concurrent use.
type Starts struct {
	zones map[string]*time.Location
}

// Start returns the instant of wall clock wall in the zone named tz.
func (s *Starts) Start(wall, tz string) (time.Time, error) {
	loc, ok := s.zones[tz]
	if !ok {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			return time.Time{}, fmt.Errorf("zone: %w", err)
		}
		if s.zones == nil {
			s.zones = map[string]*time.Location{}
		}
		s.zones[tz] = loc
	}
	return ParseWall(wall, loc)
}

// SortMeetings orders meetings by start instant (wall clocks of different
// zones do not order), then by ID: the order stores return them in.
func SortMeetings(ms []Meeting) {
	slices.SortFunc(ms, func(a, b Meeting) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
}
