package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/paulmach/orb"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/sqlite"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "geo311-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "geo311.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	from := time.Date(2015, 5, 18, 0, 0, 0, 0, time.FixedZone("CDT", -5*3600))
	square := orb.Ring{{-87.64, 41.88}, {-87.62, 41.88}, {-87.62, 41.89}, {-87.64, 41.89}, {-87.64, 41.88}}
	g := &data.Generation{
		ID: data.GenerationID(data.LayerWard, from), Layer: data.LayerWard, EffectiveFrom: from,
		Source: "wards_2015_2023.geojson",
		Areas:  []data.Area{{Layer: data.LayerWard, ID: "42", Name: "Ward 42", Geometry: orb.MultiPolygon{{square}}}},
	}
	if err := db.CreateGeneration(ctx, g); err != nil { // stored inactive
		log.Fatal(err)
	}
	if err := db.ActivateGeneration(ctx, g.ID); err != nil {
		log.Fatal(err)
	}
	active, err := db.ActiveGenerations(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range active {
		fmt.Println(a.ID, a.EffectiveFrom.UTC(), a.AreaCount, a.Areas[0].Name)
	}
	// Output:
	// ward@2015-05-18 2015-05-18 05:00:00 +0000 UTC 1 Ward 42
}

func ExampleDB_Backup() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "geo311-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "geo311.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	// A consistent copy, taken while the service runs.
	if err := db.Backup(ctx, filepath.Join(dir, "geo311-backup.db")); err != nil {
		log.Fatal(err)
	}
	// The copy is a complete database.
	restored, err := sqlite.Open(ctx, filepath.Join(dir, "geo311-backup.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer restored.Close()
	gens, err := restored.Generations(ctx)
	fmt.Println(len(gens), err)
	// Output:
	// 0 <nil>
}
