package postgres_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/postgres"
)

// TestConcurrentPrune: two pruners on one database (two servers' retention
// services) delete every old run exactly once between them — rows one
// holds are skipped by the other, never counted twice or waited on.
func TestConcurrentPrune(t *testing.T) {
	serverURL(t)
	_, u := freshSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	f, _, err := a.CreateFlow(ctx, &core.Flow{ID: uuid.New(), Name: "f", Tags: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 120
	end := time.Now().Add(-48 * time.Hour)
	for range n {
		st := &core.State{ID: uuid.New(), Type: core.Completed, Name: "Completed", Timestamp: core.T(end)}
		r := &core.FlowRun{ID: uuid.New(), Created: core.T(end), Updated: core.T(end), Name: "r", FlowID: f.ID,
			Parameters: json.RawMessage(`{}`), Context: json.RawMessage(`{}`), Tags: []string{}}
		r.State, r.StateID, r.StateType, r.StateName = st, &st.ID, &st.Type, &st.Name
		r.StartTime, r.EndTime = core.TP(end), core.TP(end)
		if _, _, err := a.CreateFlowRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i, s := range []*postgres.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				res, err := s.PruneFlowRuns(ctx, &store.PruneParams{Before: time.Now(), Limit: 7})
				if err != nil {
					errs[i] = err
					return
				}
				counts[i] += res.FlowRuns
				if res.FlowRuns == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if counts[0]+counts[1] != n {
		t.Fatalf("pruned %d + %d runs, want %d in all", counts[0], counts[1], n)
	}
	if left, err := a.CountFlowRuns(ctx, &store.RunFilters{}); err != nil || left != 0 {
		t.Fatalf("%d runs left, %v", left, err)
	}
}
