package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// CacheKeyMaxLength is PREFECT_ORION_TASK_CACHE_KEY_MAX_LENGTH.
const CacheKeyMaxLength = 2000

type taskRunCreate struct {
	State           *stateCreate                   `json:"state"`
	Name            *string                        `json:"name" maxLength:"1024"`
	FlowRunID       *uuid.UUID                     `json:"flow_run_id" required:"true"`
	TaskKey         *string                        `json:"task_key" required:"true" maxLength:"1024"`
	DynamicKey      *string                        `json:"dynamic_key" required:"true" maxLength:"1024"`
	CacheKey        *string                        `json:"cache_key"`
	CacheExpiration *core.Time                     `json:"cache_expiration"`
	TaskVersion     *string                        `json:"task_version" maxLength:"1024"`
	EmpiricalPolicy *core.TaskRunPolicy            `json:"empirical_policy"`
	Tags            []string                       `json:"tags" maxItems:"1000" itemMaxLength:"1024"`
	TaskInputs      map[string][]core.TaskRunInput `json:"task_inputs"`
}

func (taskRunCreate) strictAction() {}

func (t *taskRunCreate) validate() []fieldError {
	// cache_key's bound is 2.7's own check, with its own wording.
	var errs []fieldError
	if t.CacheKey != nil && len(*t.CacheKey) > CacheKeyMaxLength {
		errs = append(errs, fieldError{Loc: []any{"body", "cache_key"}, Msg: "Cache key exceeded maximum allowed length of 2000 characters.", Type: "value_error"})
	}
	if t.EmpiricalPolicy != nil {
		if !retryDelayShape(t.EmpiricalPolicy.RetryDelay) {
			// 2.7: Union[None, int, List[int]]; anything else was stored as null.
			errs = append(errs, fieldError{Loc: []any{"body", "empirical_policy", "retry_delay"}, Msg: "value is not a valid integer or list of integers", Type: "type_error"})
		} else if d := t.EmpiricalPolicy.Delays(); len(d) > 50 {
			errs = append(errs, fieldError{Loc: []any{"body", "empirical_policy", "retry_delay"}, Msg: "Can not configure more than 50 retry delays per task.", Type: "value_error"})
		}
		if j := t.EmpiricalPolicy.RetryJitterFactor; j != nil && *j < 0 {
			errs = append(errs, fieldError{Loc: []any{"body", "empirical_policy", "retry_jitter_factor"}, Msg: "`retry_jitter_factor` must be >= 0.", Type: "value_error"})
		}
	}
	return errs
}

// retryDelayShape reports whether raw is absent, null, a number or a list
// of numbers: the shapes TaskRunPolicy.Delays reads.
func retryDelayShape(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var one float64
	if json.Unmarshal(raw, &one) == nil {
		return true
	}
	var many []any // not []float64: that reads a null item as 0
	if json.Unmarshal(raw, &many) != nil {
		return false
	}
	for _, v := range many {
		if _, ok := v.(float64); !ok {
			return false
		}
	}
	return true
}

type taskRunUpdate struct {
	Name *string `json:"name" required:"true" maxLength:"1024"`
}

func (taskRunUpdate) strictAction() {}

func (s *Server) registerTaskRunRoutes() {
	s.handle("POST /task_runs/", "Task Runs", "Create a task run (idempotent by flow run, task key and dynamic key)", func(w http.ResponseWriter, r *http.Request) error {
		var in taskRunCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if err := requireParent(r.Context(), s.store.GetFlowRun, *in.FlowRunID); err != nil {
			return err
		}
		now := core.T(s.now())
		run := &core.TaskRun{
			ID: newID(), Created: now, Updated: now, FlowRunID: *in.FlowRunID,
			TaskKey: *in.TaskKey, DynamicKey: *in.DynamicKey, CacheKey: in.CacheKey,
			CacheExpiration: in.CacheExpiration, TaskVersion: in.TaskVersion,
			Tags: emptyIfNil(in.Tags), TaskInputs: in.TaskInputs,
		}
		if run.TaskInputs == nil {
			run.TaskInputs = map[string][]core.TaskRunInput{}
		}
		run.Name = runName(in.Name)
		run.EmpiricalPolicy = runPolicy(in.EmpiricalPolicy)
		out, isNew, err := s.orch.CreateTaskRun(r.Context(), run, in.State.initial())
		if err != nil {
			return err
		}
		return created(w, isNew, s.taskRunOut(out))
	})
	s.handle("PATCH /task_runs/{id}", "Task Runs", "Update a task run's name", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in taskRunUpdate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if err := s.store.UpdateTaskRunName(r.Context(), id, *in.Name, s.now()); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("POST /task_runs/count", "Task Runs", "Count task runs", s.countRoute(s.store.CountTaskRuns))
	s.handle("POST /task_runs/history", "Task Runs", "Task run counts by state over time", s.historyRoute(s.taskRunTimings))
	s.handle("GET /task_runs/{id}", "Task Runs", "Read a task run", getByID(func(ctx context.Context, id uuid.UUID) (*core.TaskRun, error) {
		r, err := s.store.GetTaskRun(ctx, id)
		return r, taskNotFound(err)
	}, s.taskRunOut))
	s.handle("POST /task_runs/filter", "Task Runs", "Query task runs", runListRoute(s, store.TaskRunSorts, "ID_DESC",
		func(ctx context.Context, f store.RunFilters, sort store.TaskRunSort, p store.Page) ([]*core.TaskRun, error) {
			return s.store.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: f, Sort: sort, Page: p})
		}, s.taskRunOut))
	s.handle("DELETE /task_runs/{id}", "Task Runs", "Delete a task run", deleteByID(func(ctx context.Context, id uuid.UUID) error {
		return taskNotFound(s.store.DeleteTaskRun(ctx, id))
	}))
	s.handle("POST /task_runs/{id}/set_state", "Task Runs", "Propose a state for a task run (orchestrated)", s.setStateRoute(s.orch.SetTaskRunState))
}

// taskNotFound words a missing task run as 2.7.12's read and delete routes
// do ("Task not found").
func taskNotFound(err error) error {
	if core.IsNotFound(err) {
		return core.Errorf(core.ENotFound, "Task not found")
	}
	return err
}
