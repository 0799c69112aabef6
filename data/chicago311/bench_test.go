package chicago311

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geo311/geo311/data/datatest"
)

// benchInput repeats the data rows of a testdata file under its header until
// it has n rows, giving each a distinct number.
func benchInput(b *testing.B, name string, n int) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	var buf bytes.Buffer
	buf.WriteString(lines[0] + "\n")
	rows := lines[1:]
	for i := 0; i < n; i++ {
		row := rows[i%len(rows)]
		_, rest, _ := strings.Cut(row, ",")
		fmt.Fprintf(&buf, "SR23-%08d,%s\n", i, rest)
	}
	return buf.Bytes()
}

func benchRead(b *testing.B, in []byte, rows int) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := datatest.CPU()
	for b.Loop() {
		rd, err := NewReader(bufio.NewReaderSize(bytes.NewReader(in), 1<<16))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("%d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu := datatest.CPU() - cpu0; cpu > 0 {
		// Rows per second of process CPU time (parsing plus the garbage
		// collector): the figure for one free core.
		b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}

// BenchmarkReaderCurrent parses current-schema rows (39 columns, about 400
// bytes each, the shape of a portal export) on one goroutine.
func BenchmarkReaderCurrent(b *testing.B) {
	const rows = 100000
	benchRead(b, benchInput(b, "current_api.csv", rows), rows)
}

// BenchmarkReaderLegacy parses the real legacy rows (all nine files' rows
// repeated) when the shared data is present.
func BenchmarkReaderLegacy(b *testing.B) {
	dir := filepath.Join(sharedDir(b), "data", "chicago", "legacy_311")
	raw, err := os.ReadFile(filepath.Join(dir, "chicago_311_legacy_graffiti-removal.csv"))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	var buf bytes.Buffer
	buf.WriteString(lines[0] + "\n")
	const rows = 100000
	for i := 0; i < rows; i++ {
		buf.WriteString(lines[1+i%(len(lines)-1)] + "\n")
	}
	benchRead(b, buf.Bytes(), rows)
}
