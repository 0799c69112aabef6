package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
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

// importBlock is how many rows the import pipeline parses, routes and hands
// on at a time.
const importBlock = 1024

// defaultBatch is the transaction size for a store that cannot take an
// import as a stream.
const defaultBatch = 10000

// importStats is what an import reports.
type importStats struct {
	Rows, Imported, Updated, RowErrors, Unrouted, NoLocation int
	// Differ counts, per layer, requests whose city-recorded area differs
	// from geo311's routing; Compared how many were compared.
	Differ, Compared map[data.Layer]int
	Examples         map[data.Layer][]string
}

func newImportStats() importStats {
	return importStats{Differ: map[data.Layer]int{}, Compared: map[data.Layer]int{}, Examples: map[data.Layer][]string{}}
}

// add merges the statistics of rows that come after st's.
func (st *importStats) add(o *importStats) {
	st.Rows += o.Rows
	st.Imported += o.Imported
	st.Updated += o.Updated
	st.RowErrors += o.RowErrors
	st.Unrouted += o.Unrouted
	st.NoLocation += o.NoLocation
	for l, n := range o.Compared {
		st.Compared[l] += n
	}
	for l, n := range o.Differ {
		st.Differ[l] += n
	}
	for l, ex := range o.Examples {
		for _, e := range ex {
			if len(st.Examples[l]) < 3 {
				st.Examples[l] = append(st.Examples[l], e)
			}
		}
	}
}

// seqImporter is a request store that takes an import as a stream, in one
// transaction, without the caller holding the rows (both stores are).
type seqImporter interface {
	ImportRequestSeq(ctx context.Context, seq iter.Seq2[*data.Request, error]) (inserted, updated int, err error)
}

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "import", "import chicago [flags] FILE.csv...")
	batchSize := fs.Int("batch", 0, "requests per store transaction (0: a whole file in one transaction)")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) < 2 || pos[0] != "chicago" {
		return usagef("import: usage: geo311 import chicago FILE.csv... (Chicago Data Portal 311 exports)")
	}
	if *batchSize < 0 || *batchSize > 10_000_000 {
		return usagef("import: --batch must be 0 to 10000000")
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
	im := &importer{j: a.j, rt: rt, rs: rs, batch: *batchSize, stderr: e.stderr, st: newImportStats()}
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

// importer imports files into a request store. Each file runs through a
// pipeline: one goroutine parses the CSV (the reader is sequential) and
// reports row errors in order; workers on every core route blocks of rows
// and compare the city's areas with geo311's; the store takes the routed
// rows in file order as a stream (seqImporter), so the store is the only
// serial stage and a file of millions of rows needs the memory of a few
// blocks.
type importer struct {
	j       *data.Jurisdiction
	rt      *geo.Router
	rs      data.RequestStore
	batch   int // rows per transaction; 0: the whole file
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

// block is a run of parsed rows on its way through the pipeline; ready is
// closed once a worker has routed it (or err is set).
type block struct {
	rs    []*data.Request
	st    importStats // the block's rows, row errors, routing and comparison
	err   error       // the file could not be read further
	ready chan struct{}
}

func (im *importer) file(ctx context.Context, name string, onRead func(int64)) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return im.read(ctx, name, f, onRead)
}

// read imports the export in in, named name in messages.
func (im *importer) read(ctx context.Context, name string, in io.Reader, onRead func(int64)) error {
	rd, err := chicago311.NewReader(&countingReader{r: in, fn: onRead})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ordered := im.pipeline(ctx, name, rd)
	defer func() {
		cancel()
		for range ordered { // let the pipeline wind down
		}
	}()

	// requests yields the rows in file order, with their statistics
	// merged, until the file ends, limit rows (if > 0) or a read error.
	var (
		pending   *block
		pendingAt int
		eof       bool
		readErr   error // the file could not be read to its end
	)
	requests := func(limit int) iter.Seq2[*data.Request, error] {
		return func(yield func(*data.Request, error) bool) {
			n := 0
			for limit == 0 || n < limit {
				if pending == nil || pendingAt == len(pending.rs) {
					b, ok := <-ordered
					if !ok {
						eof = true
						if err := ctx.Err(); err != nil {
							yield(nil, err)
						}
						return
					}
					<-b.ready
					if b.err != nil {
						eof, readErr = true, b.err
						yield(nil, b.err)
						return
					}
					im.st.add(&b.st)
					pending, pendingAt = b, 0
					continue
				}
				r := pending.rs[pendingAt]
				pending.rs[pendingAt] = nil
				pendingAt++
				n++
				if !yield(r, nil) {
					return
				}
			}
		}
	}
	for !eof {
		ins, upd, err := im.store(ctx, requests(im.batch))
		if readErr != nil {
			return fmt.Errorf("%s: %w", name, readErr)
		}
		if err != nil {
			return fmt.Errorf("%s: import requests: %w", name, err)
		}
		im.st.Imported += ins
		im.st.Updated += upd
	}
	return nil
}

// store imports the rows of seq in one transaction: as a stream when the
// store takes one, else in batches of im.batch (defaultBatch if 0).
func (im *importer) store(ctx context.Context, seq iter.Seq2[*data.Request, error]) (inserted, updated int, err error) {
	if s, ok := im.rs.(seqImporter); ok {
		return s.ImportRequestSeq(ctx, seq)
	}
	size := im.batch
	if size == 0 {
		size = defaultBatch
	}
	var rs []*data.Request
	flush := func() error {
		if len(rs) == 0 {
			return nil
		}
		i, u, err := im.rs.ImportRequests(ctx, rs)
		inserted, updated = inserted+i, updated+u
		rs = rs[:0]
		return err
	}
	for r, err := range seq {
		if err != nil {
			return inserted, updated, err
		}
		if rs = append(rs, r); len(rs) == size {
			if err := flush(); err != nil {
				return inserted, updated, err
			}
		}
	}
	return inserted, updated, flush()
}

// pipeline parses rd and routes its rows on every core, and returns the
// blocks in file order; each is ready once routed. The channel closes at
// the end of the file, after a read error (the last block carries it) or
// when ctx is cancelled.
func (im *importer) pipeline(ctx context.Context, name string, rd *chicago311.Reader) <-chan *block {
	workers := runtime.GOMAXPROCS(0)
	ordered := make(chan *block, 4*workers)
	work := make(chan *block, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var buf []data.AreaRef
			for b := range work {
				for _, r := range b.rs {
					buf = prepareRequest(im.j, im.rt, r, true, buf, &b.st)
					if !chicago311.HasLocation(r) {
						b.st.NoLocation++
					}
					b.st.compare(r)
				}
				close(b.ready)
			}
		})
	}
	go func() {
		defer func() {
			close(work)
			wg.Wait()
			close(ordered)
		}()
		send := func(b *block) bool {
			select {
			case ordered <- b:
			case <-ctx.Done():
				return false
			}
			if b.err != nil {
				close(b.ready)
				return true
			}
			select {
			case work <- b:
				return true
			case <-ctx.Done():
				close(b.ready)
				return false
			}
		}
		b := &block{st: newImportStats(), ready: make(chan struct{})}
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			var re *chicago311.RowError
			if errors.As(err, &re) {
				b.st.RowErrors++
				if im.printed < maxPrintedRowErrors {
					fmt.Fprintf(im.stderr, "%s:%d: %v\n", name, re.Line, re)
				} else if im.printed == maxPrintedRowErrors {
					fmt.Fprintf(im.stderr, "(further row errors are counted, not printed)\n")
				}
				im.printed++
				continue
			}
			if err != nil {
				b.err = err
				send(b)
				return
			}
			b.st.Rows++
			b.rs = append(b.rs, r)
			if len(b.rs) == importBlock {
				if !send(b) {
					return
				}
				b = &block{st: newImportStats(), ready: make(chan struct{})}
			}
		}
		send(b)
	}()
	return ordered
}

// prepareRequests fills what geo311 adds to requests from outside (see
// prepareRequest), on every core. It returns how many located requests
// could not be routed.
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
		wg.Go(func() {
			var st importStats
			var buf []data.AreaRef
			for _, r := range rs[lo:hi] {
				buf = prepareRequest(j, rt, r, keepOwner, buf, &st)
			}
			mu.Lock()
			unrouted += st.Unrouted
			mu.Unlock()
		})
	}
	wg.Wait()
	return unrouted
}

// prepareRequest fills what geo311 adds to a request from outside: the
// routed areas at its time (keeping the city's RecordedAreas), its H3 cell,
// the police flag and, when unset, the SLA days of its type. keepOwner
// keeps the department and unit given (imports); otherwise the catalogue's
// routing sets them. A located request that cannot be routed counts in
// st.Unrouted. buf is scratch space, returned for the next call.
func prepareRequest(j *data.Jurisdiction, rt *geo.Router, r *data.Request, keepOwner bool, buf []data.AreaRef, st *importStats) []data.AreaRef {
	r.PoliceRelated = r.Police(j)
	if s, ok := j.Service(r.ServiceCode); ok && r.SLADays == 0 {
		r.SLADays = s.SLADays
	}
	if (r.Lon == 0 && r.Lat == 0) || geo.CheckPoint(r.Lon, r.Lat) != nil {
		return buf
	}
	if c, err := dedupe.Cell(r.Lat, r.Lon); err == nil {
		r.H3 = c
	}
	if rt == nil {
		return buf
	}
	if !keepOwner {
		rout, err := rt.Route(r.Lon, r.Lat, r.RequestedAt, r.ServiceCode)
		if err != nil {
			st.Unrouted++
			return buf
		}
		r.Areas, r.Department, r.Unit = rout.Areas, rout.Department, rout.Unit
		if r.SLADays == 0 {
			r.SLADays = rout.SLADays
		}
		return buf
	}
	refs, err := rt.Index().LocateInto(r.Lon, r.Lat, r.RequestedAt, buf[:0])
	if err != nil || len(refs) == 0 {
		st.Unrouted++
		return refs
	}
	r.Areas = append([]data.AreaRef(nil), refs...)
	return refs
}

// compare counts where the city's recorded area differs from geo311's.
func (st *importStats) compare(r *data.Request) {
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
		st.Compared[rec.Layer]++
		if got.ID != rec.ID {
			st.Differ[rec.Layer]++
			if len(st.Examples[rec.Layer]) < 3 {
				st.Examples[rec.Layer] = append(st.Examples[rec.Layer],
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
