package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMStopsTheBinary builds geo311 and checks that main's signal
// handling shuts the server down cleanly (exit status 0) on SIGTERM.
func TestSIGTERMStopsTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "geo311")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--database", filepath.Join(dir, "demo.db"))
	cmd.Env = append(os.Environ(), "GEO311_LOG_FORMAT=text")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	wait := func(what string) {
		t.Helper()
		timeout := time.After(time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the process ended before %q:\n%s", what, log.String())
				}
				log.WriteString(l + "\n")
				if strings.Contains(l, what) {
					return
				}
			case <-timeout:
				cmd.Process.Kill()
				t.Fatalf("no %q within a minute:\n%s", what, log.String())
			}
		}
	}
	wait("msg=listening")
	addr := listeningRE.FindStringSubmatch(log.String())[1]
	if r := do(t, "GET", "http://"+addr+"/readyz", "", nil); r.Status != 200 {
		t.Errorf("readyz: %d", r.Status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait("msg=stopped")
	for l := range lines {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, log.String())
	}
}
