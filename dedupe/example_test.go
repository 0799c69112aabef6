package dedupe_test

import (
	"fmt"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/dedupe"
)

func ExampleDecide() {
	rule := data.DedupeRule{RadiusM: 40, WindowDays: 30, SameStreet: true} // potholes
	now := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	open := &data.Request{Number: "SR26-00000041", ServiceCode: "PHF", State: data.StateNew,
		Lat: 41.92535, Lon: -87.65830, Address: "1234 W FULLERTON AVE",
		Description: "deep pothole in the curb lane", RequestedAt: now.Add(-26 * time.Hour)}
	r := &data.Request{ServiceCode: "PHF", Lat: 41.92537, Lon: -87.65841,
		Address: "1236 W Fullerton Avenue", Description: "pothole curb lane", RequestedAt: now}
	d := dedupe.Decide(r, rule, []*data.Request{open}, now)
	fmt.Println(d.Duplicate, d.Primary)
	fmt.Println(d.Reason)
	// Output:
	// true SR26-00000041
	// Duplicate of SR26-00000041: 9 m away, received 26 hours earlier, same street within 8 house numbers (1234 W FULLERTON AVE), descriptions 75% alike; score 0.80 >= 0.60.
}

func ExampleSearchCells() {
	cells, err := dedupe.SearchCells(41.8789, -87.6359, 250)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(cells), "cells to search, k =", dedupe.SearchK(250))
	// Output: 19 cells to search, k = 2
}

func ExampleLockKeys() {
	a, _ := dedupe.LockKeys(41.92535, -87.65830, 40)
	b, _ := dedupe.LockKeys(41.92560, -87.65830, 40) // 28 m north
	shared := 0
	for _, x := range a {
		for _, y := range b {
			if x == y {
				shared++
			}
		}
	}
	fmt.Println(shared > 0)
	// Output: true
}

func ExampleParseAddress() {
	a := dedupe.ParseAddress("1234 1/2 west Fullerton Avenue, Chicago IL 60614")
	fmt.Println(a.Number, a.Street())
	fmt.Println(dedupe.ParseAddress("W Fullerton Ave and N Clark St"))
	// Output:
	// 1234 W FULLERTON AVE
	// W FULLERTON AVE & N CLARK ST
}

func ExampleRank() {
	now := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	rule := data.DedupeRule{RadiusM: 100, WindowDays: 14}
	open := []*data.Request{
		{Number: "SR26-7", ServiceCode: "GRAF", Lat: 41.92540, Lon: -87.65830, RequestedAt: now.Add(-2 * time.Hour)},
		{Number: "SR26-3", ServiceCode: "GRAF", Lat: 41.92590, Lon: -87.65830, RequestedAt: now.Add(-72 * time.Hour), DuplicateCount: 4, MeToo: 2},
	}
	for _, r := range dedupe.Rank(41.92535, -87.65830, "GRAF", rule, open, now) {
		fmt.Printf("%s %.0f m, %d people\n", r.Request.Number, r.DistanceM, r.Supporters)
	}
	// Output:
	// SR26-7 6 m, 1 people
	// SR26-3 61 m, 7 people
}

func ExampleIndex() {
	j := &data.Jurisdiction{Services: []data.ServiceType{
		{Code: "SLA", Dedupe: data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}},
		{Code: "SFA", Dedupe: data.DedupeRule{Group: "lights", RadiusM: 150, WindowDays: 30}},
	}}
	now := time.Date(2026, 3, 10, 21, 0, 0, 0, time.UTC)
	ix := dedupe.NewIndex(j)
	_ = ix.Add(&data.Request{Number: "SR26-1", ServiceCode: "SFA", Lat: 41.92535, Lon: -87.65830, RequestedAt: now.Add(-48 * time.Hour)})
	r := &data.Request{ServiceCode: "SLA", Lat: 41.92600, Lon: -87.65830, RequestedAt: now}
	d, err := ix.Decide(r, j.Services[0].Dedupe, now)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Duplicate, d.Primary, d.Reason)
	// Output: true SR26-1 Duplicate of SR26-1: 72 m away, received 2 days earlier; score 0.66 >= 0.60.
}
