package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// portalDataset is one boundary layer published on a city's open data
// portal as a GeoJSON export.
type portalDataset struct {
	Layer   data.Layer
	Dataset string // portal dataset id
	From    string // effective date of the published map
	Title   string
}

// portal describes a city's open data portal.
type portal struct {
	BaseURL  string
	Datasets []portalDataset
}

// exportURL is the GeoJSON export endpoint of a Socrata geospatial dataset.
func (p portal) exportURL(base string, d portalDataset) string {
	return strings.TrimRight(base, "/") + "/api/geospatial/" + url.PathEscape(d.Dataset) + "?method=export&format=GeoJSON"
}

// portals lists the cities whose current boundaries can be fetched. The
// effective dates: police beats and districts were redrawn on 19 Dec 2012
// (the portal's "current" beat map); the 2023 ward map took effect with the
// council sworn in on 15 May 2023; community areas have been unchanged since
// Edgewater (77) was separated in 1980.
func portals() map[string]portal {
	return map[string]portal{
		"chicago": {
			BaseURL: "https://data.cityofchicago.org",
			Datasets: []portalDataset{
				{data.LayerBeat, "aerh-rz74", "2012-12-19", "Boundaries - Police Beats (current)"},
				{data.LayerDistrict, "fthy-xz3r", "2012-12-19", "Boundaries - Police Districts (current)"},
				{data.LayerWard, "p293-wvbd", "2023-05-15", "Boundaries - Wards (2023-)"},
				{data.LayerCommunityArea, "cauq-8yn6", "1980-01-01", "Boundaries - Community Areas (current)"},
			},
		},
	}
}

// maxDownload bounds one downloaded boundary file.
const maxDownload = 512 << 20

func runBoundariesFetch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "boundaries fetch", boundariesSubs()[4].usage)
	baseURL := fs.String("base-url", "", "portal base `URL` (default: the city's portal, e.g. https://data.cityofchicago.org)")
	layers := fs.String("layers", "", "comma-separated `layers` to fetch (default: all the city publishes)")
	activate := fs.Bool("activate", false, "activate each generation after loading it")
	timeout := fs.Duration("timeout", 5*time.Minute, "time allowed for each download")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("boundaries fetch: name the city (chicago)")
	}
	city := pos[0]
	p, ok := portals()[city]
	if !ok {
		return usagef("boundaries fetch: no portal known for %q (known: chicago)", city)
	}
	if cfg.Jurisdiction != city {
		return usagef("boundaries fetch %s: the store is opened for jurisdiction %s: add --jurisdiction %s", city, cfg.Jurisdiction, city)
	}
	base := p.BaseURL
	if *baseURL != "" {
		u, err := url.Parse(*baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("boundaries fetch: --base-url %q is not an http(s) URL", *baseURL)
		}
		base = *baseURL
	}
	sets := p.Datasets
	if *layers != "" {
		sets = nil
		for _, name := range strings.Split(*layers, ",") {
			i := slices.IndexFunc(p.Datasets, func(d portalDataset) bool { return string(d.Layer) == strings.TrimSpace(name) })
			if i < 0 {
				return usagef("boundaries fetch: %s publishes no %q layer", city, name)
			}
			sets = append(sets, p.Datasets[i])
		}
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	client := &http.Client{Timeout: *timeout}
	var failed []string
	for _, d := range sets {
		u := p.exportURL(base, d)
		res, err := fetchAndLoad(ctx, a, client, u, d)
		switch {
		case errors.Is(err, data.ErrConflict):
			fmt.Fprintf(e.stdout, "%s: already loaded (%s@%s), skipped\n", d.Layer, d.Layer, d.From)
			continue
		case err != nil:
			fmt.Fprintf(e.stderr, "%s: %v\n", d.Layer, err)
			failed = append(failed, string(d.Layer))
			continue
		}
		if *activate {
			if err := a.setActive(ctx, res.Generation, true, a.checkIndex); err != nil {
				fmt.Fprintf(e.stderr, "%s: %v\n", d.Layer, err)
				failed = append(failed, string(d.Layer))
				continue
			}
			res.Active = true
		}
		printLoadResult(e.stdout, res)
	}
	if len(failed) > 0 {
		return fmt.Errorf("boundaries fetch %s: failed for %s", city, strings.Join(failed, ", "))
	}
	return nil
}

// fetchAndLoad downloads one dataset into a temporary file (so a broken
// download never reaches the store) and loads it.
func fetchAndLoad(ctx context.Context, a *app, client *http.Client, u string, d portalDataset) (*loadResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/geo+json, application/json")
	req.Header.Set("User-Agent", "geo311 boundaries fetch")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("download %s: %s: %s", u, resp.Status, strings.TrimSpace(string(snippet)))
	}
	tmp, err := os.CreateTemp("", "geo311-fetch-*.geojson")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", u, err)
	}
	if n > maxDownload {
		return nil, fmt.Errorf("download %s: larger than %d MiB", u, maxDownload>>20)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	from, err := parseDate("from", d.From, a.loc)
	if err != nil {
		return nil, err
	}
	return loadGeneration(ctx, a.store, a.j, loadSpec{Layer: d.Layer, From: from, PadID: -1, Source: u}, tmp)
}
