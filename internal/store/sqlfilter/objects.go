package sqlfilter

import "github.com/orrery-dev/orrery/internal/store"

// The filter objects of 2.7, each on a table alias t. Both SQL backends
// name their tables and columns alike, so one compiler serves both.

// Flow is a FlowFilter on the flows row t.
func (d *Dialect) Flow(t string, f *store.FlowFilter) Cond {
	w := d.Where()
	w.ID(t+".id", f.ID)
	w.Name(t+".name", f.Name)
	w.Tags(t+".tags", f.Tags)
	return w.Done(f.Operator)
}

// FlowRun is a FlowRunFilter on the flow_runs row t.
func (d *Dialect) FlowRun(t string, f *store.FlowRunFilter) Cond {
	w := d.Where()
	w.ID(t+".id", f.ID)
	w.Name(t+".name", f.Name)
	w.Tags(t+".tags", f.Tags)
	w.OptID(t+".deployment_id", f.DeploymentID)
	w.OptString(t+".work_queue_name", f.WorkQueueName)
	w.State(t+".state_type", t+".state_name", f.State)
	w.AnyString(t+".flow_version", f.FlowVersion)
	w.Time(t+".start_time", f.StartTime)
	w.Time(t+".expected_start_time", f.ExpectedStartTime)
	w.Time(t+".next_scheduled_start_time", f.NextScheduledStartTime)
	w.OptID(t+".parent_task_run_id", f.ParentTaskRunID)
	w.AnyString(t+".idempotency_key", f.IdempotencyKey)
	return w.Done(f.Operator)
}

// TaskRun is a TaskRunFilter on the task_runs row t.
func (d *Dialect) TaskRun(t string, f *store.TaskRunFilter) Cond {
	w := d.Where()
	w.ID(t+".id", f.ID)
	w.Name(t+".name", f.Name)
	w.Tags(t+".tags", f.Tags)
	w.State(t+".state_type", t+".state_name", f.State)
	w.Time(t+".start_time", f.StartTime)
	if f.SubflowRuns != nil && f.SubflowRuns.Exists != nil {
		c := Cond{SQL: "EXISTS (SELECT 1 FROM flow_runs sub WHERE sub.parent_task_run_id = " + t + ".id)"}
		if !*f.SubflowRuns.Exists {
			c = Not(c)
		}
		w.Add(c)
	}
	return w.Done(f.Operator)
}

// Deployment is a DeploymentFilter on the deployments row t.
func (d *Dialect) Deployment(t string, f *store.DeploymentFilter) Cond {
	w := d.Where()
	w.ID(t+".id", f.ID)
	w.Name(t+".name", f.Name)
	w.Bool(t+".is_schedule_active", f.IsScheduleActive)
	w.Tags(t+".tags", f.Tags)
	w.AnyString(t+".work_queue_name", f.WorkQueueName)
	return w.Done(f.Operator)
}

// The cross-object conditions of the four run-related lists, each on its
// table's usual alias (f, fr, tr, d): a filter object that is present (even
// empty) requires a related object to exist, as in 2.7.

// rel says how one filter object relates to the listed object: the FROM
// and join condition of its EXISTS and the alias its filter is on. The
// listed object's own filter has no from and sits on the list's alias.
type rel struct{ from, join, alias string }

// runRels are the four relations of one list, in the order flows, flow
// runs, task runs, deployments.
type runRels [4]rel

// related is the WHERE of a list whose objects relate to the four filter
// objects as rs says; the list's own filter comes first.
func (d *Dialect) related(rs runRels, f *store.RunFilters) Cond {
	parts := [4]func(t string) Cond{}
	if f.Flows != nil {
		parts[0] = func(t string) Cond { return d.Flow(t, f.Flows) }
	}
	if f.FlowRuns != nil {
		parts[1] = func(t string) Cond { return d.FlowRun(t, f.FlowRuns) }
	}
	if f.TaskRuns != nil {
		parts[2] = func(t string) Cond { return d.TaskRun(t, f.TaskRuns) }
	}
	if f.Deployments != nil {
		parts[3] = func(t string) Cond { return d.Deployment(t, f.Deployments) }
	}
	var cs []Cond
	for _, own := range []bool{true, false} {
		for i, r := range rs {
			if parts[i] == nil || (r.from == "") != own {
				continue
			}
			if own {
				cs = append(cs, parts[i](r.alias))
			} else {
				cs = append(cs, Exists(r.from, r.join, parts[i](r.alias)))
			}
		}
	}
	return d.Combine(false, cs)
}

var (
	flowRels = runRels{
		{alias: "f"},
		{"flow_runs xr", "xr.flow_id = f.id", "xr"},
		{"task_runs xt JOIN flow_runs xr2 ON xr2.id = xt.flow_run_id", "xr2.flow_id = f.id", "xt"},
		{"deployments xd", "xd.flow_id = f.id", "xd"},
	}
	flowRunRels = runRels{
		{"flows xf", "xf.id = fr.flow_id", "xf"},
		{alias: "fr"},
		{"task_runs xt", "xt.flow_run_id = fr.id", "xt"},
		{"deployments xd", "xd.id = fr.deployment_id", "xd"},
	}
	taskRunRels = runRels{
		{"flow_runs xr2 JOIN flows xf ON xf.id = xr2.flow_id", "xr2.id = tr.flow_run_id", "xf"},
		{"flow_runs xr", "xr.id = tr.flow_run_id", "xr"},
		{alias: "tr"},
		{"flow_runs xr3 JOIN deployments xd ON xd.id = xr3.deployment_id", "xr3.id = tr.flow_run_id", "xd"},
	}
	deploymentRels = runRels{
		{"flows xf", "xf.id = d.flow_id", "xf"},
		{"flow_runs xr", "xr.deployment_id = d.id", "xr"},
		{"task_runs xt JOIN flow_runs xr2 ON xr2.id = xt.flow_run_id", "xr2.deployment_id = d.id", "xt"},
		{alias: "d"},
	}
)

// Flows is the WHERE of a flows list (alias f).
func (d *Dialect) Flows(f *store.RunFilters) Cond { return d.related(flowRels, f) }

// FlowRuns is the WHERE of a flow-runs list (alias fr).
func (d *Dialect) FlowRuns(f *store.RunFilters) Cond { return d.related(flowRunRels, f) }

// TaskRuns is the WHERE of a task-runs list (alias tr).
func (d *Dialect) TaskRuns(f *store.RunFilters) Cond { return d.related(taskRunRels, f) }

// Deployments is the WHERE of a deployments list (alias d).
func (d *Dialect) Deployments(f *store.RunFilters) Cond { return d.related(deploymentRels, f) }

// Logs is the WHERE of a logs list (no alias).
func (d *Dialect) Logs(f *store.LogFilter) Cond {
	if f == nil {
		return Cond{SQL: d.True}
	}
	w := d.Where()
	if f.Level != nil {
		if f.Level.Ge != nil {
			w.Add(Cond{SQL: "level >= ?", Args: []any{*f.Level.Ge}})
		}
		if f.Level.Le != nil {
			w.Add(Cond{SQL: "level <= ?", Args: []any{*f.Level.Le}})
		}
	}
	w.Time("ts", f.Timestamp)
	w.ID("flow_run_id", f.FlowRunID)
	w.OptID("task_run_id", f.TaskRunID)
	if f.Text != nil {
		w.Add(d.logText(f.TextQuery()))
	}
	return w.Done(f.Operator)
}

// WorkQueues is the WHERE of a work-queues list (no alias).
func (d *Dialect) WorkQueues(f *store.WorkQueueFilter) Cond {
	if f == nil {
		return Cond{SQL: d.True}
	}
	w := d.Where()
	w.ID("id", f.ID)
	w.Name("name", f.Name)
	return w.Done(f.Operator)
}

// BlockSchema is a BlockSchemaFilter on the block_schemas row t.
func (d *Dialect) BlockSchema(t string, f *store.BlockSchemaFilter) Cond {
	if f == nil {
		return Cond{SQL: d.True}
	}
	w := d.Where()
	w.ID(t+".block_type_id", f.BlockTypeID)
	if f.BlockCapabilities != nil && f.BlockCapabilities.All != nil {
		w.Add(d.ContainsAllOf(t+".capabilities", *f.BlockCapabilities.All))
	}
	w.ID(t+".id", f.ID)
	w.AnyString(t+".version", f.Version)
	return w.Done(f.Operator)
}

// BlockType is a BlockTypeFilter on the block_types row t.
func (d *Dialect) BlockType(t string, f *store.BlockTypeFilter) Cond {
	if f == nil {
		return Cond{SQL: d.True}
	}
	w := d.Where()
	if f.Name != nil && f.Name.Like != nil {
		w.Name(t+".name", &store.NameFilter{Like: f.Name.Like})
	}
	w.AnyString(t+".slug", f.Slug)
	return w.Done(nil)
}

// BlockDocument is a BlockDocumentFilter on the block_documents row t.
func (d *Dialect) BlockDocument(t string, f *store.BlockDocumentFilter) Cond {
	if f == nil {
		// 2.7 hides anonymous documents unless the caller asks about them.
		return Cond{SQL: t + ".is_anonymous = " + d.False}
	}
	w := d.Where()
	w.ID(t+".id", f.ID)
	w.Bool(t+".is_anonymous", f.IsAnonymous)
	w.ID(t+".block_type_id", f.BlockTypeID)
	w.AnyString(t+".name", f.Name)
	return w.Done(f.Operator)
}
