package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
)

func rawItem(t *testing.T, s *dynamo.Store, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := s.Client().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.Table()), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "#"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// A transition's state becomes reachable only with the run that lists it:
// a loser's state is deleted, a state whose run write never happened (a
// crash between the two writes) is invisible, and plain transitions keep
// the run item at one write unit.
func TestTransitionStateVisibility(t *testing.T) {
	t.Parallel()
	s := openTable(t, dynamo.Options{})
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "vis", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	r := &core.FlowRun{ID: uuid.New(), FlowID: f.ID, Name: "r", Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
	r.State = stateOf(core.Pending, base)
	r.StateType = &r.State.Type
	if _, _, err := s.CreateFlowRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	cur, err := s.GetFlowRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := *cur
	next.State = stateOf(core.Running, base.Add(time.Second))
	next.StateType = &next.State.Type
	if err := s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}); err != nil {
		t.Fatal(err)
	}
	// The loser of the same version: conflict, and its state is gone.
	lost := *cur
	lost.State = stateOf(core.Cancelled, base.Add(2*time.Second))
	lost.StateType = &lost.State.Type
	err = s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: &lost, ExpectedVersion: cur.Version, AppendState: true})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("loser: %v", err)
	}
	if it := rawItem(t, s, "FS#"+lost.State.ID.String()); it != nil {
		t.Fatal("the loser's state item was left behind")
	}
	if _, err := s.GetFlowRunState(ctx, lost.State.ID); !core.IsNotFound(err) {
		t.Fatalf("loser's state by id: %v", err)
	}
	// A crash after the state write: the item exists, nothing lists it.
	orphan := stateOf(core.Failed, base.Add(3*time.Second))
	doc, _ := json.Marshal(orphan)
	_, err = s.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "FS#" + orphan.ID.String()}, "sk": &types.AttributeValueMemberS{Value: "#"},
		"d": &types.AttributeValueMemberS{Value: string(doc)}, "r": &types.AttributeValueMemberS{Value: "FR#" + r.ID.String()}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFlowRunState(ctx, orphan.ID); !core.IsNotFound(err) {
		t.Fatalf("orphan state by id: %v", err)
	}
	states, err := s.ListFlowRunStates(ctx, r.ID)
	if err != nil || len(states) != 2 || states[0].ID != r.State.ID || states[1].ID != next.State.ID {
		t.Fatalf("history = %v, %v", states, err)
	}
	if st, err := s.GetFlowRunState(ctx, next.State.ID); err != nil || st.Type != core.Running {
		t.Fatalf("committed state by id: %v %v", st, err)
	}
	// A task-run state is not a flow-run state.
	if _, err := s.GetTaskRunState(ctx, next.State.ID); !core.IsNotFound(err) {
		t.Fatalf("flow-run state read as a task-run state: %v", err)
	}
	// Deleting the run deletes its states.
	if err := s.DeleteFlowRun(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{r.State.ID, next.State.ID} {
		if rawItem(t, s, "FS#"+id.String()) != nil {
			t.Fatalf("state %s outlived its run", id)
		}
	}
}

// A plain task-run transition (no slot, no cache) is two 1-KB writes: the
// state item and the run item (kept under 1 KB).
func TestTaskTransitionWriteUnits(t *testing.T) {
	t.Parallel()
	s := openTable(t, dynamo.Options{})
	ctx := context.Background()
	base := time.Now()
	fr := &core.FlowRun{ID: uuid.New(), FlowID: uuid.New(), Name: "r", Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
	if _, _, err := s.CreateFlowRun(ctx, fr); err != nil {
		t.Fatal(err)
	}
	tr := &core.TaskRun{ID: uuid.New(), FlowRunID: fr.ID, Name: "a-task-with-a-realistic-name-1234", TaskKey: "tasks.py:my_task-0123456789abcdef",
		DynamicKey: "0", Tags: []string{"etl", "nightly"}}
	tr.State = stateOf(core.Pending, base)
	tr.StateType = &tr.State.Type
	if _, _, err := s.CreateTaskRun(ctx, tr); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []core.StateType{core.Running, core.Failed, core.Running, core.Completed} {
		cur, err := s.GetTaskRun(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		next := *cur
		next.State = stateOf(typ, base.Add(time.Duration(i+1)*time.Second))
		msg := "a message of the kind the engine writes into a state, e.g. a short exception summary"
		next.State.Message = &msg
		next.StateType, next.RunCount = &next.State.Type, cur.RunCount+1
		_, w0 := s.EstimatedUnits()
		if err := s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: &next, ExpectedVersion: cur.Version, AppendState: true}); err != nil {
			t.Fatal(err)
		}
		if _, w1 := s.EstimatedUnits(); w1-w0 != 2 {
			t.Fatalf("transition %d to %s: %.1f estimated WCU, want 2", i, typ, w1-w0)
		}
	}
	states, err := s.ListTaskRunStates(ctx, tr.ID)
	if err != nil || len(states) != 5 || states[4].Type != core.Completed {
		t.Fatalf("history: %d states, %v", len(states), err)
	}
}
