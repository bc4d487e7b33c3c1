package dynamo

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// createUnique inserts an object item with its unique item in one
// transaction; a lost unique condition is EConflict with msg.
func (s *Store) createUnique(ctx context.Context, it item, blob, pk string, id uuid.UUID, uniqPK, msg string) error {
	err := s.transact(ctx, []types.TransactWriteItem{s.txUnique(uniqPK, id), s.txPut(it, "attribute_not_exists(pk)", nil)})
	if err == nil {
		s.replacedBlob(ctx, pk, blob)
		return nil
	}
	s.dropBlob(ctx, blob)
	if _, ok := uniqueLost(err, 0); ok {
		return core.Errorf(core.EConflict, "%s", msg)
	}
	if failedAt(err, 1) {
		return core.Errorf(core.EConflict, "An object with id %s already exists.", id)
	}
	return err
}

// replaceUnique overwrites an existing object whose unique value may move
// from oldUniq to newUniq, atomically.
func (s *Store) replaceUnique(ctx context.Context, it item, blob, pk string, id uuid.UUID, oldUniq, newUniq, what, msg string) error {
	ws := []types.TransactWriteItem{s.txPut(it, "attribute_exists(pk)", nil)}
	if oldUniq != newUniq {
		ws = append(ws, s.txUnique(newUniq, id), s.txDelete(oldUniq, "U"))
	}
	err := s.transact(ctx, ws)
	if err == nil {
		s.replacedBlob(ctx, pk, blob)
		return nil
	}
	s.dropBlob(ctx, blob)
	if failedAt(err, 0) {
		return notFound(what)
	}
	if failedAt(err, 1) {
		return core.Errorf(core.EConflict, "%s", msg)
	}
	return err
}

// ---- deployments

func (s *Store) deploymentItem(ctx context.Context, d *core.Deployment) (item, string, error) {
	id := d.ID.String()
	it, blob, err := s.newItem(ctx, pDeployment+id, skSelf, tDeployment, id, d.ID, d)
	if err != nil {
		return nil, "", err
	}
	it[shared.DynamoG2PK], it[shared.DynamoG2SK] = sv(pFlow+d.FlowID.String()), sv("D#"+id)
	return it, blob, nil
}

func depUniq(d *core.Deployment) string { return uniq("dep", d.FlowID.String(), d.Name) }

func (s *Store) UpsertDeployment(ctx context.Context, d *core.Deployment) (*core.Deployment, bool, error) {
	for attempt := 0; attempt < 8; attempt++ {
		id, err := s.lookupUnique(ctx, depUniq(d), "Deployment")
		switch {
		case core.IsNotFound(err):
			it, blob, err := s.deploymentItem(ctx, d)
			if err != nil {
				return nil, false, err
			}
			err = s.createUnique(ctx, it, blob, pDeployment+d.ID.String(), d.ID, depUniq(d), "")
			if core.ErrorCode(err) == core.EConflict {
				continue // created concurrently: update it instead
			}
			return d, err == nil, err
		case err != nil:
			return nil, false, err
		}
		cur, err := s.GetDeployment(ctx, id)
		if core.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		d.ID, d.Created, d.CreatedBy = cur.ID, cur.Created, cur.CreatedBy
		err = s.UpdateDeployment(ctx, d)
		if core.IsNotFound(err) {
			continue
		}
		return d, false, err
	}
	return nil, false, core.Errorf(core.EConflict, "The deployment was changed concurrently too many times; try again.")
}

func (s *Store) GetDeployment(ctx context.Context, id uuid.UUID) (*core.Deployment, error) {
	d, _, err := getObj[core.Deployment](ctx, s, pDeployment+id.String(), "Deployment")
	return d, err
}

func (s *Store) GetDeploymentByName(ctx context.Context, flowName, name string) (*core.Deployment, error) {
	f, err := s.GetFlowByName(ctx, flowName)
	if core.IsNotFound(err) {
		return nil, notFound("Deployment")
	}
	if err != nil {
		return nil, err
	}
	id, err := s.lookupUnique(ctx, uniq("dep", f.ID.String(), name), "Deployment")
	if err != nil {
		return nil, err
	}
	return s.GetDeployment(ctx, id)
}

func (s *Store) UpdateDeployment(ctx context.Context, d *core.Deployment) error {
	cur, err := s.GetDeployment(ctx, d.ID)
	if err != nil {
		return err
	}
	it, blob, err := s.deploymentItem(ctx, d)
	if err != nil {
		return err
	}
	return s.replaceUnique(ctx, it, blob, pDeployment+d.ID.String(), d.ID, depUniq(cur), depUniq(d), "Deployment",
		"A deployment with this name already exists for the flow.")
}

func (s *Store) DeleteDeployment(ctx context.Context, id uuid.UUID) error {
	d, err := s.GetDeployment(ctx, id)
	if err != nil {
		return err
	}
	if err := s.deleteItems(ctx, []item{keyOf(pDeployment+id.String(), skSelf), keyOf(depUniq(d), "U")}); err != nil {
		return err
	}
	// Runs outlive their deployment with deployment_id cleared, as in 2.7.
	keys, err := s.queryIndex(ctx, shared.DynamoGSIRef, shared.DynamoG3PK, shared.DynamoG3SK, pDeployment+id.String(), "", nil)
	if err != nil {
		return err
	}
	for _, k := range keys {
		runID := uuid.MustParse(strings.TrimPrefix(getS(k, shared.DynamoPK), pFlowRun))
		for attempt := 0; attempt < 32; attempt++ {
			r, err := s.GetFlowRun(ctx, runID)
			if core.IsNotFound(err) {
				break
			}
			if err != nil {
				return err
			}
			r.DeploymentID = nil
			err = s.CommitFlowRunTransition(ctx, &store.FlowRunTransition{Run: r, ExpectedVersion: r.Version})
			if err == nil || core.IsNotFound(err) {
				break
			}
			if err != store.ErrVersionConflict {
				return err
			}
		}
	}
	return nil
}

func (s *Store) DeleteAutoScheduledRuns(ctx context.Context, deploymentID uuid.UUID) (int, error) {
	runs, err := s.matchingFlowRuns(ctx, &store.RunFilters{FlowRuns: &store.FlowRunFilter{
		DeploymentID: &store.OptIDFilter{Any: &[]uuid.UUID{deploymentID}}}}, nil)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range runs {
		if !r.AutoScheduled || r.StateType == nil || *r.StateType != core.Scheduled {
			continue
		}
		if err := s.deleteFlowRunCascade(ctx, r); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// InsertScheduledRuns inserts each run with a conditional put on the unique
// item of its (flow_id, idempotency_key): a run some scheduler already made
// is skipped, never duplicated.
func (s *Store) InsertScheduledRuns(ctx context.Context, runs []*core.FlowRun) (int, error) {
	// Every tick proposes the same upcoming runs again. A failed conditional
	// transaction still costs its write units (16 WRU for a scheduled run),
	// so the runs whose idempotency key is taken are dropped first with one
	// BatchGetItem of their unique items (1 RRU each): an idle tick writes
	// nothing. The transaction's condition still decides races.
	var keys []item
	for _, r := range runs {
		if r.IdempotencyKey != nil {
			keys = append(keys, keyOf(idempotencyPK(r), "U"))
		}
	}
	taken := map[string]bool{}
	if len(keys) > 0 {
		its, err := s.batchGet(ctx, keys)
		if err != nil {
			return 0, err
		}
		for _, it := range its {
			taken[getS(it, shared.DynamoPK)] = true
		}
	}
	n := 0
	for _, r := range runs {
		if r.IdempotencyKey != nil && taken[idempotencyPK(r)] {
			continue
		}
		_, created, err := s.CreateFlowRun(ctx, r)
		if err != nil && !(r.IdempotencyKey == nil && core.ErrorCode(err) == core.EConflict) {
			return n, err
		}
		if created {
			n++
		}
	}
	return n, nil
}

// ---- work queues

func (s *Store) workQueueItem(ctx context.Context, q *core.WorkQueue) (item, string, error) {
	return s.newItem(ctx, pWorkQueue+q.ID.String(), skSelf, tWorkQueue, q.ID.String(), q.ID, q)
}

const wqExists = "A work queue with this name already exists."

func (s *Store) CreateWorkQueue(ctx context.Context, q *core.WorkQueue) error {
	it, blob, err := s.workQueueItem(ctx, q)
	if err != nil {
		return err
	}
	return s.createUnique(ctx, it, blob, pWorkQueue+q.ID.String(), q.ID, uniq("wq", q.Name), wqExists)
}

func (s *Store) GetWorkQueue(ctx context.Context, id uuid.UUID) (*core.WorkQueue, error) {
	q, _, err := getObj[core.WorkQueue](ctx, s, pWorkQueue+id.String(), "Work queue")
	return q, err
}

func (s *Store) GetWorkQueueByName(ctx context.Context, name string) (*core.WorkQueue, error) {
	id, err := s.lookupUnique(ctx, uniq("wq", name), "Work queue")
	if err != nil {
		return nil, err
	}
	return s.GetWorkQueue(ctx, id)
}

func (s *Store) UpdateWorkQueue(ctx context.Context, q *core.WorkQueue) error {
	cur, err := s.GetWorkQueue(ctx, q.ID)
	if err != nil {
		return err
	}
	it, blob, err := s.workQueueItem(ctx, q)
	if err != nil {
		return err
	}
	return s.replaceUnique(ctx, it, blob, pWorkQueue+q.ID.String(), q.ID, uniq("wq", cur.Name), uniq("wq", q.Name), "Work queue", wqExists)
}

func (s *Store) TouchWorkQueue(ctx context.Context, id uuid.UUID, at time.Time) error {
	q, err := s.GetWorkQueue(ctx, id)
	if err != nil {
		return err
	}
	q.LastPolled = core.TP(at)
	return s.replaceObj(ctx, pWorkQueue+id.String(), "Work queue", func() (item, string, error) { return s.workQueueItem(ctx, q) })
}

func (s *Store) DeleteWorkQueue(ctx context.Context, id uuid.UUID) error {
	q, err := s.GetWorkQueue(ctx, id)
	if err != nil {
		return err
	}
	return s.deleteItems(ctx, []item{keyOf(pWorkQueue+id.String(), skSelf), keyOf(uniq("wq", q.Name), "U")})
}

func (s *Store) ListWorkQueues(ctx context.Context, f *store.WorkQueueFilter, p store.Page) ([]*core.WorkQueue, error) {
	its, err := s.listType(ctx, tWorkQueue, s.newBudget())
	if err != nil {
		return nil, err
	}
	qs, err := decodeAll[core.WorkQueue](ctx, s, its)
	if err != nil {
		return nil, err
	}
	out := qs[:0]
	for _, q := range qs {
		if matchWorkQueue(q, f) {
			out = append(out, q)
		}
	}
	sortBy(out, func(a, b *core.WorkQueue) int { return strings.Compare(a.Name, b.Name) }, func(q *core.WorkQueue) uuid.UUID { return q.ID })
	return page(out, p), nil
}

// ---- concurrency limits

func (s *Store) limitItem(ctx context.Context, l *core.ConcurrencyLimit) (item, string, error) {
	c := *l
	c.ActiveSlots = nil
	return s.newItem(ctx, pLimit+l.ID.String(), skSelf, tLimit, l.Tag, l.ID, &c)
}

func (s *Store) withSlots(ctx context.Context, ls []*core.ConcurrencyLimit) ([]*core.ConcurrencyLimit, error) {
	for _, l := range ls {
		slots, err := s.activeSlots(ctx, l.Tag)
		if err != nil {
			return nil, err
		}
		l.ActiveSlots = slots
	}
	return ls, nil
}

func (s *Store) UpsertConcurrencyLimit(ctx context.Context, l *core.ConcurrencyLimit) (*core.ConcurrencyLimit, bool, error) {
	for attempt := 0; attempt < 8; attempt++ {
		cur, err := s.GetConcurrencyLimitByTag(ctx, l.Tag)
		switch {
		case core.IsNotFound(err):
			it, blob, err := s.limitItem(ctx, l)
			if err != nil {
				return nil, false, err
			}
			err = s.createUnique(ctx, it, blob, pLimit+l.ID.String(), l.ID, uniq("cl", l.Tag), "")
			if core.ErrorCode(err) == core.EConflict {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			out, err := s.GetConcurrencyLimit(ctx, l.ID)
			return out, true, err
		case err != nil:
			return nil, false, err
		}
		cur.ConcurrencyLimit, cur.Updated = l.ConcurrencyLimit, l.Updated
		err = s.replaceObj(ctx, pLimit+cur.ID.String(), "Concurrency limit", func() (item, string, error) { return s.limitItem(ctx, cur) })
		if core.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		out, err := s.GetConcurrencyLimit(ctx, cur.ID)
		return out, false, err
	}
	return nil, false, core.Errorf(core.EConflict, "The concurrency limit was changed concurrently too many times; try again.")
}

func (s *Store) GetConcurrencyLimit(ctx context.Context, id uuid.UUID) (*core.ConcurrencyLimit, error) {
	l, _, err := getObj[core.ConcurrencyLimit](ctx, s, pLimit+id.String(), "Concurrency limit")
	if err != nil {
		return nil, err
	}
	out, err := s.withSlots(ctx, []*core.ConcurrencyLimit{l})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Store) GetConcurrencyLimitByTag(ctx context.Context, tag string) (*core.ConcurrencyLimit, error) {
	id, err := s.lookupUnique(ctx, uniq("cl", tag), "Concurrency limit")
	if err != nil {
		return nil, err
	}
	return s.GetConcurrencyLimit(ctx, id)
}

func (s *Store) ListConcurrencyLimits(ctx context.Context, p store.Page) ([]*core.ConcurrencyLimit, error) {
	its, err := s.listType(ctx, tLimit, s.newBudget())
	if err != nil {
		return nil, err
	}
	ls, err := decodeAll[core.ConcurrencyLimit](ctx, s, its)
	if err != nil {
		return nil, err
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Tag < ls[j].Tag })
	return s.withSlots(ctx, page(ls, p))
}

func (s *Store) ConcurrencyLimitsForTags(ctx context.Context, tags []string) ([]*core.ConcurrencyLimit, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	var keys []item
	for _, t := range tags {
		keys = append(keys, keyOf(uniq("cl", t), "U"))
	}
	us, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for _, u := range us {
		if id, err := uuid.Parse(getS(u, attrID)); err == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	its, err := s.getByIDs(ctx, pLimit, ids, nil)
	if err != nil {
		return nil, err
	}
	ls, err := decodeAll[core.ConcurrencyLimit](ctx, s, its)
	if err != nil {
		return nil, err
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Tag < ls[j].Tag })
	return s.withSlots(ctx, ls)
}

func (s *Store) deleteLimit(ctx context.Context, l *core.ConcurrencyLimit) error {
	return s.deleteItems(ctx, []item{keyOf(pLimit+l.ID.String(), skSelf), keyOf(uniq("cl", l.Tag), "U"), keyOf(pSlots+l.Tag, skSelf)})
}

func (s *Store) DeleteConcurrencyLimit(ctx context.Context, id uuid.UUID) error {
	l, _, err := getObj[core.ConcurrencyLimit](ctx, s, pLimit+id.String(), "Concurrency limit")
	if err != nil {
		return err
	}
	return s.deleteLimit(ctx, l)
}

func (s *Store) DeleteConcurrencyLimitByTag(ctx context.Context, tag string) error {
	id, err := s.lookupUnique(ctx, uniq("cl", tag), "Concurrency limit")
	if err != nil {
		return err
	}
	return s.DeleteConcurrencyLimit(ctx, id)
}

// ---- logs

// CreateLogs writes each log as an item in its flow run's collection,
// batched 25 to a request (a log batch is not atomic in 2.7 either).
func (s *Store) CreateLogs(ctx context.Context, logs []*core.Log) error {
	var its []item
	for _, l := range logs {
		it, _, err := s.newItem(ctx, pFlowRun+l.FlowRunID.String(), "L#"+ts(l.Timestamp)+"#"+l.ID.String(), tLog,
			ts(l.Timestamp)+"#"+l.ID.String(), l.ID, l)
		if err != nil {
			return err
		}
		s.stampLog(it) // retention TTL (prune.go)
		its = append(its, it)
	}
	for len(its) > 0 {
		n := min(25, len(its))
		var reqs []types.WriteRequest
		for _, it := range its[:n] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
			s.estWrite(itemSize(it), false)
			s.estGSI(it, true, false)
		}
		its = its[n:]
		if err := s.batchWrite(ctx, reqs); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) ListLogs(ctx context.Context, q *store.LogQuery) ([]*core.Log, error) {
	b := s.newBudget()
	f := q.Filter
	if err := textNeedsRun(f); err != nil {
		return nil, err
	}
	and := f != nil && !f.Operator.IsOr()
	var tb *timeFilterBounds
	if and {
		tb = bounds(f.Timestamp)
	}
	var src *source
	if and && f.FlowRunID != nil && f.FlowRunID.Any != nil && len(*f.FlowRunID.Any) <= maxFanout {
		// The runs' item collections (strongly consistent, full items);
		// ordered when there is one run (ties across runs keep the
		// filter's run order, as the unordered read does).
		src = &source{pkAttr: shared.DynamoPK, skAttr: shared.DynamoSK}
		for _, id := range *f.FlowRunID.Any {
			src.parts = append(src.parts, timeRange(part{pk: pFlowRun + id.String(), prefix: "L#"}, tb))
		}
		if len(*f.FlowRunID.Any) == 1 {
			src.order = orderTS
		}
	} else {
		src = typeSource(tLog, orderTS)
		src.parts[0] = timeRange(src.parts[0], tb)
	}
	var out []*core.Log
	desc := q.Sort == "TIMESTAMP_DESC"
	if forward, ok := src.serves(orderTS, desc); ok && (desc || q.Sort == "TIMESTAMP_ASC" || q.Sort == "") {
		byTS := func(a, c *core.Log) int { return a.Timestamp.Compare(c.Timestamp.Time) }
		logs, err := streamMatches(ctx, s, src, forward, need(q.Page), b, func(it item) (*core.Log, bool, error) {
			l, err := decode[core.Log](ctx, s, it)
			if errors.Is(err, errBlobRace) {
				return nil, false, nil // logs are never rewritten: a vanished payload is a deleted log
			}
			return l, l != nil && matchLog(l, f), err
		}, byTS)
		if err != nil {
			return nil, err
		}
		if desc { // back to write order, which the stable sort keeps for ties
			slices.Reverse(logs)
		}
		out = logs
	} else {
		its, err := s.readAll(ctx, src, b)
		if err != nil {
			return nil, err
		}
		logs, err := decodeAll[core.Log](ctx, s, its)
		if err != nil {
			return nil, err
		}
		out = logs[:0]
		for _, l := range logs {
			if matchLog(l, f) {
				out = append(out, l)
			}
		}
	}
	optID := func(id *uuid.UUID) string {
		if id == nil {
			return ""
		}
		return id.String()
	}
	// Ties keep insertion order, as SQLite's seq does: logs of one batch
	// come back in timestamp order, which is how they were sent.
	sorts := map[store.LogSort]func(a, b *core.Log) int{
		"TIMESTAMP_ASC":    func(a, b *core.Log) int { return a.Timestamp.Compare(b.Timestamp.Time) },
		"TIMESTAMP_DESC":   func(a, b *core.Log) int { return -a.Timestamp.Compare(b.Timestamp.Time) },
		"LEVEL_ASC":        func(a, b *core.Log) int { return a.Level - b.Level },
		"LEVEL_DESC":       func(a, b *core.Log) int { return b.Level - a.Level },
		"FLOW_RUN_ID_ASC":  func(a, b *core.Log) int { return strings.Compare(a.FlowRunID.String(), b.FlowRunID.String()) },
		"FLOW_RUN_ID_DESC": func(a, b *core.Log) int { return -strings.Compare(a.FlowRunID.String(), b.FlowRunID.String()) },
		"TASK_RUN_ID_ASC":  func(a, b *core.Log) int { return strings.Compare(optID(a.TaskRunID), optID(b.TaskRunID)) },
		"TASK_RUN_ID_DESC": func(a, b *core.Log) int { return -strings.Compare(optID(a.TaskRunID), optID(b.TaskRunID)) },
	}
	cmp, ok := sorts[q.Sort]
	if !ok {
		cmp = sorts["TIMESTAMP_ASC"]
	}
	sort.SliceStable(out, func(i, j int) bool {
		if c := cmp(out[i], out[j]); c != 0 {
			return c < 0
		}
		return out[i].Timestamp.Before(out[j].Timestamp.Time)
	})
	return page(out, q.Page), nil
}

func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	req := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 0; len(req) > 0; attempt++ {
		res, err := withRetry(ctx, func() (*dynamoBatchOut, error) { return s.batchWriteOnce(ctx, req) })
		if err != nil {
			return err
		}
		req = res.UnprocessedItems
		if len(req) > 0 {
			if attempt > 20 {
				return errUnprocessed
			}
			time.Sleep(time.Duration(10<<min(attempt, 6)) * time.Millisecond)
		}
	}
	return nil
}

// ---- saved searches

func (s *Store) UpsertSavedSearch(ctx context.Context, ss *core.SavedSearch) (*core.SavedSearch, bool, error) {
	for attempt := 0; attempt < 8; attempt++ {
		id, err := s.lookupUnique(ctx, uniq("ss", ss.Name), "Saved search")
		if core.IsNotFound(err) {
			it, blob, err := s.newItem(ctx, pSaved+ss.ID.String(), skSelf, tSaved, ss.ID.String(), ss.ID, ss)
			if err != nil {
				return nil, false, err
			}
			err = s.createUnique(ctx, it, blob, pSaved+ss.ID.String(), ss.ID, uniq("ss", ss.Name), "")
			if core.ErrorCode(err) == core.EConflict {
				continue
			}
			return ss, err == nil, err
		}
		if err != nil {
			return nil, false, err
		}
		cur, err := s.GetSavedSearch(ctx, id)
		if core.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		cur.Filters, cur.Updated = ss.Filters, ss.Updated
		err = s.replaceObj(ctx, pSaved+id.String(), "Saved search", func() (item, string, error) {
			return s.newItem(ctx, pSaved+id.String(), skSelf, tSaved, id.String(), id, cur)
		})
		if core.IsNotFound(err) {
			continue
		}
		return cur, false, err
	}
	return nil, false, core.Errorf(core.EConflict, "The saved search was changed concurrently too many times; try again.")
}

func (s *Store) GetSavedSearch(ctx context.Context, id uuid.UUID) (*core.SavedSearch, error) {
	ss, _, err := getObj[core.SavedSearch](ctx, s, pSaved+id.String(), "Saved search")
	return ss, err
}

func (s *Store) ListSavedSearches(ctx context.Context, p store.Page) ([]*core.SavedSearch, error) {
	its, err := s.listType(ctx, tSaved, s.newBudget())
	if err != nil {
		return nil, err
	}
	out, err := decodeAll[core.SavedSearch](ctx, s, its)
	if err != nil {
		return nil, err
	}
	sortBy(out, func(a, b *core.SavedSearch) int { return strings.Compare(a.Name, b.Name) }, func(x *core.SavedSearch) uuid.UUID { return x.ID })
	return page(out, p), nil
}

func (s *Store) DeleteSavedSearch(ctx context.Context, id uuid.UUID) error {
	ss, err := s.GetSavedSearch(ctx, id)
	if err != nil {
		return err
	}
	return s.deleteItems(ctx, []item{keyOf(pSaved+id.String(), skSelf), keyOf(uniq("ss", ss.Name), "U")})
}
