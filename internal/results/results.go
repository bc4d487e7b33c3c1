// Package results stores opaque payloads by key: persisted flow and task
// results, flow code, and the parts of server records too large for their
// database item (a DynamoDB item is capped at 400 KB). Two backends: a local
// directory (the default for `orrery server start`) and S3
// (s3://bucket/prefix). Keys are slash-separated relative paths such as
// "payloads/flow_runs/<id>/parameters"; a backend never sees "..".
//
// Open picks the backend from a URL (ORRERY_RESULTS_URL in the server):
// file:///abs/dir or a plain absolute path gives a Dir (atomic writes by
// temp file + rename), s3://bucket/prefix?region=R&endpoint=URL an S3 store
// (path-style addressing and dummy credentials for an emulator endpoint,
// multipart uploads from DefaultMultipartThreshold). NewMemory is for tests.
// Every backend validates keys with CheckKey and passes the conformance suite
// in resultstest.
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
