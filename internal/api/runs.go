package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// The routes flow runs and task runs share, written once: the two kinds
// differ only in which store and orchestrator calls they make.

// errIntegrity is 2.7's answer when a row names a parent that does not
// exist (its foreign-key violation, a 409).
var errIntegrity = core.Errorf(core.EConflict, "Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details.")

// requireParent reads the parent a new row points at: missing is 2.7's 409.
func requireParent[T any](ctx context.Context, get func(context.Context, uuid.UUID) (T, error), id uuid.UUID) error {
	_, err := get(ctx, id)
	if core.IsNotFound(err) {
		return errIntegrity
	}
	return err
}

// runName is the name a new run gets: the one sent, else a fresh slug.
func runName(name *string) string {
	if name != nil && *name != "" {
		return *name
	}
	return Slug()
}

// runPolicy is the retry policy a new run gets: the one sent (or the
// zero policy), normalized as 2.7 does.
func runPolicy[P any, PP interface {
	*P
	Normalize()
}](given *P) P {
	var p P
	if given != nil {
		p = *given
	}
	PP(&p).Normalize()
	return p
}

// setStateFunc is the orchestrator's set_state for one kind of run.
type setStateFunc func(ctx context.Context, id uuid.UUID, p core.StateCreate, force bool, apiVersion *[3]int) (orchestration.Result, bool, error)

// setStateRoute answers POST .../{id}/set_state: 201 when a new state was
// written, else 200.
func (s *Server) setStateRoute(set setStateFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in setStateBody
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		res, written, err := set(r.Context(), id, in.State.proposal(), in.Force, apiVersion(r))
		if err != nil {
			return err
		}
		return writeOrchestration(w, res, written)
	}
}

// stateHistoryRoute answers GET /{flow,task}_run_states/?{param}=id: the
// states of one run, oldest first.
func stateHistoryRoute(param string, list func(context.Context, uuid.UUID) ([]*core.State, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := r.URL.Query().Get(param)
		if v == "" {
			return invalid(nil, fieldError{Loc: []any{"query", param}, Msg: "field required", Type: "value_error.missing"})
		}
		id, err := uuid.Parse(v)
		if err != nil {
			return invalid(nil, fieldError{Loc: []any{"query", param}, Msg: "value is not a valid uuid", Type: "type_error.uuid"})
		}
		sts, err := list(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, emptyIfNil(sts))
		return nil
	}
}

// timingsFunc lists the timings of the runs that match f, by expected
// start time, at most limit of them.
type timingsFunc func(ctx context.Context, f store.RunFilters, limit int) ([]*core.RunTiming, error)

// flowRunTimings and taskRunTimings are the history's two sources.
func (s *Server) flowRunTimings(ctx context.Context, f store.RunFilters, limit int) ([]*core.RunTiming, error) {
	runs, err := s.store.ListFlowRuns(ctx, &store.FlowRunQuery{RunFilters: f, Sort: "EXPECTED_START_TIME_ASC", Page: store.Page{Limit: limit}})
	out := make([]*core.RunTiming, len(runs))
	for i, run := range runs {
		out[i] = &s.flowRunOut(run).RunTiming
	}
	return out, err
}

func (s *Server) taskRunTimings(ctx context.Context, f store.RunFilters, limit int) ([]*core.RunTiming, error) {
	runs, err := s.store.ListTaskRuns(ctx, &store.TaskRunQuery{RunFilters: f, Sort: "EXPECTED_START_TIME_ASC", Page: store.Page{Limit: limit}})
	out := make([]*core.RunTiming, len(runs))
	for i, run := range runs {
		out[i] = &s.taskRunOut(run).RunTiming
	}
	return out, err
}

// historyLimit bounds how many runs one history request aggregates.
const historyLimit = 100_000

type historyState struct {
	StateType            core.StateType `json:"state_type"`
	StateName            string         `json:"state_name"`
	CountRuns            int            `json:"count_runs"`
	SumEstimatedRunTime  core.Duration  `json:"sum_estimated_run_time"`
	SumEstimatedLateness core.Duration  `json:"sum_estimated_lateness"`
}

type historyInterval struct {
	IntervalStart core.Time      `json:"interval_start"`
	IntervalEnd   core.Time      `json:"interval_end"`
	States        []historyState `json:"states"`
}

// historyRoute answers POST .../history: runs bucketed by expected start
// time into fixed intervals and counted per state.
func (s *Server) historyRoute(timings timingsFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		fb, err := s.readFilterBody(r)
		if err != nil {
			return err
		}
		var start, end *core.Time
		var interval *core.Duration
		if err := fb.into("history_start", &start); err != nil {
			return err
		}
		if err := fb.into("history_end", &end); err != nil {
			return err
		}
		if err := fb.into("history_interval_seconds", &interval); err != nil {
			return err
		}
		var errs []fieldError
		errs = append(errs, required(start == nil, "history_start")...)
		errs = append(errs, required(end == nil, "history_end")...)
		errs = append(errs, required(interval == nil, "history_interval_seconds")...)
		if len(errs) > 0 {
			return invalid(fb.b, errs...)
		}
		if time.Duration(*interval) < time.Second {
			// 2.7.12's own check and wording (an HTTPException, so "detail").
			return core.Errorf(core.EInvalid, "History interval must not be less than 1 second.")
		}
		if end.Before(start.Time) {
			return fieldInvalid(fb.b, "history_end must not be before history_start", "value_error", "history_end")
		}
		f, err := fb.runFilters()
		if err != nil {
			return err
		}
		step := time.Duration(*interval)
		// 2.7.12 answers at most 500 intervals (its interval query stops
		// there); the division cannot overflow where counting steps could.
		n := min(int64(end.Sub(start.Time)/step)+1, MaxHistoryIntervals)
		runs, err := timings(r.Context(), f, historyLimit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, bucket(runs, start.Time, end.Time, step, n))
		return nil
	}
}

// bucket counts runs per state in the intervals of step from start to
// end, at most n of them: one pass over the runs, whatever n is.
func bucket(runs []*core.RunTiming, start, end time.Time, step time.Duration, n int64) []historyInterval {
	byState := map[int64]map[[2]string]*historyState{}
	for _, rt := range runs {
		if rt.ExpectedStartTime == nil || rt.StateType == nil || rt.ExpectedStartTime.Before(start) || !rt.ExpectedStartTime.Before(end) {
			continue
		}
		i := int64(rt.ExpectedStartTime.Sub(start) / step)
		if i >= n {
			continue
		}
		name := ""
		if rt.StateName != nil {
			name = *rt.StateName
		}
		k := [2]string{string(*rt.StateType), name}
		if byState[i] == nil {
			byState[i] = map[[2]string]*historyState{}
		}
		hs := byState[i][k]
		if hs == nil {
			hs = &historyState{StateType: *rt.StateType, StateName: name}
			byState[i][k] = hs
		}
		hs.CountRuns++
		hs.SumEstimatedRunTime += rt.EstimatedRunTime
		hs.SumEstimatedLateness += rt.EstimatedStartTimeDelta
	}
	out := make([]historyInterval, 0, n)
	for t := start; t.Before(end) && int64(len(out)) < n; t = t.Add(step) {
		hi := t.Add(step)
		if hi.After(end) {
			hi = end
		}
		states := make([]historyState, 0, len(byState[int64(len(out))]))
		for _, hs := range byState[int64(len(out))] {
			states = append(states, *hs)
		}
		sort.Slice(states, func(i, j int) bool {
			if states[i].StateType != states[j].StateType {
				return states[i].StateType < states[j].StateType
			}
			return states[i].StateName < states[j].StateName
		})
		out = append(out, historyInterval{IntervalStart: core.T(t), IntervalEnd: core.T(hi), States: states})
	}
	return out
}
