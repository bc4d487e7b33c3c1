package dynamo

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// ---- flows

func (s *Store) flowItem(ctx context.Context, f *core.Flow) (item, string, error) {
	return s.newItem(ctx, pFlow+f.ID.String(), skSelf, tFlow, f.ID.String(), f.ID, f)
}

func (s *Store) CreateFlow(ctx context.Context, f *core.Flow) (*core.Flow, bool, error) {
	if f.Tags == nil {
		f.Tags = []string{}
	}
	for attempt := 0; attempt < 5; attempt++ {
		it, blob, err := s.flowItem(ctx, f)
		if err != nil {
			return nil, false, err
		}
		err = s.transact(ctx, []types.TransactWriteItem{s.txUnique(uniq("flow", f.Name), f.ID), s.txPut(it, "attribute_not_exists(pk)", nil)})
		if err == nil {
			s.replacedBlob(ctx, pFlow+f.ID.String(), blob)
			return f, true, nil
		}
		s.dropBlob(ctx, blob)
		if id, ok := uniqueLost(err, 0); ok {
			out, err := s.GetFlow(ctx, id)
			if core.IsNotFound(err) {
				continue // the holder was deleted since: try again
			}
			return out, false, err
		}
		if failedAt(err, 1) {
			return nil, false, core.Errorf(core.EConflict, "A flow with id %s already exists.", f.ID)
		}
		return nil, false, err
	}
	return nil, false, core.Errorf(core.EConflict, "The flow %q was created and deleted concurrently; try again.", f.Name)
}

func (s *Store) GetFlow(ctx context.Context, id uuid.UUID) (*core.Flow, error) {
	f, _, err := getObj[core.Flow](ctx, s, pFlow+id.String(), "Flow")
	return f, err
}

func (s *Store) GetFlowByName(ctx context.Context, name string) (*core.Flow, error) {
	id, err := s.lookupUnique(ctx, uniq("flow", name), "Flow")
	if err != nil {
		return nil, err
	}
	return s.GetFlow(ctx, id)
}

func (s *Store) UpdateFlowTags(ctx context.Context, id uuid.UUID, tags []string, now time.Time) error {
	f, err := s.GetFlow(ctx, id)
	if err != nil {
		return err
	}
	f.Tags, f.Updated = tags, core.T(now)
	if f.Tags == nil {
		f.Tags = []string{}
	}
	return s.replaceObj(ctx, pFlow+id.String(), "Flow", func() (item, string, error) { return s.flowItem(ctx, f) })
}

// replaceObj overwrites an existing object's item.
func (s *Store) replaceObj(ctx context.Context, pk, what string, build func() (item, string, error)) error {
	it, blob, err := build()
	if err != nil {
		return err
	}
	err = s.putItem(ctx, it, "attribute_exists(pk)", nil)
	if isCondFailed(err) {
		s.dropBlob(ctx, blob)
		return notFound(what)
	}
	if err != nil {
		s.dropBlob(ctx, blob)
		return err
	}
	s.replacedBlob(ctx, pk, blob)
	return nil
}

func (s *Store) DeleteFlow(ctx context.Context, id uuid.UUID) error {
	f, err := s.GetFlow(ctx, id)
	if err != nil {
		return err
	}
	children, err := s.listIndex(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pFlow+id.String(), "", nil)
	if err != nil {
		return err
	}
	for _, it := range children {
		switch getS(it, shared.DynamoG1PK) {
		case tFlowRun:
			r, err := decode[core.FlowRun](ctx, s, it)
			if err != nil && !errors.Is(err, errBlobRace) {
				return err
			}
			if r != nil {
				if err := s.deleteFlowRunCascade(ctx, r); err != nil {
					return err
				}
			}
		case tDeployment:
			d, err := decode[core.Deployment](ctx, s, it)
			if err != nil {
				return err
			}
			if err := s.deleteItems(ctx, []item{it, keyOf(uniq("dep", d.FlowID.String(), d.Name), "U")}); err != nil {
				return err
			}
		}
	}
	return s.deleteItems(ctx, []item{keyOf(pFlow+id.String(), skSelf), keyOf(uniq("flow", f.Name), "U")})
}

// ---- flow runs

func (s *Store) flowRunItem(ctx context.Context, r *core.FlowRun) (item, string, error) {
	id := r.ID.String()
	it, blob, err := s.newItem(ctx, pFlowRun+id, skSelf, tFlowRun, id, r.ID, r)
	if err != nil {
		return nil, "", err
	}
	it[attrVersion] = nv(r.Version)
	it[shared.DynamoG2PK], it[shared.DynamoG2SK] = sv(pFlow+r.FlowID.String()), sv(parentRunPrefix+id)
	if r.DeploymentID != nil {
		it[shared.DynamoG3PK], it[shared.DynamoG3SK] = sv(pDeployment+r.DeploymentID.String()), sv(id)
	}
	if r.StateType != nil {
		// Ordered for streamed lists (stream.go): scheduled runs by next
		// scheduled start, others by expected start; nil times first.
		it[shared.DynamoG4PK], it[shared.DynamoG4SK] = sv("ST#"+string(*r.StateType)), sv(orderTSOf(stateOrderTime(r))+"#"+id)
		if r.WorkQueueName != nil && *r.WorkQueueName != "" {
			it[shared.DynamoG5PK] = sv("Q#" + *r.WorkQueueName)
			it[shared.DynamoG5SK] = sv(string(*r.StateType) + "#" + orderTSOf(r.NextScheduledStartTime) + "#" + id)
		}
	}
	s.stampRun(it, r.StateType, r.EndTime, r.State) // retention TTL (prune.go)
	return it, blob, nil
}

// idempotencyPK is the key of the unique item that claims a flow run's
// (flow, idempotency key) pair; r.IdempotencyKey must be set.
func idempotencyPK(r *core.FlowRun) string {
	return uniq("fr", r.FlowID.String(), *r.IdempotencyKey)
}

func (s *Store) CreateFlowRun(ctx context.Context, r *core.FlowRun) (*core.FlowRun, bool, error) {
	for attempt := 0; attempt < 5; attempt++ {
		out, created, retry, err := s.insertFlowRun(ctx, r)
		if !retry {
			return out, created, err
		}
	}
	return nil, false, core.Errorf(core.EConflict, "The flow run was created and deleted concurrently; try again.")
}

// insertFlowRun is one attempt of CreateFlowRun: the run, its first state
// and (with an idempotency key) the unique item of (flow_id, key), in one
// transaction.
func (s *Store) insertFlowRun(ctx context.Context, r *core.FlowRun) (out *core.FlowRun, created, retry bool, err error) {
	r.Version = 1
	if r.Tags == nil {
		r.Tags = []string{}
	}
	it, blob, err := s.flowRunItem(ctx, r)
	if err != nil {
		return nil, false, false, err
	}
	var ws []types.TransactWriteItem
	runAt := 0
	if r.IdempotencyKey != nil {
		ws = append(ws, s.txUnique(idempotencyPK(r), r.ID))
		runAt = 1
	}
	ws = append(ws, s.txPut(it, "attribute_not_exists(pk)", nil))
	blobs := []string{blob}
	stateAt := -1
	if r.State != nil {
		st, sb, err := s.stateItem(ctx, pFlowRunState, pFlowRun+r.ID.String(), r.State)
		if err != nil {
			s.dropBlob(ctx, blob)
			return nil, false, false, err
		}
		blobs = append(blobs, sb)
		it[attrHistory] = &types.AttributeValueMemberL{Value: []types.AttributeValue{histEntry(r.State.ID)}}
		stateAt = len(ws)
		ws = append(ws, s.txPut(st, "attribute_not_exists(pk)", nil))
	}
	err = s.transact(ctx, ws)
	if err == nil {
		s.replacedBlob(ctx, pFlowRun+r.ID.String(), blob)
		return r, true, false, nil
	}
	for _, b := range blobs {
		s.dropBlob(ctx, b)
	}
	if r.IdempotencyKey != nil {
		if id, ok := uniqueLost(err, 0); ok {
			out, err := s.GetFlowRun(ctx, id)
			if core.IsNotFound(err) {
				return nil, false, true, nil
			}
			return out, false, false, err
		}
	}
	if failedAt(err, runAt) {
		return nil, false, false, core.Errorf(core.EConflict, "A flow run with id %s already exists.", r.ID)
	}
	if stateAt >= 0 && failedAt(err, stateAt) {
		return nil, false, false, core.Errorf(core.EConflict, "A flow run state with id %s already exists.", r.State.ID)
	}
	return nil, false, false, err
}

// runFrom decodes a run item and sets the run's version from it.
func runFrom[T any](ctx context.Context, s *Store, it item, version func(*T) *int64) (*T, error) {
	r, err := decode[T](ctx, s, it)
	if err != nil {
		return nil, err
	}
	*version(r), _ = getN(it, attrVersion)
	return r, nil
}

// getRun reads a run by key, strongly consistent; a payload replaced
// between reading the item and its blob is read again.
func getRun[T any](ctx context.Context, s *Store, pk, what string, version func(*T) *int64) (*T, error) {
	for attempt := 0; ; attempt++ {
		it, err := s.getItem(ctx, pk, skSelf, true)
		if err != nil {
			return nil, err
		}
		if it == nil {
			return nil, notFound(what)
		}
		r, err := runFrom(ctx, s, it, version)
		if errors.Is(err, errBlobRace) && attempt < 5 {
			continue
		}
		return r, err
	}
}

func flowRunVersion(r *core.FlowRun) *int64 { return &r.Version }
func taskRunVersion(r *core.TaskRun) *int64 { return &r.Version }

func (s *Store) flowRunFrom(ctx context.Context, it item) (*core.FlowRun, error) {
	return runFrom(ctx, s, it, flowRunVersion)
}

func (s *Store) GetFlowRun(ctx context.Context, id uuid.UUID) (*core.FlowRun, error) {
	return getRun(ctx, s, pFlowRun+id.String(), "Flow run", flowRunVersion)
}

func (s *Store) UpdateFlowRun(ctx context.Context, id uuid.UUID, u *store.FlowRunUpdate, now time.Time) error {
	for attempt := 0; attempt < 32; attempt++ {
		r, err := s.GetFlowRun(ctx, id)
		if err != nil {
			return err
		}
		u.Apply(r, now)
		err = s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: r, ExpectedVersion: r.Version})
		if !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
	}
	return core.Errorf(core.EConflict, "The flow run was changed concurrently too many times; try again.")
}

func (s *Store) DeleteFlowRun(ctx context.Context, id uuid.UUID) error {
	r, err := s.GetFlowRun(ctx, id)
	if err != nil {
		return err
	}
	return s.deleteFlowRunCascade(ctx, r)
}

// deleteFlowRunCascade deletes a flow run with its states, logs, task runs
// (with their states) and unique items. Slot holders need no cleanup: a
// deleted holder no longer counts.
func (s *Store) deleteFlowRunCascade(ctx context.Context, r *core.FlowRun) error {
	tasks, err := s.queryIndex(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pFlowRun+r.ID.String(), "", nil)
	if err != nil {
		return err
	}
	for _, k := range tasks {
		if err := s.deleteTaskRunCollection(ctx, getS(k, shared.DynamoPK)); err != nil {
			return err
		}
	}
	var extra []item
	if r.IdempotencyKey != nil {
		extra = append(extra, keyOf(idempotencyPK(r), "U"))
	}
	return s.deleteRunItems(ctx, pFlowRun+r.ID.String(), pFlowRunState, extra...)
}

func (s *Store) CommitFlowRunTransition(ctx context.Context, t *store.FlowRunTransition) (err error) {
	defer s.afterFlowRunCommit(ctx, t, &err) // retention TTL (prune.go)
	r := *t.Run
	r.Version = t.ExpectedVersion + 1
	it, blob, err := s.flowRunItem(ctx, &r)
	if err != nil {
		return err
	}
	var st *core.State
	if t.AppendState {
		st = r.State
	}
	if len(t.Notifications) > 0 {
		return s.commitFlowRunWithNotifications(ctx, t, it, blob, st)
	}
	if err := s.commitPlain(ctx, it, blob, t.ExpectedVersion, pFlowRunState, st, "Flow run"); err != nil {
		return err
	}
	t.Run.Version = r.Version
	return nil
}

// commit runs a transition's transaction whose first item is the run's
// version-conditioned put; a failed condition there is ErrVersionConflict
// (or not found), anywhere else ErrVersionConflict (a slot was taken).
func (s *Store) commit(ctx context.Context, ws []types.TransactWriteItem, pk, what, blob string, extra ...string) error {
	err := s.transact(ctx, ws)
	if err == nil {
		s.replacedBlob(ctx, pk, blob)
		return nil
	}
	s.dropBlob(ctx, blob)
	for _, b := range extra {
		s.dropBlob(ctx, b)
	}
	if failedAt(err, 0) {
		cur, gerr := s.getItem(ctx, pk, skSelf, true)
		if gerr != nil {
			return gerr
		}
		if cur == nil {
			return notFound(what)
		}
		return store.ErrVersionConflict
	}
	if anyFailed(err) {
		return store.ErrVersionConflict
	}
	return err
}

// ---- task runs

func (s *Store) taskRunItem(ctx context.Context, r *core.TaskRun) (item, string, error) {
	id := r.ID.String()
	it, blob, err := s.newItem(ctx, pTaskRun+id, skSelf, tTaskRun, id, r.ID, r)
	if err != nil {
		return nil, "", err
	}
	it[attrVersion] = nv(r.Version)
	it[shared.DynamoG2PK], it[shared.DynamoG2SK] = sv(pFlowRun+r.FlowRunID.String()), sv(id)
	s.stampRun(it, r.StateType, r.EndTime, r.State) // retention TTL (prune.go)
	return it, blob, nil
}

func taskKey(r *core.TaskRun) string {
	return uniq("tr", r.FlowRunID.String(), r.TaskKey, r.DynamicKey)
}

func (s *Store) CreateTaskRun(ctx context.Context, r *core.TaskRun) (*core.TaskRun, bool, error) {
	for attempt := 0; attempt < 5; attempt++ {
		r.Version = 1
		if r.Tags == nil {
			r.Tags = []string{}
		}
		it, blob, err := s.taskRunItem(ctx, r)
		if err != nil {
			return nil, false, err
		}
		ws := []types.TransactWriteItem{s.txUnique(taskKey(r), r.ID), s.txPut(it, "attribute_not_exists(pk)", nil)}
		var sblob string
		if r.State != nil {
			var st item
			if st, sblob, err = s.stateItem(ctx, pTaskRunState, pTaskRun+r.ID.String(), r.State); err != nil {
				s.dropBlob(ctx, blob)
				return nil, false, err
			}
			it[attrHistory] = &types.AttributeValueMemberL{Value: []types.AttributeValue{histEntry(r.State.ID)}}
			ws = append(ws, s.txPut(st, "attribute_not_exists(pk)", nil))
		}
		err = s.transact(ctx, ws)
		if err == nil {
			s.replacedBlob(ctx, pTaskRun+r.ID.String(), blob)
			return r, true, nil
		}
		s.dropBlob(ctx, blob)
		s.dropBlob(ctx, sblob)
		if id, ok := uniqueLost(err, 0); ok {
			out, err := s.GetTaskRun(ctx, id)
			if core.IsNotFound(err) {
				continue
			}
			return out, false, err
		}
		if failedAt(err, 1) {
			return nil, false, core.Errorf(core.EConflict, "A task run with id %s already exists.", r.ID)
		}
		if failedAt(err, 2) {
			return nil, false, core.Errorf(core.EConflict, "A task run state with id %s already exists.", r.State.ID)
		}
		return nil, false, err
	}
	return nil, false, core.Errorf(core.EConflict, "The task run was created and deleted concurrently; try again.")
}

func (s *Store) taskRunFrom(ctx context.Context, it item) (*core.TaskRun, error) {
	return runFrom(ctx, s, it, taskRunVersion)
}

func (s *Store) GetTaskRun(ctx context.Context, id uuid.UUID) (*core.TaskRun, error) {
	return getRun(ctx, s, pTaskRun+id.String(), "Task run", taskRunVersion)
}

func (s *Store) UpdateTaskRunName(ctx context.Context, id uuid.UUID, name string, now time.Time) error {
	for attempt := 0; attempt < 32; attempt++ {
		r, err := s.GetTaskRun(ctx, id)
		if err != nil {
			return err
		}
		r.Name, r.Updated = name, core.T(now)
		err = s.CommitTaskRunTransition(ctx, &store.TaskRunTransition{Run: r, ExpectedVersion: r.Version})
		if !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
	}
	return core.Errorf(core.EConflict, "The task run was changed concurrently too many times; try again.")
}

func (s *Store) DeleteTaskRun(ctx context.Context, id uuid.UUID) error {
	if _, err := s.GetTaskRun(ctx, id); err != nil {
		return err
	}
	return s.deleteTaskRunCollection(ctx, pTaskRun+id.String())
}

// deleteTaskRunCollection deletes a task run (its item collection), its
// states and its unique item.
func (s *Store) deleteTaskRunCollection(ctx context.Context, pk string) error {
	var extra []item
	it, err := s.getItem(ctx, pk, skSelf, true)
	if err != nil {
		return err
	}
	if it != nil {
		if r, err := decode[core.TaskRun](ctx, s, it); err == nil {
			extra = append(extra, keyOf(taskKey(r), "U"))
		}
	}
	return s.deleteRunItems(ctx, pk, pTaskRunState, extra...)
}

func (s *Store) CommitTaskRunTransition(ctx context.Context, t *store.TaskRunTransition) (err error) {
	defer s.afterTaskRunCommit(ctx, t, &err) // retention TTL (prune.go)
	r := *t.Run
	r.Version = t.ExpectedVersion + 1
	pk := pTaskRun + r.ID.String()
	it, blob, err := s.taskRunItem(ctx, &r)
	if err != nil {
		return err
	}
	appendState := t.AppendState && r.State != nil
	if t.CacheKey == nil && len(t.AcquireSlots) == 0 {
		// No side effects: two plain writes (history.go).
		var st *core.State
		if appendState {
			st = r.State
		}
		if err := s.commitPlain(ctx, it, blob, t.ExpectedVersion, pTaskRunState, st, "Task run"); err != nil {
			return err
		}
		t.Run.Version = r.Version
		return nil
	}
	// Side effects (a cache entry, slot claims): one transaction with the
	// run's update, its new state and the side effects.
	var appended *uuid.UUID
	if appendState {
		id := r.State.ID
		appended = &id
	}
	ws := []types.TransactWriteItem{txUpdateRun(s.table, it, t.ExpectedVersion, appended)}
	var extra []string
	if appendState {
		st, sblob, err := s.stateItem(ctx, pTaskRunState, pk, r.State)
		if err != nil {
			s.dropBlob(ctx, blob)
			return err
		}
		extra = append(extra, sblob)
		ws = append(ws, s.txPut(st, "", nil))
	}
	// ReleaseSlots needs no write: a slot counts only while its holder is
	// RUNNING or CANCELLING, and this transition moves it out of those.
	if t.CacheKey != nil && r.State != nil {
		c, cblob, err := s.newItem(ctx, pCache+*t.CacheKey, ts(r.State.Timestamp)+"#"+r.State.ID.String(), "cache", "", r.State.ID, r.State)
		if err != nil {
			s.dropBlob(ctx, blob)
			return err
		}
		delete(c, shared.DynamoG1PK) // cache entries are read by key only
		delete(c, shared.DynamoG1SK)
		if t.CacheExpiration != nil {
			c[attrExp] = nv(t.CacheExpiration.UnixMicro())
			// TTL deletion is lazy housekeeping; LookupCache checks expiry itself.
			c[shared.DynamoTTL] = nv(t.CacheExpiration.Unix() + 3600)
		}
		extra = append(extra, cblob)
		ws = append(ws, s.txPut(c, "", nil))
	}
	if len(t.AcquireSlots) == 0 {
		if err := s.commit(ctx, ws, pk, "Task run", blob, extra...); err != nil {
			return err
		}
		t.Run.Version = r.Version
		return nil
	}
	// Slot claims: a lost race on a slot set (another claimer wrote it since
	// we read it) is retried here with fresh reads while the run's version
	// still holds; a full slot set or a moved run is ErrVersionConflict.
	base := len(ws)
	for attempt := 0; ; attempt++ {
		all := ws[:base:base]
		for _, c := range t.AcquireSlots {
			w, err := s.claimSlot(ctx, c, r.ID)
			if err != nil {
				s.dropBlob(ctx, blob)
				for _, b := range extra {
					s.dropBlob(ctx, b)
				}
				return err
			}
			all = append(all, w)
		}
		err := s.transact(ctx, all)
		if err == nil {
			s.replacedBlob(ctx, pk, blob)
			t.Run.Version = r.Version
			return nil
		}
		slotLost := false
		for i := base; i < len(all); i++ {
			slotLost = slotLost || failedAt(err, i)
		}
		if slotLost && !failedAt(err, 0) && attempt < 64 {
			backoff := min(200*time.Millisecond, time.Millisecond<<min(attempt, 8))
			time.Sleep(time.Duration(rand.Int64N(int64(backoff))) + time.Millisecond)
			continue
		}
		s.dropBlob(ctx, blob)
		for _, b := range extra {
			s.dropBlob(ctx, b)
		}
		if failedAt(err, 0) {
			cur, gerr := s.getItem(ctx, pk, skSelf, true)
			if gerr != nil {
				return gerr
			}
			if cur == nil {
				return notFound("Task run")
			}
			return store.ErrVersionConflict
		}
		if anyFailed(err) {
			return store.ErrVersionConflict
		}
		return err
	}
}

// ---- concurrency slots

// slotSet is the per-tag slot item: holders and a version the claim's
// conditional write checks.
type slotSet struct {
	holders map[string]int64 // task run id -> acquired (unix micros)
	ver     int64
	exists  bool
}

func (s *Store) readSlots(ctx context.Context, tag string) (*slotSet, error) {
	it, err := s.getItem(ctx, pSlots+tag, skSelf, true)
	if err != nil {
		return nil, err
	}
	ss := &slotSet{holders: map[string]int64{}}
	if it == nil {
		return ss, nil
	}
	ss.exists = true
	ss.ver, _ = getN(it, attrSlotVer)
	if h, ok := it[attrHolders]; ok {
		if err := attributevalue.Unmarshal(h, &ss.holders); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

// liveHolders returns the holders (other than self) whose task run exists
// and is RUNNING or CANCELLING and whose flow run has not ended (the lease
// rule: a flow run's terminal write frees its task runs' slots in that same
// write), read strongly consistently.
func (s *Store) liveHolders(ctx context.Context, ss *slotSet, self uuid.UUID) (map[string]int64, error) {
	var ids []uuid.UUID
	for h := range ss.holders {
		if id, err := uuid.Parse(h); err == nil && id != self {
			ids = append(ids, id)
		}
	}
	live := map[string]int64{}
	if len(ids) == 0 {
		return live, nil
	}
	its, err := s.getByIDs(ctx, pTaskRun, ids, nil)
	if err != nil {
		return nil, err
	}
	var running []*core.TaskRun
	parents := map[uuid.UUID]bool{}
	for _, it := range its {
		r, err := decode[core.TaskRun](ctx, s, it)
		if err != nil {
			continue // a payload race means the run just changed: not counted
		}
		if r.StateType != nil && (*r.StateType == core.Running || *r.StateType == core.Cancelling) {
			running = append(running, r)
			parents[r.FlowRunID] = true
		}
	}
	ended, err := s.endedFlowRuns(ctx, parents)
	if err != nil {
		return nil, err
	}
	for _, r := range running {
		if !ended[r.FlowRunID] {
			live[r.ID.String()] = ss.holders[r.ID.String()]
		}
	}
	return live, nil
}

// endedFlowRuns returns which of ids are flow runs in a terminal state.
func (s *Store) endedFlowRuns(ctx context.Context, ids map[uuid.UUID]bool) (map[uuid.UUID]bool, error) {
	ended := map[uuid.UUID]bool{}
	if len(ids) == 0 {
		return ended, nil
	}
	keys := make([]uuid.UUID, 0, len(ids))
	for id := range ids {
		keys = append(keys, id)
	}
	its, err := s.getByIDs(ctx, pFlowRun, keys, nil)
	if err != nil {
		return nil, err
	}
	for _, it := range its {
		r, err := decode[core.FlowRun](ctx, s, it)
		if err != nil {
			continue // changing under us: counted as unfinished, the safe side
		}
		if r.StateType != nil && r.StateType.IsTerminal() {
			ended[r.ID] = true
		}
	}
	return ended, nil
}

// claimSlot builds the conditional write that takes a slot of c.Tag for
// self: stale holders are pruned, the claim fails with ErrVersionConflict
// when Limit live holders remain, and the write holds only if the slot set
// is unchanged since read (its version), so two claimers never both win.
func (s *Store) claimSlot(ctx context.Context, c store.SlotClaim, self uuid.UUID) (types.TransactWriteItem, error) {
	ss, err := s.readSlots(ctx, c.Tag)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	live, err := s.liveHolders(ctx, ss, self)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	if len(live) >= c.Limit {
		return types.TransactWriteItem{}, store.ErrVersionConflict
	}
	acquired := time.Now().UnixMicro()
	if prev, ok := ss.holders[self.String()]; ok {
		acquired = prev
	}
	live[self.String()] = acquired
	h, err := attributevalue.Marshal(live)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	it := keyOf(pSlots+c.Tag, skSelf)
	it[attrHolders], it[attrSlotVer] = h, nv(ss.ver+1)
	if !ss.exists {
		return s.txPut(it, "attribute_not_exists(pk)", nil), nil
	}
	return s.txPut(it, "sv = :sv", item{":sv": nv(ss.ver)}), nil
}

// activeSlots lists the live holders of tag, oldest first.
func (s *Store) activeSlots(ctx context.Context, tag string) ([]uuid.UUID, error) {
	ss, err := s.readSlots(ctx, tag)
	if err != nil {
		return nil, err
	}
	live, err := s.liveHolders(ctx, ss, uuid.Nil)
	if err != nil {
		return nil, err
	}
	out := make([]uuid.UUID, 0, len(live))
	for h := range live {
		out = append(out, uuid.MustParse(h))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := live[out[i].String()], live[out[j].String()]
		if a != b {
			return a < b
		}
		return out[i].String() < out[j].String()
	})
	return out, nil
}

// ---- states and cache

func (s *Store) GetFlowRunState(ctx context.Context, id uuid.UUID) (*core.State, error) {
	return s.getState(ctx, pFlowRunState, id, "Flow run state")
}

func (s *Store) ListFlowRunStates(ctx context.Context, runID uuid.UUID) ([]*core.State, error) {
	return s.listStates(ctx, pFlowRun+runID.String(), pFlowRunState)
}

func (s *Store) GetTaskRunState(ctx context.Context, id uuid.UUID) (*core.State, error) {
	return s.getState(ctx, pTaskRunState, id, "Task run state")
}

func (s *Store) ListTaskRunStates(ctx context.Context, runID uuid.UUID) ([]*core.State, error) {
	return s.listStates(ctx, pTaskRun+runID.String(), pTaskRunState)
}

func (s *Store) LookupCache(ctx context.Context, key string, now time.Time) (*core.State, error) {
	its, err := s.queryPK(ctx, pCache+key, "", false, s.newBudget())
	if err != nil {
		return nil, err
	}
	for _, it := range its {
		if exp, ok := getN(it, attrExp); ok && exp <= now.UnixMicro() {
			continue // expired, whether or not TTL has deleted it yet
		}
		st, err := decode[core.State](ctx, s, it)
		if errors.Is(err, errBlobRace) {
			continue
		}
		return st, err
	}
	return nil, nil
}
