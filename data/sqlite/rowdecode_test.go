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

// TestPackedRowRoundTrip stores requests whose text holds what could
// confuse the packed row (commas, digits, separators, NUL, non-ASCII,
// JSON escapes, empty strings, every optional instant set or not) and
// reads them back through Request and ScanRequests (the text holding the
// separator of selectScan takes the re-read path).
func TestPackedRowRoundTrip(t *testing.T) {
	if len(packedColumns) != len(textFields{}) {
		t.Fatalf("%d packed columns, textFields holds %d", len(packedColumns), len(textFields{}))
	}
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC)
	tricky := []string{"", ",", "12,", "3,abc", "0,", "a\x00b", "\x1f\x1e", "Zoë ✓", `quote " back \ slash`, "<&>", "\n\t"}
	var rs []*data.Request
	for i, s := range tricky {
		r := &data.Request{
			Number: data.FormatNumber(data.KindServiceRequest, 2025, int64(i+1)), Jurisdiction: s,
			Kind: data.KindServiceRequest, ServiceCode: "PHF" + s, ServiceName: s, State: data.StateNew,
			Description: s + "," + s, Lon: -87.6 - float64(i)/1e7, Lat: 41.8, Address: s, AddressID: s, ZIP: s,
			H3: 0x8926641a3ffffff + uint64(i), Department: s, Unit: s, AssignedTo: s, Origin: data.Origin(s),
			RequestedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at.Add(time.Hour),
			SLADays: i, ExtensionDays: 2 * i, Extensions: i % 2, Reassignments: 300 + i,
			ParentNumber: s, DuplicateCount: 1000 + i, MeToo: i, MediaURL: s, Disposition: s,
			Areas:         []data.AreaRef{{Layer: data.LayerBeat, ID: s, Name: s, Generation: "g" + s}},
			RecordedAreas: []data.AreaRef{{Layer: data.Layer(s), ID: "1"}},
			Contact:       data.Contact{FirstName: s, Email: s + "@x"},
			PINHash:       []byte{byte(i), 0, 1},
			PoliceRelated: i%2 == 0, Legacy: i%3 == 0, Duplicate: i%2 == 1,
		}
		if s != "" {
			r.Attributes = map[string][]string{s: {s, ""}, "k": {}}
		}
		if i%2 == 0 {
			r.AcceptedAt, r.CompletedAt = at.Add(2*time.Hour), at.Add(3*time.Hour)
		} else {
			r.AssignedAt, r.ClosedAt, r.State = at.Add(4*time.Hour), at.Add(5*time.Hour), data.StateClosed
		}
		rs = append(rs, r)
	}
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	byNumber := map[string]*data.Request{}
	if err := db.ScanRequests(ctx, data.RequestFilter{Ascending: true}, func(r *data.Request) error {
		byNumber[r.Number] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range rs {
		one, err := db.Request(ctx, want.Number)
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]*data.Request{"Request": one, "ScanRequests": byNumber[want.Number]} {
			if got == nil {
				t.Fatalf("%s: %s missing", name, want.Number)
			}
			// json.Marshal stores invalid UTF-8 as U+FFFD; the tricky strings are valid.
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s(%s):\n got %#v\nwant %#v", name, want.Number, got, want)
			}
		}
	}
}
