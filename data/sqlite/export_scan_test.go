package sqlite

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/storetest"
)

func TestExportScanner(t *testing.T) {
	storetest.TestExportScanner(t, func(t *testing.T) data.Store { return openTest(t) })
}

func TestAreaIDs(t *testing.T) {
	layers := []data.Layer{data.LayerBeat, data.LayerWard, "custom"}
	for _, tc := range []struct {
		json string
		want []string
	}{
		{`[]`, []string{"", "", ""}},
		{`[{"layer":"ward","id":"42","generation":"ward@2023-05-15"},{"layer":"beat","id":"0111","name":"Beat 111"}]`, []string{"0111", "42", ""}},
		{`[{"layer":"ward"},{"layer":"ward","id":""},{"layer":"ward","id":"7"},{"layer":"ward","id":"8"}]`, []string{"", "7", ""}},
		{`[{"layer":"custom","id":"Z \"9\""}]`, []string{"", "", `Z "9"`}},                         // escapes: encoding/json
		{`[ {"layer": "custom", "id": "Z 9", "extra": 1} ]`, []string{"", "", "Z 9"}},              // whitespace, unknown key
		{`[{"layer":"beat","id":"\u00e9"},{"layer":"custom","id":"北京"}]`, []string{"é", "", "北京"}}, // non-ASCII
		{`[{}]`, []string{"", "", ""}},
	} {
		got := []string{"x", "y", "z"}
		if err := areaIDs(tc.json, layers, got); err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.json, got, tc.want)
		}
	}
	if err := areaIDs(`[{"layer":`, layers, make([]string, 3)); err == nil {
		t.Error("malformed JSON: no error")
	}
}

// FuzzAreaIDs: the in-place reader of the areas JSON agrees with
// encoding/json on every input it accepts.
func FuzzAreaIDs(f *testing.F) {
	for _, s := range []string{`[]`, `[{"layer":"beat","id":"0111"}]`, `[{"layer":"ward","id":"1"},{"layer":"ward","id":"2"}]`,
		`[{"layer":"custom","id":"a\"b"}]`, `[{"id":"x","layer":"custom","name":"n","generation":"g"}]`, `[{"layer":"beat","id":"\xff"}]`} {
		f.Add(s)
	}
	layers := []data.Layer{data.LayerBeat, data.LayerWard, "custom"}
	f.Fuzz(func(t *testing.T, s string) {
		got := make([]string, 3)
		err := areaIDs(s, layers, got)
		want := make([]string, 3)
		var as []data.AreaRef
		werr := jsonUnmarshal(s, &as)
		if (err == nil) != (werr == nil) && s != "[]" {
			t.Fatalf("%q: areaIDs error %v, encoding/json %v", s, err, werr)
		}
		if err != nil {
			return
		}
		for _, a := range as {
			setAreaID(want, layers, a.Layer, a.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: %q, encoding/json gives %q", s, got, want)
		}
	})
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
