package dynamo

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/shared"
)

// item is one DynamoDB item.
type item = map[string]types.AttributeValue

// Item attributes besides the shared key attributes.
const (
	attrDoc     = "d"  // S: the object's JSON document
	attrBlob    = "b"  // S: results.Store key of the document when offloaded
	attrVersion = "v"  // N: run version (compare-and-set)
	attrID      = "id" // S: the owner id of a unique item
	attrData    = "x"  // B: opaque bytes (block document data)
	attrExp     = "e"  // N: cache expiration, unix microseconds
	attrHolders = "h"  // M: slot holders, task run id -> acquired (unix micros)
	attrSlotVer = "sv" // N: slot-set version
	attrZDoc    = "z"  // B: the JSON document, DEFLATE-compressed
)

// compressAbove is the document size past which documents are stored
// DEFLATE-compressed: a task run's ~1.2 KB JSON shrinks to ~0.6 KB, which
// halves its write units (1 WCU per started KB).
const compressAbove = 384

const skSelf = "#" // sort key of an object's own item

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func keyOf(pk, sk string) item { return item{shared.DynamoPK: sv(pk), shared.DynamoSK: sv(sk)} }

func getS(it item, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(it item, name string) (int64, bool) {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		n, err := strconv.ParseInt(v.Value, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// attrSize is an attribute value's billable size.
func attrSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(strings.TrimLeft(v.Value, "-0"))/2 + 1
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + attrSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += attrSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	}
	return 1
}

// itemSize is an item's billable size: attribute names plus values.
func itemSize(it item) int {
	n := 0
	for k, v := range it {
		n += len(k) + attrSize(v)
	}
	return n
}

func itemsSize(its []item) int {
	n := 0
	for _, it := range its {
		n += itemSize(it)
	}
	return n
}

// ---- documents and large payloads

// putDoc stores doc in it, or in the blob store (with a pointer in it) when
// doc is larger than the inline limit. It returns the new blob key, if any,
// for cleanup when the write that carries it fails.
// flateWriters reuses compressors: a new flate.Writer allocates about 1 MB
// of tables, which made compressing a few-KB document cost more CPU (in
// allocation and GC) than the rest of a state transition.
var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// flateReaders reuses decompressors (32 KB of window each) for the same reason.
var flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

func (s *Store) putDoc(ctx context.Context, it item, kind string, id uuid.UUID, doc []byte) (string, error) {
	if len(doc) <= s.opt.InlineLimit {
		if len(doc) > compressAbove {
			var buf bytes.Buffer
			w := flateWriters.Get().(*flate.Writer)
			w.Reset(&buf)
			_, _ = w.Write(doc)
			_ = w.Close()
			flateWriters.Put(w)
			if buf.Len() < len(doc) {
				it[attrZDoc] = &types.AttributeValueMemberB{Value: buf.Bytes()}
				return "", nil
			}
		}
		it[attrDoc] = sv(string(doc))
		return "", nil
	}
	if s.opt.Blobs == nil {
		return "", core.Errorf(core.ETooLarge, "The %s is %d bytes, more than the %d bytes a DynamoDB item holds inline, and no payload store is configured.",
			strings.ReplaceAll(kind, "_", " "), len(doc), s.opt.InlineLimit)
	}
	key := fmt.Sprintf("payloads/%s/%s/%s", kind, id, uuid.NewString())
	if err := s.opt.Blobs.Put(ctx, key, doc); err != nil {
		return "", fmt.Errorf("dynamodb: offloading a %d-byte %s: %w", len(doc), kind, err)
	}
	it[attrBlob] = sv(key)
	return key, nil
}

// errBlobRace means an item's payload was replaced between reading the item
// and reading the payload; the caller re-reads the item.
var errBlobRace = errors.New("dynamodb: payload replaced concurrently")

// doc returns the JSON document of it, fetching an offloaded payload.
func (s *Store) doc(ctx context.Context, it item) ([]byte, error) {
	if key := getS(it, attrBlob); key != "" {
		if s.opt.Blobs == nil {
			return nil, fmt.Errorf("dynamodb: item %s holds an offloaded payload but no payload store is configured", getS(it, shared.DynamoPK))
		}
		b, err := s.opt.Blobs.Get(ctx, key)
		if errors.Is(err, results.ErrNotFound) {
			return nil, errBlobRace
		}
		if err == nil {
			s.blobKeys.Store(getS(it, shared.DynamoPK), key)
		}
		return b, err
	}
	if z, ok := it[attrZDoc].(*types.AttributeValueMemberB); ok {
		r := flateReaders.Get().(io.ReadCloser)
		_ = r.(flate.Resetter).Reset(bytes.NewReader(z.Value), nil)
		b, err := io.ReadAll(r)
		flateReaders.Put(r)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: inflating %s: %w", getS(it, shared.DynamoPK), err)
		}
		return b, nil
	}
	v, ok := it[attrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("dynamodb: item %s/%s has no document", getS(it, shared.DynamoPK), getS(it, shared.DynamoSK))
	}
	return []byte(v.Value), nil
}

// replacedBlob is called after an item pk was written with newKey ("" for
// an inline document): the previous payload this process knows of goes.
func (s *Store) replacedBlob(ctx context.Context, pk, newKey string) {
	old, ok := s.blobKeys.Load(pk)
	if newKey != "" {
		s.blobKeys.Store(pk, newKey)
	} else {
		s.blobKeys.Delete(pk)
	}
	if ok && old.(string) != newKey && s.opt.Blobs != nil {
		_ = s.opt.Blobs.Delete(ctx, old.(string))
	}
}

// dropBlob deletes a payload written for a write that failed.
func (s *Store) dropBlob(ctx context.Context, key string) {
	if key != "" && s.opt.Blobs != nil {
		_ = s.opt.Blobs.Delete(ctx, key)
	}
}

// ---- calls

// getItem reads one item (nil when absent).
func (s *Store) getItem(ctx context.Context, pk, sk string, strong bool) (item, error) {
	out, err := withRetry(ctx, func() (*dynamodb.GetItemOutput, error) {
		return s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(pk, sk), ConsistentRead: aws.Bool(strong),
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	})
	if err != nil {
		return nil, err
	}
	s.account(false, out.ConsumedCapacity)
	s.estRead(itemSize(out.Item), strong)
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// putItem writes one item, with an optional condition.
func (s *Store) putItem(ctx context.Context, it item, cond string, values item) error {
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: it, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
		if len(values) > 0 {
			in.ExpressionAttributeValues = values
		}
	}
	out, err := withRetry(ctx, func() (*dynamodb.PutItemOutput, error) { return s.db.PutItem(ctx, in) })
	s.estWrite(itemSize(it), false)
	s.estGSI(it, strings.Contains(cond, "attribute_not_exists"), false)
	if err != nil {
		return err
	}
	s.account(true, out.ConsumedCapacity)
	return nil
}

// estGSI adds the index writes of putting it: a new item costs one write
// per index it appears in (keys-only projections are small); an overwrite
// costs two (delete + insert) in the indexes whose keys move with state.
func (s *Store) estGSI(it item, created, transactional bool) {
	u := 0.0
	for i, pk := range []string{shared.DynamoG1PK, shared.DynamoG2PK, shared.DynamoG3PK, shared.DynamoG4PK, shared.DynamoG5PK} {
		if _, ok := it[pk]; !ok {
			continue
		}
		switch {
		case created:
			u++
		case i >= 3: // the state and queue indexes
			u += 2
		}
	}
	if transactional {
		u *= 2
	}
	s.estWCU.add(u)
}

// txPut is a transactional Put of it on condition cond.
func (s *Store) txPut(it item, cond string, values item) types.TransactWriteItem {
	p := &types.Put{TableName: &s.table, Item: it}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
	}
	if len(values) > 0 {
		p.ExpressionAttributeValues = values
	}
	return types.TransactWriteItem{Put: p}
}

// txUnique is the conditional put of a unique item pk -> id.
func (s *Store) txUnique(pk string, id uuid.UUID) types.TransactWriteItem {
	it := keyOf(pk, "U")
	it[attrID] = sv(id.String())
	w := s.txPut(it, "attribute_not_exists(pk)", nil)
	w.Put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	return w
}

func (s *Store) txDelete(pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyOf(pk, sk)}}
}

// transact runs one TransactWriteItems call (retrying conflicts).
func (s *Store) transact(ctx context.Context, ws []types.TransactWriteItem) error {
	if len(ws) == 0 {
		return nil
	}
	out, err := withRetry(ctx, func() (*dynamodb.TransactWriteItemsOutput, error) {
		return s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ws,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	})
	for _, w := range ws {
		switch {
		case w.Put != nil:
			s.estWrite(itemSize(w.Put.Item), true)
			s.estGSI(w.Put.Item, strings.Contains(aws.ToString(w.Put.ConditionExpression), "attribute_not_exists"), true)
		case w.Update != nil:
			// The new image: the values set plus the names (history appends
			// one ~17-byte entry to what is already there).
			n := itemSize(w.Update.ExpressionAttributeValues)
			for _, name := range w.Update.ExpressionAttributeNames {
				n += len(name)
			}
			s.estWrite(n, true)
		case w.Delete != nil:
			s.estWrite(1, true)
		case w.ConditionCheck != nil:
			s.estRead(1, true)
			s.estRCU.add(1) // transactional reads cost double
		}
	}
	if err != nil {
		return err
	}
	s.accountList(true, out.ConsumedCapacity)
	return nil
}

// budget counts the items a list or count may still read.
type budget struct{ left int }

func (s *Store) newBudget() *budget { return &budget{left: s.opt.MaxScanItems} }

func (b *budget) spend(n int) error {
	if b == nil {
		return nil // internal callers: unbounded
	}
	b.left -= n
	if b.left < 0 {
		return core.Errorf(core.EBadRequest, "This query would read more than the configured maximum of items from DynamoDB; narrow the filter (e.g. by flow, deployment, work queue, state or id) or raise the store's MaxScanItems.")
	}
	return nil
}

// query runs a paginated Query, spending the budget per item read.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, b *budget) ([]item, error) {
	in.TableName = &s.table
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	var items []item
	for {
		out, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, in) })
		if err != nil {
			return nil, err
		}
		s.account(false, out.ConsumedCapacity)
		s.estRead(itemsSize(out.Items), aws.ToBool(in.ConsistentRead))
		if b != nil {
			if err := b.spend(len(out.Items)); err != nil {
				return nil, err
			}
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryPK reads an item collection (strongly consistent), optionally only
// sort keys starting with prefix.
func (s *Store) queryPK(ctx context.Context, pk, prefix string, forward bool, b *budget) ([]item, error) {
	in := &dynamodb.QueryInput{ConsistentRead: aws.Bool(true), ScanIndexForward: aws.Bool(forward),
		ExpressionAttributeValues: item{":pk": sv(pk)}, KeyConditionExpression: aws.String("pk = :pk")}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :p)")
		in.ExpressionAttributeValues[":p"] = sv(prefix)
	}
	return s.query(ctx, in, b)
}

// queryIndex returns the table keys of the items under pk in a GSI
// (optionally with sort keys starting with prefix).
func (s *Store) queryIndex(ctx context.Context, index, pkAttr, skAttr, pk, prefix string, b *budget) ([]item, error) {
	in := &dynamodb.QueryInput{IndexName: aws.String(index), ExpressionAttributeNames: map[string]string{"#p": pkAttr},
		ExpressionAttributeValues: item{":pk": sv(pk)}, KeyConditionExpression: aws.String("#p = :pk")}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("#p = :pk AND begins_with(#s, :pre)")
		in.ExpressionAttributeNames["#s"] = skAttr
		in.ExpressionAttributeValues[":pre"] = sv(prefix)
	}
	return s.query(ctx, in, b)
}

// batchGet reads the items at keys (strongly consistent), in any order;
// missing ones are skipped.
func (s *Store) batchGet(ctx context.Context, keys []item) ([]item, error) {
	var out []item
	seen := map[string]bool{}
	var uniq []item
	for _, k := range keys {
		id := getS(k, shared.DynamoPK) + "\x00" + getS(k, shared.DynamoSK)
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, keyOf(getS(k, shared.DynamoPK), getS(k, shared.DynamoSK)))
		}
	}
	for len(uniq) > 0 {
		n := min(100, len(uniq))
		req := map[string]types.KeysAndAttributes{s.table: {Keys: uniq[:n], ConsistentRead: aws.Bool(true)}}
		uniq = uniq[n:]
		for attempt := 0; len(req) > 0; attempt++ {
			res, err := withRetry(ctx, func() (*dynamodb.BatchGetItemOutput, error) {
				return s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			})
			if err != nil {
				return nil, err
			}
			s.accountList(false, res.ConsumedCapacity)
			for _, it := range res.Responses[s.table] {
				s.estRead(itemSize(it), true)
				out = append(out, it)
			}
			req = res.UnprocessedKeys
			if len(req) > 0 && attempt > 20 {
				return nil, errors.New("dynamodb: BatchGetItem kept returning unprocessed keys")
			}
		}
	}
	return out, nil
}

// deleteItems batch-deletes items (by their keys) and their payloads.
func (s *Store) deleteItems(ctx context.Context, its []item) error {
	for len(its) > 0 {
		n := min(25, len(its))
		var reqs []types.WriteRequest
		for _, it := range its[:n] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(getS(it, shared.DynamoPK), getS(it, shared.DynamoSK))}})
			if key := getS(it, attrBlob); key != "" && s.opt.Blobs != nil {
				_ = s.opt.Blobs.Delete(ctx, key)
			}
			s.estWrite(1, false)
		}
		its = its[n:]
		req := map[string][]types.WriteRequest{s.table: reqs}
		for attempt := 0; len(req) > 0; attempt++ {
			res, err := withRetry(ctx, func() (*dynamodb.BatchWriteItemOutput, error) {
				return s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			})
			if err != nil {
				return err
			}
			s.accountList(true, res.ConsumedCapacity)
			req = res.UnprocessedItems
			if len(req) > 0 && attempt > 20 {
				return errors.New("dynamodb: BatchWriteItem kept returning unprocessed items")
			}
		}
	}
	return nil
}

// deleteItem deletes one item if it exists, reporting whether it did.
func (s *Store) deleteItem(ctx context.Context, pk, sk string) (bool, error) {
	out, err := withRetry(ctx, func() (*dynamodb.DeleteItemOutput, error) {
		return s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyOf(pk, sk),
			ConditionExpression: aws.String("attribute_exists(pk)"), ReturnValues: types.ReturnValueAllOld,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	})
	s.estWrite(1, false)
	if isCondFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.account(true, out.ConsumedCapacity)
	if key := getS(out.Attributes, attrBlob); key != "" && s.opt.Blobs != nil {
		_ = s.opt.Blobs.Delete(ctx, key)
	}
	s.blobKeys.Delete(pk)
	return true, nil
}

type dynamoBatchOut = dynamodb.BatchWriteItemOutput

var errUnprocessed = errors.New("dynamodb: BatchWriteItem kept returning unprocessed items")

func (s *Store) batchWriteOnce(ctx context.Context, req map[string][]types.WriteRequest) (*dynamodb.BatchWriteItemOutput, error) {
	res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err == nil {
		s.accountList(true, res.ConsumedCapacity)
	}
	return res, err
}
