package services_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/notify"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// hookReceiver records the JSON webhook bodies it accepts; fail makes it
// answer 500 to the next n requests.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	hits   int
	fail   int
	header http.Header
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.hits++
		if h.fail > 0 {
			h.fail--
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		h.bodies = append(h.bodies, m)
		h.header = r.Header.Clone()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits
}

func (h *hookReceiver) messages() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.bodies...)
}

// notifyBundle is a SQLite store with a flow, a fake clock and a service.
type notifyBundle struct {
	t    *testing.T
	ctx  context.Context
	st   store.Store
	box  *secretbox.Box
	orch *orchestration.Orchestrator
	flow *core.Flow
	svc  *services.Notifications
	mu   sync.Mutex
	now  time.Time
	hook *hookReceiver
	// types maps a block type slug to its (type, schema) ids.
	types map[string][2]uuid.UUID
}

func newNotifyBundle(t *testing.T) *notifyBundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	b := &notifyBundle{t: t, ctx: ctx, st: st, box: box, now: time.Date(2023, 2, 7, 10, 0, 0, 123456000, time.UTC),
		hook: newHookReceiver(t), types: map[string][2]uuid.UUID{}}
	clock := func() time.Time { b.mu.Lock(); defer b.mu.Unlock(); return b.now }
	b.orch = &orchestration.Orchestrator{Store: st, Now: clock}
	b.flow, _, err = st.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Created: core.T(b.now), Updated: core.T(b.now), Name: "etl", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	b.svc = &services.Notifications{Store: st, Box: box, Deliverer: &notify.Deliverer{Timeout: 5 * time.Second},
		UIURL: "http://ui.example/", Now: clock, Concurrency: 3}
	return b
}

func (b *notifyBundle) advance(d time.Duration) {
	b.mu.Lock()
	b.now = b.now.Add(d)
	b.mu.Unlock()
}

// block stores a block document of type slug with data sealed.
func (b *notifyBundle) block(slug string, data map[string]any) uuid.UUID {
	b.t.Helper()
	ids, ok := b.types[slug]
	if !ok {
		ids = [2]uuid.UUID{uuid.New(), uuid.New()}
		now := core.T(b.now)
		if err := b.st.CreateBlockType(b.ctx, &core.BlockType{ID: ids[0], Created: now, Updated: now, Name: slug, Slug: slug}); err != nil {
			b.t.Fatal(err)
		}
		if _, _, err := b.st.CreateBlockSchema(b.ctx, &core.BlockSchema{ID: ids[1], Created: now, Updated: now, Checksum: "sha256:" + slug,
			Fields: json.RawMessage(`{}`), BlockTypeID: ids[0], Capabilities: []string{"notify"}, Version: "1"}); err != nil {
			b.t.Fatal(err)
		}
		b.types[slug] = ids
	}
	plain, _ := json.Marshal(data)
	sealed, err := b.box.Seal(plain)
	if err != nil {
		b.t.Fatal(err)
	}
	id := uuid.New()
	if err := b.st.CreateBlockDocument(b.ctx, &store.BlockDocumentRecord{ID: id, Created: core.T(b.now), Updated: core.T(b.now),
		Name: "b-" + id.String()[:8], Data: sealed, BlockSchemaID: ids[1], BlockTypeID: ids[0]}); err != nil {
		b.t.Fatal(err)
	}
	return id
}

func (b *notifyBundle) policy(blockID uuid.UUID, tmpl *string, states ...string) *core.FlowRunNotificationPolicy {
	b.t.Helper()
	p, err := b.st.CreateNotificationPolicy(b.ctx, &core.FlowRunNotificationPolicy{ID: uuid.Must(uuid.NewV7()), Created: core.T(b.now),
		Updated: core.T(b.now), IsActive: true, StateNames: states, Tags: []string{}, BlockDocumentID: blockID, MessageTemplate: tmpl})
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// run creates a flow run and moves it through states.
func (b *notifyBundle) run(msg string, to ...core.StateType) *core.FlowRun {
	b.t.Helper()
	run := &core.FlowRun{ID: uuid.New(), Created: core.T(b.now), Updated: core.T(b.now), FlowID: b.flow.ID, Name: "brave-fox",
		Parameters: json.RawMessage(`{"n": 3, "name": "x"}`), Context: json.RawMessage(`{}`), Tags: []string{}}
	if _, _, err := b.orch.CreateFlowRun(b.ctx, run, nil); err != nil {
		b.t.Fatal(err)
	}
	for _, typ := range to {
		sc := core.StateCreate{Type: typ}
		if typ == core.Failed && msg != "" {
			sc.Message = &msg
		}
		if _, written, err := b.orch.SetFlowRunState(b.ctx, run.ID, sc, false, nil); err != nil || !written {
			b.t.Fatalf("%s: written %v, %v", typ, written, err)
		}
	}
	return run
}

func (b *notifyBundle) runOnce() {
	b.t.Helper()
	if err := b.svc.RunOnce(b.ctx); err != nil {
		b.t.Fatal(err)
	}
}

func (b *notifyBundle) notifications(runID uuid.UUID) []*core.Notification {
	b.t.Helper()
	ns, err := b.st.ListNotifications(b.ctx, &store.NotificationQuery{FlowRunIDs: []uuid.UUID{runID}})
	if err != nil {
		b.t.Fatal(err)
	}
	return ns
}

func strp(s string) *string { return &s }

func TestNotificationsDeliverRenderedMessageOnce(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	block := b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL + "/hook", "secret_header_name": "X-Token", "secret_header_value": "s3cret"})
	tmpl := "{flow_name}/{flow_run_name} is {flow_run_state_name} ({flow_run_state_type}): {flow_run_state_message} {flow_run_parameters} {flow_run_url} at {flow_run_state_timestamp}"
	p := b.policy(block, &tmpl, "Failed")
	failed := b.run("boom", core.Running, core.Failed)
	completed := b.run("", core.Running, core.Completed)

	b.runOnce()
	b.runOnce() // a second pass sends nothing more
	msgs := b.hook.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1: %v", len(msgs), msgs)
	}
	want := "etl/brave-fox is Failed (FAILED): boom {'n': 3, 'name': 'x'} http://ui.example/flow-runs/flow-run/" + failed.ID.String() +
		" at 2023-02-07T10:00:00.123456+00:00"
	if msgs[0]["body"] != want || msgs[0]["subject"] != notify.Subject {
		t.Errorf("message %v, want body %q", msgs[0], want)
	}
	vars, _ := msgs[0]["variables"].(map[string]any)
	if vars["flow_run_notification_policy_id"] != p.ID.String() || vars["flow_id"] != b.flow.ID.String() {
		t.Errorf("variables %v", vars)
	}
	if got := b.hook.header.Get("X-Token"); got != "s3cret" {
		t.Errorf("secret header %q", got)
	}
	ns := b.notifications(failed.ID)
	if len(ns) != 1 || ns[0].Status != core.NotificationDelivered || ns[0].DeliveredAt == nil || ns[0].Attempts != 0 {
		t.Errorf("notification after delivery: %+v", ns)
	}
	if ns := b.notifications(completed.ID); len(ns) != 0 {
		t.Errorf("a Completed run queued %d notifications", len(ns))
	}
}

func TestNotificationsDefaultTemplateOverSlack(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	var got map[string]any
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		_, _ = io.WriteString(w, "ok")
	}))
	defer slack.Close()
	b.policy(b.block(notify.SlackWebhook, map[string]any{"url": slack.URL + "/services/T/B/C", "notify_type": "prefect_default"}), nil, "Failed")
	run := b.run("", core.Running, core.Failed)
	b.runOnce()
	att, _ := got["attachments"].([]any)
	if len(att) != 1 {
		t.Fatalf("slack payload %v", got)
	}
	text := att[0].(map[string]any)["text"]
	// apprise strips the body's end only, so 2.7.12 sends the default
	// template's leading newline.
	want := "\nFlow run etl/brave-fox entered state `Failed` at 2023-02-07T10:00:00.123456+00:00.\n\nFlow ID: " + b.flow.ID.String() +
		"\nFlow run ID: " + run.ID.String() + "\nFlow run URL: http://ui.example/flow-runs/flow-run/" + run.ID.String() + "\nState message: None"
	if text != want {
		t.Errorf("slack text\n%q\nwant\n%q", text, want)
	}
}

func TestNotificationsRetryWithBackoff(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	b.hook.fail = 2
	b.policy(b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL}), strp("{flow_run_name}"), "Failed")
	run := b.run("", core.Running, core.Failed)

	b.runOnce() // attempt 1: 500
	ns := b.notifications(run.ID)
	if len(ns) != 1 || ns[0].Status != core.NotificationPending || ns[0].Attempts != 1 || ns[0].LastError == nil ||
		!strings.Contains(*ns[0].LastError, "answered 500") || !ns[0].NextAttemptAt.Equal(b.now.Add(10*time.Second)) {
		t.Fatalf("after one failure: %+v", ns[0])
	}
	b.runOnce() // not due yet
	b.advance(10 * time.Second)
	b.runOnce() // attempt 2: 500, next in 30 s
	if ns := b.notifications(run.ID); ns[0].Attempts != 2 || !ns[0].NextAttemptAt.Equal(b.now.Add(30*time.Second)) {
		t.Fatalf("after two failures: %+v", ns[0])
	}
	b.advance(29 * time.Second)
	b.runOnce()
	if b.hook.count() != 2 {
		t.Fatalf("%d requests before the backoff ended, want 2", b.hook.count())
	}
	b.advance(time.Second)
	b.runOnce() // attempt 3: delivered
	b.runOnce()
	if msgs := b.hook.messages(); len(msgs) != 1 || msgs[0]["body"] != "brave-fox" {
		t.Fatalf("messages %v", msgs)
	}
	if ns := b.notifications(run.ID); ns[0].Status != core.NotificationDelivered || ns[0].Attempts != 2 {
		t.Fatalf("after delivery: %+v", ns[0])
	}
}

func TestNotificationsGiveUp(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	b.svc.MaxAttempts = 2
	b.hook.fail = 100
	b.policy(b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL}), nil, "Failed")
	run := b.run("", core.Running, core.Failed)
	b.runOnce()
	b.advance(time.Hour)
	b.runOnce()
	b.advance(time.Hour)
	b.runOnce()
	ns := b.notifications(run.ID)
	if len(ns) != 1 || ns[0].Status != core.NotificationFailed || ns[0].Attempts != 2 || ns[0].LastError == nil ||
		!strings.HasPrefix(*ns[0].LastError, "gave up after 2 attempts: json-webhook: the provider answered 500") {
		t.Fatalf("%+v (%s)", ns[0], deref(ns[0].LastError))
	}
	if b.hook.count() != 2 {
		t.Errorf("%d requests, want 2", b.hook.count())
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestNotificationsBrokenNeverBlockTheQueue: a notification whose policy,
// block or template cannot work is failed at once with the reason, and the
// good ones around it are delivered in the same pass.
func TestNotificationsBrokenNeverBlockTheQueue(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	good := b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL})
	deletedPolicy := b.policy(good, nil, "Failed")
	missingBlock := b.policy(uuid.New(), nil, "Failed")
	badTemplate := b.policy(good, strp("{flow_name"), "Failed")
	noURL := b.policy(b.block(notify.SlackWebhook, map[string]any{}), nil, "Failed")
	notNotify := b.policy(b.block("s3", map[string]any{"bucket": "x"}), nil, "Failed")
	undecryptable := b.policy(good, nil, "Failed")
	other, _ := secretbox.New(append(make([]byte, 31), 1))
	sealed, _ := other.Seal([]byte(`{"url": "http://x"}`))
	rec, _ := b.st.GetBlockDocument(b.ctx, good)
	badDoc := *rec
	badDoc.ID, badDoc.Name, badDoc.Data = uuid.New(), "sealed-elsewhere", sealed
	if err := b.st.CreateBlockDocument(b.ctx, &badDoc); err != nil {
		t.Fatal(err)
	}
	if err := b.st.UpdateNotificationPolicy(b.ctx, undecryptable.ID, &store.NotificationPolicyUpdate{BlockDocumentID: &badDoc.ID}, b.now); err != nil {
		t.Fatal(err)
	}
	fine := b.policy(good, strp("ok {flow_run_state_name}"), "Failed")

	run := b.run("", core.Running, core.Failed)
	if err := b.st.DeleteNotificationPolicy(b.ctx, deletedPolicy.ID); err != nil {
		t.Fatal(err)
	}
	b.runOnce()

	want := map[uuid.UUID]string{
		deletedPolicy.ID: "notification policy " + deletedPolicy.ID.String() + " no longer exists",
		missingBlock.ID:  "block document " + missingBlock.BlockDocumentID.String() + " no longer exists",
		badTemplate.ID:   "the policy's message template does not render: expected '}' before end of string",
		noURL.ID:         `slack-webhook block: field "url" is required`,
		notNotify.ID:     "s3 block: not a notification block type Orrery delivers",
		undecryptable.ID: "cannot be opened with this server's secret key",
	}
	ns := b.notifications(run.ID)
	if len(ns) != len(want)+1 {
		t.Fatalf("%d notifications, want %d", len(ns), len(want)+1)
	}
	for _, n := range ns {
		if n.PolicyID == fine.ID {
			if n.Status != core.NotificationDelivered {
				t.Errorf("the good notification: %+v", n)
			}
			continue
		}
		if n.Status != core.NotificationFailed || n.Attempts != 1 || n.LastError == nil || !strings.Contains(*n.LastError, want[n.PolicyID]) {
			t.Errorf("policy %s: status %s, attempts %d, error %q; want failed with %q", n.PolicyID, n.Status, n.Attempts, deref(n.LastError), want[n.PolicyID])
		}
	}
	if msgs := b.hook.messages(); len(msgs) != 1 || msgs[0]["body"] != "ok Failed" {
		t.Errorf("messages %v", msgs)
	}
}

// TestNotificationsConcurrentPasses: overlapping passes (two servers, or a
// tick that overlaps the previous one) deliver every notification exactly
// once.
func TestNotificationsConcurrentPasses(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	b.policy(b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL}), strp("{flow_run_id}"), "Failed")
	want := map[string]bool{}
	for range 12 {
		want[b.run("", core.Running, core.Failed).ID.String()] = true
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.svc.RunOnce(b.ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b.runOnce()
	got := map[string]int{}
	for _, m := range b.hook.messages() {
		got[m["body"].(string)]++
	}
	if len(got) != len(want) {
		t.Fatalf("%d distinct messages, want %d", len(got), len(want))
	}
	for id, n := range got {
		if !want[id] || n != 1 {
			t.Errorf("run %s announced %d times", id, n)
		}
	}
}

// TestNotificationsStopBeforeTheDeadline: a pass whose context ends too
// soon for a delivery (a Lambda tick near its timeout) claims nothing.
func TestNotificationsStopBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	b.policy(b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL}), nil, "Failed")
	run := b.run("", core.Running, core.Failed)
	ctx, cancel := context.WithTimeout(b.ctx, 6*time.Second) // the deliverer's 5 s + 5 s margin do not fit
	defer cancel()
	if err := b.svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if ns := b.notifications(run.ID); ns[0].Status != core.NotificationPending || ns[0].LeaseUntil != nil || b.hook.count() != 0 {
		t.Fatalf("claimed or sent near the deadline: %+v", ns[0])
	}
	b.runOnce()
	if ns := b.notifications(run.ID); ns[0].Status != core.NotificationDelivered {
		t.Fatalf("not delivered without a deadline: %+v", ns[0])
	}
}

// TestNotificationsLeaseHeldByADeadDeliverer: a deliverer that claimed a
// notification and died holds it until the lease ends; then the next pass
// delivers it, once.
func TestNotificationsLeaseHeldByADeadDeliverer(t *testing.T) {
	t.Parallel()
	b := newNotifyBundle(t)
	b.policy(b.block(notify.JSONWebhook, map[string]any{"url": b.hook.URL}), strp("{flow_run_id}"), "Failed")
	run := b.run("", core.Running, core.Failed)
	if got, err := b.st.ClaimNotifications(b.ctx, b.now, services.DefaultNotificationLease, 10); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v, %v", got, err)
	} // ... and the claimer dies here
	b.runOnce()
	b.advance(services.DefaultNotificationLease - time.Second)
	b.runOnce()
	if b.hook.count() != 0 {
		t.Fatal("delivered while another deliverer's lease held it")
	}
	b.advance(time.Second)
	b.runOnce()
	b.runOnce()
	if msgs := b.hook.messages(); len(msgs) != 1 || msgs[0]["body"] != run.ID.String() {
		t.Fatalf("messages after the lease ended: %v", msgs)
	}
}

func TestNotificationBackoff(t *testing.T) {
	t.Parallel()
	for failures, want := range map[int]time.Duration{1: 10 * time.Second, 2: 30 * time.Second, 3: 90 * time.Second, 4: 270 * time.Second, 10: time.Hour} {
		if got := services.NotificationBackoff(failures); got != want {
			t.Errorf("NotificationBackoff(%d) = %s, want %s", failures, got, want)
		}
	}
	fast := services.ExponentialBackoff(100 * time.Millisecond)
	if fast(1) != 100*time.Millisecond || fast(3) != 900*time.Millisecond {
		t.Errorf("ExponentialBackoff(100ms): %s, %s", fast(1), fast(3))
	}
	if slow := services.ExponentialBackoff(2 * time.Hour); slow(1) != 2*time.Hour || slow(5) != 2*time.Hour {
		t.Errorf("ExponentialBackoff(2h): %s, %s", slow(1), slow(5))
	}
}
