package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// upsert runs update, and insert if update matched nothing, until one of
// them writes a row. This is the race-free upsert under READ COMMITTED that
// also tells a create from an update: ON CONFLICT DO NOTHING waits for a
// concurrent insert of the same key, and when that one wins, the next
// UPDATE (a new statement, so a new snapshot) sees its row. The loop is
// bounded because only a delete racing every retry could keep it going.
func upsert(update, insert func() (int64, error)) (created bool, err error) {
	for range 8 {
		n, err := update()
		if err != nil || n > 0 {
			return false, err
		}
		if n, err = insert(); err != nil || n > 0 {
			return err == nil, err
		}
	}
	return false, errors.New("postgres: upsert kept racing with deletes")
}

// execN adapts Exec to upsert's callbacks.
func execN(ctx context.Context, q querier, sql string, args ...any) func() (int64, error) {
	return func() (int64, error) {
		tag, err := q.Exec(ctx, sql, args...)
		return tag.RowsAffected(), err
	}
}

// ---- concurrency limits

// withSlots fills ActiveSlots with the live holders of each limit, in one
// query for all of them.
func (s *Store) withSlots(ctx context.Context, ls []*core.ConcurrencyLimit) ([]*core.ConcurrencyLimit, error) {
	if len(ls) == 0 {
		return ls, nil
	}
	byTag := make(map[string]*core.ConcurrencyLimit, len(ls))
	tags := make([]string, len(ls))
	for i, l := range ls {
		l.ActiveSlots = []uuid.UUID{}
		byTag[l.Tag] = l
		tags[i] = l.Tag
	}
	rows, err := s.pool.Query(ctx, `SELECT s.tag, s.task_run_id FROM concurrency_slots s JOIN task_runs t ON t.id = s.task_run_id
		WHERE s.tag = ANY($1) AND `+liveSlotCond+` ORDER BY s.acquired, s.task_run_id`, tags)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var tag string
		var id uuid.UUID
		if err := rows.Scan(&tag, &id); err != nil {
			return nil, err
		}
		if l := byTag[tag]; l != nil {
			l.ActiveSlots = append(l.ActiveSlots, id)
		}
	}
	return ls, rows.Err()
}

func (s *Store) oneLimit(ctx context.Context, sql string, arg any) (*core.ConcurrencyLimit, error) {
	l, err := getDoc[core.ConcurrencyLimit](ctx, s.pool, "Concurrency limit", sql, arg)
	if err != nil {
		return nil, err
	}
	out, err := s.withSlots(ctx, []*core.ConcurrencyLimit{l})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Store) UpsertConcurrencyLimit(ctx context.Context, l *core.ConcurrencyLimit) (*core.ConcurrencyLimit, bool, error) {
	fresh := *l
	fresh.ActiveSlots = nil // slots live in their own table
	doc, err := marshal(&fresh)
	if err != nil {
		return nil, false, err
	}
	p, err := patch(map[string]any{"concurrency_limit": l.ConcurrencyLimit, "updated": l.Updated})
	if err != nil {
		return nil, false, err
	}
	created, err := upsert(
		execN(ctx, s.pool, `UPDATE concurrency_limits SET doc = doc || $2::jsonb WHERE tag = $1`, l.Tag, p),
		execN(ctx, s.pool, `INSERT INTO concurrency_limits (id, tag, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, l.ID, l.Tag, doc))
	if err != nil {
		return nil, false, err
	}
	out, err := s.oneLimit(ctx, `SELECT doc FROM concurrency_limits WHERE tag = $1`, l.Tag)
	return out, created, err
}

func (s *Store) GetConcurrencyLimit(ctx context.Context, id uuid.UUID) (*core.ConcurrencyLimit, error) {
	return s.oneLimit(ctx, `SELECT doc FROM concurrency_limits WHERE id = $1`, id)
}

func (s *Store) GetConcurrencyLimitByTag(ctx context.Context, tag string) (*core.ConcurrencyLimit, error) {
	return s.oneLimit(ctx, `SELECT doc FROM concurrency_limits WHERE tag = $1`, tag)
}

func (s *Store) ListConcurrencyLimits(ctx context.Context, p store.Page) ([]*core.ConcurrencyLimit, error) {
	ls, err := listDocs[core.ConcurrencyLimit](ctx, s.pool, `SELECT doc FROM concurrency_limits ORDER BY tag`+page(p))
	if err != nil {
		return nil, err
	}
	return s.withSlots(ctx, ls)
}

func (s *Store) ConcurrencyLimitsForTags(ctx context.Context, tags []string) ([]*core.ConcurrencyLimit, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	ls, err := listDocs[core.ConcurrencyLimit](ctx, s.pool, `SELECT doc FROM concurrency_limits WHERE tag = ANY($1) ORDER BY tag`, tags)
	if err != nil {
		return nil, err
	}
	return s.withSlots(ctx, ls)
}

// deleteLimit deletes the limit matched by where ($1) with its slots.
func (s *Store) deleteLimit(ctx context.Context, where string, arg any) error {
	n, err := count(ctx, s.pool, `WITH l AS (DELETE FROM concurrency_limits WHERE `+where+` RETURNING tag),
		slots AS (DELETE FROM concurrency_slots WHERE tag IN (SELECT tag FROM l))
		SELECT count(*) FROM l`, arg)
	if err == nil && n == 0 {
		return notFound("Concurrency limit")
	}
	return err
}

func (s *Store) DeleteConcurrencyLimit(ctx context.Context, id uuid.UUID) error {
	return s.deleteLimit(ctx, "id = $1", id)
}

func (s *Store) DeleteConcurrencyLimitByTag(ctx context.Context, tag string) error {
	return s.deleteLimit(ctx, "tag = $1", tag)
}

// ---- logs

var logCols = []string{"id", "flow_run_id", "task_run_id", "level", "ts", "doc"}

// CreateLogs writes the batch with COPY: one round trip and atomic, and the
// clients ship logs in batches of hundreds.
func (s *Store) CreateLogs(ctx context.Context, logs []*core.Log) error {
	if len(logs) == 0 {
		return nil
	}
	rows := make([][]any, len(logs))
	for i, l := range logs {
		doc, err := marshal(l)
		if err != nil {
			return err
		}
		rows[i] = []any{l.ID, l.FlowRunID, l.TaskRunID, l.Level, l.Timestamp.Time, doc}
	}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"logs"}, logCols, pgx.CopyFromRows(rows))
	return err
}

func (s *Store) ListLogs(ctx context.Context, q *store.LogQuery) ([]*core.Log, error) {
	if err := q.Filter.TextNeedsRun(); err != nil {
		return nil, err
	}
	a := &args{}
	w := logsWhere(a, q.Filter)
	return listDocs[core.Log](ctx, s.pool, `SELECT doc FROM logs WHERE `+w+orderBy(logSorts, q.Sort, "TIMESTAMP_ASC")+page(q.Page), a.vals...)
}

// ---- saved searches

func (s *Store) UpsertSavedSearch(ctx context.Context, ss *core.SavedSearch) (*core.SavedSearch, bool, error) {
	doc, err := marshal(ss)
	if err != nil {
		return nil, false, err
	}
	p, err := patch(map[string]any{"filters": ss.Filters, "updated": ss.Updated})
	if err != nil {
		return nil, false, err
	}
	created, err := upsert(
		execN(ctx, s.pool, `UPDATE saved_searches SET doc = doc || $2::jsonb WHERE name = $1`, ss.Name, p),
		execN(ctx, s.pool, `INSERT INTO saved_searches (id, name, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, ss.ID, ss.Name, doc))
	if err != nil {
		return nil, false, err
	}
	out, err := getDoc[core.SavedSearch](ctx, s.pool, "Saved search", `SELECT doc FROM saved_searches WHERE name = $1`, ss.Name)
	return out, created, err
}

func (s *Store) GetSavedSearch(ctx context.Context, id uuid.UUID) (*core.SavedSearch, error) {
	return getDoc[core.SavedSearch](ctx, s.pool, "Saved search", `SELECT doc FROM saved_searches WHERE id = $1`, id)
}

func (s *Store) ListSavedSearches(ctx context.Context, p store.Page) ([]*core.SavedSearch, error) {
	return listDocs[core.SavedSearch](ctx, s.pool, `SELECT doc FROM saved_searches ORDER BY name`+page(p))
}

func (s *Store) DeleteSavedSearch(ctx context.Context, id uuid.UUID) error {
	return s.execOne(ctx, "Saved search", `DELETE FROM saved_searches WHERE id = $1`, id)
}
