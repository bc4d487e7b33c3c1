package sqlfilter

import "github.com/orrery-dev/orrery/internal/store"

// Sorts. PostgreSQL puts NULLs last in ascending order and first in
// descending order; SQLite (and DynamoDB's sort keys) do the opposite. The
// NULLS clauses keep every backend's order the same: a run with no end time
// sorts after the finished ones in END_TIME_DESC. They name SQLite's own
// default, so its planner still walks the sort indexes.

// FlowSorts orders flows (alias f).
var FlowSorts = map[store.FlowSort]string{
	"CREATED_DESC": "f.created DESC, f.id", "UPDATED_DESC": "f.updated DESC, f.id",
	"NAME_ASC": "f.name ASC", "NAME_DESC": "f.name DESC",
}

// FlowRunSorts orders flow runs (alias fr).
var FlowRunSorts = map[store.FlowRunSort]string{
	"ID_DESC":                       "fr.id DESC",
	"START_TIME_ASC":                "COALESCE(fr.start_time, fr.expected_start_time) ASC NULLS FIRST, fr.id",
	"START_TIME_DESC":               "COALESCE(fr.start_time, fr.expected_start_time) DESC NULLS LAST, fr.id",
	"EXPECTED_START_TIME_ASC":       "fr.expected_start_time ASC NULLS FIRST, fr.id",
	"EXPECTED_START_TIME_DESC":      "fr.expected_start_time DESC NULLS LAST, fr.id",
	"NAME_ASC":                      "fr.name ASC, fr.id",
	"NAME_DESC":                     "fr.name DESC, fr.id",
	"NEXT_SCHEDULED_START_TIME_ASC": "fr.next_scheduled_start_time ASC NULLS FIRST, fr.id",
	"END_TIME_DESC":                 "fr.end_time DESC NULLS LAST, fr.id",
}

// TaskRunSorts orders task runs (alias tr).
var TaskRunSorts = map[store.TaskRunSort]string{
	"ID_DESC":                       "tr.id DESC",
	"EXPECTED_START_TIME_ASC":       "tr.expected_start_time ASC NULLS FIRST, tr.id",
	"EXPECTED_START_TIME_DESC":      "tr.expected_start_time DESC NULLS LAST, tr.id",
	"NAME_ASC":                      "tr.name ASC, tr.id",
	"NAME_DESC":                     "tr.name DESC, tr.id",
	"NEXT_SCHEDULED_START_TIME_ASC": "tr.next_scheduled_start_time ASC NULLS FIRST, tr.id",
	"END_TIME_DESC":                 "tr.end_time DESC NULLS LAST, tr.id",
}

// LogSorts orders logs (no alias; seq breaks ties in insertion order).
var LogSorts = map[store.LogSort]string{
	"TIMESTAMP_ASC": "ts ASC, seq", "TIMESTAMP_DESC": "ts DESC, seq DESC",
	"LEVEL_ASC": "level ASC, seq", "LEVEL_DESC": "level DESC, seq",
	"FLOW_RUN_ID_ASC": "flow_run_id ASC, seq", "FLOW_RUN_ID_DESC": "flow_run_id DESC, seq",
	"TASK_RUN_ID_ASC": "task_run_id ASC NULLS FIRST, seq", "TASK_RUN_ID_DESC": "task_run_id DESC NULLS LAST, seq",
}

// DeploymentSorts orders deployments (alias d).
var DeploymentSorts = map[store.DeploymentSort]string{
	"CREATED_DESC": "d.created DESC, d.id", "UPDATED_DESC": "d.updated DESC, d.id",
	"NAME_ASC": "d.name ASC, d.id", "NAME_DESC": "d.name DESC, d.id",
}

// OrderBy is the ORDER BY clause of sort k in m, or of def when m has no k.
func OrderBy[K comparable](m map[K]string, k, def K) string {
	if o, ok := m[k]; ok {
		return " ORDER BY " + o
	}
	return " ORDER BY " + m[def]
}
