package datatest

import (
	"os"
	"path/filepath"
	"testing"
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
