package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// CacheKeyMaxLength is PREFECT_ORION_TASK_CACHE_KEY_MAX_LENGTH.
const CacheKeyMaxLength = 2000

type taskRunCreate struct {
	State           *stateCreate                   `json:"state"`
	Name            *string                        `json:"name"`
	FlowRunID       *uuid.UUID                     `json:"flow_run_id"`
	TaskKey         *string                        `json:"task_key"`
	DynamicKey      *string                        `json:"dynamic_key"`
	CacheKey        *string                        `json:"cache_key"`
	CacheExpiration *core.Time                     `json:"cache_expiration"`
	TaskVersion     *string                        `json:"task_version"`
	EmpiricalPolicy *core.TaskRunPolicy            `json:"empirical_policy"`
	Tags            []string                       `json:"tags"`
	TaskInputs      map[string][]core.TaskRunInput `json:"task_inputs"`
}

func (taskRunCreate) strictAction() {}

func (t *taskRunCreate) validate() []fieldError {
	errs := required(t.FlowRunID == nil, "flow_run_id")
	errs = append(errs, required(t.TaskKey == nil, "task_key")...)
	errs = append(errs, required(t.DynamicKey == nil, "dynamic_key")...)
	if t.CacheKey != nil && len(*t.CacheKey) > CacheKeyMaxLength {
		errs = append(errs, fieldError{Loc: []any{"body", "cache_key"}, Msg: "Cache key exceeded maximum allowed length of 2000 characters.", Type: "value_error"})
	}
	if t.EmpiricalPolicy != nil {
		if d := t.EmpiricalPolicy.Delays(); len(d) > 50 {
			errs = append(errs, fieldError{Loc: []any{"body", "empirical_policy", "retry_delay"}, Msg: "Can not configure more than 50 retry delays per task.", Type: "value_error"})
		}
		if j := t.EmpiricalPolicy.RetryJitterFactor; j != nil && *j < 0 {
			errs = append(errs, fieldError{Loc: []any{"body", "empirical_policy", "retry_jitter_factor"}, Msg: "`retry_jitter_factor` must be >= 0.", Type: "value_error"})
		}
	}
	if t.State != nil {
		errs = append(errs, t.State.errs("state")...)
	}
	return errs
}

type taskRunUpdate struct {
	Name *string `json:"name"`
}

func (taskRunUpdate) strictAction() {}

func (s *Server) registerTaskRunRoutes() {
	s.handle("POST /task_runs/", "Task Runs", "Create a task run (idempotent by flow run, task key and dynamic key)", func(w http.ResponseWriter, r *http.Request) error {
		var in taskRunCreate
		if _, err := s.decode(r, &in, true); err != nil {
			return err
		}
		if _, err := s.store.GetFlowRun(r.Context(), *in.FlowRunID); err != nil {
			if core.IsNotFound(err) {
				return core.Errorf(core.EConflict, "Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details.")
			}
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
		if in.Name != nil && *in.Name != "" {
			run.Name = *in.Name
		} else {
			run.Name = Slug()
		}
		if in.EmpiricalPolicy != nil {
			run.EmpiricalPolicy = *in.EmpiricalPolicy
		}
		run.EmpiricalPolicy.Normalize()
		var initial *core.StateCreate
		if in.State != nil {
			initial = &in.State.StateCreate
		}
		out, isNew, err := s.orch.CreateTaskRun(r.Context(), run, initial)
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
		body, err := s.decode(r, &in, true)
		if err != nil {
			return err
		}
		if in.Name == nil {
			return invalid(body, required(true, "name")...)
		}
		if err := s.store.UpdateTaskRunName(r.Context(), id, *in.Name, s.now()); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("POST /task_runs/count", "Task Runs", "Count task runs", s.countRoute(s.store.CountTaskRuns))
	s.handle("POST /task_runs/history", "Task Runs", "Task run counts by state over time", func(w http.ResponseWriter, r *http.Request) error {
		return s.runHistory(w, r, false)
	})
	s.handle("GET /task_runs/{id}", "Task Runs", "Read a task run", getByID(s.store.GetTaskRun, s.taskRunOut))
	s.handle("POST /task_runs/filter", "Task Runs", "Query task runs", runListRoute(s, store.TaskRunSorts, "ID_DESC",
		func(ctx context.Context, f store.RunFilters, sort store.TaskRunSort, p store.Page) ([]*core.TaskRun, error) {
			return s.store.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: f, Sort: sort, Page: p})
		}, s.taskRunOut))
	s.handle("DELETE /task_runs/{id}", "Task Runs", "Delete a task run", deleteByID(s.store.DeleteTaskRun))
	s.handle("POST /task_runs/{id}/set_state", "Task Runs", "Propose a state for a task run (orchestrated)", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in setStateBody
		if _, err := s.decode(r, &in, true); err != nil {
			return err
		}
		res, written, err := s.orch.SetTaskRunState(r.Context(), id, in.State.StateCreate, in.Force, apiVersion(r))
		if err != nil {
			return err
		}
		return writeOrchestration(w, res, written)
	})
}
