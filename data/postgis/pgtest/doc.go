// Package pgtest starts throwaway PostgreSQL 15 + PostGIS clusters for tests,
// from the PostgreSQL binaries installed on the machine (Debian:
// /usr/lib/postgresql/15/bin, package postgresql-15-postgis-3).
//
// A cluster lives in a temporary directory owned by the OS user that runs the
// server: when the test runs as root (CI does), initdb and the server run as
// the `postgres` system user through SysProcAttr.Credential, because
// PostgreSQL refuses to run as root. The server listens on a free port of
// 127.0.0.1 and on a unix socket inside the temporary directory, with
// jit=off and max_parallel_workers_per_gather=0 (JIT compilation and parallel
// workers only slow short queries on a 2-core machine) and fsync=on, so that
// durability tests see real fsync behaviour.
//
// initdb runs with --no-sync: it skips only the final flush of the freshly
// created files to disk, which matters for a crash of the machine during the
// test set-up and for nothing else. The running server keeps fsync=on,
// synchronous_commit=on and full_page_writes=on, so every committed
// transaction is durable as in production.
//
// A package shares one cluster through TestMain:
//
//	var cluster *pgtest.Cluster
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }
//
//	func TestSomething(t *testing.T) {
//		pgtest.Need(t, cluster)
//		url, err := cluster.NewDatabase(ctx, "something")
//		...
//	}
//
// The cluster is stopped when the tests end, on SIGINT/SIGTERM, and, if the
// test binary dies (a panicking test, a SIGKILL, go test's timeout), by the
// kernel: the server is started with a parent-death signal (SIGQUIT, an
// immediate shutdown), so no server outlives its test binary. Directories left
// behind by killed test binaries are removed by the next Start.
//
// Under CI=true a missing PostgreSQL or PostGIS fails the run; elsewhere the
// tests that need it skip with a message saying how to install it
// (apt-get install postgresql-15-postgis-3).
package pgtest
