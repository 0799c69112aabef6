package postgis

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/geo311/geo311/data"
)

// A bulk import into an empty requests table loads a shadow table and
// builds its indexes two at a time on their own connections, then swaps it
// in.
//
// Inside one transaction the rows are COPYed by one backend, and the index
// builds run one after another: B-tree builds sort with the server's
// parallel maintenance workers, but each ends with a serial merge and
// write, and the GiST build is serial throughout, so on a small server a
// core idles for a good part of the import. Only committed rows can be
// loaded or indexed by another connection, so the rows go to a shadow
// table instead:
//
//  1. Another connection creates geo311_import_<pid>_<start>_<n> (LIKE
//     requests INCLUDING ALL EXCLUDING INDEXES: columns, defaults,
//     identity, CHECK constraints), autovacuum off, and commits it; pid
//     and start are those of the main transaction's backend.
//  2. The import's transaction (the main one) locks requests, and the
//     tables whose foreign keys reference it, in ACCESS EXCLUSIVE mode, as
//     the in-place path does (so no transaction can wait for the import
//     while holding a lock the swap needs), and checks that requests is
//     empty and plain: nothing the swap below would lose (grants,
//     triggers, rules, policies, comments, storage options, statistics
//     objects, publications, inheritance, views or other objects that
//     depend on it; see shadowEligible), and that the shadow table still
//     has its columns. Otherwise it drops the shadow table and the import
//     goes on in place. It drops the shadow tables of imports whose main
//     backend is gone. The partial indexes that no request of the first
//     chunk belongs to are made on the shadow table, empty, and maintained
//     by COPY (see dropSecondaryIndexes).
//  3. shadowLoaders connections COPY the chunks into it, each in its own
//     transaction, a number always on the same connection, and commit the
//     rows. One: two loaders (so that the server's side of COPY ran on two
//     backends) made the COPY phase no shorter on two cores and cost about
//     1.7 server CPU-s more per million rows, and their heap, extended by
//     both at once, made the builds cost about 6 CPU-s more
//     (BenchmarkImportSeq-style runs, one loader against two, alternated).
//  4. Every other index, the primary key's and the unique number's
//     included, is built on the shadow table, shadowConns builds at a
//     time, each its own transaction on one of those connections (CREATE
//     INDEX takes a SHARE lock, so builds of one table run together). A
//     number COPYed in two chunks (twice by one connection, in order) fails
//     the unique build: the earlier copies are deleted, counted as
//     updates, and the build runs again.
//  5. The main transaction swaps: it drops the foreign keys that reference
//     requests, drops requests, renames the shadow table, its identity
//     sequences and its indexes to the old names, turns autovacuum back on
//     (requests had no storage options), turns the key indexes
//     into the PRIMARY KEY and UNIQUE constraints (USING INDEX), adds the
//     foreign keys again (request_notes is empty: requests was), raises
//     the number counters and commits.
//
// All or nothing: requests changes only when the main transaction
// commits; the shadow table is committed early but is no part of the
// schema until then. A failure rolls the main transaction back and drops
// the shadow table. A process that dies leaves the shadow table behind
// (its main transaction aborts when its connection closes): the next bulk
// import into an empty table drops it (dropAbandoned). Only REPEATABLE
// READ transactions that started before the swap and first read requests
// after it see the rows early, as after a TRUNCATE (PostgreSQL's catalogue
// changes are not MVCC-safe). Two builds at a time take up to twice
// importMaintenanceMem of server memory.
const (
	shadowConns   = 2 // connections that build the shadow table's indexes
	shadowLoaders = 1 // of those, how many load it
	shadowPrefix  = "geo311_import_"
	// shadowLockTimeout bounds the shadow connection's wait for a lock on
	// requests (CREATE TABLE ... LIKE takes ACCESS SHARE) before the main
	// transaction locks it: queued behind an ACCESS EXCLUSIVE request that
	// waits for the main transaction's own ACCESS SHARE (it may have
	// counted the rows), the wait would be a deadlock PostgreSQL cannot
	// see. The import then takes the in-place path.
	shadowLockTimeout = "5s"
)

// shadowImport is the state of one shadow-table import.
type shadowImport struct {
	tx      pgx.Tx          // the import's main transaction
	pool    *pgxpool.Pool   // for the cleanup
	conns   []*pgxpool.Conn // load and build
	table   pgx.Identifier  // the shadow table, schema-qualified
	load    []*shadowLoader // one per loading connection, until the rows are committed
	seed    maphash.Seed    // sends a number to a loader
	loaders int             // how many of conns load
	plan    shadowPlan      // what to build and how to swap
	tmp     atomic.Int64    // names of temporary indexes
}

// shadowPlan is what the main transaction read of requests under its lock.
type shadowPlan struct {
	schema  string
	indexes []*shadowIndex
	fkeys   []shadowFK
	seqs    []shadowSeq
}

// shadowIndex is one index of requests, made again on the shadow table.
type shadowIndex struct {
	name      string // its name on requests
	using     string // the definition after "USING "
	unique    bool
	gist      bool
	textFirst bool   // a B-tree of two or more keys led by a collatable one (text): the slow sorts
	kept      bool   // made before the rows (a partial index of no row of the first chunk)
	con       string // the constraint it implements ("" if none)
	conType   string // "PRIMARY KEY" or "UNIQUE"
	number    bool   // the unique number index: repeated numbers are resolved
	tmp       string // its name on the shadow table
	createSQL string
}

// shadowFK is a foreign key of another table that references requests.
type shadowFK struct{ table, name, def string }

// shadowSeq is an identity column's sequence.
type shadowSeq struct{ column, name string }

// startShadow begins a shadow-table import if requests is empty and plain
// (see the comment above), else returns nil and the import goes on in
// place. first is the chunk that starts the bulk path.
func (db *DB) startShadow(ctx context.Context, tx pgx.Tx, first []*data.Request, conns, loaders int) (*shadowImport, error) {
	if max := int(db.pool.Config().MaxConns) - 1; conns > max {
		conns = max // the main transaction holds one connection
	}
	if conns < 1 {
		return nil, nil
	}
	// The connections are taken before the lock: once requests is locked,
	// other users of the pool may wait for it while holding theirs.
	s := &shadowImport{tx: tx, pool: db.pool, loaders: min(max(loaders, 1), conns)}
	for range conns {
		c, err := db.pool.Acquire(ctx)
		if err != nil {
			s.release()
			return nil, err
		}
		s.conns = append(s.conns, c)
	}
	ok, err := s.prepare(ctx, first)
	if err != nil {
		s.close(ctx) // the import fails: drop what was made
		return nil, err
	}
	if !ok {
		s.release() // nothing was made: the import goes on in place
		return nil, nil
	}
	return s, nil
}

// prepare creates the shadow table, locks requests, reads the plan and
// starts the loaders. It returns false, having dropped what it made, if
// requests is not empty or not plain, or if the shadow table could not be
// made for a lock it could not take or does not match requests.
func (s *shadowImport) prepare(ctx context.Context, first []*data.Request) (bool, error) {
	tx := s.tx
	var (
		pid    int32
		start  int64
		schema string
	)
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid(),
		(SELECT extract(epoch FROM backend_start)::bigint FROM pg_stat_activity WHERE pid = pg_backend_pid()),
		(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'requests'::regclass)`).Scan(&pid, &start, &schema); err != nil {
		return false, err
	}
	// The name says whose it is: the main transaction's backend, by pid and
	// start time (see dropAbandoned).
	name := fmt.Sprintf("%s%d_%d_%x", shadowPrefix, pid, start, time.Now().UnixNano())
	s.table = pgx.Identifier{schema, name}
	made, err := s.create(ctx)
	if err != nil || !made {
		return false, err
	}
	ok, err := s.lock(ctx, first)
	if err != nil {
		return false, err
	}
	if !ok {
		// Nothing but the catalogue was read of it: drop it now.
		if _, err := s.conns[0].Exec(ctx, `DROP TABLE `+s.table.Sanitize()); err != nil {
			return false, err
		}
		return false, nil
	}
	s.seed = maphash.MakeSeed()
	for _, c := range s.conns[:s.loaders] {
		l := &shadowLoader{in: make(chan []*data.Request, 1), done: make(chan struct{})}
		tx, err := c.Begin(ctx)
		if err != nil {
			s.stopLoaders()
			return false, err
		}
		l.tx = tx
		s.load = append(s.load, l)
		go l.run(ctx, s.table, l.in)
	}
	return true, nil
}

// create makes the shadow table and commits it, before the main
// transaction locks requests (CREATE TABLE ... LIKE needs a lock on it).
// It returns false, having made nothing, if that lock could not be had in
// time.
func (s *shadowImport) create(ctx context.Context) (bool, error) {
	err := pgx.BeginFunc(ctx, s.conns[0], func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '`+shadowLockTimeout+`'`); err != nil {
			return err
		}
		// Autovacuum is off until the swap: the loaded rows are committed
		// before the builds, and an autovacuum of them would compete with
		// the builds for the server's cores and take a lock each build
		// waits for.
		_, err := tx.Exec(ctx, `CREATE TABLE `+s.table.Sanitize()+` (LIKE requests INCLUDING ALL EXCLUDING INDEXES)
			WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false)`)
		return err
	})
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "55P03" {
		return false, nil
	}
	return err == nil, err
}

// lock takes what the in-place path would take (ACCESS EXCLUSIVE on
// requests and on the tables whose foreign keys reference it), so that no
// transaction can get in and wait for the import while holding a lock the
// swap needs, checks that requests is empty and plain and that the shadow
// table matches it, reads the plan, drops abandoned shadow tables and
// makes the kept indexes and the identity sequences' values. It returns
// false if the import must go on in place.
func (s *shadowImport) lock(ctx context.Context, first []*data.Request) (bool, error) {
	tx := s.tx
	if _, err := tx.Exec(ctx, `LOCK TABLE requests IN ACCESS EXCLUSIVE MODE`); err != nil {
		return false, err
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT FROM requests) AND `+shadowEligible).Scan(&ok); err != nil || !ok {
		return false, err
	}
	plan, ok, err := readShadowPlan(ctx, tx, first)
	if err != nil || !ok {
		return false, err
	}
	s.plan = plan
	for _, fk := range plan.fkeys {
		if _, err := tx.Exec(ctx, `LOCK TABLE `+fk.table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
			return false, err
		}
	}
	// A migration may have changed requests between CREATE TABLE ... LIKE
	// and the lock.
	defs, err := shadowStrings(ctx, tx, shadowColumns, s.table.Sanitize())
	if err != nil {
		return false, err
	}
	if len(defs) != 2 || defs[0] != defs[1] {
		return false, nil
	}
	// The main transaction sits idle while the rows load and the indexes
	// build; a server-wide idle timeout must not end it.
	if _, err := tx.Exec(ctx, `SET LOCAL idle_in_transaction_session_timeout = 0`); err != nil {
		return false, err
	}
	if err := dropAbandoned(ctx, tx, plan.schema); err != nil {
		return false, err
	}
	for _, ix := range plan.indexes {
		ix.tmp = fmt.Sprintf("%s_%d", s.table[1], s.tmp.Add(1))
		ix.createSQL = "CREATE " + map[bool]string{true: "UNIQUE ", false: ""}[ix.unique] + "INDEX " +
			pgx.Identifier{ix.tmp}.Sanitize() + " ON " + s.table.Sanitize() + " USING " + ix.using
	}
	err = pgx.BeginFunc(ctx, s.conns[0], func(ltx pgx.Tx) error {
		// Identity sequences continue from requests' own.
		for _, q := range plan.seqs {
			if _, err := ltx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), s.last_value, s.is_called)
				FROM `+pgx.Identifier{plan.schema, q.name}.Sanitize()+` s`, s.table.Sanitize(), q.column); err != nil {
				return err
			}
		}
		for _, ix := range plan.indexes {
			if ix.kept {
				if _, err := ltx.Exec(ctx, ix.createSQL); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return err == nil, err
}

// shadowColumns returns, for requests and for the table $1, its columns
// (name, type, collation, storage, nullability, identity, generation,
// default) and CHECK constraints, as one text each.
const shadowColumns = `SELECT (SELECT string_agg(format('%s %s %s %s %s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
			a.attcollation, a.attstorage, a.attcompression, a.attnotnull, a.attidentity, a.attgenerated)
			|| coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped)
	|| ' | ' || coalesce((SELECT string_agg(k.conname || ' ' || pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
		FROM pg_constraint k WHERE k.conrelid = t.oid AND k.contype = 'c'), '')
	FROM (VALUES (1, 'requests'::regclass), (2, $1::regclass)) AS t(n, oid) ORDER BY t.n`

// dropAbandoned drops the shadow tables of schema left by imports whose
// main transaction's backend is gone (a process that died, a lost
// connection, a cleanup that failed): their names carry the pid and start
// time of that backend. Tables of other roles are left alone (they cannot
// be dropped, and their sessions' start times cannot be seen).
func dropAbandoned(ctx context.Context, tx pgx.Tx, schema string) error {
	names, err := shadowStrings(ctx, tx, `SELECT c.relname::text FROM pg_class c
		WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
		AND c.relname ~ ('^' || $2 || '[0-9]+_[0-9]+_[0-9a-f]+$')
		AND NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = split_part(c.relname, '_', 3)::int
			AND extract(epoch FROM a.backend_start)::bigint = split_part(c.relname, '_', 4)::bigint)
		ORDER BY 1`, pgx.Identifier{schema}.Sanitize(), shadowPrefix)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{schema, n}.Sanitize()); err != nil {
			return fmt.Errorf("drop the abandoned %s: %w", n, err)
		}
	}
	return nil
}

// shadowLoader COPYs the rows it is sent into the shadow table, in its own
// transaction on its own connection.
type shadowLoader struct {
	tx     pgx.Tx
	in     chan []*data.Request
	closed bool          // in is closed
	done   chan struct{} // closed when run returns
	ins    int64         // rows copied, read after done
	err    error         // the first failure, read after done or fail; later rows are dropped
	fail   atomic.Bool   // err is set
}

func (l *shadowLoader) run(ctx context.Context, table pgx.Identifier, in <-chan []*data.Request) {
	defer close(l.done)
	for rs := range in {
		if l.fail.Load() {
			continue // drained, so that write never blocks
		}
		n, err := copyRequests(ctx, l.tx, table, rs)
		if err != nil {
			l.err = fmt.Errorf("copy: %w", err)
			l.fail.Store(true)
			continue
		}
		l.ins += n
	}
}

// write sends the rows of one chunk to the loaders, each number always to
// the same loader, so that a number listed in two chunks is copied twice
// by one transaction, in listing order (buildIndex keeps the later copy).
// A number listed twice in the chunk is sent once (the last listing); the
// earlier listings count as updates. Inserted rows are counted by loaded.
func (s *shadowImport) write(ctx context.Context, chunk []*data.Request) (upd int64, err error) {
	for _, l := range s.load {
		if l.fail.Load() {
			return 0, l.err
		}
	}
	last := make(map[string]int, len(chunk))
	for i, r := range chunk {
		last[r.Number] = i
	}
	parts := make([][]*data.Request, len(s.load))
	for i, r := range chunk {
		if last[r.Number] == i {
			k := maphash.String(s.seed, r.Number) % uint64(len(parts))
			parts[k] = append(parts[k], r)
		}
	}
	for k, l := range s.load {
		if len(parts[k]) == 0 {
			continue
		}
		select {
		case l.in <- parts[k]:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return int64(len(chunk) - len(last)), nil
}

// loaded waits for the loaders and commits their rows; it returns how many
// rows they copied.
func (s *shadowImport) loaded(ctx context.Context) (int64, error) {
	if errs := s.stopLoaders(); len(errs) > 0 {
		return 0, errors.Join(errs...) // close rolls back
	}
	var ins int64
	for _, l := range s.load {
		ins += l.ins
		if err := l.tx.Commit(ctx); err != nil {
			return 0, err
		}
	}
	s.load = nil
	return ins, nil
}

// stopLoaders tells the loaders no more rows come and waits for them; it
// returns their errors.
func (s *shadowImport) stopLoaders() []error {
	var errs []error
	for _, l := range s.load {
		if !l.closed {
			close(l.in)
			l.closed = true
		}
	}
	for _, l := range s.load {
		<-l.done
		if l.err != nil {
			errs = append(errs, l.err)
		}
	}
	return errs
}

// build makes every index not kept on the shadow table, one per
// connection at a time, longest first, so that the last builds to end are
// short: the GiST builds (serial), the B-trees led by a text column (many
// equal leading keys: the sort compares both columns, through the tuples,
// on almost every comparison), the keys, then the rest. It returns how
// many earlier copies of repeated numbers it deleted.
func (s *shadowImport) build(ctx context.Context) (repeated int64, err error) {
	var todo []*shadowIndex
	for _, ix := range s.plan.indexes {
		if !ix.kept {
			todo = append(todo, ix)
		}
	}
	rank := func(ix *shadowIndex) int {
		switch {
		case ix.gist:
			return 0
		case ix.textFirst:
			return 1
		case ix.con != "":
			return 2
		}
		return 3
	}
	slices.SortStableFunc(todo, func(a, b *shadowIndex) int { return rank(a) - rank(b) })
	jobs := make(chan *shadowIndex, len(todo))
	for _, ix := range todo {
		jobs <- ix
	}
	close(jobs)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		deleted atomic.Int64
	)
	for _, c := range s.conns {
		wg.Go(func() {
			for ix := range jobs {
				if ctx.Err() != nil {
					return
				}
				n, err := s.buildIndex(ctx, c, ix)
				if err != nil {
					cancel(fmt.Errorf("%s: %w", ix.name, err))
					return
				}
				deleted.Add(n)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return deleted.Load(), nil
}

// buildIndex builds ix on its own connection and commits it. If ix is the
// unique number index and a number was COPYed twice, the earlier copies
// (smaller id: chunks are copied in order) are deleted and it is built
// again; it returns how many were deleted.
func (s *shadowImport) buildIndex(ctx context.Context, c *pgxpool.Conn, ix *shadowIndex) (int64, error) {
	run := func() error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '`+importMaintenanceMem+`'`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, ix.createSQL)
			return err
		})
	}
	err := run()
	var pgErr *pgconn.PgError
	if !ix.number || !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return 0, err
	}
	t := s.table.Sanitize()
	tag, err := c.Exec(ctx, `DELETE FROM `+t+` a USING `+t+` b WHERE a.number = b.number AND a.id < b.id`)
	if err != nil {
		return 0, fmt.Errorf("remove repeated numbers: %w", err)
	}
	return tag.RowsAffected(), run()
}

// swap replaces requests with the shadow table in the main transaction.
func (s *shadowImport) swap(ctx context.Context) error {
	tx, p := s.tx, s.plan
	var stmts []string
	for _, fk := range p.fkeys {
		stmts = append(stmts, `ALTER TABLE `+fk.table+` DROP CONSTRAINT `+pgx.Identifier{fk.name}.Sanitize())
	}
	requests := pgx.Identifier{p.schema, "requests"}.Sanitize()
	stmts = append(stmts, `DROP TABLE `+requests,
		`ALTER TABLE `+s.table.Sanitize()+` RENAME TO requests`,
		`ALTER TABLE `+requests+` RESET (autovacuum_enabled, toast.autovacuum_enabled)`)
	for _, q := range p.seqs {
		var seq string
		if err := tx.QueryRow(ctx, `SELECT pg_get_serial_sequence($1, $2)`, s.table.Sanitize(), q.column).Scan(&seq); err != nil {
			return err
		}
		stmts = append(stmts, `ALTER SEQUENCE `+seq+` RENAME TO `+pgx.Identifier{q.name}.Sanitize())
	}
	for _, ix := range p.indexes {
		tmp := pgx.Identifier{p.schema, ix.tmp}.Sanitize()
		if ix.con != "" {
			stmts = append(stmts, `ALTER TABLE `+requests+` ADD CONSTRAINT `+pgx.Identifier{ix.con}.Sanitize()+` `+ix.conType+` USING INDEX `+pgx.Identifier{ix.tmp}.Sanitize())
			if ix.con != ix.name {
				stmts = append(stmts, `ALTER INDEX `+pgx.Identifier{p.schema, ix.con}.Sanitize()+` RENAME TO `+pgx.Identifier{ix.name}.Sanitize())
			}
			continue
		}
		stmts = append(stmts, `ALTER INDEX `+tmp+` RENAME TO `+pgx.Identifier{ix.name}.Sanitize())
	}
	for _, fk := range p.fkeys {
		stmts = append(stmts, `ALTER TABLE `+fk.table+` ADD CONSTRAINT `+pgx.Identifier{fk.name}.Sanitize()+` `+fk.def)
	}
	return execAll(ctx, tx, stmts)
}

// close ends a shadow import that did not commit: it rolls back the
// loading and the main transactions, gives the connections back and drops
// the shadow table. After a commit the shadow table's name is gone and the
// drop does nothing.
func (s *shadowImport) close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	s.stopLoaders()
	for _, l := range s.load {
		l.tx.Rollback(ctx) //nolint:errcheck // the connection may be gone; the server rolls back then
	}
	s.load = nil
	s.release()
	s.tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
	if s.table != nil {
		s.pool.Exec(ctx, `DROP TABLE IF EXISTS `+s.table.Sanitize()) //nolint:errcheck // a table left behind is dropped by the next shadow import
	}
}

func (s *shadowImport) release() {
	for _, c := range s.conns {
		c.Release()
	}
	s.conns = nil
}

// shadowEligible is true when the swap would keep everything of requests
// (its columns, defaults, identity and CHECK constraints come with LIKE;
// its indexes, keys and the foreign keys that reference it are made
// again): a plain, permanent, unpartitioned table in the default
// tablespace, owned by the current user, who may create tables in its
// schema; with no grants, no storage options, no comment, no rules,
// triggers (other than those of foreign keys), row security, publication,
// inheritance or extended statistics; columns with no grants or statistics
// targets; constraints that are only valid, immediate primary key, unique
// and CHECK constraints; indexes in the default tablespace without
// comments, CLUSTER or replica identity marks; an identity sequence with
// no grants; and nothing else depending on the table or its row type
// (views, functions, other tables' columns) than foreign keys.
const shadowEligible = `(SELECT
	c.relkind = 'r' AND c.relpersistence = 'p' AND c.reltablespace = 0 AND NOT c.relispartition
	AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
	AND has_schema_privilege(c.relnamespace, 'CREATE')
	AND c.relacl IS NULL AND c.reloptions IS NULL AND c.relreplident = 'd'
	AND NOT c.relrowsecurity AND NOT c.relforcerowsecurity AND NOT c.relhasrules
	AND obj_description(c.oid, 'pg_class') IS NULL
	AND (c.reltoastrelid = 0 OR (SELECT t.reloptions IS NULL FROM pg_class t WHERE t.oid = c.reltoastrelid))
	AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = c.oid OR inhparent = c.oid)
	AND NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal)
	AND NOT EXISTS (SELECT FROM pg_policy WHERE polrelid = c.oid)
	AND NOT EXISTS (SELECT FROM pg_publication_rel WHERE prrelid = c.oid)
	AND NOT EXISTS (SELECT FROM pg_statistic_ext WHERE stxrelid = c.oid)
	AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		AND (a.attacl IS NOT NULL OR coalesce(a.attstattarget, -1) <> -1))
	AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid
		AND (k.contype NOT IN ('p', 'u', 'c') OR NOT k.convalidated OR k.condeferrable))
	AND NOT EXISTS (SELECT FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid
		AND (ic.reltablespace <> 0 OR i.indisclustered OR i.indisreplident OR NOT i.indisvalid OR NOT i.indisready
			OR obj_description(ic.oid, 'pg_class') IS NOT NULL))
	AND NOT EXISTS (SELECT FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
		WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid
		AND s.relkind = 'S' AND s.relacl IS NOT NULL)
	AND NOT EXISTS (SELECT FROM pg_depend d
		WHERE d.deptype = 'n'
		AND ((d.refclassid = 'pg_class'::regclass AND (d.refobjid = c.oid
				OR d.refobjid IN (SELECT indexrelid FROM pg_index WHERE indrelid = c.oid)))
			OR (d.refclassid = 'pg_type'::regclass AND d.refobjid = c.reltype))
		AND NOT (d.classid = 'pg_constraint'::regclass AND EXISTS (SELECT FROM pg_constraint k WHERE k.oid = d.objid
			AND ((k.contype = 'c' AND k.conrelid = c.oid) OR (k.contype = 'f' AND k.confrelid = c.oid AND k.conrelid <> c.oid)))))
	FROM pg_class c WHERE c.oid = 'requests'::regclass)`

// readShadowPlan reads the indexes, the foreign keys that reference
// requests and its identity sequences. It returns false if an index
// definition is not in the form it rewrites.
func readShadowPlan(ctx context.Context, tx pgx.Tx, first []*data.Request) (shadowPlan, bool, error) {
	var p shadowPlan
	if err := tx.QueryRow(ctx, `SELECT nspname FROM pg_namespace WHERE oid = (SELECT relnamespace FROM pg_class WHERE oid = 'requests'::regclass)`).Scan(&p.schema); err != nil {
		return p, false, err
	}
	rows, err := tx.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid),
			format('CREATE %sINDEX %I ON %I.%I USING ', CASE WHEN i.indisunique THEN 'UNIQUE ' END, c.relname, $1::text, 'requests'),
			i.indisunique, am.amname = 'gist', i.indnkeyatts > 1 AND i.indcollation[0] <> 0,
			i.indpred IS NOT NULL, coalesce(k.conname, ''), coalesce(k.contype::text, '')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
		LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u')
		WHERE i.indrelid = 'requests'::regclass ORDER BY c.relname`, p.schema)
	if err != nil {
		return p, false, err
	}
	for rows.Next() {
		var (
			ix          shadowIndex
			def, prefix string
			partial     bool
			contype     string
		)
		if err := rows.Scan(&ix.name, &def, &prefix, &ix.unique, &ix.gist, &ix.textFirst, &partial, &ix.con, &contype); err != nil {
			rows.Close()
			return p, false, err
		}
		using, ok := strings.CutPrefix(def, prefix)
		if !ok {
			rows.Close()
			return p, false, nil
		}
		ix.using = using
		switch contype {
		case "p":
			ix.conType = "PRIMARY KEY"
		case "u":
			ix.conType = "UNIQUE"
		}
		ix.number = ix.unique && using == "btree (number)"
		if in, ok := partialIndexRows[ix.name]; ok && partial && !ix.unique && !slices.ContainsFunc(first, in) {
			ix.kept = true
		}
		p.indexes = append(p.indexes, &ix)
	}
	if err := rows.Err(); err != nil {
		return p, false, err
	}
	rows, err = tx.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE contype = 'f' AND confrelid = 'requests'::regclass AND conrelid <> confrelid ORDER BY 1, 2`)
	if err != nil {
		return p, false, err
	}
	for rows.Next() {
		var fk shadowFK
		if err := rows.Scan(&fk.table, &fk.name, &fk.def); err != nil {
			rows.Close()
			return p, false, err
		}
		p.fkeys = append(p.fkeys, fk)
	}
	if err := rows.Err(); err != nil {
		return p, false, err
	}
	rows, err = tx.Query(ctx, `SELECT a.attname, s.relname
		FROM pg_attribute a
		JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
			AND d.classid = 'pg_class'::regclass AND d.deptype = 'i'
		JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		WHERE a.attrelid = 'requests'::regclass AND a.attidentity <> '' AND NOT a.attisdropped ORDER BY a.attnum`)
	if err != nil {
		return p, false, err
	}
	for rows.Next() {
		var q shadowSeq
		if err := rows.Scan(&q.column, &q.name); err != nil {
			rows.Close()
			return p, false, err
		}
		p.seqs = append(p.seqs, q)
	}
	return p, true, rows.Err()
}

// shadowStrings runs q, whose rows are one text each, and returns them.
func shadowStrings(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
