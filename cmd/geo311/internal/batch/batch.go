// Package batch routes streams of points: a CSV file or a GeoJSON
// FeatureCollection goes in, the same format comes out with the areas of
// every layer (and, for rows with a service code, the department and unit)
// added to each row.
//
// Memory is bounded whatever the input size: the input is decoded as it
// arrives, rows are grouped into chunks, a pool of workers (GOMAXPROCS by
// default) parses, routes and encodes the chunks in parallel, and a single
// writer emits the chunks in input order. At most a few chunks per worker are
// in flight.
//
// A bad row (missing or out-of-range coordinates, bad date, unknown service
// code, a point outside the jurisdiction) does not abort the batch: the error
// is reported inline on that row, with the same codes as the HTTP API. Input
// that cannot be read at all (no lat/lon columns, not a FeatureCollection) is
// an error returned before anything is written, so an HTTP handler can still
// answer 400. A syntax error in the middle of a GeoJSON stream ends the output
// with an "error" member on the FeatureCollection; in CSV, with a last row
// whose error columns say why the batch stopped.
package batch

import (
	"context"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geo311/geo311/data"
)

// RouteFunc routes one point; geo.Router.Route has this shape.
type RouteFunc func(lon, lat float64, at time.Time, serviceCode string) (data.Routing, error)

// Options configure a batch.
type Options struct {
	// Layers are the area columns (properties) added to each row, in order.
	Layers []data.Layer
	// Route routes one point. Required.
	Route RouteFunc
	// Location interprets dates and times given without a zone (the
	// jurisdiction's time zone). Nil means UTC.
	Location *time.Location
	// DefaultTime routes rows that give no time. Zero means the time the
	// batch started.
	DefaultTime time.Time
	// DefaultServiceCode is used for rows without a service code.
	DefaultServiceCode string
	// Workers is the number of routing goroutines; 0 means GOMAXPROCS.
	Workers int
	// ChunkSize is the number of rows routed together; 0 means 512.
	ChunkSize int
}

// Stats counts the rows of a batch.
type Stats struct {
	Rows   int // rows read
	Routed int // rows routed without error
	Failed int // rows answered with an inline error
}

func (s *Stats) add(o Stats) {
	s.Rows += o.Rows
	s.Routed += o.Routed
	s.Failed += o.Failed
}

func (o *Options) normalise() {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 512
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.DefaultTime.IsZero() {
		o.DefaultTime = time.Now()
	}
}

// ParseTime reads a request time: RFC 3339 ("2024-05-01T14:30:00-05:00"), a
// date ("2024-05-01", midnight in loc), or a local date and time without zone
// ("2024-05-01T14:30:00" or "2024-05-01 14:30:00", in loc; legacy Chicago 311
// exports write them so). Anything else is an ErrInvalid naming field.
func ParseTime(field, s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	if len(s) == len("2006-01-02") {
		if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
			return t, nil
		}
	} else if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range [...]string{"2006-01-02", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, data.Invalid(field, "%q is not a date: use RFC 3339 (2024-05-01T14:30:00-05:00) or YYYY-MM-DD", clip(s))
}

// CheckPoint validates a coordinate pair: finite, latitude in [-90, 90],
// longitude in [-180, 180].
func CheckPoint(lat, lon float64) error {
	if math.IsNaN(lat) || math.IsInf(lat, 0) || lat < -90 || lat > 90 {
		return data.Invalid("lat", "%v is not a latitude (between -90 and 90)", lat)
	}
	if math.IsNaN(lon) || math.IsInf(lon, 0) || lon < -180 || lon > 180 {
		return data.Invalid("lon", "%v is not a longitude (between -180 and 180)", lon)
	}
	return nil
}

// timeCache remembers the last time parsed: batch rows often repeat a date.
type timeCache struct {
	s   string
	t   time.Time
	err error
}

func (c *timeCache) parse(field, s string, loc *time.Location) (time.Time, error) {
	if c.s != s || c.s == "" {
		c.t, c.err = ParseTime(field, s, loc)
		c.s = s
	}
	return c.t, c.err
}

// parseCoord reads a decimal coordinate from text.
func parseCoord(field, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, data.Invalid(field, "missing")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, data.Invalid(field, "%q is not a number", clip(s))
	}
	return v, nil
}

// clip shortens caller input quoted in messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// chunk is a group of rows routed together by one worker.
type chunk[T any] struct {
	in    []T
	out   []byte
	stats Stats
	done  chan struct{}
}

// result is what the pipeline reports.
type result struct {
	stats     Stats
	started   bool  // begin ran: something was written
	decodeErr error // the input ended with an error (rows before it were written)
	writeErr  error // writing failed or ctx ended
}

// pipeline runs decode in one goroutine, process on workers, and writes the
// chunks' outputs to w in input order. begin runs before the first write (or
// at the end when there was no row and no decode error); sep is written
// between the outputs of two non-empty chunks.
func pipeline[T any](ctx context.Context, o *Options, w io.Writer,
	decode func(emit func(T) error) error,
	process func(in []T, out []byte, st *Stats) []byte,
	begin func(w io.Writer) error, sep []byte) result {

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := make(chan *chunk[T], 2*o.Workers)
	work := make(chan *chunk[T], 2*o.Workers)

	var res result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // decoder
		defer wg.Done()
		defer close(work)
		defer close(order)
		cur := &chunk[T]{in: make([]T, 0, o.ChunkSize), done: make(chan struct{})}
		sent := false
		send := func() error {
			sent = true
			select {
			case order <- cur:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case work <- cur:
			case <-ctx.Done():
				close(cur.done) // never processed; the writer is leaving anyway
				return ctx.Err()
			}
			cur = &chunk[T]{in: make([]T, 0, o.ChunkSize), done: make(chan struct{})}
			return nil
		}
		err := decode(func(t T) error {
			cur.in = append(cur.in, t)
			if len(cur.in) == o.ChunkSize {
				return send()
			}
			return nil
		})
		// Rows before a decode error are still answered, unless the whole
		// input fitted in the first chunk: then nothing is written and the
		// caller can reject the input as a whole (HTTP 400).
		if len(cur.in) > 0 && ctx.Err() == nil && (err == nil || sent) {
			send()
		}
		if ctx.Err() == nil {
			res.decodeErr = err
		}
	}()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.out = process(c.in, c.out[:0], &c.stats)
				close(c.done)
			}
		}()
	}

	start := func() error {
		if res.started {
			return nil
		}
		res.started = true
		return begin(w)
	}
	wrote := false
loop:
	for c := range order {
		select {
		case <-c.done:
		case <-ctx.Done():
			res.writeErr = ctx.Err()
			break loop
		}
		if err := ctx.Err(); err != nil {
			res.writeErr = err
			break
		}
		res.stats.add(c.stats)
		if len(c.out) == 0 {
			continue
		}
		if err := start(); err != nil {
			res.writeErr = err
			break
		}
		if wrote && len(sep) > 0 {
			if _, err := w.Write(sep); err != nil {
				res.writeErr = err
				break
			}
		}
		if _, err := w.Write(c.out); err != nil {
			res.writeErr = err
			break
		}
		wrote = true
	}
	cancel()
	for range order { // let the decoder leave
	}
	wg.Wait()
	if res.writeErr == nil && parent.Err() != nil {
		res.writeErr = parent.Err()
	}
	if res.writeErr == nil && !res.started && res.decodeErr == nil {
		res.writeErr = start()
	}
	return res
}
