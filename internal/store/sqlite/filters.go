package sqlite

import (
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/store"
)

// cond is one SQL boolean expression with its arguments.
type cond struct {
	sql  string
	args []any
}

var (
	condTrue  = cond{sql: "1"}
	condFalse = cond{sql: "0"}
)

// combine joins conditions with AND, or with OR when or is true. No
// conditions means TRUE.
func combine(or bool, cs []cond) cond {
	if len(cs) == 0 {
		return condTrue
	}
	if len(cs) == 1 {
		return cs[0]
	}
	op := " AND "
	if or {
		op = " OR "
	}
	parts := make([]string, len(cs))
	var args []any
	for i, c := range cs {
		parts[i] = "(" + c.sql + ")"
		args = append(args, c.args...)
	}
	return cond{sql: strings.Join(parts, op), args: args}
}

// builder accumulates the sub-criteria of one filter object.
type builder struct{ cs []cond }

func (b *builder) add(c cond) { b.cs = append(b.cs, c) }

func (b *builder) done(op *store.Operator) cond { return combine(op.IsOr(), b.cs) }

func in(col string, vals []string) cond {
	if len(vals) == 0 {
		return condFalse
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return cond{sql: col + " IN (" + placeholders(len(vals)) + ")", args: args}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func ids(v []uuid.UUID) []string {
	out := make([]string, len(v))
	for i, id := range v {
		out[i] = id.String()
	}
	return out
}

func (b *builder) idFilter(col string, f *store.IDFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		b.add(in(col, ids(*f.Any)))
	}
	if f.NotAny != nil && len(*f.NotAny) > 0 {
		c := in(col, ids(*f.NotAny))
		b.add(cond{sql: "NOT (" + c.sql + ")", args: c.args})
	}
}

func (b *builder) nameFilter(col string, f *store.NameFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		b.add(in(col, *f.Any))
	}
	if f.Like != nil {
		// SQLite's LIKE is case-insensitive for ASCII, like ILIKE.
		b.add(cond{sql: col + " LIKE '%' || ? || '%'", args: []any{*f.Like}})
	}
	if f.StartsWith != nil {
		var or []cond
		for _, p := range *f.StartsWith {
			or = append(or, cond{sql: col + " LIKE ? || '%'", args: []any{p}})
		}
		if len(or) == 0 {
			b.add(condFalse)
		} else {
			b.add(combine(true, or))
		}
	}
}

func (b *builder) tagsFilter(col string, f *store.TagsFilter) {
	if f == nil {
		return
	}
	var sub builder
	if f.All != nil {
		var all []cond
		for _, t := range *f.All {
			all = append(all, cond{sql: "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value = ?)", args: []any{t}})
		}
		sub.add(combine(false, all))
	}
	if f.IsNull != nil {
		if *f.IsNull {
			sub.add(cond{sql: col + " = '[]'"})
		} else {
			sub.add(cond{sql: col + " != '[]'"})
		}
	}
	b.add(sub.done(f.Operator))
}

func (b *builder) optIDFilter(col string, f *store.OptIDFilter) {
	if f == nil {
		return
	}
	var sub builder
	if f.Any != nil {
		sub.add(in(col, ids(*f.Any)))
	}
	sub.isNull(col, f.IsNull)
	b.add(sub.done(f.Operator))
}

func (b *builder) optStringFilter(col string, f *store.OptStringFilter) {
	if f == nil {
		return
	}
	var sub builder
	if f.Any != nil {
		sub.add(in(col, *f.Any))
	}
	sub.isNull(col, f.IsNull)
	b.add(sub.done(f.Operator))
}

func (b *builder) isNull(col string, v *bool) {
	if v == nil {
		return
	}
	if *v {
		b.add(cond{sql: col + " IS NULL"})
	} else {
		b.add(cond{sql: col + " IS NOT NULL"})
	}
}

func (b *builder) anyString(col string, f *store.StringAnyFilter) {
	if f != nil && f.Any != nil {
		b.add(in(col, *f.Any))
	}
}

func (b *builder) stateFilter(typeCol, nameCol string, f *store.StateFilter) {
	if f == nil {
		return
	}
	var sub builder
	if f.Type != nil && f.Type.Any != nil {
		vals := make([]string, len(*f.Type.Any))
		for i, t := range *f.Type.Any {
			vals[i] = string(t)
		}
		sub.add(in(typeCol, vals))
	}
	if f.Name != nil && f.Name.Any != nil {
		sub.add(in(nameCol, *f.Name.Any))
	}
	b.add(sub.done(f.Operator))
}

func (b *builder) timeFilter(col string, f *store.TimeFilter) {
	if f == nil {
		return
	}
	if f.Before != nil {
		b.add(cond{sql: col + " <= ?", args: []any{micros(f.Before)}})
	}
	if f.After != nil {
		b.add(cond{sql: col + " >= ?", args: []any{micros(f.After)}})
	}
	b.isNull(col, f.IsNull)
}

func flowCond(a string, f *store.FlowFilter) cond {
	var b builder
	b.idFilter(a+".id", f.ID)
	b.nameFilter(a+".name", f.Name)
	b.tagsFilter(a+".tags", f.Tags)
	return b.done(f.Operator)
}

func flowRunCond(a string, f *store.FlowRunFilter) cond {
	var b builder
	b.idFilter(a+".id", f.ID)
	b.nameFilter(a+".name", f.Name)
	b.tagsFilter(a+".tags", f.Tags)
	b.optIDFilter(a+".deployment_id", f.DeploymentID)
	b.optStringFilter(a+".work_queue_name", f.WorkQueueName)
	b.stateFilter(a+".state_type", a+".state_name", f.State)
	b.anyString(a+".flow_version", f.FlowVersion)
	b.timeFilter(a+".start_time", f.StartTime)
	b.timeFilter(a+".expected_start_time", f.ExpectedStartTime)
	b.timeFilter(a+".next_scheduled_start_time", f.NextScheduledStartTime)
	b.optIDFilter(a+".parent_task_run_id", f.ParentTaskRunID)
	b.anyString(a+".idempotency_key", f.IdempotencyKey)
	return b.done(f.Operator)
}

func taskRunCond(a string, f *store.TaskRunFilter) cond {
	var b builder
	b.idFilter(a+".id", f.ID)
	b.nameFilter(a+".name", f.Name)
	b.tagsFilter(a+".tags", f.Tags)
	b.stateFilter(a+".state_type", a+".state_name", f.State)
	b.timeFilter(a+".start_time", f.StartTime)
	if f.SubflowRuns != nil && f.SubflowRuns.Exists != nil {
		c := "EXISTS (SELECT 1 FROM flow_runs sub WHERE sub.parent_task_run_id = " + a + ".id)"
		if !*f.SubflowRuns.Exists {
			c = "NOT " + c
		}
		b.add(cond{sql: c})
	}
	return b.done(f.Operator)
}

func deploymentCond(a string, f *store.DeploymentFilter) cond {
	var b builder
	b.idFilter(a+".id", f.ID)
	b.nameFilter(a+".name", f.Name)
	if f.IsScheduleActive != nil && f.IsScheduleActive.Eq != nil {
		b.add(cond{sql: a + ".is_schedule_active = ?", args: []any{*f.IsScheduleActive.Eq}})
	}
	b.tagsFilter(a+".tags", f.Tags)
	b.anyString(a+".work_queue_name", f.WorkQueueName)
	return b.done(f.Operator)
}

func exists(from, join string, c cond) cond {
	return cond{sql: "EXISTS (SELECT 1 FROM " + from + " WHERE " + join + " AND (" + c.sql + "))", args: c.args}
}

// The cross-object conditions: a filter object that is present (even
// empty) requires a related object to exist, as in 2.7.

func flowRunsWhere(f *store.RunFilters) cond {
	var cs []cond
	if f.FlowRuns != nil {
		cs = append(cs, flowRunCond("fr", f.FlowRuns))
	}
	if f.Flows != nil {
		cs = append(cs, exists("flows xf", "xf.id = fr.flow_id", flowCond("xf", f.Flows)))
	}
	if f.TaskRuns != nil {
		cs = append(cs, exists("task_runs xt", "xt.flow_run_id = fr.id", taskRunCond("xt", f.TaskRuns)))
	}
	if f.Deployments != nil {
		cs = append(cs, exists("deployments xd", "xd.id = fr.deployment_id", deploymentCond("xd", f.Deployments)))
	}
	return combine(false, cs)
}

func flowsWhere(f *store.RunFilters) cond {
	var cs []cond
	if f.Flows != nil {
		cs = append(cs, flowCond("f", f.Flows))
	}
	if f.FlowRuns != nil {
		cs = append(cs, exists("flow_runs xr", "xr.flow_id = f.id", flowRunCond("xr", f.FlowRuns)))
	}
	if f.TaskRuns != nil {
		cs = append(cs, exists("task_runs xt JOIN flow_runs xr2 ON xr2.id = xt.flow_run_id", "xr2.flow_id = f.id", taskRunCond("xt", f.TaskRuns)))
	}
	if f.Deployments != nil {
		cs = append(cs, exists("deployments xd", "xd.flow_id = f.id", deploymentCond("xd", f.Deployments)))
	}
	return combine(false, cs)
}

func taskRunsWhere(f *store.RunFilters) cond {
	var cs []cond
	if f.TaskRuns != nil {
		cs = append(cs, taskRunCond("tr", f.TaskRuns))
	}
	if f.FlowRuns != nil {
		cs = append(cs, exists("flow_runs xr", "xr.id = tr.flow_run_id", flowRunCond("xr", f.FlowRuns)))
	}
	if f.Flows != nil {
		cs = append(cs, exists("flow_runs xr2 JOIN flows xf ON xf.id = xr2.flow_id", "xr2.id = tr.flow_run_id", flowCond("xf", f.Flows)))
	}
	if f.Deployments != nil {
		cs = append(cs, exists("flow_runs xr3 JOIN deployments xd ON xd.id = xr3.deployment_id", "xr3.id = tr.flow_run_id", deploymentCond("xd", f.Deployments)))
	}
	return combine(false, cs)
}

func deploymentsWhere(f *store.RunFilters) cond {
	var cs []cond
	if f.Deployments != nil {
		cs = append(cs, deploymentCond("d", f.Deployments))
	}
	if f.Flows != nil {
		cs = append(cs, exists("flows xf", "xf.id = d.flow_id", flowCond("xf", f.Flows)))
	}
	if f.FlowRuns != nil {
		cs = append(cs, exists("flow_runs xr", "xr.deployment_id = d.id", flowRunCond("xr", f.FlowRuns)))
	}
	if f.TaskRuns != nil {
		cs = append(cs, exists("task_runs xt JOIN flow_runs xr2 ON xr2.id = xt.flow_run_id", "xr2.deployment_id = d.id", taskRunCond("xt", f.TaskRuns)))
	}
	return combine(false, cs)
}

func logsWhere(f *store.LogFilter) cond {
	if f == nil {
		return condTrue
	}
	var b builder
	if f.Level != nil {
		if f.Level.Ge != nil {
			b.add(cond{sql: "level >= ?", args: []any{*f.Level.Ge}})
		}
		if f.Level.Le != nil {
			b.add(cond{sql: "level <= ?", args: []any{*f.Level.Le}})
		}
	}
	b.timeFilter("ts", f.Timestamp)
	b.idFilter("flow_run_id", f.FlowRunID)
	b.optIDFilter("task_run_id", f.TaskRunID)
	return b.done(f.Operator)
}

var flowSorts = map[store.FlowSort]string{
	"CREATED_DESC": "f.created DESC, f.id", "UPDATED_DESC": "f.updated DESC, f.id",
	"NAME_ASC": "f.name ASC", "NAME_DESC": "f.name DESC",
}

var flowRunSorts = map[store.FlowRunSort]string{
	"ID_DESC":                       "fr.id DESC",
	"START_TIME_ASC":                "COALESCE(fr.start_time, fr.expected_start_time) ASC, fr.id",
	"START_TIME_DESC":               "COALESCE(fr.start_time, fr.expected_start_time) DESC, fr.id",
	"EXPECTED_START_TIME_ASC":       "fr.expected_start_time ASC, fr.id",
	"EXPECTED_START_TIME_DESC":      "fr.expected_start_time DESC, fr.id",
	"NAME_ASC":                      "fr.name ASC, fr.id",
	"NAME_DESC":                     "fr.name DESC, fr.id",
	"NEXT_SCHEDULED_START_TIME_ASC": "fr.next_scheduled_start_time ASC, fr.id",
	"END_TIME_DESC":                 "fr.end_time DESC, fr.id",
}

var taskRunSorts = map[store.TaskRunSort]string{
	"ID_DESC":                       "tr.id DESC",
	"EXPECTED_START_TIME_ASC":       "tr.expected_start_time ASC, tr.id",
	"EXPECTED_START_TIME_DESC":      "tr.expected_start_time DESC, tr.id",
	"NAME_ASC":                      "tr.name ASC, tr.id",
	"NAME_DESC":                     "tr.name DESC, tr.id",
	"NEXT_SCHEDULED_START_TIME_ASC": "tr.next_scheduled_start_time ASC, tr.id",
	"END_TIME_DESC":                 "tr.end_time DESC, tr.id",
}

var logSorts = map[store.LogSort]string{
	"TIMESTAMP_ASC": "ts ASC, seq", "TIMESTAMP_DESC": "ts DESC, seq DESC",
	"LEVEL_ASC": "level ASC, seq", "LEVEL_DESC": "level DESC, seq",
	"FLOW_RUN_ID_ASC": "flow_run_id ASC, seq", "FLOW_RUN_ID_DESC": "flow_run_id DESC, seq",
	"TASK_RUN_ID_ASC": "task_run_id ASC, seq", "TASK_RUN_ID_DESC": "task_run_id DESC, seq",
}

var deploymentSorts = map[store.DeploymentSort]string{
	"CREATED_DESC": "d.created DESC, d.id", "UPDATED_DESC": "d.updated DESC, d.id",
	"NAME_ASC": "d.name ASC, d.id", "NAME_DESC": "d.name DESC, d.id",
}

func orderBy[K comparable](m map[K]string, k K, def K) string {
	if o, ok := m[k]; ok {
		return " ORDER BY " + o
	}
	return " ORDER BY " + m[def]
}

func limitOffset(p store.Page) string {
	if p.Limit <= 0 && p.Offset <= 0 {
		return ""
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	return " LIMIT " + itoa(limit) + " OFFSET " + itoa(p.Offset)
}

func itoa(i int) string { return strconv.Itoa(i) }
