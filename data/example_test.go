package data_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// A city service request is assigned, extended once by the sergeant, and
// then again with a commander's approval (S02-03-03 V).
func ExampleExtend() {
	received := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	r := &data.Request{Number: "SR26-00000001", Kind: data.KindServiceRequest, State: data.StateNew, RequestedAt: received}
	sgt := data.Actor{Name: "staff:Sgt. Ruiz", Role: data.RoleStaff}

	if _, err := data.Assign(r, sgt, received.Add(time.Hour), "PO Diaz #4411"); err != nil {
		panic(err)
	}
	due, _ := data.DueAt(r)
	fmt.Println("due", due.Format(time.DateOnly))

	notes, err := data.Extend(r, sgt, received.Add(48*time.Hour), "waiting for CDOT", data.Approval{})
	fmt.Println(notes[0].Event, notes[0].Text, err)

	_, err = data.Extend(r, sgt, received.Add(96*time.Hour), "still waiting", data.Approval{})
	fmt.Println(err)

	cmdr := data.Approval{By: "Cmdr. Lee", Role: data.RoleSupervisor}
	notes, err = data.Extend(r, sgt, received.Add(96*time.Hour), "still waiting", cmdr)
	fmt.Println(notes[0].Text, err)
	// Output:
	// due 2026-03-09
	// extended Extension 1: 15 days; due 2026-03-24T16:00:00Z (was 2026-03-09T16:00:00Z) <nil>
	// approved_by: SR26-00000001 was extended before: a further extension needs a commander's approval
	// Extension 2: 15 days; due 2026-04-08T16:00:00Z (was 2026-03-24T16:00:00Z); approved by Cmdr. Lee <nil>
}

// A community concern must be accepted or not accepted within 36 hours
// (S02-03-03 VI.B.2); until then it is overdue for acceptance.
func ExampleAccept() {
	received := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	r := &data.Request{Number: "CC26-00000001", Kind: data.KindCommunityConcern, State: data.StateNew, RequestedAt: received}
	acceptBy, _ := data.AcceptDue(r)
	fmt.Println("accept by", acceptBy.Format(time.RFC3339))
	fmt.Println("overdue after 40h:", data.Overdue(r, received.Add(40*time.Hour)))

	sgt := data.Actor{Name: "staff:Sgt. Ruiz", Role: data.RoleStaff}
	notes, err := data.Accept(r, sgt, received.Add(40*time.Hour))
	fmt.Println(r.State, notes[0].Text, err)
	fmt.Println("overdue after acceptance:", data.Overdue(r, received.Add(41*time.Hour)))
	// Output:
	// accept by 2026-03-04T03:00:00Z
	// overdue after 40h: true
	// accepted Accepted by the community policing sergeant after the 36-hour acceptance window, which ended 2026-03-04T03:00:00Z <nil>
	// overdue after acceptance: false
}

// The district executive officer approves a completed concern's closure, or
// disapproves and returns it for corrective action (S02-03-03 VI).
func ExampleClose() {
	at := time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)
	r := &data.Request{Number: "CC26-00000001", Kind: data.KindCommunityConcern, State: data.StateCompleted,
		RequestedAt: at.Add(-7 * 24 * time.Hour), AssignedAt: at.Add(-6 * 24 * time.Hour), CompletedAt: at.Add(-time.Hour)}

	_, err := data.Close(r, data.Actor{Name: "staff:Sgt. Ruiz", Role: data.RoleStaff}, at, "")
	fmt.Println(err)

	deo := data.Actor{Name: "staff:DEO Park", Role: data.RoleSupervisor}
	notes, err := data.Return(r, deo, at, "call the complainant back")
	fmt.Println(r.State, notes[0].Event, notes[0].Reason, err)
	// Output:
	// role: staff:Sgt. Ruiz needs the supervisor role to close CC26-00000001
	// assigned returned call the complainant back <nil>
}

// Open311's expected_datetime comes from the type's SLA until the request is
// assigned, then from the due date.
func ExampleExpectedAt() {
	received := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	r := &data.Request{Kind: data.KindServiceRequest, State: data.StateNew, RequestedAt: received, SLADays: 30}
	exp, _ := data.ExpectedAt(r)
	fmt.Println(exp.Format(time.DateOnly))
	r.State, r.AssignedAt, r.AssignedTo = data.StateAssigned, received.Add(24*time.Hour), "Streets and Sanitation"
	exp, _ = data.ExpectedAt(r)
	fmt.Println(exp.Format(time.DateOnly))
	// Output:
	// 2026-04-01
	// 2026-03-10
}

func ExampleFormatNumber() {
	fmt.Println(data.FormatNumber(data.KindServiceRequest, 2026, 1))
	fmt.Println(data.FormatNumber(data.KindCommunityConcern, 2026, 1234))
	fmt.Println(data.NumberPrefix(data.KindServiceRequest, 2027))
	// Output:
	// SR26-00000001
	// CC26-00001234
	// SR27-
}

func ExampleParseNumber() {
	kind, year, seq, err := data.ParseNumber("SR19-01209373")
	fmt.Println(kind, year, seq, err)
	_, _, _, err = data.ParseNumber("SR19-1209373")
	fmt.Println(err)
	// Output:
	// service_request 2019 1209373 <nil>
	// service_request_id: "SR19-1209373" is not a tracking number (like SR26-00000001 or CC26-00000001)
}

func ExampleValidNumber() {
	for _, s := range []string{"SR26-00000001", "11-00002767", "SR26-1"} {
		fmt.Println(s, data.ValidNumber(s))
	}
	// Output:
	// SR26-00000001 true
	// 11-00002767 true
	// SR26-1 false
}

// A community concern's PIN is shown once; only its hash is stored
// (S02-03-03 VI.A).
func ExampleNewPIN() {
	pin, hash, err := data.NewPIN()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(pin), strings.HasPrefix(string(hash), "pbkdf2-sha256$"))
	fmt.Println(data.CheckPIN(hash, pin))
	// Output:
	// 8 true
	// true
}

func ExampleNewAPIKey() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	k, secret, err := data.NewAPIKey("District 12 sergeants", data.RoleStaff, []string{"012"}, now)
	if err != nil {
		panic(err)
	}
	id, _ := data.ParseAPIKeySecret(secret)
	fmt.Println(id == k.ID, k.Verify(secret), k.Verify(secret+"x"))
	fmt.Println(k.Allows(data.RoleIntake), k.Allows(data.RoleStaff), k.Allows(data.RoleSupervisor))
	fmt.Println(k.InDistrict("12"), k.InDistrict("011"))
	// Output:
	// true true false
	// true true false
	// true false
}

func ExampleContentPolicy_Check() {
	p := data.DefaultContentPolicy()
	fmt.Println(p.Check("description", "Abandoned car in the alley behind Scunthorpe Ave"))
	fmt.Println(p.Check("description", "these sh1tty drivers"))
	// Output:
	// <nil>
	// description: contains language that is not accepted (s*****): lewd, obscene or derogatory content is not accepted; please rephrase
}
