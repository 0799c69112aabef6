package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/geo311/geo311/data"
)

// fakeReadStore answers ScanRequests with one request or its error; every
// other store method is left to the nil embedded interface (unused).
type fakeReadStore struct {
	data.Store
	name  string
	mu    sync.Mutex
	err   error
	scans int
}

func (f *fakeReadStore) ScanRequests(ctx context.Context, _ data.RequestFilter, fn func(*data.Request) error) error {
	f.mu.Lock()
	f.scans++
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return fn(&data.Request{Number: f.name})
}

func (f *fakeReadStore) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeReadStore) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scans
}

type fakeReplica struct {
	pings, checks atomic.Int64
	mu            sync.Mutex
	pingErr       error
	checkErr      error
}

func (f *fakeReplica) ops() replicaOps {
	return replicaOps{
		ping: func(context.Context) error {
			f.pings.Add(1)
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.pingErr
		},
		check: func(context.Context) error {
			f.checks.Add(1)
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.checkErr
		},
		catchUp: func(context.Context) error { return nil },
		lag:     func(context.Context) (int64, error) { return 42, nil },
	}
}

func (f *fakeReplica) set(ping, check error) {
	f.mu.Lock()
	f.pingErr, f.checkErr = ping, check
	f.mu.Unlock()
}

type readFixture struct {
	rs               *readStores
	primary, replica *fakeReadStore
	probe            *fakeReplica
	clock            time.Time
}

func newReadFixture(t *testing.T, verified bool, startErr error) *readFixture {
	t.Helper()
	f := &readFixture{primary: &fakeReadStore{name: "primary"}, replica: &fakeReadStore{name: "replica"}, probe: &fakeReplica{},
		clock: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	f.rs = newReadStores(f.primary, discardLogger())
	f.rs.now = func() time.Time { return f.clock }
	f.rs.setReplica(f.replica, f.probe.ops(), verified, startErr)
	return f
}

// read runs one restartable read and returns which store's row it got.
func (f *readFixture) read(t *testing.T) string {
	t.Helper()
	var got string
	err := f.rs.run(context.Background(), func(rs data.RequestStore) error {
		got = ""
		return rs.ScanRequests(context.Background(), data.RequestFilter{}, func(r *data.Request) error { got = r.Number; return nil })
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return got
}

func (f *readFixture) counters() (primary, replica, fallbacks uint64) {
	return f.rs.primaryReads.Load(), f.rs.replicaReads.Load(), f.rs.fallbacks.Load()
}

func TestReadStoresWithoutReplica(t *testing.T) {
	primary := &fakeReadStore{name: "primary"}
	rs := newReadStores(primary, discardLogger())
	a := &app{store: primary, reads: rs}
	for i := 0; i < 3; i++ {
		var got string
		if err := a.readScans(context.Background(), func(st data.RequestStore) error {
			return st.ScanRequests(context.Background(), data.RequestFilter{}, func(r *data.Request) error { got = r.Number; return nil })
		}); err != nil || got != "primary" {
			t.Fatalf("read %d: %q, %v", i, got, err)
		}
	}
	if st, err := a.readRequestStore(context.Background()); err != nil || st != data.RequestStore(primary) {
		t.Errorf("readRequestStore = %v, %v; want the primary", st, err)
	}
	if rs.hasReplica() || rs.primaryReads.Load() != 4 || rs.fallbacks.Load() != 0 {
		t.Errorf("hasReplica %v, primary reads %d, fallbacks %d; want false, 4, 0", rs.hasReplica(), rs.primaryReads.Load(), rs.fallbacks.Load())
	}
	var nilReads *readStores
	if nilReads.hasReplica() {
		t.Error("a nil readStores has a replica")
	}
}

// TestReadStoresFallback walks the replica through down and up: a read the
// replica cannot serve is answered by the primary; the replica rests for
// replicaRetry; a probe brings it back.
func TestReadStoresFallback(t *testing.T) {
	f := newReadFixture(t, true, nil)
	if got := f.read(t); got != "replica" {
		t.Fatalf("read with the replica up from %s", got)
	}
	if f.probe.pings.Load() != 0 {
		t.Errorf("a replica that answered just now was pinged %d times", f.probe.pings.Load())
	}
	// The replica fails: the same read is answered by the primary.
	f.replica.setErr(fmt.Errorf("postgis: scan requests: %w", data.Errorf(data.ErrUnavailable, "connection refused")))
	f.probe.set(errors.New("connection refused"), nil)
	if got := f.read(t); got != "primary" {
		t.Fatalf("read with the replica failing from %s", got)
	}
	if p, r, fb := f.counters(); p != 1 || r != 2 || fb != 1 || f.rs.isUp() {
		t.Errorf("after a failed replica read: primary %d replica %d fallbacks %d up %v; want 1 2 1 false", p, r, fb, f.rs.isUp())
	}
	// Resting: reads go to the primary without touching the replica.
	scans := f.replica.count()
	f.clock = f.clock.Add(replicaRetry - time.Millisecond)
	if got := f.read(t); got != "primary" || f.replica.count() != scans || f.probe.pings.Load() != 0 {
		t.Errorf("resting replica: read from %s, replica scans %d->%d, pings %d", got, scans, f.replica.count(), f.probe.pings.Load())
	}
	// After the rest a probe runs; it fails: primary again.
	f.clock = f.clock.Add(time.Millisecond)
	if got := f.read(t); got != "primary" || f.probe.pings.Load() != 1 {
		t.Errorf("failed probe: read from %s, pings %d; want primary, 1", got, f.probe.pings.Load())
	}
	f.clock = f.clock.Add(time.Second) // resting again after the failed probe
	if got := f.read(t); got != "primary" || f.probe.pings.Load() != 1 {
		t.Errorf("rest after a failed probe: read from %s, pings %d", got, f.probe.pings.Load())
	}
	// Back: the probe succeeds and the read goes to the replica.
	f.replica.setErr(nil)
	f.probe.set(nil, nil)
	f.clock = f.clock.Add(replicaRetry)
	if got := f.read(t); got != "replica" || f.probe.pings.Load() != 2 || !f.rs.isUp() {
		t.Errorf("replica back: read from %s, pings %d, up %v", got, f.probe.pings.Load(), f.rs.isUp())
	}
	// Fresh answers need no probe; a stale one is probed first.
	f.clock = f.clock.Add(replicaFresh / 2)
	f.read(t)
	if f.probe.pings.Load() != 2 {
		t.Errorf("fresh replica pinged: %d", f.probe.pings.Load())
	}
	f.clock = f.clock.Add(replicaFresh)
	if got := f.read(t); got != "replica" || f.probe.pings.Load() != 3 {
		t.Errorf("stale replica: read from %s, pings %d; want replica, 3", got, f.probe.pings.Load())
	}
	if f.probe.checks.Load() != 0 {
		t.Errorf("a verified replica was checked %d times", f.probe.checks.Load())
	}
}

func TestReadStoresErrors(t *testing.T) {
	conflict := fmt.Errorf("postgis: scan requests: %w", &pgconn.PgError{Code: "40001", Message: "canceling statement due to conflict with recovery"})
	t.Run("recovery conflict", func(t *testing.T) {
		f := newReadFixture(t, true, nil)
		f.replica.setErr(conflict)
		if got := f.read(t); got != "primary" {
			t.Errorf("read cancelled by recovery answered from %s", got)
		}
		if !f.rs.isUp() {
			t.Error("a recovery conflict marked the replica down")
		}
		if _, _, fb := f.counters(); fb != 1 {
			t.Errorf("fallbacks %d, want 1", fb)
		}
	})
	t.Run("other errors are the read's", func(t *testing.T) {
		f := newReadFixture(t, true, nil)
		bad := data.Invalid("from", "nope")
		f.replica.setErr(bad)
		err := f.rs.run(context.Background(), func(rs data.RequestStore) error {
			return rs.ScanRequests(context.Background(), data.RequestFilter{}, func(*data.Request) error { return nil })
		})
		if !errors.Is(err, data.ErrInvalid) || f.primary.count() != 0 || !f.rs.isUp() {
			t.Errorf("invalid read: %v, primary scans %d, up %v; want the error, no retry, still up", err, f.primary.count(), f.rs.isUp())
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newReadFixture(t, true, nil)
		ctx, cancel := context.WithCancel(context.Background())
		f.replica.setErr(data.Errorf(data.ErrUnavailable, "cut"))
		err := f.rs.run(ctx, func(rs data.RequestStore) error {
			cancel()
			return rs.ScanRequests(ctx, data.RequestFilter{}, func(*data.Request) error { return nil })
		})
		if err == nil || f.primary.count() != 0 || !f.rs.isUp() {
			t.Errorf("cancelled read: %v, primary scans %d, up %v; want the error, no retry, state kept", err, f.primary.count(), f.rs.isUp())
		}
	})
}

// TestReadStoresUnverified: a replica that was down at start-up is checked
// (schema), not just pinged, before reads go to it.
func TestReadStoresUnverified(t *testing.T) {
	f := newReadFixture(t, false, data.Errorf(data.ErrUnavailable, "down at start-up"))
	if f.rs.isUp() {
		t.Fatal("an unverified replica is up")
	}
	if got := f.read(t); got != "primary" || f.probe.checks.Load() != 0 {
		t.Errorf("just after start-up: read from %s, checks %d; want primary, 0 (resting)", got, f.probe.checks.Load())
	}
	f.probe.set(nil, errors.New("postgis: reader: the database has schema version 3, this geo311 needs 4"))
	f.clock = f.clock.Add(replicaRetry)
	if got := f.read(t); got != "primary" || f.probe.checks.Load() != 1 || f.probe.pings.Load() != 0 {
		t.Errorf("schema behind: read from %s, checks %d pings %d; want primary, 1, 0", got, f.probe.checks.Load(), f.probe.pings.Load())
	}
	f.probe.set(nil, nil)
	f.clock = f.clock.Add(replicaRetry)
	if got := f.read(t); got != "replica" || f.probe.checks.Load() != 2 {
		t.Errorf("schema current: read from %s, checks %d; want replica, 2", got, f.probe.checks.Load())
	}
	f.clock = f.clock.Add(replicaFresh)
	f.read(t)
	if f.probe.checks.Load() != 2 || f.probe.pings.Load() != 1 {
		t.Errorf("verified replica: checks %d pings %d; want 2, 1", f.probe.checks.Load(), f.probe.pings.Load())
	}
	status, ok := f.rs.replicaStatus(context.Background())
	if !ok || status != "ok (42 bytes of WAL behind the primary)" {
		t.Errorf("replicaStatus = %q, %v", status, ok)
	}
	f.probe.set(errors.New("connection refused"), nil)
	status, ok = f.rs.replicaStatus(context.Background())
	if ok || status != "unavailable: reads fall back to the primary (connection refused)" {
		t.Errorf("replicaStatus with the replica down = %q, %v", status, ok)
	}
}

// TestReadStoresConcurrent: many readers at once while the replica flaps;
// every read is answered, the counters add up (run with -race).
func TestReadStoresConcurrent(t *testing.T) {
	f := newReadFixture(t, true, nil)
	var mu sync.Mutex
	clock := f.clock
	f.rs.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(50 * time.Millisecond)
		return clock
	}
	var wg sync.WaitGroup
	const readers, reads = 8, 200
	var answered atomic.Int64
	for g := 0; g < readers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < reads; i++ {
				if g == 0 && i%20 == 0 {
					if i%40 == 0 {
						f.replica.setErr(data.Errorf(data.ErrUnavailable, "flap"))
						f.probe.set(errors.New("flap"), nil)
					} else {
						f.replica.setErr(nil)
						f.probe.set(nil, nil)
					}
				}
				err := f.rs.run(context.Background(), func(rs data.RequestStore) error {
					return rs.ScanRequests(context.Background(), data.RequestFilter{}, func(*data.Request) error { return nil })
				})
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				answered.Add(1)
			}
		}(g)
	}
	wg.Wait()
	if answered.Load() != readers*reads {
		t.Fatalf("%d reads answered, want %d", answered.Load(), readers*reads)
	}
	p, r, fb := f.counters()
	if int(p) != f.primary.count() || int(r) != f.replica.count() || fb == 0 || r == 0 {
		t.Errorf("counters primary %d replica %d fallbacks %d; stores saw %d and %d", p, r, fb, f.primary.count(), f.replica.count())
	}
}
