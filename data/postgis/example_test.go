package postgis_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis"
)

// Open a store, route a point and a batch. (Compiled, not run: it needs a
// PostgreSQL server with PostGIS.)
func Example() {
	ctx := context.Background()
	db, err := postgis.Open(ctx, "postgres://geo311@localhost:5432/geo311?sslmode=disable")
	if err != nil {
		log.Fatal(err) // errors.Is(err, data.ErrUnavailable) when the server is down
	}
	defer db.Close()

	j := &data.Jurisdiction{Name: "Chicago", OutsideMessage: "call 312.744.5000",
		Layers: []data.LayerSpec{{Layer: data.LayerBeat}, {Layer: data.LayerSector, DerivedFrom: data.LayerBeat}}}
	areas, err := db.Locate(ctx, j, -87.6298, 41.8781, time.Now())
	if err != nil {
		log.Fatal(err) // data.ErrOutsideJurisdiction carries j.OutsideMessage
	}
	for _, a := range areas {
		fmt.Println(a.Layer, a.ID, a.Generation) // beat 0111 beat@2012-12-19 ...
	}

	res, err := db.LocateBatch(ctx, j, []postgis.Point{{Lon: -87.63, Lat: 41.88, At: time.Now()}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res[0].Areas), res[0].Err)
}

// Take an intake that deduplicates against open potholes within 100 m,
// race-free across processes: the lock keys cover its H3 neighbourhood.
// (Compiled, not run: it needs a PostgreSQL server with PostGIS.)
func ExampleDB_CreateRequest() {
	ctx := context.Background()
	db, err := postgis.Open(ctx, "postgres://geo311@localhost:5432/geo311?sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	r := &data.Request{Kind: data.KindServiceRequest, ServiceCode: "PHF", State: data.StateNew,
		Lon: -87.6298, Lat: 41.8781, RequestedAt: time.Now(), SLADays: 7}
	stored, created, err := db.CreateRequest(ctx, data.Intake{
		Request:        r,
		IdempotencyKey: "web:8f14e45f", // a retried POST returns the first request
		LockKeys:       []int64{0x862664c17ffffff, 0x862664c1fffffff},
		Candidates: data.RequestFilter{ServiceCodes: []string{"PHF"}, Status: "open",
			Duplicates: data.DuplicatesExclude, Near: &data.Circle{Lon: r.Lon, Lat: r.Lat, RadiusM: 100}, Ascending: true},
		Decide: func(c []*data.Request) (*data.DuplicateLink, error) {
			if len(c) == 0 {
				return nil, nil // a new primary
			}
			return &data.DuplicateLink{Primary: c[0].Number, Reason: "same type within 100 m"}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stored.Number, created, stored.Duplicate, stored.ParentNumber) // SR26-00000001 true false
}
