package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/notify"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/store"
)

// Defaults of the Notifications service.
const (
	DefaultNotificationLease       = time.Minute
	DefaultNotificationConcurrency = 4
	DefaultNotificationAttempts    = 8
	// DefaultNotificationBudget bounds one RunOnce, so a Lambda tick ends
	// well inside its timeout and the local loop gets back to its ticker.
	DefaultNotificationBudget = 30 * time.Second
)

// Notifications delivers the queued flow-run notifications (see
// store.NotificationStore): it claims due ones under a lease, renders each
// policy's template with the run, flow and state, sends it through the
// policy's block document, and completes it, or records the failure and
// retries later with exponential backoff, giving up after MaxAttempts.
//
// Delivery is at least once: a process that dies between the provider's
// answer and CompleteNotification leaves the notification leased; when the
// lease ends another pass sends it again. A notification whose policy, run,
// flow or block is gone, or whose block or template cannot work, is marked
// failed at once (with the reason) so it never holds up the queue.
type Notifications struct {
	Store store.Store
	// Box opens block documents' sealed data (their secrets).
	Box       *secretbox.Box
	Deliverer *notify.Deliverer
	// UIURL is the UI's base URL; {flow_run_url} is
	// UIURL/flow-runs/flow-run/<id>, as 2.7.12 builds it.
	UIURL  string
	Now    func() time.Time
	Logger *slog.Logger
	// Lease is how long a claim holds a notification (DefaultNotificationLease).
	// One round sends at most Concurrency messages, each bounded by the
	// Deliverer's timeout, so a round ends well inside the lease.
	Lease       time.Duration
	Concurrency int
	// MaxAttempts is how many failed sends make the service give up.
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after n failures; nil means
	// NotificationBackoff.
	Backoff func(failures int) time.Duration
	// Budget bounds one RunOnce (DefaultNotificationBudget).
	Budget time.Duration
}

// Name implements Service.
func (s *Notifications) Name() string { return "notifications" }

// NotificationBackoff is the default retry wait: 10 s after the first
// failure, then times 3 (30 s, 1.5 min, 4.5 min ...), at most an hour.
func NotificationBackoff(failures int) time.Duration {
	return ExponentialBackoff(10 * time.Second)(failures)
}

// ExponentialBackoff waits first after the first failure, then three times
// longer after each further one, at most an hour (or first, if longer).
func ExponentialBackoff(first time.Duration) func(failures int) time.Duration {
	if first <= 0 {
		first = 10 * time.Second
	}
	ceiling := max(time.Hour, first)
	return func(failures int) time.Duration {
		d := first
		for i := 1; i < failures && d < ceiling; i++ {
			d *= 3
		}
		return min(d, ceiling)
	}
}

func (s *Notifications) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Notifications) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// RunOnce delivers due notifications until the queue has none left or the
// budget is spent.
func (s *Notifications) RunOnce(ctx context.Context) error {
	lease := s.Lease
	if lease <= 0 {
		lease = DefaultNotificationLease
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = DefaultNotificationConcurrency
	}
	budget := s.Budget
	if budget <= 0 {
		budget = DefaultNotificationBudget
	}
	start := time.Now()
	timeout := notify.DefaultTimeout
	if s.Deliverer != nil && s.Deliverer.Timeout > 0 {
		timeout = s.Deliverer.Timeout
	}
	for ctx.Err() == nil && time.Since(start) < budget {
		// A claim must end inside the caller's deadline (a Lambda tick's
		// timeout): stop while a round still fits.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout+5*time.Second {
			return nil
		}
		batch, err := s.Store.ClaimNotifications(ctx, s.now(), lease, conc)
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make([]error, len(batch))
		for i, n := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.process(ctx, n)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			// A store error: the lease gives the notifications back.
			return err
		}
		if len(batch) < conc {
			return nil
		}
	}
	return ctx.Err()
}

// giveUp is a reason to mark a notification failed without retrying.
type giveUp struct{ msg string }

func (g *giveUp) Error() string { return g.msg }

func gone(what string, id uuid.UUID) error {
	return &giveUp{fmt.Sprintf("%s %s no longer exists", what, id)}
}

// process delivers one claimed notification and records the outcome; it
// returns only store errors.
func (s *Notifications) process(ctx context.Context, n *core.Notification) error {
	slug, data, msg, err := s.prepare(ctx, n)
	if err == nil {
		d := s.Deliverer
		if d == nil {
			d = &notify.Deliverer{}
		}
		err = d.Deliver(ctx, slug, data, msg)
		if err != nil && notify.Permanent(err) {
			err = &giveUp{err.Error()}
		}
	}
	var g *giveUp
	switch {
	case err == nil:
		if err := s.Store.CompleteNotification(ctx, n.ID, s.now()); err != nil && !core.IsNotFound(err) {
			return err // gone meanwhile (its run deleted): nothing to record
		}
		s.logger().Debug("notification delivered", "notification", n.ID, "flow_run", n.FlowRunID, "policy", n.PolicyID)
		return nil
	case errors.As(err, &g):
		// Recorded as given up below.
	case ctx.Err() != nil:
		return nil // shutting down: the lease gives it back
	case isStoreError(err):
		return err
	}
	failures := n.Attempts + 1
	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultNotificationAttempts
	}
	stop := g != nil || failures >= attempts
	backoff := s.Backoff
	if backoff == nil {
		backoff = NotificationBackoff
	}
	now := s.now()
	next := now.Add(backoff(failures))
	text := err.Error()
	if stop && g == nil {
		text = fmt.Sprintf("gave up after %d attempts: %s", failures, text)
	}
	s.logger().Warn("notification not delivered", "notification", n.ID, "flow_run", n.FlowRunID, "policy", n.PolicyID,
		"attempt", failures, "gave_up", stop, "err", text)
	if err := s.Store.FailNotification(ctx, n.ID, text, next, stop, now); err != nil && !core.IsNotFound(err) {
		return err
	}
	return nil
}

// storeError marks an error from the store while preparing, which is not
// the notification's fault.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func isStoreError(err error) bool {
	var se *storeError
	return errors.As(err, &se)
}

// prepare loads what n needs and renders its message.
func (s *Notifications) prepare(ctx context.Context, n *core.Notification) (slug string, data map[string]any, msg notify.Message, err error) {
	load := func(what string, id uuid.UUID, err error) error {
		if core.IsNotFound(err) {
			return gone(what, id)
		}
		return &storeError{err}
	}
	policy, err := s.Store.GetNotificationPolicy(ctx, n.PolicyID)
	if err != nil {
		return "", nil, msg, load("notification policy", n.PolicyID, err)
	}
	run, err := s.Store.GetFlowRun(ctx, n.FlowRunID)
	if err != nil {
		return "", nil, msg, load("flow run", n.FlowRunID, err)
	}
	flow, err := s.Store.GetFlow(ctx, run.FlowID)
	if err != nil {
		return "", nil, msg, load("flow", run.FlowID, err)
	}
	doc, err := s.Store.GetBlockDocument(ctx, policy.BlockDocumentID)
	if err != nil {
		return "", nil, msg, load("block document", policy.BlockDocumentID, err)
	}
	bt, err := s.Store.GetBlockType(ctx, doc.BlockTypeID)
	if err != nil {
		return "", nil, msg, load("block type", doc.BlockTypeID, err)
	}
	data = map[string]any{}
	if len(doc.Data) > 0 {
		plain, err := s.Box.Open(doc.Data)
		if err != nil {
			return "", nil, msg, &giveUp{fmt.Sprintf("block document %s cannot be opened with this server's secret key", doc.ID)}
		}
		if err := json.Unmarshal(plain, &data); err != nil {
			return "", nil, msg, &giveUp{fmt.Sprintf("block document %s holds invalid data", doc.ID)}
		}
	}
	vars := s.Variables(n, policy, run, flow)
	tmpl := notify.DefaultTemplate
	if policy.MessageTemplate != nil && *policy.MessageTemplate != "" {
		tmpl = *policy.MessageTemplate
	}
	body, err := notify.Execute(tmpl, vars)
	if err != nil {
		return "", nil, msg, &giveUp{"the policy's message template does not render: " + err.Error()}
	}
	return bt.Slug, data, notify.Message{Subject: notify.Subject, Body: body, Variables: vars}, nil
}

// Variables are the template variables of n, formatted as 2.7.12's
// str.format shows its values (None, Python reprs, pendulum timestamps).
func (s *Notifications) Variables(n *core.Notification, p *core.FlowRunNotificationPolicy, run *core.FlowRun, flow *core.Flow) map[string]string {
	msg := "None"
	if n.StateMessage != nil {
		msg = *n.StateMessage
	}
	return map[string]string{
		"flow_run_notification_policy_id": p.ID.String(),
		"flow_id":                         flow.ID.String(),
		"flow_name":                       flow.Name,
		"flow_run_url":                    strings.TrimRight(s.UIURL, "/") + "/flow-runs/flow-run/" + run.ID.String(),
		"flow_run_id":                     run.ID.String(),
		"flow_run_name":                   run.Name,
		"flow_run_parameters":             notify.PythonRepr(run.Parameters),
		// The enum's value, as 2.7.12 formats its StateType on Python
		// 3.7-3.10 (3.11's format() of a str-mixin enum gives
		// "StateType.FAILED", which no template means).
		"flow_run_state_type":      string(n.StateType),
		"flow_run_state_name":      n.StateName,
		"flow_run_state_timestamp": notify.PythonTimestamp(n.StateTimestamp.Time),
		"flow_run_state_message":   msg,
	}
}
