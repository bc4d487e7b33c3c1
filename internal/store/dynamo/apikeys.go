package dynamo

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// API keys and audit records (see the item table in doc.go). Both survive
// Reset (keptPrefixes).
const (
	pAPIKey = "AK#"
	pAudit  = "AU#"

	tAPIKey = "api_key"
	tAudit  = "audit"
)

// keptPrefixes are the table keys Reset leaves in place.
var keptPrefixes = []string{pAPIKey, pAudit}

// kept reports whether Reset keeps the item it.
func kept(it item) bool {
	pk := getS(it, shared.DynamoPK)
	for _, p := range keptPrefixes {
		if strings.HasPrefix(pk, p) {
			return true
		}
	}
	return false
}

// apiKeyItem is the item of k: its document inline and uncompressed (a key
// is ~300 bytes), so a rewrite can be conditioned on the document read.
func apiKeyItem(k *core.APIKey) (item, error) {
	doc, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	it := keyOf(pAPIKey+k.ID, skSelf)
	it[shared.DynamoG1PK], it[shared.DynamoG1SK] = sv(tAPIKey), sv(ts(k.Created)+"#"+k.ID)
	it[attrDoc] = sv(string(doc))
	return it, nil
}

func (s *Store) CreateAPIKey(ctx context.Context, k *core.APIKey) error {
	it, err := apiKeyItem(k)
	if err != nil {
		return err
	}
	if err := s.putItem(ctx, it, "attribute_not_exists(pk)", nil); err != nil {
		if isCondFailed(err) {
			return core.Errorf(core.EConflict, "API key %s already exists", k.ID)
		}
		return err
	}
	return nil
}

func (s *Store) GetAPIKey(ctx context.Context, id string) (*core.APIKey, error) {
	k, _, err := getObj[core.APIKey](ctx, s, pAPIKey+id, "API key")
	return k, err
}

func (s *Store) ListAPIKeys(ctx context.Context, q *store.APIKeyQuery) ([]*core.APIKey, error) {
	its, err := s.listType(ctx, tAPIKey, s.newBudget())
	if err != nil {
		return nil, err
	}
	all, err := decodeAll[core.APIKey](ctx, s, its)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, k := range all {
		if q.IncludeRevoked || k.Revoked == nil {
			out = append(out, k)
		}
	}
	sortKeys(out)
	return page(out, q.Page), nil
}

func sortKeys(ks []*core.APIKey) {
	slices.SortStableFunc(ks, func(a, b *core.APIKey) int {
		if c := a.Created.Compare(b.Created.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// updateAPIKey reads, changes and writes back one key, conditioned on the
// document being the one read (retried when another writer won).
func (s *Store) updateAPIKey(ctx context.Context, id string, change func(*core.APIKey) bool) (*core.APIKey, error) {
	for attempt := 0; attempt < 10; attempt++ {
		k, old, err := getObj[core.APIKey](ctx, s, pAPIKey+id, "API key")
		if err != nil {
			return nil, err
		}
		if !change(k) {
			return k, nil
		}
		it, err := apiKeyItem(k)
		if err != nil {
			return nil, err
		}
		err = s.putItem(ctx, it, "d = :old", item{":old": old[attrDoc]})
		if isCondFailed(err) {
			continue
		}
		return k, err
	}
	return nil, core.Errorf(core.EConflict, "API key %s was changed concurrently too many times; try again.", id)
}

func (s *Store) RevokeAPIKey(ctx context.Context, p *store.RevokeAPIKeyParams) (*core.APIKey, error) {
	return s.updateAPIKey(ctx, p.ID, func(k *core.APIKey) bool { return store.ApplyRevoke(k, p.At) })
}

func (s *Store) TouchAPIKey(ctx context.Context, p *store.TouchAPIKeyParams) error {
	_, err := s.updateAPIKey(ctx, p.ID, func(k *core.APIKey) bool { return store.ApplyTouch(k, p.At) })
	return err
}

func (s *Store) CreateAuditRecord(ctx context.Context, r *core.AuditRecord) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	it := keyOf(pAudit+r.ID.String(), skSelf)
	it[shared.DynamoG1PK], it[shared.DynamoG1SK] = sv(tAudit), sv(ts(r.Timestamp)+"#"+r.ID.String())
	it[attrDoc] = sv(string(doc))
	if err := s.putItem(ctx, it, "attribute_not_exists(pk)", nil); err != nil {
		if isCondFailed(err) {
			return core.Errorf(core.EConflict, "audit record %s already exists", r.ID)
		}
		return err
	}
	return nil
}

// ListAuditRecords reads the audit partition of the type index newest
// first, only as far as offset+limit keys, then fetches that page. The
// index is eventually consistent: a record written a moment ago may be
// missing from a list for about a second.
func (s *Store) ListAuditRecords(ctx context.Context, q *store.AuditQuery) ([]*core.AuditRecord, error) {
	want := -1
	if q.Limit > 0 {
		want = q.Offset + q.Limit
	}
	b := s.newBudget()
	in := &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(shared.DynamoGSIType), ScanIndexForward: aws.Bool(false),
		KeyConditionExpression: aws.String("#p = :pk"), ExpressionAttributeNames: map[string]string{"#p": shared.DynamoG1PK},
		ExpressionAttributeValues: item{":pk": sv(tAudit)}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	var keys []item
	for want < 0 || len(keys) < want {
		if want > 0 {
			in.Limit = aws.Int32(int32(min(want-len(keys), 1000)))
		}
		out, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, in) })
		if err != nil {
			return nil, err
		}
		s.account(false, out.ConsumedCapacity)
		s.estRead(itemsSize(out.Items), false)
		if err := b.spend(len(out.Items)); err != nil {
			return nil, err
		}
		keys = append(keys, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if q.Offset >= len(keys) {
		return []*core.AuditRecord{}, nil
	}
	its, err := s.batchGet(ctx, keys[q.Offset:])
	if err != nil {
		return nil, err
	}
	out, err := decodeAll[core.AuditRecord](ctx, s, its)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *core.AuditRecord) int {
		if c := b.Timestamp.Compare(a.Timestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(b.ID.String(), a.ID.String())
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}
