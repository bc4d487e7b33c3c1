package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// Defaults of Options.
const (
	DefaultInlineLimit  = 300 * 1024
	DefaultMaxScanItems = 10000
)

// Options configures a Store.
type Options struct {
	// Blobs holds item payloads larger than InlineLimit (a pointer stays in
	// the item). Nil means such items fail with a clear error.
	Blobs results.Store
	// InlineLimit is the largest payload kept inside an item (default
	// 300 KiB; DynamoDB caps an item at 400 KB).
	InlineLimit int
	// MaxScanItems caps how many items one filtered list or count may read
	// when no index serves its filter (default 10000). Past it the call
	// fails with core.EBadRequest instead of scanning on.
	MaxScanItems int
	// Client overrides the DynamoDB client built from the URL (tests).
	Client *dynamodb.Client
}

// Store is the DynamoDB store.
type Store struct {
	db    *dynamodb.Client
	table string
	opt   Options

	rcu, wcu       atomicFloat // as reported by DynamoDB (ReturnConsumedCapacity=TOTAL)
	estRCU, estWCU atomicFloat // computed from item sizes with DynamoDB's rules

	// blobKeys remembers the payload key of items this process read or
	// wrote with an offloaded payload, so an overwrite can delete the old one.
	blobKeys sync.Map // pk -> string

	retention atomic.Int64 // ORRERY_RETENTION as a time.Duration (SetRetention); 0: no TTL stamps
}

var _ store.Store = (*Store)(nil)

// atomicFloat is a float64 counter updated with compare-and-swap.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(v float64) {
	if v == 0 {
		return
	}
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }

// Consumed returns the read and write capacity units DynamoDB reported for
// every call so far.
func (s *Store) Consumed() (rcu, wcu float64) { return s.rcu.load(), s.wcu.load() }

// EstimatedUnits returns the read and write units computed from item sizes
// with DynamoDB's documented rules (see doc.go).
func (s *Store) EstimatedUnits() (rcu, wcu float64) { return s.estRCU.load(), s.estWCU.load() }

// ParseURL splits dynamodb://TABLE?region=R&endpoint=E.
func ParseURL(raw string) (table, region, endpoint string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "dynamodb" {
		return "", "", "", fmt.Errorf("not a dynamodb URL: %q (want dynamodb://TABLE?region=us-east-1)", raw)
	}
	table = u.Host
	if u.Path != "" && u.Path != "/" {
		return "", "", "", fmt.Errorf("dynamodb URL %q: the table name goes in the host part, dynamodb://TABLE", raw)
	}
	if table == "" {
		return "", "", "", fmt.Errorf("dynamodb URL %q has no table name", raw)
	}
	q := u.Query()
	return table, q.Get("region"), q.Get("endpoint"), nil
}

// Open connects to the table named in url (dynamodb://TABLE?region=...&
// endpoint=...), creating it from shared.DynamoTable when it does not
// exist. Credentials come from the default chain; with an endpoint and no
// credentials configured, static dummy ones are used (emulators).
func Open(ctx context.Context, rawURL string, opt Options) (*Store, error) {
	table, region, endpoint, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opt.InlineLimit <= 0 {
		opt.InlineLimit = DefaultInlineLimit
	}
	if opt.MaxScanItems <= 0 {
		opt.MaxScanItems = DefaultMaxScanItems
	}
	s := &Store{table: table, opt: opt, db: opt.Client}
	if s.db == nil {
		if s.db, err = newClient(ctx, region, endpoint); err != nil {
			return nil, err
		}
	}
	if err := s.ensureTable(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func newClient(ctx context.Context, region, endpoint string) (*dynamodb.Client, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	// The SDK retries throttling itself too; our own loop (withRetry) adds
	// jittered backoff for transaction conflicts.
	if endpoint != "" {
		// An emulator: never wait on the EC2 metadata service for credentials.
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	opts = append(opts, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 8 })
	}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: loading AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if endpoint != "" {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("orrery", "orrery", "")
		}
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// moto's x-amz-crc32 header does not match its bodies.
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

// CreateTableInput builds the CreateTable request from the shared definition.
func CreateTableInput(def shared.DynamoTableDef) *dynamodb.CreateTableInput {
	keys := func(ks []shared.DynamoKeyElement) []types.KeySchemaElement {
		out := make([]types.KeySchemaElement, len(ks))
		for i, k := range ks {
			out[i] = types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)}
		}
		return out
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(def.TableName), KeySchema: keys(def.KeySchema),
		BillingMode: types.BillingMode(def.BillingMode)}
	for name, typ := range def.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(typ)})
	}
	for _, g := range def.GSIs {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keys(g.KeySchema),
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.ProjectionType)}})
	}
	return in
}

func (s *Store) ensureTable(ctx context.Context) error {
	_, err := s.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.table})
	var nf *types.ResourceNotFoundException
	if err == nil {
		return nil
	}
	if !errors.As(err, &nf) {
		return fmt.Errorf("dynamodb: describing table %s: %w", s.table, err)
	}
	def := shared.DynamoTable(s.table)
	if _, err := s.db.CreateTable(ctx, CreateTableInput(def)); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("dynamodb: creating table %s: %w", s.table, err)
		}
	}
	w := dynamodb.NewTableExistsWaiter(s.db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &s.table}, 5*time.Minute); err != nil {
		return fmt.Errorf("dynamodb: waiting for table %s: %w", s.table, err)
	}
	_, err = s.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &s.table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(def.TTLAttribute), Enabled: aws.Bool(true)}})
	if err != nil && !strings.Contains(err.Error(), "already enabled") {
		return fmt.Errorf("dynamodb: enabling TTL on %s: %w", s.table, err)
	}
	return nil
}

// Reset deletes every item but API keys and audit records (a paginated
// scan and batch deletes) and
// re-applies the table definition (creating the table if it was dropped).
func (s *Store) Reset(ctx context.Context) error {
	if err := s.ensureTable(ctx); err != nil {
		return err
	}
	var start map[string]types.AttributeValue
	for {
		out, err := withRetry(ctx, func() (*dynamodb.ScanOutput, error) {
			return s.db.Scan(ctx, &dynamodb.ScanInput{TableName: &s.table, ExclusiveStartKey: start,
				ProjectionExpression: aws.String("pk, sk, b"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
		})
		if err != nil {
			return err
		}
		s.account(false, out.ConsumedCapacity)
		s.estRead(itemsSize(out.Items), false)
		if err := s.deleteItems(ctx, slices.DeleteFunc(out.Items, kept)); err != nil {
			return err
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	s.blobKeys.Clear()
	return nil
}

// Close releases nothing: the HTTP client is shared and stateless.
func (s *Store) Close() error { return nil }

// ---- errors and retries

func notFound(what string) error { return core.Errorf(core.ENotFound, "%s not found", what) }

func retryable(err error) bool {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for _, r := range tc.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed", "ValidationError", "ItemCollectionSizeLimitExceeded":
				return false
			}
		}
		for _, r := range tc.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
				return true
			}
		}
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"TransactionConflictException", "TransactionInProgressException", "InternalServerError", "LimitExceededException":
			return true
		}
	}
	return false
}

const maxRetries = 10

// withRetry runs fn, retrying throttling and transaction conflicts with
// full-jitter exponential backoff (10 ms base, 1 s cap).
func withRetry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := fn()
		if err == nil || attempt >= maxRetries || !retryable(err) {
			return v, err
		}
		backoff := min(time.Second, 10*time.Millisecond<<attempt)
		select {
		case <-time.After(time.Duration(rand.Int64N(int64(backoff)) + 1)):
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}

// cancelReasons returns the cancellation codes of a failed transaction, or
// nil if err is not a cancellation.
func cancelReasons(err error) []types.CancellationReason {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		return tc.CancellationReasons
	}
	return nil
}

func isCondFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// ---- capacity accounting

func (s *Store) account(write bool, ccs ...*types.ConsumedCapacity) {
	for _, cc := range ccs {
		if cc == nil {
			continue
		}
		r, w := aws.ToFloat64(cc.ReadCapacityUnits), aws.ToFloat64(cc.WriteCapacityUnits)
		if r == 0 && w == 0 {
			if write {
				w = aws.ToFloat64(cc.CapacityUnits)
			} else {
				r = aws.ToFloat64(cc.CapacityUnits)
			}
		}
		s.rcu.add(r)
		s.wcu.add(w)
	}
}

func (s *Store) accountList(write bool, ccs []types.ConsumedCapacity) {
	for i := range ccs {
		s.account(write, &ccs[i])
	}
}

// estRead adds the read units of reading size bytes in one request.
func (s *Store) estRead(size int, strong bool) {
	u := math.Ceil(float64(max(size, 1)) / 4096)
	if !strong {
		u /= 2
	}
	s.estRCU.add(u)
}

// estWrite adds the write units of writing one item of size bytes.
func (s *Store) estWrite(size int, transactional bool) {
	u := math.Ceil(float64(max(size, 1)) / 1024)
	if transactional {
		u *= 2
	}
	s.estWCU.add(u)
}

// Table returns the table name.
func (s *Store) Table() string { return s.table }

// Client returns the DynamoDB client (tests and tools).
func (s *Store) Client() *dynamodb.Client { return s.db }
