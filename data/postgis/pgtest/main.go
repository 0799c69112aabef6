package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// inCI reports whether CI=true (or 1) is set: missing dependencies then fail
// instead of skipping.
func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Main runs a package's tests with one cluster shared by them, for TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }
//
// It starts the cluster into *c, runs the tests and stops the cluster, also on
// SIGINT/SIGTERM. When PostgreSQL or PostGIS is missing it fails the run under
// CI=true and otherwise runs the tests with *c == nil, so that Need skips
// them. Any other start-up failure fails the run.
func Main(m *testing.M, c **Cluster) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cl, err := Start(ctx)
	cancel()
	if err != nil {
		if errors.Is(err, ErrNotInstalled) && !inCI() {
			fmt.Fprintf(os.Stderr, "pgtest: %v; tests that need PostGIS skip; %s\n", err, InstallHint)
			*c = nil
			return m.Run()
		}
		fmt.Fprintf(os.Stderr, "pgtest: cannot start a PostgreSQL cluster: %v\n", err)
		if errors.Is(err, ErrNotInstalled) {
			fmt.Fprintf(os.Stderr, "pgtest: CI=true requires PostGIS; %s\n", InstallHint)
		}
		return 1
	}
	*c = cl

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(os.Stderr, "pgtest: %v: stopping the PostgreSQL cluster\n", sig)
			cl.Stop()
			os.Exit(1)
		case <-stopped:
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(stopped)
	}()

	code := m.Run()
	if err := cl.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stop cluster: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Need skips the test (fails it under CI=true) when the package's cluster
// could not be started because PostgreSQL or PostGIS is missing.
func Need(t testing.TB, c *Cluster) {
	t.Helper()
	if c != nil {
		return
	}
	msg := "PostgreSQL 15 with PostGIS is not available: " + InstallHint
	if inCI() {
		t.Fatal(msg + " (CI=true requires it)")
	}
	t.Skip(msg)
}
