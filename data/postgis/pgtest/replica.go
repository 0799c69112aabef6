package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replica is a hot standby of a Cluster: a second server started from a
// pg_basebackup of the primary, streaming its WAL over a physical
// replication slot and answering read-only queries. It has every field and
// method of a Cluster (URL, StopServer, StartServer, Pid ...); NewDatabase
// does not work on it (a standby is read-only: create databases on the
// primary, they replicate).
type Replica struct {
	*Cluster
	// Primary is the cluster the replica streams from.
	Primary *Cluster
	// Slot is the physical replication slot on the primary that keeps the
	// WAL the replica has not received yet.
	Slot string
}

// replicaSettings are appended after the test settings of writeConfig.
const replicaSettings = `
# geo311 pgtest replica settings
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
`

// StartReplica takes a base backup of the running cluster (pg_basebackup
// -R -X stream over a new replication slot, as the cluster's OS user) into
// a new temporary directory, and starts it as a hot standby on a free port
// of 127.0.0.1. It returns once the standby accepts connections; its data
// is then at least as recent as the primary's when StartReplica was
// called. The primary must allow replication (wal_level replica or
// logical, max_wal_senders > 0, the defaults); a missing loopback
// replication entry in pg_hba.conf is added and the configuration
// reloaded. Stop the replica before the primary.
func (c *Cluster) StartReplica(ctx context.Context) (*Replica, error) {
	c.mu.Lock()
	running := c.srv != nil && !c.stopped
	c.mu.Unlock()
	if !running {
		return nil, errors.New("pgtest: start replica: the primary is not running")
	}
	if err := c.allowReplication(ctx); err != nil {
		return nil, err
	}
	base := filepath.Dir(c.Dir)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	r := &Replica{
		Cluster: &Cluster{
			Dir:       dir,
			DataDir:   filepath.Join(dir, "data"),
			SocketDir: filepath.Join(dir, "sock"),
			BinDir:    c.BinDir,
			cred:      c.cred,
			logPath:   filepath.Join(dir, "server.log"),
			// A standby cannot create the template database.
			template: true,
		},
		Primary: c,
		Slot:    "geo311_replica_" + strconv.Itoa(os.Getpid()) + "_" + strings.ToLower(strings.TrimPrefix(filepath.Base(dir), dirPrefix)),
	}
	if !slotNameRE.MatchString(r.Slot) {
		r.Slot = fmt.Sprintf("geo311_replica_%d_%d", os.Getpid(), time.Now().UnixNano())
	}
	fail := func(err error) (*Replica, error) {
		r.dropSlot()
		os.RemoveAll(dir)
		return nil, err
	}
	if err := r.baseBackup(ctx); err != nil {
		return fail(err)
	}
	for attempt := 0; ; attempt++ {
		if r.Port, err = freePort(); err != nil {
			break
		}
		if err = r.writeConfig(); err != nil {
			break
		}
		if err = r.appendReplicaSettings(); err != nil {
			break
		}
		if err = r.start(ctx); err == nil || attempt == 4 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fail(err)
	}
	return r, nil
}

var slotNameRE = dbNameRE

// allowReplication checks the primary's replication settings and adds the
// loopback replication entries to pg_hba.conf when they are missing.
func (c *Cluster) allowReplication(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: start replica: connect to the primary: %w", err)
	}
	defer conn.Close(context.Background())
	var walLevel string
	var senders int
	if err := conn.QueryRow(ctx, "SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int").Scan(&walLevel, &senders); err != nil {
		return fmt.Errorf("pgtest: start replica: read the primary's settings: %w", err)
	}
	if walLevel == "minimal" || senders < 1 {
		return fmt.Errorf("pgtest: start replica: the primary runs with wal_level=%s max_wal_senders=%d; a replica needs wal_level replica and max_wal_senders > 0", walLevel, senders)
	}
	hba := filepath.Join(c.DataDir, "pg_hba.conf")
	b, err := os.ReadFile(hba)
	if err != nil {
		return fmt.Errorf("pgtest: start replica: %w", err)
	}
	if hasLoopbackReplication(string(b)) {
		return nil
	}
	f, err := os.OpenFile(hba, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgtest: start replica: %w", err)
	}
	_, err = f.WriteString("\n# geo311 pgtest: replicas on loopback\nhost replication all 127.0.0.1/32 trust\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: start replica: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_reload_conf()").Scan(&ok); err != nil || !ok {
		return fmt.Errorf("pgtest: start replica: reload the primary's configuration: %v", err)
	}
	return nil
}

// hasLoopbackReplication reports whether pg_hba.conf text lets replication
// connections in over TCP from 127.0.0.1 without a password.
func hasLoopbackReplication(hba string) bool {
	for _, line := range strings.Split(hba, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "host" && f[1] == "replication" && (f[2] == "all" || f[2] == "postgres") &&
			(f[3] == "127.0.0.1/32" || f[3] == "all" || f[3] == "0.0.0.0/0") && f[4] == "trust" {
			return true
		}
	}
	return false
}

// baseBackup copies the primary into the replica's data directory and
// writes standby.signal and primary_conninfo (-R), with a replication slot
// created for it (-C -S).
func (r *Replica) baseBackup(ctx context.Context) error {
	if err := os.WriteFile(filepath.Join(r.Dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := os.Mkdir(r.SocketDir, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if r.cred != nil {
		for _, p := range []string{r.Dir, r.SocketDir} {
			if err := os.Chown(p, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
				return fmt.Errorf("pgtest: chown %s to postgres: %w", p, err)
			}
		}
	}
	cmd := r.command("pg_basebackup", "-D", r.DataDir, "-h", "127.0.0.1", "-p", strconv.Itoa(r.Primary.Port),
		"-U", "postgres", "-w", "-R", "-X", "stream", "-C", "-S", r.Slot, "-c", "fast", "--no-sync")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runContext(ctx, cmd); err != nil {
		return fmt.Errorf("pgtest: pg_basebackup: %v\n%s", err, out.String())
	}
	return nil
}

// appendReplicaSettings adds the standby's settings after writeConfig's.
func (r *Replica) appendReplicaSettings() error {
	f, err := os.OpenFile(filepath.Join(r.DataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(replicaSettings)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// NewDatabase refuses: a standby is read-only. Create the database on the
// primary and wait for the replica to replay it (WaitReplay).
func (r *Replica) NewDatabase(ctx context.Context, name string) (string, error) {
	return "", errors.New("pgtest: a replica is read-only: create databases on the primary")
}

// Stop stops the replica's server, removes its directory and drops its
// replication slot on the primary (when the primary still runs), so that
// the primary stops keeping WAL for it.
func (r *Replica) Stop() error {
	err := r.Cluster.Stop()
	if derr := r.dropSlot(); derr != nil && err == nil {
		err = derr
	}
	return err
}

// dropSlot drops the replica's slot on the primary. The walsender of a
// replica just stopped may still hold the slot for a moment: retry.
func (r *Replica) dropSlot() error {
	if r.Primary.Pid() == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.Primary.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: drop replication slot: %w", err)
	}
	defer conn.Close(context.Background())
	for {
		_, err := conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, r.Slot)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: drop replication slot %s: %w", r.Slot, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitReplay waits until the replica has replayed the primary's WAL up to
// the primary's current position (pg_current_wal_lsn() on the primary,
// pg_last_wal_replay_lsn() on the replica): everything committed on the
// primary before the call is then visible on the replica. It returns the
// error of ctx, with both positions, if ctx ends first.
func (r *Replica) WaitReplay(ctx context.Context) error {
	target, err := queryLSN(ctx, r.Primary.URL("postgres"), "SELECT pg_current_wal_lsn()::text")
	if err != nil {
		return fmt.Errorf("pgtest: wait replay: primary position: %w", err)
	}
	conn, err := pgx.Connect(ctx, r.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: wait replay: connect to the replica: %w", err)
	}
	defer conn.Close(context.Background())
	var replayed string
	for {
		var done bool
		err := conn.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn()::text, ''), coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", target).Scan(&replayed, &done)
		if err != nil {
			return fmt.Errorf("pgtest: wait replay: replica position: %w", err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: wait replay: the replica replayed up to %s, the primary is at %s: %w\n%s", replayed, target, ctx.Err(), r.logTail())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// PauseReplay pauses WAL replay on the replica (pg_wal_replay_pause): the
// replica keeps receiving WAL but its data stays as it is until
// ResumeReplay. For tests that must tell reads of the replica from reads of
// the primary.
func (r *Replica) PauseReplay(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, r.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: pause replay: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		return fmt.Errorf("pgtest: pause replay: %w", err)
	}
	// Pausing takes effect between records: wait until it has.
	for {
		var state string
		if err := conn.QueryRow(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state); err != nil {
			return fmt.Errorf("pgtest: pause replay: %w", err)
		}
		if state == "paused" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: pause replay: state %q: %w", state, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ResumeReplay resumes WAL replay paused by PauseReplay.
func (r *Replica) ResumeReplay(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, r.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: resume replay: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		return fmt.Errorf("pgtest: resume replay: %w", err)
	}
	return nil
}

func queryLSN(ctx context.Context, url, sql string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var lsn string
	if err := conn.QueryRow(ctx, sql).Scan(&lsn); err != nil {
		return "", err
	}
	return lsn, nil
}
