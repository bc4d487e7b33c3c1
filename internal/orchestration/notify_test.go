package orchestration_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// TestTransitionsQueueNotifications drives runs through the orchestrator
// and checks which (policy, state) pairs were queued with the transitions.
func TestTransitionsQueueNotifications(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC)
	o := &orchestration.Orchestrator{Store: s, Now: func() time.Time { return now }}
	flow, _, err := s.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Created: core.T(now), Updated: core.T(now), Name: "f", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	newPolicy := func(active bool, states, tags []string) *core.FlowRunNotificationPolicy {
		p, err := s.CreateNotificationPolicy(ctx, &core.FlowRunNotificationPolicy{ID: uuid.Must(uuid.NewV7()), Created: core.T(now),
			Updated: core.T(now), IsActive: active, StateNames: states, Tags: tags, BlockDocumentID: uuid.New()})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	onFailed := newPolicy(true, []string{"Failed"}, []string{})
	onProd := newPolicy(true, []string{"Failed", "Completed"}, []string{"prod"})
	anyState := newPolicy(true, []string{}, []string{"nightly"})
	newPolicy(false, []string{"Failed", "Running", "Pending"}, []string{}) // inactive: never

	tests := []struct {
		name  string
		tags  []string
		to    []core.StateType
		want  map[uuid.UUID][]string // policy -> state names announced, in order
		total int
	}{
		{"failed run, no tags", nil, []core.StateType{core.Running, core.Failed},
			map[uuid.UUID][]string{onFailed.ID: {"Failed"}}, 1},
		{"failed prod run", []string{"prod", "x"}, []core.StateType{core.Running, core.Failed},
			map[uuid.UUID][]string{onFailed.ID: {"Failed"}, onProd.ID: {"Failed"}}, 2},
		{"completed prod run", []string{"prod"}, []core.StateType{core.Running, core.Completed},
			map[uuid.UUID][]string{onProd.ID: {"Completed"}}, 1},
		{"completed untagged run", nil, []core.StateType{core.Running, core.Completed}, nil, 0},
		{"nightly run: every state, the first included", []string{"nightly"}, []core.StateType{core.Running, core.Completed},
			map[uuid.UUID][]string{anyState.ID: {"Pending", "Running", "Completed"}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &core.FlowRun{ID: uuid.New(), Created: core.T(now), Updated: core.T(now), FlowID: flow.ID, Name: "r",
				Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: append([]string{}, tt.tags...)}
			if _, _, err := o.CreateFlowRun(ctx, run, nil); err != nil {
				t.Fatal(err)
			}
			for _, typ := range tt.to {
				if _, written, err := o.SetFlowRunState(ctx, run.ID, core.StateCreate{Type: typ}, false, nil); err != nil || !written {
					t.Fatalf("%s: written %v, %v", typ, written, err)
				}
			}
			ns, err := s.ListNotifications(ctx, &store.NotificationQuery{FlowRunIDs: []uuid.UUID{run.ID}})
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != tt.total {
				t.Fatalf("queued %d notifications, want %d: %+v", len(ns), tt.total, ns)
			}
			got := map[uuid.UUID][]string{}
			for i := len(ns) - 1; i >= 0; i-- { // oldest first
				got[ns[i].PolicyID] = append(got[ns[i].PolicyID], ns[i].StateName)
				if ns[i].Status != core.NotificationPending || ns[i].FlowRunID != run.ID {
					t.Errorf("queued %+v", ns[i])
				}
			}
			for p, names := range tt.want {
				if len(got[p]) != len(names) {
					t.Errorf("policy %s: %v, want %v", p, got[p], names)
				}
			}
		})
	}
}
