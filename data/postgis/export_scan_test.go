package postgis

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/storetest"
)

func TestExportScanner(t *testing.T) { storetest.TestExportScanner(t, openStore) }

// TestExportChunks: the keyset chunks of an unpaged export scan join into
// exactly the rows of ScanRequests, also when a chunk ends inside a run of
// requests received at the same instant, in both orders and under filters.
func TestExportChunks(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var rs []*data.Request
	for i := range 23 {
		r := synthRequests(1, i)[0]
		r.RequestedAt = at.Add(time.Duration(i/7) * time.Microsecond) // runs of seven at one instant
		r.ServiceCode = []string{"PHF", "SLA"}[i%2]
		r.Number = data.FormatNumber(data.KindServiceRequest, 2026, int64(100-i)) // numbers against time order
		rs = append(rs, r)
	}
	if _, _, err := db.ImportRequests(ctx, rs); err != nil {
		t.Fatal(err)
	}
	layers := []data.Layer{data.LayerBeat, data.LayerWard, "custom"}
	for _, f := range []data.RequestFilter{
		{}, {Ascending: true}, {ServiceCodes: []string{"SLA"}}, {ServiceCodes: []string{"PHF"}, Ascending: true},
		{From: at.Add(time.Microsecond), Ascending: true},
	} {
		var want []string
		if err := db.ScanRequests(ctx, f, func(r *data.Request) error {
			var row data.ExportRow
			row.SetRequest(r, layers)
			want = append(want, rowText(&row))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(want) < 7 {
			t.Fatalf("%+v: only %d rows", f, len(want))
		}
		for _, chunk := range []int{1, 2, 3, 7, 100} {
			var got []string
			err := db.scanExport(ctx, &f, layers, chunk, func(r *data.ExportRow) error {
				got = append(got, rowText(r))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v, chunks of %d:\n got %q\nwant %q", f, chunk, got, want)
			}
		}
	}
}

// rowText prints a row with its times as instants.
func rowText(r *data.ExportRow) string {
	c := *r
	ts := fmt.Sprint(c.RequestedAt.UnixNano(), c.UpdatedAt.UnixNano(), c.ClosedAt.IsZero(), c.ClosedAt.UnixNano())
	c.RequestedAt, c.UpdatedAt, c.ClosedAt = time.Time{}, time.Time{}, time.Time{}
	return fmt.Sprintf("%#v %s", c, ts)
}
