// Package dynamodb opens the serverless shape's store: DynamoDB, with the
// results store (S3 or a directory) for payloads past DynamoDB's item limit.
//
// It is a package of its own so the Lambda functions link only DynamoDB and
// S3: internal/backend, which the `orrery` binary uses, also links SQLite
// and PostgreSQL, which would double a function's size (and its cold start)
// for drivers it never uses.
package dynamodb

import (
	"context"
	"fmt"
	"strings"

	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
)

// Scheme is the database URL prefix this package opens.
const Scheme = "dynamodb://"

// Open opens the DynamoDB store databaseURL names (dynamodb://TABLE?...).
// resultsURL (file:// or s3://; empty for none) receives the payloads that
// do not fit a DynamoDB item (400 KB).
func Open(ctx context.Context, databaseURL, resultsURL string) (store.Store, error) {
	if !strings.HasPrefix(databaseURL, Scheme) {
		return nil, fmt.Errorf("this build serves only DynamoDB: ORRERY_DATABASE_URL must be dynamodb://TABLE?region=R[&endpoint=URL], got a %q URL", scheme(databaseURL))
	}
	var blobs results.Store
	if resultsURL != "" {
		var err error
		if blobs, err = results.Open(ctx, resultsURL); err != nil {
			return nil, fmt.Errorf("opening the results store for large DynamoDB items: %w", err)
		}
	}
	return dynamo.Open(ctx, databaseURL, dynamo.Options{Blobs: blobs})
}

// scheme returns the part of u before "://" (never the rest, which may hold
// a password).
func scheme(u string) string {
	if i := strings.Index(u, "://"); i > 0 {
		return u[:i]
	}
	return "unknown"
}
