package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/geo311/geo311/data/postgis/pgtest"
)

// A package's tests share one cluster; each test makes its own database.
func Example() {
	var cluster *pgtest.Cluster
	// In the package's TestMain:
	_ = func(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }
	// In a test:
	_ = func(t *testing.T) {
		pgtest.Need(t, cluster) // skips (fails under CI=true) without PostGIS
		url, err := cluster.NewDatabase(context.Background(), "my_test")
		if err != nil {
			t.Fatal(err)
		}
		_ = url // postgres://postgres@127.0.0.1:PORT/my_test?sslmode=disable
	}
}
