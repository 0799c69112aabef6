package export_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/export"
	"github.com/paulmach/orb"
)

func ExampleNewWriter() {
	var buf bytes.Buffer
	w, err := export.NewWriter(&buf, export.FormatArrowStream, export.Options{Layers: []data.Layer{data.LayerBeat, data.LayerWard}})
	if err != nil {
		panic(err)
	}
	// In geo311: store.ScanRequests(ctx, filter, w.Write).
	for _, r := range []*data.Request{
		{Number: "SR26-00000001", ServiceCode: "PHF", State: data.StateNew, Lon: -87.6298, Lat: 41.8781,
			RequestedAt: time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC), Areas: []data.AreaRef{{Layer: data.LayerBeat, ID: "0111"}}},
		{Number: "SR26-00000002", ServiceCode: "SGA", State: data.StateClosed, Lon: -87.7, Lat: 41.9},
	} {
		if err := w.Write(r); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	rd, err := ipc.NewReader(&buf)
	if err != nil {
		panic(err)
	}
	defer rd.Release()
	for rd.Next() {
		rec := rd.RecordBatch()
		fmt.Println(rec.NumRows(), "rows")
		for _, name := range []string{"service_code", "beat", "requested_at", "geometry"} {
			f, _ := rec.Schema().FieldsByName(name)
			fmt.Printf("%s: %s\n", name, f[0].Type)
		}
	}
	// Output:
	// 2 rows
	// service_code: dictionary<values=utf8, indices=int32, ordered=false>
	// beat: dictionary<values=utf8, indices=int32, ordered=false>
	// requested_at: timestamp[us, tz=UTC]
	// geometry: struct<x: float64, y: float64>
}

func ExampleParseFormat() {
	f, err := export.ParseFormat(".parquet")
	fmt.Println(f, f.ContentType(), f.Extension(), err)
	_, err = export.ParseFormat("xlsx")
	fmt.Println(err)
	// Output:
	// parquet application/vnd.apache.parquet .parquet <nil>
	// format: "xlsx" is not an export format (arrows, arrow, parquet, geojsonseq, csv)
}

func ExampleWriteRequests() {
	rs := []*data.Request{
		{Number: "SR26-00000001", ServiceCode: "PHF", ServiceName: "Pothole in Street", State: data.StateNew,
			Description: `Deep, "big" hole`, Lon: -87.6298, Lat: 41.8781},
		{Number: "CC26-00000001", Kind: data.KindCommunityConcern, ServiceCode: "CONCERN", State: data.StateNew},
	}
	var buf bytes.Buffer
	st, err := export.WriteRequests(&buf, export.FormatGeoJSONSeq, export.Options{Layers: []data.Layer{}, Public: true},
		func(fn func(*data.Request) error) error {
			for _, r := range rs {
				if err := fn(r); err != nil {
					return err
				}
			}
			return nil
		})
	fmt.Print(strings.ReplaceAll(buf.String(), "\x1e", "<RS>"))
	fmt.Println(st.Rows, "written,", st.Skipped, "skipped,", err)
	// Output:
	// <RS>{"type":"Feature","id":"SR26-00000001","geometry":{"type":"Point","coordinates":[-87.6298,41.8781]},"properties":{"number":"SR26-00000001","kind":null,"service_code":"PHF","service_name":"Pothole in Street","status":"open","state":"new","department":null,"unit":null,"origin":null,"requested_at":null,"updated_at":null,"closed_at":null,"duplicate":false,"parent_number":null,"duplicate_count":0,"me_too":0,"police_related":false,"description":"Deep, \"big\" hole","address":null,"zip":null,"h3":null}}
	// 1 written, 1 skipped, <nil>
}

func ExampleWriteCube() {
	cell := orb.Polygon{{{-87.63, 41.879}, {-87.629, 41.8795}, {-87.629, 41.8805}, {-87.63, 41.881}, {-87.631, 41.8805}, {-87.631, 41.8795}, {-87.63, 41.879}}}
	rows := func(yield func(export.CubeRow, error) bool) {
		yield(export.CubeRow{Cell: 0x8928308280fffff, Day: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), ServiceCode: "PHF", Opened: 3, Closed: 1, Polygon: cell}, nil)
	}
	var buf bytes.Buffer
	st, err := export.WriteCube(&buf, export.FormatCSV, export.Options{}, rows)
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n")) // CSV lines end with CRLF
	fmt.Println(st.Rows, err)
	// Output:
	// cell,resolution,day,service_code,opened,closed,wkt
	// 8928308280fffff,9,2026-03-08,PHF,3,1,"POLYGON((-87.63 41.879,-87.629 41.8795,-87.629 41.8805,-87.63 41.881,-87.631 41.8805,-87.631 41.8795,-87.63 41.879))"
	// 1 <nil>
}

// WriteRows takes the rows of a store's narrow export scan: here a
// stand-in for data.ExportScanner.ScanExport that yields two rows, with
// one area column per layer the writer asks for.
func ExampleWriteRows() {
	scan := func(layers []data.Layer, fn func(*data.ExportRow) error) error {
		fmt.Println("layers:", layers)
		rows := []data.ExportRow{
			{Number: "SR26-00000001", Kind: data.KindServiceRequest, ServiceCode: "PHF", State: data.StateClosed,
				Areas: []string{"42"}, RequestedAt: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC), Lon: -87.6298, Lat: 41.8781},
			{Number: "SR26-00000002", Kind: data.KindServiceRequest, ServiceCode: "PHF", State: data.StateNew,
				Areas: []string{""}, PoliceRelated: true},
		}
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	}
	var buf bytes.Buffer
	st, err := export.WriteRows(&buf, export.FormatCSV, export.Options{Layers: []data.Layer{data.LayerWard}, Public: true}, scan)
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	fmt.Println(st.Rows, "written,", st.Skipped, "skipped,", err)
	// Output:
	// layers: [ward]
	// number,kind,service_code,service_name,status,state,department,unit,origin,ward,requested_at,updated_at,closed_at,duplicate,parent_number,duplicate_count,me_too,police_related,description,address,zip,h3,lon,lat
	// SR26-00000001,service_request,PHF,,closed,closed,,,,42,2026-03-14T09:26:53Z,,,false,,0,0,false,,,,,-87.6298,41.8781
	// 1 written, 1 skipped, <nil>
}
