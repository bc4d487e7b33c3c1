package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
	"github.com/orrery-dev/orrery/shared"
)

// ttlFixture drives runs through the store as the orchestrator would.
type ttlFixture struct {
	t    *testing.T
	s    *dynamo.Store
	flow uuid.UUID
}

func (f *ttlFixture) state(typ core.StateType, at time.Time) *core.State {
	return &core.State{ID: uuid.New(), Type: typ, Name: typ.DefaultName(), Timestamp: core.T(at)}
}

func (f *ttlFixture) newRun(typ core.StateType, at time.Time, params json.RawMessage) *core.FlowRun {
	f.t.Helper()
	st := f.state(typ, at)
	r := &core.FlowRun{ID: uuid.New(), Created: core.T(at), Updated: core.T(at), Name: "r", FlowID: f.flow,
		Parameters: params, Context: json.RawMessage(`{}`), Tags: []string{}}
	r.ExpectedStartTime = core.TP(at)
	r.State, r.StateID, r.StateType, r.StateName = st, &st.ID, &st.Type, &st.Name
	out, _, err := f.s.CreateFlowRun(context.Background(), r)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *ttlFixture) move(r *core.FlowRun, typ core.StateType, at time.Time) *core.FlowRun {
	f.t.Helper()
	ctx := context.Background()
	cur, err := f.s.GetFlowRun(ctx, r.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	next := *cur
	st := f.state(typ, at)
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &st.Name
	if typ == core.Running && next.StartTime == nil {
		next.StartTime = core.TP(at)
	}
	next.EndTime = nil
	if typ.IsTerminal() && next.StartTime != nil {
		next.EndTime = core.TP(at)
	}
	if err := f.s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}); err != nil {
		f.t.Fatal(err)
	}
	return &next
}

func (f *ttlFixture) task(run *core.FlowRun, key string, states ...core.StateType) *core.TaskRun {
	f.t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Hour)
	st := f.state(states[0], at)
	tr := &core.TaskRun{ID: uuid.New(), Created: core.T(at), Updated: core.T(at), Name: key, FlowRunID: run.ID, TaskKey: key, DynamicKey: "0", Tags: []string{}}
	tr.State, tr.StateID, tr.StateType, tr.StateName = st, &st.ID, &st.Type, &st.Name
	cur, _, err := f.s.CreateTaskRun(ctx, tr)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, typ := range states[1:] {
		next := *cur
		st := f.state(typ, at.Add(time.Minute))
		next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &st.Name
		if typ == core.Running {
			next.StartTime = core.TP(st.Timestamp.Time)
		}
		if typ.IsTerminal() {
			next.EndTime = core.TP(st.Timestamp.Time)
		}
		if err := f.s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}); err != nil {
			f.t.Fatal(err)
		}
		next.Version = cur.Version + 1
		cur = &next
	}
	return cur
}

// ttls maps every item of the table to its TTL (-1: none).
func ttls(t *testing.T, s *dynamo.Store, table string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	var start map[string]types.AttributeValue
	for {
		page, err := s.Client().Scan(context.Background(), &dynamodb.ScanInput{TableName: &table, ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			key := it[shared.DynamoPK].(*types.AttributeValueMemberS).Value + " " + it[shared.DynamoSK].(*types.AttributeValueMemberS).Value
			out[key] = -1
			if n, ok := it[shared.DynamoTTL].(*types.AttributeValueMemberN); ok {
				out[key], _ = strconv.ParseInt(n.Value, 10, 64)
			}
		}
		if start = page.LastEvaluatedKey; len(start) == 0 {
			return out
		}
	}
}

// TestRetentionTTL: with retention set, everything a finished run wrote —
// the run, its states, its task runs (finished or not) with their states,
// its logs — carries a TTL, so DynamoDB deletes it without write units;
// a run that has not finished carries none, and one that leaves its
// terminal state loses it.
func TestRetentionTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTable(t, dynamo.Options{Blobs: newMemBlobs()})
	table := s.Table()
	if grace := s.SetRetention(30 * 24 * time.Hour); grace != dynamo.TTLGrace {
		t.Fatalf("grace %s", grace)
	}
	fl, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "ttl", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	f := &ttlFixture{t: t, s: s, flow: fl.ID}
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)

	done := f.newRun(core.Scheduled, start, json.RawMessage(`{}`))
	done = f.move(done, core.Pending, start)
	done = f.move(done, core.Running, start.Add(time.Minute))
	finished := f.task(done, "finished", core.Pending, core.Running, core.Completed)
	stuck := f.task(done, "stuck", core.Pending, core.Running)
	logs := []*core.Log{{ID: uuid.New(), Name: "l", Level: 20, Message: "hi", Timestamp: core.T(start), FlowRunID: done.ID, TaskRunID: &finished.ID}}
	if err := s.CreateLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	end := start.Add(time.Hour)
	done = f.move(done, core.Completed, end)

	live := f.newRun(core.Pending, start, json.RawMessage(`{}`))
	live = f.move(live, core.Running, start)
	liveTask := f.task(live, "t", core.Pending, core.Running)

	reopened := f.newRun(core.Pending, start, json.RawMessage(`{}`))
	reopened = f.move(reopened, core.Failed, start)
	reopened = f.move(reopened, core.Scheduled, start.Add(time.Minute))

	want := end.Add(30 * 24 * time.Hour).Unix()
	got := ttls(t, s, table)
	doneStates, _ := s.ListFlowRunStates(ctx, done.ID)
	if len(doneStates) != 4 {
		t.Fatalf("states of the finished run: %d", len(doneStates))
	}
	check := func(key string, want int64, slack int64) {
		t.Helper()
		v, ok := got[key]
		if !ok {
			t.Fatalf("no item %s", key)
		}
		if (want < 0) != (v < 0) || v < want-slack || v > want+slack {
			t.Errorf("%s: ttl %d, want %d (±%d)", key, v, want, slack)
		}
	}
	check("FR#"+done.ID.String()+" #", want, 0)
	for _, st := range doneStates {
		check("FS#"+st.ID.String()+" #", want, 0)
	}
	// The finished task run expires from its own end; the stuck one from
	// the flow run's.
	taskEnd := finished.EndTime.Unix() + 30*24*3600
	check("TR#"+finished.ID.String()+" #", taskEnd, 0)
	check("TR#"+stuck.ID.String()+" #", want, 0)
	for _, tr := range []*core.TaskRun{finished, stuck} {
		sts, _ := s.ListTaskRunStates(ctx, tr.ID)
		if len(sts) < 2 {
			t.Fatalf("task run states: %d", len(sts))
		}
		for _, st := range sts {
			w := want
			if tr == finished {
				w = taskEnd
			}
			check("TS#"+st.ID.String()+" #", w, 0)
		}
	}
	// Logs: retention after they were written.
	for k, v := range got {
		if strings.HasPrefix(k, "FR#"+done.ID.String()+" L#") {
			check(k, time.Now().Add(30*24*time.Hour).Unix(), 120)
			_ = v
		}
	}
	// Not finished, or no longer: no TTL.
	check("FR#"+live.ID.String()+" #", -1, 0)
	check("TR#"+liveTask.ID.String()+" #", -1, 0)
	check("FR#"+reopened.ID.String()+" #", -1, 0)
}

// TestPruneReturnsPayloadKeys: a pruned run's offloaded payload is not
// deleted by the store but returned, for the caller to delete after.
func TestPruneReturnsPayloadKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	blobs := newMemBlobs()
	s := openTable(t, dynamo.Options{Blobs: blobs, InlineLimit: 1024})
	fl, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "big", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	f := &ttlFixture{t: t, s: s, flow: fl.ID}
	at := time.Now().Add(-48 * time.Hour)
	big := json.RawMessage(fmt.Sprintf(`{"x":%q}`, strings.Repeat("p", 4000)))
	r := f.newRun(core.Pending, at, big)
	f.move(r, core.Running, at)
	f.move(r, core.Completed, at.Add(time.Minute))
	if blobs.len() == 0 {
		t.Fatal("payload not offloaded")
	}
	before := blobs.len()
	dry, err := s.PruneFlowRuns(ctx, &store.PruneParams{Before: time.Now(), Limit: 10, DryRun: true})
	if err != nil || dry.FlowRuns != 1 || len(dry.ResultKeys) == 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	res, err := s.PruneFlowRuns(ctx, &store.PruneParams{Before: time.Now(), Limit: 10})
	if err != nil || res.FlowRuns != 1 || len(res.ResultKeys) != len(dry.ResultKeys) {
		t.Fatalf("prune: %+v, %v (dry run keys %v)", res, err, dry.ResultKeys)
	}
	if blobs.len() != before {
		t.Fatalf("the store deleted payloads itself: %d -> %d", before, blobs.len())
	}
	for _, k := range res.ResultKeys {
		if _, err := blobs.Get(ctx, k); err != nil {
			t.Fatalf("returned key %s holds nothing: %v", k, err)
		}
	}
}

// TestRetentionTTLOnNotifications: with retention set, a notification
// queued with a transition carries a TTL of its creation plus the
// retention, and keeps it when a claim rewrites the item.
func TestRetentionTTLOnNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTable(t, dynamo.Options{})
	s.SetRetention(30 * 24 * time.Hour)
	fl, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "notified", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	f := &ttlFixture{t: t, s: s, flow: fl.ID}
	created := time.Now().Add(-time.Hour).Truncate(time.Second)
	p, err := s.CreateNotificationPolicy(ctx, &core.FlowRunNotificationPolicy{ID: uuid.New(), Created: core.T(created), Updated: core.T(created),
		IsActive: true, StateNames: []string{"Running"}, Tags: []string{}, BlockDocumentID: uuid.New()})
	if err != nil {
		t.Fatal(err)
	}
	r := f.newRun(core.Pending, created, json.RawMessage(`{}`))
	cur, err := s.GetFlowRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := *cur
	st := f.state(core.Running, created)
	next.State, next.StateID, next.StateType, next.StateName = st, &st.ID, &st.Type, &st.Name
	n := core.NewNotification(p, r.ID, st, core.T(created))
	if err := s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true,
		Notifications: []*core.Notification{n}}); err != nil {
		t.Fatal(err)
	}
	key := "NT#" + n.ID.String() + " #"
	want := created.Add(30 * 24 * time.Hour).Unix()
	if got := ttls(t, s, s.Table())[key]; got != want {
		t.Fatalf("queued: ttl %d, want %d", got, want)
	}
	if claimed, err := s.ClaimNotifications(ctx, time.Now(), time.Minute, 10); err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	if got := ttls(t, s, s.Table())[key]; got != want {
		t.Fatalf("claimed: ttl %d, want %d", got, want)
	}
}
