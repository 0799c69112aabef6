package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Config is geo311's configuration: defaults, overridden by GEO311_*
// environment variables, overridden by command-line flags.
type Config struct {
	Addr        string // GEO311_ADDR, --addr
	Database    string // GEO311_DATABASE, --database: SQLite file (the embedded default)
	DatabaseURL string // GEO311_DATABASE_URL, --database-url: postgres://... selects PostGIS
	// ReadDatabaseURL is a read replica of DatabaseURL's database (a hot
	// standby): the scans of exports, status reports and the analytics
	// start-up read from it, falling back to the primary while it is down.
	ReadDatabaseURL string // GEO311_READ_DATABASE_URL, --read-database-url (serve, export)
	Jurisdiction    string // GEO311_JURISDICTION, --jurisdiction: chicago, minneapolis or demo
	Demo            bool   // GEO311_DEMO, --demo: serve the generated demo jurisdiction

	MaxBodyBytes    int64         // GEO311_MAX_BODY, --max-body
	MaxBatchBytes   int64         // GEO311_MAX_BATCH_BODY, --max-batch-body
	ReadTimeout     time.Duration // GEO311_READ_TIMEOUT, --read-timeout
	WriteTimeout    time.Duration // GEO311_WRITE_TIMEOUT, --write-timeout
	BatchTimeout    time.Duration // GEO311_BATCH_TIMEOUT, --batch-timeout
	ShutdownTimeout time.Duration // GEO311_SHUTDOWN_TIMEOUT, --shutdown-timeout
	ReloadInterval  time.Duration // GEO311_RELOAD_INTERVAL, --reload-interval
	// KeyCacheTTL is how long a server reuses an API key it read from the
	// store; a key revoked by another process is refused within it (0:
	// read the store on every request).
	KeyCacheTTL time.Duration // GEO311_KEY_CACHE_TTL, --key-cache-ttl

	// AdminKey authorises boundary upload and activation (Authorization:
	// Bearer). Empty disables those endpoints. Never logged or printed.
	AdminKey string // GEO311_ADMIN_KEY

	// ContentWords is a word list file replacing the built-in content
	// policy (data.ReadContentWords format).
	ContentWords string // GEO311_CONTENT_WORDS, --content-words
	// WebIntakeKey is the secret of an intake-role API key the web page
	// files requests with. The page publishes it to every visitor, so it
	// must be an intake key and nothing more (checked at start-up). With
	// --demo and no key, serve creates one for the demo city.
	WebIntakeKey string // GEO311_WEB_INTAKE_KEY, --web-intake-key
	// PINIterations is the PBKDF2 cost of new community concern PINs
	// (data.PINIterations by default; lower only for tests and demos).
	PINIterations int // GEO311_PIN_ITERATIONS, --pin-iterations

	LogLevel  string // GEO311_LOG_LEVEL, --log-level: debug, info, warn, error
	LogFormat string // GEO311_LOG_FORMAT, --log-format: text or json

	databaseSet bool // --database or GEO311_DATABASE was given
	// readerFlag: the command takes --read-database-url (readFlags); other
	// commands never open the replica, whatever the environment says.
	readerFlag bool
}

// Defaults.
const (
	defaultAddr     = "127.0.0.1:8311"
	defaultDatabase = "geo311.db"
	demoDatabase    = "geo311-demo.db"
)

func defaultConfig() Config {
	return Config{
		Addr:            defaultAddr,
		Database:        defaultDatabase,
		Jurisdiction:    "chicago",
		MaxBodyBytes:    1 << 20,
		MaxBatchBytes:   1 << 30,
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    30 * time.Second,
		BatchTimeout:    15 * time.Minute,
		ShutdownTimeout: 30 * time.Second,
		ReloadInterval:  30 * time.Second,
		KeyCacheTTL:     5 * time.Second,
		LogLevel:        "info",
		LogFormat:       "text",
		PINIterations:   data.PINIterations,
	}
}

// String describes the configuration without the admin key.
func (c Config) String() string {
	key := "unset"
	if c.AdminKey != "" {
		key = "set"
	}
	return fmt.Sprintf("addr=%s database=%s postgis=%t read_replica=%t jurisdiction=%s demo=%t admin_key=%s", c.Addr, c.Database, c.DatabaseURL != "", c.ReadDatabaseURL != "", c.Jurisdiction, c.Demo, key)
}

// LogValue keeps the admin key and database credentials out of logs.
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

// settingError names the setting at fault, as flag and environment variable.
func settingError(flagName, format string, args ...any) error {
	env := "GEO311_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
	return fmt.Errorf("--%s (%s): %s", flagName, env, fmt.Sprintf(format, args...))
}

// loadEnv reads GEO311_* variables over the defaults.
func (c *Config) loadEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv("GEO311_" + name); v != "" {
			*dst = v
		}
	}
	flagName := func(name string) string { return strings.ReplaceAll(strings.ToLower(name), "_", "-") }
	dur := func(name string, dst *time.Duration) {
		if v := getenv("GEO311_" + name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, settingError(flagName(name), "%q is not a duration (e.g. 30s, 5m)", v))
				return
			}
			*dst = d
		}
	}
	size := func(name string, dst *int64) {
		if v := getenv("GEO311_" + name); v != "" {
			n, err := parseSize(v)
			if err != nil {
				errs = append(errs, settingError(flagName(name), "%v", err))
				return
			}
			*dst = n
		}
	}
	str("ADDR", &c.Addr)
	if v := getenv("GEO311_DATABASE"); v != "" {
		c.Database, c.databaseSet = v, true
	}
	str("DATABASE_URL", &c.DatabaseURL)
	str("READ_DATABASE_URL", &c.ReadDatabaseURL)
	str("JURISDICTION", &c.Jurisdiction)
	if v := getenv("GEO311_DEMO"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, settingError("demo", "%q is not a boolean", v))
		}
		c.Demo = b
	}
	size("MAX_BODY", &c.MaxBodyBytes)
	size("MAX_BATCH_BODY", &c.MaxBatchBytes)
	dur("READ_TIMEOUT", &c.ReadTimeout)
	dur("WRITE_TIMEOUT", &c.WriteTimeout)
	dur("BATCH_TIMEOUT", &c.BatchTimeout)
	dur("SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	dur("RELOAD_INTERVAL", &c.ReloadInterval)
	dur("KEY_CACHE_TTL", &c.KeyCacheTTL)
	str("ADMIN_KEY", &c.AdminKey)
	str("CONTENT_WORDS", &c.ContentWords)
	str("WEB_INTAKE_KEY", &c.WebIntakeKey)
	if v := getenv("GEO311_PIN_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, settingError("pin-iterations", "%q is not a whole number", v))
		}
		c.PINIterations = n
	}
	str("LOG_LEVEL", &c.LogLevel)
	str("LOG_FORMAT", &c.LogFormat)
	return errors.Join(errs...)
}

// storeFlags registers the flags every command that opens the store takes.
func (c *Config) storeFlags(fs *flag.FlagSet) {
	fs.Func("database", "SQLite database `file` (default "+defaultDatabase+"; "+demoDatabase+" with --demo) [GEO311_DATABASE]", func(s string) error {
		c.Database, c.databaseSet = s, true
		return nil
	})
	// fs.Func: the help never prints the value (a URL may hold a password).
	fs.Func("database-url", "PostgreSQL `URL` (postgres://...): use PostGIS instead of SQLite [GEO311_DATABASE_URL]", func(s string) error {
		c.DatabaseURL = s
		return nil
	})
	fs.StringVar(&c.Jurisdiction, "jurisdiction", c.Jurisdiction, "jurisdiction `id`: chicago, minneapolis or demo [GEO311_JURISDICTION]")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "use the generated demo jurisdiction, stored on first use [GEO311_DEMO]")
	c.logFlags(fs)
}

// readFlags registers --read-database-url, for the commands whose reads
// may come from a replica (serve, export).
func (c *Config) readFlags(fs *flag.FlagSet) {
	c.readerFlag = true
	// fs.Func: the help never prints the value (a URL may hold a password).
	fs.Func("read-database-url", "PostgreSQL `URL` of a read replica of --database-url's database: exports, status reports and the analytics start-up scan read from it (the primary while it is down) [GEO311_READ_DATABASE_URL]", func(s string) error {
		c.ReadDatabaseURL = s
		return nil
	})
}

func (c *Config) logFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log `level`: debug, info, warn, error [GEO311_LOG_LEVEL]")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log `format`: text or json [GEO311_LOG_FORMAT]")
}

// serveFlags registers the HTTP server's flags.
func (c *Config) serveFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address` (port 0 picks a free port) [GEO311_ADDR]")
	sizeFlag(fs, &c.MaxBodyBytes, "max-body", "request body limit (e.g. 1MiB) [GEO311_MAX_BODY]")
	sizeFlag(fs, &c.MaxBatchBytes, "max-batch-body", "batch routing body limit (e.g. 1GiB) [GEO311_MAX_BATCH_BODY]")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "time to read a request [GEO311_READ_TIMEOUT]")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "time to handle a request and write its response [GEO311_WRITE_TIMEOUT]")
	fs.DurationVar(&c.BatchTimeout, "batch-timeout", c.BatchTimeout, "time a batch routing request may take [GEO311_BATCH_TIMEOUT]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time to drain in-flight requests at shutdown [GEO311_SHUTDOWN_TIMEOUT]")
	fs.StringVar(&c.ContentWords, "content-words", c.ContentWords, "word list `file` refused in descriptions (one entry a line; default: the built-in list) [GEO311_CONTENT_WORDS]")
	fs.StringVar(&c.WebIntakeKey, "web-intake-key", c.WebIntakeKey, "`secret` of the intake key the web page files requests with; public by nature (default with --demo: a fresh demo key) [GEO311_WEB_INTAKE_KEY]")
	fs.IntVar(&c.PINIterations, "pin-iterations", c.PINIterations, "PBKDF2 rounds of new concern PINs (lower only for tests and demos) [GEO311_PIN_ITERATIONS]")
	fs.DurationVar(&c.ReloadInterval, "reload-interval", c.ReloadInterval, "how often to check the store for activated generations (0: never) [GEO311_RELOAD_INTERVAL]")
	fs.DurationVar(&c.KeyCacheTTL, "key-cache-ttl", c.KeyCacheTTL, "how long to reuse an API key read from the store; a key revoked elsewhere is refused within it (0: read it on every request) [GEO311_KEY_CACHE_TTL]")
	c.readFlags(fs)
}

func sizeFlag(fs *flag.FlagSet, dst *int64, name, usage string) {
	fs.Func(name, usage+" (default "+formatSize(*dst)+")", func(s string) error {
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		*dst = n
		return nil
	})
}

// parseSize reads a byte count: 1048576, 64KiB, 1MiB, 1GiB, 10MB, 1GB.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size in bytes (e.g. 1048576, 512KiB, 1MiB, 1GiB)", s)
	}
	return n * mult, nil
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// finish applies settings that depend on others (after env and flags).
func (c *Config) finish() {
	if c.Demo {
		c.Jurisdiction = "demo"
	}
	if c.Jurisdiction == "demo" && !c.databaseSet {
		// The demo's generated boundaries never mix with a real city's.
		c.Database = demoDatabase
	}
}

// Validate checks the configuration; each error names its setting.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, settingError("addr", "%q is not host:port", c.Addr))
	}
	if c.DatabaseURL != "" {
		if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			errs = append(errs, settingError("database-url", "must start with postgres:// or postgresql://"))
		}
	} else if strings.TrimSpace(c.Database) == "" {
		errs = append(errs, settingError("database", "empty: give a file path, or --database-url for PostGIS"))
	}
	if c.ReadDatabaseURL != "" {
		switch {
		case !strings.HasPrefix(c.ReadDatabaseURL, "postgres://") && !strings.HasPrefix(c.ReadDatabaseURL, "postgresql://"):
			errs = append(errs, settingError("read-database-url", "must start with postgres:// or postgresql://"))
		case c.DatabaseURL == "":
			errs = append(errs, settingError("read-database-url", "a read replica needs the PostGIS store: give --database-url (the primary) too"))
		}
	}
	switch c.Jurisdiction {
	case "chicago", "minneapolis", "demo":
	default:
		errs = append(errs, settingError("jurisdiction", "%q is not one of chicago, minneapolis, demo", c.Jurisdiction))
	}
	if c.Demo && c.Jurisdiction != "demo" {
		errs = append(errs, settingError("demo", "conflicts with --jurisdiction %s", c.Jurisdiction))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, settingError("max-body", "must be positive"))
	}
	if c.MaxBatchBytes <= 0 {
		errs = append(errs, settingError("max-batch-body", "must be positive"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-timeout", c.ReadTimeout}, {"write-timeout", c.WriteTimeout}, {"batch-timeout", c.BatchTimeout}, {"shutdown-timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			errs = append(errs, settingError(d.name, "must be positive, got %v", d.v))
		}
	}
	if c.ReloadInterval < 0 {
		errs = append(errs, settingError("reload-interval", "must not be negative"))
	}
	if c.KeyCacheTTL < 0 || c.KeyCacheTTL > time.Hour {
		errs = append(errs, settingError("key-cache-ttl", "must be between 0 and 1h, got %v", c.KeyCacheTTL))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, settingError("log-level", "%v", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, settingError("log-format", "%q is not text or json", c.LogFormat))
	}
	if c.PINIterations < 1000 || c.PINIterations > 10_000_000 {
		errs = append(errs, settingError("pin-iterations", "must be between 1000 and 10000000, got %d", c.PINIterations))
	}
	if c.WebIntakeKey != "" {
		if _, err := data.ParseAPIKeySecret(c.WebIntakeKey); err != nil {
			errs = append(errs, settingError("web-intake-key", "not an API key secret (create one with: geo311 keys create --role intake --name web)"))
		}
	}
	if c.AdminKey != "" && len(c.AdminKey) < 16 {
		errs = append(errs, errors.New("GEO311_ADMIN_KEY: too short (at least 16 characters)"))
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}
