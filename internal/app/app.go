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
	"github.com/orrery-dev/orrery/internal/metrics"
	"github.com/orrery-dev/orrery/internal/notify"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/ui"
	"github.com/orrery-dev/orrery/shared"
)

// App is an assembled Orrery.
type App struct {
	// Store is the backend itself; the API and the services use it through
	// the metrics' instrumented wrapper.
	Store store.Store
	API   *api.Server
	// Metrics is what GET /metrics serves.
	Metrics *metrics.Metrics
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
// store, secret box, body limit, allowed hosts, CORS origins and metrics are
// filled in from cfg, and API keys are checked when cfg.Auth is true.
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
	m := opts.Metrics
	if m == nil {
		m = metrics.New()
	}
	ist := m.WrapStore(st)
	opts.Store, opts.Secret, opts.MaxBody, opts.Metrics = ist, box, cfg.MaxBodyBytes, m
	if cfg.Auth != nil && *cfg.Auth && opts.Auth == nil {
		opts.Auth = auth.New(auth.Config{Store: ist, Logger: opts.Logger, Now: opts.Now})
	}
	if opts.AllowedHosts == nil {
		opts.AllowedHosts = AllowedHosts(cfg)
	}
	if opts.CORSOrigins == nil {
		opts.CORSOrigins = cfg.CORSOrigins
	}
	if opts.UIHandler == nil {
		// The embedded web UI, in both shells (server and Lambda).
		opts.UIHandler = ui.Handler()
	}
	if opts.Settings == nil {
		// api.New shows every URL through shared.RedactURL; redacting here
		// too keeps the map safe for any other use.
		opts.Settings = map[string]any{
			"host": cfg.Host, "port": cfg.Port, "database_url": shared.RedactURL(cfg.DatabaseURL),
			"results_url": shared.RedactURL(cfg.ResultsURL), "version": version, "prefect_api_version": api.APIVersion,
			"allowed_hosts": opts.AllowedHosts, "cors_origins": opts.CORSOrigins,
		}
	}
	orch := func() *orchestration.Orchestrator {
		o := orchestration.New(ist)
		o.Observe = m.Transition
		return o
	}
	a := &App{
		Store:   st,
		API:     api.New(opts),
		Metrics: m,
		Services: []services.Service{
			m.WrapService(&services.Scheduler{Store: ist, NewName: api.Slug}),
			m.WrapService(&services.LateRuns{Orch: orch()}),
			m.WrapService(&services.CrashedRuns{Orch: orch(), Deadline: cfg.AgentDeadline}),
			m.WrapService(&services.Notifications{Store: ist, Box: box, Deliverer: &notify.Deliverer{}, UIURL: cfg.UIBaseURL(), Logger: opts.Logger,
				Backoff: services.ExponentialBackoff(cfg.NotificationBackoff)}),
		},
	}
	if err := a.addRetention(ctx, cfg, ist, opts.Logger); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// AllowedHosts is the Host list the API answers while keys are off: the
// host the server listens on (unless it is a wildcard address, which no
// client sends as Host) and ORRERY_ALLOWED_HOSTS; localhost, 127.0.0.1
// and [::1] are always allowed by the API itself.
func AllowedHosts(cfg shared.Config) []string {
	hosts := []string{}
	if h := cfg.Host; h != "" && h != "0.0.0.0" && h != "::" && h != "[::]" {
		hosts = append(hosts, h)
	}
	return append(hosts, cfg.AllowedHosts...)
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
