package export

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// needTool finds a program for the JS consumer test: under CI=true a missing
// one fails the test, elsewhere it skips with a message.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found: install Node.js and npm (Debian: apt-get install nodejs npm) to run the apache-arrow consumer test"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// jsDir installs testdata/js's pinned apache-arrow with npm ci when missing.
func jsDir(t *testing.T) string {
	t.Helper()
	needTool(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "apache-arrow", "package.json")); err != nil {
		npm := needTool(t, "npm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			msg := "npm ci in " + dir + " failed (offline?): " + err.Error() + "\n" + string(out)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return dir
}

type jsField struct {
	Name      string
	Type      string
	Nullable  bool
	Metadata  map[string]string
	ValueType string
	IndexType string
	Unit      string
	Timezone  string
	Children  []string
}

type jsResult struct {
	Path           string
	Kind           string
	Rows           int
	Batches        int
	Fields         []jsField
	Nulls          map[string]int
	Distinct       map[string]int
	First, Last    map[string]any
	SchemaMetadata map[string]string
}

func TestJSConsumer(t *testing.T) {
	dir := jsDir(t)
	tmp := t.TempDir()
	var rs []*data.Request
	rs = append(rs, sampleRequests()...)
	for i := range 5000 {
		r := new(data.Request)
		genRequest(r, i)
		rs = append(rs, r)
	}
	opt := Options{Jurisdiction: testJurisdiction(), BatchSize: 700, TempDir: tmp}
	files := map[Format]string{}
	for _, f := range []Format{FormatArrowStream, FormatArrowFile} {
		b, _ := writeAll(t, f, opt, rs)
		p := filepath.Join(tmp, "requests"+f.Extension())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[f] = p
	}
	var cube bytes.Buffer
	if _, err := WriteCube(&cube, FormatArrowStream, Options{}, seqOf(cubeRows())); err != nil {
		t.Fatal(err)
	}
	cubePath := filepath.Join(tmp, "cube.arrows")
	if err := os.WriteFile(cubePath, cube.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "check.mjs"), files[FormatArrowStream], files[FormatArrowFile], cubePath)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []jsResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output: %v\n%s", err, out)
	}
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}

	// What the Go side knows about the requests.
	wantNulls := map[string]int{}
	distinctCodes := map[string]bool{}
	for _, r := range rs {
		for k, v := range expected(r, testLayers) {
			if v == nil {
				wantNulls[k]++
			} else if k == "service_code" {
				distinctCodes[v.(string)] = true
			}
		}
	}
	for i, kind := range []string{"stream", "file"} {
		r := res[i]
		if r.Kind != kind || r.Rows != len(rs) {
			t.Errorf("%s: kind %q rows %d, want %q %d", r.Path, r.Kind, r.Rows, kind, len(rs))
		}
		if want := (len(rs) + 699) / 700; r.Batches != want {
			t.Errorf("%s: %d batches, want %d", kind, r.Batches, want)
		}
		cols, _ := Columns(opt, FormatArrowStream)
		if len(r.Fields) != len(cols) {
			t.Fatalf("%s: %d fields, want %d", kind, len(r.Fields), len(cols))
		}
		byName := map[string]jsField{}
		for j, f := range r.Fields {
			if f.Name != cols[j] {
				t.Errorf("%s: field %d %q, want %q", kind, j, f.Name, cols[j])
			}
			byName[f.Name] = f
		}
		for _, n := range []string{"kind", "service_code", "service_name", "status", "state", "department", "unit", "origin", "beat", "district", "ward"} {
			if f := byName[n]; f.Type != "Dictionary" || f.ValueType != "Utf8" || f.IndexType != "Int32" {
				t.Errorf("%s: %s is %s<%s, %s>, want Dictionary<Utf8, Int32>", kind, n, f.Type, f.ValueType, f.IndexType)
			}
		}
		for _, n := range []string{"requested_at", "updated_at", "closed_at"} {
			if f := byName[n]; f.Type != "Timestamp" || f.Unit != "MICROSECOND" || f.Timezone != "UTC" {
				t.Errorf("%s: %s is %s %s %s", kind, n, f.Type, f.Unit, f.Timezone)
			}
		}
		for n, typ := range map[string]string{"number": "Utf8", "duplicate": "Bool", "duplicate_count": "Int", "h3": "Int", "lon": "Float", "lat": "Float", "geometry": "Struct"} {
			if byName[n].Type != typ {
				t.Errorf("%s: %s is %s, want %s", kind, n, byName[n].Type, typ)
			}
		}
		g := byName["geometry"]
		if g.Metadata[ExtensionNameKey] != GeoArrowPoint || len(g.Children) != 2 || g.Children[0] != "x:Float" || g.Children[1] != "y:Float" {
			t.Errorf("%s: geometry %+v", kind, g)
		}
		var crs struct {
			CRS struct {
				ID struct{ Authority, Code string }
			}
		}
		if err := json.Unmarshal([]byte(g.Metadata[ExtensionMetadataKey]), &crs); err != nil || crs.CRS.ID.Code != "CRS84" {
			t.Errorf("%s: geometry extension metadata %q", kind, g.Metadata[ExtensionMetadataKey])
		}
		for _, n := range cols {
			if r.Nulls[n] != wantNulls[n] {
				t.Errorf("%s: %s has %d nulls, want %d", kind, n, r.Nulls[n], wantNulls[n])
			}
		}
		if r.Distinct["service_code"] != len(distinctCodes) {
			t.Errorf("%s: %d distinct service codes, want %d", kind, r.Distinct["service_code"], len(distinctCodes))
		}
		if r.First["number"] != rs[0].Number || r.Last["number"] != rs[len(rs)-1].Number || r.First["service_code"] != "PHF" {
			t.Errorf("%s: first %v last %v", kind, r.First["number"], r.Last["number"])
		}
		if geom, _ := r.First["geometry"].(map[string]any); geom["x"] != rs[0].Lon || geom["y"] != rs[0].Lat {
			t.Errorf("%s: first geometry %v", kind, r.First["geometry"])
		}
		if ms, _ := r.First["requested_at"].(float64); math.Abs(ms-float64(rs[0].RequestedAt.UnixMicro())/1000) > 1e-3 {
			t.Errorf("%s: first requested_at %v ms, want %d us", kind, r.First["requested_at"], rs[0].RequestedAt.UnixMicro())
		}
		if r.SchemaMetadata[MetaJurisdiction] != "testville" {
			t.Errorf("%s: schema metadata %v", kind, r.SchemaMetadata)
		}
	}
	c := res[2]
	if c.Rows != len(cubeRows()) || c.Kind != "stream" {
		t.Errorf("cube: %+v", c)
	}
	for _, f := range c.Fields {
		if f.Name == "geometry" && (f.Type != "List" || f.Metadata[ExtensionNameKey] != GeoArrowPolygon) {
			t.Errorf("cube geometry %+v", f)
		}
		if f.Name == "day" && f.Type != "Date" {
			t.Errorf("cube day %+v", f)
		}
	}
}
