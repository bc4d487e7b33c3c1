package dynamo

import (
	"context"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// Filtered lists: pick the narrowest key or index the filter allows (a
// superset of the answer), read it within the request's item budget, then
// match, sort and page in Go. See doc.go for the index choice.

// maxFanout is how many index partitions (flows, runs, deployments) one
// narrowing may query before the type partition is cheaper.
const maxFanout = 100

type idSet map[uuid.UUID]bool

func (m idSet) ids() []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// union queries each partition pk of an index.
func (s *Store) union(ctx context.Context, index, pkAttr, skAttr, prefix string, ids []string, b *budget) ([]item, error) {
	var keys []item
	for _, id := range ids {
		ks, err := s.queryIndex(ctx, index, pkAttr, skAttr, prefix+id, "", b)
		if err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	return s.batchGet(ctx, keys)
}

func strIDs(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// ---- flows

func (s *Store) matchingFlows(ctx context.Context, rf *store.RunFilters, b *budget) ([]*core.Flow, error) {
	var sets []idSet
	if rf.FlowRuns != nil {
		runs, err := s.matchingFlowRuns(ctx, &store.RunFilters{FlowRuns: rf.FlowRuns}, b)
		if err != nil {
			return nil, err
		}
		set := idSet{}
		for _, r := range runs {
			set[r.FlowID] = true
		}
		sets = append(sets, set)
	}
	if rf.TaskRuns != nil {
		runs, err := s.runsOfTasks(ctx, rf.TaskRuns, b)
		if err != nil {
			return nil, err
		}
		set := idSet{}
		for _, r := range runs {
			set[r.FlowID] = true
		}
		sets = append(sets, set)
	}
	if rf.Deployments != nil {
		ds, err := s.matchingDeployments(ctx, &store.RunFilters{Deployments: rf.Deployments}, b)
		if err != nil {
			return nil, err
		}
		set := idSet{}
		for _, d := range ds {
			set[d.FlowID] = true
		}
		sets = append(sets, set)
	}
	var its []item
	var err error
	f := rf.Flows
	switch {
	case f != nil && !f.Operator.IsOr() && f.ID != nil && f.ID.Any != nil:
		its, err = s.getByIDs(ctx, pFlow, *f.ID.Any, b)
	case f != nil && !f.Operator.IsOr() && f.Name != nil && f.Name.Any != nil:
		var ids []uuid.UUID
		for _, n := range *f.Name.Any {
			if id, err := s.lookupUnique(ctx, uniq("flow", n), "Flow"); err == nil {
				ids = append(ids, id)
			} else if !core.IsNotFound(err) {
				return nil, err
			}
		}
		its, err = s.getByIDs(ctx, pFlow, ids, b)
	case len(sets) > 0 && len(smallest(sets)) <= maxFanout:
		its, err = s.getByIDs(ctx, pFlow, smallest(sets).ids(), b)
	default:
		its, err = s.listType(ctx, tFlow, b)
	}
	if err != nil {
		return nil, err
	}
	flows, err := decodeAll[core.Flow](ctx, s, its)
	if err != nil {
		return nil, err
	}
	out := flows[:0]
	for _, x := range flows {
		if (f == nil || matchFlow(x, f)) && inAll(sets, x.ID) {
			out = append(out, x)
		}
	}
	return out, nil
}

func smallest(sets []idSet) idSet {
	var best idSet
	for _, s := range sets {
		if best == nil || len(s) < len(best) {
			best = s
		}
	}
	return best
}

func inAll(sets []idSet, id uuid.UUID) bool {
	for _, s := range sets {
		if !s[id] {
			return false
		}
	}
	return true
}

func (s *Store) ListFlows(ctx context.Context, q *store.FlowQuery) ([]*core.Flow, error) {
	flows, err := s.matchingFlows(ctx, &q.RunFilters, s.newBudget())
	if err != nil {
		return nil, err
	}
	less := map[store.FlowSort]func(a, b *core.Flow) int{
		"CREATED_DESC": func(a, b *core.Flow) int { return -a.Created.Compare(b.Created.Time) },
		"UPDATED_DESC": func(a, b *core.Flow) int { return -a.Updated.Compare(b.Updated.Time) },
		"NAME_ASC":     func(a, b *core.Flow) int { return strings.Compare(a.Name, b.Name) },
		"NAME_DESC":    func(a, b *core.Flow) int { return -strings.Compare(a.Name, b.Name) },
	}
	cmp, ok := less[q.Sort]
	if !ok {
		cmp = less["NAME_ASC"]
	}
	sortBy(flows, cmp, func(f *core.Flow) uuid.UUID { return f.ID })
	return page(flows, q.Page), nil
}

func (s *Store) CountFlows(ctx context.Context, f *store.RunFilters) (int, error) {
	flows, err := s.matchingFlows(ctx, f, s.newBudget())
	return len(flows), err
}

// sortBy sorts stably by cmp, then by id.
func sortBy[T any](xs []*T, cmp func(a, b *T) int, id func(*T) uuid.UUID) {
	sort.SliceStable(xs, func(i, j int) bool {
		if c := cmp(xs[i], xs[j]); c != 0 {
			return c < 0
		}
		return id(xs[i]).String() < id(xs[j]).String()
	})
}

func page[T any](xs []T, p store.Page) []T {
	if p.Offset > 0 {
		if p.Offset >= len(xs) {
			return xs[:0]
		}
		xs = xs[p.Offset:]
	}
	if p.Limit > 0 && len(xs) > p.Limit {
		xs = xs[:p.Limit]
	}
	return xs
}

// cmpTime orders optional times with nil first (SQLite's NULL order).
func cmpTime(a, b *core.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(b.Time)
}

func coalesce(a, b *core.Time) *core.Time {
	if a != nil {
		return a
	}
	return b
}

// ---- flow runs

func (s *Store) matchingFlowRuns(ctx context.Context, rf *store.RunFilters, b *budget) ([]*core.FlowRun, error) {
	var flowSet, taskSet, depSet idSet
	if rf.Flows != nil {
		flows, err := s.matchingFlows(ctx, &store.RunFilters{Flows: rf.Flows}, b)
		if err != nil {
			return nil, err
		}
		flowSet = idSet{}
		for _, f := range flows {
			flowSet[f.ID] = true
		}
	}
	if rf.TaskRuns != nil {
		tasks, err := s.matchingTaskRuns(ctx, &store.RunFilters{TaskRuns: rf.TaskRuns}, b)
		if err != nil {
			return nil, err
		}
		taskSet = idSet{}
		for _, t := range tasks {
			taskSet[t.FlowRunID] = true
		}
	}
	if rf.Deployments != nil {
		ds, err := s.matchingDeployments(ctx, &store.RunFilters{Deployments: rf.Deployments}, b)
		if err != nil {
			return nil, err
		}
		depSet = idSet{}
		for _, d := range ds {
			depSet[d.ID] = true
		}
	}
	its, err := s.flowRunCandidates(ctx, rf.FlowRuns, flowSet, taskSet, depSet, b)
	if err != nil {
		return nil, err
	}
	runs := make([]*core.FlowRun, 0, len(its))
	for _, it := range its {
		r, err := s.flowRunFrom(ctx, it)
		if err != nil {
			if r, err = s.GetFlowRun(ctx, uuid.MustParse(strings.TrimPrefix(getS(it, shared.DynamoPK), pFlowRun))); core.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		if rf.FlowRuns != nil && !matchFlowRun(r, rf.FlowRuns) {
			continue
		}
		if flowSet != nil && !flowSet[r.FlowID] || taskSet != nil && !taskSet[r.ID] ||
			depSet != nil && (r.DeploymentID == nil || !depSet[*r.DeploymentID]) {
			continue
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// flowRunCandidates reads a superset of the flow runs matching f and the
// cross-object sets, from the narrowest source.
func (s *Store) flowRunCandidates(ctx context.Context, f *store.FlowRunFilter, flowSet, taskSet, depSet idSet, b *budget) ([]item, error) {
	and := f != nil && !f.Operator.IsOr()
	switch {
	case and && f.ID != nil && f.ID.Any != nil:
		return s.getByIDs(ctx, pFlowRun, *f.ID.Any, b)
	case taskSet != nil && len(taskSet) <= maxFanout:
		return s.getByIDs(ctx, pFlowRun, taskSet.ids(), b)
	case and && f.WorkQueueName != nil && f.WorkQueueName.Any != nil && !f.WorkQueueName.Operator.IsOr() && len(*f.WorkQueueName.Any) <= maxFanout:
		return s.union(ctx, shared.DynamoGSIQueue, shared.DynamoG5PK, shared.DynamoG5SK, "Q#", *f.WorkQueueName.Any, b)
	case and && f.DeploymentID != nil && f.DeploymentID.Any != nil && !f.DeploymentID.Operator.IsOr() && len(*f.DeploymentID.Any) <= maxFanout:
		return s.union(ctx, shared.DynamoGSIRef, shared.DynamoG3PK, shared.DynamoG3SK, pDeployment, strIDs(*f.DeploymentID.Any), b)
	case depSet != nil && len(depSet) <= maxFanout:
		return s.union(ctx, shared.DynamoGSIRef, shared.DynamoG3PK, shared.DynamoG3SK, pDeployment, strIDs(depSet.ids()), b)
	case flowSet != nil && len(flowSet) <= maxFanout:
		return s.union(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pFlow, strIDs(flowSet.ids()), b)
	case and && f.State != nil && !f.State.Operator.IsOr() && f.State.Type != nil && f.State.Type.Any != nil:
		var types []string
		for _, t := range *f.State.Type.Any {
			types = append(types, string(t))
		}
		return s.union(ctx, shared.DynamoGSIState, shared.DynamoG4PK, shared.DynamoG4SK, "ST#", types, b)
	}
	return s.listType(ctx, tFlowRun, b)
}

var flowRunSorts = map[store.FlowRunSort]func(a, b *core.FlowRun) int{
	"ID_DESC": func(a, b *core.FlowRun) int { return -strings.Compare(a.ID.String(), b.ID.String()) },
	"START_TIME_ASC": func(a, b *core.FlowRun) int {
		return cmpTime(coalesce(a.StartTime, a.ExpectedStartTime), coalesce(b.StartTime, b.ExpectedStartTime))
	},
	"START_TIME_DESC": func(a, b *core.FlowRun) int {
		return -cmpTime(coalesce(a.StartTime, a.ExpectedStartTime), coalesce(b.StartTime, b.ExpectedStartTime))
	},
	"EXPECTED_START_TIME_ASC":       func(a, b *core.FlowRun) int { return cmpTime(a.ExpectedStartTime, b.ExpectedStartTime) },
	"EXPECTED_START_TIME_DESC":      func(a, b *core.FlowRun) int { return -cmpTime(a.ExpectedStartTime, b.ExpectedStartTime) },
	"NAME_ASC":                      func(a, b *core.FlowRun) int { return strings.Compare(a.Name, b.Name) },
	"NAME_DESC":                     func(a, b *core.FlowRun) int { return -strings.Compare(a.Name, b.Name) },
	"NEXT_SCHEDULED_START_TIME_ASC": func(a, b *core.FlowRun) int { return cmpTime(a.NextScheduledStartTime, b.NextScheduledStartTime) },
	"END_TIME_DESC":                 func(a, b *core.FlowRun) int { return -cmpTime(a.EndTime, b.EndTime) },
}

func (s *Store) ListFlowRuns(ctx context.Context, q *store.FlowRunQuery) ([]*core.FlowRun, error) {
	runs, err := s.matchingFlowRuns(ctx, &q.RunFilters, s.newBudget())
	if err != nil {
		return nil, err
	}
	cmp, ok := flowRunSorts[q.Sort]
	if !ok {
		cmp = flowRunSorts["ID_DESC"]
	}
	sortBy(runs, cmp, func(r *core.FlowRun) uuid.UUID { return r.ID })
	return page(runs, q.Page), nil
}

func (s *Store) CountFlowRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	runs, err := s.matchingFlowRuns(ctx, f, s.newBudget())
	return len(runs), err
}

// runsOfTasks returns the flow runs that have a task run matching f.
func (s *Store) runsOfTasks(ctx context.Context, f *store.TaskRunFilter, b *budget) ([]*core.FlowRun, error) {
	tasks, err := s.matchingTaskRuns(ctx, &store.RunFilters{TaskRuns: f}, b)
	if err != nil {
		return nil, err
	}
	set := idSet{}
	for _, t := range tasks {
		set[t.FlowRunID] = true
	}
	return s.matchingFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{ID: &store.IDFilter{Any: ptr(set.ids())}}}, b)
}

func ptr[T any](v T) *T { return &v }

// ---- task runs

func (s *Store) matchingTaskRuns(ctx context.Context, rf *store.RunFilters, b *budget) ([]*core.TaskRun, error) {
	var sets []idSet // each: allowed flow run ids
	for _, sub := range []*store.RunFilters{
		{FlowRuns: rf.FlowRuns}, {Flows: rf.Flows}, {Deployments: rf.Deployments},
	} {
		if sub.FlowRuns == nil && sub.Flows == nil && sub.Deployments == nil {
			continue
		}
		runs, err := s.matchingFlowRuns(ctx, sub, b)
		if err != nil {
			return nil, err
		}
		set := idSet{}
		for _, r := range runs {
			set[r.ID] = true
		}
		sets = append(sets, set)
	}
	f := rf.TaskRuns
	var its []item
	var err error
	switch {
	case f != nil && !f.Operator.IsOr() && f.ID != nil && f.ID.Any != nil:
		its, err = s.getByIDs(ctx, pTaskRun, *f.ID.Any, b)
	case len(sets) > 0 && len(smallest(sets)) <= maxFanout:
		its, err = s.union(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pFlowRun, strIDs(smallest(sets).ids()), b)
	default:
		its, err = s.listType(ctx, tTaskRun, b)
	}
	if err != nil {
		return nil, err
	}
	var parents idSet
	hasSubflow := func(id uuid.UUID) bool {
		if parents == nil {
			parents = idSet{}
			runs, e := s.matchingFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{
				ParentTaskRunID: &store.OptIDFilter{IsNull: ptr(false)}}}, b)
			if e != nil {
				err = e
			}
			for _, r := range runs {
				parents[*r.ParentTaskRunID] = true
			}
		}
		return parents[id]
	}
	out := make([]*core.TaskRun, 0, len(its))
	for _, it := range its {
		r, e := s.taskRunFrom(ctx, it)
		if e != nil {
			if r, e = s.GetTaskRun(ctx, uuid.MustParse(strings.TrimPrefix(getS(it, shared.DynamoPK), pTaskRun))); core.IsNotFound(e) {
				continue
			}
			if e != nil {
				return nil, e
			}
		}
		if f != nil && !matchTaskRun(r, f, hasSubflow) {
			continue
		}
		if !inAll(sets, r.FlowRunID) {
			continue
		}
		out = append(out, r)
	}
	return out, err
}

var taskRunSorts = map[store.TaskRunSort]func(a, b *core.TaskRun) int{
	"ID_DESC":                       func(a, b *core.TaskRun) int { return -strings.Compare(a.ID.String(), b.ID.String()) },
	"EXPECTED_START_TIME_ASC":       func(a, b *core.TaskRun) int { return cmpTime(a.ExpectedStartTime, b.ExpectedStartTime) },
	"EXPECTED_START_TIME_DESC":      func(a, b *core.TaskRun) int { return -cmpTime(a.ExpectedStartTime, b.ExpectedStartTime) },
	"NAME_ASC":                      func(a, b *core.TaskRun) int { return strings.Compare(a.Name, b.Name) },
	"NAME_DESC":                     func(a, b *core.TaskRun) int { return -strings.Compare(a.Name, b.Name) },
	"NEXT_SCHEDULED_START_TIME_ASC": func(a, b *core.TaskRun) int { return cmpTime(a.NextScheduledStartTime, b.NextScheduledStartTime) },
	"END_TIME_DESC":                 func(a, b *core.TaskRun) int { return -cmpTime(a.EndTime, b.EndTime) },
}

func (s *Store) ListTaskRuns(ctx context.Context, q *store.TaskRunQuery) ([]*core.TaskRun, error) {
	runs, err := s.matchingTaskRuns(ctx, &q.RunFilters, s.newBudget())
	if err != nil {
		return nil, err
	}
	cmp, ok := taskRunSorts[q.Sort]
	if !ok {
		cmp = taskRunSorts["ID_DESC"]
	}
	sortBy(runs, cmp, func(r *core.TaskRun) uuid.UUID { return r.ID })
	return page(runs, q.Page), nil
}

func (s *Store) CountTaskRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	runs, err := s.matchingTaskRuns(ctx, f, s.newBudget())
	return len(runs), err
}

// ---- deployments

func (s *Store) matchingDeployments(ctx context.Context, rf *store.RunFilters, b *budget) ([]*core.Deployment, error) {
	var sets []idSet // allowed deployment ids
	var flowSet idSet
	if rf.Flows != nil {
		flows, err := s.matchingFlows(ctx, &store.RunFilters{Flows: rf.Flows}, b)
		if err != nil {
			return nil, err
		}
		flowSet = idSet{}
		for _, f := range flows {
			flowSet[f.ID] = true
		}
	}
	addRuns := func(runs []*core.FlowRun) {
		set := idSet{}
		for _, r := range runs {
			if r.DeploymentID != nil {
				set[*r.DeploymentID] = true
			}
		}
		sets = append(sets, set)
	}
	if rf.FlowRuns != nil {
		runs, err := s.matchingFlowRuns(ctx, &store.RunFilters{FlowRuns: rf.FlowRuns}, b)
		if err != nil {
			return nil, err
		}
		addRuns(runs)
	}
	if rf.TaskRuns != nil {
		runs, err := s.runsOfTasks(ctx, rf.TaskRuns, b)
		if err != nil {
			return nil, err
		}
		addRuns(runs)
	}
	f := rf.Deployments
	var its []item
	var err error
	switch {
	case f != nil && !f.Operator.IsOr() && f.ID != nil && f.ID.Any != nil:
		its, err = s.getByIDs(ctx, pDeployment, *f.ID.Any, b)
	case len(sets) > 0 && len(smallest(sets)) <= maxFanout:
		its, err = s.getByIDs(ctx, pDeployment, smallest(sets).ids(), b)
	case flowSet != nil && len(flowSet) <= maxFanout:
		its, err = s.union(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pFlow, strIDs(flowSet.ids()), b)
		its = onlyType(its, tDeployment)
	default:
		its, err = s.listType(ctx, tDeployment, b)
	}
	if err != nil {
		return nil, err
	}
	ds, err := decodeAll[core.Deployment](ctx, s, its)
	if err != nil {
		return nil, err
	}
	out := ds[:0]
	for _, d := range ds {
		if (f == nil || matchDeployment(d, f)) && inAll(sets, d.ID) && (flowSet == nil || flowSet[d.FlowID]) {
			out = append(out, d)
		}
	}
	return out, nil
}

func onlyType(its []item, typ string) []item {
	out := its[:0]
	for _, it := range its {
		if getS(it, shared.DynamoG1PK) == typ {
			out = append(out, it)
		}
	}
	return out
}

var deploymentSorts = map[store.DeploymentSort]func(a, b *core.Deployment) int{
	"CREATED_DESC": func(a, b *core.Deployment) int { return -a.Created.Compare(b.Created.Time) },
	"UPDATED_DESC": func(a, b *core.Deployment) int { return -a.Updated.Compare(b.Updated.Time) },
	"NAME_ASC":     func(a, b *core.Deployment) int { return strings.Compare(a.Name, b.Name) },
	"NAME_DESC":    func(a, b *core.Deployment) int { return -strings.Compare(a.Name, b.Name) },
}

func (s *Store) ListDeployments(ctx context.Context, q *store.DeploymentQuery) ([]*core.Deployment, error) {
	ds, err := s.matchingDeployments(ctx, &q.RunFilters, s.newBudget())
	if err != nil {
		return nil, err
	}
	cmp, ok := deploymentSorts[q.Sort]
	if !ok {
		cmp = deploymentSorts["NAME_ASC"]
	}
	sortBy(ds, cmp, func(d *core.Deployment) uuid.UUID { return d.ID })
	return page(ds, q.Page), nil
}

func (s *Store) CountDeployments(ctx context.Context, f *store.RunFilters) (int, error) {
	ds, err := s.matchingDeployments(ctx, f, s.newBudget())
	return len(ds), err
}
