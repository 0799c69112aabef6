package storetest

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Fixture places: a few points in Chicago's Loop, with their real H3 cells at
// data.H3Resolution (the store treats the cell as an opaque number).
const (
	loopLon, loopLat = -87.6298, 41.8781
	loopCell         = uint64(0x892664c1a8fffff)
	otherCell        = uint64(0x892664c1a93ffff)
)

// metresNorth returns the latitude d metres north of lat (spherical earth,
// mean radius): fixtures place points well inside or outside a radius, so
// the earth model of a store does not matter.
func metresNorth(lat, d float64) float64 { return lat + d/6371008.8*180/math.Pi }

// fullRequest is a request with every field set to an awkward value: the
// round-trip fixture. Times carry microseconds and odd zones.
func fullRequest(kind data.Kind, at time.Time) *data.Request {
	return &data.Request{
		Jurisdiction: "chicago",
		Kind:         kind,
		ServiceCode:  "PHF",
		ServiceName:  "Pothole in Street — \"urgent\" 'now'",
		State:        data.StateAssigned,
		Description:  "Deep hole\nnear the curb\t(3 ft) Łódź 北京 🚧 \\ % _ '; DROP TABLE requests; --",
		Lon:          next(loopLon),
		Lat:          loopLat,
		Address:      "121 N LaSalle St",
		AddressID:    "addr-0001",
		ZIP:          "60602",
		H3:           loopCell,
		Areas: []data.AreaRef{
			{Layer: data.LayerBeat, ID: "0122", Name: "Beat 0122", Generation: "beat@2012-12-19"},
			{Layer: data.LayerDistrict, ID: "01", Generation: "district@2012-12-19"},
			{Layer: data.LayerWard, ID: "42", Name: "Ward 42", Generation: "ward@2023-05-15"},
		},
		Department:     "CDOT",
		Unit:           "Street Operations, District 01",
		AssignedTo:     "Sgt. J. Ruiz #1234",
		Origin:         data.OriginOpen311,
		RequestedAt:    at,
		UpdatedAt:      at.Add(36*time.Hour + 7*time.Microsecond),
		AcceptedAt:     at.Add(time.Hour + time.Microsecond).In(plus5),
		AssignedAt:     at.Add(2*time.Hour + 2*time.Microsecond).In(cdt),
		CompletedAt:    time.Time{},
		ClosedAt:       time.Time{},
		SLADays:        7,
		ExtensionDays:  15,
		Extensions:     1,
		Reassignments:  2,
		Duplicate:      false,
		ParentNumber:   "",
		DuplicateCount: 3,
		MeToo:          11,
		MediaURL:       "https://example.org/media/p1.jpg?x=1&y=2",
		Attributes: map[string][]string{
			"DEPTH":  {"3"},
			"WHERE":  {"curb", "lane", "curb"},
			"EMPTY":  {""},
			"ü-code": {"北京"},
		},
		Contact: data.Contact{
			FirstName: "Ann", LastName: "O'Neil", Email: "ann@example.org",
			Phone: "+1 312 555 0100", DeviceID: "dev-1", AccountID: "acct-1",
		},
		PINHash:       []byte("pbkdf2-sha256$1000$c2FsdA$a2V5\x00\xff"),
		PoliceRelated: true,
		Legacy:        true,
		RecordedAreas: []data.AreaRef{
			{Layer: data.LayerBeat, ID: "0123", Generation: "beat@2012-12-19"},
			{Layer: "custom_zone", ID: "Z 9", Name: "Zone 9"},
		},
		Disposition: "",
	}
}

// simpleRequest is a minimal valid service request of a code at a time.
func simpleRequest(code string, at time.Time) *data.Request {
	return &data.Request{
		Jurisdiction: "chicago",
		Kind:         data.KindServiceRequest,
		ServiceCode:  code,
		ServiceName:  "Type " + code,
		State:        data.StateNew,
		Lon:          loopLon,
		Lat:          loopLat,
		H3:           loopCell,
		Origin:       data.OriginWeb,
		RequestedAt:  at,
		SLADays:      7,
	}
}

// cloneRequest deep-copies r, so fixtures compared later cannot be changed
// through the store.
func cloneRequest(r *data.Request) *data.Request {
	c := *r
	c.Areas = slices.Clone(r.Areas)
	c.RecordedAreas = slices.Clone(r.RecordedAreas)
	c.PINHash = slices.Clone(r.PINHash)
	if r.Attributes != nil {
		c.Attributes = make(map[string][]string, len(r.Attributes))
		for k, v := range r.Attributes {
			c.Attributes[k] = slices.Clone(v)
		}
	}
	return &c
}

var timeType = reflect.TypeFor[time.Time]()

// diffRequest describes how got differs from want under the store
// contract, or returns "": every field compared; times as instants (a zero
// time must stay zero); nil and empty slices and maps alike; floats
// bit-exact.
func diffRequest(got, want *data.Request) string {
	if got == nil {
		return "request is nil"
	}
	var d []string
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < wv.NumField(); i++ {
		name := wv.Type().Field(i).Name
		if s := diffValue(gv.Field(i), wv.Field(i)); s != "" {
			d = append(d, name+": "+s)
		}
	}
	return strings.Join(d, "; ")
}

func diffValue(g, w reflect.Value) string {
	switch {
	case w.Type() == timeType:
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		if gt.IsZero() != wt.IsZero() || !gt.Equal(wt) {
			return fmt.Sprintf("%s, want %s", fmtTime(gt), fmtTime(wt))
		}
	case w.Kind() == reflect.Float64:
		if math.Float64bits(g.Float()) != math.Float64bits(w.Float()) {
			return fmt.Sprintf("%v, want %v (not bit-exact)", g.Float(), w.Float())
		}
	case w.Kind() == reflect.Slice || w.Kind() == reflect.Map:
		if g.Len() == 0 && w.Len() == 0 {
			return ""
		}
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			return fmt.Sprintf("%#v, want %#v", g.Interface(), w.Interface())
		}
	default:
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			return fmt.Sprintf("%#v, want %#v", g.Interface(), w.Interface())
		}
	}
	return ""
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "zero time"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// DiffRequest describes how got differs from want under the store contract
// (every field; times as instants, zero staying zero; nil and empty slices
// and maps alike; coordinates bit-exact), or returns "" when they are equal.
func DiffRequest(got, want *data.Request) string {
	if want == nil {
		if got != nil {
			return "got a request, want nil"
		}
		return ""
	}
	return diffRequest(got, want)
}

// diffNote compares a stored note with the one given, ignoring ID.
func diffNote(got, want data.Note) string {
	var d []string
	if !got.At.Equal(want.At) {
		d = append(d, fmt.Sprintf("At = %s, want %s", fmtTime(got.At), fmtTime(want.At)))
	}
	if got.Actor != want.Actor || got.Event != want.Event || got.Text != want.Text ||
		got.Reason != want.Reason || got.Internal != want.Internal {
		d = append(d, fmt.Sprintf("%+v, want %+v", got, want))
	}
	return strings.Join(d, "; ")
}
