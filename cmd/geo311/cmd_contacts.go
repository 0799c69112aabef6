package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/geo311/geo311/data/community"
	"github.com/geo311/geo311/geo"
)

func contactsCommand() command {
	return command{name: "contacts", summary: "load the contact directory of areas (district, ward, ...) from CSV", run: runContacts}
}

// runContacts: contacts load [--allow-errors] FILE.csv.
//
// Contacts are upserted by (layer, area_id, kind): a contact in the file
// replaces the stored one with that key, stored contacts not in the file
// stay, and loading the same file twice changes nothing. A file with bad
// rows stores nothing unless --allow-errors is given.
func runContacts(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "contacts", "contacts load [--allow-errors] FILE.csv\n\n"+
		"Columns: layer, area_id, kind (community_policing_office, district_station, alderman_office, ...), name,\n"+
		"and at least one of phone, email, address, url; optional hours.\n"+
		"Contacts are keyed by (layer, area_id, kind); contacts not in the file are kept.")
	var allowErrors bool
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) {
		c.storeFlags(fs)
		fs.BoolVar(&allowErrors, "allow-errors", false, "store the good rows of a file with bad rows instead of storing nothing")
	})
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "load" {
		return usagef("contacts: usage: geo311 contacts load [--allow-errors] FILE.csv")
	}
	name := pos[1]
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.communityStore()
	if err != nil {
		return err
	}
	cs, rowErrs, err := community.ReadContacts(f, a.j)
	if err != nil {
		return fmt.Errorf("contacts %s: %w", name, err)
	}
	printRowErrors(e.stderr, name, rowErrs)
	ix, err := a.loadIndex(ctx, e.stderr)
	if err != nil {
		return err
	}
	warnings := 0
	if ix != nil {
		warnings = warnContactAreas(e.stderr, name, ix, cs, time.Now())
	}
	if err := checkRowErrors(name, "contacts", rowErrs, allowErrors); err != nil {
		return err
	}
	ins, upd, err := st.UpsertContacts(ctx, a.j.ID, cs)
	if err != nil {
		return fmt.Errorf("store contacts: %w", err)
	}
	fmt.Fprintf(e.stdout, "contacts %s: %d read, %d inserted, %d updated, 0 deleted (contacts not in the file are kept), %d row errors, %d warnings\n",
		name, len(cs), ins, upd, len(rowErrs), warnings)
	return nil
}

// warnContactAreas warns about each contact whose area is not in the
// generation of its layer in force at now; it returns how many warnings
// it wrote.
func warnContactAreas(w io.Writer, name string, ix *geo.Index, cs []community.Contact, now time.Time) int {
	n := 0
	for _, c := range cs {
		if _, _, ok := ix.Area(c.Layer, c.AreaID, now); !ok {
			fmt.Fprintf(w, "%s: warning: contact %s: %s %s is not in the active %s generation in force today\n",
				name, c.Key(), c.Layer, c.AreaID, c.Layer)
			n++
		}
	}
	return n
}
