package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/postgis"
)

// Read routing: with --read-database-url, the reads that may lag the
// primary by the replication delay go to the replica: the analytics
// start-up scan (trends cube and tile index, which then follow this
// process's own writes in memory), status reports and request exports.
// Intake, PIN status lookups, staff transitions, Open311 lookups and
// everything else that must read its own writes use the primary.
//
// While the replica does not answer, those reads go to the primary (a
// replica outage never fails a read the primary can serve): a read that
// fails on the replica because it is unavailable is run again on the
// primary when nothing of it reached the client yet, and the replica is
// then left alone for replicaRetry before a probe (a ping) tries it again.
// A replica that answered within replicaFresh is used without a probe.
// geo311_replica_fallbacks_total counts the reads the primary answered in
// its place, geo311_replica_up says which way reads go.
const (
	replicaFresh        = time.Second
	replicaRetry        = 2 * time.Second
	replicaProbeTimeout = time.Second
	// replicaStartCatchUp bounds the wait, at start-up, for the replica to
	// replay the primary's migrations before its schema is checked;
	// analyticsCatchUp the wait before the analytics scan.
	replicaStartCatchUp = 10 * time.Second
	analyticsCatchUp    = 10 * time.Second
)

// replicaOps are what read routing needs of a replica besides its store.
type replicaOps struct {
	// check verifies a replica not verified yet (it was down at start-up):
	// replay up to the primary's position, schema version.
	check func(ctx context.Context) error
	ping  func(ctx context.Context) error
	// catchUp waits until the replica has replayed the primary's current
	// WAL position.
	catchUp func(ctx context.Context) error
	// lag is how many bytes of WAL the replica has still to replay.
	lag func(ctx context.Context) (int64, error)
}

// readStores routes the read side's store reads to the replica or the
// primary. Safe for concurrent use.
type readStores struct {
	primary data.Store
	replica data.Store // nil without --read-database-url
	ops     replicaOps
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	verified  bool      // the replica's schema was checked
	up        bool      // reads go to the replica
	okAt      time.Time // the replica last answered
	retryAt   time.Time // while down: when a probe may try it again
	probing   bool
	lastError string

	primaryReads, replicaReads, fallbacks atomic.Uint64
}

func newReadStores(primary data.Store, log *slog.Logger) *readStores {
	return &readStores{primary: primary, log: log, now: time.Now}
}

// setReplica adds the replica: verified and answering (up), or found
// unavailable at start-up (checked again by the next probe).
func (rs *readStores) setReplica(replica data.Store, ops replicaOps, verified bool, err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.replica, rs.ops, rs.verified = replica, ops, verified
	if err == nil && verified {
		rs.up, rs.okAt = true, rs.now()
		return
	}
	rs.up, rs.retryAt = false, rs.now().Add(replicaRetry)
	if err != nil {
		rs.lastError = err.Error()
	}
}

// hasReplica reports whether a replica is configured.
func (rs *readStores) hasReplica() bool { return rs != nil && rs.replica != nil }

// pick returns the store a read should use now and whether it is the
// replica, probing the replica when its state is not fresh.
func (rs *readStores) pick(ctx context.Context) (data.Store, bool) {
	if rs.replica == nil {
		rs.primaryReads.Add(1)
		return rs.primary, false
	}
	rs.mu.Lock()
	now := rs.now()
	if rs.up && now.Sub(rs.okAt) < replicaFresh {
		rs.mu.Unlock()
		rs.replicaReads.Add(1)
		return rs.replica, true
	}
	if rs.probing || (!rs.up && now.Before(rs.retryAt)) {
		// Another read is probing, or the replica is resting: go the way
		// the last answer said.
		up := rs.up
		rs.mu.Unlock()
		return rs.route(up)
	}
	rs.probing = true
	rs.mu.Unlock()
	up := rs.probe(ctx)
	rs.mu.Lock()
	rs.probing = false
	rs.mu.Unlock()
	return rs.route(up)
}

func (rs *readStores) route(replica bool) (data.Store, bool) {
	if replica {
		rs.replicaReads.Add(1)
		return rs.replica, true
	}
	rs.fallbacks.Add(1)
	rs.primaryReads.Add(1)
	return rs.primary, false
}

// probe asks the replica whether it answers (and, if it was never
// verified, checks it) and records the answer. A probe cut short by the
// caller's own context says nothing about the replica.
func (rs *readStores) probe(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, replicaProbeTimeout)
	defer cancel()
	rs.mu.Lock()
	verified := rs.verified
	rs.mu.Unlock()
	var err error
	if verified {
		err = rs.ops.ping(pctx)
	} else {
		err = rs.ops.check(pctx)
	}
	if err != nil && ctx.Err() != nil {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		return rs.up
	}
	if err != nil {
		rs.failed(err)
		return false
	}
	rs.mu.Lock()
	rs.verified = true
	rs.mu.Unlock()
	rs.answered()
	return true
}

// answered records that the replica answered a read or a probe.
func (rs *readStores) answered() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.up {
		rs.log.Info("read replica answers: reads go to it again")
	}
	rs.up, rs.okAt, rs.lastError = true, rs.now(), ""
}

// failed records that the replica could not answer: reads go to the
// primary for replicaRetry.
func (rs *readStores) failed(err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.up || rs.lastError == "" {
		rs.log.Warn("read replica unavailable: reads fall back to the primary", "error", err.Error(), "retry_in", replicaRetry.String())
	}
	rs.up, rs.retryAt, rs.lastError = false, rs.now().Add(replicaRetry), err.Error()
}

// run runs a read that can be started over (it delivers nothing before it
// succeeds: a report, the analytics build) on the store pick chooses; when
// the replica fails it because it is unavailable, or cancels it for a
// conflict with recovery, the read runs again on the primary.
func (rs *readStores) run(ctx context.Context, fn func(data.RequestStore) error) error {
	st, onReplica := rs.pick(ctx)
	err := fn(st)
	if !onReplica {
		return err
	}
	if err == nil {
		rs.answered()
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	switch {
	case errors.Is(err, data.ErrUnavailable):
		rs.failed(err)
	case postgis.IsRecoveryConflict(err):
		rs.log.Warn("read cancelled on the replica by a conflict with recovery; reading from the primary", "error", err.Error())
	default:
		return err
	}
	rs.fallbacks.Add(1)
	rs.primaryReads.Add(1)
	return fn(rs.primary)
}

// onPrimary runs a read on the primary (counted as a primary read).
func (rs *readStores) onPrimary(fn func(data.RequestStore) error) error {
	rs.primaryReads.Add(1)
	return fn(rs.primary)
}

// replicaStatus is the replica's line in /readyz: it answers (with its
// replay lag) or reads fall back to the primary. It probes the replica
// (and records the answer) whatever its state.
func (rs *readStores) replicaStatus(ctx context.Context) (string, bool) {
	if !rs.probe(ctx) {
		rs.mu.Lock()
		msg := rs.lastError
		rs.mu.Unlock()
		if ctx.Err() != nil {
			msg = ctx.Err().Error()
		}
		return "unavailable: reads fall back to the primary (" + msg + ")", false
	}
	lag, err := rs.ops.lag(ctx)
	if err != nil {
		return "ok (replay lag unknown: " + err.Error() + ")", true
	}
	return fmt.Sprintf("ok (%d bytes of WAL behind the primary)", lag), true
}

// isUp reports the last known replica state, for the metrics.
func (rs *readStores) isUp() bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.up
}

// readRequestStore returns the request store the read side (exports)
// should read from now: the replica when one is configured and answering,
// else the primary. The read is not started over on the primary if the
// replica fails during it (a streamed export cannot be); the replica is
// probed first when it has not answered for a second.
func (a *app) readRequestStore(ctx context.Context) (data.RequestStore, error) {
	if a.reads == nil {
		return a.requestStore()
	}
	st, _ := a.reads.pick(ctx)
	return st, nil
}

// openReplica opens the read replica of the PostGIS store primary. A
// replica that is down (or still replaying) does not stop the start: reads
// go to the primary until a probe finds it and checks its schema. A
// replica that answers with a schema other than this binary's is a
// configuration error.
func (a *app) openReplica(ctx context.Context, primary *postgis.DB) error {
	setting := func(err error) error { return settingError("read-database-url", "%v", err) }
	reader, err := postgis.NewReader(a.cfg.ReadDatabaseURL)
	if err != nil {
		return setting(err)
	}
	check := func(ctx context.Context) error {
		pos, err := primary.WALPosition(ctx)
		if err != nil {
			return err
		}
		return reader.CheckReader(ctx, pos)
	}
	ops := replicaOps{
		check: check,
		ping:  reader.Ping,
		catchUp: func(ctx context.Context) error {
			pos, err := primary.WALPosition(ctx)
			if err != nil {
				return err
			}
			return reader.WaitReplay(ctx, pos)
		},
		lag: func(ctx context.Context) (int64, error) {
			pos, err := primary.WALPosition(ctx)
			if err != nil {
				return 0, err
			}
			return reader.ReplayLag(ctx, pos)
		},
	}
	cctx, cancel := context.WithTimeout(ctx, replicaStartCatchUp)
	err = check(cctx)
	cancel()
	switch {
	case err == nil:
		a.log.Debug("read replica opened")
	case ctx.Err() != nil:
		reader.Close()
		return ctx.Err()
	case errors.Is(err, data.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		a.log.Warn("read replica unavailable at start-up: reads go to the primary until it answers", "error", err.Error())
	default:
		reader.Close()
		return setting(err)
	}
	a.reads.setReplica(reader, ops, err == nil, err)
	closePrimary := a.closeDB
	a.closeDB = func() error {
		reader.Close()
		return closePrimary()
	}
	return nil
}

// readScans runs a read that can be started over (see readStores.run) on
// the read side's store: the replica when one is configured and answering.
func (a *app) readScans(ctx context.Context, fn func(data.RequestStore) error) error {
	if a.reads == nil {
		rs, err := a.requestStore()
		if err != nil {
			return err
		}
		return fn(rs)
	}
	return a.reads.run(ctx, fn)
}
