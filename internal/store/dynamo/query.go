package dynamo

import (
	"context"
	"reflect"
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

// byKeys reports whether an id list of n is read by key (BatchGetItem):
// only when the reads fit the budget. A longer list, which the budget
// would refuse, leaves the narrowing to the filter's other criteria (or the
// type partition, itself within the budget) and is matched in Go like any
// other criterion, so a list of any length never fails by its length
// alone. Internal callers (no budget) read by key.
func byKeys(n int, b *budget) bool { return b == nil || n <= b.left }

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
	case f != nil && !f.Operator.IsOr() && f.ID != nil && f.ID.Any != nil && byKeys(len(*f.ID.Any), b):
		its, err = s.getByIDs(ctx, pFlow, *f.ID.Any, b)
	case f != nil && !f.Operator.IsOr() && f.Name != nil && f.Name.Any != nil && len(*f.Name.Any) <= maxFanout:
		// One lookup a name: past maxFanout names the type partition
		// is cheaper than that many requests.
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
	if onlyOwn(f, func(rf *store.RunFilters) bool {
		return rf.FlowRuns == nil && rf.TaskRuns == nil && rf.Deployments == nil && zero(rf.Flows)
	}) {
		return s.countParts(ctx, typeSource(tFlow, orderID))
	}
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

// flowRunPlan resolves a flow-run filter's cross-object sets and returns
// the candidate source and the Go-side matcher.
func (s *Store) flowRunPlan(ctx context.Context, rf *store.RunFilters, b *budget) (*source, func(*core.FlowRun) bool, error) {
	var flowSet, taskSet, depSet idSet
	if rf.Flows != nil {
		flows, err := s.matchingFlows(ctx, &store.RunFilters{Flows: rf.Flows}, b)
		if err != nil {
			return nil, nil, err
		}
		flowSet = idSet{}
		for _, f := range flows {
			flowSet[f.ID] = true
		}
	}
	if rf.TaskRuns != nil {
		tasks, err := s.matchingTaskRuns(ctx, &store.RunFilters{TaskRuns: rf.TaskRuns}, b)
		if err != nil {
			return nil, nil, err
		}
		taskSet = idSet{}
		for _, t := range tasks {
			taskSet[t.FlowRunID] = true
		}
	}
	if rf.Deployments != nil {
		ds, err := s.matchingDeployments(ctx, &store.RunFilters{Deployments: rf.Deployments}, b)
		if err != nil {
			return nil, nil, err
		}
		depSet = idSet{}
		for _, d := range ds {
			depSet[d.ID] = true
		}
	}
	match := func(r *core.FlowRun) bool {
		if rf.FlowRuns != nil && !matchFlowRun(r, rf.FlowRuns) {
			return false
		}
		return !(flowSet != nil && !flowSet[r.FlowID] || taskSet != nil && !taskSet[r.ID] ||
			depSet != nil && (r.DeploymentID == nil || !depSet[*r.DeploymentID]))
	}
	return flowRunSource(rf.FlowRuns, flowSet, taskSet, depSet, b), match, nil
}

// decodeFlowRun decodes a candidate, re-reading it after a payload race
// (nil when it was deleted meanwhile).
func (s *Store) decodeFlowRun(ctx context.Context, it item) (*core.FlowRun, error) {
	r, err := s.flowRunFrom(ctx, it)
	if err == nil {
		return r, nil
	}
	r, err = s.GetFlowRun(ctx, uuid.MustParse(strings.TrimPrefix(getS(it, shared.DynamoPK), pFlowRun)))
	if core.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

func (s *Store) matchingFlowRuns(ctx context.Context, rf *store.RunFilters, b *budget) ([]*core.FlowRun, error) {
	src, match, err := s.flowRunPlan(ctx, rf, b)
	if err != nil {
		return nil, err
	}
	its, err := s.readAll(ctx, src, b)
	if err != nil {
		return nil, err
	}
	runs := make([]*core.FlowRun, 0, len(its))
	for _, it := range its {
		r, err := s.decodeFlowRun(ctx, it)
		if err != nil {
			return nil, err
		}
		if r != nil && match(r) {
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// requiredStateTypes returns the state types f requires (AND-combined), if
// it does.
func requiredStateTypes(f *store.FlowRunFilter) ([]string, bool) {
	if f == nil || f.Operator.IsOr() || f.State == nil || f.State.Operator.IsOr() || f.State.Type == nil || f.State.Type.Any == nil {
		return nil, false
	}
	var out []string
	for _, t := range *f.State.Type.Any {
		out = append(out, string(t))
	}
	return dedupe(out), true
}

func bounds(f *store.TimeFilter) *timeFilterBounds {
	if f == nil {
		return nil
	}
	return &timeFilterBounds{before: f.Before, after: f.After}
}

// stateOrder is the order of a state-index partition: scheduled runs by
// next scheduled start (agents, the late-run service), others by expected
// start time.
func stateOrder(typ string) string {
	if typ == string(core.Scheduled) {
		return orderNext
	}
	return orderExpected
}

// stateOrderTime is the time a flow run sorts by in its state partition.
func stateOrderTime(r *core.FlowRun) *core.Time {
	if *r.StateType == core.Scheduled {
		return r.NextScheduledStartTime
	}
	return r.ExpectedStartTime
}

// flowRunSource picks the narrowest candidate source of f and the
// cross-object sets (a superset of the matches).
func flowRunSource(f *store.FlowRunFilter, flowSet, taskSet, depSet idSet, b *budget) *source {
	and := f != nil && !f.Operator.IsOr()
	byIDs := func(ids []uuid.UUID) *source {
		src := &source{byIDs: true}
		for _, id := range ids {
			src.keys = append(src.keys, keyOf(pFlowRun+id.String(), skSelf))
		}
		return src
	}
	types, typed := requiredStateTypes(f)
	var nextBounds, expBounds *timeFilterBounds
	if and {
		nextBounds, expBounds = bounds(f.NextScheduledStartTime), bounds(f.ExpectedStartTime)
	}
	wqOK := and && f.WorkQueueName != nil && f.WorkQueueName.Any != nil && !f.WorkQueueName.Operator.IsOr() && len(*f.WorkQueueName.Any) <= maxFanout
	if wqOK {
		for _, q := range *f.WorkQueueName.Any {
			wqOK = wqOK && q != "" // runs with an empty queue name are not in the queue index
		}
	}
	switch {
	case and && f.ID != nil && f.ID.Any != nil && byKeys(len(*f.ID.Any), b):
		return byIDs(*f.ID.Any)
	case taskSet != nil && len(taskSet) <= maxFanout:
		return byIDs(taskSet.ids())
	case wqOK && (!typed || len(types)*len(*f.WorkQueueName.Any) <= maxFanout):
		src := &source{index: shared.DynamoGSIQueue, pkAttr: shared.DynamoG5PK, skAttr: shared.DynamoG5SK}
		for _, q := range dedupe(append([]string(nil), *f.WorkQueueName.Any...)) {
			if !typed {
				src.parts = append(src.parts, part{pk: "Q#" + q})
				continue
			}
			for _, t := range types {
				src.parts = append(src.parts, timeRange(part{pk: "Q#" + q, prefix: t + "#"}, nextBounds))
			}
		}
		if typed {
			src.order = orderNext
		}
		return src
	case and && f.DeploymentID != nil && f.DeploymentID.Any != nil && !f.DeploymentID.Operator.IsOr() && len(*f.DeploymentID.Any) <= maxFanout:
		return refSource(*f.DeploymentID.Any)
	case depSet != nil && len(depSet) <= maxFanout:
		return refSource(depSet.ids())
	case flowSet != nil && len(flowSet) <= maxFanout:
		src := &source{index: shared.DynamoGSIParent, pkAttr: shared.DynamoG2PK, skAttr: shared.DynamoG2SK, order: orderID}
		for _, id := range flowSet.ids() {
			src.parts = append(src.parts, part{pk: pFlow + id.String(), prefix: parentRunPrefix})
		}
		return src
	case typed:
		src := &source{index: shared.DynamoGSIState, pkAttr: shared.DynamoG4PK, skAttr: shared.DynamoG4SK}
		for i, t := range types {
			o := stateOrder(t)
			if i == 0 {
				src.order = o
			} else if src.order != o {
				src.order = orderNone
			}
			b := expBounds
			if o == orderNext {
				b = nextBounds
			}
			src.parts = append(src.parts, timeRange(part{pk: "ST#" + t}, b))
		}
		return src
	}
	return typeSource(tFlowRun, orderID)
}

// parentRunPrefix starts a flow run's sort key in its flow's partition of
// the parent index (deployments there start with "D#").
const parentRunPrefix = "R#"

func refSource(ids []uuid.UUID) *source {
	src := &source{index: shared.DynamoGSIRef, pkAttr: shared.DynamoG3PK, skAttr: shared.DynamoG3SK, order: orderID}
	for _, id := range ids {
		src.parts = append(src.parts, part{pk: pDeployment + id.String()})
	}
	return src
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

// flowRunSortOrder is the key order that serves a flow-run sort.
func flowRunSortOrder(sort store.FlowRunSort) (order string, desc bool) {
	switch sort {
	case "EXPECTED_START_TIME_ASC":
		return orderExpected, false
	case "EXPECTED_START_TIME_DESC":
		return orderExpected, true
	case "NEXT_SCHEDULED_START_TIME_ASC":
		return orderNext, false
	}
	if _, ok := flowRunSorts[sort]; ok && sort != "ID_DESC" {
		return orderNone, false
	}
	return orderID, true // ID_DESC, also the default
}

func need(p store.Page) int {
	if p.Limit <= 0 {
		return 0
	}
	return p.Offset + p.Limit
}

func (s *Store) ListFlowRuns(ctx context.Context, q *store.FlowRunQuery) ([]*core.FlowRun, error) {
	b := s.newBudget()
	cmp, ok := flowRunSorts[q.Sort]
	if !ok {
		cmp = flowRunSorts["ID_DESC"]
	}
	src, match, err := s.flowRunPlan(ctx, &q.RunFilters, b)
	if err != nil {
		return nil, err
	}
	var runs []*core.FlowRun
	if order, _ := flowRunSortOrder(q.Sort); order == orderID {
		// Newest first over an index ordered otherwise: presort its keys.
		if sorted, ok, err := s.byIDDesc(ctx, src); err != nil {
			return nil, err
		} else if ok {
			src = sorted
		}
	}
	if forward, ok := src.serves(flowRunSortOrder(q.Sort)); ok {
		runs, err = streamMatches(ctx, s, src, forward, need(q.Page), b, func(it item) (*core.FlowRun, bool, error) {
			r, err := s.decodeFlowRun(ctx, it)
			return r, r != nil && match(r), err
		}, cmp)
	} else {
		var its []item
		if its, err = s.readAll(ctx, src, b); err == nil {
			for _, it := range its {
				r, e := s.decodeFlowRun(ctx, it)
				if e != nil {
					return nil, e
				}
				if r != nil && match(r) {
					runs = append(runs, r)
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	sortBy(runs, cmp, func(r *core.FlowRun) uuid.UUID { return r.ID })
	return page(runs, q.Page), nil
}

// flowRunCountSource returns the index partitions whose keys are exactly
// the flow runs matching rf, when an index key condition serves the whole
// filter: no filter, state types, state types within work queues, or
// deployment ids.
func flowRunCountSource(rf *store.RunFilters) (*source, bool) {
	if rf.Flows != nil || rf.TaskRuns != nil || rf.Deployments != nil {
		return nil, false
	}
	f := rf.FlowRuns
	if f == nil || reflect.ValueOf(*f).IsZero() {
		return typeSource(tFlowRun, orderID), true
	}
	if f.Operator.IsOr() {
		return nil, false
	}
	rest := *f
	rest.Operator, rest.State, rest.WorkQueueName, rest.DeploymentID = nil, nil, nil, nil
	if !reflect.ValueOf(rest).IsZero() {
		return nil, false
	}
	types, typed := requiredStateTypes(f)
	if f.State != nil && (!typed || f.State.Name != nil) {
		return nil, false
	}
	wq := f.WorkQueueName
	if wq != nil && (wq.Any == nil || wq.IsNull != nil) {
		return nil, false
	}
	dep := f.DeploymentID
	if dep != nil && (dep.Any == nil || dep.IsNull != nil) {
		return nil, false
	}
	// One COUNT query a partition: past maxFanout partitions the general
	// path (which narrows and matches in Go) is cheaper.
	if dep != nil && len(*dep.Any) > maxFanout || wq != nil && len(*wq.Any)*max(len(types), 1) > maxFanout {
		return nil, false
	}
	switch {
	case dep != nil && wq == nil && !typed:
		return refSource(*dep.Any), true
	case dep == nil && wq != nil && typed:
		src := &source{index: shared.DynamoGSIQueue, pkAttr: shared.DynamoG5PK, skAttr: shared.DynamoG5SK}
		for _, q := range *wq.Any {
			if q == "" {
				return nil, false
			}
			for _, t := range types {
				src.parts = append(src.parts, part{pk: "Q#" + q, prefix: t + "#"})
			}
		}
		return src, true
	case dep == nil && wq == nil && typed:
		src := &source{index: shared.DynamoGSIState, pkAttr: shared.DynamoG4PK, skAttr: shared.DynamoG4SK}
		for _, t := range types {
			src.parts = append(src.parts, part{pk: "ST#" + t})
		}
		return src, true
	}
	return nil, false
}

func (s *Store) CountFlowRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	if src, ok := flowRunCountSource(f); ok {
		return s.countParts(ctx, src)
	}
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

// taskRunPlan resolves a task-run filter's cross-object sets and returns
// the candidate source and the Go-side matcher (whose error, from the
// subflow lookup, is reported by the returned func).
func (s *Store) taskRunPlan(ctx context.Context, rf *store.RunFilters, b *budget) (*source, func(*core.TaskRun) bool, func() error, error) {
	var sets []idSet // each: allowed flow run ids
	for _, sub := range []*store.RunFilters{
		{FlowRuns: rf.FlowRuns}, {Flows: rf.Flows}, {Deployments: rf.Deployments},
	} {
		if sub.FlowRuns == nil && sub.Flows == nil && sub.Deployments == nil {
			continue
		}
		runs, err := s.matchingFlowRuns(ctx, sub, b)
		if err != nil {
			return nil, nil, nil, err
		}
		set := idSet{}
		for _, r := range runs {
			set[r.ID] = true
		}
		sets = append(sets, set)
	}
	f := rf.TaskRuns
	var src *source
	switch {
	case f != nil && !f.Operator.IsOr() && f.ID != nil && f.ID.Any != nil && byKeys(len(*f.ID.Any), b):
		src = &source{byIDs: true}
		for _, id := range *f.ID.Any {
			src.keys = append(src.keys, keyOf(pTaskRun+id.String(), skSelf))
		}
	case len(sets) > 0 && len(smallest(sets)) <= maxFanout:
		src = &source{index: shared.DynamoGSIParent, pkAttr: shared.DynamoG2PK, skAttr: shared.DynamoG2SK, order: orderID}
		for _, id := range smallest(sets).ids() {
			src.parts = append(src.parts, part{pk: pFlowRun + id.String()})
		}
	default:
		src = typeSource(tTaskRun, orderID)
	}
	var parents idSet
	var subErr error
	hasSubflow := func(id uuid.UUID) bool {
		if parents == nil {
			parents = idSet{}
			runs, e := s.matchingFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{
				ParentTaskRunID: &store.OptIDFilter{IsNull: ptr(false)}}}, b)
			if e != nil {
				subErr = e
			}
			for _, r := range runs {
				parents[*r.ParentTaskRunID] = true
			}
		}
		return parents[id]
	}
	match := func(r *core.TaskRun) bool {
		return (f == nil || matchTaskRun(r, f, hasSubflow)) && inAll(sets, r.FlowRunID)
	}
	return src, match, func() error { return subErr }, nil
}

func (s *Store) decodeTaskRun(ctx context.Context, it item) (*core.TaskRun, error) {
	r, err := s.taskRunFrom(ctx, it)
	if err == nil {
		return r, nil
	}
	r, err = s.GetTaskRun(ctx, uuid.MustParse(strings.TrimPrefix(getS(it, shared.DynamoPK), pTaskRun)))
	if core.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

func (s *Store) matchingTaskRuns(ctx context.Context, rf *store.RunFilters, b *budget) ([]*core.TaskRun, error) {
	src, match, subErr, err := s.taskRunPlan(ctx, rf, b)
	if err != nil {
		return nil, err
	}
	its, err := s.readAll(ctx, src, b)
	if err != nil {
		return nil, err
	}
	out := make([]*core.TaskRun, 0, len(its))
	for _, it := range its {
		r, err := s.decodeTaskRun(ctx, it)
		if err != nil {
			return nil, err
		}
		if r != nil && match(r) {
			out = append(out, r)
		}
	}
	return out, subErr()
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
	b := s.newBudget()
	cmp, ok := taskRunSorts[q.Sort]
	if !ok {
		cmp = taskRunSorts["ID_DESC"]
	}
	src, match, subErr, err := s.taskRunPlan(ctx, &q.RunFilters, b)
	if err != nil {
		return nil, err
	}
	var runs []*core.TaskRun
	order := orderNone
	if !ok || q.Sort == "ID_DESC" {
		order = orderID
	}
	if forward, ok := src.serves(order, true); ok {
		runs, err = streamMatches(ctx, s, src, forward, need(q.Page), b, func(it item) (*core.TaskRun, bool, error) {
			r, err := s.decodeTaskRun(ctx, it)
			return r, r != nil && match(r), err
		}, cmp)
	} else {
		var its []item
		if its, err = s.readAll(ctx, src, b); err == nil {
			for _, it := range its {
				r, e := s.decodeTaskRun(ctx, it)
				if e != nil {
					return nil, e
				}
				if r != nil && match(r) {
					runs = append(runs, r)
				}
			}
		}
	}
	if err == nil {
		err = subErr()
	}
	if err != nil {
		return nil, err
	}
	sortBy(runs, cmp, func(r *core.TaskRun) uuid.UUID { return r.ID })
	return page(runs, q.Page), nil
}

// onlyOwn reports whether rf filters nothing but (optionally, with a zero
// filter) the object itself: own is that filter's emptiness.
func onlyOwn(rf *store.RunFilters, own func(*store.RunFilters) bool) bool {
	return rf == nil || own(rf)
}

func zero[T any](p *T) bool { return p == nil || reflect.ValueOf(*p).IsZero() }

func (s *Store) CountTaskRuns(ctx context.Context, f *store.RunFilters) (int, error) {
	if onlyOwn(f, func(rf *store.RunFilters) bool {
		return rf.Flows == nil && rf.FlowRuns == nil && rf.Deployments == nil && zero(rf.TaskRuns)
	}) {
		return s.countParts(ctx, typeSource(tTaskRun, orderID))
	}
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
	case f != nil && !f.Operator.IsOr() && f.ID != nil && f.ID.Any != nil && byKeys(len(*f.ID.Any), b):
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
