package data

import (
	"time"
)

// State is where a request stands in its lifecycle (CPD S02-03-03). Open311
// sees only "open" or "closed" (State.Open311).
type State string

// Lifecycle states.
const (
	// StateNew: received. A service request waits for assignment; a
	// community concern waits for the community policing sergeant to accept
	// it or not (VI.B.2, 36 hours).
	StateNew State = "new"
	// StateAccepted: a community concern the sergeant accepted, not yet assigned.
	StateAccepted State = "accepted"
	// StateNotAccepted: a community concern the sergeant did not accept (closed).
	StateNotAccepted State = "not_accepted"
	// StateAssigned: assigned to an investigating member or unit; the due
	// date runs (7 days from assignment, plus extensions).
	StateAssigned State = "assigned"
	// StateCompleted: the investigation is complete and awaits review: the
	// sergeant for a service request, the district executive officer for a
	// community concern ("Investigation Complete").
	StateCompleted State = "completed"
	// StateClosed: disposition entered (service request) or closure approved
	// (community concern).
	StateClosed State = "closed"
)

// Open311 returns the GeoReport v2 status: "open" or "closed".
func (s State) Open311() string {
	if s.Closed() {
		return "closed"
	}
	return "open"
}

// Closed reports whether the state ends the lifecycle.
func (s State) Closed() bool { return s == StateClosed || s == StateNotAccepted }

// ParseState checks a state name given by a caller.
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case StateNew, StateAccepted, StateNotAccepted, StateAssigned, StateCompleted, StateClosed:
		return st, nil
	}
	return "", Invalid("state", "%q is not a state (new, accepted, not_accepted, assigned, completed, closed)", s)
}

// Origin is how a request reached the city.
type Origin string

// Origins.
const (
	OriginPhone   Origin = "phone"
	OriginWeb     Origin = "web"
	OriginMobile  Origin = "mobile"
	OriginOpen311 Origin = "open311"
	OriginStaff   Origin = "staff"
	OriginImport  Origin = "import"
)

// Contact holds the private fields of the person who filed a request. They
// are never shown on a public read.
type Contact struct {
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	DeviceID  string `json:"device_id,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// Empty reports whether no contact field is set.
func (c Contact) Empty() bool { return c == Contact{} }

// Request is a city service request or a community concern.
type Request struct {
	// Number is the public tracking number: "SR26-00000001" for a service
	// request, "CC26-00000001" (the control number) for a concern. Assigned
	// by the store at creation, sequential per year, never reused.
	Number       string
	Jurisdiction string
	Kind         Kind
	ServiceCode  string
	ServiceName  string
	State        State
	Description  string
	// Location. Lon/Lat are WGS84; Address is the street address as given.
	Lon, Lat  float64
	Address   string
	AddressID string
	ZIP       string
	// H3 is the request's H3 cell at resolution H3Resolution (0 if unset).
	H3 uint64
	// Routing at creation: areas with generation ids, owner.
	Areas      []AreaRef
	Department string
	Unit       string
	// AssignedTo is the investigating member (star number or name).
	AssignedTo string
	Origin     Origin
	// Times. RequestedAt is when the city received it.
	RequestedAt time.Time
	UpdatedAt   time.Time
	AcceptedAt  time.Time // zero if not accepted
	AssignedAt  time.Time // zero if never assigned; the latest assignment
	CompletedAt time.Time // zero if not completed
	ClosedAt    time.Time // zero if open
	// SLADays copied from the service type at creation.
	SLADays int
	// ExtensionDays granted so far, and how many extensions.
	ExtensionDays int
	Extensions    int
	// Reassignments counts assignments after the first (flagged above 3).
	Reassignments int
	// Duplicate handling (see package dedupe).
	Duplicate      bool
	ParentNumber   string // the primary's number when Duplicate
	DuplicateCount int    // on a primary: how many duplicates joined it
	MeToo          int    // on a primary: residents who added themselves
	// Open311 extras.
	MediaURL   string
	Attributes map[string][]string // attribute code -> values (one for single-valued)
	Contact    Contact
	// PINHash is the hash of a community concern's private PIN (never the PIN).
	PINHash []byte
	// Imported records keep what the city recorded beside what geo311 routed.
	// PoliceRelated is set at intake from the service type (and for every
	// community concern) and stored, so stores can keep police-related
	// requests off public lists without knowing the catalogue.
	PoliceRelated bool
	Legacy        bool
	RecordedAreas []AreaRef
	Disposition   string
}

// H3Resolution is the resolution of Request.H3: about 174 m edge, fine enough
// for dedupe radii of 30-250 m and the trends cube's finest level.
const H3Resolution = 9

// Police reports whether the request is police-related and so kept off public lists.
func (r *Request) Police(j *Jurisdiction) bool {
	if r.PoliceRelated || r.Kind == KindCommunityConcern {
		return true
	}
	if st, ok := j.Service(r.ServiceCode); ok {
		return st.Police
	}
	return false
}

// Note is one entry of a request's history: every lifecycle transition, and
// any remark staff add. Notes are append-only.
type Note struct {
	ID     int64
	At     time.Time
	Actor  string // "resident", "intake:<key name>", "staff:<name>", "system"
	Event  Event
	Text   string
	Reason string // justification of an extension, a return or a non-acceptance
	// Internal notes are for staff only; public views omit them.
	Internal bool
}

// Event names what a note records.
type Event string

// Events.
const (
	EventCreated     Event = "created"
	EventAccepted    Event = "accepted"
	EventNotAccepted Event = "not_accepted"
	EventAssigned    Event = "assigned"
	EventReassigned  Event = "reassigned"
	EventExtended    Event = "extended"
	EventCompleted   Event = "completed"
	EventReturned    Event = "returned"
	EventClosed      Event = "closed"
	EventDuplicate   Event = "duplicate"    // this request joined a primary
	EventDuplicateOf Event = "duplicate_of" // on a primary: a duplicate joined
	EventUnlinked    Event = "unlinked"
	EventMerged      Event = "merged"
	EventMeToo       Event = "me_too"
	EventComment     Event = "comment"
)
