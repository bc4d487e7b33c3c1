// Package results stores opaque payloads by key: persisted flow and task
// results, flow code, and the parts of server records too large for their
// database item (a DynamoDB item is capped at 400 KB). Two backends: a local
// directory (the default for `orrery server start`) and S3
// (s3://bucket/prefix). Keys are slash-separated relative paths such as
// "payloads/flow_runs/<id>/parameters"; a backend never sees "..".
package results

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get for a key that holds nothing.
var ErrNotFound = errors.New("results: not found")

// Store is a key -> bytes store. Put overwrites; Delete of a missing key is
// not an error.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}
