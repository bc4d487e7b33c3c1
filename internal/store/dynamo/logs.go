package dynamo

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// skLog prefixes the sort keys of a run's logs: L#<timestamp>#<id>.
const skLog = "L#"

// textNeedsRun is DynamoDB's rule for a log text search: there is no text
// index, so the search reads the named runs' item collections and
// compares in Go — a filter with a text query must name the runs
// (flow_run_id any_, at most maxFanout of them, AND-combined).
func textNeedsRun(f *store.LogFilter) error {
	if f == nil || f.Text == nil || f.TextQuery() == "" {
		return nil
	}
	if ids := f.RunIDs(); ids != nil && len(ids) <= maxFanout {
		return nil
	}
	return core.Errorf(core.EInvalid, "On DynamoDB a log text search needs a flow_run_id filter (any_ with at most %d runs, combined with and_): logs are searched per run, there is no text index.", maxFanout)
}

// RunLogsPage reads the run's item collection from the sort key after the
// cursor (the last page's last sort key, L#<timestamp>#<id>), so logs come
// in timestamp order, ties by id, one Query per page.
func (s *Store) RunLogsPage(ctx context.Context, q *store.RunLogsQuery) (*store.RunLogs, error) {
	if q.After != "" && !strings.HasPrefix(q.After, skLog) {
		return nil, store.BadCursor(q.After)
	}
	limit := max(q.Limit, 1)
	pk := pFlowRun + q.FlowRunID.String()
	in := &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :pre)"),
		ExpressionAttributeValues: item{":pk": sv(pk), ":pre": sv(skLog)}}
	if q.After != "" {
		in.ExclusiveStartKey = keyOf(pk, q.After)
	}
	out := &store.RunLogs{Next: q.After}
	for len(out.Logs) < limit {
		in.Limit = aws.Int32(int32(limit - len(out.Logs)))
		res, err := withRetry(ctx, func() (*dynamodb.QueryOutput, error) { return s.db.Query(ctx, in) })
		if err != nil {
			return nil, err
		}
		s.account(false, res.ConsumedCapacity)
		s.estRead(itemsSize(res.Items), true)
		for _, it := range res.Items {
			out.Next = getS(it, shared.DynamoSK) // a deleted log's key is a valid cursor too
			l, err := decode[core.Log](ctx, s, it)
			if errors.Is(err, errBlobRace) {
				continue // logs are never rewritten: a vanished payload is a deleted log
			}
			if err != nil {
				return nil, err
			}
			out.Logs = append(out.Logs, l)
		}
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return out, nil
}
