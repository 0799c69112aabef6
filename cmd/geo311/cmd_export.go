package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/export"
)

func exportCommand() command {
	return command{name: "export", summary: "export public requests as Arrow, GeoParquet, GeoJSON text sequences or CSV", run: runExport}
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "export", "export --format arrows|arrow|parquet|geojsonseq|csv --out FILE [filters]")
	format := fs.String("format", "", "`format`: arrows, arrow, parquet, geojsonseq or csv (default: from --out's extension)")
	out := fs.String("out", "", "output `file` (written to a temporary file, renamed when complete)")
	wkb := fs.Bool("wkb", false, "write geometry as GeoArrow WKB instead of native points")
	q := url.Values{}
	for _, name := range []string{"from", "to", "types", "status", "beat", "sector", "district", "ward", "community_area", "bbox", "duplicates"} {
		fs.Func(name, "filter: "+exportFlagHelp[name], func(s string) error { q.Add(name, s); return nil })
	}
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs); c.readFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("export takes no arguments, got %q", pos)
	}
	if *out == "" {
		return usagef("export: --out FILE is required")
	}
	fstr := *format
	if fstr == "" {
		fstr = filepath.Ext(*out)
	}
	f, err := export.ParseFormat(fstr)
	if err != nil {
		return usagef("export: --format: %s", data.ErrorMessage(err))
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	filter, err := parseRequestFilter(q, a.j, a.loc)
	if err != nil {
		return usagef("export: %s", data.ErrorMessage(err))
	}
	rs, err := a.readRequestStore(ctx) // the read replica when configured
	if err != nil {
		return err
	}
	n, err := rs.CountRequests(ctx, filter)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	opt := export.Options{Jurisdiction: a.j, Public: true, TempDir: filepath.Dir(*out)}
	if *wkb {
		opt.GeometryEncoding = export.EncodingWKB
	}
	w, err := export.NewWriter(tmp, f, opt)
	if err != nil {
		return err
	}
	start := time.Now()
	bar := newProgress(e.stderr, "export", "requests", int64(n))
	seen := int64(0)
	err = exportScan(ctx, rs, filter, w, func() {
		seen++
		if seen%4096 == 0 {
			bar.Set(seen)
		}
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	bar.Set(seen)
	bar.Done()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	st := w.Stats()
	took := time.Since(start)
	fmt.Fprintf(e.stdout, "exported: %d requests to %s (%s, %d bytes)\nleft out (police-related): %d\nfilter: %s\ntook: %s\n",
		st.Rows, *out, f, st.Bytes, st.Skipped, filterSummary(filter), took.Round(time.Millisecond))
	return nil
}

var exportFlagHelp = map[string]string{
	"from":           "requested at or after this date (YYYY-MM-DD) or RFC 3339 time",
	"to":             "requested before this date or time",
	"types":          "service codes, comma-separated",
	"status":         "open or closed",
	"beat":           "police beat id",
	"sector":         "police sector id",
	"district":       "police district id (e.g. 012)",
	"ward":           "ward id",
	"community_area": "community area id",
	"bbox":           "minlon,minlat,maxlon,maxlat",
	"duplicates":     "include (default), exclude or only",
}
