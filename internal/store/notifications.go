package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
)

// NotificationStore persists flow-run notification policies and the queue
// of notifications they produce.
//
// Notifications enter the queue only through CommitFlowRunTransition
// (FlowRunTransition.Notifications), in the same atomic write as the state
// they announce; (PolicyID, StateID) is unique there, and a duplicate is
// skipped, never an error, so a replayed transition announces nothing twice.
// Deliverers then claim, complete or fail them: a claim is a lease, so a
// deliverer that dies gives its notifications back when the lease ends
// (at-least-once delivery), and two deliverers never hold one notification
// at the same time.
type NotificationStore interface {
	// CreateNotificationPolicy inserts p and returns it.
	CreateNotificationPolicy(ctx context.Context, p *core.FlowRunNotificationPolicy) (*core.FlowRunNotificationPolicy, error)
	GetNotificationPolicy(ctx context.Context, id uuid.UUID) (*core.FlowRunNotificationPolicy, error)
	// UpdateNotificationPolicy writes the fields set in u and stamps the
	// policy updated at now.
	UpdateNotificationPolicy(ctx context.Context, id uuid.UUID, u *NotificationPolicyUpdate, now time.Time) error
	// DeleteNotificationPolicy deletes the policy; its queued notifications
	// stay (a deliverer gives up on those whose policy is gone, as 2.7's
	// queue has no foreign key either).
	DeleteNotificationPolicy(ctx context.Context, id uuid.UUID) error
	// ListNotificationPolicies returns matching policies ordered by id.
	ListNotificationPolicies(ctx context.Context, q *NotificationPolicyQuery) ([]*core.FlowRunNotificationPolicy, error)

	// ClaimNotifications leases up to limit pending notifications whose
	// NextAttemptAt <= now and whose lease is unset or expired, setting
	// LeaseUntil = now+lease; a notification is held by one claimer at a
	// time even with several servers (conditional write / row lock). The
	// oldest due come first.
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*core.Notification, error)
	// CompleteNotification marks it delivered (DeliveredAt=now, lease
	// cleared).
	CompleteNotification(ctx context.Context, id uuid.UUID, now time.Time) error
	// FailNotification records an attempt's error: Attempts++, LastError,
	// and either NextAttemptAt=next (lease cleared) or, when giveUp,
	// Status="failed".
	FailNotification(ctx context.Context, id uuid.UUID, errText string, next time.Time, giveUp bool, now time.Time) error
	// ListNotifications returns matching notifications, newest first
	// (created, then id, descending).
	ListNotifications(ctx context.Context, q *NotificationQuery) ([]*core.Notification, error)
}

// NotificationPolicyUpdate holds the PATCH-able fields; nil means "leave as
// is".
type NotificationPolicyUpdate struct {
	IsActive        *bool
	StateNames      *[]string
	Tags            *[]string
	BlockDocumentID *uuid.UUID
	MessageTemplate **string
}

// Apply writes the fields set in u onto p and stamps it updated at now.
func (u *NotificationPolicyUpdate) Apply(p *core.FlowRunNotificationPolicy, now time.Time) {
	if u.IsActive != nil {
		p.IsActive = *u.IsActive
	}
	if u.StateNames != nil {
		p.StateNames = *u.StateNames
	}
	if u.Tags != nil {
		p.Tags = *u.Tags
	}
	if u.BlockDocumentID != nil {
		p.BlockDocumentID = *u.BlockDocumentID
	}
	if u.MessageTemplate != nil {
		p.MessageTemplate = *u.MessageTemplate
	}
	p.Updated = core.T(now)
}

// NotificationPolicyQuery selects policies. IsActive nil matches all.
type NotificationPolicyQuery struct {
	IsActive *bool
	Page
}

// NotificationQuery selects queued notifications; each set field narrows
// the result.
type NotificationQuery struct {
	FlowRunIDs []uuid.UUID
	PolicyIDs  []uuid.UUID
	Statuses   []string
	Page
}

// Matches reports whether n passes q's filters (not its page).
func (q *NotificationQuery) Matches(n *core.Notification) bool {
	return (len(q.FlowRunIDs) == 0 || containsID(q.FlowRunIDs, n.FlowRunID)) &&
		(len(q.PolicyIDs) == 0 || containsID(q.PolicyIDs, n.PolicyID)) &&
		(len(q.Statuses) == 0 || containsString(q.Statuses, n.Status))
}

func containsID(ids []uuid.UUID, id uuid.UUID) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func containsString(vs []string, s string) bool {
	for _, v := range vs {
		if v == s {
			return true
		}
	}
	return false
}

// Claimable reports whether n may be claimed at now: pending, due, and not
// leased (or its lease ended).
func Claimable(n *core.Notification, now time.Time) bool {
	return n.Status == core.NotificationPending && !n.NextAttemptAt.After(now) &&
		(n.LeaseUntil == nil || !n.LeaseUntil.After(now))
}

// ApplyClaim leases n until now+lease.
func ApplyClaim(n *core.Notification, now time.Time, lease time.Duration) {
	n.LeaseUntil = core.TP(now.Add(lease))
	n.Updated = core.T(now)
}

// ApplyComplete marks n delivered at now.
func ApplyComplete(n *core.Notification, now time.Time) {
	n.Status = core.NotificationDelivered
	n.DeliveredAt = core.TP(now)
	n.LeaseUntil = nil
	n.Updated = core.T(now)
}

// ApplyFail records a failed attempt on n (see FailNotification).
func ApplyFail(n *core.Notification, errText string, next time.Time, giveUp bool, now time.Time) {
	n.Attempts++
	n.LastError = &errText
	n.LeaseUntil = nil
	if giveUp {
		n.Status = core.NotificationFailed
	} else {
		n.NextAttemptAt = core.T(next)
	}
	n.Updated = core.T(now)
}

// notificationDoc is a notification as backends store it: its API JSON plus
// the lease, which the API does not show.
type notificationDoc struct {
	*core.Notification
	LeaseUntil *core.Time `json:"lease_until"`
}

// MarshalNotification encodes n with its lease, for backends that store a
// JSON document.
func MarshalNotification(n *core.Notification) ([]byte, error) {
	return json.Marshal(notificationDoc{Notification: n, LeaseUntil: n.LeaseUntil})
}

// UnmarshalNotification decodes what MarshalNotification wrote.
func UnmarshalNotification(b []byte) (*core.Notification, error) {
	d := notificationDoc{Notification: &core.Notification{}}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	d.Notification.LeaseUntil = d.LeaseUntil
	return d.Notification, nil
}
