package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

const policyWhat = "Flow run notification policy"

func (s *Store) CreateNotificationPolicy(ctx context.Context, p *core.FlowRunNotificationPolicy) (*core.FlowRunNotificationPolicy, error) {
	doc, err := marshal(p)
	if err != nil {
		return nil, err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO notification_policies (id, is_active, doc) VALUES ($1, $2, $3)`, p.ID, p.IsActive, doc)
	if isUnique(err) {
		return nil, core.Errorf(core.EConflict, "flow run notification policy %s already exists", p.ID)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Store) GetNotificationPolicy(ctx context.Context, id uuid.UUID) (*core.FlowRunNotificationPolicy, error) {
	return getDoc[core.FlowRunNotificationPolicy](ctx, s.pool, policyWhat, `SELECT doc FROM notification_policies WHERE id = $1`, id)
}

func (s *Store) UpdateNotificationPolicy(ctx context.Context, id uuid.UUID, u *store.NotificationPolicyUpdate, now time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := getDoc[core.FlowRunNotificationPolicy](ctx, tx, policyWhat, `SELECT doc FROM notification_policies WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		u.Apply(p, now)
		doc, err := marshal(p)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE notification_policies SET is_active = $2, doc = $3 WHERE id = $1`, id, p.IsActive, doc)
		return err
	})
}

func (s *Store) DeleteNotificationPolicy(ctx context.Context, id uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM notification_policies WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(policyWhat)
	}
	return nil
}

func (s *Store) ListNotificationPolicies(ctx context.Context, q *store.NotificationPolicyQuery) ([]*core.FlowRunNotificationPolicy, error) {
	where, args := "", []any{}
	if q.IsActive != nil {
		where, args = ` WHERE is_active = $1`, append(args, *q.IsActive)
	}
	return listDocs[core.FlowRunNotificationPolicy](ctx, s.pool, `SELECT doc FROM notification_policies`+where+` ORDER BY id`+page(q.Page), args...)
}

// commitFlowRunWithNotifications is CommitFlowRunTransition for a
// transition that queues notifications: the run's conditional write (sql,
// args: the same statement as without them) and the inserts share one
// transaction. A (policy, state) already queued is skipped.
func (s *Store) commitFlowRunWithNotifications(ctx context.Context, t *store.FlowRunTransition, sql string, args []any) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return runExists(ctx, tx, "flow_runs", "Flow run", t.Run.ID)
		}
		for _, n := range t.Notifications {
			n.ID = core.NotificationID(n.PolicyID, n.StateID)
			doc, err := store.MarshalNotification(n)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notifications
				(id, policy_id, state_id, flow_run_id, status, next_attempt_at, lease_until, created, doc)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
				n.ID, n.PolicyID, n.StateID, n.FlowRunID, n.Status, n.NextAttemptAt.Time, ts(n.LeaseUntil), n.Created.Time, doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return asConflict(err)
	}
	t.Run.Version = t.ExpectedVersion + 1
	return nil
}

func scanNotifications(rows pgx.Rows) ([]*core.Notification, error) {
	defer rows.Close()
	var out []*core.Notification
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		n, err := store.UnmarshalNotification(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func writeNotification(ctx context.Context, tx pgx.Tx, n *core.Notification) error {
	doc, err := store.MarshalNotification(n)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE notifications SET status = $2, next_attempt_at = $3, lease_until = $4, doc = $5 WHERE id = $1`,
		n.ID, n.Status, n.NextAttemptAt.Time, ts(n.LeaseUntil), doc)
	return err
}

// ClaimNotifications locks the due rows with SKIP LOCKED, so concurrent
// claimers (other servers included) take disjoint sets without waiting on
// each other, and leases them in the same transaction.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*core.Notification, error) {
	var out []*core.Notification
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT doc FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1
			AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
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

func (s *Store) updateNotification(ctx context.Context, id uuid.UUID, change func(*core.Notification)) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT doc FROM notifications WHERE id = $1 FOR UPDATE`, id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("Notification")
		}
		if err != nil {
			return err
		}
		n, err := store.UnmarshalNotification(raw)
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
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if len(q.FlowRunIDs) > 0 {
		where = append(where, `flow_run_id = ANY(`+arg(q.FlowRunIDs)+`)`)
	}
	if len(q.PolicyIDs) > 0 {
		where = append(where, `policy_id = ANY(`+arg(q.PolicyIDs)+`)`)
	}
	if len(q.Statuses) > 0 {
		where = append(where, `status = ANY(`+arg(q.Statuses)+`)`)
	}
	query := `SELECT doc FROM notifications`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY created DESC, id DESC`+page(q.Page), args...)
	if err != nil {
		return nil, err
	}
	return scanNotifications(rows)
}
