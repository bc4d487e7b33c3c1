package api

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/store"
)

// Work pools are an experimental feature of Prefect 2.7.12 that Orrery does
// not implement. The stock 2.7.12 UI still asks for them on its work-queue
// and flow-run pages (POST /api/experimental/work_pools/filter) and logs an
// error when the call fails, as it does against the 2.7.12 server itself
// (404 "Work pools are not enabled"). Orrery answers the one read the UI
// makes with the truth: there are no work pools. The body is still checked
// as 2.7's WorkPoolFilter, so a malformed request is a 422 and not a
// silently empty answer.

// workPoolFilter is 2.7.12's WorkPoolFilter.
type workPoolFilter struct {
	Operator *store.Operator   `json:"operator" nullable:"false"`
	ID       *workPoolIDFilter `json:"id"`
	Name     *workPoolAnyNames `json:"name"`
	Type     *workPoolAnyNames `json:"type"`
}

// workPoolIDFilter is 2.7.12's WorkPoolFilterId.
type workPoolIDFilter struct {
	Any *[]uuid.UUID `json:"any_" maxItems:"10000"`
}

// workPoolAnyNames is 2.7.12's WorkPoolFilterName and WorkPoolFilterType.
type workPoolAnyNames struct {
	Any *[]string `json:"any_" maxItems:"10000" itemMaxLength:"1024"`
}

// workPoolFilterBody is the body of POST /experimental/work_pools/filter.
type workPoolFilterBody struct {
	pageBody
	WorkPools *workPoolFilter `json:"work_pools"`
}

// workPool documents the (always empty) list's items: the fields of
// 2.7.12's WorkPool that a client reads.
type workPool struct {
	ID               uuid.UUID      `json:"id"`
	Name             string         `json:"name"`
	Description      *string        `json:"description"`
	Type             string         `json:"type"`
	BaseJobTemplate  map[string]any `json:"base_job_template"`
	IsPaused         bool           `json:"is_paused"`
	ConcurrencyLimit *int           `json:"concurrency_limit"`
	DefaultQueueID   *uuid.UUID     `json:"default_queue_id"`
}

func (s *Server) registerWorkPoolRoutes() {
	s.handle("POST /experimental/work_pools/filter", "Work Pools", "Query work pools (none exist: Orrery has no work pools)", func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		var f *workPoolFilter
		if err := fb.into("work_pools", &f); err != nil {
			return err
		}
		if _, err := fb.page(DefaultLimit, DefaultLimit); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, []workPool{})
		return nil
	})
}
