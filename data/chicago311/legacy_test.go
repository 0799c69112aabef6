package chicago311

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/geo311/geo311/data"
)

// The nine legacy sample files: rows (records after the header), rows marked
// "- Dup", the short code every row maps to, and rows with no coordinates at
// all (neither latitude/longitude nor X/Y), counted independently with
// encoding/csv and Python when the files were added.
var legacyFiles = []struct {
	name        string
	rows, dups  int
	codes       []string
	noLocation  int
	attrExample string // an attribute key the file's rows carry
}{
	{"chicago_311_legacy_abandoned-vehicles.csv", 999, 207, []string{"SKA"}, 1, "vehicle_make_model"},
	{"chicago_311_legacy_garbage-carts.csv", 999, 164, []string{"SIE"}, 0, ""},
	{"chicago_311_legacy_general.csv", 1497, 948, []string{"SFA", "SLA"}, 1, ""},
	{"chicago_311_legacy_graffiti-removal.csv", 999, 216, []string{"GRAF"}, 0, "what_type_of_surface_is_the_graffiti_on"},
	{"chicago_311_legacy_pot-holes.csv", 999, 143, []string{"PHF"}, 0, ""},
	{"chicago_311_legacy_rodent-baiting.csv", 999, 30, []string{"SGA"}, 0, "number_of_premises_baited"},
	{"chicago_311_legacy_sanitation-code.csv", 999, 52, []string{"SCB"}, 1, "what_is_the_nature_of_this_code_violation"},
	{"chicago_311_legacy_tree-debris.csv", 999, 52, []string{"SEF"}, 0, "if_yes_where_is_the_debris_located"},
	{"chicago_311_legacy_tree-trims.csv", 999, 197, []string{"SEL"}, 0, "location_of_trees"},
}

func readAll(t *testing.T, path string) (reqs []*data.Request, rowErrs []*RowError, schema string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			rowErrs = append(rowErrs, re)
			continue
		}
		if err != nil {
			t.Fatalf("%s: fatal: %v", path, err)
		}
		reqs = append(reqs, r)
	}
	return reqs, rowErrs, rd.Schema()
}

func TestLegacyFiles(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "data", "chicago", "legacy_311")
	total, totalDups := 0, 0
	for _, lf := range legacyFiles {
		t.Run(lf.name, func(t *testing.T) {
			reqs, rowErrs, schema := readAll(t, filepath.Join(dir, lf.name))
			if schema != SchemaLegacy {
				t.Errorf("schema %q, want legacy", schema)
			}
			for _, e := range rowErrs {
				t.Errorf("row error: %v", e)
			}
			if got := len(reqs) + len(rowErrs); got != lf.rows {
				t.Errorf("%d requests + %d row errors = %d, want %d rows", len(reqs), len(rowErrs), got, lf.rows)
			}
			dups, noLoc := 0, 0
			codes := map[string]bool{}
			seen := map[string]bool{}
			attr := 0
			for _, r := range reqs {
				codes[r.ServiceCode] = true
				if r.Duplicate {
					dups++
					if r.ParentNumber != "" {
						t.Errorf("%s: legacy duplicate with a parent %q", r.Number, r.ParentNumber)
					}
				}
				if !HasLocation(r) {
					noLoc++
				} else if r.Lat < 41.6 || r.Lat > 42.1 || r.Lon < -88 || r.Lon > -87.5 {
					t.Errorf("%s: location %v,%v outside Chicago", r.Number, r.Lon, r.Lat)
				}
				if !r.Legacy || r.Origin != data.OriginImport || r.Jurisdiction != "chicago" {
					t.Errorf("%s: legacy %v origin %q jurisdiction %q", r.Number, r.Legacy, r.Origin, r.Jurisdiction)
				}
				if r.State != data.StateClosed || r.ClosedAt.IsZero() || r.RequestedAt.IsZero() {
					t.Errorf("%s: state %q closed %v requested %v", r.Number, r.State, r.ClosedAt, r.RequestedAt)
				}
				if r.RequestedAt.Location().String() != "America/Chicago" || r.RequestedAt.Year() < 2000 {
					t.Errorf("%s: requested at %v", r.Number, r.RequestedAt)
				}
				if r.Department == "" {
					t.Errorf("%s: no department", r.Number)
				}
				for _, a := range r.RecordedAreas {
					if a.Generation != RecordedGeneration {
						t.Errorf("%s: area %+v", r.Number, a)
					}
					if a.Layer == data.LayerDistrict && len(a.ID) != 2 {
						t.Errorf("%s: district %q not padded to 2", r.Number, a.ID)
					}
				}
				if lf.attrExample != "" && len(r.Attributes[lf.attrExample]) == 1 {
					attr++
				}
				seen[r.Number] = true
			}
			if dups != lf.dups {
				t.Errorf("%d duplicates, want %d", dups, lf.dups)
			}
			if noLoc != lf.noLocation {
				t.Errorf("%d rows without location, want %d", noLoc, lf.noLocation)
			}
			for _, c := range lf.codes {
				if !codes[c] {
					t.Errorf("no row with code %s (codes %v)", c, codes)
				}
			}
			if len(codes) != len(lf.codes) {
				t.Errorf("codes %v, want %v", codes, lf.codes)
			}
			if lf.attrExample != "" && attr == 0 {
				t.Errorf("no row carries attribute %q", lf.attrExample)
			}
			if len(seen) < len(reqs)*9/10 {
				t.Errorf("%d distinct numbers for %d rows", len(seen), len(reqs))
			}
			total += len(reqs) + len(rowErrs)
			totalDups += dups
		})
	}
	if total != 9489 {
		t.Errorf("%d rows in all, want 9,489", total)
	}
	t.Logf("%d rows, %d duplicates", total, totalDups)
}

// TestLegacyStatePlane converts the X/Y of every legacy row that also has
// latitude and longitude, and compares with the city's coordinates. In five
// files the city's latitude/longitude are its own conversion of X/Y and must
// agree to the centimetre; in the other four (abandoned vehicles, garbage
// carts, graffiti, potholes) they come from a separate geocode, about 12 m
// west of the X/Y point with tens of metres of scatter, so only gross errors
// are checked there.
func TestLegacyStatePlane(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "data", "chicago", "legacy_311")
	exact := map[string]bool{
		"chicago_311_legacy_general.csv": true, "chicago_311_legacy_rodent-baiting.csv": true,
		"chicago_311_legacy_sanitation-code.csv": true, "chicago_311_legacy_tree-debris.csv": true,
		"chicago_311_legacy_tree-trims.csv": true,
	}
	n, nExact := 0, 0
	worst := 0.0
	for _, lf := range legacyFiles {
		limit := 500.0
		if exact[lf.name] {
			limit = 0.01
		}
		f, err := os.Open(filepath.Join(dir, lf.name))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		c := rd.c
		for {
			rec, _, err := rd.csv.read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			x, e1 := strconv.ParseFloat(rec[c.x], 64)
			y, e2 := strconv.ParseFloat(rec[c.y], 64)
			lat, e3 := strconv.ParseFloat(rec[c.lat], 64)
			lon, e4 := strconv.ParseFloat(rec[c.lon], 64)
			if e1 != nil || e2 != nil || e3 != nil || e4 != nil {
				continue
			}
			glon, glat := StatePlaneToWGS84(x, y)
			d := metres(lon, lat, glon, glat)
			if exact[lf.name] {
				worst = math.Max(worst, d)
				nExact++
			}
			if d > limit {
				t.Errorf("%s %s: (%v, %v) -> %.7f,%.7f, city %.7f,%.7f: %.2f m apart", lf.name, rec[c.number], x, y, glon, glat, lon, lat, d)
			}
			n++
		}
		f.Close()
	}
	if n < 9000 || nExact < 5000 {
		t.Errorf("only %d rows with both coordinates (%d in the exact files)", n, nExact)
	}
	t.Logf("%d rows compared; %d rows of the city's own conversion, worst %.4f m", n, nExact, worst)
}

func metres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
