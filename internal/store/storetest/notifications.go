package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// notificationTests are the conformance tests of store.NotificationStore
// (wired into Run; names start with "Notif" for -run).
var notificationTests = map[string]func(*testing.T, store.Store){
	"NotifPolicies":           testNotifPolicies,
	"NotifQueuedWithState":    testNotifQueuedWithTransition,
	"NotifDedupe":             testNotifDedupe,
	"NotifConcurrentClaims":   testNotifConcurrentClaims,
	"NotifRetryAndGiveUp":     testNotifRetry,
	"NotifReset":              testNotifReset,
	"NotifManyPolicies":       testNotifManyPolicies,
	"NotifPolicyFollowsBlock": testNotifPolicyFollowsBlock,
}

// testNotifPolicyFollowsBlock: deleting a block document deletes the
// policies delivering through it (2.7's foreign key cascades), and only
// those.
func testNotifPolicyFollowsBlock(t *testing.T, s store.Store) {
	now := core.T(t0)
	bt := &core.BlockType{ID: uuid.New(), Created: now, Updated: now, Name: "Hook", Slug: "notif-hook"}
	must(t, s.CreateBlockType(ctx, bt))
	sc := &core.BlockSchema{ID: uuid.New(), Created: now, Checksum: "sha256:notif-hook", Fields: json.RawMessage(`{}`), BlockTypeID: bt.ID, Capabilities: []string{}, Version: "1"}
	_, _, err := s.CreateBlockSchema(ctx, sc)
	must(t, err)
	doc := &store.BlockDocumentRecord{ID: uuid.New(), Created: now, Updated: now, Name: "hook", Data: []byte{1}, BlockSchemaID: sc.ID, BlockTypeID: bt.ID, References: map[string]uuid.UUID{}}
	must(t, s.CreateBlockDocument(ctx, doc))
	p := &core.FlowRunNotificationPolicy{ID: uuid.Must(uuid.NewV7()), Created: now, Updated: now, IsActive: true,
		StateNames: []string{"Failed"}, Tags: []string{}, BlockDocumentID: doc.ID}
	p, err = s.CreateNotificationPolicy(ctx, p)
	must(t, err)
	other := newPolicy(t, s, true, []string{"Failed"}, nil)
	must(t, s.DeleteBlockDocument(ctx, doc.ID))
	_, err = s.GetNotificationPolicy(ctx, p.ID)
	wantCode(t, err, core.ENotFound)
	if _, err := s.GetNotificationPolicy(ctx, other.ID); err != nil {
		t.Fatalf("a policy of another block went too: %v", err)
	}
}

func newPolicy(t *testing.T, s store.Store, active bool, states, tags []string) *core.FlowRunNotificationPolicy {
	t.Helper()
	now := core.T(t0)
	p := &core.FlowRunNotificationPolicy{ID: uuid.Must(uuid.NewV7()), Created: now, Updated: now, IsActive: active,
		StateNames: states, Tags: tags, BlockDocumentID: uuid.New()}
	out, err := s.CreateNotificationPolicy(ctx, p)
	must(t, err)
	return out
}

func policyIDs(ps []*core.FlowRunNotificationPolicy) []uuid.UUID {
	out := make([]uuid.UUID, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func testNotifPolicies(t *testing.T, s store.Store) {
	tmpl := "Run {flow_run_name} is {flow_run_state_name}"
	a := newPolicy(t, s, true, []string{"Failed"}, []string{})
	b := newPolicy(t, s, false, []string{"Completed", "Crashed"}, []string{"prod"})
	c := newPolicy(t, s, true, []string{}, []string{"x", "y"})

	got, err := s.GetNotificationPolicy(ctx, b.ID)
	must(t, err)
	if got.IsActive || !slices.Equal(got.StateNames, b.StateNames) || !slices.Equal(got.Tags, b.Tags) ||
		got.BlockDocumentID != b.BlockDocumentID || got.MessageTemplate != nil || !got.Created.Equal(b.Created.Time) {
		t.Fatalf("GetNotificationPolicy = %+v, want %+v", got, b)
	}
	_, err = s.GetNotificationPolicy(ctx, uuid.New())
	wantCode(t, err, core.ENotFound)
	_, err = s.CreateNotificationPolicy(ctx, a)
	wantCode(t, err, core.EConflict)

	// Update: set fields only, updated stamped.
	later := t0.Add(time.Minute)
	tp := &tmpl
	active := true
	must(t, s.UpdateNotificationPolicy(ctx, b.ID, &store.NotificationPolicyUpdate{IsActive: &active, MessageTemplate: &tp}, later))
	got, err = s.GetNotificationPolicy(ctx, b.ID)
	must(t, err)
	if !got.IsActive || got.MessageTemplate == nil || *got.MessageTemplate != tmpl || !got.Updated.Equal(later) ||
		!slices.Equal(got.Tags, []string{"prod"}) {
		t.Fatalf("after update: %+v", got)
	}
	var none *string
	inactive := false
	must(t, s.UpdateNotificationPolicy(ctx, b.ID, &store.NotificationPolicyUpdate{MessageTemplate: &none, IsActive: &inactive}, later))
	got, _ = s.GetNotificationPolicy(ctx, b.ID)
	if got.MessageTemplate != nil || got.IsActive {
		t.Fatalf("template not cleared: %+v", got)
	}
	wantCode(t, s.UpdateNotificationPolicy(ctx, uuid.New(), &store.NotificationPolicyUpdate{}, later), core.ENotFound)

	// Lists are ordered by id; is_active filters; pages.
	want := []uuid.UUID{a.ID, b.ID, c.ID}
	slices.SortFunc(want, func(x, y uuid.UUID) int { return compareStrings(x.String(), y.String()) })
	tests := []struct {
		name string
		q    store.NotificationPolicyQuery
		want []uuid.UUID
	}{
		{"all", store.NotificationPolicyQuery{}, want},
		{"active", store.NotificationPolicyQuery{IsActive: ptr(true)}, without(want, b.ID)},
		{"inactive", store.NotificationPolicyQuery{IsActive: ptr(false)}, []uuid.UUID{b.ID}},
		{"page", store.NotificationPolicyQuery{Page: store.Page{Limit: 1, Offset: 1}}, want[1:2]},
	}
	for _, tt := range tests {
		ps, err := s.ListNotificationPolicies(ctx, &tt.q)
		must(t, err)
		if got := policyIDs(ps); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}

	must(t, s.DeleteNotificationPolicy(ctx, a.ID))
	wantCode(t, s.DeleteNotificationPolicy(ctx, a.ID), core.ENotFound)
	_, err = s.GetNotificationPolicy(ctx, a.ID)
	wantCode(t, err, core.ENotFound)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func without(ids []uuid.UUID, drop uuid.UUID) []uuid.UUID {
	return slices.DeleteFunc(slices.Clone(ids), func(id uuid.UUID) bool { return id == drop })
}

// transition commits a move of run r (as read) to a new state of typ, with
// notifications of policies ps for it; it returns the state.
func transition(t *testing.T, s store.Store, runID uuid.UUID, typ core.StateType, at time.Time, ps ...*core.FlowRunNotificationPolicy) (*core.State, *store.FlowRunTransition) {
	t.Helper()
	cur, err := s.GetFlowRun(ctx, runID)
	must(t, err)
	next := *cur
	st := state(typ, at)
	next.State, next.StateType, next.StateID = st, &st.Type, &st.ID
	tr := &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}
	for _, p := range ps {
		tr.Notifications = append(tr.Notifications, core.NewNotification(p, runID, st, core.T(at)))
	}
	must(t, s.CommitFlowRunTransition(ctx, tr))
	return st, tr
}

func listNotifs(t *testing.T, s store.Store, q store.NotificationQuery) []*core.Notification {
	t.Helper()
	ns, err := s.ListNotifications(ctx, &q)
	must(t, err)
	return ns
}

func testNotifQueuedWithTransition(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	p := newPolicy(t, s, true, []string{"Failed"}, []string{})
	msg := "boom"
	cur, _ := s.GetFlowRun(ctx, r.ID)
	next := *cur
	st := state(core.Failed, t0.Add(time.Second))
	st.Message = &msg
	next.State, next.StateType, next.StateID = st, &st.Type, &st.ID
	n := core.NewNotification(p, r.ID, st, core.T(t0.Add(time.Second)))
	must(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true,
		Notifications: []*core.Notification{n}}))
	if next.Version != cur.Version+1 {
		t.Fatalf("version %d after %d", next.Version, cur.Version)
	}
	got := listNotifs(t, s, store.NotificationQuery{})
	if len(got) != 1 {
		t.Fatalf("queued %d notifications, want 1", len(got))
	}
	g := got[0]
	if g.ID != core.NotificationID(p.ID, st.ID) || g.PolicyID != p.ID || g.FlowRunID != r.ID || g.StateID != st.ID ||
		g.StateName != "Failed" || g.StateType != core.Failed || g.StateMessage == nil || *g.StateMessage != msg ||
		!g.StateTimestamp.Equal(st.Timestamp.Time) || g.Status != core.NotificationPending || g.Attempts != 0 ||
		g.LeaseUntil != nil || g.DeliveredAt != nil || g.LastError != nil {
		t.Fatalf("queued %+v", g)
	}
	states, err := s.ListFlowRunStates(ctx, r.ID)
	must(t, err)
	if states[len(states)-1].ID != st.ID {
		t.Fatal("the state was not appended with its notification")
	}

	// A transition that loses its version race queues nothing.
	stale := *cur
	st2 := state(core.Crashed, t0.Add(2*time.Second))
	stale.State = st2
	err = s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &stale, ExpectedVersion: cur.Version, AppendState: true,
		Notifications: []*core.Notification{core.NewNotification(p, r.ID, st2, core.T(t0))}})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("stale transition: %v", err)
	}
	ghost := next
	ghost.ID = uuid.New()
	wantCode(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &ghost, ExpectedVersion: 1, AppendState: true,
		Notifications: []*core.Notification{core.NewNotification(p, ghost.ID, state(core.Failed, t0), core.T(t0))}}), core.ENotFound)
	if got := listNotifs(t, s, store.NotificationQuery{}); len(got) != 1 {
		t.Fatalf("%d notifications after lost transitions, want 1", len(got))
	}

	// Filters.
	other := newRun(t, s, f, core.Running)
	transition(t, s, other.ID, core.Failed, t0.Add(3*time.Second), p)
	tests := []struct {
		name string
		q    store.NotificationQuery
		want int
	}{
		{"all", store.NotificationQuery{}, 2},
		{"by run", store.NotificationQuery{FlowRunIDs: []uuid.UUID{other.ID}}, 1},
		{"by policy", store.NotificationQuery{PolicyIDs: []uuid.UUID{p.ID}}, 2},
		{"other policy", store.NotificationQuery{PolicyIDs: []uuid.UUID{uuid.New()}}, 0},
		{"pending", store.NotificationQuery{Statuses: []string{core.NotificationPending}}, 2},
		{"failed", store.NotificationQuery{Statuses: []string{core.NotificationFailed}}, 0},
		{"page", store.NotificationQuery{Page: store.Page{Limit: 1}}, 1},
	}
	for _, tt := range tests {
		if got := listNotifs(t, s, tt.q); len(got) != tt.want {
			t.Errorf("%s: %d notifications, want %d", tt.name, len(got), tt.want)
		}
	}
	// Newest first.
	if got := listNotifs(t, s, store.NotificationQuery{}); got[0].FlowRunID != other.ID {
		t.Errorf("not newest first: %v then %v", got[0].FlowRunID, got[1].FlowRunID)
	}
}

func testNotifDedupe(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	p := newPolicy(t, s, true, []string{"Failed"}, []string{})
	q := newPolicy(t, s, true, []string{}, []string{})
	st, tr := transition(t, s, r.ID, core.Failed, t0.Add(time.Second), p)

	// The same (policy, state) again — twice in one write, and once more
	// beside a new one — is skipped, and the transition still commits.
	cur, _ := s.GetFlowRun(ctx, r.ID)
	again := *cur
	dup := core.NewNotification(p, r.ID, st, core.T(t0.Add(time.Minute)))
	dup2 := *dup
	fresh := core.NewNotification(q, r.ID, st, core.T(t0.Add(time.Minute)))
	must(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &again, ExpectedVersion: cur.Version,
		Notifications: []*core.Notification{dup, &dup2, fresh}}))
	if again.Version != cur.Version+1 {
		t.Fatalf("the transition carrying duplicates did not commit: version %d", again.Version)
	}
	got := listNotifs(t, s, store.NotificationQuery{})
	if len(got) != 2 {
		t.Fatalf("%d notifications, want 2 (one per policy)", len(got))
	}
	for _, n := range got {
		if n.PolicyID == p.ID && !n.Created.Equal(tr.Notifications[0].Created.Time) {
			t.Errorf("the duplicate replaced the first: created %v", n.Created)
		}
	}
	// A delivered notification stays delivered when its key comes again.
	must(t, s.CompleteNotification(ctx, core.NotificationID(p.ID, st.ID), t0.Add(time.Hour)))
	cur, _ = s.GetFlowRun(ctx, r.ID)
	again = *cur
	must(t, s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &again, ExpectedVersion: cur.Version,
		Notifications: []*core.Notification{core.NewNotification(p, r.ID, st, core.T(t0.Add(2*time.Hour)))}}))
	got = listNotifs(t, s, store.NotificationQuery{PolicyIDs: []uuid.UUID{p.ID}})
	if len(got) != 1 || got[0].Status != core.NotificationDelivered {
		t.Fatalf("after replay: %+v", got)
	}
}

func testNotifConcurrentClaims(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	p := newPolicy(t, s, true, []string{}, []string{})
	const runs = 12
	for i := 0; i < runs; i++ {
		r := newRun(t, s, f, core.Running)
		transition(t, s, r.ID, core.Failed, t0, p)
	}
	now := t0.Add(time.Minute)
	lease := time.Minute
	const claimers = 4
	var mu sync.Mutex
	seen := map[uuid.UUID]int{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for i := 0; i < claimers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 4; round++ {
				ns, err := s.ClaimNotifications(ctx, now, lease, 3)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, n := range ns {
					seen[n.ID]++
					if n.LeaseUntil == nil || !n.LeaseUntil.Equal(now.Add(lease)) {
						errs <- fmt.Errorf("claimed %s with lease %v", n.ID, n.LeaseUntil)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for id, k := range seen {
		if k > 1 {
			t.Errorf("notification %s claimed %d times under one lease", id, k)
		}
	}
	// Every one is claimed in the end (a claimer that found a batch taken
	// comes back empty-handed, never with an error).
	for len(seen) < runs {
		ns, err := s.ClaimNotifications(ctx, now, lease, runs)
		must(t, err)
		if len(ns) == 0 {
			break
		}
		for _, n := range ns {
			seen[n.ID]++
		}
	}
	if len(seen) != runs {
		t.Fatalf("claimed %d distinct notifications, want %d", len(seen), runs)
	}
	// Leased: nothing to claim until the lease ends, then all again.
	ns, err := s.ClaimNotifications(ctx, now.Add(lease-time.Second), lease, runs)
	must(t, err)
	if len(ns) != 0 {
		t.Fatalf("claimed %d leased notifications", len(ns))
	}
	ns = claimAll(t, s, now.Add(lease), lease, runs)
	if len(ns) != runs {
		t.Fatalf("re-claimed %d notifications after the lease ended, want %d", len(ns), runs)
	}
}

// claimAll claims until want are claimed or a claim comes back empty. (On
// DynamoDB the pending index is eventually consistent, so one call may
// see fewer.)
func claimAll(t *testing.T, s store.Store, now time.Time, lease time.Duration, want int) []*core.Notification {
	t.Helper()
	var out []*core.Notification
	for tries := 0; len(out) < want && tries < 20; tries++ {
		ns, err := s.ClaimNotifications(ctx, now, lease, want-len(out))
		must(t, err)
		out = append(out, ns...)
		if len(ns) == 0 && tries > 3 {
			break
		}
	}
	return out
}

func testNotifRetry(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	p := newPolicy(t, s, true, []string{"Failed"}, []string{})
	r := newRun(t, s, f, core.Running)
	st, _ := transition(t, s, r.ID, core.Failed, t0, p)
	id := core.NotificationID(p.ID, st.ID)
	now := t0.Add(time.Second)
	lease := 30 * time.Second

	ns := claimAll(t, s, now, lease, 1)
	if len(ns) != 1 || ns[0].ID != id {
		t.Fatalf("claimed %v", ns)
	}
	// A failed attempt: backoff until next, lease cleared.
	next := now.Add(time.Minute)
	must(t, s.FailNotification(ctx, id, "500 Internal Server Error", next, false, now))
	n := listNotifs(t, s, store.NotificationQuery{})[0]
	if n.Status != core.NotificationPending || n.Attempts != 1 || n.LastError == nil || *n.LastError != "500 Internal Server Error" ||
		!n.NextAttemptAt.Equal(next) || !n.Updated.Equal(now) {
		t.Fatalf("after a failure: %+v", n)
	}
	if ns, _ := s.ClaimNotifications(ctx, next.Add(-time.Second), lease, 5); len(ns) != 0 {
		t.Fatal("claimed before its next attempt")
	}
	ns = claimAll(t, s, next, lease, 1)
	if len(ns) != 1 || ns[0].Attempts != 1 {
		t.Fatalf("re-claim after backoff: %+v", ns)
	}
	done := next.Add(time.Second)
	must(t, s.CompleteNotification(ctx, id, done))
	n = listNotifs(t, s, store.NotificationQuery{})[0]
	if n.Status != core.NotificationDelivered || n.DeliveredAt == nil || !n.DeliveredAt.Equal(done) || n.Attempts != 1 {
		t.Fatalf("after completion: %+v", n)
	}
	if ns, _ := s.ClaimNotifications(ctx, done.Add(time.Hour), lease, 5); len(ns) != 0 {
		t.Fatal("claimed a delivered notification")
	}

	// Giving up: failed for good, never claimed again, visible by status.
	r2 := newRun(t, s, f, core.Running)
	st2, _ := transition(t, s, r2.ID, core.Failed, t0, p)
	id2 := core.NotificationID(p.ID, st2.ID)
	claimAll(t, s, now, lease, 1)
	must(t, s.FailNotification(ctx, id2, "no route to host", now.Add(time.Hour), true, now))
	failed := listNotifs(t, s, store.NotificationQuery{Statuses: []string{core.NotificationFailed}})
	if len(failed) != 1 || failed[0].ID != id2 || failed[0].Attempts != 1 || *failed[0].LastError != "no route to host" {
		t.Fatalf("failed list: %+v", failed)
	}
	if ns, _ := s.ClaimNotifications(ctx, now.Add(48*time.Hour), lease, 5); len(ns) != 0 {
		t.Fatal("claimed a notification that was given up")
	}
	wantCode(t, s.CompleteNotification(ctx, uuid.New(), now), core.ENotFound)
	wantCode(t, s.FailNotification(ctx, uuid.New(), "x", now, false, now), core.ENotFound)
}

func testNotifReset(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	p := newPolicy(t, s, true, []string{}, []string{})
	r := newRun(t, s, f, core.Running)
	transition(t, s, r.ID, core.Failed, t0, p)
	must(t, s.Reset(ctx))
	ps, err := s.ListNotificationPolicies(ctx, &store.NotificationPolicyQuery{})
	must(t, err)
	if len(ps) != 0 {
		t.Fatalf("%d policies after Reset", len(ps))
	}
	if ns := listNotifs(t, s, store.NotificationQuery{}); len(ns) != 0 {
		t.Fatalf("%d notifications after Reset", len(ns))
	}
	if ns, _ := s.ClaimNotifications(ctx, t0.Add(time.Hour), time.Minute, 5); len(ns) != 0 {
		t.Fatalf("claimed %d notifications after Reset", len(ns))
	}
}

// testNotifManyPolicies: a transition matching more policies than one
// DynamoDB transaction holds still queues one notification per policy.
func testNotifManyPolicies(t *testing.T, s store.Store) {
	f := newFlow(t, s, "f")
	r := newRun(t, s, f, core.Running)
	const n = 105
	ps := make([]*core.FlowRunNotificationPolicy, n)
	for i := range ps {
		ps[i] = newPolicy(t, s, true, []string{}, []string{})
	}
	transition(t, s, r.ID, core.Failed, t0, ps...)
	if got := listNotifs(t, s, store.NotificationQuery{FlowRunIDs: []uuid.UUID{r.ID}}); len(got) != n {
		t.Fatalf("queued %d notifications, want %d", len(got), n)
	}
}
