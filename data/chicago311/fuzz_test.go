package chicago311

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/geo311/geo311/data"
)

func FuzzReader(f *testing.F) {
	for _, name := range []string{"current_api.csv", "current_export.csv", "current_bad.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Creation Date,Status,Completion Date,Service Request Number,Type of Service Request,Street Address,ZIP Code,X Coordinate,Y Coordinate,Ward,Police District,Community Area,Latitude,Longitude,Location\n" +
		"2011-01-01T00:00:00,Completed - Dup,2011-01-02T00:00:00,11-00001814,Alley Light Out,4316 S SACRAMENTO AVE,60632,1157077.82962754,1875878.20800447,14,9,58,41.81517646745516,-87.69933194705028,\"{'latitude': '41.81517646745516'}\"\n" +
		"2013-01-01T00:00:00,Completed,2013-01-03T00:00:00,13-00000198,Street Lights - All/Out,5203 N LAKE SHORE DR NB,,,,,,,,,\n"))
	f.Add([]byte("sr_number,sr_type,status,created_date,latitude,longitude,x_coordinate,y_coordinate,police_sector,police_district\nSR1,T,Open,1/2/2020 3:04 PM,,,1e300,5,7,\n"))
	f.Add([]byte("sr_number\n\"unterminated"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd, err := NewReader(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, data.ErrInvalid) {
				t.Fatalf("header error not ErrInvalid: %v", err)
			}
			return
		}
		limit := bytes.Count(in, []byte("\n")) + bytes.Count(in, []byte("\r")) + 2
		for i := 0; ; i++ {
			if i > limit {
				t.Fatalf("more than %d results from %d lines", i, limit)
			}
			r, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var re *RowError
				if !errors.As(err, &re) || !errors.Is(err, data.ErrInvalid) || re.Line < 2 {
					t.Fatalf("unexpected error %#v", err)
				}
				continue
			}
			if r.Number == "" || r.RequestedAt.IsZero() || r.ServiceCode == "" || r.State == "" {
				t.Fatalf("incomplete request %+v", r)
			}
			if math.IsNaN(r.Lat) || math.IsNaN(r.Lon) || math.IsInf(r.Lat, 0) || math.IsInf(r.Lon, 0) ||
				r.Lat < -90 || r.Lat > 90 || r.Lon < -180 || r.Lon > 180 {
				t.Fatalf("bad location %v,%v", r.Lon, r.Lat)
			}
			if r.ParentNumber != "" && !r.Duplicate {
				t.Fatalf("parent without duplicate")
			}
		}
	})
}
