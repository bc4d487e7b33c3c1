package postgres

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Tables lists every table the migrations create, schema_migrations
// included, except KeptTables. Reset drops exactly these, so an Orrery schema shared with other
// tables never loses theirs; a test checks it against the live schema.
var Tables = []string{
	"schema_migrations",
	"flows", "flow_runs", "task_runs", "flow_run_states", "task_run_states", "task_cache",
	"concurrency_limits", "concurrency_slots", "logs", "saved_searches",
	"block_types", "block_schemas", "block_documents", "deployments", "work_queues",
	"notification_policies", "notifications",
}

// ParseURL checks that url is a postgres:// or postgresql:// URL and turns
// it into a pool configuration. pgx's other forms (key=value strings,
// environment defaults) are refused so the scheme alone tells backends apart.
func ParseURL(url string) (*pgxpool.Config, error) {
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("not a postgres URL: %q (want postgres://user@host:port/db)", redact(url))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err // pgx's message already hides the password

	}
	cc := cfg.ConnConfig
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "orrery"
	}
	if cc.ConnectTimeout == 0 {
		// Without one a dead host hangs Open for the kernel's TCP timeout.
		cc.ConnectTimeout = 10 * time.Second
	}
	return cfg, nil
}

// redact hides the password of a URL for error messages.
func redact(url string) string {
	at := strings.LastIndexByte(url, '@')
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.IndexByte(userinfo, ':'); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":xxxxx" + url[at:]
	}
	return url
}

// Open connects to the database at url and applies the schema.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to %s: %w", redact(url), err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return migrate(ctx, tx) }); err != nil {
		pool.Close()
		return nil, fmt.Errorf("applying the schema: %w", err)
	}
	return s, nil
}

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// lockSchema serialises migrations and resets of one schema across every
// process. The key includes the schema so stores in other schemas of the
// same database (the tests run many) do not wait for each other.
func lockSchema(ctx context.Context, tx pgx.Tx) error {
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("no schema to create tables in: the search_path names no existing schema")
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('orrery.schema:' || $1, 0))`, *schema)
	return err
}

// migrate applies the migrations not yet recorded in schema_migrations.
// Each file is one version, numbered by its position in name order.
func migrate(ctx context.Context, tx pgx.Tx) error {
	if err := lockSchema(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
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
	if current > len(names) {
		return fmt.Errorf("the database is at schema version %d, newer than this binary's %d", current, len(names))
	}
	for i, name := range names {
		v := i + 1
		if v <= current {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		// No arguments: pgx sends it over the simple protocol, which runs
		// a file of many statements.
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, v, name); err != nil {
			return err
		}
	}
	return nil
}

// Reset drops Orrery's tables and re-applies the schema, atomically.
func (s *Store) Reset(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockSchema(ctx, tx); err != nil {
			return err
		}
		idents := make([]string, len(Tables))
		for i, t := range Tables {
			idents[i] = pgx.Identifier{t}.Sanitize()
		}
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+strings.Join(idents, ", ")+` CASCADE`); err != nil {
			return err
		}
		return migrate(ctx, tx)
	})
}

// querier is what reads and writes need: the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var compactBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeInto unmarshals a jsonb document. jsonb prints "key": value with a
// space, and json.RawMessage fields (parameters, state data, schemas) would
// carry those spaces to clients; compacting first gives them back as every
// other backend stores them.
func decodeInto(raw []byte, v any) error {
	buf := compactBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer compactBufs.Put(buf)
	if err := json.Compact(buf, raw); err != nil {
		return err
	}
	return json.Unmarshal(buf.Bytes(), v)
}

// getDoc reads one document; no row is notFound(what).
func getDoc[T any](ctx context.Context, q querier, what, sql string, args ...any) (*T, error) {
	var raw []byte
	if err := q.QueryRow(ctx, sql, args...).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, notFound(what)
		}
		return nil, err
	}
	v := new(T)
	if err := decodeInto(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}

// listDocs reads the documents in the first column of a query.
func listDocs[T any](ctx context.Context, q querier, sql string, args ...any) ([]*T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		v := new(T)
		if err := decodeInto(raw, v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// versioned is a run type with its version outside the document.
type versioned interface {
	core.FlowRun | core.TaskRun
}

func versionOf[T versioned](v *T) *int64 {
	switch r := any(v).(type) {
	case *core.FlowRun:
		return &r.Version
	case *core.TaskRun:
		return &r.Version
	}
	panic("unreachable")
}

// getRun reads one (doc, version) row.
func getRun[T versioned](ctx context.Context, q querier, what, sql string, args ...any) (*T, error) {
	var raw []byte
	var ver int64
	if err := q.QueryRow(ctx, sql, args...).Scan(&raw, &ver); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, notFound(what)
		}
		return nil, err
	}
	v := new(T)
	if err := decodeInto(raw, v); err != nil {
		return nil, err
	}
	*versionOf(v) = ver
	return v, nil
}

// listRuns reads (doc, version) rows.
func listRuns[T versioned](ctx context.Context, q querier, sql string, args ...any) ([]*T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var raw []byte
		var ver int64
		if err := rows.Scan(&raw, &ver); err != nil {
			return nil, err
		}
		v := new(T)
		if err := decodeInto(raw, v); err != nil {
			return nil, err
		}
		*versionOf(v) = ver
		out = append(out, v)
	}
	return out, rows.Err()
}

func count(ctx context.Context, q querier, sql string, args ...any) (int, error) {
	var n int64
	err := q.QueryRow(ctx, sql, args...).Scan(&n)
	return int(n), err
}

// execOne runs a statement that must touch a row; none is notFound(what).
func (s *Store) execOne(ctx context.Context, what, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	return mustAffect(tag, err, what)
}

// mustAffect turns "no row matched" into notFound(what).
func mustAffect(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return nil
}

func notFound(what string) error { return core.Errorf(core.ENotFound, "%s not found", what) }

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUnique(err error) bool { return pgCode(err) == "23505" }

// asConflict maps the errors PostgreSQL uses to say "a concurrent
// transaction won" (deadlock, serialization failure) to ErrVersionConflict,
// which the orchestrator answers by re-reading and retrying.
func asConflict(err error) error {
	switch pgCode(err) {
	case "40P01", "40001":
		return fmt.Errorf("%w: %v", store.ErrVersionConflict, err)
	}
	return err
}

// marshal encodes a document; a value that cannot be encoded is a bug in
// the caller, reported instead of stored as garbage.
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", v, err)
	}
	return b, nil
}

// jsonList makes nil lists "[]": the tag columns are NOT NULL and the
// is_null_ filter compares with [].
func jsonList[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// ts passes an optional time as timestamptz (pgx cannot encode core.Time,
// which wraps time.Time in a struct).
func ts(t *core.Time) *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}

// placeholders returns "$from, ..., $(from+n-1)".
func placeholders(from, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(parts, ", ")
}

// assignments returns "c1 = $from, c2 = $(from+1), ...".
func assignments(cols []string, from int) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = $" + strconv.Itoa(from+i)
	}
	return strings.Join(parts, ", ")
}
