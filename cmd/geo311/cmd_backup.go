package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/geo311/geo311/data/sqlite"
)

func backupCommand() command {
	return command{name: "backup", summary: "write a consistent backup of the store while geo311 runs (SQLite copy, or pg_dump for PostGIS)", run: runBackup}
}

// runBackup: backup --out FILE [--database FILE | --database-url URL] [--pg-dump PATH].
//
// SQLite: sqlite.BackupFile (VACUUM INTO from its own connection: a
// consistent snapshot while the server goes on writing; the store is not
// opened, so nothing is migrated), then sqlite.CheckFile (integrity check,
// schema version, request count) on the copy. PostGIS: pg_dump in its
// custom format (one consistent snapshot, any server load), the password
// passed in PGPASSWORD rather than on the command line, then pg_restore
// --list on the archive. Either way the backup is written to a temporary
// file beside FILE, synced, and linked to FILE only when complete, so an
// interrupted backup never leaves a FILE that looks whole, and an existing
// FILE is never overwritten.
func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "backup", "backup --out FILE [--database FILE | --database-url postgres://...] [--pg-dump PATH]")
	var out, pgDump string
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) {
		c.storeFlags(fs)
		fs.StringVar(&out, "out", "", "backup `file` to write (must not exist)")
		fs.StringVar(&pgDump, "pg-dump", "pg_dump", "pg_dump `program` for a PostGIS store (its major version must be at least the server's)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("backup takes no arguments, got %q", pos)
	}
	if out == "" {
		return usagef("backup: --out FILE is required")
	}
	dest, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s exists: a backup never overwrites a file; choose a new name", dest)
	}
	start := time.Now()
	if cfg.DatabaseURL != "" {
		return backupPostGIS(ctx, e, cfg.DatabaseURL, pgDump, dest, start)
	}
	return backupSQLite(ctx, e, cfg.Database, dest, start)
}

func backupSQLite(ctx context.Context, e *env, database, dest string, start time.Time) error {
	src, err := filepath.Abs(database)
	if err != nil {
		return err
	}
	if src == dest {
		return fmt.Errorf("backup: --out is the database itself")
	}
	tmp, err := tempName(dest)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := sqlite.BackupFile(ctx, src, tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fc, err := sqlite.CheckFile(ctx, tmp)
	if err != nil {
		return fmt.Errorf("backup: the copy failed its check, not kept: %w", err)
	}
	if err := publish(tmp, dest); err != nil {
		return err
	}
	size := fileSize(dest)
	fmt.Fprintf(e.stdout, "backup: wrote %s (%s; integrity ok, schema version %d, %d requests) from %s in %s\n",
		dest, byteSize(size), fc.SchemaVersion, fc.Requests, src, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "restore: stop geo311; move %s and any %s-wal and %s-shm aside; copy the backup to %s; start geo311\n",
		src, src, src, src)
	return nil
}

func backupPostGIS(ctx context.Context, e *env, dbURL, pgDump, dest string, start time.Time) error {
	prog, err := exec.LookPath(pgDump)
	if err != nil {
		return fmt.Errorf("backup: a PostGIS store is backed up with pg_dump, not found (%v): install the PostgreSQL client of the server's major version or pass --pg-dump PATH; "+
			"or run: pg_dump --format=custom --file=FILE DATABASE_URL", err)
	}
	conninfo, password, dropped, err := libpqURL(dbURL)
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		fmt.Fprintf(e.stderr, "backup: parameters of the database URL pg_dump does not know, left out: %s\n", strings.Join(dropped, ", "))
	}
	tmp, err := tempName(dest)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, "--format=custom", "--no-password", "--dbname="+conninfo)
	cmd.Stdout, cmd.Stderr = f, &stderr
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The archive is read back by pg_restore (beside pg_dump) before it is
	// kept: its table of contents must list the requests' data.
	check := "not checked: no pg_restore beside " + prog
	if restore := filepath.Join(filepath.Dir(prog), "pg_restore"); isExecutableFile(restore) {
		toc, err := exec.CommandContext(ctx, restore, "--list", tmp).Output()
		if err != nil {
			return fmt.Errorf("backup: pg_restore --list cannot read the archive, not kept: %v", err)
		}
		if !bytes.Contains(toc, []byte("TABLE DATA public requests ")) {
			return fmt.Errorf("backup: the archive lists no requests table data: is %s a geo311 database?", redactURL(dbURL))
		}
		entries := 0
		for _, line := range bytes.Split(toc, []byte("\n")) {
			if len(line) > 0 && line[0] != ';' {
				entries++
			}
		}
		check = fmt.Sprintf("pg_restore --list reads its %d entries", entries)
	}
	if err := publish(tmp, dest); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup: wrote %s (%s; pg_dump custom format; %s) from %s in %s\n",
		dest, byteSize(fileSize(dest)), check, redactURL(dbURL), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "restore: createdb NEW && pg_restore --no-owner --exit-on-error --dbname=NEW %s; then point --database-url at NEW\n", dest)
	return nil
}

// tempName returns an unused name beside dest for the backup being written.
func tempName(dest string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-*")
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	name := f.Name()
	f.Close()
	return name, os.Remove(name)
}

// publish gives the complete backup tmp its name dest without replacing an
// existing file (a hard link fails if dest exists), then syncs the folder.
func publish(tmp, dest string) error {
	err := os.Link(tmp, dest)
	if err != nil && !errors.Is(err, os.ErrExist) {
		// No hard links on this filesystem: rename, after checking again.
		if _, serr := os.Lstat(dest); serr == nil {
			return fmt.Errorf("backup: %s exists: a backup never overwrites a file", dest)
		}
		err = os.Rename(tmp, dest)
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s appeared while the backup was written: not overwritten", dest)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_ = os.Remove(tmp)
	d, err := os.Open(filepath.Dir(dest))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("backup: sync %s: %w", filepath.Dir(dest), err)
	}
	return nil
}

// byteSize writes a file size for people: 812 B, 97.1 KiB, 3.4 GiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func isExecutableFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// libpqKeywords are the connection parameters libpq (PostgreSQL 15) accepts
// in a URI; pgx accepts others (pool_max_conns, statement cache settings)
// that pg_dump would refuse.
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "passfile": true,
	"channel_binding": true, "connect_timeout": true, "client_encoding": true, "options": true,
	"application_name": true, "fallback_application_name": true, "keepalives": true, "keepalives_idle": true,
	"keepalives_interval": true, "keepalives_count": true, "tcp_user_timeout": true, "replication": true,
	"gssencmode": true, "sslmode": true, "requiressl": true, "sslcompression": true, "sslcert": true,
	"sslkey": true, "sslpassword": true, "sslrootcert": true, "sslcrl": true, "sslcrldir": true, "sslsni": true,
	"requirepeer": true, "ssl_min_protocol_version": true, "ssl_max_protocol_version": true, "krbsrvname": true,
	"gsslib": true, "service": true, "target_session_attrs": true,
}

// libpqURL turns geo311's database URL into one for libpq's tools: without
// the password (returned separately, for PGPASSWORD, so it is not on a
// command line other users can read) and without the parameters only pgx
// knows (returned by name).
func libpqURL(raw string) (conninfo, password string, dropped []string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", nil, fmt.Errorf("backup: --database-url is not a postgres:// URL")
	}
	if u.User != nil {
		password, _ = u.User.Password()
		if name := u.User.Username(); name != "" {
			u.User = url.User(name)
		} else {
			u.User = nil
		}
	}
	q := u.Query()
	for k := range q {
		if k == "password" {
			password = q.Get(k)
			q.Del(k)
			continue
		}
		if !libpqKeywords[k] {
			dropped = append(dropped, k)
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	sort.Strings(dropped)
	return u.String(), password, dropped, nil
}

// redactURL is a database URL without its password, for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
