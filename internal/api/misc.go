package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

func (s *Server) registerRoutes() {
	s.registerRootRoutes()
	s.registerFlowRoutes()
	s.registerFlowRunRoutes()
	s.registerTaskRunRoutes()
	s.registerStateRoutes()
	s.registerLogRoutes()
	s.registerConcurrencyRoutes()
	s.registerSavedSearchRoutes()
	s.registerUIRoutes()
	s.registerBlockRoutes()
	s.registerDeploymentRoutes()
	s.registerWorkQueueRoutes()
	s.registerWorkPoolRoutes()
	s.registerAPIKeyRoutes()
	s.registerNotificationRoutes()
	s.mux.HandleFunc("GET /api/openapi.json", s.serveOpenAPI)
	s.mux.HandleFunc("GET /openapi.json", s.serveOpenAPI)
}

func (s *Server) registerRootRoutes() {
	s.handle("GET /health", "Root", "Health check", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, 200, true)
		return nil
	})
	s.handle("GET /hello", "Root", "Say hello", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, 200, "👋")
		return nil
	})
	s.handle("GET /admin/version", "Admin", "Prefect version whose API is served", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, 200, PrefectVersion)
		return nil
	})
	s.handle("GET /admin/settings", "Admin", "Server settings (secrets hidden)", func(w http.ResponseWriter, r *http.Request) error {
		settings := s.settings
		if settings == nil {
			settings = map[string]any{}
		}
		writeJSON(w, 200, settings)
		return nil
	})
	confirmed := func(w http.ResponseWriter, r *http.Request, do func() error) error {
		var in confirmBody
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if !in.Confirm {
			// 2.7.12 sets the status and returns None: a JSON null.
			writeJSON(w, http.StatusBadRequest, nil)
			return nil
		}
		if err := do(); err != nil {
			return err
		}
		return noContent(w)
	}
	s.handle("POST /admin/database/clear", "Admin", "Delete all data (body {\"confirm\": true})", func(w http.ResponseWriter, r *http.Request) error {
		return confirmed(w, r, func() error { return s.store.Reset(r.Context()) })
	})
	s.handle("POST /admin/database/drop", "Admin", "Drop the database (same as clear here)", func(w http.ResponseWriter, r *http.Request) error {
		return confirmed(w, r, func() error { return s.store.Reset(r.Context()) })
	})
	s.handle("POST /admin/database/create", "Admin", "Create the database schema (idempotent)", func(w http.ResponseWriter, r *http.Request) error {
		return confirmed(w, r, func() error { return nil })
	})
}

// confirmBody is the body of the database admin routes.
type confirmBody struct {
	Confirm bool `json:"confirm"`
}

func (s *Server) registerStateRoutes() {
	s.handle("GET /flow_run_states/{id}", "Flow Run States", "Read a flow run state", getByID(s.store.GetFlowRunState, same))
	s.handle("GET /flow_run_states/", "Flow Run States", "State history of a flow run", stateHistoryRoute("flow_run_id", s.store.ListFlowRunStates))
	s.handle("GET /task_run_states/{id}", "Task Run States", "Read a task run state", getByID(func(ctx context.Context, id uuid.UUID) (*core.State, error) {
		st, err := s.store.GetTaskRunState(ctx, id)
		if core.IsNotFound(err) {
			// 2.7's wording for a missing task run state, kept for clients.
			return nil, core.Errorf(core.ENotFound, "Flow run state not found")
		}
		return st, err
	}, same))
	s.handle("GET /task_run_states/", "Task Run States", "State history of a task run", stateHistoryRoute("task_run_id", s.store.ListTaskRunStates))
}

type logCreate struct {
	Name      *string    `json:"name" required:"true" maxLength:"1024"`
	Level     *int       `json:"level" required:"true"`
	Message   *string    `json:"message" required:"true" maxLength:"1048576"`
	Timestamp *core.Time `json:"timestamp" required:"true"`
	FlowRunID *uuid.UUID `json:"flow_run_id" required:"true"`
	TaskRunID *uuid.UUID `json:"task_run_id"`
}

func (logCreate) strictAction() {}

type logBatch []logCreate

// bodyTag bounds the batch itself: the tags a field would carry, for a
// body that is a list (read by the checker and the OpenAPI document).
func (logBatch) bodyTag() reflect.StructTag { return `maxItems:"100000"` }

func (s *Server) registerLogRoutes() {
	s.handle("POST /logs/", "Logs", "Create logs (a JSON array of records)", func(w http.ResponseWriter, r *http.Request) error {
		body, err := s.readBody(r)
		if err != nil {
			return err
		}
		var in logBatch
		if err := decodeBytes(body, &in); err != nil {
			return err
		}
		now := core.T(s.now())
		logs := make([]*core.Log, len(in))
		for i, l := range in {
			logs[i] = &core.Log{ID: newID(), Created: now, Updated: now, Name: *l.Name, Level: *l.Level,
				Message: *l.Message, Timestamp: *l.Timestamp, FlowRunID: *l.FlowRunID, TaskRunID: l.TaskRunID}
		}
		if err := s.store.CreateLogs(r.Context(), logs); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, nil)
		return nil
	})
	s.handle("POST /logs/filter", "Logs", "Query logs", listRoute(s, DefaultLimit, func(fb *filterBody) (lister[*core.Log], error) {
		q := store.LogQuery{}
		if err := fb.into("logs", &q.Filter); err != nil {
			return nil, err
		}
		if err := q.Filter.TextNeedsRun(); err != nil {
			return nil, fieldInvalid(fb.b, core.ErrorMessage(err), "value_error", "logs", "text", "query")
		}
		sort, err := sortKey(fb, store.LogSorts, "TIMESTAMP_ASC")
		q.Sort = sort
		return func(ctx context.Context, p store.Page) ([]*core.Log, error) {
			q.Page = p
			return s.store.ListLogs(ctx, &q)
		}, err
	}, same))
	s.handle("GET /flow_runs/{id}/logs/download", "Logs", "Download a flow run's logs, its task runs' included, as text", s.downloadLogs)
}

type concurrencyLimitCreate struct {
	Tag              *string `json:"tag" required:"true" maxLength:"1024"`
	ConcurrencyLimit *int    `json:"concurrency_limit" required:"true" minimum:"0"`
}

func (concurrencyLimitCreate) strictAction() {}

func (s *Server) registerConcurrencyRoutes() {
	out := func(l *core.ConcurrencyLimit) *core.ConcurrencyLimit {
		l.ActiveSlots = emptyIfNil(l.ActiveSlots)
		return l
	}
	s.handle("POST /concurrency_limits/", "Concurrency Limits", "Create or update the concurrency limit of a tag", func(w http.ResponseWriter, r *http.Request) error {
		var in concurrencyLimitCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		now := core.T(s.now())
		l, _, err := s.store.UpsertConcurrencyLimit(r.Context(), &core.ConcurrencyLimit{
			ID: newID(), Created: now, Updated: now, Tag: *in.Tag, ConcurrencyLimit: *in.ConcurrencyLimit,
		})
		if err != nil {
			return err
		}
		// 2.7.12 answers 200 whether or not the limit is new.
		writeJSON(w, 200, out(l))
		return nil
	})
	s.handle("GET /concurrency_limits/{id}", "Concurrency Limits", "Read a concurrency limit", getByID(s.store.GetConcurrencyLimit, out))
	s.handle("GET /concurrency_limits/tag/{tag}", "Concurrency Limits", "Read the concurrency limit of a tag", getByPath("tag", s.store.GetConcurrencyLimitByTag, out))
	s.handle("POST /concurrency_limits/filter", "Concurrency Limits", "List concurrency limits", listRoute(s, DefaultLimit,
		func(*filterBody) (lister[*core.ConcurrencyLimit], error) { return s.store.ListConcurrencyLimits, nil }, out))
	s.handle("DELETE /concurrency_limits/{id}", "Concurrency Limits", "Delete a concurrency limit", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.store.DeleteConcurrencyLimit(r.Context(), id); err != nil {
			return err
		}
		writeJSON(w, 200, nil)
		return nil
	})
	s.handle("DELETE /concurrency_limits/tag/{tag}", "Concurrency Limits", "Delete the concurrency limit of a tag", func(w http.ResponseWriter, r *http.Request) error {
		if err := s.store.DeleteConcurrencyLimitByTag(r.Context(), r.PathValue("tag")); err != nil {
			return err
		}
		writeJSON(w, 200, nil)
		return nil
	})
}

type savedSearchCreate struct {
	Name    *string                  `json:"name" required:"true" maxLength:"1024"`
	Filters []core.SavedSearchFilter `json:"filters" maxItems:"1000"`
}

func (savedSearchCreate) strictAction() {}

func (s *Server) registerSavedSearchRoutes() {
	s.handle("PUT /saved_searches/", "Saved Searches", "Create or replace a saved search", func(w http.ResponseWriter, r *http.Request) error {
		var in savedSearchCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		now := core.T(s.now())
		out, isNew, err := s.store.UpsertSavedSearch(r.Context(), &core.SavedSearch{
			ID: newID(), Created: now, Updated: now, Name: *in.Name, Filters: emptyIfNil(in.Filters),
		})
		if err != nil {
			return err
		}
		return created(w, isNew, out)
	})
	s.handle("GET /saved_searches/{id}", "Saved Searches", "Read a saved search", getByID(s.store.GetSavedSearch, same))
	s.handle("POST /saved_searches/filter", "Saved Searches", "List saved searches", listRoute(s, DefaultLimit,
		func(*filterBody) (lister[*core.SavedSearch], error) { return s.store.ListSavedSearches, nil }, same))
	s.handle("DELETE /saved_searches/{id}", "Saved Searches", "Delete a saved search", deleteByID(s.store.DeleteSavedSearch))
}

type uiHistoryItem struct {
	ID        uuid.UUID       `json:"id"`
	StateType *core.StateType `json:"state_type"`
	Timestamp *core.Time      `json:"timestamp"`
	Duration  core.Duration   `json:"duration"`
	Lateness  core.Duration   `json:"lateness"`
}

func (s *Server) registerUIRoutes() {
	s.handle("POST /ui/flow_runs/history", "UI", "Flow run scatter-plot data for the dashboard", func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		q := &store.FlowRunQuery{}
		if q.RunFilters, err = fb.runFilters(); err != nil {
			return err
		}
		if q.Sort, err = sortKey(fb, store.FlowRunSorts, "EXPECTED_START_TIME_DESC"); err != nil {
			return err
		}
		if q.Page, err = fb.page(1000, 1000); err != nil {
			return err
		}
		if q.Limit < 0 {
			writeJSON(w, 200, []any{})
			return nil
		}
		runs, err := s.store.ListFlowRuns(r.Context(), q)
		if err != nil {
			return err
		}
		out := make([]uiHistoryItem, 0, len(runs))
		for _, run := range runs {
			s.flowRunOut(run)
			ts := run.StartTime
			if ts == nil {
				ts = run.ExpectedStartTime
			}
			out = append(out, uiHistoryItem{ID: run.ID, StateType: run.StateType, Timestamp: ts,
				Duration: run.EstimatedRunTime, Lateness: run.EstimatedStartTimeDelta})
		}
		writeJSON(w, 200, out)
		return nil
	})
}
