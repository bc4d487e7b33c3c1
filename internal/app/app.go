// Package app assembles Orrery from its configuration: the store that the
// database URL names, the key that seals block secrets, the API handler and
// the background services. `orrery server start` and the Lambda functions
// are thin shells over one App, so every shell runs the same core.
package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// App is an assembled Orrery.
type App struct {
	Store store.Store
	API   *api.Server
	// Services run on a ticker locally and on an EventBridge tick serverless.
	Services []services.Service
}

// Opener opens the store a database URL names, with the results store for
// large payloads. The shells pass the one they link: internal/backend.Open
// (SQLite, PostgreSQL, DynamoDB) for the binary, internal/backend/dynamodb
// for the Lambda functions, which must not carry the SQL drivers.
type Opener func(ctx context.Context, databaseURL, resultsURL string) (store.Store, error)

// New opens the store with open and builds the API and services for cfg.
// opts holds what differs between shells (logger, docs and UI handlers); its
// store, secret box and body limit are filled in from cfg, and API keys are
// checked when cfg.Auth is true.
func New(ctx context.Context, cfg shared.Config, open Opener, opts api.Config, version string) (*App, error) {
	st, err := open(ctx, cfg.DatabaseURL, cfg.ResultsURL)
	if err != nil {
		return nil, err
	}
	box, err := secretbox.Load(cfg.SecretKeyFile)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("loading the secret key: %w", err)
	}
	opts.Store, opts.Secret, opts.MaxBody = st, box, cfg.MaxBodyBytes
	if cfg.Auth != nil && *cfg.Auth && opts.Auth == nil {
		opts.Auth = auth.New(auth.Config{Store: st, Logger: opts.Logger, Now: opts.Now})
	}
	if opts.Settings == nil {
		opts.Settings = map[string]any{
			"host": cfg.Host, "port": cfg.Port, "database_url": shared.RedactURL(cfg.DatabaseURL),
			"results_url": shared.RedactURL(cfg.ResultsURL), "version": version, "prefect_api_version": api.APIVersion,
		}
	}
	return &App{
		Store: st,
		API:   api.New(opts),
		Services: []services.Service{
			&services.Scheduler{Store: st, NewName: api.Slug},
			&services.LateRuns{Orch: orchestration.New(st)},
			&services.CrashedRuns{Orch: orchestration.New(st), Deadline: cfg.AgentDeadline},
		},
	}, nil
}

// RunServicesOnce runs every service once, in order; it returns the first
// error after trying them all (one failing service must not starve the
// others).
func (a *App) RunServicesOnce(ctx context.Context, logger *slog.Logger) error {
	var first error
	for _, svc := range a.Services {
		if err := svc.RunOnce(ctx); err != nil {
			logger.Error("background service failed", "service", svc.Name(), "err", err)
			if first == nil {
				first = fmt.Errorf("%s: %w", svc.Name(), err)
			}
		}
	}
	return first
}

// Close closes the store.
func (a *App) Close() error { return a.Store.Close() }
