package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/shared"
)

// Object kinds: the table key prefix and the type partition of GSI1.
const (
	pFlow        = "F#"
	pFlowRun     = "FR#"
	pTaskRun     = "TR#"
	pLimit       = "CL#"
	pSlots       = "SL#"
	pDeployment  = "D#"
	pWorkQueue   = "WQ#"
	pBlockType   = "BT#"
	pBlockSchema = "BS#"
	pBlockDoc    = "BD#"
	pSaved       = "SS#"
	pCache       = "C#"

	tFlow         = "flow"
	tFlowRun      = "flow_run"
	tTaskRun      = "task_run"
	tFlowRunState = "flow_run_state"
	tTaskRunState = "task_run_state"
	tLog          = "log"
	tLimit        = "concurrency_limit"
	tDeployment   = "deployment"
	tWorkQueue    = "work_queue"
	tBlockType    = "block_type"
	tBlockSchema  = "block_schema"
	tBlockDoc     = "block_document"
	tSaved        = "saved_search"
)

// uniq builds the key of a unique item from its parts.
func uniq(kind string, parts ...string) string {
	k := "U#" + kind
	for _, p := range parts {
		k += "#" + strconv.Quote(p)
	}
	return k
}

// ts is a sortable text form of unix microseconds.
func ts(t core.Time) string { return fmt.Sprintf("%020d", t.UnixMicro()+1<<62) }

// newItem starts an object's own item: key, type partition and document.
func (s *Store) newItem(ctx context.Context, pk, sk, typ, g1sk string, id uuid.UUID, v any) (item, string, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	it := keyOf(pk, sk)
	it[shared.DynamoG1PK], it[shared.DynamoG1SK] = sv(typ), sv(g1sk)
	blob, err := s.putDoc(ctx, it, typ, id, doc)
	return it, blob, err
}

// decode unmarshals the document of it into a new T.
func decode[T any](ctx context.Context, s *Store, it item) (*T, error) {
	doc, err := s.doc(ctx, it)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(doc, v); err != nil {
		return nil, fmt.Errorf("dynamodb: decoding %s: %w", getS(it, shared.DynamoPK), err)
	}
	return v, nil
}

// getObj reads the object at pk (strongly consistent).
func getObj[T any](ctx context.Context, s *Store, pk, what string) (*T, item, error) {
	for attempt := 0; ; attempt++ {
		it, err := s.getItem(ctx, pk, skSelf, true)
		if err != nil {
			return nil, nil, err
		}
		if it == nil {
			return nil, nil, notFound(what)
		}
		v, err := decode[T](ctx, s, it)
		if errors.Is(err, errBlobRace) && attempt < 5 {
			continue
		}
		return v, it, err
	}
}

// lookupUnique returns the id a unique item points to.
func (s *Store) lookupUnique(ctx context.Context, pk, what string) (uuid.UUID, error) {
	it, err := s.getItem(ctx, pk, "U", true)
	if err != nil {
		return uuid.Nil, err
	}
	if it == nil {
		return uuid.Nil, notFound(what)
	}
	return uuid.Parse(getS(it, attrID))
}

// decodeAll decodes items (skipping ones deleted mid-read).
func decodeAll[T any](ctx context.Context, s *Store, its []item) ([]*T, error) {
	out := make([]*T, 0, len(its))
	for _, it := range its {
		v, err := decode[T](ctx, s, it)
		if errors.Is(err, errBlobRace) {
			if v, _, err = getObj[T](ctx, s, getS(it, shared.DynamoPK), "object"); core.IsNotFound(err) {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// listType reads every item of a type partition (bounded by b).
func (s *Store) listType(ctx context.Context, typ string, b *budget) ([]item, error) {
	keys, err := s.queryIndex(ctx, shared.DynamoGSIType, shared.DynamoG1PK, shared.DynamoG1SK, typ, "", b)
	if err != nil {
		return nil, err
	}
	return s.batchGet(ctx, keys)
}

// listIndex reads the items under pk in a GSI (bounded by b).
func (s *Store) listIndex(ctx context.Context, index, pkAttr, skAttr, pk, prefix string, b *budget) ([]item, error) {
	keys, err := s.queryIndex(ctx, index, pkAttr, skAttr, pk, prefix, b)
	if err != nil {
		return nil, err
	}
	return s.batchGet(ctx, keys)
}

// getByIDs reads the objects prefix+id for ids (strongly consistent).
func (s *Store) getByIDs(ctx context.Context, prefix string, ids []uuid.UUID, b *budget) ([]item, error) {
	keys := make([]item, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, keyOf(prefix+id.String(), skSelf))
	}
	if b != nil {
		if err := b.spend(len(keys)); err != nil {
			return nil, err
		}
	}
	return s.batchGet(ctx, keys)
}

// uniqueLost reports whether the transaction failed on its unique item at
// index i, returning the id that item holds.
func uniqueLost(err error, i int) (uuid.UUID, bool) {
	rs := cancelReasons(err)
	if i >= len(rs) || rs[i].Code == nil || *rs[i].Code != "ConditionalCheckFailed" {
		return uuid.Nil, false
	}
	id, _ := uuid.Parse(getS(rs[i].Item, attrID))
	return id, true
}

// failedAt reports whether cancellation reason i is a failed condition.
func failedAt(err error, i int) bool {
	rs := cancelReasons(err)
	return i < len(rs) && rs[i].Code != nil && *rs[i].Code == "ConditionalCheckFailed"
}

func anyFailed(err error) bool {
	for _, r := range cancelReasons(err) {
		if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			return true
		}
	}
	return false
}
