package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line progress bar on a terminal (and nothing when
// the output is not one: logs and pipes stay clean). Safe for concurrent use.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	unit    string
	total   int64
	n       int64
	start   time.Time
	last    time.Time
	enabled bool
}

// newProgress returns a bar for a job of total units (0 if unknown) that
// draws only when w is a terminal.
func newProgress(w io.Writer, label, unit string, total int64) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, label: label, unit: unit, total: total, start: time.Now(), enabled: ok && isTerminal(f)}
}

// Set records the units done and redraws at most ten times a second.
func (p *progress) Set(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = n
	if !p.enabled {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw()
	}
}

// Add adds units done.
func (p *progress) Add(d int64) {
	p.mu.Lock()
	n := p.n + d
	p.mu.Unlock()
	p.Set(n)
}

// Done draws the final state and ends the line.
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.enabled {
		return
	}
	p.draw()
	fmt.Fprintln(p.w)
}

func (p *progress) draw() {
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.n) / el
	}
	if p.total > 0 {
		frac := min(float64(p.n)/float64(p.total), 1)
		const width = 30
		fill := int(frac * width)
		fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %d/%d %s %s/s ", p.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
			100*frac, p.n, p.total, p.unit, humanRate(rate))
		return
	}
	fmt.Fprintf(p.w, "\r%s %d %s %s/s ", p.label, p.n, p.unit, humanRate(rate))
}

func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}
