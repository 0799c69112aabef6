package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/geo"
)

func boundariesCommand() command {
	return command{name: "boundaries", summary: "load, list, activate, deactivate and fetch boundary generations", run: runBoundaries}
}

// boundariesSub is a subcommand of "geo311 boundaries".
type boundariesSub struct {
	name, usage, summary string
	run                  func(ctx context.Context, e *env, args []string) error
}

func boundariesSubs() []boundariesSub {
	return []boundariesSub{
		{"load", "boundaries load --layer LAYER --from YYYY-MM-DD [--id-property P] [--activate] FILE", "load a GeoJSON file as an inactive generation and print its validation report", runBoundariesLoad},
		{"list", "boundaries list [--json]", "list layers and generations", runBoundariesList},
		{"activate", "boundaries activate ID...", "activate generations (e.g. beat@2012-12-19)", runBoundariesSetActive(true)},
		{"deactivate", "boundaries deactivate ID...", "deactivate generations", runBoundariesSetActive(false)},
		{"fetch", "boundaries fetch chicago [--base-url URL] [--layers beat,district,...] [--activate]", "download a city's current boundaries from its open data portal and load them", runBoundariesFetch},
	}
}

func runBoundaries(ctx context.Context, e *env, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: geo311 boundaries <subcommand> [flags]\n\nSubcommands:")
		for _, s := range boundariesSubs() {
			fmt.Fprintf(w, "  %-11s %s\n", s.name, s.summary)
		}
	}
	if len(args) == 0 {
		usage(e.stderr)
		return usagef("boundaries: no subcommand given")
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		return nil
	}
	for _, s := range boundariesSubs() {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	usage(e.stderr)
	return usagef("boundaries: unknown subcommand %q", args[0])
}

func runBoundariesLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "boundaries load", boundariesSubs()[0].usage)
	layer := fs.String("layer", "", "`layer` the file holds (beat, district, ward, community_area, precinct, or a custom name)")
	from := fs.String("from", "", "effective `date` (YYYY-MM-DD) of these boundaries")
	idProp := fs.String("id-property", "", "feature `property` holding the area id (default: the jurisdiction's for the layer)")
	nameProp := fs.String("name-property", "", "feature `property` holding a display name")
	padID := fs.Int("pad-id", -1, "left-pad numeric ids with zeros to this `width` (default: the jurisdiction's)")
	activate := fs.Bool("activate", false, "activate the generation after loading it")
	asJSON := fs.Bool("json", false, "print the validation report as JSON")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("boundaries load: give one GeoJSON file (or - for standard input)")
	}
	if *layer == "" {
		return usagef("boundaries load: --layer is required")
	}
	l, err := data.ParseLayer(*layer)
	if err != nil {
		return usagef("boundaries load: --layer: %v", data.ErrorMessage(err))
	}
	if *from == "" {
		return usagef("boundaries load: --from is required (the date the boundaries take effect, YYYY-MM-DD)")
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	ls := loadSpec{Layer: l, IDProperty: *idProp, NameProperty: *nameProp, PadID: *padID}
	if ls.From, err = parseDate("from", *from, a.loc); err != nil {
		return usagef("boundaries load: --from: %v", data.ErrorMessage(err))
	}
	var r io.Reader = os.Stdin
	ls.Source = "stdin"
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
		ls.Source = filepath.Base(pos[0])
	}
	res, err := loadGeneration(ctx, a.store, a.j, ls, r)
	if err != nil {
		return fmt.Errorf("boundaries load %s: %w", pos[0], err)
	}
	if *activate {
		if err := a.setActive(ctx, res.Generation, true, a.checkIndex); err != nil {
			return err
		}
		res.Active = true
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printLoadResult(e.stdout, res)
	return nil
}

// checkIndex builds the routing index from the active generations, to check
// that it takes them.
func (a *app) checkIndex(ctx context.Context) error {
	_, err := a.buildRouter(ctx)
	return err
}

// printLoadResult prints a validation report for people.
func printLoadResult(w io.Writer, res *loadResult) {
	state := "stored inactive (activate with: geo311 boundaries activate " + res.Generation + ")"
	if res.Active {
		state = "stored and activated"
	}
	fmt.Fprintf(w, "%s: %s\n", res.Generation, state)
	fmt.Fprintf(w, "  effective from %s, source %s\n", res.EffectiveFrom, res.Source)
	rep := res.Report
	fmt.Fprintf(w, "  %d areas, %d polygons, %d holes, %d vertices\n", rep.Areas, rep.Polygons, rep.Holes, rep.Vertices)
	fmt.Fprintf(w, "  checked for overlaps and gaps with %d samples %.0f m apart\n", rep.Samples, rep.SampleSpacingM)
	for _, d := range res.Derived {
		fmt.Fprintf(w, "  %d %s areas derived from these (computed by the routing index)\n", d.Areas, d.Layer)
	}
	printFindings(w, "overlaps", rep.Overlaps)
	printFindings(w, "gaps", rep.Gaps)
}

func printFindings(w io.Writer, what string, fs []geo.Finding) {
	if len(fs) == 0 {
		fmt.Fprintf(w, "  no %s\n", what)
		return
	}
	fmt.Fprintf(w, "  %d %s:\n", len(fs), what)
	for i, f := range fs {
		if i == 20 {
			fmt.Fprintf(w, "    ... and %d more (use --json for all)\n", len(fs)-i)
			break
		}
		fmt.Fprintf(w, "    %s of %s near %.6f,%.6f (lat,lon), about %.0f m2\n", f.Kind, strings.Join(f.Areas, ", "), f.Lat, f.Lon, f.ApproxAreaM2)
	}
}

func runBoundariesList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "boundaries list", boundariesSubs()[1].usage)
	asJSON := fs.Bool("json", false, "print as JSON (the GET /v1/boundaries answer)")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("boundaries list takes no arguments")
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	rt, err := a.buildRouter(ctx)
	if err != nil {
		return err
	}
	res, err := a.listBoundaries(ctx, rt)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "GENERATION\tLAYER\tFROM\tACTIVE\tAREAS\tSOURCE\n")
	n := 0
	for _, l := range res.Layers {
		for _, g := range l.Generations {
			n++
			active := "no"
			switch {
			case g.Derived:
				active = "derived"
			case g.Active:
				active = "yes"
			}
			src := g.Source
			if g.Derived {
				src = "from " + string(l.DerivedFrom)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", g.ID, g.Layer, g.EffectiveFrom, active, g.Areas, src)
		}
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintf(e.stdout, "no generations stored for %s: load some with 'geo311 boundaries load' or 'geo311 boundaries fetch chicago'\n", a.j.ID)
	}
	return nil
}

func runBoundariesSetActive(active bool) func(context.Context, *env, []string) error {
	name := "deactivate"
	if active {
		name = "activate"
	}
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlagSet(e, "boundaries "+name, "boundaries "+name+" ID...")
		cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			return usagef("boundaries %s: give generation ids (see 'geo311 boundaries list')", name)
		}
		a, err := openApp(ctx, cfg, newLogger(cfg, e.stderr))
		if err != nil {
			return err
		}
		defer a.Close()
		for _, id := range pos {
			if err := a.setActive(ctx, id, active, a.checkIndex); err != nil {
				return fmt.Errorf("boundaries %s %s: %w", name, id, err)
			}
			fmt.Fprintf(e.stdout, "%s: %sd\n", id, name)
		}
		fmt.Fprintln(e.stdout, "running servers pick the change up within their --reload-interval")
		return nil
	}
}
