package data

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The lifecycle of CPD Special Order S02-03-03 ("Community Concerns and City
// Service Requests") as plain functions over *Request.
//
// Every transition takes the request, the Actor performing it, the time and
// its arguments; it checks the rule, changes the request and returns the
// notes to append to its history (Event, Actor, At, Reason, Text). On error
// the request is left unchanged. Errors are ErrInvalid for bad arguments
// (naming the field: reason, assigned_to, disposition, at), ErrConflict when
// the request is not in a state the transition applies to (any transition of
// a closed request, for one), and ErrForbidden when the actor's role or a
// required approval is missing. Stores call them inside
// RequestStore.UpdateRequest.
//
// Section references: V is the Special Order's part on city service requests,
// VI the part on community concerns; sub-paragraphs are named where the
// project's sources cite them (VI.A control number and PIN, VI.B.1 primary
// concerns, VI.B.2 the 36-hour acceptance window).
//
// City service requests (V):
//
//	new --Assign--> assigned --Complete--> completed --Close(disposition)--> closed
//	                 |  ^  Extend (+15 days;                |
//	                 |  |  2nd and later need a commander)  |
//	                 |  +-------------Return----------------+  (sergeant: re-investigate)
//	                 +--Close(disposition)--> closed   (entering a disposition closes it)
//
// Community concerns (VI):
//
//	new --Accept--> accepted --Assign--> assigned --Complete--> completed --Close--> closed
//	 |  (VI.B.2: within 36 h)              |  ^  Extend (+7 days)             |  (district executive
//	 +--NotAccept(reason)--> not_accepted  |  +-----------Return--------------+   officer approves or
//	                                       +--Reassign (flagged above 3)          disapproves)
//
// Time: the Special Order counts hours (36) and days (7, 15). geo311 counts a
// day as 24 hours of elapsed time, not a calendar day of the jurisdiction's
// time zone. Elapsed time is what the rules measure (a member has seven days
// of time to work a request), it makes every due date independent of where
// the server runs and of time-zone data, and it agrees exactly with a 36-hour
// window stated in hours. Across a daylight-saving change a 24-hour day ends
// one hour earlier or later on the wall clock than the calendar day would;
// that hour is the whole difference, and it never moves a due date by a day.
// Displays convert the instants to local time.

// Lifecycle periods.
const (
	Day = 24 * time.Hour
	// AcceptWindow: the community policing sergeant accepts or does not
	// accept a concern within 36 hours of receipt (VI.B.2).
	AcceptWindow = 36 * time.Hour
	// AssignmentDays: a request is completed (a concern: closed) within
	// seven days of assignment, plus extensions.
	AssignmentDays = 7
	// ServiceRequestExtensionDays is what one extension adds to a service
	// request's due date (V).
	ServiceRequestExtensionDays = 15
	// ConcernExtensionDays is what one extension adds to a community
	// concern's due date (VI).
	ConcernExtensionDays = 7
	// MaxReassignments: a concern reassigned more often is flagged (VI).
	MaxReassignments = 3
)

// Limits on the free text of a transition.
const (
	maxReasonLen      = 4000
	maxAssigneeLen    = 200
	maxDispositionLen = 500
)

// Actor is who performs a transition: Name is recorded on the notes ("staff:
// Sgt. J. Ruiz #1234", see Note.Actor) and Role, taken from the caller's API
// key, is checked against the rule.
type Actor struct {
	Name string
	Role Role
}

// Approval is a commander's approval of a further extension of a city
// service request (V). By names the commander; Role is the approver's role
// as the server verified it and must include RoleSupervisor. A zero Approval
// given by a supervisor actor means the actor approves their own extension.
type Approval struct {
	By   string
	Role Role
}

// Accept records the community policing sergeant's acceptance of a new
// community concern (VI.B.2). Accepting after the 36-hour window is allowed
// and noted; until accepted the concern is OverdueForAcceptance.
func Accept(r *Request, a Actor, at time.Time) ([]Note, error) {
	if err := checkTransition(r, a, at, "accept", KindCommunityConcern, RoleStaff, StateNew); err != nil {
		return nil, err
	}
	msg := "Accepted by the community policing sergeant"
	if due, _ := AcceptDue(r); at.After(due) {
		msg += fmt.Sprintf(" after the 36-hour acceptance window, which ended %s", noteTime(due))
	}
	r.State = StateAccepted
	r.AcceptedAt = at
	return transitionNote(a, at, EventAccepted, msg, ""), nil
}

// NotAccept records that the community policing sergeant did not accept a
// new community concern (VI.B.2); it needs a reason and closes the concern.
func NotAccept(r *Request, a Actor, at time.Time, reason string) ([]Note, error) {
	if err := checkTransition(r, a, at, "not accept", KindCommunityConcern, RoleStaff, StateNew); err != nil {
		return nil, err
	}
	reason, err := requiredText("reason", reason, maxReasonLen, "the reason the concern is not accepted")
	if err != nil {
		return nil, err
	}
	r.State = StateNotAccepted
	r.ClosedAt = at
	return transitionNote(a, at, EventNotAccepted, "Not accepted by the community policing sergeant", reason), nil
}

// Assign assigns a new service request to an investigating member (V), or an
// accepted community concern to a unit (VI). The due date starts to run:
// AssignmentDays after at.
func Assign(r *Request, a Actor, at time.Time, assignee string) ([]Note, error) {
	from := StateNew
	if r.Kind == KindCommunityConcern {
		from = StateAccepted
		if r.State == StateNew {
			return nil, Errorf(ErrConflict, "%s awaits acceptance by the community policing sergeant (S02-03-03 VI.B.2): accept it before assigning it", r.Number)
		}
	}
	if err := checkTransition(r, a, at, "assign", "", RoleStaff, from); err != nil {
		return nil, err
	}
	assignee, err := requiredText("assigned_to", assignee, maxAssigneeLen, "the member or unit assigned")
	if err != nil {
		return nil, err
	}
	r.State = StateAssigned
	r.AssignedTo = assignee
	r.AssignedAt = at
	due, _ := DueAt(r)
	return transitionNote(a, at, EventAssigned, fmt.Sprintf("Assigned to %s; due %s", assignee, noteTime(due)), ""), nil
}

// Reassign moves an assigned request to another member or unit. The new
// assignee gets a fresh seven-day period from at (AssignedAt is the latest
// assignment); extension days granted so far still count. Reassignments
// counts it, and a concern reassigned more than MaxReassignments times is
// flagged (VI; see ReassignedTooOften). The reason is optional.
func Reassign(r *Request, a Actor, at time.Time, assignee, reason string) ([]Note, error) {
	if err := checkTransition(r, a, at, "reassign", "", RoleStaff, StateAssigned); err != nil {
		return nil, err
	}
	assignee, err := requiredText("assigned_to", assignee, maxAssigneeLen, "the member or unit assigned")
	if err != nil {
		return nil, err
	}
	if assignee == r.AssignedTo {
		return nil, Invalid("assigned_to", "%s is already assigned to %s", r.Number, assignee)
	}
	reason, err = optionalText("reason", reason, maxReasonLen)
	if err != nil {
		return nil, err
	}
	r.AssignedTo = assignee
	r.AssignedAt = at
	r.Reassignments++
	due, _ := DueAt(r)
	msg := fmt.Sprintf("Reassigned to %s (reassignment %d); due %s", assignee, r.Reassignments, noteTime(due))
	if ReassignedTooOften(r) {
		msg += fmt.Sprintf("; flagged: reassigned more than %d times", MaxReassignments)
	}
	return transitionNote(a, at, EventReassigned, msg, reason), nil
}

// Extend grants an extension of an assigned request's due date; it needs a
// reason (for a concern, the justification).
//
// Service requests (V): an extension adds ServiceRequestExtensionDays. The
// first needs no approval; every further one needs a commander's approval:
// approval.By names the commander and approval.Role must include
// RoleSupervisor (ErrForbidden otherwise). A supervisor actor with a zero
// approval approves their own extension.
//
// Community concerns (VI): an extension adds ConcernExtensionDays. One may be
// taken at any time, including during the initial seven-day period; each
// further one only once the current due date is reached (at >= DueAt), so
// extensions cannot be stacked ahead of time. Approval is not required and
// recorded when given.
func Extend(r *Request, a Actor, at time.Time, reason string, approval Approval) ([]Note, error) {
	if err := checkTransition(r, a, at, "extend", "", RoleStaff, StateAssigned); err != nil {
		return nil, err
	}
	what := "the reason for the extension"
	if r.Kind == KindCommunityConcern {
		what = "the justification for the extension"
	}
	reason, err := requiredText("reason", reason, maxReasonLen, what)
	if err != nil {
		return nil, err
	}
	approval.By = strings.TrimSpace(approval.By)
	if approval.By == "" && a.Role.Includes(RoleSupervisor) {
		approval = Approval{By: a.Name, Role: a.Role}
	}
	due, _ := DueAt(r)
	days := ServiceRequestExtensionDays
	switch r.Kind {
	case KindServiceRequest:
		if r.Extensions >= 1 {
			if approval.By == "" {
				return nil, forbiddenField("approved_by", "%s was extended before: a further extension needs a commander's approval", r.Number)
			}
			if !approval.Role.Includes(RoleSupervisor) {
				return nil, forbiddenField("approved_by", "%s may not approve a further extension: a commander (supervisor role) must", approval.By)
			}
		}
	case KindCommunityConcern:
		days = ConcernExtensionDays
		if r.Extensions >= 1 && at.Before(due) {
			return nil, Errorf(ErrConflict, "%s has had an extension: the next one can be taken once the due date %s is reached", r.Number, noteTime(due))
		}
	}
	r.ExtensionDays += days
	r.Extensions++
	newDue, _ := DueAt(r)
	msg := fmt.Sprintf("Extension %d: %d days; due %s (was %s)", r.Extensions, days, noteTime(newDue), noteTime(due))
	if approval.By != "" {
		msg += "; approved by " + approval.By
	}
	return transitionNote(a, at, EventExtended, msg, reason), nil
}

// Complete records that the investigation of an assigned request is
// complete. A service request then awaits the sergeant's review (Return or
// Close with a disposition); a community concern ("Investigation Complete")
// awaits the district executive officer (Close to approve, Return to
// disapprove). The summary is optional.
func Complete(r *Request, a Actor, at time.Time, summary string) ([]Note, error) {
	if err := checkTransition(r, a, at, "complete", "", RoleStaff, StateAssigned); err != nil {
		return nil, err
	}
	summary, err := optionalText("summary", summary, maxReasonLen)
	if err != nil {
		return nil, err
	}
	msg := "Investigation complete; awaiting the sergeant's review"
	if r.Kind == KindCommunityConcern {
		msg = "Investigation complete; awaiting the district executive officer's review"
	}
	if due, _ := DueAt(r); at.After(due) {
		msg += fmt.Sprintf("; completed after the due date %s", noteTime(due))
	}
	if summary != "" {
		msg += ": " + summary
	}
	r.State = StateCompleted
	r.CompletedAt = at
	return transitionNote(a, at, EventCompleted, msg, ""), nil
}

// Return sends a completed request back to its assignee: for a service
// request the sergeant returns it for re-investigation (V); for a community
// concern the district executive officer disapproves the closure and
// returns it for corrective action (VI), which needs a supervisor. A reason
// is required. The due date is not reset: grant an extension if the
// assignee needs more time.
func Return(r *Request, a Actor, at time.Time, reason string) ([]Note, error) {
	role := RoleStaff
	if r.Kind == KindCommunityConcern {
		role = RoleSupervisor
	}
	if err := checkTransition(r, a, at, "return", "", role, StateCompleted); err != nil {
		return nil, err
	}
	reason, err := requiredText("reason", reason, maxReasonLen, "why it is returned")
	if err != nil {
		return nil, err
	}
	msg := "Returned by the sergeant for re-investigation"
	if r.Kind == KindCommunityConcern {
		msg = "Closure disapproved by the district executive officer; returned for corrective action"
	}
	r.State = StateAssigned
	r.CompletedAt = time.Time{}
	return transitionNote(a, at, EventReturned, msg, reason), nil
}

// Close ends a request's lifecycle.
//
// Service requests (V): entering a disposition closes the request, from any
// open state; it needs the disposition. A request not yet completed is
// completed at the same time.
//
// Community concerns (VI): the district executive officer approves the
// closure of a completed concern ("Investigation Complete"); this needs a
// supervisor. The disposition is optional.
func Close(r *Request, a Actor, at time.Time, disposition string) ([]Note, error) {
	var err error
	if r.Kind == KindCommunityConcern {
		err = checkTransition(r, a, at, "close", "", RoleSupervisor, StateCompleted)
	} else {
		err = checkTransition(r, a, at, "close", "", RoleStaff, StateNew, StateAssigned, StateCompleted)
	}
	if err != nil {
		return nil, err
	}
	msg := "Closure approved by the district executive officer"
	if r.Kind == KindCommunityConcern {
		disposition, err = optionalText("disposition", disposition, maxDispositionLen)
	} else {
		disposition, err = requiredText("disposition", disposition, maxDispositionLen, "the disposition")
		msg = "Disposition entered"
	}
	if err != nil {
		return nil, err
	}
	if disposition != "" {
		msg += ": " + disposition
	}
	if r.CompletedAt.IsZero() {
		r.CompletedAt = at
	}
	r.State = StateClosed
	r.ClosedAt = at
	r.Disposition = disposition
	return transitionNote(a, at, EventClosed, msg, ""), nil
}

// AcceptDue returns the end of a community concern's acceptance window:
// RequestedAt plus 36 hours (VI.B.2). False for service requests, which
// have no acceptance step, and for a request without RequestedAt.
func AcceptDue(r *Request) (time.Time, bool) {
	if r.Kind != KindCommunityConcern || r.RequestedAt.IsZero() {
		return time.Time{}, false
	}
	return r.RequestedAt.Add(AcceptWindow), true
}

// OverdueForAcceptance reports whether a concern still awaits acceptance
// after its 36-hour window (VI.B.2).
func OverdueForAcceptance(r *Request, now time.Time) bool {
	due, ok := AcceptDue(r)
	return ok && r.State == StateNew && now.After(due)
}

// DueAt returns when an assigned request must be completed (a service
// request, V) or closed (a community concern, VI): the latest assignment
// plus AssignmentDays plus the extension days granted. False if the request
// was never assigned.
func DueAt(r *Request) (time.Time, bool) {
	if r.AssignedAt.IsZero() {
		return time.Time{}, false
	}
	return r.AssignedAt.Add(time.Duration(AssignmentDays+r.ExtensionDays) * Day), true
}

// Overdue reports whether an open request is past its deadline at now. It
// is computed from the request, never stored. The deadline depends on the
// state: a new concern's acceptance window (VI.B.2); a new service request's
// SLA (RequestedAt + SLADays, if the type has one); an assigned request's
// due date; a completed concern's due date too, since a concern must be
// closed within it, while a completed service request has met its deadline.
// An accepted concern not yet assigned, and closed requests, are never
// overdue. A request is overdue only strictly after the deadline.
func Overdue(r *Request, now time.Time) bool {
	switch r.State {
	case StateNew:
		if r.Kind == KindCommunityConcern {
			return OverdueForAcceptance(r, now)
		}
		return r.SLADays > 0 && !r.RequestedAt.IsZero() && now.After(slaDue(r))
	case StateAssigned:
		due, ok := DueAt(r)
		return ok && now.After(due)
	case StateCompleted:
		due, ok := DueAt(r)
		return ok && r.Kind == KindCommunityConcern && now.After(due)
	}
	return false
}

// ExpectedAt returns the Open311 expected_datetime: the due date once the
// request was assigned, before that RequestedAt plus the service type's
// SLADays. False when neither is known (no SLA, not assigned).
func ExpectedAt(r *Request) (time.Time, bool) {
	if due, ok := DueAt(r); ok {
		return due, true
	}
	if r.SLADays > 0 && !r.RequestedAt.IsZero() {
		return slaDue(r), true
	}
	return time.Time{}, false
}

// ReassignedTooOften reports whether a community concern was reassigned
// more than MaxReassignments times and is flagged for review (VI).
func ReassignedTooOften(r *Request) bool {
	return r.Kind == KindCommunityConcern && r.Reassignments > MaxReassignments
}

func slaDue(r *Request) time.Time {
	return r.RequestedAt.Add(time.Duration(r.SLADays) * Day)
}

// checkTransition applies the rules every transition shares: a known kind (only kind
// if it is set), an open request in one of the from states, an actor whose
// role includes role, and a time not before the request's last transition.
func checkTransition(r *Request, a Actor, at time.Time, action string, kind Kind, role Role, from ...State) error {
	if r.Kind != KindServiceRequest && r.Kind != KindCommunityConcern {
		return Invalid("kind", "%q is not a request kind", r.Kind)
	}
	if kind != "" && r.Kind != kind {
		return Errorf(ErrConflict, "%s is a %s: only %ss can be %s", r.Number, kindName(r.Kind), kindName(kind), pastTense(action))
	}
	if r.State == StateNotAccepted {
		return Errorf(ErrConflict, "%s was not accepted and is closed: it cannot be %s", r.Number, pastTense(action))
	}
	if r.State.Closed() {
		return Errorf(ErrConflict, "%s is closed: it cannot be %s", r.Number, pastTense(action))
	}
	ok := false
	for _, s := range from {
		ok = ok || r.State == s
	}
	if !ok {
		return Errorf(ErrConflict, "%s is %s: only a %s in state %s can be %s", r.Number, r.State,
			kindName(r.Kind), joinStates(from), pastTense(action))
	}
	if !a.Role.Includes(role) {
		return forbiddenField("role", "%s needs the %s role to %s %s", actorName(a), role, action, r.Number)
	}
	if strings.TrimSpace(a.Name) == "" {
		return Invalid("actor", "the transition needs an actor name for the history")
	}
	if at.IsZero() {
		return Invalid("at", "the time of the transition is missing")
	}
	if last := lastTransition(r); at.Before(last) {
		return Invalid("at", "%s is before the request's last recorded time %s", noteTime(at), noteTime(last))
	}
	return nil
}

// lastTransition is the latest lifecycle time recorded on r.
func lastTransition(r *Request) time.Time {
	last := r.RequestedAt
	for _, t := range []time.Time{r.AcceptedAt, r.AssignedAt, r.CompletedAt, r.ClosedAt} {
		if t.After(last) {
			last = t
		}
	}
	return last
}

func transitionNote(a Actor, at time.Time, ev Event, text, reason string) []Note {
	return []Note{{At: at, Actor: a.Name, Event: ev, Text: text, Reason: reason}}
}

// requiredText checks a required free-text argument.
func requiredText(field, s string, max int, what string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid(field, "%s is required", what)
	}
	return optionalText(field, s, max)
}

func optionalText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", Invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", Invalid(field, "is %d characters long, at most %d are allowed", n, max)
	}
	return s, nil
}

func forbiddenField(field, format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Field: field, Message: fmt.Sprintf(format, args...)}
}

func kindName(k Kind) string {
	switch k {
	case KindServiceRequest:
		return "service request"
	case KindCommunityConcern:
		return "community concern"
	}
	return string(k)
}

func pastTense(action string) string {
	switch action {
	case "accept":
		return "accepted"
	case "not accept":
		return "marked not accepted"
	case "extend":
		return "extended"
	case "complete":
		return "completed"
	case "close":
		return "closed"
	}
	return action + "ed" // assign, reassign, return
}

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

func actorName(a Actor) string {
	if a.Name == "" {
		return "the caller"
	}
	return a.Name
}

// noteTime formats an instant for a note; displays convert to local time.
func noteTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
