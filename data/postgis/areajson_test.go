package postgis

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/geo311/geo311/data"
)

// FuzzDecodeAreaRefs: decodeAreaRefs always agrees with json.Unmarshal
// (result and whether it fails).
func FuzzDecodeAreaRefs(f *testing.F) {
	for _, s := range []string{
		`[]`, ` [ ] `, `[{"id": "0111", "layer": "beat", "generation": "beat@2012-12-19"}]`,
		`[{"id": "011", "layer": "sector", "generation": "sector@2012-12-19"}, {"id": "01", "name": "Central", "layer": "district", "generation": "district@2012-12-19"}]`,
		`[{"id":"a\"b","layer":"x"}]`, `[{"ID": "1"}]`, `[{"id": 1}]`, `[{"id": "1", "id": "2"}]`, `[{}]`,
		`[{"id": "1"},]`, `[{"id": "1"}] x`, `null`, `[{"id": "\u00e9"}]`, "[{\"id\": \"\xff\"}]", `[{"extra": "1"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want []data.AreaRef
		errGot := decodeAreaRefs(b, &got, &interner{})
		errWant := json.Unmarshal(b, &want)
		if (errGot == nil) != (errWant == nil) {
			t.Fatalf("%q: error %v, json.Unmarshal %v", b, errGot, errWant)
		}
		if errWant == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, json.Unmarshal %#v", b, got, want)
		}
	})
}
