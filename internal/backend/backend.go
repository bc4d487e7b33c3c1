// Package backend opens the store a database URL names: sqlite://,
// postgres:// (or postgresql://) or dynamodb://.
package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orrery-dev/orrery/internal/backend/dynamodb"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/postgres"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
	"github.com/orrery-dev/orrery/shared"
)

// Open returns the store for url. resultsURL names the results store
// (internal/results) that backends with an item size limit put large
// payloads in. Its signature is app.Opener's.
func Open(ctx context.Context, url, resultsURL string) (store.Store, error) {
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
	case strings.HasPrefix(url, dynamodb.Scheme):
		return dynamodb.Open(ctx, url, resultsURL)
	default:
		return nil, fmt.Errorf("unsupported database URL %q: expected sqlite:///abs/path.db, sqlite:///:memory:, postgres://user@host/db or dynamodb://TABLE?region=R[&endpoint=URL]", shared.RedactURL(url))
	}
}
