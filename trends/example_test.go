package trends_test

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/trends"
	"github.com/paulmach/orb"
)

func ExampleCube_Heatmap() {
	loc, _ := time.LoadLocation("America/Chicago")
	cube, _ := trends.NewCube(trends.Options{Location: loc})
	day := time.Date(2026, 7, 1, 9, 0, 0, 0, loc)
	// Three potholes at the same corner (one a duplicate) and one elsewhere.
	cube.Load([]*data.Request{
		{ServiceCode: "PHF", Lat: 41.8781, Lon: -87.6298, RequestedAt: day, State: data.StateNew},
		{ServiceCode: "PHF", Lat: 41.8782, Lon: -87.6297, RequestedAt: day, State: data.StateNew},
		{ServiceCode: "PHF", Lat: 41.8782, Lon: -87.6297, RequestedAt: day, State: data.StateNew, Duplicate: true},
		{ServiceCode: "PHF", Lat: 41.9500, Lon: -87.7000, RequestedAt: day, State: data.StateNew},
	})
	cells, _ := cube.Heatmap(trends.HeatmapQuery{
		From: day.Truncate(24 * time.Hour).Add(-24 * time.Hour), To: day.Add(24 * time.Hour),
		Types: []string{"PHF"}, Zoom: 12.5, // resolution 8
		Area: trends.Area{BBox: &orb.Bound{Min: orb.Point{-87.7, 41.85}, Max: orb.Point{-87.6, 41.9}}},
	})
	for _, c := range cells {
		fmt.Println(c.Cell, c.Cell.Resolution(), c.Count)
	}
	// Output:
	// 882664c1a9fffff 8 2
}

func ExampleCube_Series() {
	loc, _ := time.LoadLocation("America/Chicago")
	cube, _ := trends.NewCube(trends.Options{Location: loc})
	for d := 0; d < 14; d++ {
		cube.Add(&data.Request{ServiceCode: "SCB", Lat: 41.88, Lon: -87.63, State: data.StateNew,
			RequestedAt: time.Date(2026, 6, 29+d, 12, 0, 0, 0, loc)})
	}
	series, _ := cube.Series(trends.SeriesQuery{
		From: time.Date(2026, 6, 29, 0, 0, 0, 0, loc), To: time.Date(2026, 7, 13, 0, 0, 0, 0, loc),
		Interval: trends.Week,
	})
	for _, p := range series {
		fmt.Println(p.Start.Format("Mon 2006-01-02"), p.Count)
	}
	// Output:
	// Mon 2026-06-29 7
	// Mon 2026-07-06 7
}

func ExampleGiStar() {
	// A centre cell (index 0) and its six neighbours in a ring; each ring
	// cell neighbours the centre and the two ring cells beside it.
	x := []float64{6, 3, 0, 0, 0, 0, 0}
	nbrs := [][]int32{{0, 1, 2, 3, 4, 5, 6}, {1, 0, 6, 2}, {2, 0, 1, 3}, {3, 0, 2, 4}, {4, 0, 3, 5}, {5, 0, 4, 6}, {6, 0, 5, 1}}
	for i, z := range trends.GiStar(x, nbrs) {
		fmt.Printf("%d z=%.4f p=%.4f\n", i, z, trends.PValue(z))
	}
	// Output:
	// 0 z=0.0000 p=1.0000
	// 1 z=1.2481 p=0.2120
	// 2 z=1.2481 p=0.2120
	// 3 z=0.2774 p=0.7815
	// 4 z=0.2774 p=0.7815
	// 5 z=0.2774 p=0.7815
	// 6 z=1.2481 p=0.2120
}

func ExampleMannKendall() {
	t := trends.MannKendall([]float64{1.2, 1.9, 2.1, 2.0, 2.8, 3.5, 3.9, 4.4})
	fmt.Printf("S=%d Z=%.3f p=%.4f\n", t.S, t.Z, t.P)
	// Output:
	// S=26 Z=3.093 p=0.0020
}

func ExampleParsePeriod() {
	loc, _ := time.LoadLocation("America/Chicago")
	for _, s := range []string{"2026Q3", "2026-07", "2026"} {
		p, _ := trends.ParsePeriod(s, loc)
		fmt.Println(p.Label, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly))
	}
	// Output:
	// 2026Q3 2026-07-01 2026-10-01
	// 2026-07 2026-07-01 2026-08-01
	// 2026 2026-01-01 2027-01-01
}

func ExampleStatusReport() {
	loc, _ := time.LoadLocation("America/Chicago")
	q3, _ := trends.ParsePeriod("2026Q3", loc)
	beat := func(id string) []data.AreaRef {
		return []data.AreaRef{{Layer: data.LayerBeat, ID: id}, {Layer: data.LayerDistrict, ID: id[:2]}}
	}
	jul := func(d int) time.Time { return time.Date(2026, 7, d, 9, 0, 0, 0, loc) }
	rs := []*data.Request{
		{Kind: data.KindServiceRequest, ServiceCode: "PHF", Areas: beat("1211"), SLADays: 7, RequestedAt: jul(1),
			AssignedAt: jul(2), ClosedAt: jul(4), State: data.StateClosed, UpdatedAt: jul(4)},
		{Kind: data.KindServiceRequest, ServiceCode: "PHF", Areas: beat("1212"), SLADays: 7, RequestedAt: jul(1),
			AssignedAt: jul(2), State: data.StateAssigned, UpdatedAt: jul(2)},
	}
	rep, _ := trends.StatusReport(slices.Values(rs), trends.ReportQuery{Period: q3, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, loc)})
	_ = trends.WriteCSV(os.Stdout, rep)
	// Output:
	// period,layer,area,received,open_at_end,overdue_at_end,closed,closed_with_deadline,closed_within_sla,closed_within_sla_pct,median_days_to_close,p90_days_to_close,extensions,concerns_reassigned_over_3,as_of
	// 2026Q3,beat,1211,1,0,0,1,1,1,100.0,3.00,3.00,0,0,2026-10-01T00:00:00-05:00
	// 2026Q3,beat,1212,1,1,1,0,0,0,,,,0,0,2026-10-01T00:00:00-05:00
	// 2026Q3,district,12,2,1,1,1,1,1,100.0,3.00,3.00,0,0,2026-10-01T00:00:00-05:00
	// 2026Q3,all,all,2,1,1,1,1,1,100.0,3.00,3.00,0,0,2026-10-01T00:00:00-05:00
}
