package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    mix
		wantErr string
	}{
		{in: defaultMix.String(), want: defaultMix},
		{in: "route=1", want: mix{kindRoute: 1}},
		{in: " intake = 3 , tile=2,", want: mix{kindIntake: 3, kindTile: 2}},
		{in: "route=0,tile=5", want: mix{kindTile: 5}},
		{in: "routes=1", wantErr: `unknown kind "routes"`},
		{in: "route", wantErr: "is not kind=weight"},
		{in: "route=-1", wantErr: "not a whole number"},
		{in: "route=1001", wantErr: "not a whole number"},
		{in: "route=x", wantErr: "not a whole number"},
		{in: "route=1,route=2", wantErr: "given twice"},
	} {
		got, err := parseMix(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseMix(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseMix(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := defaultConfig()
	ok.Geo311 = "bin/geo311"
	if err := ok.Validate(); err != nil {
		t.Fatalf("default config with --geo311: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no binary", func(c *Config) { c.Geo311 = " " }, "--geo311: the path"},
		{"zero rate", func(c *Config) { c.Rate = 0 }, "--rate"},
		{"NaN rate", func(c *Config) { c.Rate = nan() }, "--rate"},
		{"short interval", func(c *Config) { c.Interval = time.Millisecond }, "--interval"},
		{"two intervals", func(c *Config) { c.Duration = 2 * c.Interval }, "at least 3 intervals"},
		{"no request", func(c *Config) { c.Rate, c.Duration, c.Interval = 0.1, 3*time.Second, time.Second }, "sends no request"},
		{"preload", func(c *Config) { c.Preload = -1 }, "--preload"},
		{"url", func(c *Config) { c.DatabaseURL = "mysql://x" }, "--database-url"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "--timeout"},
		{"inflight", func(c *Config) { c.MaxInflight = 0 }, "--max-inflight"},
		{"growth", func(c *Config) { c.MaxRSSGrowth = -0.1 }, "--max-rss-growth"},
		{"empty mix", func(c *Config) { c.Mix = mix{} }, "every weight is 0"},
		{"lookups beyond the PIN limit", func(c *Config) { c.Mix = mix{kindConcern: 1, kindStatus: 5} }, "status=5 needs concern of at least 2"},
		{"lookups without concerns", func(c *Config) { c.Mix = mix{kindStatus: 1} }, "status=1 needs concern of at least 1"},
	} {
		c := ok
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	c := ok
	c.Mix = mix{kindConcern: 1, kindStatus: lookupsPerConcern}
	if err := c.Validate(); err != nil {
		t.Errorf("status = %d x concern: %v", lookupsPerConcern, err)
	}
}

func nan() float64 { var z float64; return z / z }

func TestParseConfig(t *testing.T) {
	var stderr bytes.Buffer
	cfg, err := parseConfig([]string{"--geo311", "x", "--rate", "20", "--duration", "5s", "--interval", "1s", "--mix", "route=1"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rate != 20 || cfg.Duration != 5*time.Second || cfg.Mix != (mix{kindRoute: 1}) || cfg.Preload != defaultConfig().Preload {
		t.Errorf("config %+v", cfg)
	}
	for _, args := range [][]string{{}, {"--geo311", "x", "extra"}, {"--geo311", "x", "--mix", "nope=1"}, {"--bogus"}} {
		_, err := parseConfig(args, &stderr)
		var ue *usageError
		if !errors.As(err, &ue) || exitCode(err) != 2 {
			t.Errorf("parseConfig(%q) = %v, want a usage error", args, err)
		}
	}
	if _, err := parseConfig([]string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
