// Package sqlite is the SQLite backend of store.Store, on the pure-Go
// modernc.org/sqlite driver (no cgo, so the binary cross-compiles).
//
// Layout: every row keeps its whole JSON document in a `doc` column and
// copies the fields that filters, sorts and unique constraints need into
// indexed columns (times as unix microseconds). Reading is one unmarshal;
// a new field in a document needs no migration unless it is queried.
//
// Concurrency: WAL mode, one write connection (SQLite allows one writer at
// a time anyway, so queueing in Go beats busy-waiting in the driver) and a
// pool of read connections that never block on the writer. Each store call
// is one transaction; conditional writes check the run version inside it.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite store.
type Store struct {
	w *sql.DB // the single writer, used only by the writer goroutine
	r *sql.DB // readers (the writer itself for in-memory databases)

	prep  map[string]*sql.Stmt // hot statements prepared on the writer
	reads map[string]*sql.Stmt // hot statements prepared on the readers

	flowRuns *runCache[core.FlowRun]
	taskRuns *runCache[core.TaskRun]

	jobs       chan *writeJob
	closed     chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

var _ store.Store = (*Store)(nil)

var memSeq atomic.Int64

// ParseURL turns sqlite:///abs/path.db, sqlite:///:memory:, sqlite://:memory:
// or :memory: into a path for Open.
func ParseURL(u string) (string, error) {
	switch {
	case u == ":memory:" || u == "sqlite://:memory:" || u == "sqlite:///:memory:":
		return ":memory:", nil
	case strings.HasPrefix(u, "sqlite:///"):
		p := strings.TrimPrefix(u, "sqlite://")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if p == "/" || p == "" || strings.ContainsAny(p, "\x00?#") {
			return "", fmt.Errorf("sqlite URL %q has no valid database path", u)
		}
		return filepath.Clean(p), nil
	case strings.HasPrefix(u, "sqlite://"):
		return "", fmt.Errorf("sqlite URL %q must use an absolute path: sqlite:///abs/path.db", u)
	}
	return "", fmt.Errorf("not a sqlite URL: %q", u)
}

func dsn(path string, write bool) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(OFF)", "temp_store(MEMORY)", "cache_size(-32000)"} {
		q.Add("_pragma", p)
	}
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "mmap_size(268435456)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path, or a private
// in-memory database for ":memory:", and applies the schema.
func Open(ctx context.Context, path string) (*Store, error) {
	s := &Store{jobs: make(chan *writeJob, 1024), closed: make(chan struct{}), writerDone: make(chan struct{}),
		flowRuns: newRunCache[core.FlowRun](8192), taskRuns: newRunCache[core.TaskRun](16384)}
	go s.writer()
	var err error
	if path == ":memory:" {
		// A named shared-cache memory database lets the one connection be
		// reopened by database/sql without losing data.
		name := fmt.Sprintf("file:orrery-mem-%d?mode=memory&cache=shared&_pragma=busy_timeout(10000)&_txlock=immediate", memSeq.Add(1))
		if s.w, err = sql.Open("sqlite", name); err != nil {
			return nil, err
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetConnMaxIdleTime(0)
		s.w.SetConnMaxLifetime(0)
		s.r = s.w
	} else {
		if s.w, err = sql.Open("sqlite", dsn(path, true)); err != nil {
			return nil, err
		}
		s.w.SetMaxOpenConns(1)
		if s.r, err = sql.Open("sqlite", dsn(path, false)); err != nil {
			s.w.Close()
			return nil, err
		}
		s.r.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
		s.r.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)))
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, openError(path, err)
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("preparing statements: %w", err)
	}
	return s, nil
}

// prepare compiles the hot statements. It runs before any write job, while
// the writer's single connection is idle.
func (s *Store) prepare(ctx context.Context) error {
	s.prep, s.reads = map[string]*sql.Stmt{}, map[string]*sql.Stmt{}
	for _, q := range hotStatements {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.prep[q] = st
	}
	for _, q := range hotReads {
		st, err := s.r.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.reads[q] = st
	}
	return nil
}

// txExec executes q in tx, through its prepared statement when it has one.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st, ok := s.prep[q]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// stmtQueryer adapts a prepared read statement to readFlowRun/readTaskRun.
type stmtQueryer struct{ st *sql.Stmt }

func (q stmtQueryer) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

func (q stmtQueryer) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return q.st.QueryRowContext(ctx, args...)
}

func (s *Store) read(q string) queryer { return stmtQueryer{s.reads[q]} }

// Close stops the writer (after the write in progress) and closes the
// database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.writerDone
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	if s.r != nil && s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

func (s *Store) migrate(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return err
		}
		entries, err := migrations.ReadDir("migrations")
		if err != nil {
			return err
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for i, name := range names {
			v := i + 1
			if v <= current {
				continue
			}
			body, err := migrations.ReadFile("migrations/" + name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reset drops every table but the API keys and audit log (keptTables) and
// re-applies the schema.
func (s *Store) Reset(ctx context.Context) error {
	defer s.flowRuns.clear()
	defer s.taskRuns.clear()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Shadow tables (the FTS index's) go with their virtual table.
		rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%'`)
		if err != nil {
			return err
		}
		var tables []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			tables = append(tables, n)
		}
		rows.Close()
		for _, t := range tables {
			if slices.Contains(keptTables, t) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DROP TABLE "`+t+`"`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.migrate(ctx)
}

// writeJob is one store call's write, run by the writer goroutine.
type writeJob struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
	// after runs on the writer once the job's write is committed, so cache
	// updates happen in commit order.
	after func()
}

// maxBatch bounds how many writes share one commit.
const maxBatch = 128

// tx runs fn atomically. Writes from concurrent callers are group-committed:
// the single writer takes every job waiting, runs each inside its own
// savepoint (so a failing job rolls back alone), and commits them together.
// One WAL append and one commit serve many requests, which is what lets a
// single SQLite writer keep up with many clients.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.txThen(ctx, fn, nil)
}

// txThen is tx with a hook run on the writer right after a successful commit.
func (s *Store) txThen(ctx context.Context, fn func(*sql.Tx) error, after func()) error {
	job := &writeJob{ctx: ctx, fn: fn, done: make(chan error, 1), after: after}
	select {
	case s.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errors.New("sqlite: store is closed")
	}
	// Once queued the job runs to completion even if ctx ends, so the
	// caller's outcome is never ambiguous.
	return <-job.done
}

// exec runs one statement as a write job.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// writer is the single goroutine that owns write transactions.
func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		var first *writeJob
		select {
		case first = <-s.jobs:
		case <-s.closed:
			return
		}
		batch := []*writeJob{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.runBatch(batch)
	}
}

func (s *Store) runBatch(batch []*writeJob) {
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range batch {
			j.done <- err
		}
		return
	}
	results := make([]error, len(batch))
	if len(batch) == 1 {
		results[0] = batch[0].fn(tx)
		if results[0] != nil {
			_ = tx.Rollback()
			batch[0].done <- results[0]
			return
		}
	} else {
		for i, j := range batch {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT job"); err != nil {
				results[i] = err
				continue
			}
			if err := j.fn(tx); err != nil {
				results[i] = err
				if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO job"); rbErr != nil {
					// The transaction is unusable: fail the whole batch.
					_ = tx.Rollback()
					for _, j := range batch {
						j.done <- errors.Join(err, rbErr)
					}
					return
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil && results[i] == nil {
				results[i] = err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		for _, j := range batch {
			j.done <- err
		}
		return
	}
	for i, j := range batch {
		if results[i] == nil && j.after != nil {
			j.after()
		}
		j.done <- results[i]
	}
}

// micros stores a time as unix microseconds (nil for nil).
func micros(t *core.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func tm(t time.Time) int64 { return t.UnixMicro() }

func optID(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return id.String()
}

func optStr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func notFound(what string) error { return core.Errorf(core.ENotFound, "%s not found", what) }

// queryer is what reads need: a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func timeFromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// prefixCols qualifies a comma-separated column list with a table alias.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// openError explains a failure to open or initialise the database file at
// path: SQLite's own text ("unable to open database file (14)") names
// neither the file nor the reason, so the usual causes are checked here.
func openError(path string, err error) error {
	if path == ":memory:" {
		return fmt.Errorf("applying the schema: %w", err)
	}
	msg := strings.ToLower(err.Error())
	dir := filepath.Dir(path)
	cause := err.Error()
	if st, serr := os.Stat(path); serr == nil && st.IsDir() {
		cause = "it is a directory, not a file"
	} else if dst, derr := os.Stat(dir); derr != nil {
		cause = fmt.Sprintf("its directory %s does not exist", dir)
	} else if !dst.IsDir() {
		cause = fmt.Sprintf("%s is not a directory", dir)
	} else if strings.Contains(msg, "not a database") {
		cause = "the file exists but is not a SQLite database"
	} else if strings.Contains(msg, "readonly") || strings.Contains(msg, "unable to open") {
		if f, werr := os.CreateTemp(dir, ".orrery-probe-*"); werr != nil {
			cause = fmt.Sprintf("the directory %s is not writable (%v)", dir, errors.Unwrap(werr))
		} else {
			f.Close()
			os.Remove(f.Name())
		}
	}
	return fmt.Errorf("opening the SQLite database %s: %s", path, cause)
}
