package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// stateCreate is a proposed state in a request body (2.7's StateCreate
// action model).
type stateCreate struct {
	Type         core.StateType     `json:"type" required:"true"`
	Name         *string            `json:"name" maxLength:"1024"`
	Message      *string            `json:"message" maxLength:"1048576"`
	Data         json.RawMessage    `json:"data"`
	StateDetails *core.StateDetails `json:"state_details"`
	// Timestamp and ID are deprecated in 2.7 and ignored, but still
	// validated: a malformed one is a 422 there, so it is here.
	Timestamp *core.Time `json:"timestamp"`
	ID        *uuid.UUID `json:"id"`
}

func (stateCreate) strictAction() {}

// proposal is the state as the orchestrator takes it.
func (s *stateCreate) proposal() core.StateCreate {
	return core.StateCreate{Type: s.Type, Name: s.Name, Message: s.Message, Data: s.Data, StateDetails: s.StateDetails}
}

// initial is the optional initial state of a created run.
func (s *stateCreate) initial() *core.StateCreate {
	if s == nil {
		return nil
	}
	p := s.proposal()
	return &p
}

type flowRunCreate struct {
	State                    *stateCreate        `json:"state"`
	Name                     *string             `json:"name" maxLength:"1024"`
	FlowID                   *uuid.UUID          `json:"flow_id" required:"true"`
	DeploymentID             *uuid.UUID          `json:"deployment_id"`
	FlowVersion              *string             `json:"flow_version" maxLength:"1024"`
	Parameters               json.RawMessage     `json:"parameters"`
	Context                  json.RawMessage     `json:"context"`
	ParentTaskRunID          *uuid.UUID          `json:"parent_task_run_id"`
	InfrastructureDocumentID *uuid.UUID          `json:"infrastructure_document_id"`
	EmpiricalPolicy          *core.FlowRunPolicy `json:"empirical_policy"`
	Tags                     []string            `json:"tags" maxItems:"1000" itemMaxLength:"1024"`
	IdempotencyKey           *string             `json:"idempotency_key" maxLength:"1024"`
}

func (flowRunCreate) strictAction() {}

func (f *flowRunCreate) validate() []fieldError {
	errs := objectField(f.Parameters, "parameters")
	return append(errs, objectField(f.Context, "context")...)
}

// objectField checks that an optional JSON value is an object (or null).
func objectField(raw json.RawMessage, loc ...any) []fieldError {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || string(b) == "null" || b[0] == '{' {
		return nil
	}
	return []fieldError{{Loc: append([]any{"body"}, loc...), Msg: "value is not a valid dict", Type: "type_error.dict"}}
}

// objectOrEmpty returns raw, or {} when it is absent or null.
func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || string(b) == "null" {
		return json.RawMessage("{}")
	}
	return json.RawMessage(b)
}

type flowRunUpdate struct {
	Name              *string             `json:"name" maxLength:"1024"`
	FlowVersion       optional[string]    `json:"flow_version" maxLength:"1024"`
	Parameters        json.RawMessage     `json:"parameters"`
	EmpiricalPolicy   *core.FlowRunPolicy `json:"empirical_policy"`
	Tags              *[]string           `json:"tags" nullable:"false" maxItems:"1000" itemMaxLength:"1024"`
	InfrastructurePID optional[string]    `json:"infrastructure_pid" maxLength:"1024"`
}

func (flowRunUpdate) strictAction() {}

func (f *flowRunUpdate) validate() []fieldError {
	return objectField(f.Parameters, "parameters")
}

// patch returns the **T a store update takes: nil when the key was not
// sent, else the new value (nil for null).
func patch[T any](o optional[T]) **T {
	if !o.Set {
		return nil
	}
	v := o.ptr()
	return &v
}

type setStateBody struct {
	State *stateCreate `json:"state" required:"true"`
	Force bool         `json:"force"`
}

func (setStateBody) strictAction() {}

func (s *Server) flowRunOut(run *core.FlowRun) *core.FlowRun {
	run.Estimate(s.now())
	run.Tags = emptyIfNil(run.Tags)
	return run
}

func (s *Server) taskRunOut(run *core.TaskRun) *core.TaskRun {
	run.Estimate(s.now())
	run.Tags = emptyIfNil(run.Tags)
	return run
}

// writeOrchestration answers a set_state/resume: 201 when a new state was
// written, else 200.
func writeOrchestration(w http.ResponseWriter, res orchestration.Result, written bool) error {
	return created(w, written, res)
}

func (s *Server) registerFlowRunRoutes() {
	s.handle("POST /flow_runs/", "Flow Runs", "Create a flow run (idempotent by flow and idempotency key)", func(w http.ResponseWriter, r *http.Request) error {
		var in flowRunCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if err := requireParent(r.Context(), s.store.GetFlow, *in.FlowID); err != nil {
			return err
		}
		run := in.toRun(s)
		out, isNew, err := s.orch.CreateFlowRun(r.Context(), run, in.State.initial())
		if err != nil {
			return err
		}
		return created(w, isNew, s.flowRunOut(out))
	})
	s.handle("PATCH /flow_runs/{id}", "Flow Runs", "Update a flow run", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in flowRunUpdate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		u := &store.FlowRunUpdate{Name: in.Name, EmpiricalPolicy: in.EmpiricalPolicy, Tags: in.Tags,
			FlowVersion: patch(in.FlowVersion), InfrastructurePID: patch(in.InfrastructurePID)}
		if len(in.Parameters) > 0 {
			u.Parameters = objectOrEmpty(in.Parameters)
		}
		if u.EmpiricalPolicy != nil {
			u.EmpiricalPolicy.Normalize()
		}
		if err := s.store.UpdateFlowRun(r.Context(), id, u, s.now()); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("POST /flow_runs/count", "Flow Runs", "Count flow runs", s.countRoute(s.store.CountFlowRuns))
	s.handle("POST /flow_runs/history", "Flow Runs", "Flow run counts by state over time", s.historyRoute(s.flowRunTimings))
	s.handle("GET /flow_runs/{id}", "Flow Runs", "Read a flow run", getByID(s.store.GetFlowRun, s.flowRunOut))
	s.handle("GET /flow_runs/{id}/graph", "Flow Runs", "Task run dependency graph of a flow run", s.flowRunGraph)
	s.handle("POST /flow_runs/{id}/resume", "Flow Runs", "Resume a paused flow run", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		res, written, err := s.orch.ResumeFlowRun(r.Context(), id, apiVersion(r))
		if err != nil {
			return err
		}
		return writeOrchestration(w, res, written)
	})
	s.handle("POST /flow_runs/filter", "Flow Runs", "Query flow runs", runListRoute(s, store.FlowRunSorts, "ID_DESC",
		func(ctx context.Context, f store.RunFilters, sort store.FlowRunSort, p store.Page) ([]*core.FlowRun, error) {
			return s.store.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: f, Sort: sort, Page: p})
		}, s.flowRunOut))
	s.handle("DELETE /flow_runs/{id}", "Flow Runs", "Delete a flow run", deleteByID(s.store.DeleteFlowRun))
	s.handle("POST /flow_runs/{id}/set_state", "Flow Runs", "Propose a state for a flow run (orchestrated)", s.setStateRoute(s.orch.SetFlowRunState))
}

func (in *flowRunCreate) toRun(s *Server) *core.FlowRun {
	now := core.T(s.now())
	run := &core.FlowRun{
		ID: newID(), Created: now, Updated: now,
		FlowID: *in.FlowID, DeploymentID: in.DeploymentID, FlowVersion: in.FlowVersion,
		Parameters: objectOrEmpty(in.Parameters), Context: objectOrEmpty(in.Context),
		ParentTaskRunID: in.ParentTaskRunID, InfrastructureDocumentID: in.InfrastructureDocumentID,
		Tags: emptyIfNil(in.Tags), IdempotencyKey: in.IdempotencyKey,
	}
	run.Name = runName(in.Name)
	run.EmpiricalPolicy = runPolicy(in.EmpiricalPolicy)
	return run
}

// dependency is one node of a flow run's task graph.
type dependency struct {
	ID                   uuid.UUID           `json:"id"`
	Name                 string              `json:"name"`
	UpstreamDependencies []core.TaskRunInput `json:"upstream_dependencies"`
	State                *core.State         `json:"state"`
	ExpectedStartTime    *core.Time          `json:"expected_start_time"`
	StartTime            *core.Time          `json:"start_time"`
	EndTime              *core.Time          `json:"end_time"`
	TotalRunTime         core.Duration       `json:"total_run_time"`
	EstimatedRunTime     core.Duration       `json:"estimated_run_time"`
	UntrackableResult    bool                `json:"untrackable_result"`
}

func (s *Server) flowRunGraph(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.GetFlowRun(r.Context(), id); err != nil {
		if core.IsNotFound(err) {
			return &core.Error{Code: core.ENotFound, Message: "Flow run " + id.String() + " not found", Legacy: true}
		}
		return err
	}
	ids := []uuid.UUID{id}
	tasks, err := s.store.ListTaskRuns(r.Context(), &store.TaskRunQuery{
		RunFilters: store.RunFilters{FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: &ids}}},
		Sort:       "EXPECTED_START_TIME_ASC",
	})
	if err != nil {
		return err
	}
	out := make([]dependency, 0, len(tasks))
	for _, t := range tasks {
		s.taskRunOut(t)
		up := []core.TaskRunInput{}
		for _, inputs := range t.TaskInputs {
			for _, in := range inputs {
				if in.InputType == "task_run" {
					up = append(up, in)
				}
			}
		}
		d := dependency{ID: t.ID, Name: t.Name, UpstreamDependencies: up, State: t.State,
			ExpectedStartTime: t.ExpectedStartTime, StartTime: t.StartTime, EndTime: t.EndTime,
			TotalRunTime: t.TotalRunTime, EstimatedRunTime: t.EstimatedRunTime}
		if t.State != nil {
			d.UntrackableResult = t.State.StateDetails.UntrackableResult
		}
		out = append(out, d)
	}
	writeJSON(w, 200, out)
	return nil
}
