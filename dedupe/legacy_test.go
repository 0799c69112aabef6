package dedupe

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/chicago311"
	"github.com/geo311/geo311/data/datatest"
)

// legacyRules are per-type rules this package suggests for the Chicago
// catalogue, by the short codes chicago311 gives the legacy types: tighter
// radii for problems tied to one lot (the legacy "Dup" marks are mostly the
// same address), a circuit-sized radius for street lights. The evaluation
// reports them beside the catalogue's shipped rules.
var legacyRules = map[string]data.DedupeRule{
	"PHF":  {RadiusM: 40, WindowDays: 30, SameStreet: true, IncludeClosedDays: 7}, // about four addresses on the same street
	"SLA":  {RadiusM: 250, WindowDays: 30, IncludeClosedDays: 7},                  // a circuit: a block or two, any street
	"SFA":  {RadiusM: 100, WindowDays: 30, IncludeClosedDays: 7},                  // the alley's lights
	"GRAF": {RadiusM: 30, WindowDays: 14, IncludeClosedDays: 3},                   // the same wall
	"SGA":  {RadiusM: 20, WindowDays: 30, IncludeClosedDays: 14},                  // the same lot
	"SIE":  {RadiusM: 10, WindowDays: 30, SameStreet: true},                       // one household's cart
	"SEF":  {RadiusM: 30, WindowDays: 14, IncludeClosedDays: 3},                   // the same parkway
	"SEL":  {RadiusM: 15, WindowDays: 90, IncludeClosedDays: 30},                  // the same tree
	"SKA":  {RadiusM: 30, WindowDays: 30, IncludeClosedDays: 14},                  // one car
	"SCB":  {RadiusM: 20, WindowDays: 14, IncludeClosedDays: 3},                   // the same lot
}

func legacyJurisdiction() *data.Jurisdiction {
	j := &data.Jurisdiction{ID: "chicago"}
	codes := make([]string, 0, len(legacyRules))
	for c := range legacyRules {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		j.Services = append(j.Services, data.ServiceType{Code: c, Dedupe: legacyRules[c]})
	}
	return j
}

// sharedDir returns the shared folder, failing under CI=true and skipping
// elsewhere when the legacy 311 sample is missing.
func sharedDir(t testing.TB) string {
	t.Helper()
	datatest.Shared(t, "chicago", "legacy_311")
	return datatest.SharedDir()
}

// readLegacy reads every legacy CSV through chicago311, counting row errors.
func readLegacy(t *testing.T) ([]*data.Request, int) {
	dir := filepath.Join(sharedDir(t), "data", "chicago", "legacy_311")
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no legacy CSV in %s: %v", dir, err)
	}
	var rs []*data.Request
	bad := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := chicago311.NewReader(f)
		if err != nil {
			f.Close()
			t.Fatalf("%s: %v", name, err)
		}
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			var re *chicago311.RowError
			if errors.As(err, &re) {
				bad++
				continue
			}
			if err != nil {
				f.Close()
				t.Fatalf("%s: %v", name, err)
			}
			rs = append(rs, r)
		}
		f.Close()
	}
	// Received order; the sequential numbers break ties within a day.
	sort.SliceStable(rs, func(a, b int) bool {
		if !rs[a].RequestedAt.Equal(rs[b].RequestedAt) {
			return rs[a].RequestedAt.Before(rs[b].RequestedAt)
		}
		return rs[a].Number < rs[b].Number
	})
	return rs, bad
}

// catalogueJurisdiction reads the shipped Chicago catalogue
// (geo/catalogue/chicago.json in this module) for its dedupe rules.
func catalogueJurisdiction(t *testing.T) *data.Jurisdiction {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "geo", "catalogue", "chicago.json"))
		if err != nil {
			t.Fatalf("the Chicago catalogue: %v", err)
		}
		var j data.Jurisdiction
		if err := json.Unmarshal(b, &j); err != nil {
			t.Fatalf("the Chicago catalogue: %v", err)
		}
		return &j
	}
	t.Fatal("module root not found")
	return nil
}

// TestLegacyEvaluation runs geo311's clustering, with the shipped catalogue
// rules and with legacyRules, and the FixMyStreet-style baseline over the
// legacy Chicago sample, and compares them with the city's "Dup" statuses.
// The legacy data has no parent links, so only the per-request duplicate
// figures are defined (see Evaluate); they are logged for the README and
// checked for sanity.
func TestLegacyEvaluation(t *testing.T) {
	rs, bad := readLegacy(t)
	if len(rs) < 9000 || bad > len(rs)/100 {
		t.Fatalf("%d requests read, %d row errors: expected about 9,480 rows", len(rs), bad)
	}
	truth := Labels(rs)
	cat := catalogueJurisdiction(t)
	for _, r := range rs {
		if st, ok := cat.Service(r.ServiceCode); !ok || st.Dedupe.RadiusM <= 0 {
			t.Fatalf("legacy type %s (%s) has no dedupe rule in the catalogue", r.ServiceCode, r.ServiceName)
		}
	}
	shipped := Evaluate(FromAssignments(Recluster(cat, rs)), truth)
	suggested := Evaluate(FromAssignments(Recluster(legacyJurisdiction(), rs)), truth)
	base := Evaluate(FromAssignments(Baseline(rs)), truth)
	t.Logf("legacy sample: %d requests (%d row errors), %d labelled duplicates, none with a known primary (%d)",
		shipped.Requests, bad, shipped.Duplicate.Truth, shipped.UnknownPrimary)
	t.Logf("geo311, catalogue rules:  per-request duplicate %v", shipped.Duplicate)
	t.Logf("geo311, suggested rules:  per-request duplicate %v", suggested.Duplicate)
	t.Logf("FixMyStreet-style 250 m:  per-request duplicate %v", base.Duplicate)
	t.Logf("pairwise is undefined here (no true pair is known); pairs predicted among requests the city left primary: catalogue %d, suggested %d, baseline %d",
		shipped.Pairwise.Pred, suggested.Pairwise.Pred, base.Pairwise.Pred)
	byType := map[string][]*data.Request{}
	for _, r := range rs {
		byType[r.ServiceCode] = append(byType[r.ServiceCode], r)
	}
	codes := make([]string, 0, len(byType))
	for c := range byType {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		sub := byType[c]
		tr := Labels(sub)
		o := Evaluate(FromAssignments(Recluster(cat, sub)), tr).Duplicate
		s := Evaluate(FromAssignments(Recluster(legacyJurisdiction(), sub)), tr).Duplicate
		b := Evaluate(FromAssignments(Baseline(sub)), tr).Duplicate
		t.Logf("%-4s %4d rows %3d dups: catalogue P %.2f R %.2f F1 %.2f | suggested P %.2f R %.2f F1 %.2f | baseline P %.2f R %.2f F1 %.2f",
			c, len(sub), o.Truth, o.Precision, o.Recall, o.F1, s.Precision, s.Recall, s.F1, b.Precision, b.Recall, b.F1)
	}
	if shipped.UnknownPrimary != int(shipped.Duplicate.Truth) || shipped.Pairwise.Truth != 0 {
		t.Errorf("legacy labels should carry no parents: %+v", shipped)
	}
	for name, m := range map[string]Metrics{"catalogue": shipped, "suggested": suggested} {
		if m.Duplicate.Precision < 0.5 || m.Duplicate.Precision <= base.Duplicate.Precision+0.1 || m.Duplicate.F1 <= base.Duplicate.F1 {
			t.Errorf("geo311 with %s rules %v does not beat the baseline %v", name, m.Duplicate, base.Duplicate)
		}
	}
}
