package data

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestCheckStorable(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ok := func() *Request {
		return &Request{Number: "SR26-00000001", Kind: KindServiceRequest, State: StateNew, RequestedAt: at, Lon: -87.6, Lat: 41.8}
	}
	for _, tc := range []struct {
		name  string
		edit  func(r *Request)
		field string // "" = storable
	}{
		{"valid", func(r *Request) {}, ""},
		{"concern", func(r *Request) { r.Kind, r.State = KindCommunityConcern, StateAccepted }, ""},
		{"no kind", func(r *Request) { r.Kind = "" }, "kind"},
		{"bad state", func(r *Request) { r.State = "open" }, "state"},
		{"no time", func(r *Request) { r.RequestedAt = time.Time{} }, "requested_datetime"},
		{"year before numbers", func(r *Request) { r.RequestedAt = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }, "requested_datetime"},
		{"closed in year 10000", func(r *Request) { r.ClosedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "datetime"},
		{"NaN latitude", func(r *Request) { r.Lat = math.NaN() }, "lat"},
		{"infinite longitude", func(r *Request) { r.Lon = math.Inf(-1) }, "lat"},
	} {
		r := ok()
		tc.edit(r)
		err := CheckStorable(r)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || ErrorField(err) != tc.field {
			t.Errorf("%s: %v, want ErrInvalid naming %q", tc.name, err, tc.field)
		}
	}
	if err := CheckStorable(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil request: %v", err)
	}
	r := ok()
	if err := CheckImport(r); err != nil {
		t.Errorf("import of %s: %v", r.Number, err)
	}
	r.Number = "not a number"
	if err := CheckImport(r); !errors.Is(err, ErrInvalid) {
		t.Errorf("import without a tracking number: %v", err)
	}
}
