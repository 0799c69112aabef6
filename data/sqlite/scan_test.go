package sqlite

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestScanSnapshot checks that a running scan neither blocks the writer
// nor sees its writes (one read snapshot), and that a scan stopped by fn
// or by its context leaves its connection usable.
func TestScanSnapshot(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(21, 22))
	if _, _, err := db.ImportRequests(ctx, synthRequests(rng, 0, 500)); err != nil {
		t.Fatal(err)
	}
	seen := 0
	err := db.ScanRequests(ctx, data.RequestFilter{Ascending: true}, func(r *data.Request) error {
		if seen == 0 {
			// The writer commits while the scan holds its snapshot.
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			more := synthRequests(rng, 500, 100)
			for _, m := range more {
				m.RequestedAt = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // after every row of the snapshot in the order
			}
			if _, _, err := db.ImportRequests(wctx, more); err != nil {
				t.Errorf("import during a scan: %v", err)
			}
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 500 {
		t.Errorf("scan saw %d requests, want the 500 of its snapshot", seen)
	}
	if n, err := db.CountRequests(ctx, data.RequestFilter{}); err != nil || n != 600 {
		t.Errorf("after the scan: %d requests, %v; want 600", n, err)
	}

	// Stopped by fn, then by a cancelled context: later scans still work
	// on the pooled connections.
	stop := errors.New("stop")
	for range 2 * defaultReaders() {
		n := 0
		if err := db.ScanRequests(ctx, data.RequestFilter{}, func(*data.Request) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		}); err != stop {
			t.Fatalf("scan stopped by fn: %v, want the fn's error as is", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		m := 0
		err := db.ScanRequests(cctx, data.RequestFilter{}, func(*data.Request) error {
			if m++; m == 10 {
				cancel()
			}
			return nil
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled scan: %v, want context.Canceled", err)
		}
	}
	all, err := db.Requests(ctx, data.RequestFilter{})
	if err != nil || len(all) != 600 {
		t.Fatalf("Requests after stopped scans: %d, %v", len(all), err)
	}
}
