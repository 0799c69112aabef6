package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// testRequestStatusEveryState: the Open311 status is derived from the
// state (closed and not_accepted are "closed", the others "open"), and a
// status filter finds a request in every state under its status, alone,
// with the type and time window, and with cells (the dedupe candidates'
// shape), whatever index the store answers it from.
func testRequestStatusEveryState(t *testing.T, s data.Store) {
	at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	byState := map[data.State]string{}
	for i, st := range []data.State{data.StateNew, data.StateAccepted, data.StateNotAccepted, data.StateAssigned, data.StateCompleted, data.StateClosed} {
		r := simpleRequest("PHF", at.Add(time.Duration(i)*time.Hour))
		r.State = st
		switch st {
		case data.StateAccepted:
			r.Kind, r.ServiceCode, r.AcceptedAt = data.KindCommunityConcern, "CCPOL", r.RequestedAt.Add(time.Minute)
		case data.StateNotAccepted:
			r.Kind, r.ServiceCode, r.ClosedAt = data.KindCommunityConcern, "CCPOL", r.RequestedAt.Add(time.Minute)
		case data.StateAssigned:
			r.AssignedAt = r.RequestedAt.Add(time.Minute)
		case data.StateCompleted:
			r.AssignedAt, r.CompletedAt = r.RequestedAt.Add(time.Minute), r.RequestedAt.Add(2*time.Minute)
		case data.StateClosed:
			r.ClosedAt = r.RequestedAt.Add(time.Minute)
		}
		byState[st] = mustCreateRequest(t, s, data.Intake{Request: r}).Number
	}
	want := func(states ...data.State) []string {
		var ns []string
		for _, st := range states {
			ns = append(ns, byState[st])
		}
		slices.Sort(ns)
		return ns
	}
	open := want(data.StateNew, data.StateAccepted, data.StateAssigned, data.StateCompleted)
	closed := want(data.StateNotAccepted, data.StateClosed)
	window := data.RequestFilter{From: at, To: at.Add(24 * time.Hour)}
	for _, tc := range []struct {
		name string
		f    data.RequestFilter
		want []string
	}{
		{"open", data.RequestFilter{Status: "open"}, open},
		{"closed", data.RequestFilter{Status: "closed"}, closed},
		{"open in window", data.RequestFilter{Status: "open", From: window.From, To: window.To}, open},
		{"closed in window", data.RequestFilter{Status: "closed", From: window.From, To: window.To}, closed},
		{"open concerns", data.RequestFilter{Status: "open", ServiceCodes: []string{"CCPOL"}}, want(data.StateAccepted)},
		{"closed concerns", data.RequestFilter{Status: "closed", ServiceCodes: []string{"CCPOL"}}, want(data.StateNotAccepted)},
		{"open in cells since", data.RequestFilter{Status: "open", Cells: []uint64{loopCell}, From: at}, open},
		{"closed in cells since", data.RequestFilter{Status: "closed", Cells: []uint64{loopCell}, From: at}, closed},
		{"open, ascending, limit", data.RequestFilter{Status: "open", Ascending: true, Limit: 2}, []string{byState[data.StateNew], byState[data.StateAccepted]}},
	} {
		got := numbers(mustRequests(t, s, tc.f))
		if tc.f.Limit == 0 {
			slices.Sort(got)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if tc.f.Limit == 0 {
			if n := mustCount(t, s, tc.f); n != len(tc.want) {
				t.Errorf("%s: counted %d, want %d", tc.name, n, len(tc.want))
			}
		}
	}
	for st, n := range byState {
		r, err := s.Request(t.Context(), n)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != st {
			t.Errorf("%s stored as %s", st, r.State)
		}
	}
}

// testRequestCustomAreas: areas of layers without a column of their own
// (a city's snow routes, say) filter beside the well-known ones, alone and
// combined, and follow a re-routing through UpdateRequest.
func testRequestCustomAreas(t *testing.T, s data.Store) {
	at := time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)
	mk := func(i int, areas ...data.AreaRef) string {
		r := simpleRequest("PHF", at.Add(time.Duration(i)*time.Minute))
		r.Areas = areas
		return mustCreateRequest(t, s, data.Intake{Request: r}).Number
	}
	beat := func(id string) data.AreaRef {
		return data.AreaRef{Layer: data.LayerBeat, ID: id, Generation: "beat@2012-12-19"}
	}
	snow := func(id string) data.AreaRef {
		return data.AreaRef{Layer: "snow_route", ID: id, Generation: "snow_route@2024-11-01"}
	}
	a := mk(0, beat("0122"), snow("S1"), data.AreaRef{Layer: data.LayerWard, ID: "42", Generation: "ward@2023-05-15"})
	b := mk(1, beat("0122"), snow("S2"))
	c := mk(2, snow("S1"))
	d := mk(3, beat("0123"))
	area := func(l data.Layer, id string) data.AreaRef { return data.AreaRef{Layer: l, ID: id} }
	check := func(when string, cases []struct {
		name  string
		areas []data.AreaRef
		want  []string
	}) {
		t.Helper()
		for _, tc := range cases {
			f := data.RequestFilter{Areas: tc.areas}
			got := numbers(mustRequests(t, s, f))
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %s: %v, want %v", when, tc.name, got, want)
			}
			if n := mustCount(t, s, f); n != len(want) {
				t.Errorf("%s, %s: counted %d, want %d", when, tc.name, n, len(want))
			}
		}
	}
	type tcase = struct {
		name  string
		areas []data.AreaRef
		want  []string
	}
	check("stored", []tcase{
		{"custom", []data.AreaRef{area("snow_route", "S1")}, []string{a, c}},
		{"other custom id", []data.AreaRef{area("snow_route", "S2")}, []string{b}},
		{"custom id of another layer", []data.AreaRef{area("salt_route", "S1")}, nil},
		{"well-known id under a custom layer", []data.AreaRef{area("snow_route", "0122")}, nil},
		{"custom and beat", []data.AreaRef{area("snow_route", "S1"), area(data.LayerBeat, "0122")}, []string{a}},
		{"custom, beat and ward", []data.AreaRef{area(data.LayerWard, "42"), area("snow_route", "S1"), area(data.LayerBeat, "0122")}, []string{a}},
		{"beat", []data.AreaRef{area(data.LayerBeat, "0122")}, []string{a, b}},
		{"other beat", []data.AreaRef{area(data.LayerBeat, "0123")}, []string{d}},
		{"two custom ids", []data.AreaRef{area("snow_route", "S1"), area("snow_route", "S2")}, nil},
	})
	// Re-routing: b moves to snow route S1, a leaves the snow routes.
	for n, areas := range map[string][]data.AreaRef{b: {beat("0122"), snow("S1")}, a: {beat("0122")}} {
		if _, err := s.UpdateRequest(t.Context(), n, func(x *data.Request) ([]data.Note, error) {
			x.Areas = areas
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	check("re-routed", []tcase{
		{"custom", []data.AreaRef{area("snow_route", "S1")}, []string{b, c}},
		{"old custom id", []data.AreaRef{area("snow_route", "S2")}, nil},
		{"custom and beat", []data.AreaRef{area("snow_route", "S1"), area(data.LayerBeat, "0122")}, []string{b}},
		{"ward left", []data.AreaRef{area(data.LayerWard, "42")}, nil},
		{"beat", []data.AreaRef{area(data.LayerBeat, "0122")}, []string{a, b}},
	})
}
