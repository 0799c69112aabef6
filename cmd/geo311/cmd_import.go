package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"

	"github.com/geo311/geo311/data"
	"github.com/geo311/geo311/data/chicago311"
	"github.com/geo311/geo311/dedupe"
	"github.com/geo311/geo311/geo"
)

func importCommand() command {
	return command{name: "import", summary: "import Chicago Data Portal 311 exports (current and legacy schemas)", run: runImport}
}

// maxPrintedRowErrors bounds the row errors printed one per line; every row
// error is counted in the summary.
const maxPrintedRowErrors = 200

// importStats is what an import reports.
type importStats struct {
	Rows, Imported, Updated, RowErrors, Unrouted, NoLocation int
	// Differ counts, per layer, requests whose city-recorded area differs
	// from geo311's routing; Compared how many were compared.
	Differ, Compared map[data.Layer]int
	Examples         map[data.Layer][]string
}

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "import", "import chicago [flags] FILE.csv...")
	batchSize := fs.Int("batch", 10000, "requests per store transaction")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) < 2 || pos[0] != "chicago" {
		return usagef("import: usage: geo311 import chicago FILE.csv... (Chicago Data Portal 311 exports)")
	}
	if *batchSize < 1 || *batchSize > 1_000_000 {
		return usagef("import: --batch must be 1 to 1000000")
	}
	files := pos[1:]
	var total int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		total += st.Size()
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.j.ID != chicago311.Jurisdiction {
		return usagef("import chicago: the store's jurisdiction is %s; run with --jurisdiction chicago", a.j.ID)
	}
	rs, err := a.requestStore()
	if err != nil {
		return err
	}
	rt, err := a.buildRouter(ctx)
	if err != nil {
		return err
	}
	if len(rt.Index().Generations()) == 0 {
		fmt.Fprintln(e.stderr, "geo311 import: warning: no boundaries are loaded: requests are imported with the city's recorded areas only (load boundaries and re-import to route them)")
		rt = nil
	}
	im := &importer{j: a.j, rt: rt, rs: rs, batch: *batchSize, stderr: e.stderr,
		st: importStats{Differ: map[data.Layer]int{}, Compared: map[data.Layer]int{}, Examples: map[data.Layer][]string{}}}
	bar := newProgress(e.stderr, "import", "bytes", total)
	var done int64
	for _, name := range files {
		if err := im.file(ctx, name, func(n int64) { bar.Set(done + n) }); err != nil {
			bar.Done()
			return err
		}
		st, _ := os.Stat(name)
		done += st.Size()
	}
	bar.Set(done)
	bar.Done()
	im.report(e.stdout)
	return nil
}

type importer struct {
	j       *data.Jurisdiction
	rt      *geo.Router
	rs      data.RequestStore
	batch   int
	stderr  io.Writer
	st      importStats
	printed int
}

// countingReader counts the bytes read, for the progress bar.
type countingReader struct {
	r  io.Reader
	n  int64
	fn func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.fn(c.n)
	return n, err
}

func (im *importer) file(ctx context.Context, name string, onRead func(int64)) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := chicago311.NewReader(&countingReader{r: f, fn: onRead})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var pending []*data.Request
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		var re *chicago311.RowError
		if errors.As(err, &re) {
			im.st.RowErrors++
			if im.printed < maxPrintedRowErrors {
				fmt.Fprintf(im.stderr, "%s:%d: %v\n", name, re.Line, re)
			} else if im.printed == maxPrintedRowErrors {
				fmt.Fprintf(im.stderr, "(further row errors are counted, not printed)\n")
			}
			im.printed++
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		im.st.Rows++
		pending = append(pending, r)
		if len(pending) >= im.batch {
			if err := im.flush(ctx, pending); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			pending = pending[:0]
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := im.flush(ctx, pending); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// flush routes a batch (on every core), compares the city's areas with
// geo311's, and imports it in one transaction.
func (im *importer) flush(ctx context.Context, rs []*data.Request) error {
	if len(rs) == 0 {
		return nil
	}
	unrouted := prepareRequests(im.j, im.rt, rs, true)
	im.st.Unrouted += unrouted
	for _, r := range rs {
		if !chicago311.HasLocation(r) {
			im.st.NoLocation++
		}
		im.compare(r)
	}
	ins, upd, err := im.rs.ImportRequests(ctx, rs)
	if err != nil {
		return fmt.Errorf("import requests: %w", err)
	}
	im.st.Imported += ins
	im.st.Updated += upd
	return nil
}

// prepareRequests fills what geo311 adds to a request from outside: the
// routed areas at its time (keeping the city's RecordedAreas), its H3 cell,
// the police flag and, when unset, the SLA days of its type. keepOwner keeps
// the department and unit given (imports); otherwise the catalogue's routing
// sets them. It returns how many located requests could not be routed.
func prepareRequests(j *data.Jurisdiction, rt *geo.Router, rs []*data.Request, keepOwner bool) int {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rs)/512))
	var wg sync.WaitGroup
	var mu sync.Mutex
	unrouted := 0
	chunk := (len(rs) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(rs))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(part []*data.Request) {
			defer wg.Done()
			n := 0
			var buf []data.AreaRef
			for _, r := range part {
				r.PoliceRelated = r.Police(j)
				if st, ok := j.Service(r.ServiceCode); ok && r.SLADays == 0 {
					r.SLADays = st.SLADays
				}
				if (r.Lon == 0 && r.Lat == 0) || geo.CheckPoint(r.Lon, r.Lat) != nil {
					continue
				}
				if c, err := dedupe.Cell(r.Lat, r.Lon); err == nil {
					r.H3 = c
				}
				if rt == nil {
					continue
				}
				if !keepOwner {
					rout, err := rt.Route(r.Lon, r.Lat, r.RequestedAt, r.ServiceCode)
					if err != nil {
						n++
						continue
					}
					r.Areas, r.Department, r.Unit = rout.Areas, rout.Department, rout.Unit
					if r.SLADays == 0 {
						r.SLADays = rout.SLADays
					}
					continue
				}
				refs, err := rt.Index().LocateInto(r.Lon, r.Lat, r.RequestedAt, buf[:0])
				buf = refs
				if err != nil || len(refs) == 0 {
					n++
					continue
				}
				r.Areas = append([]data.AreaRef(nil), refs...)
			}
			mu.Lock()
			unrouted += n
			mu.Unlock()
		}(rs[lo:hi])
	}
	wg.Wait()
	return unrouted
}

// compare counts where the city's recorded area differs from geo311's.
func (im *importer) compare(r *data.Request) {
	for _, rec := range r.RecordedAreas {
		if rec.ID == "" {
			continue
		}
		var got *data.AreaRef
		for i := range r.Areas {
			if r.Areas[i].Layer == rec.Layer {
				got = &r.Areas[i]
				break
			}
		}
		if got == nil {
			continue
		}
		im.st.Compared[rec.Layer]++
		if got.ID != rec.ID {
			im.st.Differ[rec.Layer]++
			if len(im.st.Examples[rec.Layer]) < 3 {
				im.st.Examples[rec.Layer] = append(im.st.Examples[rec.Layer],
					fmt.Sprintf("%s at %.6f,%.6f on %s: city %s, geo311 %s (%s)", r.Number, r.Lat, r.Lon, r.RequestedAt.Format("2006-01-02"), rec.ID, got.ID, got.Generation))
			}
		}
	}
}

func (im *importer) report(w io.Writer) {
	st := im.st
	fmt.Fprintf(w, "rows: %d\nimported: %d\nupdated: %d\nrow errors: %d\nwithout location: %d\nnot routed by geo311: %d\n",
		st.Rows, st.Imported, st.Updated, st.RowErrors, st.NoLocation, st.Unrouted)
	if len(st.Compared) == 0 {
		fmt.Fprintln(w, "recorded areas: not compared (no geo311 routing)")
		return
	}
	var layers []data.Layer
	for l := range st.Compared {
		layers = append(layers, l)
	}
	sort.Slice(layers, func(i, k int) bool { return layers[i] < layers[k] })
	fmt.Fprintln(w, "city's recorded areas vs geo311's routing:")
	for _, l := range layers {
		fmt.Fprintf(w, "  %-15s %d of %d differ\n", l, st.Differ[l], st.Compared[l])
		for _, ex := range st.Examples[l] {
			fmt.Fprintf(w, "    e.g. %s\n", ex)
		}
	}
}
