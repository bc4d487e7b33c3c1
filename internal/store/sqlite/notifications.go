package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

const policyWhat = "Flow run notification policy"

func (s *Store) CreateNotificationPolicy(ctx context.Context, p *core.FlowRunNotificationPolicy) (*core.FlowRunNotificationPolicy, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	_, err = s.exec(ctx, `INSERT INTO notification_policies (id, is_active, doc) VALUES (?, ?, ?)`, p.ID.String(), p.IsActive, string(doc))
	if isUnique(err) {
		return nil, core.Errorf(core.EConflict, "flow run notification policy %s already exists", p.ID)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Store) GetNotificationPolicy(ctx context.Context, id uuid.UUID) (*core.FlowRunNotificationPolicy, error) {
	return getDoc[core.FlowRunNotificationPolicy](ctx, s.r, policyWhat, `SELECT doc FROM notification_policies WHERE id = ?`, id.String())
}

func (s *Store) UpdateNotificationPolicy(ctx context.Context, id uuid.UUID, u *store.NotificationPolicyUpdate, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		p, err := getDoc[core.FlowRunNotificationPolicy](ctx, tx, policyWhat, `SELECT doc FROM notification_policies WHERE id = ?`, id.String())
		if err != nil {
			return err
		}
		u.Apply(p, now)
		doc, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE notification_policies SET is_active = ?, doc = ? WHERE id = ?`, p.IsActive, string(doc), id.String())
		return err
	})
}

func (s *Store) DeleteNotificationPolicy(ctx context.Context, id uuid.UUID) error {
	res, err := s.exec(ctx, `DELETE FROM notification_policies WHERE id = ?`, id.String())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(policyWhat)
	}
	return nil
}

func (s *Store) ListNotificationPolicies(ctx context.Context, q *store.NotificationPolicyQuery) ([]*core.FlowRunNotificationPolicy, error) {
	where, args := "", []any{}
	if q.IsActive != nil {
		where, args = ` WHERE is_active = ?`, append(args, *q.IsActive)
	}
	return listDocs[core.FlowRunNotificationPolicy](ctx, s.r, `SELECT doc FROM notification_policies`+where+` ORDER BY id`+limitOffset(q.Page), args...)
}

// insertNotifications queues ns inside a flow-run transition's transaction;
// a (policy, state) already queued is skipped.
func insertNotifications(ctx context.Context, tx *sql.Tx, ns []*core.Notification) error {
	for _, n := range ns {
		n.ID = core.NotificationID(n.PolicyID, n.StateID)
		doc, err := store.MarshalNotification(n)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications
			(id, policy_id, state_id, flow_run_id, status, next_attempt_at, lease_until, created, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			n.ID.String(), n.PolicyID.String(), n.StateID.String(), n.FlowRunID.String(), n.Status,
			n.NextAttemptAt.UnixMicro(), micros(n.LeaseUntil), n.Created.UnixMicro(), string(doc)); err != nil {
			return err
		}
	}
	return nil
}

func scanNotifications(rows *sql.Rows) ([]*core.Notification, error) {
	defer rows.Close()
	var out []*core.Notification
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		n, err := store.UnmarshalNotification([]byte(doc))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// writeNotification stores n's mutable columns and document.
func writeNotification(ctx context.Context, tx *sql.Tx, n *core.Notification) error {
	doc, err := store.MarshalNotification(n)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE notifications SET status = ?, next_attempt_at = ?, lease_until = ?, doc = ? WHERE id = ?`,
		n.Status, n.NextAttemptAt.UnixMicro(), micros(n.LeaseUntil), string(doc), n.ID.String())
	return err
}

// ClaimNotifications selects and leases in one write transaction; SQLite's
// single writer makes it exclusive.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*core.Notification, error) {
	var out []*core.Notification
	at := now.UnixMicro()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT doc FROM notifications WHERE status = 'pending' AND next_attempt_at <= ?
			AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT ?`, at, at, limit)
		if err != nil {
			return err
		}
		ns, err := scanNotifications(rows)
		if err != nil {
			return err
		}
		for _, n := range ns {
			store.ApplyClaim(n, now, lease)
			if err := writeNotification(ctx, tx, n); err != nil {
				return err
			}
		}
		out = ns
		return nil
	})
	return out, err
}

// updateNotification reads, changes and writes back one notification.
func (s *Store) updateNotification(ctx context.Context, id uuid.UUID, change func(*core.Notification)) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var doc string
		err := tx.QueryRowContext(ctx, `SELECT doc FROM notifications WHERE id = ?`, id.String()).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Notification")
		}
		if err != nil {
			return err
		}
		n, err := store.UnmarshalNotification([]byte(doc))
		if err != nil {
			return err
		}
		change(n)
		return writeNotification(ctx, tx, n)
	})
}

func (s *Store) CompleteNotification(ctx context.Context, id uuid.UUID, now time.Time) error {
	return s.updateNotification(ctx, id, func(n *core.Notification) { store.ApplyComplete(n, now) })
}

func (s *Store) FailNotification(ctx context.Context, id uuid.UUID, errText string, next time.Time, giveUp bool, now time.Time) error {
	return s.updateNotification(ctx, id, func(n *core.Notification) { store.ApplyFail(n, errText, next, giveUp, now) })
}

func (s *Store) ListNotifications(ctx context.Context, q *store.NotificationQuery) ([]*core.Notification, error) {
	var where []string
	var args []any
	if len(q.FlowRunIDs) > 0 {
		where = append(where, `flow_run_id IN (`+placeholders(len(q.FlowRunIDs))+`)`)
		for _, id := range q.FlowRunIDs {
			args = append(args, id.String())
		}
	}
	if len(q.PolicyIDs) > 0 {
		where = append(where, `policy_id IN (`+placeholders(len(q.PolicyIDs))+`)`)
		for _, id := range q.PolicyIDs {
			args = append(args, id.String())
		}
	}
	if len(q.Statuses) > 0 {
		where = append(where, `status IN (`+placeholders(len(q.Statuses))+`)`)
		for _, st := range q.Statuses {
			args = append(args, st)
		}
	}
	query := `SELECT doc FROM notifications`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY created DESC, id DESC`+limitOffset(q.Page), args...)
	if err != nil {
		return nil, err
	}
	return scanNotifications(rows)
}
