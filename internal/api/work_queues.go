package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
)

// ScheduleRequest is the body of POST /deployments/{id}/schedule.
type ScheduleRequest struct {
	StartTime *core.Time     `json:"start_time"`
	EndTime   *core.Time     `json:"end_time"`
	MinTime   *core.Duration `json:"min_time"`
	MinRuns   *int           `json:"min_runs"`
	MaxRuns   *int           `json:"max_runs"`
}

func (ScheduleRequest) strictAction() {}

// ScheduleDeployment creates d's upcoming runs (the scheduler's work for one
// deployment).
func (s *Server) ScheduleDeployment(ctx context.Context, d *core.Deployment, in ScheduleRequest) (int, error) {
	o := services.ScheduleOptions{}
	if in.StartTime != nil {
		o.Start = &in.StartTime.Time
	}
	if in.EndTime != nil {
		o.End = &in.EndTime.Time
	}
	if in.MinTime != nil {
		o.MinTime = time.Duration(*in.MinTime)
	}
	if in.MinRuns != nil {
		o.MinRuns = *in.MinRuns
	}
	if in.MaxRuns != nil {
		o.MaxRuns = *in.MaxRuns
	}
	sch := &services.Scheduler{Store: s.store, Now: s.now, NewName: Slug}
	return sch.ScheduleDeployment(ctx, d, o)
}

type workQueueBody struct {
	Name             *string                    `json:"name" maxLength:"1024" pattern:"^[^/%&><]*$"`
	Description      optional[string]           `json:"description" maxLength:"1048576"`
	IsPaused         *bool                      `json:"is_paused" nullable:"false"`
	ConcurrencyLimit optional[int]              `json:"concurrency_limit" minimum:"0"`
	Priority         optional[int]              `json:"priority" minimum:"1"`
	Filter           optional[core.QueueFilter] `json:"filter"`
	LastPolled       optional[core.Time]        `json:"last_polled"`
}

func (workQueueBody) strictAction() {}

// applyTo writes the sent fields onto q.
func (b *workQueueBody) applyTo(q *core.WorkQueue) {
	if b.Name != nil {
		q.Name = *b.Name
	}
	if b.Description.Set {
		q.Description = b.Description.ptr()
	}
	if b.IsPaused != nil {
		q.IsPaused = *b.IsPaused
	}
	if b.ConcurrencyLimit.Set {
		q.ConcurrencyLimit = b.ConcurrencyLimit.ptr()
	}
	if b.Priority.Set && !b.Priority.Null {
		q.Priority = b.Priority.V
	}
	if b.Filter.Set {
		q.Filter = b.Filter.ptr()
	}
	if b.LastPolled.Set {
		q.LastPolled = b.LastPolled.ptr()
	}
}

// workQueueCreate is the body of POST /work_queues/: the update body with
// a required name (2.7's WorkQueueCreate).
type workQueueCreate struct {
	workQueueBody
	Name *string `json:"name" required:"true" maxLength:"1024" pattern:"^[^/%&><]*$"`
}

func (workQueueCreate) strictAction() {}

// validate hands the name to the shared body (decoding filled the
// outer field).
func (c *workQueueCreate) validate() []fieldError {
	c.workQueueBody.Name = c.Name
	return nil
}

func (s *Server) createWorkQueue(ctx context.Context, in *workQueueBody) (*core.WorkQueue, error) {
	now := core.T(s.now())
	empty := ""
	q := &core.WorkQueue{ID: newID(), Created: now, Updated: now, Name: *in.Name, Description: &empty}
	priorityGiven := in.Priority.Set && !in.Priority.Null
	in.applyTo(q)
	if !priorityGiven {
		existing, err := s.store.ListWorkQueues(ctx, nil, store.Page{})
		if err != nil {
			return nil, err
		}
		q.Priority = len(existing) + 1
	}
	if q.Description == nil {
		q.Description = &empty
	}
	return q, s.store.CreateWorkQueue(ctx, q)
}

func workQueueNotFound(err error) error {
	if core.IsNotFound(err) {
		return core.Errorf(core.ENotFound, "work queue not found")
	}
	return err
}

func (s *Server) registerWorkQueueRoutes() {
	s.handle("POST /work_queues/", "Work Queues", "Create a work queue", func(w http.ResponseWriter, r *http.Request) error {
		var in workQueueCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		q, err := s.createWorkQueue(r.Context(), &in.workQueueBody)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, q)
		return nil
	})
	s.handle("PATCH /work_queues/{id}", "Work Queues", "Update a work queue", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in workQueueBody
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		q, err := s.store.GetWorkQueue(r.Context(), id)
		if err != nil {
			return workQueueNotFound(err)
		}
		in.applyTo(q)
		q.Updated = core.T(s.now())
		if err := s.store.UpdateWorkQueue(r.Context(), q); err != nil {
			return workQueueNotFound(err)
		}
		return noContent(w)
	})
	s.handle("GET /work_queues/{id}", "Work Queues", "Read a work queue", getByID(func(ctx context.Context, id uuid.UUID) (*core.WorkQueue, error) {
		q, err := s.store.GetWorkQueue(ctx, id)
		return q, workQueueNotFound(err)
	}, same))
	s.handle("POST /work_queues/filter", "Work Queues", "Query work queues", listRoute(s, DefaultLimit, func(fb *filterBody) (lister[*core.WorkQueue], error) {
		var f *store.WorkQueueFilter
		err := fb.into("work_queues", &f)
		return func(ctx context.Context, p store.Page) ([]*core.WorkQueue, error) {
			return s.store.ListWorkQueues(ctx, f, p)
		}, err
	}, same))
	s.handle("DELETE /work_queues/{id}", "Work Queues", "Delete a work queue", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.store.DeleteWorkQueue(r.Context(), id); err != nil {
			return workQueueNotFound(err)
		}
		return noContent(w)
	})
	s.handle("POST /work_queues/{id}/get_runs", "Work Queues", "Scheduled runs an agent should pick up from a queue", s.getQueueRuns)
	// "/work_queues/name/{name}" and "/work_queues/{id}/status" overlap as
	// patterns (ServeMux refuses both), so one route dispatches to them.
	byName := func(w http.ResponseWriter, r *http.Request, name string) error {
		q, err := s.store.GetWorkQueueByName(r.Context(), name)
		if err != nil {
			return workQueueNotFound(err)
		}
		writeJSON(w, 200, q)
		return nil
	}
	s.document("GET /work_queues/name/{name}", "Work Queues", "Read a work queue by name")
	s.document("GET /work_queues/{id}/status", "Work Queues", "Health of a work queue")
	s.handle("GET /work_queues/{first}/{second}", "", "", func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("first") == "name" {
			return byName(w, r, r.PathValue("second"))
		}
		if r.PathValue("second") != "status" {
			return core.Errorf(core.ENotFound, "Not Found")
		}
		r.SetPathValue("id", r.PathValue("first"))
		return s.workQueueStatus(w, r)
	})
}

type getRunsBody struct {
	Limit           *int       `json:"limit" minimum:"0" maximum:"200"`
	ScheduledBefore *core.Time `json:"scheduled_before"`
	AgentID         *uuid.UUID `json:"agent_id"`
}

// getQueueRuns answers an agent's poll: the queue's SCHEDULED runs due by
// scheduled_before, soonest first, limited by the queue's concurrency limit.
// It changes no run; claiming is the agent's Pending proposal.
func (s *Server) getQueueRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in getRunsBody
	body, err := s.decode(r, &in)
	if err != nil {
		return err
	}
	limit := DefaultLimit
	if in.Limit != nil {
		if *in.Limit < 0 || *in.Limit > DefaultLimit {
			return fieldInvalid(body, "ensure this value is between 0 and 200", "value_error", "limit")
		}
		limit = *in.Limit
	}
	q, err := s.store.GetWorkQueue(r.Context(), id)
	if err != nil {
		if core.IsNotFound(err) {
			return &core.Error{Code: core.ENotFound, Message: "Work queue " + id.String() + " not found.", Legacy: true}
		}
		return err
	}
	if r.Header.Get("x-prefect-ui") != "true" {
		defer func() { _ = s.store.TouchWorkQueue(context.WithoutCancel(r.Context()), q.ID, s.now()) }()
	}
	runs := []*core.FlowRun{}
	if q.IsPaused || limit == 0 {
		writeJSON(w, 200, runs)
		return nil
	}
	if q.ConcurrencyLimit != nil {
		busy, err := s.store.CountFlowRuns(r.Context(), &store.RunFilters{FlowRuns: &store.FlowRunFilter{
			WorkQueueName: &store.OptStringFilter{Any: &[]string{q.Name}},
			State: &store.StateFilter{Type: &struct {
				Any *[]core.StateType `json:"any_"`
			}{Any: &[]core.StateType{core.Pending, core.Running, core.Cancelling}}},
		}})
		if err != nil {
			return err
		}
		limit = min(limit, max(*q.ConcurrencyLimit-busy, 0))
		if limit == 0 {
			writeJSON(w, 200, runs)
			return nil
		}
	}
	f := &store.FlowRunFilter{State: &store.StateFilter{Type: &struct {
		Any *[]core.StateType `json:"any_"`
	}{Any: &[]core.StateType{core.Scheduled}}}}
	if in.ScheduledBefore != nil {
		f.NextScheduledStartTime = &store.TimeFilter{Before: in.ScheduledBefore}
	}
	if q.Filter == nil {
		f.WorkQueueName = &store.OptStringFilter{Any: &[]string{q.Name}}
	}
	candidates, err := s.store.ListFlowRuns(r.Context(), &store.FlowRunQuery{RunFilters: store.RunFilters{FlowRuns: f},
		Sort: "NEXT_SCHEDULED_START_TIME_ASC", Page: store.Page{Limit: limit}})
	if err != nil {
		return err
	}
	for _, run := range candidates {
		if q.Filter != nil && !legacyFilterMatches(q.Filter, run.Tags, run.DeploymentID) {
			continue
		}
		runs = append(runs, s.flowRunOut(run))
	}
	writeJSON(w, 200, runs)
	return nil
}

func (s *Server) workQueueStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := s.store.GetWorkQueue(r.Context(), id)
	if err != nil {
		if core.IsNotFound(err) {
			return &core.Error{Code: core.ENotFound, Message: "Work queue " + id.String() + " not found.", Legacy: true}
		}
		return err
	}
	late, err := s.store.CountFlowRuns(r.Context(), &store.RunFilters{FlowRuns: &store.FlowRunFilter{
		WorkQueueName: &store.OptStringFilter{Any: &[]string{q.Name}},
		State:         &store.StateFilter{Name: &store.StringAnyFilter{Any: &[]string{core.NameLate}}},
	}})
	if err != nil {
		return err
	}
	polled := q.LastPolled != nil && s.now().Sub(q.LastPolled.Time) <= 60*time.Second
	writeJSON(w, 200, map[string]any{
		"healthy": late == 0 && polled, "late_runs_count": late, "last_polled": q.LastPolled,
		"health_check_policy": map[string]any{"maximum_late_runs": 0, "maximum_seconds_since_last_polled": 60},
	})
	return nil
}
