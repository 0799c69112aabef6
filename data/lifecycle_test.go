package data_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// Fixtures. t0 is Monday 2 March 2026, 09:00 in Chicago.
var (
	t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

	sergeant  = data.Actor{Name: "staff:Sgt. J. Ruiz #1234", Role: data.RoleStaff}
	commander = data.Actor{Name: "staff:Cmdr. A. Lee", Role: data.RoleSupervisor}
	deo       = data.Actor{Name: "staff:DEO M. Park", Role: data.RoleSupervisor}
	intake    = data.Actor{Name: "intake:web", Role: data.RoleIntake}
)

func hours(n int) time.Duration { return time.Duration(n) * time.Hour }
func days(n int) time.Duration  { return time.Duration(n) * data.Day }

// request builds a request of a kind in a state, with the times a real one
// in that state would have. Options adjust it further.
func request(kind data.Kind, state data.State, opts ...func(*data.Request)) *data.Request {
	r := &data.Request{
		Kind:        kind,
		State:       data.StateNew,
		RequestedAt: t0,
		SLADays:     14,
	}
	if kind == data.KindServiceRequest {
		r.Number, r.ServiceCode = "SR26-00000001", "PHF"
	} else {
		r.Number, r.ServiceCode, r.SLADays = "CC26-00000001", "CPDCC", 0
	}
	steps := map[data.State]int{data.StateNew: 0, data.StateAccepted: 1, data.StateNotAccepted: 1,
		data.StateAssigned: 2, data.StateCompleted: 3, data.StateClosed: 4}[state]
	if steps >= 1 && kind == data.KindCommunityConcern {
		r.State, r.AcceptedAt = data.StateAccepted, t0.Add(hours(2))
		if state == data.StateNotAccepted {
			r.State, r.AcceptedAt, r.ClosedAt = data.StateNotAccepted, time.Time{}, t0.Add(hours(2))
		}
	}
	if steps >= 2 {
		r.State, r.AssignedAt, r.AssignedTo = data.StateAssigned, t0.Add(hours(3)), "PO K. Diaz #4411"
	}
	if steps >= 3 {
		r.State, r.CompletedAt = data.StateCompleted, t0.Add(days(3))
	}
	if steps >= 4 {
		r.State, r.ClosedAt, r.Disposition = data.StateClosed, t0.Add(days(4)), "Completed"
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func sr(state data.State, opts ...func(*data.Request)) func() *data.Request {
	return func() *data.Request { return request(data.KindServiceRequest, state, opts...) }
}

func cc(state data.State, opts ...func(*data.Request)) func() *data.Request {
	return func() *data.Request { return request(data.KindCommunityConcern, state, opts...) }
}

func extended(n, daysEach int) func(*data.Request) {
	return func(r *data.Request) { r.Extensions, r.ExtensionDays = n, n*daysEach }
}

func reassigned(n int) func(*data.Request) {
	return func(r *data.Request) { r.Reassignments = n }
}

// assignedAt is the fixtures' assignment time.
var assignedAt = t0.Add(hours(3))

type transitionCase struct {
	name  string // the rule, with the section of S02-03-03 it implements
	req   func() *data.Request
	do    func(r *data.Request) ([]data.Note, error)
	err   error  // the error kind wanted; nil for success
	field string // the field the error names ("" for none)
	event data.Event
	actor data.Actor
	at    time.Time
	check func(t *testing.T, r *data.Request, n data.Note)
}

func runTransitions(t *testing.T, cases []transitionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			before := *r
			notes, err := tc.do(r)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error = %v, want %v", err, tc.err)
				}
				if f := data.ErrorField(err); f != tc.field {
					t.Errorf("error %q names field %q, want %q", err, f, tc.field)
				}
				if notes != nil {
					t.Errorf("failed transition returned notes %+v", notes)
				}
				if !reflect.DeepEqual(*r, before) {
					t.Errorf("failed transition changed the request:\n got %+v\nwant %+v", *r, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if len(notes) != 1 {
				t.Fatalf("notes = %+v, want one", notes)
			}
			n := notes[0]
			if n.Event != tc.event || n.Actor != tc.actor.Name || !n.At.Equal(tc.at) || n.Text == "" {
				t.Errorf("note = %+v, want event %s by %q at %v with a text", n, tc.event, tc.actor.Name, tc.at)
			}
			if tc.check != nil {
				tc.check(t, r, n)
			}
		})
	}
}

func wantState(t *testing.T, r *data.Request, s data.State) {
	t.Helper()
	if r.State != s {
		t.Errorf("state = %s, want %s", r.State, s)
	}
}

func wantDue(t *testing.T, r *data.Request, want time.Time) {
	t.Helper()
	got, ok := data.DueAt(r)
	if !ok || !got.Equal(want) {
		t.Errorf("DueAt = %v, %v; want %v", got, ok, want)
	}
}

func TestServiceRequestTransitions(t *testing.T) {
	at := t0.Add(days(1))
	runTransitions(t, []transitionCase{
		// Assignment.
		{
			name:  "S02-03-03 V: a new SR is assigned to an investigating member; due 7 days after assignment",
			req:   sr(data.StateNew),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Assign(r, sergeant, at, " PO K. Diaz #4411 ") },
			event: data.EventAssigned, actor: sergeant, at: at,
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAssigned)
				if r.AssignedTo != "PO K. Diaz #4411" || !r.AssignedAt.Equal(at) {
					t.Errorf("assigned to %q at %v", r.AssignedTo, r.AssignedAt)
				}
				wantDue(t, r, at.Add(days(7)))
				if !strings.Contains(n.Text, "PO K. Diaz #4411") || !strings.Contains(n.Text, "2026-03-10T15:00:00Z") {
					t.Errorf("note text %q does not name the member and the due date", n.Text)
				}
			},
		},
		{
			name: "S02-03-03 V: assignment needs the member",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Assign(r, sergeant, at, "  ") },
			err:  data.ErrInvalid, field: "assigned_to",
		},
		{
			name: "S02-03-03 V: only a new SR is assigned (an assigned one is reassigned)",
			req:  sr(data.StateAssigned),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Assign(r, sergeant, at, "PO B") },
			err:  data.ErrConflict,
		},
		{
			name: "roles: an intake key cannot assign",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Assign(r, intake, at, "PO B") },
			err:  data.ErrForbidden, field: "role",
		},
		{
			name: "history: a transition cannot predate the request",
			req:  sr(data.StateNew),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Assign(r, sergeant, t0.Add(-time.Minute), "PO B")
			},
			err: data.ErrInvalid, field: "at",
		},
		{
			name: "history: a transition needs a time",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Assign(r, sergeant, time.Time{}, "PO B") },
			err:  data.ErrInvalid, field: "at",
		},
		{
			name: "history: a transition needs an actor name",
			req:  sr(data.StateNew),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Assign(r, data.Actor{Role: data.RoleStaff}, at, "PO B")
			},
			err: data.ErrInvalid, field: "actor",
		},
		{
			name: "kinds: a request of unknown kind has no lifecycle",
			req:  sr(data.StateNew, func(r *data.Request) { r.Kind = "pothole" }),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Assign(r, sergeant, at, "PO B") },
			err:  data.ErrInvalid, field: "kind",
		},
		{
			name: "S02-03-03 V: service requests have no acceptance step",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Accept(r, sergeant, at) },
			err:  data.ErrConflict,
		},
		{
			name: "S02-03-03 V: service requests are not 'not accepted'",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.NotAccept(r, sergeant, at, "no") },
			err:  data.ErrConflict,
		},

		// Extensions.
		{
			name: "S02-03-03 V: an extension adds 15 days and needs a reason; the first needs no approval",
			req:  sr(data.StateAssigned),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, at, "waiting for Streets and Sanitation", data.Approval{})
			},
			event: data.EventExtended, actor: sergeant, at: at,
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAssigned)
				if r.Extensions != 1 || r.ExtensionDays != 15 {
					t.Errorf("extensions %d, days %d; want 1, 15", r.Extensions, r.ExtensionDays)
				}
				wantDue(t, r, assignedAt.Add(days(7+15)))
				if n.Reason != "waiting for Streets and Sanitation" {
					t.Errorf("reason = %q", n.Reason)
				}
			},
		},
		{
			name: "S02-03-03 V: an extension without a reason is refused",
			req:  sr(data.StateAssigned),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, at, " \t", data.Approval{})
			},
			err: data.ErrInvalid, field: "reason",
		},
		{
			name: "S02-03-03 V: a further extension without a commander's approval is forbidden",
			req:  sr(data.StateAssigned, extended(1, 15)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, at, "still waiting", data.Approval{})
			},
			err: data.ErrForbidden, field: "approved_by",
		},
		{
			name: "S02-03-03 V: a further extension approved by someone who is not a commander is forbidden",
			req:  sr(data.StateAssigned, extended(1, 15)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, at, "still waiting", data.Approval{By: "Sgt. B", Role: data.RoleStaff})
			},
			err: data.ErrForbidden, field: "approved_by",
		},
		{
			name: "S02-03-03 V: a third extension with a commander's approval adds 15 more days",
			req:  sr(data.StateAssigned, extended(2, 15)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, at, "contractor delayed", data.Approval{By: "Cmdr. A. Lee", Role: data.RoleSupervisor})
			},
			event: data.EventExtended, actor: sergeant, at: at,
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if r.Extensions != 3 || r.ExtensionDays != 45 {
					t.Errorf("extensions %d, days %d; want 3, 45", r.Extensions, r.ExtensionDays)
				}
				wantDue(t, r, assignedAt.Add(days(7+45)))
				if !strings.Contains(n.Text, "approved by Cmdr. A. Lee") {
					t.Errorf("note text %q does not record the approval", n.Text)
				}
			},
		},
		{
			name: "S02-03-03 V: a commander extending a request approves it themself",
			req:  sr(data.StateAssigned, extended(1, 15)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, commander, at, "storm backlog", data.Approval{})
			},
			event: data.EventExtended, actor: commander, at: at,
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if !strings.Contains(n.Text, "approved by "+commander.Name) {
					t.Errorf("note text %q does not record the approval", n.Text)
				}
			},
		},
		{
			name: "S02-03-03 V: a new SR has no due date to extend",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Extend(r, sergeant, at, "x", data.Approval{}) },
			err:  data.ErrConflict,
		},
		{
			name: "S02-03-03 V: a completed SR is not extended",
			req:  sr(data.StateCompleted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, t0.Add(days(5)), "x", data.Approval{})
			},
			err: data.ErrConflict,
		},

		// Completion, return, disposition.
		{
			name:  "S02-03-03 V: the investigating member completes the SR",
			req:   sr(data.StateAssigned),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Complete(r, sergeant, at, "pothole filled") },
			event: data.EventCompleted, actor: sergeant, at: at,
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateCompleted)
				if !r.CompletedAt.Equal(at) || !strings.Contains(n.Text, "pothole filled") || strings.Contains(n.Text, "after the due date") {
					t.Errorf("completed at %v, note %q", r.CompletedAt, n.Text)
				}
			},
		},
		{
			name:  "S02-03-03 V: completion after the due date is recorded as late",
			req:   sr(data.StateAssigned),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Complete(r, sergeant, t0.Add(days(9)), "") },
			event: data.EventCompleted, actor: sergeant, at: t0.Add(days(9)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if !strings.Contains(n.Text, "after the due date") {
					t.Errorf("note %q does not say it was late", n.Text)
				}
			},
		},
		{
			name: "S02-03-03 V: only an assigned SR is completed",
			req:  sr(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Complete(r, sergeant, at, "") },
			err:  data.ErrConflict,
		},
		{
			name: "S02-03-03 V: the sergeant returns a completed SR for re-investigation",
			req:  sr(data.StateCompleted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Return(r, sergeant, t0.Add(days(4)), "photo shows the hole still open")
			},
			event: data.EventReturned, actor: sergeant, at: t0.Add(days(4)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAssigned)
				if !r.CompletedAt.IsZero() || r.AssignedTo != "PO K. Diaz #4411" {
					t.Errorf("completed at %v, assigned to %q: want cleared and unchanged", r.CompletedAt, r.AssignedTo)
				}
				wantDue(t, r, assignedAt.Add(days(7))) // the due date is not reset
				if n.Reason != "photo shows the hole still open" {
					t.Errorf("reason = %q", n.Reason)
				}
			},
		},
		{
			name: "S02-03-03 V: a return needs a reason",
			req:  sr(data.StateCompleted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Return(r, sergeant, t0.Add(days(4)), "") },
			err:  data.ErrInvalid, field: "reason",
		},
		{
			name: "S02-03-03 V: only a completed SR is returned",
			req:  sr(data.StateAssigned),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Return(r, sergeant, at, "x") },
			err:  data.ErrConflict,
		},
		{
			name: "S02-03-03 V: entering a disposition closes a completed SR",
			req:  sr(data.StateCompleted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Close(r, sergeant, t0.Add(days(4)), "Completed - Pothole patched")
			},
			event: data.EventClosed, actor: sergeant, at: t0.Add(days(4)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateClosed)
				if !r.ClosedAt.Equal(t0.Add(days(4))) || r.Disposition != "Completed - Pothole patched" || !r.CompletedAt.Equal(t0.Add(days(3))) {
					t.Errorf("closed %v, disposition %q, completed %v", r.ClosedAt, r.Disposition, r.CompletedAt)
				}
				if r.State.Open311() != "closed" {
					t.Errorf("Open311 status %q", r.State.Open311())
				}
			},
		},
		{
			name:  "S02-03-03 V: entering a disposition on an assigned SR completes and closes it",
			req:   sr(data.StateAssigned),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Close(r, sergeant, at, "No problem found") },
			event: data.EventClosed, actor: sergeant, at: at,
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateClosed)
				if !r.CompletedAt.Equal(at) || !r.ClosedAt.Equal(at) {
					t.Errorf("completed %v, closed %v; want both %v", r.CompletedAt, r.ClosedAt, at)
				}
			},
		},
		{
			name: "S02-03-03 V: closing an SR needs the disposition",
			req:  sr(data.StateCompleted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Close(r, sergeant, t0.Add(days(4)), "") },
			err:  data.ErrInvalid, field: "disposition",
		},
		{
			name: "S02-03-03 V: an over-long disposition is refused",
			req:  sr(data.StateCompleted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Close(r, sergeant, t0.Add(days(4)), strings.Repeat("x", 501))
			},
			err: data.ErrInvalid, field: "disposition",
		},
		{
			name: "roles: an intake key cannot enter a disposition",
			req:  sr(data.StateCompleted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Close(r, intake, t0.Add(days(4)), "Completed") },
			err:  data.ErrForbidden, field: "role",
		},
	})
}

func TestConcernTransitions(t *testing.T) {
	runTransitions(t, []transitionCase{
		// Acceptance.
		{
			name:  "S02-03-03 VI.B.2: the community policing sergeant accepts within 36 hours",
			req:   cc(data.StateNew),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Accept(r, sergeant, t0.Add(hours(36))) },
			event: data.EventAccepted, actor: sergeant, at: t0.Add(hours(36)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAccepted)
				if !r.AcceptedAt.Equal(t0.Add(hours(36))) || strings.Contains(n.Text, "after") {
					t.Errorf("accepted at %v, note %q", r.AcceptedAt, n.Text)
				}
			},
		},
		{
			name:  "S02-03-03 VI.B.2: accepting after 36 hours is allowed and noted as late",
			req:   cc(data.StateNew),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Accept(r, sergeant, t0.Add(hours(37))) },
			event: data.EventAccepted, actor: sergeant, at: t0.Add(hours(37)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAccepted)
				if !strings.Contains(n.Text, "after the 36-hour acceptance window") {
					t.Errorf("note %q does not say it was late", n.Text)
				}
			},
		},
		{
			name: "S02-03-03 VI.B.2: only a new concern is accepted",
			req:  cc(data.StateAccepted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Accept(r, sergeant, t0.Add(hours(4))) },
			err:  data.ErrConflict,
		},
		{
			name: "roles: an intake key cannot accept",
			req:  cc(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Accept(r, intake, t0.Add(hours(1))) },
			err:  data.ErrForbidden, field: "role",
		},
		{
			name: "S02-03-03 VI.B.2: not accepting a concern closes it and needs a reason",
			req:  cc(data.StateNew),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.NotAccept(r, sergeant, t0.Add(hours(5)), "a civil matter: referred to the Department of Buildings")
			},
			event: data.EventNotAccepted, actor: sergeant, at: t0.Add(hours(5)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateNotAccepted)
				if !r.State.Closed() || !r.ClosedAt.Equal(t0.Add(hours(5))) || n.Reason == "" {
					t.Errorf("closed %v at %v, reason %q", r.State.Closed(), r.ClosedAt, n.Reason)
				}
			},
		},
		{
			name: "S02-03-03 VI.B.2: not accepting without a reason is refused",
			req:  cc(data.StateNew),
			do:   func(r *data.Request) ([]data.Note, error) { return data.NotAccept(r, sergeant, t0.Add(hours(5)), "") },
			err:  data.ErrInvalid, field: "reason",
		},
		{
			name: "S02-03-03 VI.B.2: a reason longer than 4000 characters is refused",
			req:  cc(data.StateNew),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.NotAccept(r, sergeant, t0.Add(hours(5)), strings.Repeat("é", 4001))
			},
			err: data.ErrInvalid, field: "reason",
		},
		{
			name: "S02-03-03 VI.B.2: an accepted concern is not 'not accepted' afterwards",
			req:  cc(data.StateAccepted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.NotAccept(r, sergeant, t0.Add(hours(5)), "x") },
			err:  data.ErrConflict,
		},

		// Assignment.
		{
			name: "S02-03-03 VI: an accepted concern is assigned to a unit; closed within 7 days of assignment",
			req:  cc(data.StateAccepted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Assign(r, sergeant, t0.Add(hours(6)), "Beat 1224 team")
			},
			event: data.EventAssigned, actor: sergeant, at: t0.Add(hours(6)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAssigned)
				wantDue(t, r, t0.Add(hours(6)+days(7)))
			},
		},
		{
			name: "S02-03-03 VI.B.2: a concern is accepted before it is assigned",
			req:  cc(data.StateNew),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Assign(r, sergeant, t0.Add(hours(6)), "Beat 1224 team")
			},
			err: data.ErrConflict,
		},

		// Extensions.
		{
			name: "S02-03-03 VI: an extension adds 7 days, needs a justification, and one may be taken in the initial 7-day period",
			req:  cc(data.StateAssigned),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(2)), "witness away until next week", data.Approval{})
			},
			event: data.EventExtended, actor: sergeant, at: assignedAt.Add(days(2)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if r.Extensions != 1 || r.ExtensionDays != 7 {
					t.Errorf("extensions %d, days %d; want 1, 7", r.Extensions, r.ExtensionDays)
				}
				wantDue(t, r, assignedAt.Add(days(14)))
				if n.Reason != "witness away until next week" {
					t.Errorf("reason %q", n.Reason)
				}
			},
		},
		{
			name: "S02-03-03 VI: an extension without a justification is refused",
			req:  cc(data.StateAssigned),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(2)), "", data.Approval{})
			},
			err: data.ErrInvalid, field: "reason",
		},
		{
			name: "S02-03-03 VI: a second extension in the initial period is refused (only one during it)",
			req:  cc(data.StateAssigned, extended(1, 7)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(3)), "more time", data.Approval{})
			},
			err: data.ErrConflict,
		},
		{
			name: "S02-03-03 VI: the next extension is refused one second before the due date",
			req:  cc(data.StateAssigned, extended(1, 7)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(14)-time.Second), "more time", data.Approval{})
			},
			err: data.ErrConflict,
		},
		{
			name: "S02-03-03 VI: the next extension is allowed once the due date is reached",
			req:  cc(data.StateAssigned, extended(1, 7)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(14)), "suspect identified, follow-up pending", data.Approval{})
			},
			event: data.EventExtended, actor: sergeant, at: assignedAt.Add(days(14)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if r.Extensions != 2 || r.ExtensionDays != 14 {
					t.Errorf("extensions %d, days %d; want 2, 14", r.Extensions, r.ExtensionDays)
				}
				wantDue(t, r, assignedAt.Add(days(21)))
			},
		},
		{
			name: "S02-03-03 VI: an overdue concern without extensions may still take its first one",
			req:  cc(data.StateAssigned),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(9)), "late, but justified", data.Approval{})
			},
			event: data.EventExtended, actor: sergeant, at: assignedAt.Add(days(9)),
			check: func(t *testing.T, r *data.Request, n data.Note) { wantDue(t, r, assignedAt.Add(days(14))) },
		},
		{
			name: "S02-03-03 VI: a further concern extension needs no commander's approval",
			req:  cc(data.StateAssigned, extended(2, 7)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Extend(r, sergeant, assignedAt.Add(days(21)), "court date pending", data.Approval{})
			},
			event: data.EventExtended, actor: sergeant, at: assignedAt.Add(days(21)),
			check: func(t *testing.T, r *data.Request, n data.Note) { wantDue(t, r, assignedAt.Add(days(28))) },
		},

		// Reassignment.
		{
			name: "S02-03-03 VI: a reassignment is counted and restarts the 7-day period, keeping extensions",
			req:  cc(data.StateAssigned, extended(1, 7), reassigned(1)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Reassign(r, sergeant, t0.Add(days(2)), "Tactical team 012", "needs plain-clothes surveillance")
			},
			event: data.EventReassigned, actor: sergeant, at: t0.Add(days(2)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAssigned)
				if r.Reassignments != 2 || r.AssignedTo != "Tactical team 012" || !r.AssignedAt.Equal(t0.Add(days(2))) {
					t.Errorf("reassignments %d, to %q at %v", r.Reassignments, r.AssignedTo, r.AssignedAt)
				}
				wantDue(t, r, t0.Add(days(2+7+7)))
				if data.ReassignedTooOften(r) || strings.Contains(n.Text, "flagged") {
					t.Errorf("flagged after 2 reassignments: %q", n.Text)
				}
				if n.Reason != "needs plain-clothes surveillance" {
					t.Errorf("reason %q", n.Reason)
				}
			},
		},
		{
			name: "S02-03-03 VI: the third reassignment is not yet flagged",
			req:  cc(data.StateAssigned, reassigned(2)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Reassign(r, sergeant, t0.Add(days(2)), "Beat 1225 team", "")
			},
			event: data.EventReassigned, actor: sergeant, at: t0.Add(days(2)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if r.Reassignments != 3 || data.ReassignedTooOften(r) || strings.Contains(n.Text, "flagged") {
					t.Errorf("reassignments %d, flagged %v, note %q", r.Reassignments, data.ReassignedTooOften(r), n.Text)
				}
			},
		},
		{
			name: "S02-03-03 VI: a concern reassigned more than 3 times is flagged",
			req:  cc(data.StateAssigned, reassigned(3)),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Reassign(r, sergeant, t0.Add(days(2)), "Beat 1225 team", "")
			},
			event: data.EventReassigned, actor: sergeant, at: t0.Add(days(2)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				if r.Reassignments != 4 || !data.ReassignedTooOften(r) || !strings.Contains(n.Text, "flagged") {
					t.Errorf("reassignments %d, flagged %v, note %q", r.Reassignments, data.ReassignedTooOften(r), n.Text)
				}
			},
		},
		{
			name: "S02-03-03 VI: reassigning to the current assignee is refused",
			req:  cc(data.StateAssigned),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Reassign(r, sergeant, t0.Add(days(2)), "PO K. Diaz #4411", "")
			},
			err: data.ErrInvalid, field: "assigned_to",
		},
		{
			name: "S02-03-03 VI: only an assigned concern is reassigned",
			req:  cc(data.StateAccepted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Reassign(r, sergeant, t0.Add(days(2)), "X", "")
			},
			err: data.ErrConflict,
		},

		// Investigation complete, review by the district executive officer.
		{
			name:  "S02-03-03 VI: Investigation Complete goes to the district executive officer",
			req:   cc(data.StateAssigned),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Complete(r, sergeant, t0.Add(days(5)), "") },
			event: data.EventCompleted, actor: sergeant, at: t0.Add(days(5)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateCompleted)
				if !strings.Contains(n.Text, "district executive officer") {
					t.Errorf("note %q", n.Text)
				}
			},
		},
		{
			name:  "S02-03-03 VI: the district executive officer approves: the concern is closed",
			req:   cc(data.StateCompleted),
			do:    func(r *data.Request) ([]data.Note, error) { return data.Close(r, deo, t0.Add(days(4)), "") },
			event: data.EventClosed, actor: deo, at: t0.Add(days(4)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateClosed)
				if !r.ClosedAt.Equal(t0.Add(days(4))) || r.Disposition != "" {
					t.Errorf("closed %v, disposition %q", r.ClosedAt, r.Disposition)
				}
			},
		},
		{
			name: "S02-03-03 VI: only the district executive officer (supervisor) approves closure",
			req:  cc(data.StateCompleted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Close(r, sergeant, t0.Add(days(4)), "") },
			err:  data.ErrForbidden, field: "role",
		},
		{
			name: "S02-03-03 VI: a concern is closed only after Investigation Complete",
			req:  cc(data.StateAssigned),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Close(r, deo, t0.Add(days(4)), "") },
			err:  data.ErrConflict,
		},
		{
			name: "S02-03-03 VI: the district executive officer disapproves: returned for corrective action",
			req:  cc(data.StateCompleted),
			do: func(r *data.Request) ([]data.Note, error) {
				return data.Return(r, deo, t0.Add(days(4)), "no contact made with the complainant")
			},
			event: data.EventReturned, actor: deo, at: t0.Add(days(4)),
			check: func(t *testing.T, r *data.Request, n data.Note) {
				wantState(t, r, data.StateAssigned)
				if !r.CompletedAt.IsZero() || n.Reason != "no contact made with the complainant" || !strings.Contains(n.Text, "corrective action") {
					t.Errorf("completed %v, note %+v", r.CompletedAt, n)
				}
			},
		},
		{
			name: "S02-03-03 VI: disapproval needs the reason",
			req:  cc(data.StateCompleted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Return(r, deo, t0.Add(days(4)), "") },
			err:  data.ErrInvalid, field: "reason",
		},
		{
			name: "S02-03-03 VI: a sergeant cannot disapprove a concern's closure",
			req:  cc(data.StateCompleted),
			do:   func(r *data.Request) ([]data.Note, error) { return data.Return(r, sergeant, t0.Add(days(4)), "x") },
			err:  data.ErrForbidden, field: "role",
		},
	})
}

// TestClosedRequestsDoNotMove: no transition applies to a closed request
// (closed with a disposition or closure approval, or not accepted).
func TestClosedRequestsDoNotMove(t *testing.T) {
	at := t0.Add(days(10))
	transitions := map[string]func(r *data.Request) ([]data.Note, error){
		"accept":     func(r *data.Request) ([]data.Note, error) { return data.Accept(r, commander, at) },
		"not accept": func(r *data.Request) ([]data.Note, error) { return data.NotAccept(r, commander, at, "x") },
		"assign":     func(r *data.Request) ([]data.Note, error) { return data.Assign(r, commander, at, "X") },
		"reassign":   func(r *data.Request) ([]data.Note, error) { return data.Reassign(r, commander, at, "X", "") },
		"extend":     func(r *data.Request) ([]data.Note, error) { return data.Extend(r, commander, at, "x", data.Approval{}) },
		"complete":   func(r *data.Request) ([]data.Note, error) { return data.Complete(r, commander, at, "") },
		"return":     func(r *data.Request) ([]data.Note, error) { return data.Return(r, commander, at, "x") },
		"close":      func(r *data.Request) ([]data.Note, error) { return data.Close(r, commander, at, "Completed") },
	}
	var cases []transitionCase
	for name, do := range transitions {
		for _, req := range []struct {
			what string
			req  func() *data.Request
		}{
			{"closed SR", sr(data.StateClosed)},
			{"closed concern", cc(data.StateClosed)},
			{"concern not accepted", cc(data.StateNotAccepted)},
		} {
			cases = append(cases, transitionCase{
				name: "S02-03-03 V, VI: a " + req.what + " cannot be " + name,
				req:  req.req, do: do, err: data.ErrConflict,
			})
		}
	}
	runTransitions(t, cases)
}

func TestDueAndOverdue(t *testing.T) {
	type at struct {
		now     time.Time
		overdue bool
	}
	tests := []struct {
		name     string // the rule and its section
		req      *data.Request
		due      time.Time // zero: none
		accept   time.Time // zero: none
		expected time.Time // zero: none
		checks   []at
	}{
		{
			name:     "S02-03-03 V: a new SR is due by its type's SLA until assigned",
			req:      request(data.KindServiceRequest, data.StateNew),
			expected: t0.Add(days(14)),
			checks:   []at{{t0.Add(days(14)), false}, {t0.Add(days(14) + time.Second), true}},
		},
		{
			name:   "S02-03-03 V: a new SR of a type without SLA is never overdue",
			req:    request(data.KindServiceRequest, data.StateNew, func(r *data.Request) { r.SLADays = 0 }),
			checks: []at{{t0.Add(days(400)), false}},
		},
		{
			name:     "S02-03-03 V: an assigned SR is due 7 days after assignment",
			req:      request(data.KindServiceRequest, data.StateAssigned),
			due:      assignedAt.Add(days(7)),
			expected: assignedAt.Add(days(7)),
			checks:   []at{{assignedAt.Add(days(7)), false}, {assignedAt.Add(days(7) + time.Nanosecond), true}},
		},
		{
			name:     "S02-03-03 V: each extension moves the due date by 15 days",
			req:      request(data.KindServiceRequest, data.StateAssigned, extended(2, 15)),
			due:      assignedAt.Add(days(37)),
			expected: assignedAt.Add(days(37)),
			checks:   []at{{assignedAt.Add(days(30)), false}, {assignedAt.Add(days(38)), true}},
		},
		{
			name:     "S02-03-03 V: a completed SR met its deadline and is not overdue",
			req:      request(data.KindServiceRequest, data.StateCompleted),
			due:      assignedAt.Add(days(7)),
			expected: assignedAt.Add(days(7)),
			checks:   []at{{t0.Add(days(30)), false}},
		},
		{
			name:     "S02-03-03 V: a closed SR is not overdue",
			req:      request(data.KindServiceRequest, data.StateClosed),
			due:      assignedAt.Add(days(7)),
			expected: assignedAt.Add(days(7)),
			checks:   []at{{t0.Add(days(30)), false}},
		},
		{
			name:   "S02-03-03 VI.B.2: a new concern is overdue for acceptance after 36 hours",
			req:    request(data.KindCommunityConcern, data.StateNew),
			accept: t0.Add(hours(36)),
			checks: []at{{t0.Add(hours(36)), false}, {t0.Add(hours(36) + time.Second), true}},
		},
		{
			name:   "S02-03-03 VI.B.2: an accepted concern awaiting assignment has no deadline",
			req:    request(data.KindCommunityConcern, data.StateAccepted),
			accept: t0.Add(hours(36)),
			checks: []at{{t0.Add(days(30)), false}},
		},
		{
			name:     "S02-03-03 VI: an assigned concern is due 7 days after assignment, plus 7 per extension",
			req:      request(data.KindCommunityConcern, data.StateAssigned, extended(1, 7)),
			due:      assignedAt.Add(days(14)),
			accept:   t0.Add(hours(36)),
			expected: assignedAt.Add(days(14)),
			checks:   []at{{assignedAt.Add(days(14)), false}, {assignedAt.Add(days(14) + time.Second), true}},
		},
		{
			name:     "S02-03-03 VI: a completed concern awaiting approval must still be closed by its due date",
			req:      request(data.KindCommunityConcern, data.StateCompleted),
			due:      assignedAt.Add(days(7)),
			accept:   t0.Add(hours(36)),
			expected: assignedAt.Add(days(7)),
			checks:   []at{{assignedAt.Add(days(6)), false}, {assignedAt.Add(days(8)), true}},
		},
		{
			name:     "S02-03-03 VI: a closed concern is not overdue",
			req:      request(data.KindCommunityConcern, data.StateClosed),
			due:      assignedAt.Add(days(7)),
			accept:   t0.Add(hours(36)),
			expected: assignedAt.Add(days(7)),
			checks:   []at{{t0.Add(days(60)), false}},
		},
		{
			name:   "S02-03-03 VI.B.2: a concern not accepted is closed, not overdue",
			req:    request(data.KindCommunityConcern, data.StateNotAccepted),
			accept: t0.Add(hours(36)),
			checks: []at{{t0.Add(days(60)), false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, ok := data.DueAt(tt.req)
			if ok != !tt.due.IsZero() || !due.Equal(tt.due) {
				t.Errorf("DueAt = %v, %v; want %v", due, ok, tt.due)
			}
			acc, ok := data.AcceptDue(tt.req)
			if ok != !tt.accept.IsZero() || !acc.Equal(tt.accept) {
				t.Errorf("AcceptDue = %v, %v; want %v", acc, ok, tt.accept)
			}
			exp, ok := data.ExpectedAt(tt.req)
			if ok != !tt.expected.IsZero() || !exp.Equal(tt.expected) {
				t.Errorf("ExpectedAt = %v, %v; want %v", exp, ok, tt.expected)
			}
			for _, c := range tt.checks {
				if got := data.Overdue(tt.req, c.now); got != c.overdue {
					t.Errorf("Overdue(at %v) = %v, want %v", c.now, got, c.overdue)
				}
			}
		})
	}
}

func TestOverdueForAcceptance(t *testing.T) {
	// S02-03-03 VI.B.2: 36 hours, then overdue until accepted or not accepted.
	r := request(data.KindCommunityConcern, data.StateNew)
	if data.OverdueForAcceptance(r, t0.Add(hours(36))) {
		t.Errorf("overdue at exactly 36 hours")
	}
	if !data.OverdueForAcceptance(r, t0.Add(hours(40))) {
		t.Errorf("not overdue at 40 hours")
	}
	if _, err := data.Accept(r, sergeant, t0.Add(hours(40))); err != nil {
		t.Fatal(err)
	}
	if data.OverdueForAcceptance(r, t0.Add(hours(41))) || data.Overdue(r, t0.Add(hours(41))) {
		t.Errorf("still overdue after acceptance")
	}
	if data.OverdueForAcceptance(request(data.KindServiceRequest, data.StateNew), t0.Add(days(30))) {
		t.Errorf("a service request is overdue for acceptance")
	}
}

// TestDueDateAcrossDST pins the documented choice: a day is 24 hours of
// elapsed time. Chicago moves to daylight time on Sunday 8 March 2026, so a
// request assigned on Friday 6 March at 12:00 CST is due on Friday 13 March
// at 13:00 CDT local time (the same instant as 12:00 CST).
func TestDueDateAcrossDST(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	assigned := time.Date(2026, 3, 6, 12, 0, 0, 0, chicago)
	r := request(data.KindServiceRequest, data.StateAssigned, func(r *data.Request) { r.AssignedAt = assigned })
	due, _ := data.DueAt(r)
	if got := due.In(chicago).Format("2006-01-02 15:04 MST"); got != "2026-03-13 13:00 CDT" {
		t.Errorf("due %s, want 2026-03-13 13:00 CDT", got)
	}
	if due.Sub(assigned) != 7*24*time.Hour {
		t.Errorf("due %v after assignment, want 168h", due.Sub(assigned))
	}
}

func TestReassignedTooOften(t *testing.T) {
	// S02-03-03 VI: a concern reassigned more than 3 times is flagged.
	for _, tt := range []struct {
		kind data.Kind
		n    int
		want bool
	}{
		{data.KindCommunityConcern, 0, false},
		{data.KindCommunityConcern, 3, false},
		{data.KindCommunityConcern, 4, true},
		{data.KindCommunityConcern, 9, true},
		{data.KindServiceRequest, 9, false}, // the rule is the concerns'
	} {
		r := request(tt.kind, data.StateAssigned, reassigned(tt.n))
		if got := data.ReassignedTooOften(r); got != tt.want {
			t.Errorf("%s reassigned %d times: flagged %v, want %v", tt.kind, tt.n, got, tt.want)
		}
	}
}

// TestLifecycleWalk runs whole lifecycles and checks the history they leave.
func TestLifecycleWalk(t *testing.T) {
	t.Run("S02-03-03 V: service request", func(t *testing.T) {
		r := request(data.KindServiceRequest, data.StateNew)
		var history []data.Note
		step := func(notes []data.Note, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			history = append(history, notes...)
		}
		step(data.Assign(r, sergeant, t0.Add(hours(1)), "PO K. Diaz #4411"))
		step(data.Extend(r, sergeant, t0.Add(days(6)), "awaiting CDOT", data.Approval{}))
		step(data.Extend(r, sergeant, t0.Add(days(20)), "still awaiting CDOT", data.Approval{By: "Cmdr. A. Lee", Role: data.RoleSupervisor}))
		step(data.Complete(r, sergeant, t0.Add(days(25)), "CDOT patched"))
		step(data.Return(r, sergeant, t0.Add(days(26)), "second hole on the same block"))
		step(data.Complete(r, sergeant, t0.Add(days(27)), "both patched"))
		step(data.Close(r, sergeant, t0.Add(days(28)), "Completed"))
		var events []string
		for _, n := range history {
			events = append(events, string(n.Event))
		}
		if got := strings.Join(events, " "); got != "assigned extended extended completed returned completed closed" {
			t.Errorf("history %s", got)
		}
		if r.State != data.StateClosed || data.Overdue(r, t0.Add(days(100))) || r.Extensions != 2 {
			t.Errorf("end state %+v", r)
		}
	})
	t.Run("S02-03-03 VI: community concern", func(t *testing.T) {
		r := request(data.KindCommunityConcern, data.StateNew)
		var events []string
		step := func(notes []data.Note, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range notes {
				events = append(events, string(n.Event))
			}
		}
		step(data.Accept(r, sergeant, t0.Add(hours(20))))
		step(data.Assign(r, sergeant, t0.Add(hours(21)), "Beat 1224 team"))
		for i, unit := range []string{"Beat 1225 team", "Tactical 012", "Beat 1224 team", "Beat 1223 team"} {
			step(data.Reassign(r, sergeant, t0.Add(hours(22+i)), unit, ""))
		}
		step(data.Extend(r, sergeant, t0.Add(days(3)), "surveillance scheduled", data.Approval{}))
		step(data.Complete(r, sergeant, t0.Add(days(6)), ""))
		step(data.Return(r, deo, t0.Add(days(6)+hours(1)), "call the complainant back"))
		step(data.Complete(r, sergeant, t0.Add(days(7)), "complainant informed"))
		step(data.Close(r, deo, t0.Add(days(7)+hours(2)), ""))
		if got := strings.Join(events, " "); got != "accepted assigned reassigned reassigned reassigned reassigned extended completed returned completed closed" {
			t.Errorf("history %s", got)
		}
		if !data.ReassignedTooOften(r) || r.State != data.StateClosed {
			t.Errorf("end state %+v", r)
		}
	})
}
