package postgres

import (
	"strconv"
	"strings"

	"github.com/orrery-dev/orrery/internal/store"
)

// args collects the parameters of one query. PostgreSQL numbers its
// placeholders, so every condition asks args for its own $n as it is
// built and conditions can be nested and combined in any order.
type args struct{ vals []any }

func (a *args) p(v any) string {
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

// combine joins SQL conditions with AND, or OR when or is true; none is TRUE.
func combine(or bool, cs []string) string {
	switch len(cs) {
	case 0:
		return "TRUE"
	case 1:
		return cs[0]
	}
	op := " AND "
	if or {
		op = " OR "
	}
	return "(" + strings.Join(cs, ")"+op+"(") + ")"
}

// where accumulates the sub-criteria of one filter object.
type where struct {
	a  *args
	cs []string
}

func (w *where) add(c string) { w.cs = append(w.cs, c) }

func (w *where) sub() *where { return &where{a: w.a} }

func (w *where) done(op *store.Operator) string { return combine(op.IsOr(), w.cs) }

// in is col = ANY($n): one parameter however long the list. An empty list
// matches nothing, as in 2.7.
func (w *where) in(col string, vals any, n int) string {
	if n == 0 {
		return "FALSE"
	}
	return col + " = ANY(" + w.a.p(vals) + ")"
}

func (w *where) idFilter(col string, f *store.IDFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		w.add(w.in(col, *f.Any, len(*f.Any)))
	}
	if f.NotAny != nil && len(*f.NotAny) > 0 {
		w.add("NOT (" + w.in(col, *f.NotAny, len(*f.NotAny)) + ")")
	}
}

func (w *where) strIn(col string, vals []string) string { return w.in(col, vals, len(vals)) }

func (w *where) nameFilter(col string, f *store.NameFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		w.add(w.strIn(col, *f.Any))
	}
	if f.Like != nil {
		// 2.7 builds ILIKE '%value%' without escaping, so % and _ in the
		// value are wildcards there too.
		w.add(col + " ILIKE '%' || " + w.a.p(*f.Like) + " || '%'")
	}
	if f.StartsWith != nil {
		var or []string
		for _, prefix := range *f.StartsWith {
			or = append(or, col+" ILIKE "+w.a.p(prefix)+" || '%'")
		}
		if len(or) == 0 {
			w.add("FALSE")
		} else {
			w.add(combine(true, or))
		}
	}
}

// tagsFilter: jsonb containment for all_, so the GIN index on tags serves it.
func (w *where) tagsFilter(col string, f *store.TagsFilter) {
	if f == nil {
		return
	}
	sub := w.sub()
	if f.All != nil {
		sub.add(col + " @> " + w.a.p(jsonList(*f.All)) + "::jsonb")
	}
	if f.IsNull != nil {
		if *f.IsNull {
			sub.add(col + " = '[]'::jsonb")
		} else {
			sub.add(col + " <> '[]'::jsonb")
		}
	}
	w.add(sub.done(f.Operator))
}

func (w *where) optIDFilter(col string, f *store.OptIDFilter) {
	if f == nil {
		return
	}
	sub := w.sub()
	if f.Any != nil {
		sub.add(sub.in(col, *f.Any, len(*f.Any)))
	}
	sub.isNull(col, f.IsNull)
	w.add(sub.done(f.Operator))
}

func (w *where) optStringFilter(col string, f *store.OptStringFilter) {
	if f == nil {
		return
	}
	sub := w.sub()
	if f.Any != nil {
		sub.add(sub.strIn(col, *f.Any))
	}
	sub.isNull(col, f.IsNull)
	w.add(sub.done(f.Operator))
}

func (w *where) isNull(col string, v *bool) {
	if v == nil {
		return
	}
	if *v {
		w.add(col + " IS NULL")
	} else {
		w.add(col + " IS NOT NULL")
	}
}

func (w *where) anyString(col string, f *store.StringAnyFilter) {
	if f != nil && f.Any != nil {
		w.add(w.strIn(col, *f.Any))
	}
}

func (w *where) stateFilter(typeCol, nameCol string, f *store.StateFilter) {
	if f == nil {
		return
	}
	sub := w.sub()
	if f.Type != nil && f.Type.Any != nil {
		types := make([]string, len(*f.Type.Any))
		for i, t := range *f.Type.Any {
			types[i] = string(t)
		}
		sub.add(sub.strIn(typeCol, types))
	}
	if f.Name != nil && f.Name.Any != nil {
		sub.add(sub.strIn(nameCol, *f.Name.Any))
	}
	w.add(sub.done(f.Operator))
}

func (w *where) timeFilter(col string, f *store.TimeFilter) {
	if f == nil {
		return
	}
	if f.Before != nil {
		w.add(col + " <= " + w.a.p(f.Before.Time))
	}
	if f.After != nil {
		w.add(col + " >= " + w.a.p(f.After.Time))
	}
	w.isNull(col, f.IsNull)
}

func (w *where) boolFilter(col string, f *store.BoolFilter) {
	if f != nil && f.Eq != nil {
		w.add(col + " = " + w.a.p(*f.Eq))
	}
}

func flowCond(a *args, t string, f *store.FlowFilter) string {
	w := &where{a: a}
	w.idFilter(t+".id", f.ID)
	w.nameFilter(t+".name", f.Name)
	w.tagsFilter(t+".tags", f.Tags)
	return w.done(f.Operator)
}

func flowRunCond(a *args, t string, f *store.FlowRunFilter) string {
	w := &where{a: a}
	w.idFilter(t+".id", f.ID)
	w.nameFilter(t+".name", f.Name)
	w.tagsFilter(t+".tags", f.Tags)
	w.optIDFilter(t+".deployment_id", f.DeploymentID)
	w.optStringFilter(t+".work_queue_name", f.WorkQueueName)
	w.stateFilter(t+".state_type", t+".state_name", f.State)
	w.anyString(t+".flow_version", f.FlowVersion)
	w.timeFilter(t+".start_time", f.StartTime)
	w.timeFilter(t+".expected_start_time", f.ExpectedStartTime)
	w.timeFilter(t+".next_scheduled_start_time", f.NextScheduledStartTime)
	w.optIDFilter(t+".parent_task_run_id", f.ParentTaskRunID)
	w.anyString(t+".idempotency_key", f.IdempotencyKey)
	return w.done(f.Operator)
}

func taskRunCond(a *args, t string, f *store.TaskRunFilter) string {
	w := &where{a: a}
	w.idFilter(t+".id", f.ID)
	w.nameFilter(t+".name", f.Name)
	w.tagsFilter(t+".tags", f.Tags)
	w.stateFilter(t+".state_type", t+".state_name", f.State)
	w.timeFilter(t+".start_time", f.StartTime)
	if f.SubflowRuns != nil && f.SubflowRuns.Exists != nil {
		c := "EXISTS (SELECT 1 FROM flow_runs sub WHERE sub.parent_task_run_id = " + t + ".id)"
		if !*f.SubflowRuns.Exists {
			c = "NOT " + c
		}
		w.add(c)
	}
	return w.done(f.Operator)
}

func deploymentCond(a *args, t string, f *store.DeploymentFilter) string {
	w := &where{a: a}
	w.idFilter(t+".id", f.ID)
	w.nameFilter(t+".name", f.Name)
	w.boolFilter(t+".is_schedule_active", f.IsScheduleActive)
	w.tagsFilter(t+".tags", f.Tags)
	w.anyString(t+".work_queue_name", f.WorkQueueName)
	return w.done(f.Operator)
}

func exists(from, join, cond string) string {
	return "EXISTS (SELECT 1 FROM " + from + " WHERE " + join + " AND (" + cond + "))"
}

// The cross-object conditions: a filter object that is present (even empty)
// requires a related object to exist, as in 2.7.

func flowRunsWhere(a *args, f *store.RunFilters) string {
	var cs []string
	if f.FlowRuns != nil {
		cs = append(cs, flowRunCond(a, "fr", f.FlowRuns))
	}
	if f.Flows != nil {
		cs = append(cs, exists("flows xf", "xf.id = fr.flow_id", flowCond(a, "xf", f.Flows)))
	}
	if f.TaskRuns != nil {
		cs = append(cs, exists("task_runs xt", "xt.flow_run_id = fr.id", taskRunCond(a, "xt", f.TaskRuns)))
	}
	if f.Deployments != nil {
		cs = append(cs, exists("deployments xd", "xd.id = fr.deployment_id", deploymentCond(a, "xd", f.Deployments)))
	}
	return combine(false, cs)
}

func flowsWhere(a *args, f *store.RunFilters) string {
	var cs []string
	if f.Flows != nil {
		cs = append(cs, flowCond(a, "f", f.Flows))
	}
	if f.FlowRuns != nil {
		cs = append(cs, exists("flow_runs xr", "xr.flow_id = f.id", flowRunCond(a, "xr", f.FlowRuns)))
	}
	if f.TaskRuns != nil {
		cs = append(cs, exists("task_runs xt JOIN flow_runs xr2 ON xr2.id = xt.flow_run_id", "xr2.flow_id = f.id", taskRunCond(a, "xt", f.TaskRuns)))
	}
	if f.Deployments != nil {
		cs = append(cs, exists("deployments xd", "xd.flow_id = f.id", deploymentCond(a, "xd", f.Deployments)))
	}
	return combine(false, cs)
}

func taskRunsWhere(a *args, f *store.RunFilters) string {
	var cs []string
	if f.TaskRuns != nil {
		cs = append(cs, taskRunCond(a, "tr", f.TaskRuns))
	}
	if f.FlowRuns != nil {
		cs = append(cs, exists("flow_runs xr", "xr.id = tr.flow_run_id", flowRunCond(a, "xr", f.FlowRuns)))
	}
	if f.Flows != nil {
		cs = append(cs, exists("flow_runs xr2 JOIN flows xf ON xf.id = xr2.flow_id", "xr2.id = tr.flow_run_id", flowCond(a, "xf", f.Flows)))
	}
	if f.Deployments != nil {
		cs = append(cs, exists("flow_runs xr3 JOIN deployments xd ON xd.id = xr3.deployment_id", "xr3.id = tr.flow_run_id", deploymentCond(a, "xd", f.Deployments)))
	}
	return combine(false, cs)
}

func deploymentsWhere(a *args, f *store.RunFilters) string {
	var cs []string
	if f.Deployments != nil {
		cs = append(cs, deploymentCond(a, "d", f.Deployments))
	}
	if f.Flows != nil {
		cs = append(cs, exists("flows xf", "xf.id = d.flow_id", flowCond(a, "xf", f.Flows)))
	}
	if f.FlowRuns != nil {
		cs = append(cs, exists("flow_runs xr", "xr.deployment_id = d.id", flowRunCond(a, "xr", f.FlowRuns)))
	}
	if f.TaskRuns != nil {
		cs = append(cs, exists("task_runs xt JOIN flow_runs xr2 ON xr2.id = xt.flow_run_id", "xr2.deployment_id = d.id", taskRunCond(a, "xt", f.TaskRuns)))
	}
	return combine(false, cs)
}

func logsWhere(a *args, f *store.LogFilter) string {
	if f == nil {
		return "TRUE"
	}
	w := &where{a: a}
	if f.Level != nil {
		if f.Level.Ge != nil {
			w.add("level >= " + a.p(*f.Level.Ge))
		}
		if f.Level.Le != nil {
			w.add("level <= " + a.p(*f.Level.Le))
		}
	}
	w.timeFilter("ts", f.Timestamp)
	w.idFilter("flow_run_id", f.FlowRunID)
	w.optIDFilter("task_run_id", f.TaskRunID)
	return w.done(f.Operator)
}

func workQueuesWhere(a *args, f *store.WorkQueueFilter) string {
	if f == nil {
		return "TRUE"
	}
	w := &where{a: a}
	w.idFilter("id", f.ID)
	w.nameFilter("name", f.Name)
	return w.done(f.Operator)
}

func blockSchemaCond(a *args, t string, f *store.BlockSchemaFilter) string {
	if f == nil {
		return "TRUE"
	}
	w := &where{a: a}
	w.idFilter(t+".block_type_id", f.BlockTypeID)
	if f.BlockCapabilities != nil && f.BlockCapabilities.All != nil {
		w.add(t + ".capabilities @> " + a.p(jsonList(*f.BlockCapabilities.All)) + "::jsonb")
	}
	w.idFilter(t+".id", f.ID)
	w.anyString(t+".version", f.Version)
	return w.done(f.Operator)
}

func blockTypeCond(a *args, t string, f *store.BlockTypeFilter) string {
	if f == nil {
		return "TRUE"
	}
	w := &where{a: a}
	if f.Name != nil && f.Name.Like != nil {
		w.nameFilter(t+".name", &store.NameFilter{Like: f.Name.Like})
	}
	w.anyString(t+".slug", f.Slug)
	return w.done(nil)
}

func blockDocumentCond(a *args, t string, f *store.BlockDocumentFilter) string {
	if f == nil {
		// 2.7 hides anonymous documents unless the caller asks about them.
		return t + ".is_anonymous = FALSE"
	}
	w := &where{a: a}
	w.idFilter(t+".id", f.ID)
	w.boolFilter(t+".is_anonymous", f.IsAnonymous)
	w.idFilter(t+".block_type_id", f.BlockTypeID)
	w.anyString(t+".name", f.Name)
	return w.done(f.Operator)
}

// Sorts. PostgreSQL puts NULLs last in ascending order and first in
// descending order; SQLite (and DynamoDB's sort keys) do the opposite. The
// NULLS clauses keep every backend's order the same: a run with no end time
// sorts after the finished ones in END_TIME_DESC.
var flowSorts = map[store.FlowSort]string{
	"CREATED_DESC": "f.created DESC, f.id", "UPDATED_DESC": "f.updated DESC, f.id",
	"NAME_ASC": "f.name ASC", "NAME_DESC": "f.name DESC",
}

var flowRunSorts = map[store.FlowRunSort]string{
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

var taskRunSorts = map[store.TaskRunSort]string{
	"ID_DESC":                       "tr.id DESC",
	"EXPECTED_START_TIME_ASC":       "tr.expected_start_time ASC NULLS FIRST, tr.id",
	"EXPECTED_START_TIME_DESC":      "tr.expected_start_time DESC NULLS LAST, tr.id",
	"NAME_ASC":                      "tr.name ASC, tr.id",
	"NAME_DESC":                     "tr.name DESC, tr.id",
	"NEXT_SCHEDULED_START_TIME_ASC": "tr.next_scheduled_start_time ASC NULLS FIRST, tr.id",
	"END_TIME_DESC":                 "tr.end_time DESC NULLS LAST, tr.id",
}

var logSorts = map[store.LogSort]string{
	"TIMESTAMP_ASC": "ts ASC, seq", "TIMESTAMP_DESC": "ts DESC, seq DESC",
	"LEVEL_ASC": "level ASC, seq", "LEVEL_DESC": "level DESC, seq",
	"FLOW_RUN_ID_ASC": "flow_run_id ASC, seq", "FLOW_RUN_ID_DESC": "flow_run_id DESC, seq",
	"TASK_RUN_ID_ASC": "task_run_id ASC NULLS FIRST, seq", "TASK_RUN_ID_DESC": "task_run_id DESC NULLS LAST, seq",
}

var deploymentSorts = map[store.DeploymentSort]string{
	"CREATED_DESC": "d.created DESC, d.id", "UPDATED_DESC": "d.updated DESC, d.id",
	"NAME_ASC": "d.name ASC, d.id", "NAME_DESC": "d.name DESC, d.id",
}

func orderBy[K comparable](m map[K]string, k, def K) string {
	if o, ok := m[k]; ok {
		return " ORDER BY " + o
	}
	return " ORDER BY " + m[def]
}

// page renders a Page; its numbers are ints, so inlining them is safe and
// lets the planner see the limit.
func page(p store.Page) string {
	var b strings.Builder
	if p.Limit > 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(p.Limit))
	}
	if p.Offset > 0 {
		b.WriteString(" OFFSET " + strconv.Itoa(p.Offset))
	}
	return b.String()
}
