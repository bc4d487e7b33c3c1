package api_test

import (
	"context"

	"fmt"
	"github.com/google/uuid"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
)

func TestDeploymentUpsertScheduleAndAdHocRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "etl"})
	body := map[string]any{
		"name": "nightly", "flow_id": flow["id"], "work_queue_name": "q1", "tags": []string{"team"},
		"parameters": map[string]any{"n": 1},
		"schedule":   map[string]any{"interval": 3600, "anchor_date": "2023-01-01T00:00:00+00:00", "timezone": "UTC"},
		"parameter_openapi_schema": map[string]any{"type": "object", "properties": map[string]any{
			"n": map[string]any{"type": "integer"}, "who": map[string]any{"type": "string"}}, "required": []string{"n"}},
	}
	dep := b.must(201, "POST", "/api/deployments/", body)
	again := b.must(200, "POST", "/api/deployments/", body)
	if dep["id"] != again["id"] {
		t.Fatal("upsert created a second deployment")
	}
	b.must(200, "GET", "/api/deployments/name/etl/nightly", nil)
	b.must(200, "GET", "/api/work_queues/name/q1", nil) // created on demand
	b.must(404, "GET", "/api/deployments/name/etl/missing", nil)
	b.must(422, "POST", "/api/deployments/", map[string]any{"name": "bad", "flow_id": flow["id"], "schedule": map[string]any{"interval": -5}})

	id := dep["id"].(string)
	b.must(200, "POST", "/api/deployments/"+id+"/schedule", map[string]any{})
	b.must(200, "POST", "/api/deployments/"+id+"/schedule", map[string]any{}) // idempotent
	_, n := b.do("POST", "/api/flow_runs/count", map[string]any{"deployments": map[string]any{"id": map[string]any{"any_": []any{id}}}})
	if n.(float64) < 3 || n.(float64) > 100 {
		t.Fatalf("%v scheduled runs", n)
	}
	first := n
	b.must(200, "POST", "/api/deployments/"+id+"/schedule", map[string]any{})
	if _, n2 := b.do("POST", "/api/flow_runs/count", map[string]any{}); n2 != first {
		t.Fatalf("rescheduling duplicated runs: %v then %v", first, n2)
	}

	// Ad hoc run: parameters merged and validated; a bad one creates nothing.
	run := b.must(201, "POST", "/api/deployments/"+id+"/create_flow_run", map[string]any{"parameters": map[string]any{"who": "ann"}, "tags": []string{"adhoc"}})
	if field(run, "parameters", "n") != float64(1) || field(run, "parameters", "who") != "ann" || run["work_queue_name"] != "q1" {
		t.Fatalf("ad hoc run: %v", run)
	}
	b.must(422, "POST", "/api/deployments/"+id+"/create_flow_run", map[string]any{"parameters": map[string]any{"n": "not a number"}})
	if _, n3 := b.do("POST", "/api/flow_runs/count", map[string]any{}); n3.(float64) != first.(float64)+1 {
		t.Fatalf("a rejected run was created: %v", n3)
	}

	// Pausing the schedule removes only future auto-scheduled runs.
	b.must(200, "POST", "/api/deployments/"+id+"/set_schedule_inactive", nil)
	_, left := b.do("POST", "/api/flow_runs/count", map[string]any{})
	if left.(float64) != 1 {
		t.Fatalf("after pausing %v runs remain, want the ad hoc one", left)
	}
	b.must(204, "PATCH", "/api/deployments/"+id, map[string]any{"description": "d"})
	b.must(204, "DELETE", "/api/deployments/"+id, nil)
	got := b.must(200, "GET", "/api/flow_runs/"+run["id"].(string), nil)
	if got["deployment_id"] != nil {
		t.Fatal("run kept the deleted deployment's id")
	}
}

func TestWorkQueueGetRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "f"})
	q := b.must(201, "POST", "/api/work_queues/", map[string]any{"name": "q", "concurrency_limit": 2})
	b.must(409, "POST", "/api/work_queues/", map[string]any{"name": "q"})
	dep := b.must(201, "POST", "/api/deployments/", map[string]any{"name": "d", "flow_id": flow["id"], "work_queue_name": "q"})
	now := time.Now().UTC()
	mk := func(offset time.Duration) string {
		r := b.must(201, "POST", "/api/deployments/"+dep["id"].(string)+"/create_flow_run", map[string]any{
			"state": map[string]any{"type": "SCHEDULED", "state_details": map[string]any{"scheduled_time": now.Add(offset).Format(time.RFC3339Nano)}}})
		return r["id"].(string)
	}
	later, soon, past := mk(time.Hour), mk(time.Second), mk(-time.Minute)
	qid := q["id"].(string)
	_, out := b.do("POST", "/api/work_queues/"+qid+"/get_runs", map[string]any{"scheduled_before": now.Add(10 * time.Second).Format(time.RFC3339Nano)})
	got := out.([]any)
	if len(got) != 2 || got[0].(map[string]any)["id"] != past || got[1].(map[string]any)["id"] != soon {
		t.Fatalf("get_runs order/filter: %v", got)
	}
	// Concurrency limit 2: with one run PENDING only one more is handed out.
	b.setState("flow_runs", past, map[string]any{"type": "PENDING"}, false)
	_, out = b.do("POST", "/api/work_queues/"+qid+"/get_runs", map[string]any{})
	if l := out.([]any); len(l) != 1 || l[0].(map[string]any)["id"] != soon {
		t.Fatalf("limited get_runs: %v", l)
	}
	b.must(204, "PATCH", "/api/work_queues/"+qid, map[string]any{"is_paused": true})
	if _, out = b.do("POST", "/api/work_queues/"+qid+"/get_runs", map[string]any{}); len(out.([]any)) != 0 {
		t.Fatal("paused queue handed out runs")
	}
	st := b.must(200, "GET", "/api/work_queues/"+qid+"/status", nil)
	if st["last_polled"] == nil {
		t.Fatal("last_polled not recorded")
	}
	_ = later
	_, list := b.do("POST", "/api/work_queues/filter", map[string]any{"work_queues": map[string]any{"name": map[string]any{"startswith_": []string{"Q"}}}})
	if len(list.([]any)) != 1 {
		t.Fatalf("startswith filter: %v", list)
	}
	b.must(404, "POST", "/api/work_queues/00000000-0000-0000-0000-000000000001/get_runs", map[string]any{})
}

// Fifty agents race for 2,000 scheduled runs: every run is claimed exactly
// once and none is lost.
func TestClaimRace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "race"})
	orch := orchestration.New(b.store)
	const runs, claimers = 2000, 50
	now := core.T(time.Now())
	for i := 0; i < runs; i++ {
		r := &core.FlowRun{ID: uuid.New(), Created: now, Updated: now, FlowID: mustUUID(t, flow["id"].(string)), Name: fmt.Sprint(i), Tags: []string{}}
		if _, _, err := orch.CreateFlowRun(ctx, r, &core.StateCreate{Type: core.Scheduled, StateDetails: &core.StateDetails{ScheduledTime: &now}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := b.store.ListFlowRuns(ctx, &store.FlowRunQuery{})
	if err != nil || len(all) != runs {
		t.Fatalf("%d runs, %v", len(all), err)
	}
	claims := make([]atomic.Int32, runs)
	index := map[string]int{}
	for i, r := range all {
		index[r.ID.String()] = i
	}
	var wg sync.WaitGroup
	for c := 0; c < claimers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for k := 0; k < runs; k++ {
				r := all[(k+c*37)%runs]
				res, _, err := orch.SetFlowRunState(ctx, r.ID, core.StateCreate{Type: core.Pending}, false, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Status == orchestration.Accept {
					claims[index[r.ID.String()]].Add(1)
				}
			}
		}(c)
	}
	wg.Wait()
	for i := range claims {
		if n := claims[i].Load(); n != 1 {
			t.Fatalf("run %d claimed %d times", i, n)
		}
	}
	pending, _ := b.store.CountFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{State: &store.StateFilter{Type: &struct {
		Any *[]core.StateType `json:"any_"`
	}{Any: &[]core.StateType{core.Pending}}}}})
	if pending != runs {
		t.Fatalf("%d runs pending, want %d", pending, runs)
	}
}

// Two schedulers ticking at once never create duplicate runs.
func TestConcurrentSchedulers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "sched"})
	b.must(201, "POST", "/api/deployments/", map[string]any{"name": "every-minute", "flow_id": flow["id"],
		"schedule": map[string]any{"cron": "* * * * *", "timezone": "America/New_York"}})
	fixed := time.Date(2023, 3, 12, 6, 30, 0, 0, time.UTC) // New York's spring-forward day
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &services.Scheduler{Store: b.store, Now: func() time.Time { return fixed }}
			if err := s.RunOnce(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	runs, _ := b.store.ListFlowRuns(ctx, &store.FlowRunQuery{})
	seen := map[string]bool{}
	for _, r := range runs {
		if seen[*r.IdempotencyKey] {
			t.Fatalf("duplicate run for %s", *r.IdempotencyKey)
		}
		seen[*r.IdempotencyKey] = true
	}
	if len(runs) != 61 {
		t.Fatalf("%d runs, want 61 (one per minute for an hour, inclusive)", len(runs))
	}
}

func TestLateRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	run := b.newRun("SCHEDULED", nil)
	fresh := b.newRun("PENDING", nil)
	late := &services.LateRuns{Orch: orchestration.New(b.store), Now: func() time.Time { return time.Now().Add(time.Minute) }}
	if err := late.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got := b.must(200, "GET", "/api/flow_runs/"+run["id"].(string), nil)
	if got["state_type"] != "SCHEDULED" || got["state_name"] != "Late" {
		t.Fatalf("not marked late: %v/%v", got["state_type"], got["state_name"])
	}
	if g := b.must(200, "GET", "/api/flow_runs/"+fresh["id"].(string), nil); g["state_name"] != "Pending" {
		t.Fatal("a claimed run was marked late")
	}
	// Late runs are still handed to agents, and marking twice changes nothing.
	if err := late.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	_, hist := b.do("GET", "/api/flow_run_states/?flow_run_id="+run["id"].(string), nil)
	if len(hist.([]any)) != 2 {
		t.Fatalf("history %v", hist)
	}
}

// A run whose agent stopped polling is marked Crashed and its task's
// concurrency slot comes back.
func TestCrashedRunsReleaseSlots(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	flow := b.must(201, "POST", "/api/flows/", map[string]any{"name": "f"})
	q := b.must(201, "POST", "/api/work_queues/", map[string]any{"name": "gone"})
	alive := b.must(201, "POST", "/api/work_queues/", map[string]any{"name": "alive"})
	dep := b.must(201, "POST", "/api/deployments/", map[string]any{"name": "d", "flow_id": flow["id"], "work_queue_name": "gone"})
	dep2 := b.must(201, "POST", "/api/deployments/", map[string]any{"name": "d2", "flow_id": flow["id"], "work_queue_name": "alive"})
	b.must(200, "POST", "/api/concurrency_limits/", map[string]any{"tag": "db", "concurrency_limit": 1})
	start := func(depID string) (string, string) {
		run := b.must(201, "POST", "/api/deployments/"+depID+"/create_flow_run", map[string]any{"state": map[string]any{"type": "SCHEDULED"}})
		id := run["id"].(string)
		b.setState("flow_runs", id, map[string]any{"type": "PENDING"}, false)
		b.setState("flow_runs", id, map[string]any{"type": "RUNNING"}, false)
		task := b.must(201, "POST", "/api/task_runs/", map[string]any{"flow_run_id": id, "task_key": "t", "dynamic_key": "0", "tags": []string{"db"}})
		return id, task["id"].(string)
	}
	runID, taskID := start(dep["id"].(string))
	if _, res := b.setState("task_runs", taskID, map[string]any{"type": "RUNNING"}, false); res["status"] != "ACCEPT" {
		t.Fatalf("task start: %v", res)
	}
	b.must(200, "POST", "/api/work_queues/"+q["id"].(string)+"/get_runs", map[string]any{})
	otherRun, _ := start(dep2["id"].(string))
	crashed := &services.CrashedRuns{Orch: orchestration.New(b.store), Deadline: 10 * time.Minute,
		Now: func() time.Time { return time.Now().Add(11 * time.Minute) }}
	// The "alive" queue is polled "now" (11 minutes in the future).
	if err := b.store.TouchWorkQueue(ctx, mustUUID(t, alive["id"].(string)), time.Now().Add(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := crashed.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.must(200, "GET", "/api/flow_runs/"+runID, nil); got["state_type"] != "CRASHED" {
		t.Fatalf("orphaned run is %v", got["state_type"])
	}
	if got := b.must(200, "GET", "/api/task_runs/"+taskID, nil); got["state_type"] != "CRASHED" {
		t.Fatalf("orphaned task is %v", got["state_type"])
	}
	if lim := b.must(200, "GET", "/api/concurrency_limits/tag/db", nil); len(lim["active_slots"].([]any)) != 0 {
		t.Fatalf("slot not released: %v", lim["active_slots"])
	}
	if got := b.must(200, "GET", "/api/flow_runs/"+otherRun, nil); got["state_type"] != "RUNNING" {
		t.Fatalf("run of a live queue was touched: %v", got["state_type"])
	}
}
