package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orrery-dev/orrery/internal/results"
	"github.com/orrery-dev/orrery/internal/services"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// addRetention adds the retention service when ORRERY_RETENTION is set.
// A backend that expires records itself (DynamoDB's TTL) is told the
// retention first, so it stamps expiry times from the first write on, and
// the service then prunes only what is still there after the backend's
// grace.
func (a *App) addRetention(ctx context.Context, cfg shared.Config, st store.Store, logger *slog.Logger) error {
	if cfg.Retention <= 0 {
		return nil
	}
	var grace time.Duration
	if e, ok := a.Store.(store.Expirer); ok {
		grace = e.SetRetention(cfg.Retention)
	}
	rs, err := results.Open(ctx, cfg.ResultsURL)
	if err != nil {
		return fmt.Errorf("opening the results store for retention: %w", err)
	}
	a.Services = append(a.Services, a.Metrics.WrapService(&services.Retention{
		Store: st, Retention: cfg.Retention, Grace: grace, Results: rs, Logger: logger}))
	return nil
}
