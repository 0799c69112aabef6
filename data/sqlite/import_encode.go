package sqlite

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/geo311/geo311/data"
)

// encode encodes r for the import's insert statement, as encodeRequest
// does (TestImportEncode compares them column by column), without its
// slice of interfaces: the values go into c.vals and the texts straight
// into c.bytes (the areas' JSON and the instants are written there, not
// made strings first), which was most of an imported row's allocations
// and two thirds of its encoding CPU.
func (c *encodedChunk) encode(r *data.Request) (importRow, error) {
	const ncols = 48
	if len(requestColumns) != ncols {
		return importRow{}, fmt.Errorf("the import encodes %d columns, requests has %d", ncols, len(requestColumns))
	}
	if len(c.vals)+ncols > cap(c.vals) {
		c.vals = make([]importVal, 0, max(2*cap(c.vals), 16*ncols))
	}
	e := rowEncoder{c: c, row: importRow{number: r.Number, requested: r.RequestedAt}, start: len(c.vals)}
	e.text(r.Number)
	e.text(r.Jurisdiction)
	e.text(string(r.Kind))
	e.text(r.ServiceCode)
	e.text(r.ServiceName)
	e.text(string(r.State))
	e.bool(r.State.Closed())
	e.text(r.Description)
	e.float(r.Lon)
	e.float(r.Lat)
	e.text(r.Address)
	e.text(r.AddressID)
	e.text(r.ZIP)
	e.int(int64(r.H3))
	if err := e.areas(r.Areas); err != nil {
		return importRow{}, fmt.Errorf("%s: %w", r.Number, data.Invalid("request", "areas: %v", err))
	}
	e.text(r.Department)
	e.text(r.Unit)
	e.text(r.AssignedTo)
	e.text(string(r.Origin))
	e.time(r.RequestedAt)
	if r.UpdatedAt.IsZero() {
		e.time(r.RequestedAt)
	} else {
		e.time(r.UpdatedAt)
	}
	for _, t := range [...]time.Time{r.AcceptedAt, r.AssignedAt, r.CompletedAt, r.ClosedAt} {
		if t.IsZero() {
			e.null()
		} else {
			e.time(t)
		}
	}
	e.int(int64(r.SLADays))
	e.int(int64(r.ExtensionDays))
	e.int(int64(r.Extensions))
	e.int(int64(r.Reassignments))
	e.bool(r.Duplicate)
	e.text(r.ParentNumber)
	e.int(int64(r.DuplicateCount))
	e.int(int64(r.MeToo))
	e.text(r.MediaURL)
	if len(r.Attributes) == 0 {
		e.text("{}")
	} else if err := e.json(r.Attributes); err != nil {
		return importRow{}, fmt.Errorf("%s: %w", r.Number, data.Invalid("request", "attributes: %v", err))
	}
	if r.Contact.Empty() {
		e.text("{}")
	} else if err := e.json(r.Contact); err != nil {
		return importRow{}, fmt.Errorf("%s: %w", r.Number, data.Invalid("request", "contact: %v", err))
	}
	if len(r.PINHash) > 0 {
		e.blob(r.PINHash)
	} else {
		e.null()
	}
	e.bool(r.PoliceRelated)
	e.bool(r.Legacy)
	if err := e.areas(r.RecordedAreas); err != nil {
		return importRow{}, fmt.Errorf("%s: %w", r.Number, data.Invalid("request", "recorded areas: %v", err))
	}
	e.text(r.Disposition)
	cols, custom := layerColumns(r)
	for i, id := range cols {
		e.text(id)
		if id != "" {
			e.row.layers |= 1 << i
		}
	}
	e.row.irregular = irregularSector(cols)
	e.int(zKey(r.Lon, r.Lat))
	if e.err != nil {
		return importRow{}, fmt.Errorf("%s: %w", r.Number, data.Invalid("request", "%v", e.err))
	}
	e.row.custom = custom
	e.row.vals = c.vals[e.start:len(c.vals):len(c.vals)]
	return e.row, nil
}

// rowEncoder appends one row's values to a chunk.
type rowEncoder struct {
	c     *encodedChunk
	row   importRow
	start int   // the row's first value in c.vals
	err   error // a text too long
}

// col is the index of the next column.
func (e *rowEncoder) col() int { return len(e.c.vals) - e.start }

func (e *rowEncoder) null() {
	e.row.blank[0] |= 1 << e.col()
	e.c.vals = append(e.c.vals, importVal{typ: valNull})
}

func (e *rowEncoder) int(n int64) {
	if n == 0 {
		e.row.blank[4] |= 1 << e.col()
	}
	e.c.vals = append(e.c.vals, importVal{typ: valInt, v: n})
}

func (e *rowEncoder) bool(b bool) {
	if b {
		e.int(1)
	} else {
		e.int(0)
	}
}

func (e *rowEncoder) float(f float64) {
	e.c.vals = append(e.c.vals, importVal{typ: valFloat, v: int64(math.Float64bits(f))})
}

// text appends s; blank records it if it is one of blankKinds' texts.
func (e *rowEncoder) text(s string) {
	switch s {
	case "":
		e.row.blank[1] |= 1 << e.col()
	case "[]":
		e.row.blank[2] |= 1 << e.col()
	case "{}":
		e.row.blank[3] |= 1 << e.col()
	}
	start := len(e.c.bytes)
	e.c.bytes = append(e.c.bytes, s...)
	e.end(valText, start)
}

func (e *rowEncoder) blob(b []byte) {
	start := len(e.c.bytes)
	e.c.bytes = append(e.c.bytes, b...)
	e.end(valBlob, start)
}

// end appends the value of type typ whose bytes were appended from start.
func (e *rowEncoder) end(typ int32, start int) {
	n := len(e.c.bytes) - start
	if n > math.MaxInt32 && e.err == nil {
		e.err = fmt.Errorf("column %s: %d bytes", requestColumns[e.col()], n)
	}
	e.c.vals = append(e.c.vals, importVal{typ: typ, n: int32(n), v: int64(start)})
}

// time appends an instant as formatTime writes it.
func (e *rowEncoder) time(t time.Time) {
	start := len(e.c.bytes)
	e.c.bytes = appendTime(e.c.bytes, t)
	e.end(valText, start)
}

func (e *rowEncoder) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	e.text(string(b))
	return nil
}

// areas appends area references as encodeAreas writes them: the areas of
// plain text straight into the bytes, any other through encodeAreas.
func (e *rowEncoder) areas(as []data.AreaRef) error {
	if len(as) == 0 {
		e.text("[]")
		return nil
	}
	for _, a := range as {
		if !plainJSON(string(a.Layer)) || !plainJSON(a.ID) || !plainJSON(a.Name) || !plainJSON(a.Generation) {
			s, err := encodeAreas(as)
			if err != nil {
				return err
			}
			e.text(s)
			return nil
		}
	}
	start := len(e.c.bytes)
	e.c.bytes = appendPlainAreas(e.c.bytes, as)
	e.end(valText, start)
	return nil
}

// appendTime appends t as formatTime formats it.
func appendTime(b []byte, t time.Time) []byte {
	u := t.UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 {
		return append(b, formatTime(t)...)
	}
	hour, minute, sec := u.Clock()
	at := len(b)
	b = append(b, "0000-00-00T00:00:00.000000000Z"...)
	put := func(off, width, n int) {
		for i := at + off + width - 1; i >= at+off; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, 4, year)
	put(5, 2, int(month))
	put(8, 2, day)
	put(11, 2, hour)
	put(14, 2, minute)
	put(17, 2, sec)
	put(20, 9, u.Nanosecond())
	return b
}
