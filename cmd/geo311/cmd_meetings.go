package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/data/postgis"
	"github.com/geo311/geo311/data/sqlite"
	"github.com/geo311/geo311/geo"
)

func meetingsCommand() command {
	return command{name: "meetings", summary: "load CAPS beat community meeting schedules from CSV", run: runMeetings}
}

// Both stores keep meetings and contacts.
var (
	_ community.Store = (*sqlite.DB)(nil)
	_ community.Store = (*postgis.DB)(nil)
)

// communityStore returns the store's meetings and contacts side, or
// ErrUnavailable for a store (data.Store) that does not keep them.
func (a *app) communityStore() (community.Store, error) {
	var st any = a.store
	cs, ok := st.(community.Store)
	if !ok {
		return nil, data.Errorf(data.ErrUnavailable, "this store does not keep meetings and contacts")
	}
	return cs, nil
}

// runMeetings: meetings load [--allow-errors] FILE.csv.
//
// The file is the jurisdiction's whole schedule: meetings stored before and
// not in the file are deleted, so a corrected file loaded again updates the
// schedule in place and loading the same file twice changes nothing. A file
// with bad rows stores nothing unless --allow-errors is given; then its good
// rows become the schedule (the bad rows' meetings are not kept).
func runMeetings(ctx context.Context, e *env, args []string) error {
	return runCommunityLoad(ctx, e, args, communityLoad{
		name: "meetings",
		help: "Columns: beat (id or group \"0111;0112\"), date (YYYY-MM-DD), time (18:30 or 6:30 PM, local),\n" +
			"location_name and/or address; optional duration_minutes, lat, lon, notes.\n" +
			"The file replaces the jurisdiction's whole schedule.",
		allowHelp: "store the good rows of a file with bad rows (they become the whole schedule) instead of storing nothing",
		load: func(ctx context.Context, l *communityLoadRun) error {
			ms, rowErrs, err := community.ReadMeetings(l.file, l.app.j)
			if err != nil {
				return fmt.Errorf("meetings %s: %w", l.fileName, err)
			}
			warn := func(ix *geo.Index) int { return warnMeetingBeats(l.e.stderr, l.fileName, ix, ms) }
			if err := l.check(ctx, rowErrs, warn); err != nil {
				return err
			}
			ins, upd, del, err := l.store.ReplaceMeetings(ctx, l.app.j.ID, ms)
			if err != nil {
				return fmt.Errorf("store meetings: %w", err)
			}
			fmt.Fprintf(l.e.stdout, "meetings %s: %d read, %d inserted, %d updated, %d deleted, %d row errors, %d warnings\n",
				l.fileName, len(ms), ins, upd, del, len(rowErrs), l.warnings)
			return nil
		},
	})
}

// communityLoad describes one of the CSV load commands of the community
// directory ("meetings load", "contacts load").
type communityLoad struct {
	name, help, allowHelp string
	load                  func(ctx context.Context, l *communityLoadRun) error
}

// communityLoadRun is what a load needs once the file and the store are open.
type communityLoadRun struct {
	what        string // "meetings" or "contacts"
	e           *env
	app         *app
	store       community.Store
	file        io.Reader
	fileName    string
	allowErrors bool
	warnings    int
}

// check prints the row errors, warns (through warn) about ids not in the
// active boundaries, and ends the load when there are bad rows and
// --allow-errors was not given.
func (l *communityLoadRun) check(ctx context.Context, rowErrs []community.RowError, warn func(*geo.Index) int) error {
	printRowErrors(l.e.stderr, l.fileName, rowErrs)
	ix, err := l.app.loadIndex(ctx, l.e.stderr)
	if err != nil {
		return err
	}
	if ix != nil {
		l.warnings = warn(ix)
	}
	return checkRowErrors(l.fileName, l.what, rowErrs, l.allowErrors)
}

// runCommunityLoad runs "<name> load [--allow-errors] FILE.csv": flags, the
// file, the app and its community store, then c.load.
func runCommunityLoad(ctx context.Context, e *env, args []string, c communityLoad) error {
	fs := newFlagSet(e, c.name, c.name+" load [--allow-errors] FILE.csv\n\n"+c.help)
	var allowErrors bool
	cfg, pos, err := loadConfig(e, fs, args, func(cf *Config) {
		cf.storeFlags(fs)
		fs.BoolVar(&allowErrors, "allow-errors", false, c.allowHelp)
	})
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "load" {
		return usagef("%s: usage: geo311 %s load [--allow-errors] FILE.csv", c.name, c.name)
	}
	name := pos[1]
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := openApp(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.communityStore()
	if err != nil {
		return err
	}
	return c.load(ctx, &communityLoadRun{what: c.name, e: e, app: a, store: st, file: f, fileName: name, allowErrors: allowErrors})
}

// printRowErrors writes one line per bad row, "FILE:LINE: column: message",
// the first maxPrintedRowErrors of them, then how many more there were.
func printRowErrors(w io.Writer, name string, errs []community.RowError) {
	for i, re := range errs {
		if i == maxPrintedRowErrors {
			fmt.Fprintf(w, "%s: ... and %d more row errors\n", name, len(errs)-i)
			break
		}
		msg := re.Err.Error()
		var de *data.Error
		if errors.As(re.Err, &de) {
			msg = de.Error()
		}
		if re.Column != "" && !strings.HasPrefix(msg, re.Column+":") {
			msg = re.Column + ": " + msg
		}
		fmt.Fprintf(w, "%s:%d: %s\n", name, re.Line, msg)
	}
}

// checkRowErrors is the error a load ends with when a file has bad rows
// and --allow-errors was not given.
func checkRowErrors(name, what string, errs []community.RowError, allow bool) error {
	if len(errs) == 0 || allow {
		return nil
	}
	return fmt.Errorf("%s: %d row errors: no %s stored (fix the rows, or store the good rows with --allow-errors)", name, len(errs), what)
}

// loadIndex builds the routing index of the active generations to check
// loaded area ids against; nil (after a warning) when none is active.
func (a *app) loadIndex(ctx context.Context, stderr io.Writer) (*geo.Index, error) {
	rt, err := a.buildRouter(ctx)
	if err != nil {
		return nil, err
	}
	if len(rt.Index().Generations()) == 0 {
		fmt.Fprintf(stderr, "warning: no boundaries are active for %s: area ids are not checked\n", a.j.ID)
		return nil, nil
	}
	return rt.Index(), nil
}

// warnMeetingBeats warns about each beat of a meeting that is not an area
// of the beat generation in force on the meeting's date; it returns how
// many warnings it wrote.
func warnMeetingBeats(w io.Writer, name string, ix *geo.Index, ms []community.Meeting) int {
	n := 0
	for _, m := range ms {
		for _, b := range m.Beats {
			if _, _, ok := ix.Area(data.LayerBeat, b, m.Start); !ok {
				fmt.Fprintf(w, "%s: warning: meeting %s of beat %s: beat %s is not in the active beat generation in force on %s\n",
					name, m.Wall(), strings.Join(m.Beats, ";"), b, m.Start.Format(time.DateOnly))
				n++
			}
		}
	}
	return n
}
