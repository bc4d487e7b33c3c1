package orchestration

import (
	"context"
	"errors"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// policySet reads the active notification policies at most once per
// orchestrated call: a call that retries after a lost version race reuses
// them, and one that writes no state reads none. There is deliberately no
// cache across calls, so a policy created a moment ago applies to the next
// transition.
//
// Cost: each state-appending flow-run transition reads the policies once.
// On SQLite and PostgreSQL that is an indexed SELECT; on DynamoDB it is one
// strongly consistent GetItem of the policy registry item (1 RCU while the
// policies fit in 4 KB, about a dozen; see internal/store/dynamo/doc.go),
// and a transition that queues notifications becomes one TransactWriteItems
// (2 WCU per item: run, state, each notification) instead of two plain
// writes.
type policySet struct {
	read     bool
	policies []*core.FlowRunNotificationPolicy
}

func (ps *policySet) load(ctx context.Context, s store.Store) ([]*core.FlowRunNotificationPolicy, error) {
	if ps.read {
		return ps.policies, nil
	}
	active := true
	p, err := s.ListNotificationPolicies(ctx, &store.NotificationPolicyQuery{IsActive: &active})
	if err != nil {
		return nil, err
	}
	ps.read, ps.policies = true, p
	return p, nil
}

// notificationsFor returns the notifications run queues by entering its
// new state (run.State): one per active policy that names the state (or no
// state) and shares a tag with the run (or has none) — 2.7.12's
// queue_flow_run_notifications.
func (o *Orchestrator) notificationsFor(ctx context.Context, ps *policySet, run *core.FlowRun) ([]*core.Notification, error) {
	if run.State == nil {
		return nil, nil
	}
	policies, err := ps.load(ctx, o.Store)
	if err != nil {
		return nil, err
	}
	var out []*core.Notification
	now := core.T(o.now())
	for _, p := range policies {
		if p.Matches(run.State.Name, run.Tags) {
			out = append(out, core.NewNotification(p, run.ID, run.State, now))
		}
	}
	return out, nil
}

// queueInitialNotifications queues the notifications of a new run's first
// state, as 2.7.12 does (its create sets the first state through the
// orchestration that queues them). store.CreateFlowRun has no room for
// them, so they follow in a version-conditioned write that appends no
// state; a crash between the two writes loses them (only these: every
// later transition queues in its own write).
func (o *Orchestrator) queueInitialNotifications(ctx context.Context, run *core.FlowRun) error {
	var ps policySet
	notes, err := o.notificationsFor(ctx, &ps, run)
	if err != nil || len(notes) == 0 {
		return err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := o.Store.GetFlowRun(ctx, run.ID)
		if err != nil {
			return err
		}
		err = o.Store.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: cur, ExpectedVersion: cur.Version, Notifications: notes})
		if !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
	}
	return conflictErr()
}
