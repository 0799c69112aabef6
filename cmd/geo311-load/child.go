package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// childEnv is the environment of every geo311 child: PATH, HOME and TMPDIR
// of this process and the store settings, nothing else (a GEO311_* variable
// of the caller's shell must not change the test).
func childEnv(getenv func(string) string, cfg *Config, dir string) []string {
	env := []string{"GEO311_DEMO=true", "GEO311_LOG_LEVEL=info", "GEO311_LOG_FORMAT=text"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	if cfg.DatabaseURL != "" {
		// In the environment, not argv: a URL may hold a password.
		env = append(env, "GEO311_DATABASE_URL="+cfg.DatabaseURL)
	} else {
		env = append(env, "GEO311_DATABASE="+dir+"/load.db")
	}
	return env
}

// runTool runs a geo311 command to completion and returns its stdout; its
// stderr goes to log and, on failure, into the error.
func runTool(ctx context.Context, bin string, env []string, log io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, log)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("geo311 %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 20))
	}
	return stdout.String(), nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// server is the `geo311 serve` child.
type server struct {
	cmd  *exec.Cmd
	URL  string
	Pid  int
	logs *logWatch
	done chan struct{} // closed when the process has exited
	err  error         // its exit error, once done
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer starts `geo311 serve --demo` on a free loopback port, writes
// its log to logFile and waits for the "listening" line.
func startServer(ctx context.Context, bin string, env []string, logFile io.Writer) (*server, error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = env
	cmd.Stdout = io.Discard
	cmd.SysProcAttr = childAttr()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start geo311 serve: %w", err)
	}
	s := &server{cmd: cmd, Pid: cmd.Process.Pid, logs: newLogWatch(logFile), done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.line(line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr) // a line too long for the scanner must not block the child
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("geo311 serve exited before listening (%v):\n%s", s.err, s.logs.tail())
	case <-time.After(60 * time.Second):
		s.kill()
		return nil, fmt.Errorf("geo311 serve did not listen within 60s:\n%s", s.logs.tail())
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
}

// exited reports whether the child has exited.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop shuts the child down gracefully (SIGTERM) and reports an unclean
// exit.
func (s *server) stop(timeout time.Duration) error {
	if s.exited() {
		return fmt.Errorf("geo311 serve had exited during the test (%v):\n%s", s.err, s.logs.tail())
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.kill()
		return fmt.Errorf("geo311 serve did not stop within %v of SIGTERM", timeout)
	}
	if s.err != nil {
		return fmt.Errorf("geo311 serve exited with %v after SIGTERM:\n%s", s.err, s.logs.tail())
	}
	return nil
}

// logWatch writes the child's log lines to a file, keeps the last ones and
// the ERROR lines for the report.
type logWatch struct {
	mu     sync.Mutex
	w      io.Writer
	werr   error
	last   []string
	errors []string
	nerr   int
}

const logTailLines = 30

func newLogWatch(w io.Writer) *logWatch { return &logWatch{w: w} }

func (l *logWatch) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.werr == nil {
		_, l.werr = io.WriteString(l.w, s+"\n")
	}
	if len(l.last) == logTailLines {
		copy(l.last, l.last[1:])
		l.last = l.last[:logTailLines-1]
	}
	l.last = append(l.last, s)
	if strings.Contains(s, " level=ERROR ") {
		l.nerr++
		if len(l.errors) < maxErrorSamples {
			l.errors = append(l.errors, s)
		}
	}
}

func (l *logWatch) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.last, "\n")
}

// errorLines is the number of ERROR lines and the first of them.
func (l *logWatch) errorLines() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nerr, append([]string(nil), l.errors...)
}

func (l *logWatch) writeErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.werr
}

// checkBinary fails early, with a clear message, when --geo311 is not an
// executable file.
func checkBinary(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--geo311: %w (build it with: go build -o bin/geo311 ./cmd/geo311)", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return errors.New("--geo311: " + path + " is not an executable file")
	}
	return nil
}
