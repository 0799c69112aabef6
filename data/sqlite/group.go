package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geo311/geo311/data"
)

// maxGroup bounds how many intakes share one transaction.
const maxGroup = 256

// groupCommit runs intakes on the single writer connection, committing
// every intake waiting at the time in one transaction: with
// synchronous=FULL each commit costs an fsync, and under concurrent intake
// the fsync, not the SQL, is the limit. Each intake runs inside its own
// SAVEPOINT, so a failing one (invalid, Decide error) is rolled back alone;
// every caller is answered only after the COMMIT holding its request
// returned, i.e. once it is durable. A lone intake commits at once: there
// is no timer and no added latency.
type groupCommit struct {
	db   *DB
	jobs chan *intakeJob // unbuffered: a job handed over is always answered
	quit chan struct{}
	done chan struct{}
	once sync.Once
	// commits and intakes count transactions and the intakes they held
	// (benchmarks report intakes per commit).
	commits, intakes atomic.Int64
	// stmts are the intake statements, prepared on the writer (used by the
	// run goroutine only; closed when it ends).
	stmts stmtCache
}

type intakeJob struct {
	ctx  context.Context
	in   data.Intake
	done chan intakeResult
}

func newGroupCommit(db *DB) *groupCommit {
	g := &groupCommit{db: db, jobs: make(chan *intakeJob), quit: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// stop ends the writer goroutine after the group it is running.
func (g *groupCommit) stop() {
	g.once.Do(func() { close(g.quit) })
	<-g.done
}

func (g *groupCommit) submit(ctx context.Context, in data.Intake) (*data.Request, bool, error) {
	job := &intakeJob{ctx: ctx, in: in, done: make(chan intakeResult, 1)}
	select {
	case g.jobs <- job:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("sqlite: create request: %w", ctx.Err())
	case <-g.quit:
		return nil, false, fmt.Errorf("sqlite: create request: %w", data.Errorf(data.ErrUnavailable, "the database is closed"))
	}
	// Once handed over the job is answered: its context is checked before
	// it runs, never during (interrupting a statement would roll back the
	// whole group).
	res := <-job.done
	return res.r, res.created, res.err
}

func (g *groupCommit) run() {
	defer close(g.done)
	defer g.stmts.close()
	for {
		var first *intakeJob
		select {
		case first = <-g.jobs:
		case <-g.quit:
			return
		}
		group := []*intakeJob{first}
	collect:
		for len(group) < maxGroup {
			select {
			case j := <-g.jobs:
				group = append(group, j)
			default:
				break collect
			}
		}
		g.commit(group)
		g.commits.Add(1)
		g.intakes.Add(int64(len(group)))
	}
}

// commit runs a group of intakes in one transaction and answers each.
func (g *groupCommit) commit(group []*intakeJob) {
	results := make([]intakeResult, len(group))
	answer := func() {
		for i, j := range group {
			j.done <- results[i]
		}
	}
	defer answer()
	failAll := func(err error) {
		for i := range results {
			if results[i].err == nil {
				results[i] = intakeResult{err: err}
			}
		}
	}
	// The statements run without the callers' contexts; see submit.
	ctx := context.Background()
	// Prepared before BeginTx: the writer has a single connection, which
	// the transaction then holds. A failure only costs speed: createInTx
	// prepares what is missing inside the transaction.
	_ = g.stmts.prepare(ctx, g.db.w)
	tx, err := g.db.w.BeginTx(ctx, nil)
	if err != nil {
		failAll(wrap(ctx, "create request: begin", err))
		return
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	now := time.Now()
	ok := 0
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			results[i].err = fmt.Errorf("sqlite: create request: %w", err)
			continue
		}
		if _, err := g.stmts.exec(ctx, tx, sqlSavepoint); err != nil {
			failAll(wrap(ctx, "create request: savepoint", err))
			return
		}
		r, created, err := createInTx(ctx, tx, &g.stmts, j.in, now)
		if err != nil {
			results[i].err = fmt.Errorf("sqlite: create request: %w", err)
			if _, err := g.stmts.exec(ctx, tx, sqlRollbackTo); err != nil {
				failAll(wrap(ctx, "create request: rollback to savepoint", err))
				return
			}
		} else {
			results[i] = intakeResult{r: r, created: created}
			ok++
		}
		if _, err := g.stmts.exec(ctx, tx, sqlRelease); err != nil {
			failAll(wrap(ctx, "create request: release savepoint", err))
			return
		}
	}
	if ok == 0 {
		return // nothing to keep: the deferred Rollback ends the transaction
	}
	if err := tx.Commit(); err != nil {
		err = wrap(ctx, "create request: commit", err)
		for i := range results {
			if results[i].err == nil {
				results[i] = intakeResult{err: err}
			}
		}
		return
	}
	for i := range results {
		if results[i].r != nil {
			results[i].r = cloneRequest(results[i].r)
		}
	}
}
