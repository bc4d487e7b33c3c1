package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

type flowCreate struct {
	Name *string  `json:"name" required:"true" maxLength:"1024" pattern:"^[^/%&><]*$"`
	Tags []string `json:"tags" maxItems:"1000" itemMaxLength:"1024"`
}

func (flowCreate) strictAction() {}

type flowUpdate struct {
	Tags *[]string `json:"tags" nullable:"false" maxItems:"1000" itemMaxLength:"1024"`
}

func (flowUpdate) strictAction() {}

// pathID parses the {id} path value; a bad UUID is a 422 as in 2.7.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, invalid(nil, fieldError{Loc: []any{"path", name}, Msg: "value is not a valid uuid", Type: "type_error.uuid"})
	}
	return id, nil
}

// created answers 201 for a new object and 200 for an existing one.
func created(w http.ResponseWriter, isNew bool, v any) error {
	status := http.StatusOK
	if isNew {
		status = http.StatusCreated
	}
	writeJSON(w, status, v)
	return nil
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func emptyIfNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (s *Server) registerFlowRoutes() {
	s.handle("POST /flows/", "Flows", "Create a flow (or return the existing one with that name)", func(w http.ResponseWriter, r *http.Request) error {
		var in flowCreate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		now := core.T(s.now())
		f := &core.Flow{ID: newID(), Created: now, Updated: now, Name: *in.Name, Tags: emptyIfNil(in.Tags)}
		out, isNew, err := s.store.CreateFlow(r.Context(), f)
		if err != nil {
			return err
		}
		return created(w, isNew, out)
	})
	s.handle("PATCH /flows/{id}", "Flows", "Update a flow's tags", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in flowUpdate
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		if in.Tags != nil {
			if err := s.store.UpdateFlowTags(r.Context(), id, emptyIfNil(*in.Tags), s.now()); err != nil {
				return err
			}
		} else if _, err := s.store.GetFlow(r.Context(), id); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("POST /flows/count", "Flows", "Count flows", s.countRoute(s.store.CountFlows))
	s.handle("GET /flows/name/{name}", "Flows", "Read a flow by name", getByPath("name", s.store.GetFlowByName, same))
	s.handle("GET /flows/{id}", "Flows", "Read a flow", getByID(s.store.GetFlow, same))
	s.handle("POST /flows/filter", "Flows", "Query flows", runListRoute(s, store.FlowSorts, "NAME_ASC",
		func(ctx context.Context, f store.RunFilters, sort store.FlowSort, p store.Page) ([]*core.Flow, error) {
			return s.store.ListFlows(ctx, &store.FlowQuery{RunFilters: f, Sort: sort, Page: p})
		}, same))
	s.handle("DELETE /flows/{id}", "Flows", "Delete a flow with its runs", deleteByID(s.store.DeleteFlow))
}

// newID returns a time-ordered UUID (v7), so ID_DESC, the default sort of
// run listings, means newest first.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
