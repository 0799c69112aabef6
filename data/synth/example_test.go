package synth_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/synth"
)

func ExampleGenerate() {
	j := &data.Jurisdiction{
		ID: "demo", TimeZone: "America/Chicago",
		Services: []data.ServiceType{
			{Code: "PHF", Name: "Pothole in Street Complaint", Kind: data.KindServiceRequest, Department: "CDOT", SLADays: 7,
				Dedupe: data.DedupeRule{RadiusM: 30, WindowDays: 30}},
			{Code: "GRAF", Name: "Graffiti Removal Request", Kind: data.KindServiceRequest, Department: "DSS", SLADays: 5,
				Dedupe: data.DedupeRule{RadiusM: 50, WindowDays: 30}},
		},
	}
	ward := data.Area{Layer: data.LayerWard, ID: "1", Geometry: orb.MultiPolygon{{{
		{-87.70, 41.85}, {-87.65, 41.85}, {-87.65, 41.90}, {-87.70, 41.90}, {-87.70, 41.85}}}}}

	n, dups := 0, 0
	var last *data.Request
	err := synth.Generate(synth.Config{Jurisdiction: j, N: 10000, Seed: 1, Year: 2026, Areas: []data.Area{ward}},
		func(r *data.Request) error {
			n++
			if r.Duplicate {
				dups++
			}
			last = r
			return nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "requests, the last numbered", last.Number)
	fmt.Println("some duplicates:", dups > 0)
	fmt.Println("shares:", synth.Shares(j))
	// Output:
	// 10000 requests, the last numbered SR26-00010000
	// some duplicates: true
	// shares: map[GRAF:0.47368421052631576 PHF:0.5263157894736842]
}
