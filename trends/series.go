package trends

import (
	"time"

	"github.com/geo311/geo311/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	h3 "github.com/uber/h3-go/v4"
)

// Interval is a series' bin width.
type Interval uint8

// Intervals. Weeks start on Monday (ISO 8601); months are calendar months;
// all in the cube's time zone.
const (
	Day Interval = iota
	Week
	Month
)

func (iv Interval) String() string {
	switch iv {
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return "day"
}

// ParseInterval reads "day", "week" or "month".
func ParseInterval(s string) (Interval, error) {
	switch s {
	case "day":
		return Day, nil
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, data.Invalid("interval", "%q is not an interval (day, week, month)", s)
}

// weekOf returns the Monday-start week number of a day number (day 0,
// 1970-01-01, was a Thursday; week 0 starts on Monday 1969-12-29).
func weekOf(d int32) int32 { return int32(floorDiv(int64(d)+3, 7)) }

// weekStartDay is the day number of the Monday starting week w.
func weekStartDay(w int32) int32 { return w*7 - 3 }

func monthOf(d int32) int32 {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return int32(t.Year())*12 + int32(t.Month()) - 1
}

func monthStartDay(m int32) int32 {
	return int32(time.Date(int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// binOf maps a day number to its bin number.
func binOf(iv Interval, d int32) int32 {
	switch iv {
	case Week:
		return weekOf(d)
	case Month:
		return monthOf(d)
	}
	return d
}

func binStartDay(iv Interval, b int32) int32 {
	switch iv {
	case Week:
		return weekStartDay(b)
	case Month:
		return monthStartDay(b)
	}
	return b
}

// maxBins bounds a series' length.
const maxBins = 100000

// SeriesQuery asks for counts over time in an area.
type SeriesQuery struct {
	Area
	// From, To: the window [From, To); both required. Bins are whole local
	// days, weeks or months: the first bin starts at the start of the bin
	// holding From, the last holds To's last instant.
	From, To   time.Time
	Types      []string
	Event      Event
	Duplicates bool
	Interval   Interval
}

// SeriesPoint is one bin of a series.
type SeriesPoint struct {
	Start time.Time `json:"start"`
	Count int64     `json:"count"`
}

// Series counts requests per bin, zero bins included.
func (c *Cube) Series(q SeriesQuery) ([]SeriesPoint, error) {
	if q.From.IsZero() || q.To.IsZero() {
		return nil, data.Invalid("from", "a series needs from and to")
	}
	if !q.From.Before(q.To) {
		return nil, data.Invalid("from", "from must be before to")
	}
	if q.Interval > Month {
		return nil, data.Invalid("interval", "unknown interval %d", q.Interval)
	}
	first := binOf(q.Interval, dayOf(q.From, c.loc))
	last := binOf(q.Interval, dayOf(q.To.Add(-time.Nanosecond), c.loc))
	if int64(last)-int64(first)+1 > maxBins {
		return nil, data.Invalid("to", "the window has more than %d %ss", maxBins, q.Interval)
	}
	out := make([]SeriesPoint, last-first+1)
	for b := first; b <= last; b++ {
		out[b-first].Start = dayStart(binStartDay(q.Interval, b), c.loc)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	f, err := c.filterLocked(q.Types, q.Event, q.Duplicates)
	if err != nil {
		return nil, err
	}
	mask, err := c.maskLocked(q.Area)
	if err != nil {
		return nil, err
	}
	// Only days of [From, To) (widened to whole days) count: bins at the
	// edges hold the part of the window they overlap.
	lo, hi, ok, _ := c.dayRangeLocked(q.From, q.To)
	if !ok {
		return out, nil
	}
	c.scanLocked(lo, hi, f, mask, func(day int32, _ uint32, n int32) {
		out[binOf(q.Interval, day)-first].Count += int64(n)
	})
	return out, nil
}

// CellPolygon returns a cell's boundary as a closed GeoJSON-ordered
// (lon, lat) polygon ring.
func CellPolygon(c Cell) orb.Polygon {
	b := h3.Cell(c).Boundary()
	ring := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		ring = append(ring, orb.Point{ll.Lng, ll.Lat})
	}
	if len(ring) > 0 {
		ring = append(ring, ring[0])
	}
	return orb.Polygon{ring}
}

// HeatmapGeoJSON turns heatmap cells into a FeatureCollection of cell
// polygons with properties cell (H3 string), resolution and count.
func HeatmapGeoJSON(cells []CellCount) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, cc := range cells {
		f := geojson.NewFeature(CellPolygon(cc.Cell))
		f.ID = cc.Cell.String()
		f.Properties["cell"] = cc.Cell.String()
		f.Properties["resolution"] = cc.Cell.Resolution()
		f.Properties["count"] = cc.Count
		fc.Append(f)
	}
	return fc
}
