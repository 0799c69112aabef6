package postgis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/geo311/geo311/data"
)

// CreateRequest stores a new request durably (see data.RequestStore and
// data.Intake). Intakes go through a group committer (see groupCommit):
// every intake waiting at the same time runs in one transaction, each in its
// own savepoint, and is answered after the COMMIT that holds it returned
// (synchronous_commit on: durable). Within the transaction each intake
// checks its idempotency key, holds its LockKeys (pg_advisory_xact_lock),
// reads its candidates, calls Decide, takes the next number from
// number_counters, inserts the request and its notes and, when linked,
// counts it on the primary and notes it there.
func (db *DB) CreateRequest(ctx context.Context, in data.Intake) (*data.Request, bool, error) {
	if err := data.CheckStorable(in.Request); err != nil {
		return nil, false, fmt.Errorf("postgis: create request: %w", err)
	}
	if err := in.Candidates.Validate(); err != nil {
		return nil, false, fmt.Errorf("postgis: create request: candidates: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("postgis: create request: %w", err)
	}
	return db.intake.submit(ctx, in)
}

// maxGroup bounds how many intakes share one transaction: each created
// intake is a subtransaction with its own xid, and PostgreSQL caches at most
// 64 of them per backend before snapshots get slower for everyone.
const maxGroup = 32

// committers is how many groups may be in flight at once, each on its own
// connection. Two would let one group's locks and candidates overlap the
// other's COMMIT, but in practice the second group waits anyway: for the
// number_counters row the first holds until its COMMIT, and often for an
// advisory lock of the same neighbourhood. Meanwhile the intakes split
// into two small groups. One committer takes everything waiting into one
// group: with 8 concurrent clients, 4 intakes a group instead of 2.5, and
// 400-470 HTTP intakes/s instead of 240-260 (BenchmarkIntakePostGIS, same
// machine and load); the store-level BenchmarkCreateRequest went from
// 560-590 to 710-960/s. Other processes still run their own committers;
// their groups are serialised by the same locks.
const committers = 1

// maxAttempts bounds how often an intake chosen as a deadlock victim is run
// again in a later group.
const maxAttempts = 3

// intakePlanSettings start every intake transaction. Every statement of a
// group has an index made for it (the cells' requests_h3_window for
// candidates, primary keys for the rest). On a table younger than its
// statistics the planner would scan a small table sequentially instead,
// reading every wide row for each intake (about 1 ms at 1,000 rows, most
// of a group's time). (The candidates' window is written so that only
// requests_h3_window can answer it: see filterQuery and migration 0006.)
// Generic plans, too: the notes' INSERT ... SELECT FROM unnest($1...) was
// planned again for every group (a custom plan sees the arrays' lengths and
// always looks cheaper), 0.12 ms a group; with both settings in one
// statement PostgreSQL's CPU per intake fell by about a tenth
// (BenchmarkIntakePostGIS, pg-cpu-ms/intake). TestIntakeCandidatesPlanStale-
// Statistics checks the candidates' generic plan.
var intakePlanSettings = []string{
	`SELECT set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)`,
}

// groupCommit runs intakes on one connection, committing every intake
// waiting at the time in one transaction. Why: a tracking number is taken
// from the number_counters row inside the intake's transaction (so a
// rolled-back intake returns its number), and that row lock is held until
// COMMIT has flushed the WAL. One transaction per intake would therefore
// serialise every intake of every process behind one WAL flush each (about
// 1.5 ms here, so at most ~650 intakes/s); a group shares one flush. A lone
// intake commits at once: there is no timer and no added latency.
//
// Lock order. Every group takes its locks in one global order, so groups of
// different processes cannot deadlock one another: (1) the advisory locks of
// all its intakes' LockKeys, ascending, at the start; (2) its idempotency
// keys, ascending, in one INSERT; (3) number_counters rows, in ascending
// prefix order (intakes are run sorted by prefix); (4) primaries' rows. A
// deadlock PostgreSQL still reports (an UpdateRequest holding a primary,
// primaries outside the LockKeys) rolls the victim intake back to its
// savepoint and runs it again in the next group.
//
// A carried job (deadlock victim, or a second intake with a key already in
// the group) is held by its committer until it runs again; with nothing
// else arriving, that committer runs it at once as a group of its own.
type groupCommit struct {
	db   *DB
	jobs chan *intakeJob // unbuffered: a job handed over is always answered
	quit chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	insertSQL [maxGroup + 1]string // insertGroupRequests(n) for each n

	groups, intakes atomic.Int64 // committed groups and created intakes, for benchmarks
	fallbacks       atomic.Int64 // groups commitBatched handed to commitEach
}

type intakeJob struct {
	ctx      context.Context
	in       data.Intake
	prefix   string
	attempts int
	done     chan intakeResult
}

type intakeResult struct {
	r       *data.Request
	created bool
	err     error
	retry   bool // deadlock victim: run again in the next group
}

func newGroupCommit(db *DB) *groupCommit {
	g := &groupCommit{db: db, jobs: make(chan *intakeJob), quit: make(chan struct{})}
	for n := 1; n <= maxGroup; n++ {
		g.insertSQL[n] = insertGroupRequests(n)
	}
	for range committers {
		g.wg.Add(1)
		go g.run()
	}
	return g
}

// stop ends the committer after the group it is running.
func (g *groupCommit) stop() {
	g.once.Do(func() { close(g.quit) })
	g.wg.Wait()
}

func (g *groupCommit) submit(ctx context.Context, in data.Intake) (*data.Request, bool, error) {
	r := in.Request
	job := &intakeJob{ctx: ctx, in: in, prefix: data.NumberPrefix(r.Kind, r.RequestedAt.UTC().Year()), done: make(chan intakeResult, 1)}
	select {
	case g.jobs <- job:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("postgis: create request: %w", ctx.Err())
	case <-g.quit:
		return nil, false, fmt.Errorf("postgis: create request: %w", data.Errorf(data.ErrUnavailable, "the store is closed"))
	}
	// Once handed over the job is answered: its context is checked before
	// it runs, never during (interrupting a statement would roll back the
	// whole group).
	res := <-job.done
	return res.r, res.created, res.err
}

func (g *groupCommit) run() {
	defer g.wg.Done()
	var carry []*intakeJob // jobs deferred to this committer's next group
	for {
		group := carry
		carry = nil
		if len(group) == 0 {
			select {
			case j := <-g.jobs:
				group = append(group, j)
			case <-g.quit:
				return
			}
		}
	collect:
		for len(group) < maxGroup {
			select {
			case j := <-g.jobs:
				group = append(group, j)
			default:
				break collect
			}
		}
		// One intake per idempotency key in a group: a later one waits for
		// the next group, where it finds the first one's request.
		var run []*intakeJob
		seen := map[string]bool{}
		for _, j := range group {
			if k := j.in.IdempotencyKey; k != "" {
				if seen[k] {
					carry = append(carry, j)
					continue
				}
				seen[k] = true
			}
			run = append(run, j)
		}
		for _, j := range g.commit(run) {
			carry = append(carry, j)
		}
	}
}

// commit runs a group of intakes in one transaction, answers each, and
// returns the jobs to run again: deadlock victims, and intakes whose
// LockKeys meet those of an earlier intake of the group (they could
// deduplicate against it, so they run after it, in the next group).
func (g *groupCommit) commit(group []*intakeJob) (again []*intakeJob) {
	// In arrival order (carried intakes first), so a handed-back intake
	// is kept next time.
	group, again = disjointLocks(group)
	slices.SortStableFunc(group, func(a, b *intakeJob) int {
		switch {
		case a.prefix < b.prefix:
			return -1
		case a.prefix > b.prefix:
			return 1
		}
		return 0
	})
	results := make([]intakeResult, len(group))
	defer func() {
		for i, j := range group {
			if results[i].retry && j.attempts+1 < maxAttempts {
				j.attempts++
				again = append(again, j)
				continue
			}
			j.done <- results[i]
		}
	}()
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			results[i].err = fmt.Errorf("postgis: create request: %w", err)
		}
	}
	// The statements run without the callers' contexts; see submit.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if g.commitBatched(ctx, group, results) {
		return
	}
	g.fallbacks.Add(1)
	g.commitEach(ctx, group, results)
	return
}

// commitBatched runs a group whose intakes have pairwise disjoint LockKeys
// in two pipelined round trips, however large the group:
//
//  1. BEGIN, the plan settings with the advisory locks, the idempotency
//     keys and the candidates of every intake in one statement
//     (selectGroupCandidates);
//  2. (in Go: replays read, Decide for each, rows encoded) the tracking
//     numbers, one counter update per prefix for all of its intakes; the
//     duplicate counts of primaries in one statement, the requests in one
//     INSERT, all notes (the primaries' too) in one INSERT, the
//     idempotency keys' numbers; COMMIT.
//
// Statements are few because each costs the server a bind, a cached plan
// and an executor's start and end, and the committer a queued query and a
// result: with one statement per intake for candidates, duplicate counts
// and the primaries' notes, a group of 3.6 intakes took about 11; it now
// takes about 7. (All of round trip 2 in one statement of data-modifying
// CTEs, 5 a group, measured no faster and was not kept.)
//
// The statements of round trip 2 after the counters compute each new
// number in SQL from the counter row this transaction has just updated
// (groupNumber), so the numbers, the rows and the COMMIT travel together:
// the number_counters rows are locked for that one round trip and the
// COMMIT's WAL flush only, and a group costs two round trips instead of
// five (BEGIN, three batches, COMMIT).
//
// Disjoint LockKeys mean no intake of the group can be a candidate of
// another, so reading all candidates before inserting anything decides
// exactly as one intake after the other would.
//
// It reports false, with the transaction rolled back and results as they
// were, when the database refused a statement (a value a column cannot
// hold, exhausted numbers, a deadlock): the caller then runs the group one
// intake at a time, where the refusal fails one intake only. A lost
// connection fails the whole group (true).
func (g *groupCommit) commitBatched(ctx context.Context, group []*intakeJob, results []intakeResult) bool {
	unavailable := func(op string, err error) bool {
		err = wrap(ctx, op, err)
		if errors.Is(err, data.ErrUnavailable) || ctx.Err() != nil {
			failAll(results, err)
			return true
		}
		return false
	}
	conn, err := g.db.pool.Acquire(ctx)
	if err != nil {
		failAll(results, wrap(ctx, "create request: connection", err))
		return true
	}
	defer conn.Release()
	// Ends a transaction the pipelines left open (an error stops a pipeline
	// before its COMMIT). A connection whose rollback fails is closed
	// rather than handed back to the pool inside a transaction.
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := conn.Exec(rctx, "ROLLBACK"); err != nil {
				conn.Conn().Close(rctx)
			}
		}
	}()

	// 1. Locks, idempotency keys, candidates.
	var (
		lockKeys []int64
		idemKeys []string
	)
	for i, j := range group {
		if results[i].err != nil {
			continue
		}
		lockKeys = append(lockKeys, j.in.LockKeys...)
		if j.in.IdempotencyKey != "" {
			idemKeys = append(idemKeys, j.in.IdempotencyKey)
		}
	}
	slices.Sort(lockKeys)
	lockKeys = slices.Compact(lockKeys)
	slices.Sort(idemKeys)
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	if len(lockKeys) > 0 && len(intakePlanSettings) == 1 {
		// The settings and the locks in one statement. unnest yields the
		// sorted array in order: locks are taken ascending.
		b.Queue(intakePlanSettings[0]+`, (SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k)`, lockKeys)
	} else {
		for _, s := range intakePlanSettings {
			b.Queue(s)
		}
		if len(lockKeys) > 0 {
			b.Queue(`SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`, lockKeys)
		}
	}
	fresh := map[string]bool{}
	if len(idemKeys) > 0 {
		b.Queue(`INSERT INTO idempotency_keys (key, number)
			SELECT k, '' FROM unnest($1::text[]) AS k ON CONFLICT (key) DO NOTHING RETURNING key`, idemKeys).Query(func(rows pgx.Rows) error {
			keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
			for _, k := range keys {
				fresh[k] = true
			}
			return err
		})
	}
	cands := make([][]*data.Request, len(group))
	var gc groupCandidates
	for i, j := range group {
		if results[i].err != nil || j.in.Decide == nil || gc.add(i, &j.in.Candidates) {
			continue
		}
		q := filterQuery(&j.in.Candidates)
		b.Queue(selectCandidate+q.where()+q.orderLimit(&j.in.Candidates), q.args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				c, err := scanCandidate(rows)
				if err != nil {
					return err
				}
				cands[i] = append(cands[i], c)
			}
			return rows.Err()
		})
	}
	if len(gc.idx) > 0 {
		slab := candidateSlabs.Get().(*candidateSlab)
		slab.n = 0
		defer candidateSlabs.Put(slab) // after every Decide of the group
		b.Queue(selectGroupCandidates, gc.idx, gc.cells, gc.since, gc.status).Query(func(rows pgx.Rows) error {
			return gc.read(rows, cands, slab)
		})
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return unavailable("create request: locks and candidates", err)
	}

	// Replays of idempotency keys seen before answer the first request.
	b = &pgx.Batch{}
	for i, j := range group {
		if k := j.in.IdempotencyKey; results[i].err == nil && k != "" && !fresh[k] {
			b.Queue(selectRequest+` JOIN idempotency_keys k ON k.number = r.number WHERE k.key = $1`, k).QueryRow(func(row pgx.Row) error {
				r, err := scanRequest(row)
				results[i] = intakeResult{r: r, err: err}
				return err
			})
		}
	}
	if b.Len() > 0 {
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return unavailable("create request: read the request of idempotency key", err)
		}
	}

	// 2. Decide and encode in Go; then numbers, rows and COMMIT in one
	// pipeline.
	type created struct {
		i     int
		r     *data.Request
		vals  []any
		notes []data.Note
		link  *data.DuplicateLink
		back  int64 // its number is the prefix's counter minus back
	}
	var (
		news       []created
		unusedKeys []string
		counts     = map[string]int64{}
		prefixes   []string // ascending: the group is sorted by prefix
	)
	fail := func(i int, err error) {
		results[i] = intakeResult{err: fmt.Errorf("postgis: create request: %w", err)}
		if k := group[i].in.IdempotencyKey; k != "" && fresh[k] {
			unusedKeys = append(unusedKeys, k)
		}
	}
	for i, j := range group {
		if results[i].err != nil || results[i].r != nil {
			continue
		}
		var link *data.DuplicateLink
		if j.in.Decide != nil {
			if link, err = j.in.Decide(cands[i]); err != nil {
				fail(i, err)
				continue
			}
		}
		r := cloneRequest(j.in.Request)
		if link != nil {
			r.Duplicate, r.ParentNumber = true, link.Primary
		}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = r.RequestedAt
		}
		vals, err := encodeRequest(r)
		if err != nil {
			fail(i, data.Invalid("request", "%v", err))
			continue
		}
		news = append(news, created{i: i, r: r, vals: vals, notes: intakeNotes(r, j.in.Notes, link), link: link})
		if counts[j.prefix] == 0 {
			prefixes = append(prefixes, j.prefix)
		}
		counts[j.prefix]++
	}
	if len(news) == 0 {
		return true // nothing to keep: the deferred ROLLBACK ends the transaction
	}
	// Numbers in group order within each prefix, ending at the counter.
	left := maps.Clone(counts)
	for k := range news {
		p := group[news[k].i].prefix
		left[p]--
		news[k].back = left[p]
	}
	b = &pgx.Batch{}
	last := make([]int64, len(prefixes))
	for k, p := range prefixes {
		b.Queue(`INSERT INTO number_counters AS c (prefix, n) VALUES ($1, $2)
			ON CONFLICT (prefix) DO UPDATE SET n = c.n + $2 RETURNING n`, p, counts[p]).QueryRow(func(row pgx.Row) error {
			return row.Scan(&last[k])
		})
	}
	if len(unusedKeys) > 0 {
		b.Queue(`DELETE FROM idempotency_keys WHERE key = ANY($1::text[])`, unusedKeys)
	}
	var (
		notes             []data.Note
		notePrefixes      []string
		noteBacks         []int64
		keys, keyPrefixes []string
		keyBacks          []int64
		now               = time.Now().Truncate(time.Microsecond)
	)
	// The primaries' counts in one statement, in group order (which is
	// the order their rows are locked in).
	var primaries []string
	for _, c := range news {
		if c.link != nil {
			primaries = append(primaries, c.link.Primary)
		}
	}
	if len(primaries) > 0 {
		b.Queue(`SELECT geo311_count_duplicate(p, $2) FROM unnest($1::text[]) AS p`, primaries, now)
	}
	// All the group's rows in one INSERT: per statement the server opens
	// the table's sixteen indexes and prepares the partial ones' predicates,
	// which cost as much as inserting a row (BenchmarkIntakePostGIS).
	args := make([]any, 0, len(news)*(len(writeColumns)+1))
	for _, c := range news {
		args = append(append(append(args, group[c.i].prefix), c.vals[1:]...), c.back)
	}
	b.Queue(g.insertStatement(len(news)), args...)
	// Every note of the group in one INSERT: the new requests' own, then
	// the primaries' "<number> joined as a duplicate" (onPrimary names the
	// primary; the new number goes before the text).
	var onPrimary []string
	for _, c := range news {
		j := group[c.i]
		for _, n := range c.notes {
			notes = append(notes, n)
			notePrefixes, noteBacks = append(notePrefixes, j.prefix), append(noteBacks, c.back)
		}
		if k := j.in.IdempotencyKey; k != "" {
			keys, keyPrefixes, keyBacks = append(keys, k), append(keyPrefixes, j.prefix), append(keyBacks, c.back)
		}
	}
	onPrimary = make([]string, len(notes), len(notes)+len(primaries))
	for _, c := range news {
		if c.link != nil {
			notes = append(notes, data.Note{At: c.r.RequestedAt, Actor: "system", Event: data.EventDuplicateOf,
				Text: " joined as a duplicate", Reason: c.link.Reason})
			notePrefixes, noteBacks = append(notePrefixes, group[c.i].prefix), append(noteBacks, c.back)
			onPrimary = append(onPrimary, c.link.Primary)
		}
	}
	_, ats, actors, events, texts, reasons, internal := noteArrays(notes)
	b.Queue(`INSERT INTO request_notes (number, at, actor, event, text, reason, internal)
		SELECT CASE u.on_primary WHEN '' THEN `+groupNumber("u.prefix", "u.back")+` ELSE u.on_primary END,
			u.at, u.actor, u.event,
			CASE u.on_primary WHEN '' THEN u.text ELSE `+groupNumber("u.prefix", "u.back")+` || u.text END,
			u.reason, u.internal
		FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::text[])
			AS u (prefix, back, at, actor, event, text, reason, internal, on_primary)`,
		notePrefixes, noteBacks, ats, actors, events, texts, reasons, internal, onPrimary)
	if len(keys) > 0 {
		b.Queue(`UPDATE idempotency_keys k SET number = `+groupNumber("u.prefix", "u.back")+`
			FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u (key, prefix, back) WHERE k.key = u.key`, keys, keyPrefixes, keyBacks)
	}
	committed := false
	b.Queue(`COMMIT`).Exec(func(tag pgconn.CommandTag) error {
		committed = tag.String() == "COMMIT"
		return nil
	})
	err = conn.SendBatch(ctx, b).Close()
	if !committed {
		if err == nil {
			err = errors.New("COMMIT did not commit")
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && conn.Conn().PgConn().TxStatus() == 'E' {
			// A statement before the COMMIT was refused.
			return unavailable("create request", err)
		}
		// The COMMIT failed, or the connection was lost with its outcome
		// unknown; a retry with the same idempotency key finds out.
		failAll(results, wrap(ctx, "create request: commit", err))
		return true
	}
	// Committed (an error after the COMMIT's answer changes nothing).
	for _, c := range news {
		for k, p := range prefixes {
			if p == group[c.i].prefix {
				c.r.Number = data.FormatNumber(c.r.Kind, c.r.RequestedAt.UTC().Year(), last[k]-c.back)
			}
		}
		results[c.i] = intakeResult{r: c.r, created: true}
	}
	g.groups.Add(1)
	g.intakes.Add(int64(len(news)))
	return true
}

// groupNumber is the tracking number back before the counter of prefix,
// which the group's transaction has just raised: the SQL twin of
// data.FormatNumber(kind, year, n-back).
func groupNumber(prefix, back string) string {
	return `(SELECT c.prefix || lpad((c.n - ` + back + `)::text, 8, '0') FROM number_counters c WHERE c.prefix = ` + prefix + `)`
}

// insertStatement is insertGroupRequests(n), built once per size.
func (g *groupCommit) insertStatement(n int) string {
	if n < len(g.insertSQL) {
		return g.insertSQL[n]
	}
	return insertGroupRequests(n)
}

// insertGroupRequests inserts n requests of a group in one statement. Each
// row takes len(writeColumns)+1 parameters: its prefix, writeColumns but
// the first (number), and back; its number is groupNumber(prefix, back).
// newGroupCommit builds the statement for every group size once (about
// 230 kB in all): built per group it was a twentieth of the bytes an
// HTTP intake allocates (BenchmarkIntakePostGIS -memprofile).
func insertGroupRequests(n int) string {
	w := len(writeColumns) + 1
	var b strings.Builder
	b.WriteString("INSERT INTO requests (" + strings.Join(writeColumns, ", ") + ") VALUES ")
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		base := k * w
		b.WriteString("(" + groupNumber("$"+strconv.Itoa(base+1)+"::text", "$"+strconv.Itoa(base+w)+"::bigint"))
		if w > 2 {
			b.WriteString(", " + placeholders(base+2, w-2))
		}
		b.WriteString(")")
	}
	return b.String()
}

// intakeNotes are the notes a new request is stored with: "created"
// (unless the intake brings its own), the intake's notes (timed at the
// request when untimed) and, when linked, "duplicate".
func intakeNotes(r *data.Request, in []data.Note, link *data.DuplicateLink) []data.Note {
	notes := make([]data.Note, 0, len(in)+2)
	hasCreated := false
	for _, n := range in {
		hasCreated = hasCreated || n.Event == data.EventCreated
	}
	if !hasCreated {
		notes = append(notes, data.Note{At: r.RequestedAt, Actor: "system", Event: data.EventCreated, Text: "Request received"})
	}
	for _, n := range in {
		if n.At.IsZero() {
			n.At = r.RequestedAt
		}
		notes = append(notes, n)
	}
	if link != nil {
		notes = append(notes, data.Note{At: r.RequestedAt, Actor: "system", Event: data.EventDuplicate,
			Text: "Duplicate of " + link.Primary, Reason: link.Reason})
	}
	return notes
}

// disjointLocks keeps the intakes whose LockKeys meet none of an earlier
// kept intake's, in order, and returns the others apart.
func disjointLocks(group []*intakeJob) (keep, later []*intakeJob) {
	held := map[int64]bool{}
	for _, j := range group {
		clash := false
		for _, k := range j.in.LockKeys {
			clash = clash || held[k]
		}
		if clash {
			later = append(later, j)
			continue
		}
		for _, k := range j.in.LockKeys {
			held[k] = true
		}
		keep = append(keep, j)
	}
	return keep, later
}

// failAll gives err to every intake of the group not failed yet (and to
// deadlock victims: they are not run again).
func failAll(results []intakeResult, err error) {
	for i := range results {
		if results[i].err == nil || results[i].retry {
			results[i] = intakeResult{err: err}
		}
	}
}

// commitEach runs the group one intake at a time, each in a savepoint, so
// that an intake the database refuses fails alone. It is the fallback of
// commitBatched.
func (g *groupCommit) commitEach(ctx context.Context, group []*intakeJob, results []intakeResult) {
	failAll := func(err error) { failAll(results, err) }
	tx, err := g.db.pool.Begin(ctx)
	if err != nil {
		failAll(wrap(ctx, "create request: begin", err))
		return
	}
	defer tx.Rollback(context.Background())

	var (
		lockKeys []int64
		idemKeys []string
	)
	for i, j := range group {
		if results[i].err != nil {
			continue
		}
		lockKeys = append(lockKeys, j.in.LockKeys...)
		if j.in.IdempotencyKey != "" {
			idemKeys = append(idemKeys, j.in.IdempotencyKey)
		}
	}
	slices.Sort(lockKeys)
	lockKeys = slices.Compact(lockKeys)
	slices.Sort(idemKeys)
	for _, s := range intakePlanSettings {
		if _, err := tx.Exec(ctx, s); err != nil {
			failAll(wrap(ctx, "create request: settings", err))
			return
		}
	}
	if len(lockKeys) > 0 {
		// unnest yields the sorted array in order: locks are taken ascending.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`, lockKeys); err != nil {
			failAll(wrap(ctx, "create request: lock", err))
			return
		}
	}
	fresh := map[string]bool{}
	if len(idemKeys) > 0 {
		rows, err := tx.Query(ctx, `INSERT INTO idempotency_keys (key, number)
			SELECT k, '' FROM unnest($1::text[]) AS k ON CONFLICT (key) DO NOTHING RETURNING key`, idemKeys)
		if err != nil {
			failAll(wrap(ctx, "create request: idempotency keys", err))
			return
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			failAll(wrap(ctx, "create request: idempotency keys", err))
			return
		}
		for _, k := range keys {
			fresh[k] = true
		}
	}

	now := time.Now().Truncate(time.Microsecond)
	created := 0
	var unusedKeys []string // fresh keys of intakes that failed
	for i, j := range group {
		if results[i].err != nil {
			if k := j.in.IdempotencyKey; k != "" && fresh[k] {
				unusedKeys = append(unusedKeys, k)
			}
			continue
		}
		if k := j.in.IdempotencyKey; k != "" && !fresh[k] {
			r, err := scanRequest(tx.QueryRow(ctx, selectRequest+` JOIN idempotency_keys k ON k.number = r.number WHERE k.key = $1`, k))
			if err != nil {
				results[i].err = wrap(ctx, "create request: read the request of idempotency key", err)
				continue
			}
			results[i] = intakeResult{r: r}
			continue
		}
		r, err := createInTx(ctx, tx, j.in, j.prefix, now)
		if err != nil {
			var pgErr *pgconn.PgError
			retry := errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
			if !retry && kindOf(err) == data.ErrUnavailable {
				failAll(wrap(ctx, "create request", err))
				return
			}
			results[i] = intakeResult{err: wrapIntake(err), retry: retry}
			if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT intake`); err != nil {
				failAll(wrap(ctx, "create request: rollback to savepoint", err))
				return
			}
			if k := j.in.IdempotencyKey; k != "" {
				unusedKeys = append(unusedKeys, k)
			}
			if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT intake`); err != nil {
				failAll(wrap(ctx, "create request: release savepoint", err))
				return
			}
		} else {
			results[i] = intakeResult{r: r, created: true}
			created++
		}
	}
	g.groups.Add(1)
	g.intakes.Add(int64(created))
	if created == 0 {
		return // nothing to keep: the deferred Rollback ends the transaction
	}
	if len(unusedKeys) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE key = ANY($1::text[])`, unusedKeys); err != nil {
			failAll(wrap(ctx, "create request: free idempotency keys", err))
			return
		}
	}
	if err := tx.Commit(ctx); err != nil {
		// The outcome of a COMMIT cut off by a lost connection is unknown;
		// a retry with the same idempotency key finds out.
		err = wrap(ctx, "create request: commit", err)
		for i := range results {
			if results[i].created {
				results[i] = intakeResult{err: err}
			}
		}
	}
	return
}

// wrapIntake prefixes an intake's own error; errors of the caller's Decide
// and of validation keep their identity (errors.Is).
func wrapIntake(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return wrap(context.Background(), "create request", err)
	}
	return fmt.Errorf("postgis: create request: %w", err)
}

// createInTx runs one new intake inside the group's transaction, in a
// savepoint the caller rolls back on error.
func createInTx(ctx context.Context, tx pgx.Tx, in data.Intake, prefix string, now time.Time) (*data.Request, error) {
	r := cloneRequest(in.Request)
	// Three round trips, each a pipeline: the savepoint and the
	// candidates; the number and the primary's count; the rows and the
	// release of the savepoint. After an error the rest of a pipeline is
	// skipped, so the savepoint is never released on failure.
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT intake`)
	var link *data.DuplicateLink
	if in.Decide != nil {
		var cands []*data.Request
		q := filterQuery(&in.Candidates)
		b.Queue(selectCandidate+q.where()+q.orderLimit(&in.Candidates), q.args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				c, err := scanCandidate(rows)
				if err != nil {
					return err
				}
				cands = append(cands, c)
			}
			return rows.Err()
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("read candidates: %w", err)
		}
		b = &pgx.Batch{}
		var err error
		if link, err = in.Decide(cands); err != nil {
			return nil, err
		}
	}

	// The number, the primary's count, the rows and the release of the
	// savepoint: one pipeline. The statements after the counter read the
	// number from the counter row this transaction just updated.
	if link != nil {
		r.Duplicate, r.ParentNumber = true, link.Primary
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.RequestedAt
	}
	vals, err := encodeRequest(r)
	if err != nil {
		return nil, data.Invalid("request", "%v", err)
	}
	vals[0] = prefix // insertNewRequest's $1

	notes := intakeNotes(r, in.Notes, link)

	var seq int64
	b.Queue(`INSERT INTO number_counters AS c (prefix, n) VALUES ($1, 1)
		ON CONFLICT (prefix) DO UPDATE SET n = c.n + 1 RETURNING n`, prefix).QueryRow(func(row pgx.Row) error {
		return row.Scan(&seq)
	})
	if link != nil {
		b.Queue(`SELECT geo311_count_duplicate($1, $2)`, link.Primary, now)
	}
	b.Queue(insertNewRequest, vals...)
	_, ats, actors, events, texts, reasons, internal := noteArrays(notes)
	b.Queue(`INSERT INTO request_notes (number, at, actor, event, text, reason, internal)
		SELECT `+newNumber+`, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])`,
		prefix, ats, actors, events, texts, reasons, internal)
	if link != nil {
		b.Queue(`INSERT INTO request_notes (number, at, actor, event, text, reason, internal)
			VALUES ($2, $3, 'system', $4, `+newNumber+` || ' joined as a duplicate', $5, false)`,
			prefix, link.Primary, r.RequestedAt, string(data.EventDuplicateOf), link.Reason)
	}
	if in.IdempotencyKey != "" {
		b.Queue(`UPDATE idempotency_keys SET number = `+newNumber+` WHERE key = $2`, prefix, in.IdempotencyKey)
	}
	b.Queue(`RELEASE SAVEPOINT intake`)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.ConstraintName == "number_counters_n_check":
			return nil, data.Errorf(data.ErrUnavailable, "the tracking numbers %s are exhausted", prefix)
		case errors.As(err, &pgErr) && pgErr.Code == "P0002" && link != nil: // no_data_found, from geo311_count_duplicate
			return nil, data.Errorf(data.ErrConflict, "dedupe chose primary %q, which does not exist", link.Primary)
		}
		return nil, err
	}
	r.Number = data.FormatNumber(r.Kind, r.RequestedAt.UTC().Year(), seq)
	return r, nil
}

// newNumber is the number the intake's transaction just took for prefix $1.
const newNumber = `(SELECT c.prefix || lpad(c.n::text, 8, '0') FROM number_counters c WHERE c.prefix = $1)`

// insertNewRequest inserts a request whose number is newNumber.
var insertNewRequest = strings.Replace(insertRequest, "VALUES ($1,", "VALUES ("+newNumber+",", 1)
