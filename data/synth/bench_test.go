package synth

import (
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/datatest"
)

// BenchmarkGenerate2M generates a year of 2 million requests over Chicago's
// 277 police beat polygons (real shapes, 72,667 vertices) on one goroutine.
func BenchmarkGenerate2M(b *testing.B) {
	areas := chicagoBeats(b)
	cfg := Config{Jurisdiction: testJurisdiction(), N: 2000000, Seed: 1, Year: 2026, Areas: areas}
	b.ReportAllocs()
	cpu0 := datatest.CPU()
	for b.Loop() {
		n := 0
		if err := Generate(cfg, func(*data.Request) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != cfg.N {
			b.Fatalf("%d requests", n)
		}
	}
	b.ReportMetric(float64(cfg.N)*float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if cpu := datatest.CPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cfg.N)*float64(b.N)/cpu.Seconds(), "req/cpu-s")
	}
}
