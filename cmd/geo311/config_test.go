package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestConfigPrecedence(t *testing.T) {
	e := &env{getenv: testEnv(map[string]string{
		"GEO311_ADDR": "0.0.0.0:9000", "GEO311_READ_TIMEOUT": "5s", "GEO311_MAX_BODY": "2MiB",
		"GEO311_ADMIN_KEY": "0123456789abcdef-secret", "GEO311_LOG_FORMAT": "json",
	}), stdout: io.Discard, stderr: io.Discard}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg, pos, err := loadConfig(e, fs, []string{"--addr", "127.0.0.1:0", "extra", "--max-body", "64KiB"}, func(c *Config) { c.storeFlags(fs); c.serveFlags(fs) })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:0" || cfg.ReadTimeout != 5*time.Second || cfg.MaxBodyBytes != 64<<10 || cfg.LogFormat != "json" || cfg.Database != defaultDatabase || len(pos) != 1 || pos[0] != "extra" {
		t.Errorf("config %+v, args %q", cfg, pos)
	}
	if s := cfg.String(); strings.Contains(s, "secret") || !strings.Contains(s, "admin_key=set") {
		t.Errorf("String() = %s", s)
	}
}

func TestConfigDemoDatabase(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		args []string
		db   string
		j    string
	}{
		{nil, nil, "geo311.db", "chicago"},
		{nil, []string{"--demo"}, "geo311-demo.db", "demo"},
		{map[string]string{"GEO311_DEMO": "true"}, nil, "geo311-demo.db", "demo"},
		{nil, []string{"--demo", "--database", "x.db"}, "x.db", "demo"},
		{map[string]string{"GEO311_DATABASE": "y.db"}, []string{"--demo"}, "y.db", "demo"},
		{nil, []string{"--jurisdiction", "minneapolis"}, "geo311.db", "minneapolis"},
	} {
		e := &env{getenv: testEnv(tc.vars), stdout: io.Discard, stderr: io.Discard}
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		cfg, _, err := loadConfig(e, fs, tc.args, func(c *Config) { c.storeFlags(fs) })
		if err != nil || cfg.Database != tc.db || cfg.Jurisdiction != tc.j {
			t.Errorf("%v %v: %+v %v", tc.vars, tc.args, cfg, err)
		}
	}
}

func TestConfigValidateNamesSettings(t *testing.T) {
	c := defaultConfig()
	c.Addr, c.DatabaseURL, c.Jurisdiction, c.MaxBodyBytes, c.WriteTimeout, c.LogLevel, c.LogFormat, c.KeyCacheTTL =
		"x", "mysql://", "gotham", 0, -1, "loud", "xml", -time.Second
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"--addr (GEO311_ADDR)", "--database-url (GEO311_DATABASE_URL)", "--jurisdiction (GEO311_JURISDICTION)",
		"--max-body (GEO311_MAX_BODY)", "--write-timeout (GEO311_WRITE_TIMEOUT)", "--log-level (GEO311_LOG_LEVEL)", "--log-format (GEO311_LOG_FORMAT)",
		"--key-cache-ttl (GEO311_KEY_CACHE_TTL)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	ok := defaultConfig()
	if err := ok.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "64KiB": 64 << 10, "1 MiB": 1 << 20, "2GiB": 2 << 30, "10MB": 10e6, "5B": 5} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "x", "-1", "1TiB", "99999999999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestConfigReadDatabaseURL(t *testing.T) {
	const primary, replica = "postgres://geo311@db1/geo311", "postgres://geo311@db2/geo311"
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string // error text; "" for success
	}{
		{"flag", nil, []string{"--database-url", primary, "--read-database-url", replica}, ""},
		{"env", map[string]string{"GEO311_DATABASE_URL": primary, "GEO311_READ_DATABASE_URL": replica}, nil, ""},
		{"postgresql scheme", nil, []string{"--database-url", primary, "--read-database-url", "postgresql://db2/geo311"}, ""},
		{"without a primary", nil, []string{"--read-database-url", replica},
			"--read-database-url (GEO311_READ_DATABASE_URL): a read replica needs the PostGIS store: give --database-url"},
		{"env without a primary", map[string]string{"GEO311_READ_DATABASE_URL": replica}, nil,
			"--read-database-url (GEO311_READ_DATABASE_URL): a read replica needs the PostGIS store"},
		{"not postgres", nil, []string{"--database-url", primary, "--read-database-url", "mysql://db2/geo311"},
			"--read-database-url (GEO311_READ_DATABASE_URL): must start with postgres:// or postgresql://"},
		{"key=value", nil, []string{"--database-url", primary, "--read-database-url", "host=db2 dbname=geo311"},
			"--read-database-url (GEO311_READ_DATABASE_URL): must start with postgres://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{getenv: testEnv(tc.vars), stdout: io.Discard, stderr: io.Discard}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg, _, err := loadConfig(e, fs, tc.args, func(c *Config) { c.storeFlags(fs); c.serveFlags(fs) })
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.ReadDatabaseURL == "" || !cfg.readerFlag {
					t.Errorf("ReadDatabaseURL %q readerFlag %v", cfg.ReadDatabaseURL, cfg.readerFlag)
				}
				if s := cfg.String(); !strings.Contains(s, "read_replica=true") || strings.Contains(s, "db2") {
					t.Errorf("String() = %s: want read_replica=true and no URL", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// The help does not print the URL given in the environment.
	var help strings.Builder
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(&help)
	cfg := defaultConfig()
	cfg.ReadDatabaseURL = "postgres://geo311:hunter2@db2/geo311"
	cfg.DatabaseURL = "postgres://geo311:swordfish@db1/geo311"
	cfg.storeFlags(fs)
	cfg.readFlags(fs)
	fs.PrintDefaults()
	if h := help.String(); !strings.Contains(h, "read-database-url") || !strings.Contains(h, "-database-url") ||
		strings.Contains(h, "hunter2") || strings.Contains(h, "swordfish") {
		t.Errorf("help:\n%s", help.String())
	}
	// Commands without the flag do not take it (and never open the replica).
	e := &env{getenv: testEnv(map[string]string{"GEO311_DATABASE_URL": primary, "GEO311_READ_DATABASE_URL": replica}), stdout: io.Discard, stderr: io.Discard}
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	got, _, err := loadConfig(e, fs, nil, func(c *Config) { c.storeFlags(fs) })
	if err != nil || got.readerFlag {
		t.Errorf("store command: readerFlag %v, %v; want false", got != nil && got.readerFlag, err)
	}
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, _, err := loadConfig(e, fs, []string{"--read-database-url", replica}, func(c *Config) { c.storeFlags(fs) }); err == nil {
		t.Error("a command without readFlags accepted --read-database-url")
	}
}
