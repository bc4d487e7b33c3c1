package dynamo

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/shared"
)

// Ordered candidate sources. A list whose sort matches the key order of its
// candidate source streams the source page by page in that order (Query
// with ScanIndexForward and Limit), fetches and matches the items in Go and
// stops once offset+limit matches (and the ties at the boundary) are in
// hand; the scan cap counts only the items actually fetched. Any other list
// reads every candidate within the cap and sorts in Go.

// Key orders a candidate source can serve (the attribute its sort keys
// order by, after the partition's prefix).
const (
	orderNone     = ""
	orderID       = "id"       // sk = <id>
	orderExpected = "expected" // sk = <expected start or "!">#<id>
	orderNext     = "next"     // sk = <next scheduled start or "!">#<id>
	orderTS       = "ts"       // sk = <timestamp>#<id>
)

// nilTS encodes a missing time in ordered sort keys: it sorts before every
// time, as cmpTime orders nil first.
const nilTS = "!"

func orderTSOf(t *core.Time) string {
	if t == nil {
		return nilTS
	}
	return ts(*t)
}

// part is one partition of candidates: an index partition (or, for a
// source with no index, one item collection of the table), optionally only
// sort keys under prefix, optionally within [lo, hi] (bounds include the
// prefix).
type part struct {
	pk, prefix string
	lo, hi     string
}

// source is where a list's candidates come from.
type source struct {
	byIDs          bool   // keys: read with BatchGetItem
	keys           []item // for byIDs
	index          string // "" = the table itself (strongly consistent, full items)
	pkAttr, skAttr string
	parts          []part
	order          string // the order the parts' stripped sort keys give, ascending
	// presorted, when set, is the whole key list already in list order
	// (read from the parts and sorted in Go): streamed instead of the parts.
	presorted []item
}

// timeRange narrows a part to the sort-key range a time filter on the
// order attribute allows (a superset: matching stays in Go).
func timeRange(p part, f *timeFilterBounds) part {
	if f == nil || (f.before == nil && f.after == nil) {
		return p
	}
	p.lo, p.hi = p.prefix+"0", p.prefix+"~" // excludes nilTS: a bound implies a time
	if f.after != nil {
		p.lo = p.prefix + ts(*f.after)
	}
	if f.before != nil {
		p.hi = p.prefix + ts(*f.before) + "$" // "$" sorts after "#<id>"
	}
	return p
}

type timeFilterBounds struct{ before, after *core.Time }

// keyStream reads one part in key order, a page at a time.
type keyStream struct {
	in    *dynamodb.QueryInput
	strip string // prefix stripped before comparing across parts
	buf   []item
	done  bool
}

func (s *Store) newStream(src *source, p part, forward bool, pageLimit int) *keyStream {
	in := &dynamodb.QueryInput{TableName: &s.table, ScanIndexForward: aws.Bool(forward), Limit: aws.Int32(int32(pageLimit)),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
		ExpressionAttributeNames:  map[string]string{"#p": src.pkAttr, "#s": src.skAttr},
		ExpressionAttributeValues: item{":pk": sv(p.pk)}}
	if src.index != "" {
		in.IndexName = aws.String(src.index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	switch {
	case p.lo != "" || p.hi != "":
		in.KeyConditionExpression = aws.String("#p = :pk AND #s BETWEEN :lo AND :hi")
		in.ExpressionAttributeValues[":lo"], in.ExpressionAttributeValues[":hi"] = sv(p.lo), sv(p.hi)
	case p.prefix != "":
		in.KeyConditionExpression = aws.String("#p = :pk AND begins_with(#s, :pre)")
		in.ExpressionAttributeValues[":pre"] = sv(p.prefix)
	default:
		in.KeyConditionExpression = aws.String("#p = :pk")
		delete(in.ExpressionAttributeNames, "#s")
	}
	// An empty range (after > before) matches nothing; DynamoDB rejects
	// BETWEEN with its bounds reversed.
	return &keyStream{in: in, strip: p.prefix, done: p.lo != "" && p.hi != "" && p.lo > p.hi}
}

// peek returns the next key of the stream without consuming it.
func (s *Store) peek(ctx context.Context, k *keyStream) (item, error) {
	for len(k.buf) == 0 && !k.done {
		out, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, k.in) })
		if err != nil {
			return nil, err
		}
		s.account(false, out.ConsumedCapacity)
		s.estRead(itemsSize(out.Items), aws.ToBool(k.in.ConsistentRead))
		k.buf = out.Items
		if len(out.LastEvaluatedKey) == 0 {
			k.done = true
		} else {
			k.in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	if len(k.buf) == 0 {
		return nil, nil
	}
	return k.buf[0], nil
}

// merged is the k-way merge of a source's parts in key order.
type merged struct {
	s       *Store
	src     *source
	streams []*keyStream
	forward bool
}

func (s *Store) openMerged(src *source, forward bool, pageLimit int) *merged {
	m := &merged{s: s, src: src, forward: forward}
	if src.presorted != nil {
		m.streams = []*keyStream{{buf: src.presorted, done: true}}
		return m
	}
	seen := map[part]bool{}
	for _, p := range src.parts {
		if !seen[p] {
			seen[p] = true
			m.streams = append(m.streams, s.newStream(src, p, forward, pageLimit))
		}
	}
	return m
}

// next consumes and returns the next key in order (nil at the end) with
// its sort key (prefix stripped).
func (m *merged) next(ctx context.Context) (item, string, error) {
	best, bestKey, err := m.head(ctx)
	if best < 0 || err != nil {
		return nil, "", err
	}
	it := m.streams[best].buf[0]
	m.streams[best].buf = m.streams[best].buf[1:]
	return it, bestKey, nil
}

// head returns the stream holding the next key in order and that key's
// sort key (-1 at the end).
func (m *merged) head(ctx context.Context) (int, string, error) {
	best, bestKey := -1, ""
	for i, k := range m.streams {
		it, err := m.s.peek(ctx, k)
		if err != nil {
			return -1, "", err
		}
		if it == nil {
			continue
		}
		key := strings.TrimPrefix(getS(it, m.src.skAttr), k.strip)
		if best < 0 || (m.forward && key < bestKey) || (!m.forward && key > bestKey) {
			best, bestKey = i, key
		}
	}
	return best, bestKey, nil
}

// primary is the part of a stripped sort key the order compares: all of
// an id, the time before "#<id>" otherwise.
func primary(order, key string) string {
	if order == orderID {
		return key
	}
	if i := strings.LastIndexByte(key, '#'); i >= 0 {
		return key[:i]
	}
	return key
}

// streamMatches reads src in its key order (forward or not) and returns the
// first need matches in that order, plus every further match tied with the
// last one under cmp (so sorting the result by cmp and the id tiebreak
// gives exactly the first need of the full sorted answer). decode returns
// the object of an item (nil when it vanished) and whether it matches.
// need <= 0 reads everything.
func streamMatches[T any](ctx context.Context, s *Store, src *source, forward bool, need int, b *budget,
	decode func(item) (*T, bool, error), cmp func(a, c *T) int) ([]*T, error) {
	pageLimit := 100
	if need > 0 {
		pageLimit = min(max(need+need/2, 10), 500)
	}
	m := s.openMerged(src, forward, pageLimit)
	var out []*T
	var boundary *T
	boundaryKey := ""
	for {
		// Fetch the next chunk of keys, sized to what is still needed; past
		// the boundary only keys tied with it on the index (the rest sort
		// after every needed match).
		chunk := 100
		if need > 0 && boundary == nil {
			chunk = min(max(need-len(out), 10), 100)
		}
		var keys []item
		var sks []string
		for len(keys) < chunk {
			if boundary != nil {
				_, key, err := m.head(ctx)
				if err != nil {
					return nil, err
				}
				if primary(src.order, key) != boundaryKey {
					break
				}
			}
			k, key, err := m.next(ctx)
			if err != nil {
				return nil, err
			}
			if k == nil {
				break
			}
			keys, sks = append(keys, k), append(sks, key)
		}
		if len(keys) == 0 {
			return out, nil
		}
		if err := b.spend(len(keys)); err != nil {
			return nil, err
		}
		its, itKeys := keys, sks
		if src.index != "" {
			got, err := s.batchGet(ctx, keys)
			if err != nil {
				return nil, err
			}
			byKey := make(map[string]item, len(got))
			for _, it := range got {
				byKey[getS(it, shared.DynamoPK)+"\x00"+getS(it, shared.DynamoSK)] = it
			}
			its, itKeys = nil, nil
			for i, k := range keys {
				if it, ok := byKey[getS(k, shared.DynamoPK)+"\x00"+getS(k, shared.DynamoSK)]; ok {
					its, itKeys = append(its, it), append(itKeys, sks[i])
				}
			}
		}
		for i, it := range its {
			v, ok, err := decode(it)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			if boundary != nil && cmp(boundary, v) != 0 {
				return out, nil // past the ties of the last needed match
			}
			if !ok {
				continue
			}
			out = append(out, v)
			if need > 0 && boundary == nil && len(out) >= need {
				boundary, boundaryKey = v, primary(src.order, itKeys[i])
			}
		}
	}
}

// serves reports whether reading src in key order (forward or backward)
// yields sort order, and in which direction.
func (src *source) serves(order string, desc bool) (forward, ok bool) {
	if src == nil || src.byIDs || order == orderNone || src.order != order || len(src.parts) == 0 {
		return false, false
	}
	return !desc, true
}

// readAll reads every candidate of src within b (unordered).
func (s *Store) readAll(ctx context.Context, src *source, b *budget) ([]item, error) {
	if src.byIDs {
		if err := b.spend(len(src.keys)); err != nil {
			return nil, err
		}
		return s.batchGet(ctx, src.keys)
	}
	var keys []item
	seen := map[part]bool{}
	for _, p := range src.parts {
		if seen[p] {
			continue
		}
		seen[p] = true
		m := &merged{s: s, src: src, forward: true, streams: []*keyStream{s.newStream(src, p, true, 1000)}}
		m.streams[0].in.Limit = nil
		for {
			k, err := s.peek(ctx, m.streams[0])
			if err != nil {
				return nil, err
			}
			if k == nil {
				break
			}
			n := len(m.streams[0].buf)
			if err := b.spend(n); err != nil {
				return nil, err
			}
			keys = append(keys, m.streams[0].buf...)
			m.streams[0].buf = nil
		}
	}
	if src.index == "" {
		return keys, nil
	}
	return s.batchGet(ctx, keys)
}

// byIDDesc turns an index source whose order is not the id into one
// streamed newest first: its keys (keys only, no item) are read whole —
// bounded like a count, by maxCountFactor x MaxScanItems entries, not by
// the item cap — and sorted by table key (prefix + UUIDv7 id) descending;
// the items are then fetched in that order, chunk by chunk, as for an
// ordered source. ok is false for sources that cannot be presorted.
func (s *Store) byIDDesc(ctx context.Context, src *source) (*source, bool, error) {
	if src.byIDs || src.index == "" || src.order == orderID || len(src.parts) == 0 {
		return nil, false, nil
	}
	limit := maxCountFactor * s.opt.MaxScanItems
	seenPart := map[part]bool{}
	seenKey := map[string]bool{}
	var keys []item
	for _, p := range src.parts {
		if seenPart[p] {
			continue
		}
		seenPart[p] = true
		k := s.newStream(src, p, true, 0)
		k.in.Limit = nil
		for {
			it, err := s.peek(ctx, k)
			if err != nil {
				return nil, false, err
			}
			if it == nil {
				break
			}
			for _, key := range k.buf {
				if pk := getS(key, shared.DynamoPK); !seenKey[pk] {
					seenKey[pk] = true
					keys = append(keys, key)
				}
			}
			k.buf = nil
			if len(keys) > limit {
				return nil, false, core.Errorf(core.EBadRequest, "This query would walk more than %d index entries in DynamoDB; narrow the filter.", limit)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return getS(keys[i], shared.DynamoPK) > getS(keys[j], shared.DynamoPK) })
	if keys == nil {
		keys = []item{}
	}
	return &source{index: src.index, pkAttr: src.pkAttr, skAttr: shared.DynamoPK, order: orderID, parts: src.parts, presorted: keys}, true, nil
}

// ---- counts from index keys

// maxCountFactor bounds a key-only count: it may walk at most
// maxCountFactor x MaxScanItems index entries.
const maxCountFactor = 100

// countParts counts the entries of src's parts with Select=COUNT on the
// keys-only index: no item is fetched, so it does not spend the item cap;
// it is bounded by its own, larger limit (see doc.go).
func (s *Store) countParts(ctx context.Context, src *source) (int, error) {
	total, limit := 0, maxCountFactor*s.opt.MaxScanItems
	seen := map[part]bool{}
	for _, p := range src.parts {
		if seen[p] {
			continue
		}
		seen[p] = true
		k := s.newStream(src, p, true, 0)
		k.in.Limit = nil
		k.in.Select = types.SelectCount
		for {
			out, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, k.in) })
			if err != nil {
				return 0, err
			}
			s.account(false, out.ConsumedCapacity)
			// Keys-only entries are ~100 bytes; GSI reads are eventually consistent.
			s.estRead(int(out.ScannedCount)*100, false)
			total += int(out.Count)
			if total > limit {
				return 0, core.Errorf(core.EBadRequest, "This count would walk more than %d index entries in DynamoDB; narrow the filter.", limit)
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			k.in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return total, nil
}

// typeSource is a whole type partition of the type index (sk = id, or
// ts#id for logs).
func typeSource(typ, order string) *source {
	return &source{index: shared.DynamoGSIType, pkAttr: shared.DynamoG1PK, skAttr: shared.DynamoG1SK,
		parts: []part{{pk: typ}}, order: order}
}

func dedupe(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
