// Package backend opens the store a database URL names: sqlite://,
// postgres:// (or postgresql://) or dynamodb://.
package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/dynamo"
	"github.com/orrery-dev/orrery/internal/store/postgres"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// Options configure what some backends need beyond their URL.
type Options struct {
	// ResultsURL names the results store (internal/results) that backends
	// with an item size limit put large payloads in.
	ResultsURL string
}

// Open returns the store for url.
func Open(ctx context.Context, url string, opts Options) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:") || url == ":memory:":
		path, err := sqlite.ParseURL(url)
		if err != nil {
			return nil, err
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("creating the database directory: %w", err)
			}
		}
		return sqlite.Open(ctx, path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	case strings.HasPrefix(url, "dynamodb://"):
		// DynamoDB items are capped at 400 KB: larger payloads go to the
		// results store with a pointer left in the item.
		var blobs results.Store
		if opts.ResultsURL != "" {
			var err error
			if blobs, err = results.Open(ctx, opts.ResultsURL); err != nil {
				return nil, fmt.Errorf("opening the results store for large DynamoDB items: %w", err)
			}
		}
		return dynamo.Open(ctx, url, dynamo.Options{Blobs: blobs})
	default:
		return nil, fmt.Errorf("unsupported database URL %q: expected sqlite:///abs/path.db, sqlite:///:memory:, postgres://user@host/db or dynamodb://TABLE?region=R[&endpoint=URL]", Redact(url))
	}
}

// Redact hides a password in a URL for messages and settings.
func Redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && j < i {
			return url[:j+3] + "***" + url[i:]
		}
	}
	return url
}
