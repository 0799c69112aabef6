package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestReplica starts a streaming replica of the package's cluster: what the
// primary commits reaches the replica (WaitReplay), the replica refuses
// writes, a paused replay holds its data back until resumed, the primary
// lists it as a streaming standby on its slot, and Stop ends it, removes its
// directory and drops the slot.
func TestReplica(t *testing.T) {
	Need(t, cluster)
	if testing.Short() {
		t.Skip("starts a replica")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, err := cluster.NewDatabase(ctx, "replica_src")
	if err != nil {
		t.Fatal(err)
	}
	primary := connect(t, url)
	if _, err := primary.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')"); err != nil {
		t.Fatal(err)
	}

	// Without a loopback replication entry in pg_hba.conf, StartReplica
	// adds one.
	hbaPath := filepath.Join(cluster.DataDir, "pg_hba.conf")
	hba, err := os.ReadFile(hbaPath)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(hba), "\n") {
		if !strings.Contains(line, "replication") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(hbaPath, []byte(strings.Join(kept, "\n")), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}

	r, err := cluster.StartReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if hba, err := os.ReadFile(hbaPath); err != nil || !hasLoopbackReplication(string(hba)) {
		t.Errorf("pg_hba.conf after StartReplica has no loopback replication entry (%v):\n%s", err, hba)
	}
	if r.Port == cluster.Port || r.Dir == cluster.Dir || r.Primary != cluster {
		t.Fatalf("replica port %d dir %s primary %p; cluster port %d dir %s", r.Port, r.Dir, r.Primary, cluster.Port, cluster.Dir)
	}
	rurl := r.URL("replica_src")
	replica := connect(t, rurl)
	var inRecovery bool
	if err := replica.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("pg_is_in_recovery on the replica = %v, %v; want true", inRecovery, err)
	}
	if got := values(t, replica); len(got) != 1 || got[0] != "before" {
		t.Fatalf("replica holds %q after the base backup, want [before]", got)
	}

	// Streaming: a commit on the primary is on the replica after WaitReplay.
	if _, err := primary.Exec(ctx, "INSERT INTO kept VALUES ('streamed')"); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if got := values(t, replica); len(got) != 2 || got[1] != "streamed" {
		t.Fatalf("replica holds %q after WaitReplay, want [before streamed]", got)
	}

	// The replica refuses writes.
	_, err = replica.Exec(ctx, "INSERT INTO kept VALUES ('on the replica')")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" { // read_only_sql_transaction
		t.Errorf("write on the replica: %v, want SQLSTATE 25006", err)
	}
	if _, err := r.NewDatabase(ctx, "on_replica"); err == nil {
		t.Error("NewDatabase on the replica succeeded")
	}

	// The primary streams to it over its slot.
	var state, slot string
	var active bool
	if err := primary.QueryRow(ctx, `SELECT s.state, sl.slot_name, sl.active FROM pg_stat_replication s
		JOIN pg_replication_slots sl ON sl.active_pid = s.pid WHERE sl.slot_name = $1`, r.Slot).Scan(&state, &slot, &active); err != nil {
		t.Fatalf("pg_stat_replication for slot %s: %v", r.Slot, err)
	}
	if state != "streaming" || !active {
		t.Errorf("replication state %q active %v, want streaming and active", state, active)
	}

	// Paused replay: the replica keeps its data; WaitReplay waits for the
	// resume.
	if err := r.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "INSERT INTO kept VALUES ('while paused')"); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	err = r.WaitReplay(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReplay with replay paused: %v, want a deadline error", err)
	}
	if got := values(t, replica); len(got) != 2 {
		t.Errorf("replica holds %q with replay paused, want two rows", got)
	}
	if err := r.ResumeReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if got := values(t, replica); len(got) != 3 || got[2] != "while paused" {
		t.Errorf("replica holds %q after resume, want three rows", got)
	}

	// Stop: server gone, directory removed, slot dropped.
	replica.Close(ctx)
	pid := r.Pid()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("replica postmaster %d still runs after Stop", pid)
	}
	if _, err := os.Stat(r.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("replica directory %s still exists: %v", r.Dir, err)
	}
	var slots int
	if err := primary.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", r.Slot).Scan(&slots); err != nil || slots != 0 {
		t.Errorf("slot %s after Stop: %d, %v; want dropped", r.Slot, slots, err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func values(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, _ := conn.Query(context.Background(), "SELECT v FROM kept ORDER BY CASE v WHEN 'before' THEN 1 WHEN 'streamed' THEN 2 ELSE 3 END")
	vs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestStartReplicaOfStoppedCluster(t *testing.T) {
	c := &Cluster{stopped: true}
	if _, err := c.StartReplica(context.Background()); err == nil {
		t.Error("StartReplica of a stopped cluster succeeded")
	}
}

func TestHasLoopbackReplication(t *testing.T) {
	for _, tc := range []struct {
		hba  string
		want bool
	}{
		{"host    replication     all             127.0.0.1/32            trust\n", true},
		{"local all all trust\nhost replication postgres 127.0.0.1/32 trust # ok\n", true},
		{"# host replication all 127.0.0.1/32 trust\n", false},
		{"host replication all 127.0.0.1/32 scram-sha-256\n", false},
		{"host all all 127.0.0.1/32 trust\n", false},
		{"host replication all ::1/128 trust\n", false},
		{"", false},
	} {
		if got := hasLoopbackReplication(tc.hba); got != tc.want {
			t.Errorf("hasLoopbackReplication(%q) = %v, want %v", tc.hba, got, tc.want)
		}
	}
}
