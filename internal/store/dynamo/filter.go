package dynamo

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"weak"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// The Go-side filter matcher: the 2.7 filter semantics of package store
// evaluated on decoded objects, criterion by criterion exactly as the SQLite
// backend builds its WHERE clauses (same grouping of sub-criteria under
// each object's operator).

// mb accumulates the sub-criteria of one filter object.
type mb struct{ vals []bool }

func (b *mb) add(v bool) { b.vals = append(b.vals, v) }

// done combines with AND (default) or OR; no criteria is true.
func (b *mb) done(op *store.Operator) bool {
	if len(b.vals) == 0 {
		return true
	}
	or := op.IsOr()
	for _, v := range b.vals {
		if or && v {
			return true
		}
		if !or && !v {
			return false
		}
	}
	return !or
}

// shortList is the list length up to which a scan beats a set lookup.
const shortList = 16

// listSets memoizes the set of each long filter list, keyed weakly by the
// list (a filter's *[]T, which lives as long as the request's filter): a
// filter is matched against every candidate item, and scanning a 33,000-
// item list for each of up to MaxScanItems items would cost seconds. An
// entry goes when its list is collected.
var listSets sync.Map // weak.Pointer[[]T] -> map[T]struct{}

func setOf[T comparable](list *[]T) map[T]struct{} {
	k := weak.Make(list)
	if m, ok := listSets.Load(k); ok {
		return m.(map[T]struct{})
	}
	m := make(map[T]struct{}, len(*list))
	for _, v := range *list {
		m[v] = struct{}{}
	}
	if old, loaded := listSets.LoadOrStore(k, m); loaded {
		return old.(map[T]struct{})
	}
	runtime.AddCleanup(list, func(k weak.Pointer[[]T]) { listSets.Delete(k) }, k)
	return m
}

// inList reports whether v is in the filter list.
func inList[T comparable](v T, list *[]T) bool {
	if len(*list) <= shortList {
		return slices.Contains(*list, v)
	}
	_, ok := setOf(list)[v]
	return ok
}

// containsAll reports whether have holds every value of want.
func containsAll(have []string, want []string) bool {
	if len(have)*len(want) <= shortList*shortList {
		for _, t := range want {
			if !slices.Contains(have, t) {
				return false
			}
		}
		return true
	}
	set := make(map[string]struct{}, len(have))
	for _, t := range have {
		set[t] = struct{}{}
	}
	for _, t := range want {
		if _, ok := set[t]; !ok {
			return false
		}
	}
	return true
}

func (b *mb) idFilter(id uuid.UUID, f *store.IDFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		b.add(inList(id, f.Any))
	}
	if f.NotAny != nil && len(*f.NotAny) > 0 {
		b.add(!inList(id, f.NotAny))
	}
}

func (b *mb) nameFilter(name string, f *store.NameFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		b.add(inList(name, f.Any))
	}
	lower := strings.ToLower(name)
	if f.Like != nil {
		b.add(strings.Contains(lower, strings.ToLower(*f.Like)))
	}
	if f.StartsWith != nil {
		ok := false
		for _, p := range *f.StartsWith {
			if strings.HasPrefix(lower, strings.ToLower(p)) {
				ok = true
				break
			}
		}
		b.add(ok)
	}
}

func (b *mb) tagsFilter(tags []string, f *store.TagsFilter) {
	if f == nil {
		return
	}
	var sub mb
	if f.All != nil {
		sub.add(containsAll(tags, *f.All))
	}
	if f.IsNull != nil {
		sub.add((len(tags) == 0) == *f.IsNull)
	}
	b.add(sub.done(f.Operator))
}

func (b *mb) optIDFilter(id *uuid.UUID, f *store.OptIDFilter) {
	if f == nil {
		return
	}
	var sub mb
	if f.Any != nil {
		sub.add(id != nil && inList(*id, f.Any))
	}
	sub.isNull(id == nil, f.IsNull)
	b.add(sub.done(f.Operator))
}

func (b *mb) optStringFilter(v *string, f *store.OptStringFilter) {
	if f == nil {
		return
	}
	var sub mb
	if f.Any != nil {
		sub.add(v != nil && inList(*v, f.Any))
	}
	sub.isNull(v == nil, f.IsNull)
	b.add(sub.done(f.Operator))
}

func (b *mb) isNull(null bool, want *bool) {
	if want != nil {
		b.add(null == *want)
	}
}

func (b *mb) anyString(v *string, f *store.StringAnyFilter) {
	if f != nil && f.Any != nil {
		b.add(v != nil && inList(*v, f.Any))
	}
}

func (b *mb) stateFilter(typ *core.StateType, name *string, f *store.StateFilter) {
	if f == nil {
		return
	}
	var sub mb
	if f.Type != nil && f.Type.Any != nil {
		sub.add(typ != nil && inList(*typ, f.Type.Any))
	}
	if f.Name != nil && f.Name.Any != nil {
		sub.add(name != nil && inList(*name, f.Name.Any))
	}
	b.add(sub.done(f.Operator))
}

func (b *mb) timeFilter(t *core.Time, f *store.TimeFilter) {
	if f == nil {
		return
	}
	if f.Before != nil {
		b.add(t != nil && !t.After(f.Before.Time))
	}
	if f.After != nil {
		b.add(t != nil && !t.Before(f.After.Time))
	}
	b.isNull(t == nil, f.IsNull)
}

func matchFlow(x *core.Flow, f *store.FlowFilter) bool {
	var b mb
	b.idFilter(x.ID, f.ID)
	b.nameFilter(x.Name, f.Name)
	b.tagsFilter(x.Tags, f.Tags)
	return b.done(f.Operator)
}

func matchFlowRun(x *core.FlowRun, f *store.FlowRunFilter) bool {
	var b mb
	b.idFilter(x.ID, f.ID)
	b.nameFilter(x.Name, f.Name)
	b.tagsFilter(x.Tags, f.Tags)
	b.optIDFilter(x.DeploymentID, f.DeploymentID)
	b.optStringFilter(x.WorkQueueName, f.WorkQueueName)
	b.stateFilter(x.StateType, x.StateName, f.State)
	b.anyString(x.FlowVersion, f.FlowVersion)
	b.timeFilter(x.StartTime, f.StartTime)
	b.timeFilter(x.ExpectedStartTime, f.ExpectedStartTime)
	b.timeFilter(x.NextScheduledStartTime, f.NextScheduledStartTime)
	b.optIDFilter(x.ParentTaskRunID, f.ParentTaskRunID)
	b.anyString(x.IdempotencyKey, f.IdempotencyKey)
	return b.done(f.Operator)
}

// matchTaskRun matches a task run; hasSubflow reports whether a flow run
// has it as parent (only called when the filter asks).
func matchTaskRun(x *core.TaskRun, f *store.TaskRunFilter, hasSubflow func(uuid.UUID) bool) bool {
	var b mb
	b.idFilter(x.ID, f.ID)
	b.nameFilter(x.Name, f.Name)
	b.tagsFilter(x.Tags, f.Tags)
	b.stateFilter(x.StateType, x.StateName, f.State)
	b.timeFilter(x.StartTime, f.StartTime)
	if f.SubflowRuns != nil && f.SubflowRuns.Exists != nil {
		b.add(hasSubflow(x.ID) == *f.SubflowRuns.Exists)
	}
	return b.done(f.Operator)
}

func matchDeployment(x *core.Deployment, f *store.DeploymentFilter) bool {
	var b mb
	b.idFilter(x.ID, f.ID)
	b.nameFilter(x.Name, f.Name)
	if f.IsScheduleActive != nil && f.IsScheduleActive.Eq != nil {
		b.add(x.IsScheduleActive == *f.IsScheduleActive.Eq)
	}
	b.tagsFilter(x.Tags, f.Tags)
	b.anyString(x.WorkQueueName, f.WorkQueueName)
	return b.done(f.Operator)
}

func matchLog(x *core.Log, f *store.LogFilter) bool {
	if f == nil {
		return true
	}
	var b mb
	if f.Level != nil {
		if f.Level.Ge != nil {
			b.add(x.Level >= *f.Level.Ge)
		}
		if f.Level.Le != nil {
			b.add(x.Level <= *f.Level.Le)
		}
	}
	b.timeFilter(&x.Timestamp, f.Timestamp)
	b.idFilter(x.FlowRunID, f.FlowRunID)
	b.optIDFilter(x.TaskRunID, f.TaskRunID)
	if f.Text != nil {
		b.add(store.FoldContains(x.Message, f.TextQuery()))
	}
	return b.done(f.Operator)
}

func matchWorkQueue(x *core.WorkQueue, f *store.WorkQueueFilter) bool {
	if f == nil {
		return true
	}
	var b mb
	b.idFilter(x.ID, f.ID)
	b.nameFilter(x.Name, f.Name)
	return b.done(f.Operator)
}

func matchBlockType(x *core.BlockType, f *store.BlockTypeFilter) bool {
	if f == nil {
		return true
	}
	var b mb
	if f.Name != nil && f.Name.Like != nil {
		b.nameFilter(x.Name, &store.NameFilter{Like: f.Name.Like})
	}
	b.anyString(&x.Slug, f.Slug)
	return b.done(nil)
}

func matchBlockSchema(x *core.BlockSchema, f *store.BlockSchemaFilter) bool {
	if f == nil {
		return true
	}
	var b mb
	b.idFilter(x.BlockTypeID, f.BlockTypeID)
	if f.BlockCapabilities != nil && f.BlockCapabilities.All != nil {
		b.tagsFilter(x.Capabilities, &store.TagsFilter{All: f.BlockCapabilities.All})
	}
	b.idFilter(x.ID, f.ID)
	b.anyString(&x.Version, f.Version)
	return b.done(f.Operator)
}

func matchBlockDoc(x *store.BlockDocumentRecord, f *store.BlockDocumentFilter) bool {
	if f == nil {
		return !x.IsAnonymous // 2.7 hides anonymous documents by default
	}
	var b mb
	b.idFilter(x.ID, f.ID)
	if f.IsAnonymous != nil && f.IsAnonymous.Eq != nil {
		b.add(x.IsAnonymous == *f.IsAnonymous.Eq)
	}
	b.idFilter(x.BlockTypeID, f.BlockTypeID)
	b.anyString(&x.Name, f.Name)
	return b.done(f.Operator)
}
