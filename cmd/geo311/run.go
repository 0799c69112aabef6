package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// env is what a command receives from the process: arguments are passed
// separately; everything else a command may touch is here, so tests run
// commands in-process with their own environment and outputs.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. Each lives in its own file (cmd_<name>.go) and
// is listed in commands; adding a subcommand is adding a file and a line.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		serveCommand(),
		boundariesCommand(),
		routeCommand(),
		keysCommand(),
		importCommand(),
		genCommand(),
		exportCommand(),
		dedupeCommand(),
		meetingsCommand(),
		contactsCommand(),
		backupCommand(),
	}
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run is geo311's whole program: main only supplies the process's context,
// arguments, environment and outputs.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		printUsage(stderr)
		return usagef("no command given")
	}
	name, rest := args[1], args[2:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			for _, c := range commands() {
				if c.name == rest[0] {
					return c.run(ctx, e, []string{"-h"})
				}
			}
		}
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, e, rest)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	printUsage(stderr)
	return usagef("unknown command %q", name)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "geo311 gives a city's 311 system its geography.\n\nUsage: geo311 <command> [flags] [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'geo311 <command> -h' for a command's flags. Every flag can also be set with a GEO311_* environment variable.")
}

// newFlagSet returns a flag set for a command whose errors and help go to
// stderr, with a usage line.
func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: geo311 %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags anywhere among args (flags may follow positional
// arguments, as in "boundaries load FILE --activate") and returns the
// positional arguments. "--" ends flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{msg: err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag; "--" was consumed by it when
		// it came before, so look at what preceded.
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// loadConfig reads defaults, then the environment, then flags registered by
// register, and validates the result.
func loadConfig(e *env, fs *flag.FlagSet, args []string, register func(*Config)) (*Config, []string, error) {
	cfg := defaultConfig()
	envErr := cfg.loadEnv(e.getenv)
	register(&cfg)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if envErr != nil {
		return nil, nil, fmt.Errorf("configuration: %w", envErr)
	}
	cfg.finish()
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return &cfg, pos, nil
}

// newLogger builds the structured logger of the configuration.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
