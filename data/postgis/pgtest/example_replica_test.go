package pgtest_test

import (
	"context"
	"testing"

	"github.com/geo311/geo311/data/postgis/pgtest"
)

// A test starts a streaming replica of its cluster, writes on the primary
// and reads on the replica once it has replayed the write.
func ExampleCluster_StartReplica() {
	var cluster *pgtest.Cluster // from pgtest.Main, as in the package example
	_ = func(t *testing.T) {
		pgtest.Need(t, cluster)
		ctx := context.Background()
		primaryURL, err := cluster.NewDatabase(ctx, "with_replica") // databases are made on the primary
		if err != nil {
			t.Fatal(err)
		}
		replica, err := cluster.StartReplica(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer replica.Stop() // before the primary's Stop: drops the replication slot
		_ = primaryURL       // ... write through it ...
		if err := replica.WaitReplay(ctx); err != nil {
			t.Fatal(err)
		}
		_ = replica.URL("with_replica") // read-only: sees every write made before WaitReplay
	}
}
