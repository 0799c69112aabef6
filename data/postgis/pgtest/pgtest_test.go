package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var cluster *Cluster

func TestMain(m *testing.M) { os.Exit(Main(m, &cluster)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestSettings(t *testing.T) {
	Need(t, cluster)
	conn := connect(t, cluster.URL("postgres"))
	want := map[string]string{
		"jit":                             "off",
		"max_parallel_workers_per_gather": "0",
		"fsync":                           "on",
		"synchronous_commit":              "on",
		"full_page_writes":                "on",
		"listen_addresses":                "127.0.0.1",
		"port":                            strconv.Itoa(cluster.Port),
		"unix_socket_directories":         cluster.SocketDir,
		"server_version_num":              "", // checked below
	}
	for name, w := range want {
		var got string
		if err := conn.QueryRow(context.Background(), "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "server_version_num" {
			if v, _ := strconv.Atoi(got); v < 150000 || v >= 160000 {
				t.Errorf("server_version_num = %s, want PostgreSQL 15", got)
			}
			continue
		}
		if got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	if _, err := os.Stat(filepath.Join(cluster.SocketDir, ".s.PGSQL."+strconv.Itoa(cluster.Port))); err != nil {
		t.Errorf("unix socket missing: %v", err)
	}
}

func TestServerRunsAsPostgresWhenRoot(t *testing.T) {
	Need(t, cluster)
	if os.Geteuid() != 0 {
		t.Skip("not root: the server runs as the current user")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(cluster.DataDir, "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); uid != u.Uid {
		t.Errorf("data directory owned by uid %s, want postgres (%s)", uid, u.Uid)
	}
	st, err := os.Stat("/proc/" + strconv.Itoa(cluster.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	if uid := strconv.Itoa(int(st.Sys().(*syscall.Stat_t).Uid)); uid != u.Uid {
		t.Errorf("postmaster runs as uid %s, want postgres (%s)", uid, u.Uid)
	}
}

func TestNewDatabase(t *testing.T) {
	Need(t, cluster)
	ctx := context.Background()
	url1, err := cluster.NewDatabase(ctx, "newdb_one")
	if err != nil {
		t.Fatal(err)
	}
	url2, err := cluster.NewDatabase(ctx, "newdb_two")
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := connect(t, url1), connect(t, url2)
	var version string
	if err := c1.QueryRow(ctx, "SELECT postgis_lib_version()").Scan(&version); err != nil {
		t.Fatalf("postgis in new database: %v", err)
	}
	if version == "" || version[0] != '3' {
		t.Errorf("postgis_lib_version = %q, want 3.x", version)
	}
	var covers bool
	if err := c2.QueryRow(ctx, `SELECT ST_Covers(ST_MakeEnvelope(0,0,1,1,4326), ST_SetSRID(ST_MakePoint(1,0.5),4326))`).Scan(&covers); err != nil || !covers {
		t.Errorf("ST_Covers on the boundary = %v, %v; want true", covers, err)
	}
	// The databases are separate.
	if _, err := c1.Exec(ctx, "CREATE TABLE only_in_one (x int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Exec(ctx, "SELECT * FROM only_in_one"); err == nil {
		t.Error("table of database one visible in database two")
	}

	if _, err := cluster.NewDatabase(ctx, "newdb_one"); err == nil {
		t.Error("creating an existing database succeeded")
	}
	for _, bad := range []string{"", "Upper", "1abc", "a-b", "x; DROP DATABASE postgres", templateDB} {
		if _, err := cluster.NewDatabase(ctx, bad); err == nil {
			t.Errorf("NewDatabase(%q) succeeded", bad)
		}
	}
}

// TestOwnClusterLifecycle starts a second cluster: data survives a server
// restart (fsync on), Stop ends the server and removes the directory.
func TestOwnClusterLifecycle(t *testing.T) {
	Need(t, cluster)
	if testing.Short() {
		t.Skip("starts a second cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if c.Port == cluster.Port || c.Dir == cluster.Dir {
		t.Fatalf("second cluster shares port or directory with the first")
	}
	url, err := c.NewDatabase(ctx, "lifecycle")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('acknowledged')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	pid := c.Pid()
	if err := c.StopServer(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Fatalf("postmaster %d still runs after StopServer", pid)
	}
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatal("connected to a stopped server")
	}
	if err := c.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "acknowledged" {
		t.Fatalf("after restart: %q, %v", v, err)
	}
	conn.Close(ctx)

	pid = c.Pid()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("postmaster %d still runs after Stop", pid)
	}
	if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s still exists: %v", c.Dir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := c.NewDatabase(ctx, "after_stop"); err == nil {
		t.Error("NewDatabase on a stopped cluster succeeded")
	}
	if err := c.StartServer(ctx); err == nil {
		t.Error("StartServer on a stopped cluster succeeded")
	}
}

func TestCleanStale(t *testing.T) {
	base := t.TempDir()
	mk := func(name, ownerPid string, age time.Duration) string {
		d := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if ownerPid != "" {
			if err := os.WriteFile(filepath.Join(d, "owner.pid"), []byte(ownerPid), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-age)
		os.Chtimes(d, old, old)
		return d
	}
	// A pid that surely is not running: a finished child's.
	dead := deadPid(t)
	live := mk(dirPrefix+"live", strconv.Itoa(os.Getpid()), 0)
	stale := mk(dirPrefix+"stale", strconv.Itoa(dead), 0)
	fresh := mk(dirPrefix+"fresh", "", 0)                 // being created by someone: keep
	abandoned := mk(dirPrefix+"abandoned", "", time.Hour) // no owner, old: remove
	other := mk("not-ours", strconv.Itoa(dead), time.Hour)
	serving := mk(dirPrefix+"serving", strconv.Itoa(dead), 0)
	if err := os.WriteFile(filepath.Join(serving, "data", "postmaster.pid"), []byte(strconv.Itoa(os.Getpid())+"\n/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cleanStale(base)
	for d, keep := range map[string]bool{live: true, stale: false, fresh: true, abandoned: false, other: true, serving: true} {
		_, err := os.Stat(d)
		if exists := err == nil; exists != keep {
			t.Errorf("%s: exists=%v, want %v", filepath.Base(d), exists, keep)
		}
	}
}

func deadPid(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

func TestNeedSkipsOrFails(t *testing.T) {
	// Need with a cluster does nothing.
	ok := t.Run("with cluster", func(t *testing.T) {
		Need(t, &Cluster{})
	})
	if !ok {
		t.Error("Need failed with a cluster")
	}
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			rec := &recorder{TB: t}
			func() {
				defer func() { recover() }() // recorder.Skip/Fatal panic to stop like the real ones
				Need(rec, nil)
			}()
			skipped, failed := rec.skipped, rec.failed
			if ci == "true" && (!failed || skipped) {
				t.Errorf("CI=true: failed=%v skipped=%v, want a failure", failed, skipped)
			}
			if ci == "" && (!skipped || failed) {
				t.Errorf("no CI: failed=%v skipped=%v, want a skip", failed, skipped)
			}
			if rec.msg == "" || !strings.Contains(rec.msg, "apt-get install postgresql-15-postgis-3") {
				t.Errorf("message %q does not say how to install", rec.msg)
			}
		})
	}
}

// recorder captures Skip and Fatal instead of ending the test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	panic(stop{})
}
func (r *recorder) Fatal(args ...any) {
	r.failed, r.msg = true, fmt.Sprint(args...)
	panic(stop{})
}
