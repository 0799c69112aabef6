package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/geo311/geo311/data"
)

func keysCommand() command {
	return command{name: "keys", summary: "create, list and revoke API keys (intake, staff, supervisor, admin)", run: runKeys}
}

// runKeys: keys create --role R [--district D]... --name N | keys list | keys revoke ID.
func runKeys(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys", "keys create --role intake|staff|supervisor|admin [--district 012] --name NAME | keys list | keys revoke ID")
	var role, name string
	var districts []string
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) {
		c.storeFlags(fs)
		fs.StringVar(&role, "role", "", "role of a new key: intake, staff, supervisor or admin")
		fs.StringVar(&name, "name", "", "who uses a new key (a system or a person), for the history")
		fs.Func("district", "district `id` a staff or supervisor key is scoped to (repeat, or comma-separated)", func(s string) error {
			for _, d := range strings.Split(s, ",") {
				districts = append(districts, strings.TrimSpace(d))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("keys needs a subcommand: create, list or revoke")
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	switch pos[0] {
	case "create":
		if len(pos) != 1 {
			return usagef("keys create takes no arguments, got %q", pos[1:])
		}
		if role == "" {
			return usagef("keys create needs --role intake|staff|supervisor|admin")
		}
		r, err := data.ParseRole(role)
		if err != nil {
			return err
		}
		for attempt := 0; ; attempt++ {
			k, secret, err := data.NewAPIKey(name, r, districts, time.Now())
			if err != nil {
				return err
			}
			err = a.store.CreateKey(ctx, k)
			if errors.Is(err, data.ErrConflict) && attempt < 3 {
				continue
			}
			if err != nil {
				return fmt.Errorf("store key: %w", err)
			}
			fmt.Fprintf(e.stdout, "%s\n", secret)
			fmt.Fprintf(e.stderr, "created key %s (%s, %s%s): the secret above is shown only now; store it safely\n",
				k.ID, k.Name, k.Role, scopeText(k))
			return nil
		}
	case "list":
		if len(pos) != 1 {
			return usagef("keys list takes no arguments, got %q", pos[1:])
		}
		ks, err := a.store.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tDISTRICTS\tCREATED\tREVOKED")
		for _, k := range ks {
			revoked := "-"
			if !k.RevokedAt.IsZero() {
				revoked = k.RevokedAt.In(a.loc).Format(time.RFC3339)
			}
			ds := strings.Join(k.Districts, ",")
			if ds == "" {
				ds = "all"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, ds, k.CreatedAt.In(a.loc).Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	case "revoke":
		if len(pos) != 2 {
			return usagef("keys revoke takes one key id (k_...)")
		}
		if err := a.store.RevokeKey(ctx, pos[1], time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked %s\n", pos[1])
		return nil
	}
	return usagef("unknown keys subcommand %q (create, list, revoke)", pos[0])
}

func scopeText(k *data.APIKey) string {
	if len(k.Districts) == 0 {
		return ""
	}
	return ", districts " + strings.Join(k.Districts, ",")
}
