package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

var testLayers = []data.Layer{data.LayerBeat, data.LayerDistrict, data.LayerWard}

func testJurisdiction() *data.Jurisdiction {
	return &data.Jurisdiction{
		ID: "testville", Name: "Testville", TimeZone: "America/Chicago",
		Layers: []data.LayerSpec{{Layer: data.LayerBeat}, {Layer: data.LayerDistrict}, {Layer: data.LayerWard}},
		Services: []data.ServiceType{
			{Code: "PHF", Name: "Pothole in Street", Kind: data.KindServiceRequest, Department: "CDOT"},
			{Code: "DRUG", Name: "Drug dealing", Kind: data.KindServiceRequest, Department: "CPD", Police: true},
		},
	}
}

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// sampleRequests covers the awkward cases: nulls, no location, quoting,
// duplicates, police-related requests and community concerns.
func sampleRequests() []*data.Request {
	return []*data.Request{
		{
			Number: "SR26-00000001", Kind: data.KindServiceRequest, ServiceCode: "PHF", ServiceName: "Pothole in Street",
			State: data.StateAssigned, Description: `Deep hole, "big" one, near the curb`, Lon: -87.6298, Lat: 41.8781,
			Address: "121 N LaSalle St", ZIP: "60602", H3: 0x8928308280fffff, Department: "CDOT", Unit: "Ward 42 crew",
			Origin: data.OriginWeb, RequestedAt: t0, UpdatedAt: t0.Add(time.Hour), DuplicateCount: 2, MeToo: 3,
			Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0111", Generation: "beat@2012-12-19"},
				{Layer: data.LayerDistrict, ID: "01"}, {Layer: data.LayerWard, ID: "42"}, {Layer: data.LayerCommunityArea, ID: "32"}},
			Contact: data.Contact{FirstName: "Ada", Email: "ada@example.org", Phone: "312-555-0100"},
		},
		{
			Number: "SR26-00000002", Kind: data.KindServiceRequest, ServiceCode: "PHF", ServiceName: "Pothole in Street",
			State: data.StateClosed, Description: "line one\nline two, with comma\r\nand CRLF; ünïcödé ✓", Lon: -87.7, Lat: 41.9,
			Origin: data.OriginPhone, RequestedAt: t0.Add(24 * time.Hour), UpdatedAt: t0.Add(48 * time.Hour),
			ClosedAt: t0.Add(48 * time.Hour), Duplicate: true, ParentNumber: "SR26-00000001",
			Areas: []data.AreaRef{{Layer: data.LayerWard, ID: "42"}, {Layer: data.LayerBeat, ID: "0112"}},
		},
		{
			// no location, no areas, nothing optional
			Number: "SR26-00000003", Kind: data.KindServiceRequest, ServiceCode: "SGA", State: data.StateNew,
			RequestedAt: t0.Add(-time.Minute),
		},
		{
			Number: "SR26-00000004", Kind: data.KindServiceRequest, ServiceCode: "DRUG", ServiceName: "Drug dealing",
			State: data.StateNew, Description: "police-related", Lon: -87.65, Lat: 41.75, RequestedAt: t0, PoliceRelated: true,
			Department: "CPD", Areas: []data.AreaRef{{Layer: data.LayerDistrict, ID: "06"}},
		},
		{
			Number: "CC26-00000001", Kind: data.KindCommunityConcern, ServiceCode: "CONCERN", ServiceName: "Community concern",
			State: data.StateAccepted, Description: "loitering", Lon: -87.61, Lat: 41.81, RequestedAt: t0,
			PINHash: []byte("secret-hash-never-exported"), Department: "CPD",
		},
		{
			Number: "SR26-00000005", Kind: data.KindServiceRequest, ServiceCode: "GRAF", ServiceName: "Graffiti, \"removal\"",
			State: data.StateCompleted, Description: "=cmd|' /C calc'!A0 ,\"", Lon: -87.52, Lat: 42.02, Address: "  leading space",
			Origin: data.OriginMobile, RequestedAt: t0.Add(3 * time.Hour), UpdatedAt: t0.Add(4 * time.Hour),
			Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "2431"}, {Layer: data.LayerDistrict, ID: "24"}, {Layer: data.LayerWard, ID: "49"}},
		},
	}
}

// genRequest makes the i-th request of a long synthetic stream; values
// repeat with different periods so dictionaries grow across batches.
func genRequest(r *data.Request, i int) {
	codes := [...]string{"PHF", "SGA", "GRAF", "SCB", "AAF", "SLO", "WBJ"}
	*r = data.Request{
		Number:      fmt.Sprintf("SR26-%08d", i+1),
		Kind:        data.KindServiceRequest,
		ServiceCode: codes[i%len(codes)] + fmt.Sprint(i/1000%5),
		ServiceName: "Type " + codes[i%len(codes)],
		State:       []data.State{data.StateNew, data.StateAssigned, data.StateClosed}[i%3],
		Description: strings.Repeat("x", i%61) + " pothole by the bus stop",
		Lon:         -87.9 + float64(i%1000)*0.0005,
		Lat:         41.65 + float64(i%997)*0.0004,
		Address:     fmt.Sprintf("%d N State St", i%9000),
		H3:          0x8928308280fffff + uint64(i%50)<<12,
		Department:  "Dept " + fmt.Sprint(i%11),
		Origin:      data.OriginPhone,
		RequestedAt: t0.Add(time.Duration(i) * time.Second),
		UpdatedAt:   t0.Add(time.Duration(i)*time.Second + time.Minute),
		Areas: []data.AreaRef{
			{Layer: data.LayerBeat, ID: fmt.Sprintf("%04d", 111+i%277)},
			{Layer: data.LayerDistrict, ID: fmt.Sprintf("%02d", 1+i%25)},
			{Layer: data.LayerWard, ID: fmt.Sprint(1 + i%50)},
		},
	}
	if i%3 == 2 {
		r.ClosedAt = r.UpdatedAt
	}
	if i%13 == 0 {
		r.Duplicate, r.ParentNumber = true, fmt.Sprintf("SR26-%08d", i)
	}
	if i%17 == 0 {
		r.Lon, r.Lat = 0, 0
	}
}

// expected is what an export must hold for r (column -> value; nil = null):
// strings, timestamps as Unix microseconds (int64), bools, int32 counts,
// uint64 h3, float64 lon/lat and [2]float64 points.
func expected(r *data.Request, layers []data.Layer) map[string]any {
	s := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UnixMicro()
	}
	status := "open"
	if r.State == data.StateClosed || r.State == data.StateNotAccepted {
		status = "closed"
	}
	m := map[string]any{
		"number": r.Number, "kind": s(string(r.Kind)), "service_code": s(r.ServiceCode), "service_name": s(r.ServiceName),
		"status": status, "state": s(string(r.State)), "department": s(r.Department), "unit": s(r.Unit), "origin": s(string(r.Origin)),
		"requested_at": ts(r.RequestedAt), "updated_at": ts(r.UpdatedAt), "closed_at": ts(r.ClosedAt),
		"duplicate": r.Duplicate, "parent_number": s(r.ParentNumber), "duplicate_count": int32(r.DuplicateCount),
		"me_too": int32(r.MeToo), "police_related": r.PoliceRelated || r.Kind == data.KindCommunityConcern,
		"description": s(r.Description), "address": s(r.Address), "zip": s(r.ZIP), "h3": nil,
		"lon": nil, "lat": nil, "geometry": nil,
	}
	if r.H3 != 0 {
		m["h3"] = r.H3
	}
	if r.Lon != 0 || r.Lat != 0 {
		m["lon"], m["lat"], m["geometry"] = r.Lon, r.Lat, [2]float64{r.Lon, r.Lat}
	}
	for _, l := range layers {
		m[string(l)] = nil
		for _, a := range r.Areas {
			if a.Layer == l {
				m[string(l)] = a.ID // the first area of the layer
				break
			}
		}
	}
	return m
}
