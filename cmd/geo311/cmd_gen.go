package main

import (
	"context"
	"fmt"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/synth"
)

func genCommand() command {
	return command{name: "gen", summary: "generate and store a realistic synthetic year of requests (benchmarks, demos)", run: runGen}
}

func runGen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "gen", "gen [flags]")
	n := fs.Int("n", 100000, "number of requests")
	seed := fs.Int64("seed", 1, "random seed (the same seed gives the same requests)")
	year := fs.Int("year", 2026, "calendar year generated")
	batchSize := fs.Int("batch", 10000, "requests per store transaction")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("gen takes no arguments, got %q", pos)
	}
	if *n < 1 || *n > 50_000_000 {
		return usagef("gen: --n must be 1 to 50000000")
	}
	if *year < 2000 || *year > 2099 {
		return usagef("gen: --year must be 2000 to 2099 (tracking numbers carry two digits)")
	}
	if *batchSize < 1 || *batchSize > 1_000_000 {
		return usagef("gen: --batch must be 1 to 1000000")
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	rs, err := a.requestStore()
	if err != nil {
		return err
	}
	rt, err := a.buildRouter(ctx)
	if err != nil {
		return err
	}
	if len(rt.Index().Generations()) == 0 {
		return noBoundaries(a.j)
	}
	// Requests are placed over the beats (else the first layer) in force
	// in the middle of the year.
	mid := time.Date(*year, 7, 1, 0, 0, 0, 0, a.loc)
	var areas []data.Area
	var genID string
	for _, l := range append([]data.Layer{data.LayerBeat}, rt.Index().Layers()...) {
		if as, id, ok := rt.Index().Areas(l, mid); ok && len(as) > 0 {
			areas, genID = as, id
			break
		}
	}
	if len(areas) == 0 {
		return data.Errorf(data.ErrInvalid, "gen: no boundaries in force in %d", *year)
	}
	start := time.Now()
	bar := newProgress(e.stderr, "gen", "requests", int64(*n))
	var batch []*data.Request
	var total, inserted, updated, unrouted, dups int
	flush := func() error {
		unrouted += prepareRequests(a.j, rt, batch, false)
		ins, upd, err := rs.ImportRequests(ctx, batch)
		if err != nil {
			return fmt.Errorf("gen: import requests: %w", err)
		}
		inserted += ins
		updated += upd
		total += len(batch)
		bar.Set(int64(total))
		batch = batch[:0]
		return ctx.Err()
	}
	err = synth.Generate(synth.Config{Jurisdiction: a.j, N: *n, Seed: *seed, Year: *year, Areas: areas}, func(r *data.Request) error {
		r.Jurisdiction = a.j.ID
		if r.Duplicate {
			dups++
		}
		batch = append(batch, r)
		if len(batch) >= *batchSize {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	bar.Done()
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(e.stdout, "generated: %d requests of %d over %s (seed %d)\nimported: %d\nupdated: %d\nduplicates: %d\nnot routed: %d\ntook: %s (%.0f requests/s)\n",
		total, *year, genID, *seed, inserted, updated, dups, unrouted, took.Round(time.Millisecond), float64(total)/took.Seconds())
	return nil
}
