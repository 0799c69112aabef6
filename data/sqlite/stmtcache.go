package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Statements of the intake transaction. Preparing one compiles its SQL, and
// for an INSERT into requests the triggers' programs too: per intake that
// cost more than running them (BenchmarkCreateRequestParallel8's profile).
// They are prepared once on the writer connection and bound to each group
// transaction with Tx.StmtContext, which reuses the connection's prepared
// statement.
const (
	sqlIdempotencyFind = `SELECT number FROM request_idempotency WHERE key = ?`
	sqlRequestID       = `SELECT id FROM requests WHERE number = ?`
	sqlNextNumber      = `INSERT INTO request_counters (kind, year, n) VALUES (?, ?, 1)
    ON CONFLICT (kind, year) DO UPDATE SET n = n + 1 RETURNING n`
	sqlInsertNote = `INSERT INTO request_notes (request_id, at, actor, event, text, reason, internal)
    VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlCountDuplicate = `UPDATE requests SET duplicate_count = duplicate_count + 1, updated_at = ? WHERE id = ?`
	sqlIdempotencyPut = `INSERT INTO request_idempotency (key, number, created_at) VALUES (?, ?, ?)`
	sqlSavepoint      = `SAVEPOINT intake`
	sqlRollbackTo     = `ROLLBACK TO intake`
	sqlRelease        = `RELEASE intake`
)

var intakeSQL = []string{sqlIdempotencyFind, sqlRequestID, sqlNextNumber, sqlInsertNote, sqlCountDuplicate,
	sqlIdempotencyPut, insertRequest, selectRequest + ` WHERE number = ?`, sqlSavepoint, sqlRollbackTo, sqlRelease}

// maxLearned bounds the statements a cache learns (see learn). The
// candidates queries of dedupe differ only in how many cells they name and
// which flags they set, so a few dozen texts cover them.
const maxLearned = 64

// stmtCache holds statements prepared on the writer. prepare must run while
// no transaction holds the writer's only connection.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
	// learned counts the statements prepared for learn; pending are
	// those met inside a transaction, prepared by the next prepare.
	learned int
	pending []string
}

// learn marks q, a statement built at run time (the candidates query), to
// be prepared on the writer before the next transaction, unless the cache
// already holds maxLearned such statements.
func (c *stmtCache) learn(q string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[q] != nil || c.learned+len(c.pending) >= maxLearned {
		return
	}
	for _, p := range c.pending {
		if p == q {
			return
		}
	}
	c.pending = append(c.pending, q)
}

// prepare prepares the intake statements not yet prepared.
func (c *stmtCache) prepare(ctx context.Context, w *sql.DB) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	for _, q := range intakeSQL {
		if c.m[q] != nil {
			continue
		}
		s, err := w.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.m[q] = s
	}
	for len(c.pending) > 0 {
		q := c.pending[0]
		c.pending = c.pending[1:] // dropped even if it fails: it runs unprepared then
		if c.m[q] == nil {
			s, err := w.PrepareContext(ctx, q)
			if err != nil {
				return err
			}
			c.m[q] = s
			c.learned++
		}
	}
	return nil
}

// stmt returns q bound to tx: the prepared statement when cached, else a
// statement prepared in tx (closed with it). A nil cache prepares in tx.
func (c *stmtCache) stmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	if c != nil {
		c.mu.Lock()
		s := c.m[q]
		c.mu.Unlock()
		if s != nil {
			return tx.StmtContext(ctx, s), nil
		}
	}
	return tx.PrepareContext(ctx, q)
}

func (c *stmtCache) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	s, err := c.stmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// query runs q on tx; a q not yet cached is prepared in tx and learned
// (prepared on the writer before the next transaction).
func (c *stmtCache) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if c != nil {
		c.mu.Lock()
		s := c.m[q]
		c.mu.Unlock()
		if s != nil {
			return tx.StmtContext(ctx, s).QueryContext(ctx, args...)
		}
		c.learn(q)
	}
	return tx.QueryContext(ctx, q, args...)
}

func (c *stmtCache) queryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Row, error) {
	s, err := c.stmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryRowContext(ctx, args...), nil
}

// close closes the cached statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		_ = s.Close()
		delete(c.m, q)
	}
}
