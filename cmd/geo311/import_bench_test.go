package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data/datatest"
	"github.com/geo311/geo311/data/postgis/pgtest"
)

// currentHeader is the header of a Chicago Data Portal 311 export in the
// current schema (39 columns).
const currentHeader = "sr_number,sr_type,sr_short_code,created_department,owner_department,status,origin," +
	"created_date,last_modified_date,closed_date,street_address,city,state,zip_code,street_number," +
	"street_direction,street_name,street_type,duplicate,legacy_record,legacy_sr_number,parent_sr_number," +
	"community_area,ward,electrical_district,electricity_grid,police_sector,police_district,police_beat," +
	"precinct,sanitation_division_days,created_hour,created_day_of_week,created_month,x_coordinate," +
	"y_coordinate,latitude,longitude,location"

// writeChicagoCSV writes n rows of a synthetic portal export of the current
// schema for 2025: service types of the catalogue, points over Chicago's
// bounding box (some fall outside the city, as in real exports some have
// no location), creation times in order through the year as the portal
// sorts them, a tenth duplicates of an earlier request, the city's
// recorded areas, and every tenth-thousandth row malformed (a row error).
func writeChicagoCSV(path string, n int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	types := []struct{ name, code, dept string }{
		{"Pothole in Street Complaint", "PHF", "CDOT - Department of Transportation"},
		{"Graffiti Removal Request", "GRAF", "Streets and Sanitation"},
		{"Street Light Out Complaint", "SLA", "CDOT - Department of Transportation"},
		{"Alley Light Out Complaint", "SFA", "CDOT - Department of Transportation"},
		{"Rodent Baiting/Rat Complaint", "SGA", "Streets and Sanitation"},
		{"Abandoned Vehicle Complaint", "SKA", "Streets and Sanitation"},
		{"Tree Trim Request", "SEL", "Streets and Sanitation"},
		{"Garbage Cart Maintenance", "SIE", "Streets and Sanitation"},
		{"Sanitation Code Violation", "SCB", "Streets and Sanitation"},
		{"Aircraft Noise Complaint", "AVN", "Aviation"},
	}
	statuses := []string{"Completed", "Completed", "Completed", "Open", "Canceled"}
	origins := []string{"Phone Call", "Internet", "Mobile Device", "Spot Lookup"}
	days := []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dirs := []string{"N", "S", "E", "W"}
	streets := []string{"ASHLAND", "WESTERN", "HALSTED", "CICERO", "PULASKI", "KEDZIE", "DAMEN", "CLARK", "STATE", "81ST", "63RD", "ROOT"}
	rng := rand.New(rand.NewPCG(seed, 311))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	w.WriteString(currentHeader + "\n")
	var b []byte
	for i := range n {
		b = b[:0]
		t := types[rng.IntN(len(types))]
		created := start.Add(time.Duration(i)*step + time.Duration(rng.Int64N(int64(step))))
		status := statuses[rng.IntN(len(statuses))]
		b = fmt.Appendf(b, "SR25-%08d,%s,%s,,%s,%s,%s,%s,", i+1, t.name, t.code, t.dept, status,
			origins[rng.IntN(len(origins))], created.Format("2006-01-02T15:04:05.000"))
		modified := created.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		b = append(b, modified.Format("2006-01-02T15:04:05.000")...)
		b = append(b, ',')
		if status != "Open" {
			b = append(b, modified.Format("2006-01-02T15:04:05.000")...)
		}
		num, dir, street := 100+rng.IntN(12000), dirs[rng.IntN(4)], streets[rng.IntN(len(streets))]
		b = fmt.Appendf(b, ",%d %s %s ST,CHICAGO,IL,606%02d,%d,%s,%s,ST,", num, dir, street, rng.IntN(60), num, dir, street)
		dup := i > 0 && rng.IntN(10) == 0
		b = strconv.AppendBool(b, dup)
		b = append(b, ",false,,"...)
		if dup {
			b = fmt.Appendf(b, "SR25-%08d", 1+rng.IntN(i))
		}
		beat := fmt.Sprintf("%d%d%02d", 1+rng.IntN(2), rng.IntN(10), 10+rng.IntN(25))
		b = fmt.Appendf(b, ",%d,%d,,,%s,%s,%s,,%s,%d,%d,%d,", 1+rng.IntN(77), 1+rng.IntN(50), beat[1:3], beat[:2], beat,
			days[rng.IntN(7)], created.Hour(), int(created.Weekday())+1, int(created.Month()))
		if rng.IntN(50) == 0 { // no location
			b = append(b, ",,,,\n"...)
		} else {
			lon, lat := -87.94+rng.Float64()*0.415, 41.645+rng.Float64()*0.377
			b = fmt.Appendf(b, ",,%.8f,%.8f,POINT (%.8f %.8f)\n", lat, lon, lon, lat)
		}
		if i%10000 == 9999 {
			b = append(b[:0], fmt.Sprintf("SR25-%08d,malformed row\n", i+1)...)
		}
		if _, err := w.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// chicagoBoundaries loads the real Chicago beats, districts, wards and
// community areas into the store of vars.
func chicagoBoundaries(tb testing.TB, vars map[string]string) {
	tb.Helper()
	for _, l := range []struct{ layer, file, from string }{
		{"beat", "police_beats.geojson", "2012-12-19"},
		{"district", "police_districts.geojson", "2012-12-19"},
		{"ward", "wards_2023.geojson", "2023-05-15"},
		{"community_area", "community_areas.geojson", "1980-01-01"},
	} {
		mustCLI(tb, vars, "boundaries", "load", "--layer", l.layer, "--from", l.from, "--activate", sharedDir(tb, "data/chicago/"+l.file))
	}
}

// BenchmarkImportChicago runs `geo311 import chicago FILE` end to end on a
// generated current-schema export (writeChicagoCSV) with the real Chicago
// boundaries loaded: CSV parsing, routing of every row on all cores, the
// recorded-vs-routed comparison and the store's import, one transaction per
// file, into an empty store per iteration (the boundaries stay). Reports
// rows/s and seconds per import (issue 3: a million rows in under 30 s on
// each store). The million-row runs are selected by name:
//
//	go test -run '^$' -bench 'BenchmarkImportChicago/store=sqlite/rows=1000000' -benchtime 1x -count 3 ./cmd/geo311/
//	go test -run '^$' -bench 'BenchmarkImportChicago/store=postgis/rows=1000000' -benchtime 1x -count 3 ./cmd/geo311/
func BenchmarkImportChicago(b *testing.B) {
	for _, store := range []string{"sqlite", "postgis"} {
		b.Run("store="+store, func(b *testing.B) {
			for _, n := range []int{100_000, 1_000_000} {
				b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
					if n > 100_000 && !strings.Contains(benchFlag(), fmt.Sprint(n)) {
						b.Skipf("%d rows: select it with -bench 'BenchmarkImportChicago/store=%s/rows=%d'", n, store, n)
					}
					benchImportChicago(b, store, n)
				})
			}
		})
	}
}

func benchImportChicago(b *testing.B, store string, n int) {
	dir := b.TempDir()
	csv := filepath.Join(dir, "chicago.csv")
	if err := writeChicagoCSV(csv, n, 1); err != nil {
		b.Fatal(err)
	}
	rows := n - n/10000 // the malformed ones are row errors
	vars := map[string]string{"GEO311_DATABASE": filepath.Join(dir, "chicago.db"), "GEO311_LOG_LEVEL": "warn"}
	var clear func()
	switch store {
	case "sqlite":
		// Each run imports into a copy of a file holding the boundaries.
		chicagoBoundaries(b, vars)
		loaded := vars["GEO311_DATABASE"]
		vars = map[string]string{"GEO311_DATABASE": filepath.Join(dir, "run.db"), "GEO311_LOG_LEVEL": "warn"}
		clear = func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(filepath.Join(dir, "run.db") + suffix)
			}
			if err := copyFile(loaded, filepath.Join(dir, "run.db")); err != nil {
				b.Fatal(err)
			}
		}
	case "postgis":
		ctx := context.Background()
		c, err := pgtest.Start(ctx)
		if err != nil {
			b.Logf("pgtest.Start: %v", err)
			pgtest.Need(b, nil)
		}
		b.Cleanup(func() { c.Stop() })
		url, err := c.NewDatabase(ctx, "geo311_import_bench")
		if err != nil {
			b.Fatal(err)
		}
		vars["GEO311_DATABASE_URL"] = url
		chicagoBoundaries(b, vars)
		clear = func() {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "TRUNCATE requests CASCADE; TRUNCATE number_counters; CHECKPOINT"); err != nil {
				b.Fatal(err)
			}
		}
	}
	var took, cpu, stolen time.Duration
	stealOK := true
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		clear()
		b.StartTimer()
		t0, c0 := time.Now(), datatest.CPU()
		s0, ok0 := datatest.StolenCPU()
		out, errs, err := cli(b, vars, "import", "chicago", csv)
		took += time.Since(t0)
		cpu += datatest.CPU() - c0
		s1, ok1 := datatest.StolenCPU()
		stolen, stealOK = stolen+s1-s0, stealOK && ok0 && ok1
		if err != nil {
			b.Fatalf("%v\n%s", err, errs)
		}
		if got := summaryInt(b, out, "imported"); got != rows {
			b.Fatalf("imported %d of %d rows:\n%s", got, rows, out)
		}
	}
	b.ReportMetric(float64(rows*b.N)/took.Seconds(), "rows/s")
	b.ReportMetric(took.Seconds()/float64(b.N), "s/import")
	if cpu > 0 {
		// The process's CPU (SQLite's worker threads included; PostGIS's
		// server is another process and not counted).
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/import")
	}
	if stealOK && took > 0 {
		// The share of the machine's CPU time the hypervisor gave to other
		// guests during the imports.
		b.ReportMetric(100*float64(stolen)/float64(took*time.Duration(runtime.NumCPU())), "steal-%")
	}
}

func benchFlag() string {
	if f := flag.Lookup("test.bench"); f != nil {
		return f.Value.String()
	}
	return ""
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
