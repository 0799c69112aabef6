package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned (wrapped) by Start when the PostgreSQL binaries
// or the PostGIS extension are missing on this machine.
var ErrNotInstalled = errors.New("PostgreSQL 15 with PostGIS is not installed")

// InstallHint tells a developer how to get what the tests need.
const InstallHint = "install it with `apt-get install postgresql-15-postgis-3` (as root; `make test` does it)"

// dirPrefix names the temporary directories of clusters, so that Start can
// find the ones left behind by killed test binaries.
const dirPrefix = "geo311-pgtest-"

// templateDB is the database every NewDatabase copies: it holds the postgis
// extension, whose creation takes far longer than copying a database.
const templateDB = "geo311_template"

// Cluster is one running throwaway PostgreSQL server.
type Cluster struct {
	// Dir is the temporary directory holding everything of the cluster; it
	// is removed by Stop.
	Dir string
	// DataDir is the cluster's data directory (inside Dir).
	DataDir string
	// SocketDir holds the server's unix socket (inside Dir).
	SocketDir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// BinDir holds the PostgreSQL binaries used.
	BinDir string

	cred    *syscall.Credential // nil when not running as root
	logPath string

	mu       sync.Mutex // guards the fields below and serialises NewDatabase
	srv      *server
	template bool // templateDB exists
	stopped  bool
}

// server is one run of the postmaster.
type server struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when the postmaster has exited
	waitErr error         // valid after done is closed
}

// Start creates and starts a cluster. It wraps ErrNotInstalled when
// PostgreSQL or PostGIS is missing.
func Start(ctx context.Context) (*Cluster, error) {
	bindir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	if err := checkPostGIS(bindir); err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	base := os.Getenv("GEO311_PGTEST_DIR")
	if base == "" {
		base = os.TempDir()
	}
	cleanStale(base)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &Cluster{
		Dir:       dir,
		DataDir:   filepath.Join(dir, "data"),
		SocketDir: filepath.Join(dir, "sock"),
		BinDir:    bindir,
		cred:      cred,
		logPath:   filepath.Join(dir, "server.log"),
	}
	if err := c.create(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A port found free can be taken by someone else before the server
	// binds it: try a few.
	for attempt := 0; ; attempt++ {
		if c.Port, err = freePort(); err != nil {
			break
		}
		if err = c.writeConfig(); err != nil {
			break
		}
		if err = c.start(ctx); err == nil || attempt == 4 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// findBinDir locates the PostgreSQL binaries: $GEO311_PG_BINDIR, Debian's
// /usr/lib/postgresql/15/bin, then `pg_config --bindir`.
func findBinDir() (string, error) {
	candidates := []string{os.Getenv("GEO311_PG_BINDIR"), "/usr/lib/postgresql/15/bin"}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	for _, d := range candidates {
		if d == "" {
			continue
		}
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgtest: no initdb and postgres binaries in %s: %w",
		strings.Join(nonEmpty(candidates), ", "), ErrNotInstalled)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkPostGIS looks for postgis.control in the server's extension directory.
func checkPostGIS(bindir string) error {
	pgConfig := filepath.Join(bindir, "pg_config")
	if !isExecutable(pgConfig) {
		pgConfig = "pg_config"
	}
	out, err := exec.Command(pgConfig, "--sharedir").Output()
	if err != nil {
		return fmt.Errorf("pgtest: %s --sharedir: %v: %w", pgConfig, err, ErrNotInstalled)
	}
	control := filepath.Join(strings.TrimSpace(string(out)), "extension", "postgis.control")
	if _, err := os.Stat(control); err != nil {
		return fmt.Errorf("pgtest: no PostGIS extension (%s): %w", control, ErrNotInstalled)
	}
	return nil
}

// serverCredential returns the credential of the `postgres` OS user when the
// test runs as root (PostgreSQL refuses to run as root), else nil: the server
// then runs as the current user.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the OS user postgres: %v: %w", err, ErrNotInstalled)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: user postgres has uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// command prepares a PostgreSQL binary to run as the cluster's OS user, in
// the cluster's directory, without the caller's PG* environment.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.BinDir, name), args...)
	cmd.Dir = c.Dir
	env := []string{"LC_ALL=C", "LANG=C", "TZ=UTC"}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// create makes the directories and runs initdb.
func (c *Cluster) create(ctx context.Context) error {
	if err := os.WriteFile(filepath.Join(c.Dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := os.Mkdir(c.SocketDir, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if c.cred != nil {
		for _, p := range []string{c.Dir, c.SocketDir} {
			if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return fmt.Errorf("pgtest: chown %s to postgres: %w", p, err)
			}
		}
	}
	// --no-sync: see the package doc; the server itself runs with fsync=on.
	cmd := c.command("initdb", "-D", c.DataDir, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runContext(ctx, cmd); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out.String())
	}
	return nil
}

// runContext runs cmd and kills it if ctx ends first.
func runContext(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		return ctx.Err()
	}
}

// writeConfig appends the test settings to postgresql.conf (later lines win).
func (c *Cluster) writeConfig() error {
	conf := filepath.Join(c.DataDir, "postgresql.conf")
	base, err := os.ReadFile(conf)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if i := bytes.Index(base, []byte("\n# geo311 pgtest settings\n")); i >= 0 {
		base = base[:i]
	}
	settings := fmt.Sprintf(`
# geo311 pgtest settings
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
jit = off
max_parallel_workers_per_gather = 0
fsync = on
synchronous_commit = on
full_page_writes = on
timezone = 'UTC'
log_timezone = 'UTC'
max_connections = 200
logging_collector = off
log_min_messages = warning
`, c.Port, c.SocketDir)
	if err := os.WriteFile(conf, append(base, settings...), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs the postmaster and waits until it accepts connections.
func (c *Cluster) start(ctx context.Context) error {
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := c.command("postgres", "-D", c.DataDir)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a terminal's ^C reaches the test binary, which
	// stops the server in order. Parent-death signal: if the test binary
	// dies, the kernel sends SIGQUIT (immediate shutdown) to the server.
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	s := &server{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked the
		// child exits, so fork from a thread that lives as long as the
		// server: this goroutine stays locked to it, waiting.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		close(s.done)
		runtime.UnlockOSThread()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, c.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			c.mu.Lock()
			c.srv = s
			c.mu.Unlock()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("pgtest: postgres exited during start-up (%v):\n%s", s.waitErr, c.logTail())
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			s.shutdown()
			if ctx.Err() != nil {
				return fmt.Errorf("pgtest: start postgres: %w", ctx.Err())
			}
			return fmt.Errorf("pgtest: postgres did not accept connections within 60 s (%v):\n%s", err, c.logTail())
		}
	}
}

// shutdown stops the postmaster: fast shutdown (SIGINT), then immediate
// (SIGQUIT), then SIGKILL if it still runs.
func (s *server) shutdown() error {
	return s.signalUntilDone([]syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL})
}

// discard stops a postmaster whose data is deleted next: immediate
// shutdown (SIGQUIT) skips the shutdown checkpoint, which on a busy disk
// can take longer than the tests did; SIGKILL if it still runs.
func (s *server) discard() error {
	return s.signalUntilDone([]syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL})
}

// signalUntilDone sends each signal in turn until the postmaster exits; it
// is an error if one but the first was needed.
func (s *server) signalUntilDone(sigs []syscall.Signal) error {
	wait := map[syscall.Signal]time.Duration{syscall.SIGINT: 30 * time.Second, syscall.SIGQUIT: 10 * time.Second, syscall.SIGKILL: 5 * time.Second}
	type step struct {
		sig  syscall.Signal
		wait time.Duration
	}
	var steps []step
	for _, sig := range sigs {
		steps = append(steps, step{sig, wait[sig]})
	}
	for i, st := range steps {
		select {
		case <-s.done:
			return nil
		default:
		}
		if err := s.cmd.Process.Signal(st.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("pgtest: signal postgres: %w", err)
		}
		select {
		case <-s.done:
			if i > 0 {
				return fmt.Errorf("pgtest: postgres needed %v to stop", st.sig)
			}
			return nil
		case <-time.After(st.wait):
		}
	}
	return errors.New("pgtest: postgres did not stop")
}

// logTail returns the end of the server log, for error messages.
func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// URL returns the connection URL of a database of the cluster (TCP on
// 127.0.0.1, user postgres, trust authentication).
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, dbname)
}

// Stop stops the server and removes the cluster's directory. Stopping a
// stopped cluster does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true
	var err error
	if c.srv != nil {
		err = c.srv.discard()
		c.srv = nil
	}
	if rerr := os.RemoveAll(c.Dir); rerr != nil && err == nil {
		err = fmt.Errorf("pgtest: %w", rerr)
	}
	return err
}

// StopServer stops the server (fast shutdown) and keeps the data, for tests
// of a database outage; StartServer starts it again on the same port.
func (c *Cluster) StopServer() error {
	c.mu.Lock()
	s := c.srv
	c.srv = nil
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.shutdown()
}

// StartServer starts a server stopped by StopServer on the same port and
// data directory and waits until it accepts connections.
func (c *Cluster) StartServer(ctx context.Context) error {
	c.mu.Lock()
	running, stopped := c.srv != nil, c.stopped
	c.mu.Unlock()
	if stopped {
		return errors.New("pgtest: the cluster was stopped")
	}
	if running {
		return nil
	}
	return c.start(ctx)
}

// Pid returns the process id of the running postmaster, or 0.
func (c *Cluster) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv == nil {
		return 0
	}
	return c.srv.cmd.Process.Pid
}

var dbNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// NewDatabase creates a database with the postgis extension and returns its
// URL. name must be a lower-case SQL identifier not used before in the
// cluster.
func (c *Cluster) NewDatabase(ctx context.Context, name string) (string, error) {
	if !dbNameRE.MatchString(name) || name == templateDB {
		return "", fmt.Errorf("pgtest: database name %q: want a lower-case identifier ([a-z_][a-z0-9_]*, at most 63)", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv == nil {
		return "", errors.New("pgtest: the server is not running")
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(context.Background())
	if !c.template {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+templateDB); err != nil {
			return "", fmt.Errorf("pgtest: create template database: %w", err)
		}
		tconn, err := pgx.Connect(ctx, c.URL(templateDB))
		if err != nil {
			return "", fmt.Errorf("pgtest: connect to template: %w", err)
		}
		_, err = tconn.Exec(ctx, "CREATE EXTENSION postgis")
		tconn.Close(context.Background())
		if err != nil {
			return "", fmt.Errorf("pgtest: create extension postgis: %w", err)
		}
		c.template = true
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateDB)); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// cleanStale removes cluster directories under base whose test binary is
// gone and whose server no longer runs (left by a killed test binary).
func cleanStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, d := range dirs {
		if alive(readPid(filepath.Join(d, "owner.pid"))) {
			continue
		}
		if alive(readPid(filepath.Join(d, "data", "postmaster.pid"))) {
			continue // a server still runs there: leave it alone
		}
		if _, err := os.Stat(filepath.Join(d, "owner.pid")); err != nil {
			// No owner file: either not ours or being created right now.
			if fi, err := os.Stat(d); err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
				continue
			}
		}
		os.RemoveAll(d)
	}
}

// readPid reads the first line of a pid file; 0 if there is none.
func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0
	}
	return pid
}

// alive reports whether a process with the pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
