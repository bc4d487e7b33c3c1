package core

import (
	"slices"

	"github.com/google/uuid"
)

// FlowRunNotificationPolicy says which flow-run state changes to announce and
// through which block document. Its JSON is 2.7.12's FlowRunNotificationPolicy
// key for key.
type FlowRunNotificationPolicy struct {
	ID      uuid.UUID `json:"id"`
	Created Time      `json:"created"`
	Updated Time      `json:"updated"`
	// IsActive: inactive policies queue nothing.
	IsActive bool `json:"is_active"`
	// StateNames are the state names (not types: "Failed", "AwaitingRetry")
	// that trigger a notification; empty matches every state, as 2.7's
	// queueing query does.
	StateNames []string `json:"state_names"`
	// Tags: a run must carry one of them; empty matches every run.
	Tags []string `json:"tags"`
	// BlockDocumentID is the notification block (Slack webhook, ...) used
	// to deliver.
	BlockDocumentID uuid.UUID `json:"block_document_id"`
	// MessageTemplate is a Python str.format template over the notification
	// variables; nil means the default template.
	MessageTemplate *string `json:"message_template"`
}

// Matches reports whether a flow run with tags entering a state named
// stateName triggers p: p is active, names the state (or names none) and
// shares a tag with the run (or has none). It is 2.7.12's
// queue_flow_run_notifications predicate.
func (p *FlowRunNotificationPolicy) Matches(stateName string, tags []string) bool {
	if !p.IsActive {
		return false
	}
	if len(p.StateNames) > 0 && !slices.Contains(p.StateNames, stateName) {
		return false
	}
	if len(p.Tags) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(p.Tags, t) {
			return true
		}
	}
	return false
}

// The statuses of a queued notification.
const (
	// NotificationPending: waiting for (another) delivery attempt.
	NotificationPending = "pending"
	// NotificationDelivered: the provider accepted it.
	NotificationDelivered = "delivered"
	// NotificationFailed: delivery was given up after repeated failures.
	NotificationFailed = "failed"
)

// NotificationStatuses lists every status.
func NotificationStatuses() []string {
	return []string{NotificationPending, NotificationDelivered, NotificationFailed}
}

// Notification is one queued announcement: one per (policy, flow-run state),
// written in the same atomic write as the transition that entered the
// state, so a state change is announced even if the process dies right
// after it, and never twice. The state's fields are copied in so a
// deliverer renders the message from what the run entered, not from what
// the run is in by the time it delivers.
type Notification struct {
	ID      uuid.UUID `json:"id"`
	Created Time      `json:"created"`
	Updated Time      `json:"updated"`
	// PolicyID and StateID together are unique.
	PolicyID       uuid.UUID `json:"flow_run_notification_policy_id"`
	FlowRunID      uuid.UUID `json:"flow_run_id"`
	StateID        uuid.UUID `json:"flow_run_state_id"`
	StateName      string    `json:"flow_run_state_name"`
	StateType      StateType `json:"flow_run_state_type"`
	StateMessage   *string   `json:"flow_run_state_message"`
	StateTimestamp Time      `json:"flow_run_state_timestamp"`
	// Status is NotificationPending, NotificationDelivered or
	// NotificationFailed (given up).
	Status        string `json:"status"`
	Attempts      int    `json:"attempts"`
	NextAttemptAt Time   `json:"next_attempt_at"`
	// LeaseUntil is set while a deliverer holds the notification: nobody
	// else claims it before then. Stored, but not part of the API.
	LeaseUntil  *Time   `json:"-"`
	DeliveredAt *Time   `json:"delivered_at"`
	LastError   *string `json:"last_error"`
}

// notificationSpace is the UUIDv5 namespace of notification ids.
var notificationSpace = uuid.MustParse("6f1d3c52-9a57-4e0c-8a3e-0d0f6a1c2b7e")

// NotificationID is the id of the notification of policyID for the state
// stateID: derived from the pair, so the pair's uniqueness is the id's, and
// a key-value store dedupes by key (backends set Notification.ID to it).
func NotificationID(policyID, stateID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(notificationSpace, append(policyID[:], stateID[:]...))
}

// NewNotification returns the pending notification of policy p for the
// flow run runID entering state st, due at now.
func NewNotification(p *FlowRunNotificationPolicy, runID uuid.UUID, st *State, now Time) *Notification {
	return &Notification{
		ID: NotificationID(p.ID, st.ID), Created: now, Updated: now,
		PolicyID: p.ID, FlowRunID: runID, StateID: st.ID,
		StateName: st.Name, StateType: st.Type, StateMessage: st.Message, StateTimestamp: st.Timestamp,
		Status: NotificationPending, NextAttemptAt: now,
	}
}
