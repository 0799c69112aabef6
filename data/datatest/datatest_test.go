package datatest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestSharedDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GEO311_SHARED", dir)
	if got := SharedDir(); got != dir {
		t.Fatalf("SharedDir() = %q, want %q", got, dir)
	}
	if got, want := Shared(t, "x"), filepath.Join(dir, "data", "x"); got != want {
		t.Fatalf("Shared(x) = %q, want %q", got, want)
	}
}

func TestSharedDirBesideModule(t *testing.T) {
	t.Setenv("GEO311_SHARED", "")
	got := SharedDir()
	// This package lives two levels below the module root.
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(root), "shared"); got != want {
		t.Fatalf("SharedDir() = %q, want %q", got, want)
	}
}

func TestProcessCPUAdvances(t *testing.T) {
	c := StartCPU()
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i ^ (x >> 3)
	}
	if x == 42 {
		t.Log(x)
	}
	d, ok := c.Elapsed()
	if !ok {
		t.Skip("no process CPU time on this platform")
	}
	if d <= 0 {
		t.Fatalf("CPU time did not advance over a busy loop: %v", d)
	}
}

func TestTreeCPUCountsChildren(t *testing.T) {
	if _, ok := TreeCPU(os.Getpid()); !ok {
		t.Skip("no /proc on this platform")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	before, _ := TreeCPU(os.Getpid())
	// A child that burns about half a second of CPU and is then reaped:
	// its time must show up as the parent's (cutime).
	cmd := exec.Command(sh, "-c", `i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done`)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	child := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	after, ok := TreeCPU(os.Getpid())
	if !ok {
		t.Fatal("TreeCPU failed for a live process")
	}
	if child < 50*time.Millisecond {
		t.Skipf("the child used only %v: too little to tell from tick rounding", child)
	}
	if got := after - before; got < child-20*time.Millisecond {
		t.Fatalf("TreeCPU grew by %v across a child that used %v", got, child)
	}
	if _, ok := TreeCPU(-1); ok {
		t.Fatal("TreeCPU(-1) reported a time")
	}
}
