package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// FuzzParseTime checks that parseTime's fixed-width fast path accepts and
// rejects exactly what time.Parse does, with the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2012-12-19T06:00:00.000000000Z", "2024-02-29T23:59:59.999999999Z", "2023-02-29T00:00:00.000000000Z",
		"0001-01-01T00:00:00.000000000Z", "9999-12-31T23:59:59.999999999Z", "2025-13-01T00:00:00.000000000Z",
		"2025-04-31T00:00:00.000000000Z", "2025-01-01T24:00:00.000000000Z", "2025-01-01T00:60:00.000000000Z",
		"2025-01-01T00:00:60.000000000Z", "2025-01-01T6:00:00.000000000Z", "2025-01-01 00:00:00.000000000Z",
		"2025-01-01T00:00:00.00000000Z", "2025-01-01T00:00:00.0000000000", "+025-01-01T00:00:00.000000000Z",
		"2025-01-01T00:00:00.00000000aZ", "", "2025-00-10T00:00:00.000000000Z", "2025-01-00T00:00:00.000000000Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := time.Parse(timeLayout, s)
		got, err := parseTime(s)
		if (err != nil) != (werr != nil) {
			t.Fatalf("parseTime(%q) error %v, time.Parse error %v", s, err, werr)
		}
		if err == nil && (!got.Equal(want) || got.Location() != want.Location()) {
			t.Fatalf("parseTime(%q) = %v, time.Parse = %v", s, got, want)
		}
		if _, fast := parseFixedTime(s); fast && werr != nil {
			t.Fatalf("fast path accepted %q, which time.Parse rejects: %v", s, werr)
		}
	})
}

// FuzzDecodeJSONColumns checks the fast decoders of the JSON columns
// against encoding/json: the same value, or both an error.
func FuzzDecodeJSONColumns(f *testing.F) {
	areas, _ := json.Marshal([]data.AreaRef{{Layer: data.LayerBeat, ID: "0111", Generation: "beat@2012-12-19"},
		{Layer: data.LayerWard, ID: "42", Name: "Ward <42> & co", Generation: "ward@2023-05-15"}})
	attrs, _ := json.Marshal(map[string][]string{"WHERE": {"Street"}, "SIZE": {}, "É": {"naïve", "b"}})
	contact, _ := json.Marshal(data.Contact{FirstName: "Zoë", Email: "z@example.org", Phone: "312"})
	for _, s := range []string{string(areas), string(attrs), string(contact), "[]", "{}", "[{}]", "null",
		`[{"layer":"beat","id":"1"},]`, `[{"Layer":"beat"}]`, `{"a":["x"],"a":["y"]}`, `{"a":null}`,
		`[{"layer":"beat","id":"1","extra":"x"}]`, `{"first_name":"a","first_name":"b"}`, `[ {"id":"1"} ]`,
		`{"phone":1}`, "[{\"id\":\"\xff\"}]", `[{"id":"a"}]x`, `{"a":["b"]`, `[{"id":"a\u0041"}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var wantAreas []data.AreaRef
		werr := json.Unmarshal([]byte(s), &wantAreas)
		if s == "[]" {
			wantAreas, werr = nil, nil
		}
		gotAreas, err := decodeAreas(s)
		if (err != nil) != (werr != nil) || (err == nil && !reflect.DeepEqual(gotAreas, wantAreas)) {
			t.Fatalf("decodeAreas(%q) = %#v, %v; encoding/json: %#v, %v", s, gotAreas, err, wantAreas, werr)
		}
		var wantAttrs map[string][]string
		werr = json.Unmarshal([]byte(s), &wantAttrs)
		if s == "{}" {
			wantAttrs, werr = nil, nil
		}
		gotAttrs, err := decodeAttributes(s)
		if (err != nil) != (werr != nil) || (err == nil && !reflect.DeepEqual(gotAttrs, wantAttrs)) {
			t.Fatalf("decodeAttributes(%q) = %#v, %v; encoding/json: %#v, %v", s, gotAttrs, err, wantAttrs, werr)
		}
		var wantContact data.Contact
		werr = json.Unmarshal([]byte(s), &wantContact)
		if s == "{}" {
			wantContact, werr = data.Contact{}, nil
		}
		gotContact, err := decodeContact(s)
		if (err != nil) != (werr != nil) || (err == nil && gotContact != wantContact) {
			t.Fatalf("decodeContact(%q) = %#v, %v; encoding/json: %#v, %v", s, gotContact, err, wantContact, werr)
		}
	})
}
