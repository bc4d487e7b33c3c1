package app

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/backend/dynamodb"
	"github.com/orrery-dev/orrery/internal/docs"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/shared"
)

// ForLambda builds the App a Lambda function serves from its environment.
// Unlike the local server it insists on ORRERY_SECRET_KEY: instances share
// one database, so a key file generated per instance would seal secrets
// that the next instance could not open.
func ForLambda(ctx context.Context, version string) (*App, *slog.Logger, error) {
	cfg, err := shared.Load()
	if err != nil {
		return nil, nil, err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: parseLevel(cfg.LogLevel)}))
	if os.Getenv(secretbox.EnvKey) == "" {
		return nil, nil, errors.New(secretbox.EnvKey + " must be set in the serverless shape: every instance needs the same key")
	}
	a, err := New(ctx, cfg, dynamodb.Open, api.Config{Logger: logger, DocsHandler: docs.Handler()}, version)
	return a, logger, err
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
