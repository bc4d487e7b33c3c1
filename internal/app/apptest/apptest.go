// Package apptest builds an App over a private in-memory SQLite store for
// the shells' tests.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/shared"
)

// New returns an App on sqlite:///:memory: with a throwaway key; it is closed
// when t ends.
func New(t *testing.T) (*app.App, *slog.Logger) {
	t.Helper()
	dir := t.TempDir()
	cfg := shared.Config{DatabaseURL: "sqlite:///:memory:", SecretKeyFile: filepath.Join(dir, "secret.key"),
		ResultsURL: "file://" + filepath.Join(dir, "results"), AgentDeadline: 1 << 62,
		// Shell tests send httptest's example.com and gateway Host names;
		// the Host check itself is tested in internal/api and internal/app.
		AllowedHosts: []string{"*"}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, backend.Open, api.Config{Logger: logger}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, logger
}
