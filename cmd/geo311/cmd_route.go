package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/geo311/geo311/cmd/geo311/internal/batch"
	"github.com/geo311/geo311/data"
)

func routeCommand() command {
	return command{name: "route", summary: "route the points of a CSV (or GeoJSON) file to areas, departments and units", run: runRoute}
}

func runRoute(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "route", "route [flags] IN.csv > OUT.csv   (IN may be - for standard input)")
	at := fs.String("time", "", "route rows without a time at this `time` (RFC 3339 or YYYY-MM-DD; default now)")
	code := fs.String("service-code", "", "service `code` for rows without one")
	out := fs.String("out", "", "write to this `file` instead of standard output")
	format := fs.String("format", "", "input `format`: csv or geojson (default: from the file name, else csv)")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("route: give one input file (or - for standard input)")
	}
	f := *format
	if f == "" {
		f = "csv"
		if ext := strings.ToLower(filepath.Ext(pos[0])); ext == ".geojson" || ext == ".json" {
			f = "geojson"
		}
	}
	if f != "csv" && f != "geojson" {
		return usagef("route: --format %q is not csv or geojson", f)
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	opts := batch.Options{Location: a.loc}
	if *at != "" {
		if opts.DefaultTime, err = batch.ParseTime("time", *at, a.loc); err != nil {
			return usagef("route: --time: %s", data.ErrorMessage(err))
		}
	}
	if *code != "" {
		if _, ok := a.j.Service(*code); !ok {
			return usagef("route: --service-code %q is not a service code of %s", *code, a.j.ID)
		}
		opts.DefaultServiceCode = *code
	}
	rt, err := a.buildRouter(ctx)
	if err != nil {
		return err
	}
	if len(rt.Index().Generations()) == 0 {
		return noBoundaries(a.j)
	}
	opts.Route, opts.Layers = rt.Route, rt.Index().Layers()

	var in io.Reader = os.Stdin
	if pos[0] != "-" {
		file, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	var w io.Writer = e.stdout
	var outFile *os.File
	if *out != "" {
		if outFile, err = os.Create(*out); err != nil {
			return err
		}
		defer outFile.Close()
		w = outFile
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var st batch.Stats
	if f == "csv" {
		st, err = batch.RouteCSV(ctx, in, bw, opts)
	} else {
		st, err = batch.RouteGeoJSON(ctx, in, bw, opts)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err == nil && outFile != nil {
		err = outFile.Sync()
	}
	if err != nil {
		return fmt.Errorf("route %s: %w", pos[0], err)
	}
	fmt.Fprintf(e.stderr, "geo311 route: %d rows, %d routed, %d with errors\n", st.Rows, st.Routed, st.Failed)
	return nil
}
