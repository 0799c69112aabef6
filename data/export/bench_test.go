package export

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/geo311/geo311/data"
)

// benchPool is a pool of requests cycled through by the benchmarks, so
// that generating rows costs nothing measurable.
func benchPool() []*data.Request {
	pool := make([]*data.Request, 4096)
	for i := range pool {
		pool[i] = new(data.Request)
		genRequest(pool[i], i*7919)
	}
	return pool
}

// benchmarkExport writes rows requests per op in format f to a writer made
// by sink, reporting ns/row and MB/s of output.
func benchmarkExport(b *testing.B, f Format, rows int, sink func() (io.Writer, func())) {
	pool := benchPool()
	opt := Options{Jurisdiction: testJurisdiction(), TempDir: b.TempDir()}
	b.ReportAllocs()
	var bytes int64
	cpu0 := processCPU()
	for b.Loop() {
		w, done := sink()
		ew, err := NewWriter(w, f, opt)
		if err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			if err := ew.Write(pool[i&4095]); err != nil {
				b.Fatal(err)
			}
		}
		if err := ew.Close(); err != nil {
			b.Fatal(err)
		}
		done()
		bytes = ew.Stats().Bytes
	}
	cpu := processCPU() - cpu0
	b.SetBytes(bytes)
	if cpu > 0 {
		// CPU time of the whole process (writer and GC), robust to a
		// machine shared with other work, unlike wall time.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(rows), "cpu-ns/row")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
	b.ReportMetric(float64(rows), "rows/op")
}

func discard() (io.Writer, func()) { return io.Discard, func() {} }

func tempFile(b *testing.B) func() (io.Writer, func()) {
	dir := b.TempDir()
	return func() (io.Writer, func()) {
		f, err := os.Create(filepath.Join(dir, "out"))
		if err != nil {
			b.Fatal(err)
		}
		return f, func() {
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkArrowStream1M is the target: 1 million requests to an
// Arrow IPC stream in under a second.
func BenchmarkArrowStream1M(b *testing.B) {
	b.Run("discard", func(b *testing.B) { benchmarkExport(b, FormatArrowStream, 1_000_000, discard) })
	b.Run("file", func(b *testing.B) { benchmarkExport(b, FormatArrowStream, 1_000_000, tempFile(b)) })
}

// BenchmarkFormats compares the formats on 200 000 requests to io.Discard.
func BenchmarkFormats(b *testing.B) {
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) { benchmarkExport(b, f, 200_000, discard) })
	}
}
