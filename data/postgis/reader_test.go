package postgis

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/geo311/geo311/data"
)

func TestParseLSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want LSN
		ok   bool
	}{
		{"0/0", 0, true},
		{"0/16B3748", 0x16B3748, true},
		{"16/B374D848", 0x16_B374D848, true},
		{"FFFFFFFF/FFFFFFFF", 1<<64 - 1, true},
		{"a/b", 0xa_0000000b, true},
		{"", 0, false},
		{"0", 0, false},
		{"/0", 0, false},
		{"0/", 0, false},
		{"0/0/0", 0, false},
		{"1FFFFFFFF/0", 0, false},
		{"0/1FFFFFFFF", 0, false},
		{"+1/0", 0, false},
		{"0x1/0", 0, false},
		{"g/0", 0, false},
		{" 0/0", 0, false},
	} {
		got, err := ParseLSN(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLSN(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, data.ErrInvalid) {
			t.Errorf("ParseLSN(%q): %v is not data.ErrInvalid", tc.in, err)
		}
		if back, err := ParseLSN(got.String()); tc.ok && (err != nil || back != got) {
			t.Errorf("%v does not round-trip: %v, %v", got, back, err)
		}
	}
	for l, want := range map[LSN]string{0x16_B374D848: "16/B374D848", 0: "0/0", 0x1_00000000: "1/0", 1<<64 - 1: "FFFFFFFF/FFFFFFFF"} {
		if s := l.String(); s != want {
			t.Errorf("String = %q, want %q", s, want)
		}
	}
}

func FuzzParseLSN(f *testing.F) {
	for _, s := range []string{"0/0", "16/B374D848", "FFFFFFFF/FFFFFFFF", "0/", "x/y", "00000001/00000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLSN(s)
		if err != nil {
			return
		}
		back, err := ParseLSN(l.String())
		if err != nil || back != l {
			t.Fatalf("ParseLSN(%q) = %v, whose String %q parses as %v, %v", s, l, l.String(), back, err)
		}
		if !lsnText.MatchString(l.String()) {
			t.Fatalf("String of %q is %q, not PostgreSQL's notation", s, l)
		}
	})
}

// lsnText is how PostgreSQL writes a pg_lsn: upper-case hex, no leading zeros.
var lsnText = regexp.MustCompile(`^(0|[1-9A-F][0-9A-F]{0,7})/(0|[1-9A-F][0-9A-F]{0,7})$`)

// isReadOnly reports whether err is PostgreSQL's read_only_sql_transaction.
func isReadOnly(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25006"
}

func dbName(t *testing.T, url string) string {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// TestOpenReaderOnReplica opens a reader on a streaming replica of a
// migrated database: it waits for the migrations to be replayed, reads
// what the primary wrote once replayed, cannot write, and its WaitReplay
// and ReplayLag follow a paused and resumed replay.
func TestOpenReaderOnReplica(t *testing.T) {
	url := newURL(t)
	if testing.Short() {
		t.Skip("starts a replica")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := cluster.StartReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	// Migrate after the replica started: the reader waits for the
	// migrations to arrive if they have not yet.
	primary, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	seedRequests(t, primary, 20, 0)
	pos, err := primary.WALPosition(ctx)
	if err != nil || pos == 0 {
		t.Fatalf("primary WALPosition = %v, %v", pos, err)
	}
	reader, err := OpenReader(ctx, r.URL(dbName(t, url)), pos)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := reader.WaitReplay(ctx, pos); err != nil {
		t.Fatal(err)
	}
	if rpos, err := reader.WALPosition(ctx); err != nil || rpos < pos {
		t.Errorf("reader WALPosition = %v, %v; want at least %v", rpos, err, pos)
	}
	if n, err := reader.CountRequests(ctx, data.RequestFilter{}); err != nil || n != 20 {
		t.Fatalf("reader counts %d, %v; want 20", n, err)
	}
	one := data.FormatNumber(data.KindServiceRequest, synthRequests(1, 0)[0].RequestedAt.Year(), 1)
	got, err := reader.Request(ctx, one)
	if err != nil || got.Number != one || len(got.Areas) == 0 {
		t.Fatalf("reader Request(%s) = %+v, %v", one, got, err)
	}
	// It never writes.
	if _, _, err := reader.ImportRequests(ctx, synthRequests(1, 100)); !isReadOnly(err) {
		t.Errorf("import through the reader: %v, want SQLSTATE 25006", err)
	}

	// Replay paused: the primary's new rows are not on the reader, WaitReplay
	// times out saying where both are, ReplayLag is positive.
	if err := r.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	seedRequests(t, primary, 5, 20)
	pos2, err := primary.WALPosition(ctx)
	if err != nil || pos2 <= pos {
		t.Fatalf("primary WALPosition after writes = %v, %v; want after %v", pos2, err, pos)
	}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	err = reader.WaitReplay(short, pos2)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), pos2.String()) {
		t.Errorf("WaitReplay with replay paused: %v; want a deadline error naming %s", err, pos2)
	}
	if lag, err := reader.ReplayLag(ctx, pos2); err != nil || lag <= 0 {
		t.Errorf("ReplayLag with replay paused = %d, %v; want > 0", lag, err)
	}
	if n, _ := reader.CountRequests(ctx, data.RequestFilter{}); n != 20 {
		t.Errorf("reader counts %d with replay paused, want 20", n)
	}
	if err := r.ResumeReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reader.WaitReplay(ctx, pos2); err != nil {
		t.Fatal(err)
	}
	if lag, err := reader.ReplayLag(ctx, pos2); err != nil || lag != 0 {
		t.Errorf("ReplayLag after replay = %d, %v; want 0", lag, err)
	}
	if n, _ := reader.CountRequests(ctx, data.RequestFilter{}); n != 25 {
		t.Errorf("reader counts %d after replay, want 25", n)
	}
	n := 0
	if err := reader.ScanRequests(ctx, data.RequestFilter{Ascending: true}, func(*data.Request) error { n++; return nil }); err != nil || n != 25 {
		t.Errorf("reader scan: %d rows, %v; want 25", n, err)
	}
	// A replica whose schema is current opens at once, however far behind
	// its data is.
	if err := r.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	seedRequests(t, primary, 1, 25)
	pos4, err := primary.WALPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	quick, cancelQuick := context.WithTimeout(ctx, 5*time.Second)
	r2, err := OpenReader(quick, r.URL(dbName(t, url)), pos4)
	cancelQuick()
	if err != nil {
		t.Errorf("OpenReader with a current schema and replay paused: %v", err)
	} else {
		r2.Close()
	}
	// One whose schema is behind waits for the replay, and says both.
	url2 := newURL(t)
	if err := r.ResumeReplay(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitReplay(ctx); err != nil { // the new database is on the replica
		t.Fatal(err)
	}
	if err := r.PauseReplay(ctx); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(ctx, url2) // migrated on the primary only
	if err != nil {
		t.Fatal(err)
	}
	pos3, err := db2.WALPosition(ctx)
	db2.Close()
	if err != nil {
		t.Fatal(err)
	}
	short, cancelShort = context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = OpenReader(short, r.URL(dbName(t, url2)), pos3)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no geo311 schema") {
		t.Errorf("OpenReader on a replica behind the migrations, replay paused: %v; want the schema and a deadline", err)
	}
}

// TestOpenReaderChecksSchema: a reader refuses a database without the
// schema, one behind this binary, one ahead of it and one whose migration
// text differs, each with an error that says which; on a server that is
// not a standby it does not wait and still never writes.
func TestOpenReaderChecksSchema(t *testing.T) {
	ctx := context.Background()
	empty := newURL(t)
	if _, err := OpenReader(ctx, empty, 0); err == nil || !strings.Contains(err.Error(), "no geo311 schema") {
		t.Errorf("reader on an empty database: %v", err)
	}

	url := newURL(t)
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	pos := LSN(1<<64 - 1) // far ahead: a primary has nothing to replay, so no wait
	reader, err := OpenReader(ctx, url, pos)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.WALPosition(ctx); err != nil {
		t.Error(err)
	}
	if lag, err := reader.ReplayLag(ctx, pos); err != nil || lag != 0 {
		t.Errorf("ReplayLag on a primary = %d, %v; want 0", lag, err)
	}
	if _, _, err := reader.ImportRequests(ctx, synthRequests(1, 0)); !isReadOnly(err) {
		t.Errorf("import through a reader on a primary: %v, want SQLSTATE 25006", err)
	}
	reader.Close()

	last := SchemaVersion()
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"behind", fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", last),
			fmt.Sprintf("schema version %d, this geo311 needs %d", last-1, last)},
		{"ahead", "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')",
			"schema version 9999, newer than this binary's"},
		{"changed", "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", "differs from this binary's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := newURL(t)
			db, err := Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			execSQL(t, url, tc.sql)
			r, err := OpenReader(ctx, url, 0)
			if err == nil {
				r.Close()
				t.Fatal("OpenReader succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}

	if _, err := OpenReader(ctx, "postgres://x:y@127.0.0.1:99999999/none", 0); !errors.Is(err, data.ErrInvalid) {
		t.Errorf("unparsable URL: %v, want data.ErrInvalid", err)
	}
	if _, err := OpenReader(ctx, cluster.URL("postgres"), 0); err == nil || !strings.Contains(err.Error(), "no PostGIS") {
		t.Errorf("reader on a database without PostGIS: %v", err)
	}
	down := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/none?sslmode=disable&connect_timeout=2", closedPort(t))
	if _, err := OpenReader(ctx, down, 0); !errors.Is(err, data.ErrUnavailable) {
		t.Errorf("no server: %v, want data.ErrUnavailable", err)
	}
	// NewReader does not connect: a caller may start while the replica is
	// down and check it later.
	lazy, err := NewReader(down)
	if err != nil {
		t.Fatalf("NewReader without a server: %v", err)
	}
	if err := lazy.CheckReader(ctx, 0); !errors.Is(err, data.ErrUnavailable) {
		t.Errorf("CheckReader without a server: %v, want data.ErrUnavailable", err)
	}
	if err := lazy.Ping(ctx); !errors.Is(err, data.ErrUnavailable) {
		t.Errorf("Ping without a server: %v, want data.ErrUnavailable", err)
	}
	lazy.Close()
}

func TestIsRecoveryConflict(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40001", Message: "canceling statement due to conflict with recovery", Detail: "User query might have needed to see row versions that must be removed."}, true},
		{fmt.Errorf("postgis: scan requests: %w", &pgconn.PgError{Code: "40001", Message: "canceling statement due to conflict with recovery"}), true},
		{&pgconn.PgError{Code: "40P01", Message: "canceling statement due to conflict with recovery", Detail: "User transaction caused buffer deadlock with recovery."}, true},
		{&pgconn.PgError{Code: "40001", Message: "could not serialize access due to concurrent update"}, false},
		{&pgconn.PgError{Code: "40P01", Message: "deadlock detected"}, false},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, false},
		{errors.New("canceling statement due to conflict with recovery"), false},
		{nil, false},
	} {
		if got := IsRecoveryConflict(tc.err); got != tc.want {
			t.Errorf("IsRecoveryConflict(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
