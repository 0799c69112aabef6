package data_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func TestExportRowSetRequest(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CDT", -5*3600))
	r := &data.Request{
		Number: "SR26-00000042", Jurisdiction: "chicago", Kind: data.KindServiceRequest,
		ServiceCode: "PHF", ServiceName: "Pothole", State: data.StateClosed, Description: "hole",
		Lon: -87.6, Lat: 41.9, Address: "1 N State St", AddressID: "a1", ZIP: "60602", H3: 0x892664c1a8fffff,
		Areas: []data.AreaRef{
			{Layer: data.LayerWard, Generation: "ward@2023-05-15"}, // no id: skipped
			{Layer: data.LayerWard, ID: "42", Generation: "ward@2023-05-15"},
			{Layer: data.LayerBeat, ID: "0111"},
			{Layer: data.LayerWard, ID: "2"}, // a second ward: the first one counts
		},
		Department: "CDOT", Unit: "crew 1", AssignedTo: "someone", Origin: data.OriginWeb,
		RequestedAt: at, UpdatedAt: at.Add(time.Hour), ClosedAt: at.Add(2 * time.Hour), AcceptedAt: at,
		Duplicate: true, ParentNumber: "SR26-00000001", DuplicateCount: 2, MeToo: 3,
		Contact: data.Contact{Email: "x@example.org"}, PoliceRelated: true, Legacy: true,
	}
	row := data.ExportRow{Areas: make([]string, 0, 8)}
	spare := row.Areas[:1]
	row.SetRequest(r, []data.Layer{data.LayerBeat, data.LayerDistrict, data.LayerWard})
	want := data.ExportRow{
		Number: "SR26-00000042", Kind: data.KindServiceRequest, ServiceCode: "PHF", ServiceName: "Pothole",
		State: data.StateClosed, Department: "CDOT", Unit: "crew 1", Origin: data.OriginWeb,
		Areas:       []string{"0111", "", "42"},
		RequestedAt: at, UpdatedAt: at.Add(time.Hour), ClosedAt: at.Add(2 * time.Hour),
		Duplicate: true, ParentNumber: "SR26-00000001", DuplicateCount: 2, MeToo: 3, PoliceRelated: true,
		Description: "hole", Address: "1 N State St", ZIP: "60602", H3: 0x892664c1a8fffff, Lon: -87.6, Lat: 41.9,
	}
	if !reflect.DeepEqual(row, want) {
		t.Errorf("SetRequest:\n got %+v\nwant %+v", row, want)
	}
	if &spare[0] != &row.Areas[0] {
		t.Error("SetRequest did not reuse the row's Areas storage")
	}
	row.SetRequest(&data.Request{Number: "SR26-00000043"}, nil)
	if len(row.Areas) != 0 || row.Number != "SR26-00000043" || row.Description != "" || !row.RequestedAt.IsZero() {
		t.Errorf("SetRequest kept values of the previous request: %+v", row)
	}
}

func TestExportRowPolice(t *testing.T) {
	j := &data.Jurisdiction{Services: []data.ServiceType{
		{Code: "PHF", Kind: data.KindServiceRequest},
		{Code: "DRUG", Kind: data.KindServiceRequest, Police: true},
	}}
	for _, tc := range []struct {
		row  data.ExportRow
		want bool
	}{
		{data.ExportRow{Kind: data.KindServiceRequest, ServiceCode: "PHF"}, false},
		{data.ExportRow{Kind: data.KindServiceRequest, ServiceCode: "DRUG"}, true},
		{data.ExportRow{Kind: data.KindServiceRequest, ServiceCode: "PHF", PoliceRelated: true}, true},
		{data.ExportRow{Kind: data.KindCommunityConcern, ServiceCode: "CONCERN"}, true},
		{data.ExportRow{Kind: data.KindServiceRequest, ServiceCode: "UNKNOWN"}, false},
	} {
		if got := tc.row.Police(j); got != tc.want {
			t.Errorf("%+v: Police = %v, want %v", tc.row, got, tc.want)
		}
		r := &data.Request{Kind: tc.row.Kind, ServiceCode: tc.row.ServiceCode, PoliceRelated: tc.row.PoliceRelated}
		if r.Police(j) != tc.want {
			t.Errorf("Request.Police disagrees with ExportRow.Police for %+v", tc.row)
		}
	}
}

// An export row holds the exported fields of a request, with the area id
// of each layer asked for.
func ExampleExportRow_SetRequest() {
	r := &data.Request{Number: "SR26-00000001", ServiceCode: "PHF", State: data.StateNew,
		Contact: data.Contact{Email: "never@exported.example"},
		Areas:   []data.AreaRef{{Layer: data.LayerBeat, ID: "0111"}, {Layer: data.LayerWard, ID: "42"}}}
	var row data.ExportRow
	row.SetRequest(r, []data.Layer{data.LayerWard, data.LayerDistrict})
	fmt.Printf("%s %s %q\n", row.Number, row.ServiceCode, row.Areas)
	// Output:
	// SR26-00000001 PHF ["42" ""]
}
