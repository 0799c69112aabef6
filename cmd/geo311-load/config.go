package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// kind is one sort of request of the mix.
type kind int

const (
	kindIntake kind = iota
	kindConcern
	kindRoute
	kindTile
	kindList
	kindRequest
	kindStatus
	numKinds
)

var kindNames = [numKinds]string{"intake", "concern", "route", "tile", "list", "request", "status"}

func (k kind) String() string { return kindNames[k] }

// lookupsPerConcern is how many times one concern is looked up: one fewer
// than the server's PIN attempts per control number (5 before the limit),
// so that no lookup is ever refused by design.
const lookupsPerConcern = 4

// mix is the weight of each kind.
type mix [numKinds]int

// defaultMix: mostly routing, tiles and intakes; concerns and their status
// lookups are few because every one costs a PBKDF2 hash (about 90 ms of a
// core at the production cost).
var defaultMix = mix{kindIntake: 20, kindConcern: 1, kindRoute: 32, kindTile: 25, kindList: 10, kindRequest: 10, kindStatus: 2}

func (m mix) String() string {
	parts := make([]string, 0, numKinds)
	for k := range numKinds {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}

func (m mix) total() int {
	n := 0
	for _, w := range m {
		n += w
	}
	return n
}

// parseMix reads "intake=20,route=30,...": kinds not named get weight 0.
func parseMix(s string) (mix, error) {
	var m mix
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return mix{}, fmt.Errorf("%q is not kind=weight", part)
		}
		k := -1
		for i, n := range kindNames {
			if n == name {
				k = i
			}
		}
		if k < 0 {
			return mix{}, fmt.Errorf("unknown kind %q (kinds: %s)", name, strings.Join(kindNames[:], ", "))
		}
		if seen[name] {
			return mix{}, fmt.Errorf("kind %q given twice", name)
		}
		seen[name] = true
		w, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || w < 0 || w > 1000 {
			return mix{}, fmt.Errorf("weight of %s: %q is not a whole number from 0 to 1000", name, val)
		}
		m[k] = w
	}
	return m, nil
}

// Config is one load test.
type Config struct {
	Geo311       string        // --geo311: the geo311 binary to start
	Rate         float64       // --rate: requests per second
	Duration     time.Duration // --duration
	Interval     time.Duration // --interval: report and RSS sample period
	Preload      int           // --preload: requests stored with geo311 gen before serving
	DatabaseURL  string        // --database-url: PostGIS instead of SQLite
	Dir          string        // --dir: working directory (default: a temporary one)
	Timeout      time.Duration // --timeout: per request
	MaxInflight  int           // --max-inflight
	MaxRSSGrowth float64       // --max-rss-growth: 0.25 is +25%
	Seed         uint64        // --seed
	Mix          mix           // --mix
	JSON         string        // --json: write the summary here
}

func defaultConfig() Config {
	return Config{
		Rate:         200,
		Duration:     3 * time.Minute,
		Interval:     10 * time.Second,
		Preload:      50_000,
		Timeout:      10 * time.Second,
		MaxInflight:  2000,
		MaxRSSGrowth: 0.25,
		Seed:         1,
		Mix:          defaultMix,
	}
}

// parseConfig reads the flags over the defaults and validates the result.
func parseConfig(args []string, stderr io.Writer) (*Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("geo311-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: geo311-load --geo311 PATH [flags]\n\nA fixed-rate mixed load against a child `geo311 serve --demo` on loopback (see go doc ./cmd/geo311-load).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Geo311, "geo311", "", "`path` of the geo311 binary to start (required)")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "requests per second (open loop: sent on schedule whatever the answers)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send requests")
	fs.DurationVar(&cfg.Interval, "interval", cfg.Interval, "report and RSS sample period (the duration must hold at least 3)")
	fs.IntVar(&cfg.Preload, "preload", cfg.Preload, "requests stored with `geo311 gen` before the server starts (0: none)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "PostgreSQL `URL` of a database dedicated to the test (default: SQLite in --dir)")
	fs.StringVar(&cfg.Dir, "dir", "", "working `directory` for the store and serve.log, kept afterwards (default: a temporary one, removed)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "time a request may take before it counts as an error")
	fs.IntVar(&cfg.MaxInflight, "max-inflight", cfg.MaxInflight, "requests outstanding at once; a request due beyond it is not sent and counts as an error")
	fs.Float64Var(&cfg.MaxRSSGrowth, "max-rss-growth", cfg.MaxRSSGrowth, "flat memory: highest RSS of the last third at most this fraction above the first third's")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed of points, kinds' details and the preload")
	fs.Func("mix", "kind=weight list (default "+defaultMix.String()+")", func(s string) error {
		m, err := parseMix(s)
		if err != nil {
			return err
		}
		cfg.Mix = m
		return nil
	})
	fs.StringVar(&cfg.JSON, "json", "", "write the summary as JSON to this `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, &usageError{msg: fmt.Sprintf("geo311-load takes no arguments, got %q", fs.Args())}
	}
	if err := cfg.Validate(); err != nil {
		return nil, &usageError{msg: "configuration:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	}
	return &cfg, nil
}

// Validate checks the configuration; each error names its flag.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.Geo311) == "" {
		bad("geo311", "the path of the geo311 binary is required (make loadtest builds bin/geo311)")
	}
	if !(c.Rate > 0 && c.Rate <= 100_000) {
		bad("rate", "must be above 0 and at most 100000 requests per second, got %v", c.Rate)
	}
	if c.Interval < 100*time.Millisecond {
		bad("interval", "must be at least 100ms, got %v", c.Interval)
	}
	if c.Duration < 3*c.Interval {
		bad("duration", "must hold at least 3 intervals (%v), so that memory can be compared between thirds; got %v", 3*c.Interval, c.Duration)
	}
	if c.Rate > 0 && c.Duration > 0 && c.Rate*c.Duration.Seconds() < 1 {
		bad("duration", "at --rate %v, %v sends no request", c.Rate, c.Duration)
	}
	if c.Preload < 0 || c.Preload > 50_000_000 {
		bad("preload", "must be 0 to 50000000, got %d", c.Preload)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("database-url", "must start with postgres:// or postgresql://")
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be positive, got %v", c.Timeout)
	}
	if c.MaxInflight < 1 {
		bad("max-inflight", "must be at least 1, got %d", c.MaxInflight)
	}
	if !(c.MaxRSSGrowth >= 0) {
		bad("max-rss-growth", "must not be negative, got %v", c.MaxRSSGrowth)
	}
	if c.Mix.total() == 0 {
		bad("mix", "every weight is 0")
	}
	if c.Mix[kindStatus] > lookupsPerConcern*c.Mix[kindConcern] {
		bad("mix", "status=%d needs concern of at least %d: each concern is looked up at most %d times, below the server's PIN limit per control number",
			c.Mix[kindStatus], (c.Mix[kindStatus]+lookupsPerConcern-1)/lookupsPerConcern, lookupsPerConcern)
	}
	return errors.Join(errs...)
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
