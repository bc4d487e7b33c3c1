package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// ---- concurrency limits

// withSlots fills ActiveSlots with the live holders of each limit.
func (s *Store) withSlots(ctx context.Context, q queryer, ls []*core.ConcurrencyLimit) ([]*core.ConcurrencyLimit, error) {
	for _, l := range ls {
		rows, err := q.QueryContext(ctx, `SELECT s.task_run_id FROM concurrency_slots s JOIN task_runs t ON t.id = s.task_run_id
			WHERE s.tag = ? AND `+liveSlotCond+` ORDER BY s.acquired, s.task_run_id`, l.Tag)
		if err != nil {
			return nil, err
		}
		l.ActiveSlots = []uuid.UUID{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			l.ActiveSlots = append(l.ActiveSlots, uuid.MustParse(id))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

func (s *Store) oneLimit(ctx context.Context, query string, args ...any) (*core.ConcurrencyLimit, error) {
	l, err := getDoc[core.ConcurrencyLimit](ctx, s.r, "Concurrency limit", query, args...)
	if err != nil {
		return nil, err
	}
	out, err := s.withSlots(ctx, s.r, []*core.ConcurrencyLimit{l})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Store) UpsertConcurrencyLimit(ctx context.Context, l *core.ConcurrencyLimit) (*core.ConcurrencyLimit, bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		existing, err := getDoc[core.ConcurrencyLimit](ctx, tx, "Concurrency limit", `SELECT doc FROM concurrency_limits WHERE tag = ?`, l.Tag)
		switch {
		case core.IsNotFound(err):
			created = true
		case err != nil:
			return err
		default:
			existing.ConcurrencyLimit, existing.Updated = l.ConcurrencyLimit, l.Updated
			l = existing
		}
		l.ActiveSlots = nil
		doc, _ := json.Marshal(l)
		_, err = tx.ExecContext(ctx, `INSERT INTO concurrency_limits (id, tag, doc) VALUES (?, ?, ?) ON CONFLICT (tag) DO UPDATE SET doc = excluded.doc`,
			l.ID.String(), l.Tag, string(doc))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	out, err := s.oneLimit(ctx, `SELECT doc FROM concurrency_limits WHERE tag = ?`, l.Tag)
	return out, created, err
}

func (s *Store) GetConcurrencyLimit(ctx context.Context, id uuid.UUID) (*core.ConcurrencyLimit, error) {
	return s.oneLimit(ctx, `SELECT doc FROM concurrency_limits WHERE id = ?`, id.String())
}

func (s *Store) GetConcurrencyLimitByTag(ctx context.Context, tag string) (*core.ConcurrencyLimit, error) {
	return s.oneLimit(ctx, `SELECT doc FROM concurrency_limits WHERE tag = ?`, tag)
}

func (s *Store) ListConcurrencyLimits(ctx context.Context, p store.Page) ([]*core.ConcurrencyLimit, error) {
	ls, err := listDocs[core.ConcurrencyLimit](ctx, s.r, `SELECT doc FROM concurrency_limits ORDER BY tag`+limitOffset(p))
	if err != nil {
		return nil, err
	}
	return s.withSlots(ctx, s.r, ls)
}

func (s *Store) ConcurrencyLimitsForTags(ctx context.Context, tags []string) ([]*core.ConcurrencyLimit, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	c := in("tag", tags)
	ls, err := listDocs[core.ConcurrencyLimit](ctx, s.r, `SELECT doc FROM concurrency_limits WHERE `+c.sql+` ORDER BY tag`, c.args...)
	if err != nil {
		return nil, err
	}
	return s.withSlots(ctx, s.r, ls)
}

func (s *Store) deleteLimit(ctx context.Context, where string, arg any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var tag string
		if err := tx.QueryRowContext(ctx, `SELECT tag FROM concurrency_limits WHERE `+where, arg).Scan(&tag); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("Concurrency limit")
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM concurrency_limits WHERE tag = ?`, tag); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM concurrency_slots WHERE tag = ?`, tag)
		return err
	})
}

func (s *Store) DeleteConcurrencyLimit(ctx context.Context, id uuid.UUID) error {
	return s.deleteLimit(ctx, "id = ?", id.String())
}

func (s *Store) DeleteConcurrencyLimitByTag(ctx context.Context, tag string) error {
	return s.deleteLimit(ctx, "tag = ?", tag)
}

// ---- logs

func (s *Store) CreateLogs(ctx context.Context, logs []*core.Log) error {
	if len(logs) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO logs (id, flow_run_id, task_run_id, level, ts, doc) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, l := range logs {
			doc, _ := json.Marshal(l)
			if _, err := stmt.ExecContext(ctx, l.ID.String(), l.FlowRunID.String(), optID(l.TaskRunID), l.Level, tm(l.Timestamp.Time), string(doc)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListLogs(ctx context.Context, q *store.LogQuery) ([]*core.Log, error) {
	if err := q.Filter.TextNeedsRun(); err != nil {
		return nil, err
	}
	if out, ok, err := s.listLogsByScan(ctx, q); ok || err != nil {
		return out, err
	}
	w := logsWhere(q.Filter)
	return listDocs[core.Log](ctx, s.r, `SELECT doc FROM logs WHERE `+w.sql+orderBy(logSorts, q.Sort, "TIMESTAMP_ASC")+limitOffset(q.Page), w.args...)
}

// ---- saved searches

func (s *Store) UpsertSavedSearch(ctx context.Context, ss *core.SavedSearch) (*core.SavedSearch, bool, error) {
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		existing, err := getDoc[core.SavedSearch](ctx, tx, "Saved search", `SELECT doc FROM saved_searches WHERE name = ?`, ss.Name)
		switch {
		case core.IsNotFound(err):
			created = true
		case err != nil:
			return err
		default:
			existing.Filters, existing.Updated = ss.Filters, ss.Updated
			ss = existing
		}
		doc, _ := json.Marshal(ss)
		_, err = tx.ExecContext(ctx, `INSERT INTO saved_searches (id, name, doc) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`,
			ss.ID.String(), ss.Name, string(doc))
		return err
	})
	return ss, created, err
}

func (s *Store) GetSavedSearch(ctx context.Context, id uuid.UUID) (*core.SavedSearch, error) {
	return getDoc[core.SavedSearch](ctx, s.r, "Saved search", `SELECT doc FROM saved_searches WHERE id = ?`, id.String())
}

func (s *Store) ListSavedSearches(ctx context.Context, p store.Page) ([]*core.SavedSearch, error) {
	return listDocs[core.SavedSearch](ctx, s.r, `SELECT doc FROM saved_searches ORDER BY name`+limitOffset(p))
}

func (s *Store) DeleteSavedSearch(ctx context.Context, id uuid.UUID) error {
	return s.deleteByID(ctx, "saved_searches", "Saved search", id)
}

func (s *Store) deleteByID(ctx context.Context, table, what string, id uuid.UUID) error {
	res, err := s.exec(ctx, `DELETE FROM `+table+` WHERE id = ?`, id.String())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(what)
	}
	return nil
}
