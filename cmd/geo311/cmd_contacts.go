package main

import (
	"context"
	"fmt"
	"io"
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
	return runCommunityLoad(ctx, e, args, communityLoad{
		name: "contacts",
		help: "Columns: layer, area_id, kind (community_policing_office, district_station, alderman_office, ...), name,\n" +
			"and at least one of phone, email, address, url; optional hours.\n" +
			"Contacts are keyed by (layer, area_id, kind); contacts not in the file are kept.",
		allowHelp: "store the good rows of a file with bad rows instead of storing nothing",
		load: func(ctx context.Context, l *communityLoadRun) error {
			cs, rowErrs, err := community.ReadContacts(l.file, l.app.j)
			if err != nil {
				return fmt.Errorf("contacts %s: %w", l.fileName, err)
			}
			warn := func(ix *geo.Index) int { return warnContactAreas(l.e.stderr, l.fileName, ix, cs, time.Now()) }
			if err := l.check(ctx, rowErrs, warn); err != nil {
				return err
			}
			ins, upd, err := l.store.UpsertContacts(ctx, l.app.j.ID, cs)
			if err != nil {
				return fmt.Errorf("store contacts: %w", err)
			}
			fmt.Fprintf(l.e.stdout, "contacts %s: %d read, %d inserted, %d updated, 0 deleted (contacts not in the file are kept), %d row errors, %d warnings\n",
				l.fileName, len(cs), ins, upd, len(rowErrs), l.warnings)
			return nil
		},
	})
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
