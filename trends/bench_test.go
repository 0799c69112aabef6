package trends

import (
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
	"github.com/paulmach/orb"
)

var (
	bench2MOnce sync.Once
	bench2M     []*data.Request
	benchStart  = time.Date(2025, 1, 1, 0, 0, 0, 0, chicago)
)

// requests2M: 2 million synthetic requests over two years (2025-2026),
// generated once per test binary with a fixed seed.
func requests2M() []*data.Request {
	bench2MOnce.Do(func() { bench2M = synthRequests(2_000_000, 2026, benchStart, 730) })
	return bench2M
}

// BenchmarkCubeBuild2M builds a cube from 2 million requests with Load (the
// start-up path: both cores).
func BenchmarkCubeBuild2M(b *testing.B) {
	rs := requests2M()
	b.ReportAllocs()
	cpu := datatest.StartCPU()
	for b.Loop() {
		c, err := NewCube(Options{Location: chicago})
		if err != nil {
			b.Fatal(err)
		}
		c.Load(rs)
	}
	cpu.Report(b)
}

var benchCubeOnce sync.Once
var benchCube *Cube

func cube2M(b *testing.B) *Cube {
	benchCubeOnce.Do(func() {
		c, err := NewCube(Options{Location: chicago})
		if err != nil {
			b.Fatal(err)
		}
		c.Load(requests2M())
		benchCube = c
	})
	return benchCube
}

// BenchmarkHeatmapYear: a year's window over the 2-million-request cube,
// at each resolution, every type, opened, duplicates excluded.
func BenchmarkHeatmapYear(b *testing.B) {
	c := cube2M(b)
	for _, res := range []int{7, 8, 9, 10} {
		b.Run(resName(res), func(b *testing.B) {
			q := HeatmapQuery{From: benchStart.AddDate(0, 6, 0), To: benchStart.AddDate(1, 6, 0), Resolution: res}
			cpu := datatest.StartCPU()
			for b.Loop() {
				if _, err := c.Heatmap(q); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		})
	}
}

func resName(res int) string { return "res" + string(rune('0'+res/10)) + string(rune('0'+res%10)) }

// BenchmarkChronicDistrict: emerging hot spots over 12 weeks for a
// district-sized study area (0.08° x 0.06°, about 45 km², resolution 9,
// about 400 cells) of the 2-million-request cube.
func BenchmarkChronicDistrict(b *testing.B) {
	c := cube2M(b)
	bound := orb.Bound{Min: orb.Point{-87.72, 41.84}, Max: orb.Point{-87.64, 41.90}}
	q := ChronicQuery{Area: Area{Polygon: orb.Polygon{bound.ToRing()}}, Resolution: 9, Weeks: 12,
		End: benchStart.AddDate(1, 0, 0)}
	cpu := datatest.StartCPU()
	var n int
	for b.Loop() {
		cells, err := c.Chronic(q)
		if err != nil {
			b.Fatal(err)
		}
		n = len(cells)
	}
	cpu.Report(b)
	b.ReportMetric(float64(n), "categorised-cells")
}
