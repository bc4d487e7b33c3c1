package dynamo

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
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

// Notification policies and the notification queue (see the item table
// and "Notifications" in doc.go).
const (
	// pkPolicies is the one item holding every policy: the orchestrator
	// reads all policies on each state-appending flow-run transition, and
	// one strongly consistent GetItem (1 RCU up to 4 KB, ~12 policies) is
	// both the cheapest such read and one that never misses a policy
	// created a moment ago (an index query would be eventually consistent).
	pkPolicies   = "NP"
	attrPolicies = "p" // M: policy id -> JSON document

	pNotification = "NT#"
	tNotification = "notification"
	// gPending is the state-index partition of pending notifications,
	// sorted by the time each can next be claimed: its next attempt, or the
	// end of its lease while leased. Delivered and failed ones leave it.
	gPending = "NQ"
)

const policyWhat = "Flow run notification policy"

// maxTxNotifications is how many notifications share a transition's
// transaction with the run and its state (DynamoDB's limit is 100 items).
const maxTxNotifications = 98

// readPolicies returns the registry's policies by id and its version (0
// when the item does not exist yet).
func (s *Store) readPolicies(ctx context.Context) (map[string]*core.FlowRunNotificationPolicy, int64, error) {
	it, err := s.getItem(ctx, pkPolicies, skSelf, true)
	if err != nil || it == nil {
		return map[string]*core.FlowRunNotificationPolicy{}, 0, err
	}
	ver, _ := getN(it, attrSlotVer)
	out := map[string]*core.FlowRunNotificationPolicy{}
	if m, ok := it[attrPolicies].(*types.AttributeValueMemberM); ok {
		for id, v := range m.Value {
			sv, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			p := &core.FlowRunNotificationPolicy{}
			if err := json.Unmarshal([]byte(sv.Value), p); err != nil {
				return nil, 0, err
			}
			out[id] = p
		}
	}
	return out, ver, nil
}

// changePolicies reads the registry, applies change and writes it back on
// condition that nobody else wrote it meanwhile (retried otherwise).
// attrWriter holds the token of the registry's last writer.
const attrWriter = "w"

func (s *Store) changePolicies(ctx context.Context, change func(map[string]*core.FlowRunNotificationPolicy) error) error {
	for attempt := 0; attempt < 20; attempt++ {
		ps, ver, err := s.readPolicies(ctx)
		if err != nil {
			return err
		}
		if err := change(ps); err != nil {
			return err
		}
		m := make(item, len(ps))
		for id, p := range ps {
			doc, err := json.Marshal(p)
			if err != nil {
				return err
			}
			m[id] = sv(string(doc))
		}
		it := keyOf(pkPolicies, skSelf)
		it[attrPolicies] = &types.AttributeValueMemberM{Value: m}
		it[attrSlotVer] = nv(ver + 1)
		// The writer's token tells this call's own write from another's
		// when the condition fails on a retry: the SDK resends a put whose
		// answer was lost, and the resent put finds the version it wrote.
		token := uuid.NewString()
		it[attrWriter] = sv(token)
		cond, vals := "attribute_not_exists(pk)", item(nil)
		if ver > 0 {
			cond, vals = "sv = :v", item{":v": nv(ver)}
		}
		err = s.putItem(ctx, it, cond, vals)
		if isCondFailed(err) {
			if cur, rerr := s.getItem(ctx, pkPolicies, skSelf, true); rerr == nil && cur != nil && getS(cur, attrWriter) == token {
				return nil // it landed
			}
			continue
		}
		return err
	}
	return core.Errorf(core.EConflict, "The notification policies were changed concurrently too many times; try again.")
}

func (s *Store) CreateNotificationPolicy(ctx context.Context, p *core.FlowRunNotificationPolicy) (*core.FlowRunNotificationPolicy, error) {
	err := s.changePolicies(ctx, func(ps map[string]*core.FlowRunNotificationPolicy) error {
		if _, ok := ps[p.ID.String()]; ok {
			return core.Errorf(core.EConflict, "flow run notification policy %s already exists", p.ID)
		}
		ps[p.ID.String()] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Store) GetNotificationPolicy(ctx context.Context, id uuid.UUID) (*core.FlowRunNotificationPolicy, error) {
	ps, _, err := s.readPolicies(ctx)
	if err != nil {
		return nil, err
	}
	p, ok := ps[id.String()]
	if !ok {
		return nil, notFound(policyWhat)
	}
	return p, nil
}

func (s *Store) UpdateNotificationPolicy(ctx context.Context, id uuid.UUID, u *store.NotificationPolicyUpdate, now time.Time) error {
	return s.changePolicies(ctx, func(ps map[string]*core.FlowRunNotificationPolicy) error {
		p, ok := ps[id.String()]
		if !ok {
			return notFound(policyWhat)
		}
		u.Apply(p, now)
		return nil
	})
}

func (s *Store) DeleteNotificationPolicy(ctx context.Context, id uuid.UUID) error {
	return s.changePolicies(ctx, func(ps map[string]*core.FlowRunNotificationPolicy) error {
		if _, ok := ps[id.String()]; !ok {
			return notFound(policyWhat)
		}
		delete(ps, id.String())
		return nil
	})
}

// dropPoliciesOfBlock deletes the policies delivering through block
// document id; it writes only when there is one.
func (s *Store) dropPoliciesOfBlock(ctx context.Context, id uuid.UUID) error {
	ps, _, err := s.readPolicies(ctx)
	if err != nil {
		return err
	}
	uses := func(_ string, p *core.FlowRunNotificationPolicy) bool { return p.BlockDocumentID == id }
	found := false
	for k, p := range ps {
		found = found || uses(k, p)
	}
	if !found {
		return nil
	}
	return s.changePolicies(ctx, func(ps map[string]*core.FlowRunNotificationPolicy) error {
		maps.DeleteFunc(ps, uses)
		return nil
	})
}

func (s *Store) ListNotificationPolicies(ctx context.Context, q *store.NotificationPolicyQuery) ([]*core.FlowRunNotificationPolicy, error) {
	ps, _, err := s.readPolicies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*core.FlowRunNotificationPolicy, 0, len(ps))
	for _, p := range ps {
		if q.IsActive == nil || p.IsActive == *q.IsActive {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *core.FlowRunNotificationPolicy) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return page(out, q.Page), nil
}

// notificationItem is the item of n: its document inline (~0.6 KB), the
// type partition by creation, and the pending partition while pending.
// With retention set it carries a TTL of its creation plus the retention,
// set in the writes that happen anyway: a notification is delivered or
// given up within hours, and its run expires about then too.
func (s *Store) notificationItem(n *core.Notification) (item, error) {
	doc, err := store.MarshalNotification(n)
	if err != nil {
		return nil, err
	}
	id := n.ID.String()
	it := keyOf(pNotification+id, skSelf)
	it[shared.DynamoG1PK], it[shared.DynamoG1SK] = sv(tNotification), sv(ts(n.Created)+"#"+id)
	if n.Status == core.NotificationPending {
		due := n.NextAttemptAt
		if n.LeaseUntil != nil && n.LeaseUntil.After(due.Time) {
			due = *n.LeaseUntil
		}
		it[shared.DynamoG4PK], it[shared.DynamoG4SK] = sv(gPending), sv(ts(due)+"#"+id)
	}
	it[attrDoc] = sv(string(doc))
	if v := s.expiry(n.Created.Time); v != nil {
		it[shared.DynamoTTL] = v
	}
	return it, nil
}

// commitFlowRunWithNotifications is CommitFlowRunTransition for a
// transition that queues notifications: ONE TransactWriteItems of the run's
// version-conditioned update, the new state's put and a put per
// notification conditioned on attribute_not_exists. A failed condition
// cancels the whole transaction, so the reasons decide: the run's is a
// version conflict (or not found); a notification's means that (policy,
// state) is queued already — it is dropped and the transaction retried,
// so a duplicate never costs the transition; the state's means its id was
// reused (as commitPlain, the run still lists it).
func (s *Store) commitFlowRunWithNotifications(ctx context.Context, t *store.FlowRunTransition, it item, blob string, st *core.State) error {
	pk := getS(it, shared.DynamoPK)
	var appended *uuid.UUID
	var stateW *types.TransactWriteItem
	sblob := ""
	if st != nil {
		sit, b, err := s.stateItem(ctx, pFlowRunState, pk, st)
		if err != nil {
			s.dropBlob(ctx, blob)
			return err
		}
		sblob = b
		w := s.txPut(sit, "attribute_not_exists(pk)", nil)
		stateW = &w
		id := st.ID
		appended = &id
	}
	ns := make([]types.TransactWriteItem, 0, len(t.Notifications))
	seen := map[uuid.UUID]bool{}
	for _, n := range t.Notifications {
		n.ID = core.NotificationID(n.PolicyID, n.StateID)
		if seen[n.ID] {
			continue // one transaction may not touch an item twice
		}
		seen[n.ID] = true
		nit, err := s.notificationItem(n)
		if err != nil {
			s.dropBlob(ctx, blob)
			s.dropBlob(ctx, sblob)
			return err
		}
		ns = append(ns, s.txPut(nit, "attribute_not_exists(pk)", nil))
	}
	// A transaction holds at most 100 items: notifications past that
	// follow in plain conditional puts once it has committed (queued
	// unless the process dies in between).
	var overflow []types.TransactWriteItem
	if len(ns) > maxTxNotifications {
		ns, overflow = ns[:maxTxNotifications], ns[maxTxNotifications:]
	}
	for attempt := 0; ; attempt++ {
		ws := []types.TransactWriteItem{txUpdateRun(s.table, it, t.ExpectedVersion, appended)}
		first := 1
		if stateW != nil {
			ws = append(ws, *stateW)
			first = 2
		}
		ws = append(ws, ns...)
		err := s.transact(ctx, ws)
		if err == nil {
			s.replacedBlob(ctx, pk, blob)
			t.Run.Version = t.ExpectedVersion + 1
			for _, w := range overflow {
				if err := s.putItem(ctx, w.Put.Item, "attribute_not_exists(pk)", nil); err != nil && !isCondFailed(err) {
					return err
				}
			}
			return nil
		}
		if failedAt(err, 0) || !anyFailed(err) || attempt >= len(t.Notifications)+1 {
			s.dropBlob(ctx, blob)
			s.dropBlob(ctx, sblob)
			if !failedAt(err, 0) {
				if anyFailed(err) {
					return store.ErrVersionConflict
				}
				return err
			}
			cur, gerr := s.getItem(ctx, pk, skSelf, true)
			if gerr != nil {
				return gerr
			}
			if cur == nil {
				return notFound("Flow run")
			}
			return store.ErrVersionConflict
		}
		if stateW != nil && failedAt(err, 1) {
			stateW = nil // a reused state id: not ours to overwrite
		}
		kept := ns[:0]
		for i, w := range ns {
			if !failedAt(err, first+i) {
				kept = append(kept, w)
			}
		}
		ns = kept
	}
}

// ClaimNotifications reads the due keys of the pending partition (keys
// only, eventually consistent), then the items (strongly consistent), and
// leases each claimable one with a put conditioned on its document being
// the one read: of two claimers only one such put succeeds, and the loser
// skips the notification. The lease moves the item's pending key to the
// lease's end, so a leased notification leaves the due range until then.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*core.Notification, error) {
	if limit <= 0 {
		return []*core.Notification{}, nil
	}
	hi := ts(core.T(now.Add(time.Microsecond)))
	in := &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(shared.DynamoGSIState),
		KeyConditionExpression:    aws.String("#p = :pk AND #s < :hi"),
		ExpressionAttributeNames:  map[string]string{"#p": shared.DynamoG4PK, "#s": shared.DynamoG4SK},
		ExpressionAttributeValues: item{":pk": sv(gPending), ":hi": sv(hi)}, Limit: aws.Int32(int32(min(limit, 1000))),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	out, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, in) })
	if err != nil {
		return nil, err
	}
	s.account(false, out.ConsumedCapacity)
	s.estRead(itemsSize(out.Items), false)
	keys := make([]item, 0, len(out.Items))
	for _, k := range out.Items {
		keys = append(keys, keyOf(getS(k, shared.DynamoPK), skSelf))
	}
	its, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	claimed := []*core.Notification{}
	for _, it := range its {
		n, err := store.UnmarshalNotification([]byte(getS(it, attrDoc)))
		if err != nil {
			return nil, err
		}
		if !store.Claimable(n, now) {
			continue
		}
		store.ApplyClaim(n, now, lease)
		nit, err := s.notificationItem(n)
		if err != nil {
			return nil, err
		}
		err = s.putItem(ctx, nit, "d = :old", item{":old": it[attrDoc]})
		if isCondFailed(err) {
			continue // another claimer (or a completion) got there first
		}
		if err != nil {
			return nil, err
		}
		claimed = append(claimed, n)
	}
	slices.SortFunc(claimed, func(a, b *core.Notification) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return claimed, nil
}

// updateNotification reads, changes and writes back one notification,
// conditioned on the document read (retried when another writer won).
func (s *Store) updateNotification(ctx context.Context, id uuid.UUID, change func(*core.Notification)) error {
	for attempt := 0; attempt < 10; attempt++ {
		it, err := s.getItem(ctx, pNotification+id.String(), skSelf, true)
		if err != nil {
			return err
		}
		if it == nil {
			return notFound("Notification")
		}
		n, err := store.UnmarshalNotification([]byte(getS(it, attrDoc)))
		if err != nil {
			return err
		}
		change(n)
		nit, err := s.notificationItem(n)
		if err != nil {
			return err
		}
		err = s.putItem(ctx, nit, "d = :old", item{":old": it[attrDoc]})
		if isCondFailed(err) {
			continue
		}
		return err
	}
	return core.Errorf(core.EConflict, "Notification %s was changed concurrently too many times; try again.", id)
}

func (s *Store) CompleteNotification(ctx context.Context, id uuid.UUID, now time.Time) error {
	return s.updateNotification(ctx, id, func(n *core.Notification) { store.ApplyComplete(n, now) })
}

func (s *Store) FailNotification(ctx context.Context, id uuid.UUID, errText string, next time.Time, giveUp bool, now time.Time) error {
	return s.updateNotification(ctx, id, func(n *core.Notification) { store.ApplyFail(n, errText, next, giveUp, now) })
}

// ListNotifications reads the notification type partition (bounded by the
// scan cap) and filters in Go: it serves the API's failure view, not a hot
// path.
func (s *Store) ListNotifications(ctx context.Context, q *store.NotificationQuery) ([]*core.Notification, error) {
	its, err := s.listType(ctx, tNotification, s.newBudget())
	if err != nil {
		return nil, err
	}
	out := make([]*core.Notification, 0, len(its))
	for _, it := range its {
		n, err := store.UnmarshalNotification([]byte(getS(it, attrDoc)))
		if err != nil {
			return nil, err
		}
		if q.Matches(n) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *core.Notification) int {
		if c := b.Created.Compare(a.Created.Time); c != 0 {
			return c
		}
		return strings.Compare(b.ID.String(), a.ID.String())
	})
	return page(out, q.Page), nil
}
