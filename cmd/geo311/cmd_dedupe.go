package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/chicago311"
	"github.com/geo311/geo311/dedupe"
	"github.com/geo311/geo311/geo"
)

func dedupeCommand() command {
	return command{name: "dedupe", summary: "re-cluster duplicates in a window (run) or measure against labelled data (eval)", run: runDedupe}
}

func runDedupe(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("dedupe: usage: geo311 dedupe run --from DATE --to DATE | geo311 dedupe eval --labels FILE.csv...")
	}
	switch args[0] {
	case "run":
		return runDedupeRun(ctx, e, args[1:])
	case "eval":
		return runDedupeEval(ctx, e, args[1:])
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stderr, "Usage: geo311 dedupe run --from DATE --to DATE [--dry-run]\n       geo311 dedupe eval --labels FILE.csv...")
		return nil
	}
	return usagef("dedupe: unknown subcommand %q (run or eval)", args[0])
}

// dedupeRunStats summarises a re-clustering.
type dedupeRunStats struct {
	Requests, Primaries, Duplicates     int
	NewDuplicates, Unlinked, Reparented int
	CountsChanged                       int
}

func runDedupeRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "dedupe run", "dedupe run --from DATE --to DATE [--dry-run]")
	fromS := fs.String("from", "", "first day (YYYY-MM-DD) or RFC 3339 time of the window (required)")
	toS := fs.String("to", "", "end of the window, exclusive (required)")
	dry := fs.Bool("dry-run", false, "print what would change without writing")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("dedupe run takes no arguments, got %q", pos)
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	from, err := paramTime("from", *fromS, a.loc)
	if err != nil {
		return usagef("dedupe run: %s", data.ErrorMessage(err))
	}
	to, err := paramTime("to", *toS, a.loc)
	if err != nil {
		return usagef("dedupe run: %s", data.ErrorMessage(err))
	}
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return usagef("dedupe run: give --from and --to with to after from")
	}
	rs, err := a.requestStore()
	if err != nil {
		return err
	}
	start := time.Now()
	var reqs []*data.Request
	if err := rs.ScanRequests(ctx, data.RequestFilter{From: from, To: to, Ascending: true}, func(r *data.Request) error {
		reqs = append(reqs, r)
		return nil
	}); err != nil {
		return fmt.Errorf("dedupe run: read requests: %w", err)
	}
	loaded := time.Since(start)
	t0 := time.Now()
	as := dedupe.Recluster(a.j, reqs)
	clustered := time.Since(t0)

	st, changes := planDedupe(reqs, as)
	bar := newProgress(e.stderr, "dedupe", "updates", int64(len(changes)))
	written := 0
	if !*dry {
		for _, c := range changes {
			if _, err := rs.UpdateRequest(ctx, c.number, c.apply); err != nil {
				bar.Done()
				return fmt.Errorf("dedupe run: update %s: %w", c.number, err)
			}
			written++
			bar.Set(int64(written))
		}
	}
	bar.Done()
	fmt.Fprintf(e.stdout, "requests: %d (%s to %s)\nprimaries: %d\nduplicates: %d\nnew duplicates: %d\nunlinked: %d\nre-parented: %d\nduplicate counts changed: %d\nupdates written: %d%s\nread %s, clustered %s, total %s\n",
		st.Requests, from.Format(time.RFC3339), to.Format(time.RFC3339), st.Primaries, st.Duplicates, st.NewDuplicates, st.Unlinked, st.Reparented,
		st.CountsChanged, written, map[bool]string{true: " (dry run)", false: ""}[*dry],
		loaded.Round(time.Millisecond), clustered.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
}

// dedupeChange is one request to update after a re-clustering.
type dedupeChange struct {
	number string
	apply  func(r *data.Request) ([]data.Note, error)
}

// planDedupe compares the stored duplicate fields with a re-clustering and
// returns the updates: duplicate flag and parent (with a note saying why)
// and primaries' duplicate counts.
func planDedupe(reqs []*data.Request, as []dedupe.Assignment) (dedupeRunStats, []dedupeChange) {
	st := dedupeRunStats{Requests: len(reqs)}
	byNumber := make(map[string]*data.Request, len(reqs))
	for _, r := range reqs {
		byNumber[r.Number] = r
	}
	counts := map[string]int{}
	for _, a := range as {
		if a.Primary != "" {
			counts[a.Primary]++
		}
	}
	var changes []dedupeChange
	for _, a := range as {
		r := byNumber[a.Number]
		if r == nil {
			continue
		}
		if a.Primary == "" {
			st.Primaries++
		} else {
			st.Duplicates++
		}
		switch {
		case a.Primary != "" && (!r.Duplicate || r.ParentNumber != a.Primary):
			if r.Duplicate {
				st.Reparented++
			} else {
				st.NewDuplicates++
			}
			a := a
			changes = append(changes, dedupeChange{number: a.Number, apply: func(x *data.Request) ([]data.Note, error) {
				x.Duplicate, x.ParentNumber = true, a.Primary
				return []data.Note{{At: time.Now().UTC(), Actor: "system", Event: data.EventDuplicate,
					Text:   fmt.Sprintf("dedupe run: duplicate of %s", a.Primary),
					Reason: fmt.Sprintf("batch re-clustering: matched %s with score %.2f", a.Match, a.Score)}}, nil
			}})
		case a.Primary == "" && r.Duplicate:
			st.Unlinked++
			parent := r.ParentNumber
			changes = append(changes, dedupeChange{number: a.Number, apply: func(x *data.Request) ([]data.Note, error) {
				x.Duplicate, x.ParentNumber = false, ""
				return []data.Note{{At: time.Now().UTC(), Actor: "system", Event: data.EventUnlinked,
					Text:   "dedupe run: no longer a duplicate of " + orUnknown(parent),
					Reason: "batch re-clustering found no similar open request nearby"}}, nil
			}})
		}
	}
	var primaries []string
	for _, r := range reqs {
		if counts[r.Number] != r.DuplicateCount {
			primaries = append(primaries, r.Number)
		}
	}
	sort.Strings(primaries)
	for _, n := range primaries {
		want := counts[n]
		st.CountsChanged++
		changes = append(changes, dedupeChange{number: n, apply: func(x *data.Request) ([]data.Note, error) {
			x.DuplicateCount = want
			return nil, nil
		}})
	}
	return st, changes
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown primary"
	}
	return s
}

func runDedupeEval(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "dedupe eval", "dedupe eval --labels FILE.csv [FILE.csv...]")
	var labels []string
	fs.Func("labels", "Chicago Data Portal 311 `CSV` with duplicate labels (repeatable; further files may follow as arguments)", func(s string) error {
		labels = append(labels, s)
		return nil
	})
	jur := fs.String("jurisdiction", "chicago", "jurisdiction whose service catalogue gives the dedupe rules")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	labels = append(labels, pos...)
	if len(labels) == 0 {
		return usagef("dedupe eval: give --labels FILE.csv")
	}
	j, err := geo.LookupJurisdiction(*jur)
	if err != nil {
		return usagef("dedupe eval: %s", data.ErrorMessage(err))
	}
	var reqs []*data.Request
	rowErrors := 0
	for _, name := range labels {
		rs, n, err := readChicagoFile(name, e.stderr)
		if err != nil {
			return err
		}
		reqs = append(reqs, rs...)
		rowErrors += n
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	sort.SliceStable(reqs, func(i, k int) bool { return reqs[i].RequestedAt.Before(reqs[k].RequestedAt) })
	truth := dedupe.Labels(reqs)
	t0 := time.Now()
	geo311 := dedupe.Evaluate(dedupe.FromAssignments(dedupe.Recluster(j, reqs)), truth)
	took := time.Since(t0)
	base := dedupe.Evaluate(dedupe.FromAssignments(dedupe.Baseline(reqs)), truth)
	fmt.Fprintf(e.stdout, "requests: %d from %d files (row errors: %d)\nlabelled duplicates: %d (unknown primary: %d)\n\n",
		geo311.Requests, len(labels), rowErrors, geo311.Duplicate.Truth, geo311.UnknownPrimary)
	fmt.Fprintf(e.stdout, "%-28s %9s %9s %9s %9s %9s %9s\n", "method", "pair P", "pair R", "pair F1", "dup P", "dup R", "dup F1")
	for _, row := range []struct {
		name string
		m    dedupe.Metrics
	}{{"geo311 (catalogue rules)", geo311}, {"baseline (FixMyStreet 250m)", base}} {
		fmt.Fprintf(e.stdout, "%-28s %9s %9s %9s %9.3f %9.3f %9.3f\n", row.name,
			prf(row.m.Pairwise.Precision, row.m.Pairwise.Pred*row.m.Pairwise.Truth), prf(row.m.Pairwise.Recall, row.m.Pairwise.Truth), prf(row.m.Pairwise.F1, row.m.Pairwise.Pred*row.m.Pairwise.Truth),
			row.m.Duplicate.Precision, row.m.Duplicate.Recall, row.m.Duplicate.F1)
	}
	fmt.Fprintf(e.stdout, "\ngeo311 pairwise:  %s\ngeo311 duplicate: %s\nbaseline pairwise:  %s\nbaseline duplicate: %s\nre-clustering took %s\n",
		geo311.Pairwise, geo311.Duplicate, base.Pairwise, base.Duplicate, took.Round(time.Millisecond))
	if geo311.UnknownPrimary > 0 {
		fmt.Fprintln(e.stdout, "note: labels without a parent (legacy \"Dup\" statuses) are left out of the pairwise figures; the per-request duplicate figures are the measure for them")
	}
	return nil
}

// prf prints a pairwise figure, "n/a" when it is undefined (no predicted
// or no true pairs: legacy labels have no parents, so no true pairs).
func prf(v float64, n int64) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}

// readChicagoFile reads every request of a portal export, printing row
// errors with their line numbers and counting them.
func readChicagoFile(name string, stderr io.Writer) ([]*data.Request, int, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	rd, err := chicago311.NewReader(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	var out []*data.Request
	bad := 0
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return out, bad, nil
		}
		var re *chicago311.RowError
		if errors.As(err, &re) {
			bad++
			if bad <= maxPrintedRowErrors {
				fmt.Fprintf(stderr, "%s:%d: %v\n", name, re.Line, re)
			}
			continue
		}
		if err != nil {
			return nil, bad, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, r)
	}
}
