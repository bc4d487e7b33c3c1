// Package services holds Orrery's background work: the scheduler that
// creates runs of scheduled deployments and the late-runs marker. Each is
// a plain RunOnce(ctx) over (store, clock), so the local server calls it from
// a ticker and the serverless shape from an EventBridge-triggered Lambda.
package services

import (
	"context"
	"log/slog"
	"time"
)

// Service is one unit of background work.
type Service interface {
	Name() string
	RunOnce(ctx context.Context) error
}

// Loop calls svc.RunOnce every interval until ctx ends. Errors are logged;
// the next tick tries again.
func Loop(ctx context.Context, svc Service, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := svc.RunOnce(ctx); err != nil && ctx.Err() == nil {
			logger.Error("background service failed", "service", svc.Name(), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
