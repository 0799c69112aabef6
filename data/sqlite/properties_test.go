package sqlite

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestDecodeProperties(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{`{}`, nil, false},
		{`{"district":"01","sector":"1"}`, map[string]string{"district": "01", "sector": "1"}, false},
		{`{"":""}`, map[string]string{"": ""}, false},
		{`{"a":"x\"y","b":"\u003c\u2028"}`, map[string]string{"a": `x"y`, "b": "<\u2028"}, false},
		{`{"unicode":"Łódź 北京 🚓"}`, map[string]string{"unicode": "Łódź 北京 🚓"}, false},
		{`{ "a" : "b" }`, map[string]string{"a": "b"}, false},     // not compact: encoding/json path
		{`{"a":"1","a":"2"}`, map[string]string{"a": "2"}, false}, // duplicate: encoding/json's answer
		{`{"a":1}`, nil, true},
		{`{"a":"b"`, nil, true},
		{`[]`, nil, true},
		{"{\"a\":\"\x01\"}", nil, true},
	} {
		got, err := decodeProperties(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("decodeProperties(%q): error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("decodeProperties(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

// FuzzDecodeProperties: on any input, decodeProperties agrees with
// encoding/json (same map, or both fail), and whatever encodeProperties
// writes decodes back to the same map.
func FuzzDecodeProperties(f *testing.F) {
	for _, s := range []string{`{}`, `{"district":"01","sector":"1"}`, `{"a":"x\"y"}`, `{"a":"1","a":"2"}`, `{"a":1}`, `{"a":"b",}`, `{"a""b"}`, `{"a":"b"}x`} {
		f.Add(s, "k", "v")
	}
	f.Fuzz(func(t *testing.T, s, k, v string) {
		got, err := decodeProperties(s)
		var want map[string]string
		werr := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (werr != nil) {
			t.Fatalf("decodeProperties(%q): error %v, encoding/json: %v", s, err, werr)
		}
		if err == nil && !maps.Equal(got, want) {
			t.Fatalf("decodeProperties(%q) = %#v, encoding/json: %#v", s, got, want)
		}

		p := map[string]string{k: v, "x" + k: v + v}
		enc, err := encodeProperties(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeProperties(enc)
		if err != nil {
			t.Fatalf("decodeProperties(encodeProperties(%q)) = %v", p, err)
		}
		// encoding/json replaces invalid UTF-8 with U+FFFD; compare with
		// what it would decode to.
		var want2 map[string]string
		if err := json.Unmarshal([]byte(enc), &want2); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(back, want2) {
			t.Fatalf("round trip of %q: %#v, want %#v", p, back, want2)
		}
	})
}
