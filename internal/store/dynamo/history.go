package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// State histories. A state is its own item, keyed by its id (FS#<id> for
// flow-run states, TS#<id> for task-run states), with "r" naming its run;
// the run item holds the ordered list of its state ids in "hs" (a list of
// 16-byte binary ids, in write order). A transition without side effects
// writes the new state item first (a key nothing references yet), then the
// run, version-conditioned, appending the id: readers reach a state only
// through a run that lists it, so they never see half a transition. See
// doc.go.

const (
	pFlowRunState = "FS#"
	pTaskRunState = "TS#"

	attrHistory = "hs" // L of B: the run's state ids, in write order
	attrRun     = "r"  // S: the pk of a state item's run
)

// stateItem is the item of state st of the run at runPK.
func (s *Store) stateItem(ctx context.Context, prefix, runPK string, st *core.State) (item, string, error) {
	kind := tFlowRunState
	if prefix == pTaskRunState {
		kind = tTaskRunState
	}
	it, blob, err := s.newItem(ctx, prefix+st.ID.String(), skSelf, kind, "", st.ID, st)
	if err != nil {
		return nil, "", err
	}
	delete(it, shared.DynamoG1PK) // reached by key only
	delete(it, shared.DynamoG1SK)
	it[attrRun] = sv(runPK)
	s.stampState(it, st) // retention TTL (prune.go)
	return it, blob, nil
}

func histEntry(id uuid.UUID) types.AttributeValue {
	b := make([]byte, 16)
	copy(b, id[:])
	return &types.AttributeValueMemberB{Value: b}
}

// history returns the state ids a run item lists, in write order.
func history(it item) []uuid.UUID {
	l, ok := it[attrHistory].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]uuid.UUID, 0, len(l.Value))
	for _, v := range l.Value {
		if b, ok := v.(*types.AttributeValueMemberB); ok {
			if id, err := uuid.FromBytes(b.Value); err == nil {
				out = append(out, id)
			}
		}
	}
	return out
}

// optionalRunAttrs are the run-item attributes a rewrite may drop.
var optionalRunAttrs = []string{attrDoc, attrZDoc, attrBlob, shared.DynamoG3PK, shared.DynamoG3SK,
	shared.DynamoG4PK, shared.DynamoG4SK, shared.DynamoG5PK, shared.DynamoG5SK, shared.DynamoTTL}

// runUpdate builds the UpdateItem that rewrites a run item as it (keeping
// its history) on condition v = expected, appending the state id appended
// (if any) to the history.
func runUpdate(it item, expected int64, appended *uuid.UUID) (key item, expr string, names map[string]string, values item) {
	key = keyOf(getS(it, shared.DynamoPK), getS(it, shared.DynamoSK))
	names, values = map[string]string{"#ver": attrVersion}, item{":expected": nv(expected)}
	attrs := make([]string, 0, len(it))
	for k := range it {
		if k != shared.DynamoPK && k != shared.DynamoSK {
			attrs = append(attrs, k)
		}
	}
	sort.Strings(attrs)
	var set, remove string
	for i, k := range attrs {
		n, v := "#a"+strconv.Itoa(i), ":a"+strconv.Itoa(i)
		if k == attrVersion {
			n = "#ver" // one placeholder per attribute across update and condition
		}
		names[n], values[v] = k, it[k]
		if set != "" {
			set += ", "
		}
		set += n + " = " + v
	}
	if appended != nil {
		names["#hs"] = attrHistory
		values[":hs"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{histEntry(*appended)}}
		values[":none"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{}}
		set += ", #hs = list_append(if_not_exists(#hs, :none), :hs)"
	}
	for i, k := range optionalRunAttrs {
		if _, ok := it[k]; !ok {
			n := "#r" + strconv.Itoa(i)
			names[n] = k
			if remove != "" {
				remove += ", "
			}
			remove += n
		}
	}
	expr = "SET " + set
	if remove != "" {
		expr += " REMOVE " + remove
	}
	return key, expr, names, values
}

func txUpdateRun(table string, it item, expected int64, appended *uuid.UUID) types.TransactWriteItem {
	key, expr, names, values := runUpdate(it, expected, appended)
	return types.TransactWriteItem{Update: &types.Update{TableName: &table, Key: key, UpdateExpression: &expr,
		ConditionExpression: aws.String("#ver = :expected"), ExpressionAttributeNames: names, ExpressionAttributeValues: values}}
}

// updateRun is the plain version-conditioned UpdateItem of a run item.
func (s *Store) updateRun(ctx context.Context, it item, expected int64, appended *uuid.UUID) error {
	key, expr, names, values := runUpdate(it, expected, appended)
	in := &dynamodb.UpdateItemInput{TableName: &s.table, Key: key, UpdateExpression: &expr,
		ConditionExpression: aws.String("#ver = :expected"), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		// The new image costs no capacity and sizes the write estimate.
		ReturnValues: types.ReturnValueAllNew, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	out, err := withRetry(ctx, func() (*dynamodb.UpdateItemOutput, error) { return s.db.UpdateItem(ctx, in) })
	if err != nil {
		s.estWrite(itemSize(it), false)
		return err
	}
	// An update costs by the larger of the old and new images; the new one
	// is the larger (same attributes, one more history entry).
	s.estWrite(itemSize(out.Attributes), false)
	s.estGSI(it, false, false)
	s.account(true, out.ConsumedCapacity)
	return nil
}

// commitPlain writes a transition without side effects: the new state item
// (if any) with a plain PutItem under its fresh key, then the run's
// version-conditioned update appending it. On a lost race the state, which
// nothing references, is deleted best-effort; a crash between the two
// writes leaves it as an invisible orphan.
func (s *Store) commitPlain(ctx context.Context, it item, blob string, expected int64, statePrefix string, st *core.State, what string) error {
	pk := getS(it, shared.DynamoPK)
	var appended *uuid.UUID
	created := false
	var stKey, sblob string
	if st != nil {
		sit, b, err := s.stateItem(ctx, statePrefix, pk, st)
		if err != nil {
			s.dropBlob(ctx, blob)
			return err
		}
		sblob, stKey = b, statePrefix+st.ID.String()
		// The condition only guards a (caller-)reused state id: such a
		// state is not ours to delete on a lost race.
		err = s.putItem(ctx, sit, "attribute_not_exists(pk)", nil)
		switch {
		case err == nil:
			created = true
		case isCondFailed(err):
			s.dropBlob(ctx, sblob)
			sblob = ""
		default:
			s.dropBlob(ctx, blob)
			s.dropBlob(ctx, sblob)
			return err
		}
		id := st.ID
		appended = &id
	}
	err := s.updateRun(ctx, it, expected, appended)
	if err == nil {
		s.replacedBlob(ctx, pk, blob)
		return nil
	}
	if !isCondFailed(err) {
		s.dropBlob(ctx, blob)
		return err // the update may have happened: keep the state
	}
	s.dropBlob(ctx, blob)
	if created {
		_, _ = s.deleteItem(ctx, stKey, skSelf) // deletes its payload too
	}
	cur, gerr := s.getItem(ctx, pk, skSelf, true)
	if gerr != nil {
		return gerr
	}
	if cur == nil {
		return notFound(what)
	}
	return store.ErrVersionConflict
}

// historyItems reads the state items a run item lists (in any order).
func (s *Store) historyItems(ctx context.Context, run item, prefix string) ([]item, error) {
	ids := history(run)
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]item, len(ids))
	for i, id := range ids {
		keys[i] = keyOf(prefix+id.String(), skSelf)
	}
	return s.batchGet(ctx, keys)
}

// listStates returns a run's history: the states its item lists, ordered
// by timestamp, ties in write order.
func (s *Store) listStates(ctx context.Context, runPK, prefix string) ([]*core.State, error) {
	for attempt := 0; ; attempt++ {
		run, err := s.getItem(ctx, runPK, skSelf, true)
		if err != nil || run == nil {
			return []*core.State{}, err
		}
		its, err := s.historyItems(ctx, run, prefix)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*core.State, len(its))
		raced := false
		for _, it := range its {
			st, err := decode[core.State](ctx, s, it)
			if errors.Is(err, errBlobRace) {
				raced = true
				continue
			}
			if err != nil {
				return nil, err
			}
			byID[getS(it, shared.DynamoPK)] = st
		}
		if raced && attempt < 5 {
			continue // the run was deleted meanwhile: read again
		}
		out := make([]*core.State, 0, len(its))
		for _, id := range history(run) {
			if st, ok := byID[prefix+id.String()]; ok {
				out = append(out, st)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp.Before(out[j].Timestamp.Time) })
		return out, nil
	}
}

// getState reads a state by id; it exists only once its run lists it.
func (s *Store) getState(ctx context.Context, prefix string, id uuid.UUID, what string) (*core.State, error) {
	it, err := s.getItem(ctx, prefix+id.String(), skSelf, true)
	if err != nil {
		return nil, err
	}
	if it == nil {
		return nil, notFound(what)
	}
	if getS(it, attrRun) == "" {
		return nil, notFound(what)
	}
	run, err := s.getItem(ctx, getS(it, attrRun), skSelf, true)
	if err != nil {
		return nil, err
	}
	listed := false
	for _, h := range history(run) {
		listed = listed || h == id
	}
	if !listed {
		return nil, notFound(what) // written by a transition that lost its race (or not yet committed)
	}
	st, err := decode[core.State](ctx, s, it)
	if errors.Is(err, errBlobRace) {
		return nil, notFound(what)
	}
	return st, err
}

// deleteRunItems deletes a run's own item collection (the run, and logs
// for a flow run), its states and extra items.
func (s *Store) deleteRunItems(ctx context.Context, pk, statePrefix string, extra ...item) error {
	its, err := s.queryPK(ctx, pk, "", true, nil)
	if err != nil {
		return err
	}
	for _, it := range its {
		if getS(it, shared.DynamoSK) != skSelf {
			continue
		}
		states, err := s.historyItems(ctx, it, statePrefix)
		if err != nil {
			return fmt.Errorf("dynamodb: reading the states of %s: %w", pk, err)
		}
		its = append(its, states...)
	}
	s.blobKeys.Delete(pk)
	return s.deleteItems(ctx, append(its, extra...))
}
