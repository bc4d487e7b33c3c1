package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// TestFilterPlans: the shared compiler's SQL still lets SQLite's planner
// use the indexes for the common filters and sorts — a list bound as one
// json_each parameter is searched through the column's index, a one-item
// list is an equality that walks a (column, sort key) index in order, and
// the NULLS clauses of the sorts name SQLite's defaults so they do not
// force a sort.
func TestFilterPlans(t *testing.T) {
	s, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	two := &[]uuid.UUID{uuid.New(), uuid.New()}
	states := func(ts ...core.StateType) *store.StateFilter {
		return &store.StateFilter{Type: &struct {
			Any *[]core.StateType `json:"any_"`
		}{Any: &ts}}
	}
	runs := func(f store.FlowRunFilter, sort store.FlowRunSort) (string, []any) {
		w := flowRunsWhere(&store.RunFilters{FlowRuns: &f})
		return `SELECT fr.doc FROM flow_runs fr WHERE ` + w.sql + orderBy(flowRunSorts, sort, "ID_DESC") + limitOffset(store.Page{Limit: 10}), w.args
	}
	for _, tc := range []struct {
		name string
		sql  func() (string, []any)
		want []string // substrings of the plan
		not  []string
	}{
		{"run ids", func() (string, []any) { return runs(store.FlowRunFilter{ID: &store.IDFilter{Any: two}}, "ID_DESC") },
			[]string{"SEARCH fr USING INDEX sqlite_autoindex_flow_runs_1 (id=?)"}, []string{"SCAN fr"}},
		{"deployment ids", func() (string, []any) {
			return runs(store.FlowRunFilter{DeploymentID: &store.OptIDFilter{Any: two}}, "ID_DESC")
		}, []string{"USING INDEX flow_runs_deployment (deployment_id=?)"}, []string{"SCAN fr"}},
		{"one state, expected desc", func() (string, []any) {
			return runs(store.FlowRunFilter{State: states(core.Scheduled)}, "EXPECTED_START_TIME_DESC")
		}, []string{"USING INDEX flow_runs_state_expected_desc (state_type=?)"}, []string{"TEMP B-TREE"}},
		{"one state, next scheduled", func() (string, []any) {
			return runs(store.FlowRunFilter{State: states(core.Scheduled)}, "NEXT_SCHEDULED_START_TIME_ASC")
		}, []string{"USING INDEX flow_runs_state_next (state_type=?)"}, []string{"TEMP B-TREE"}},
		{"two states", func() (string, []any) {
			return runs(store.FlowRunFilter{State: states(core.Scheduled, core.Pending)}, "ID_DESC")
		}, []string{"(state_type=?)"}, []string{"SCAN fr"}},
		{"expected desc", func() (string, []any) { return runs(store.FlowRunFilter{}, "EXPECTED_START_TIME_DESC") },
			[]string{"USING INDEX flow_runs_expected_desc"}, []string{"TEMP B-TREE"}},
		{"start desc", func() (string, []any) { return runs(store.FlowRunFilter{}, "START_TIME_DESC") },
			[]string{"USING INDEX flow_runs_start_desc"}, []string{"TEMP B-TREE"}},
		{"task runs of runs", func() (string, []any) {
			w := taskRunsWhere(&store.RunFilters{FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: two}}})
			return `SELECT tr.doc FROM task_runs tr WHERE ` + w.sql, w.args
		}, []string{"SEARCH tr USING INDEX task_runs_key (flow_run_id=?)"}, []string{"SCAN tr", "SCAN xr"}},
		{"logs of runs", func() (string, []any) {
			w := logsWhere(&store.LogFilter{FlowRunID: &store.IDFilter{Any: two}})
			return `SELECT doc FROM logs WHERE ` + w.sql + orderBy(logSorts, "TIMESTAMP_ASC", "TIMESTAMP_ASC"), w.args
		}, []string{"USING INDEX logs_flow_run (flow_run_id=?)"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, args := tc.sql()
			rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("plan lacks %q:\n%s\n%s", w, q, text)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(text, n) {
					t.Errorf("plan has %q:\n%s\n%s", n, q, text)
				}
			}
		})
	}
}
