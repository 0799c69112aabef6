package postgis

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/geo311/geo311/data/postgis/pgtest"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperProcess())
	}
	os.Exit(pgtest.Main(m, &cluster))
}

var dbSeq atomic.Int64

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// newURL creates a fresh database for the test and returns its URL.
func newURL(t testing.TB) string {
	t.Helper()
	pgtest.Need(t, cluster)
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t%d_%s", dbSeq.Add(1), name)
	url, err := cluster.NewDatabase(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// openDB opens a store on a fresh database, closed at the end of the test.
func openDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), newURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}
