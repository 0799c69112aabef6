package trends

import (
	"testing"
	"time"
)

func TestCubeHeatmapMatchesBruteForce(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, chicago)
	rs := synthRequests(20000, 7, start, 365)
	c, err := NewCube(Options{Location: chicago})
	if err != nil {
		t.Fatal(err)
	}
	c.Load(rs[:15000])
	for _, r := range rs[15000:] {
		c.Add(r)
	}
	cases := []struct {
		name     string
		res      int
		from, to time.Time
		types    []string
		ev       Event
		dups     bool
	}{
		{"year res7", 7, start, start.AddDate(1, 0, 0), nil, Opened, false},
		{"year res10 dups", 10, start, start.AddDate(1, 0, 0), nil, Opened, true},
		{"march closed res8", 8, start.AddDate(0, 2, 0), start.AddDate(0, 3, 0), nil, Closed, false},
		{"two types res9", 9, start.AddDate(0, 1, 0), start.AddDate(0, 7, 0), []string{"T00", "T03"}, Opened, true},
		{"unknown type", 9, start, start.AddDate(1, 0, 0), []string{"NOPE"}, Opened, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Heatmap(HeatmapQuery{From: tc.from, To: tc.to, Types: tc.types, Event: tc.ev, Duplicates: tc.dups, Resolution: tc.res})
			if err != nil {
				t.Fatal(err)
			}
			want := bruteCount(rs, chicago, tc.res, tc.from, tc.to, tc.types, tc.ev, tc.dups)
			if len(got) != len(want) {
				t.Fatalf("%d cells, want %d", len(got), len(want))
			}
			for _, cc := range got {
				if want[uint64(cc.Cell)] != cc.Count {
					t.Fatalf("cell %s: %d, want %d", cc.Cell, cc.Count, want[uint64(cc.Cell)])
				}
			}
		})
	}
}
