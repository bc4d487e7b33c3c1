package dynamo

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// Retention (ORRERY_RETENTION). Finished runs expire through DynamoDB's
// TTL, which deletes for free; PruneFlowRuns deletes (with write units)
// what TTL does not reach. The choices and their request-unit costs are in
// doc.go ("Retention").

// TTLGrace is how long after its TTL an item may still be there: DynamoDB
// deletes expired items "typically within a few days". The retention
// service prunes only runs that finished longer ago than retention + grace,
// so what TTL deletes for free is not deleted again with write units.
const TTLGrace = 72 * time.Hour

var _ store.Expirer = (*Store)(nil)

// SetRetention turns TTL stamps on (retention > 0) for the items written
// from now on; see store.Expirer.
func (s *Store) SetRetention(retention time.Duration) time.Duration {
	s.retention.Store(int64(retention))
	return TTLGrace
}

// expiry is the TTL value (epoch seconds) of something finished at t, or
// nil when retention is off.
func (s *Store) expiry(t time.Time) types.AttributeValue {
	r := time.Duration(s.retention.Load())
	if r <= 0 {
		return nil
	}
	return nv(t.Add(r).Unix())
}

// finishedAt is when a run in state typ finished: its end time, or its
// terminal state's time when it never started; false when it has not.
func finishedAt(typ *core.StateType, end *core.Time, st *core.State) (time.Time, bool) {
	if typ == nil || !typ.IsTerminal() {
		return time.Time{}, false
	}
	if end != nil {
		return end.Time, true
	}
	if st != nil {
		return st.Timestamp.Time, true
	}
	return time.Time{}, false
}

// stampRun gives a finished run's item its TTL, in the write that finishes
// it (so for free). An unfinished run's item has none: runUpdate REMOVEs
// the attribute, so a run that leaves a terminal state stops expiring.
func (s *Store) stampRun(it item, typ *core.StateType, end *core.Time, st *core.State) {
	if at, ok := finishedAt(typ, end, st); ok {
		if v := s.expiry(at); v != nil {
			it[shared.DynamoTTL] = v
		}
	}
}

// stampState gives a terminal state's item its TTL when it is written.
func (s *Store) stampState(it item, st *core.State) {
	if st != nil && st.Type.IsTerminal() {
		if v := s.expiry(st.Timestamp.Time); v != nil {
			it[shared.DynamoTTL] = v
		}
	}
}

// stampLog gives a log item its TTL when it is written: retention after
// the write, whatever the run does next (a log is never rewritten, and
// stamping logs later would cost a write each).
func (s *Store) stampLog(it item) {
	if v := s.expiry(time.Now()); v != nil {
		it[shared.DynamoTTL] = v
	}
}

// afterFlowRunCommit runs after a flow-run transition: when it finished
// the run (with retention on), the items written before — the run's
// earlier states and its task runs that never finished, with their states
// — get the run's TTL. If that fails the run's own TTL is removed, so the
// run is left whole for PruneFlowRuns instead of leaving orphans behind.
func (s *Store) afterFlowRunCommit(ctx context.Context, t *store.FlowRunTransition, errp *error) {
	r := t.Run
	at, ok := finishedAt(r.StateType, r.EndTime, r.State)
	if *errp != nil || !t.AppendState || !ok || s.expiry(at) == nil {
		return
	}
	ttl := s.expiry(at)
	pk := pFlowRun + r.ID.String()
	err := s.expireHistory(ctx, pk, pFlowRunState, r.State.ID, ttl)
	if err == nil {
		err = s.expireUnfinishedTasks(ctx, pk, ttl)
	}
	if err != nil {
		s.unstamp(ctx, pk, r.Version)
	}
}

// afterTaskRunCommit gives a task run's earlier states its TTL when a
// transition finished it (its own item and new state got theirs in the
// transition's writes).
func (s *Store) afterTaskRunCommit(ctx context.Context, t *store.TaskRunTransition, errp *error) {
	r := t.Run
	at, ok := finishedAt(r.StateType, r.EndTime, r.State)
	if *errp != nil || !t.AppendState || !ok || s.expiry(at) == nil {
		return
	}
	pk := pTaskRun + r.ID.String()
	if err := s.expireHistory(ctx, pk, pTaskRunState, r.State.ID, s.expiry(at)); err != nil {
		s.unstamp(ctx, pk, r.Version)
	}
}

// expireHistory sets ttl on the state items the run at pk lists, except
// skip (the new terminal state, stamped when written). A state that
// already expires keeps its own time.
func (s *Store) expireHistory(ctx context.Context, pk, prefix string, skip uuid.UUID, ttl types.AttributeValue) error {
	run, err := s.getItem(ctx, pk, skSelf, true)
	if err != nil || run == nil {
		return err
	}
	for _, id := range history(run) {
		if id == skip {
			continue
		}
		if _, err := s.setTTL(ctx, prefix+id.String(), ttl); err != nil {
			return err
		}
	}
	return nil
}

// expireUnfinishedTasks sets ttl on the task runs of the flow run at pk
// that carry none (they never finished: a finished one was stamped by its
// own transition) and on their states.
func (s *Store) expireUnfinishedTasks(ctx context.Context, pk string, ttl types.AttributeValue) error {
	keys, err := s.queryIndex(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pk, "", nil)
	if err != nil || len(keys) == 0 {
		return err
	}
	tasks, err := s.batchGet(ctx, keys)
	if err != nil {
		return err
	}
	for _, tr := range tasks {
		if _, has := tr[shared.DynamoTTL]; has || getS(tr, shared.DynamoSK) != skSelf {
			continue
		}
		found, err := s.setTTL(ctx, getS(tr, shared.DynamoPK), ttl)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		for _, id := range history(tr) {
			if _, err := s.setTTL(ctx, pTaskRunState+id.String(), ttl); err != nil {
				return err
			}
		}
	}
	return nil
}

// setTTL sets the TTL of an existing item (sk "#") unless it has one: one
// UpdateItem, 1 WCU for items under 1 KB. It reports whether the item
// exists.
func (s *Store) setTTL(ctx context.Context, pk string, ttl types.AttributeValue) (bool, error) {
	out, err := withRetry(ctx, func() (*dynamodb.UpdateItemOutput, error) {
		return s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyOf(pk, skSelf),
			UpdateExpression:          aws.String("SET #t = if_not_exists(#t, :t)"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeNames:  map[string]string{"#t": shared.DynamoTTL},
			ExpressionAttributeValues: item{":t": ttl}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	})
	s.estWrite(1, false)
	if isCondFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.account(true, out.ConsumedCapacity)
	return true, nil
}

// unstamp removes the TTL of the run at pk if it is still at version v
// (best effort: the run stays whole for PruneFlowRuns).
func (s *Store) unstamp(ctx context.Context, pk string, v int64) {
	_, _ = withRetry(ctx, func() (*dynamodb.UpdateItemOutput, error) {
		return s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyOf(pk, skSelf),
			UpdateExpression:          aws.String("REMOVE #t"),
			ConditionExpression:       aws.String("#ver = :v"),
			ExpressionAttributeNames:  map[string]string{"#t": shared.DynamoTTL, "#ver": attrVersion},
			ExpressionAttributeValues: item{":v": nv(v)}})
	})
	s.estWrite(1, false)
}

// PruneFlowRuns implements store.RetentionStore with write units: for
// `orrery database prune`, tables written before retention was set, and
// runs TTL has not reached within TTLGrace. Candidates come from the state
// index's terminal partitions, ordered by expected start, up to the cutoff
// (a run cannot end before its expected start unless it never started, and
// such a run is found once its expected start passes the cutoff too); each
// is checked by its end time (or terminal state's time) in Go.
func (s *Store) PruneFlowRuns(ctx context.Context, p *store.PruneParams) (*store.PruneResult, error) {
	if p.Limit <= 0 {
		return nil, core.Errorf(core.EBadRequest, "prune limit must be positive, got %d", p.Limit)
	}
	runs, err := s.pruneCandidates(ctx, p.Before, p.Limit)
	if err != nil {
		return nil, err
	}
	res := &store.PruneResult{}
	var policies []*core.FlowRunNotificationPolicy
	if len(runs) > 0 {
		if policies, err = s.ListNotificationPolicies(ctx, &store.NotificationPolicyQuery{}); err != nil {
			return nil, err
		}
	}
	for _, r := range runs {
		its, n, err := s.runTree(ctx, r, policies)
		if err != nil {
			return nil, err
		}
		if !p.DryRun {
			// Payloads go after their items (the caller deletes
			// ResultKeys), so no item ever points at a missing payload.
			for _, it := range its {
				if key := getS(it, attrBlob); key != "" {
					n.ResultKeys = append(n.ResultKeys, key)
					delete(it, attrBlob)
				}
			}
			if err := s.deleteItems(ctx, its); err != nil {
				return nil, err
			}
			s.blobKeys.Delete(pFlowRun + r.ID.String())
		} else {
			for _, it := range its {
				if key := getS(it, attrBlob); key != "" {
					n.ResultKeys = append(n.ResultKeys, key)
				}
			}
		}
		res.Add(n)
	}
	return res, nil
}

// pruneCandidates returns up to limit finished flow runs that ended before
// the cutoff, oldest expected start first.
func (s *Store) pruneCandidates(ctx context.Context, before time.Time, limit int) ([]*core.FlowRun, error) {
	var out []*core.FlowRun
	for _, typ := range store.TerminalStates() {
		in := &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(shared.DynamoGSIState),
			KeyConditionExpression:    aws.String("#p = :p AND #s < :before"),
			ExpressionAttributeNames:  map[string]string{"#p": shared.DynamoG4PK, "#s": shared.DynamoG4SK},
			ExpressionAttributeValues: item{":p": sv("ST#" + string(typ)), ":before": sv(ts(core.T(before)))},
			Limit:                     aws.Int32(int32(min(max(limit, 25), 1000))), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
		for len(out) < limit {
			page, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, in) })
			if err != nil {
				return nil, err
			}
			s.account(false, page.ConsumedCapacity)
			s.estRead(itemsSize(page.Items), false)
			its, err := s.batchGet(ctx, page.Items)
			if err != nil {
				return nil, err
			}
			for _, it := range its {
				r, err := s.flowRunFrom(ctx, it)
				if err != nil {
					return nil, err
				}
				if at, ok := finishedAt(r.StateType, r.EndTime, r.State); ok && at.Before(before) && len(out) < limit {
					out = append(out, r)
				}
			}
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	return out, nil
}

// runTree reads every item of flow run r — task runs (with their states,
// unique items and cache entries), logs, states, queued notifications,
// its unique item — in
// delete order (the run's own item last, so a pass cut short leaves a run
// that the next pass finds again), with the counts PruneFlowRuns reports.
func (s *Store) runTree(ctx context.Context, r *core.FlowRun, policies []*core.FlowRunNotificationPolicy) ([]item, *store.PruneResult, error) {
	pk := pFlowRun + r.ID.String()
	n := &store.PruneResult{FlowRuns: 1}
	var its []item
	tasks, err := s.queryIndex(ctx, shared.DynamoGSIParent, shared.DynamoG2PK, shared.DynamoG2SK, pk, "", nil)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range tasks {
		tpk := getS(k, shared.DynamoPK)
		own, err := s.queryPK(ctx, tpk, "", true, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, it := range own {
			if getS(it, shared.DynamoSK) != skSelf {
				continue
			}
			n.TaskRuns++
			states, err := s.historyItems(ctx, it, pTaskRunState)
			if err != nil {
				return nil, nil, err
			}
			n.States += len(states)
			its = append(its, states...)
			if tr, err := decode[core.TaskRun](ctx, s, it); err == nil {
				its = append(its, keyOf(taskKey(tr), "U"))
			}
			its = append(its, s.cacheEntriesOf(ctx, states)...)
		}
		its = append(its, own...)
	}
	own, err := s.queryPK(ctx, pk, "", true, nil)
	if err != nil {
		return nil, nil, err
	}
	var self item
	for _, it := range own {
		if getS(it, shared.DynamoSK) == skSelf {
			self = it
			continue
		}
		if strings.HasPrefix(getS(it, shared.DynamoSK), "L#") {
			n.Logs++
		}
		its = append(its, it)
	}
	if self != nil {
		states, err := s.historyItems(ctx, self, pFlowRunState)
		if err != nil {
			return nil, nil, err
		}
		n.States += len(states)
		its = append(its, states...)
		queued, err := s.notificationsOf(ctx, states, policies)
		if err != nil {
			return nil, nil, err
		}
		its = append(its, queued...)
	}
	if r.IdempotencyKey != nil {
		its = append(its, keyOf(idempotencyPK(r), "U"))
	}
	if self != nil {
		its = append(its, self)
	}
	return its, n, nil
}

// cacheEntriesOf returns the keys of the cache entries states may have
// written: a state that carries a cache key was recorded under
// C#<key> / <timestamp>#<state id> (CommitTaskRunTransition). Deleting a
// key that holds nothing is harmless.
func (s *Store) cacheEntriesOf(ctx context.Context, states []item) []item {
	var out []item
	for _, it := range states {
		st, err := decode[core.State](ctx, s, it)
		if err != nil || st.StateDetails.CacheKey == nil || *st.StateDetails.CacheKey == "" || st.Type != core.Completed {
			continue
		}
		out = append(out, keyOf(pCache+*st.StateDetails.CacheKey, ts(st.Timestamp)+"#"+st.ID.String()))
	}
	return out
}

// notificationsOf returns the queued notifications of a run's states. A
// notification's id is a function of (policy, state), so they are read by
// key — one strongly consistent read per existing policy and state, no
// index — and only those found are deleted. (Notifications of a policy
// deleted since stay; they are small and listed by time.)
func (s *Store) notificationsOf(ctx context.Context, states []item, policies []*core.FlowRunNotificationPolicy) ([]item, error) {
	var keys []item
	for _, st := range states {
		id, err := uuid.Parse(strings.TrimPrefix(getS(st, shared.DynamoPK), pFlowRunState))
		if err != nil {
			continue
		}
		for _, p := range policies {
			keys = append(keys, keyOf(pNotification+core.NotificationID(p.ID, id).String(), skSelf))
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return s.batchGet(ctx, keys)
}
