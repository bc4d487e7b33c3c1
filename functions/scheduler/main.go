// Command scheduler is the Lambda function an EventBridge rule invokes every
// minute: it runs each background service (scheduler, late runs, crashed
// runs) once — the same RunOnce calls the local server makes on a ticker.
package main

import (
	"context"
	"log"
	"log/slog"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orrery-dev/orrery/internal/app"
)

var version = "dev"

// newHandler returns the tick handler. The built-in block types are
// installed (create-or-get, so idempotent) on an instance's first successful
// tick, which keeps the API function's cold start free of that work.
func newHandler(a *app.App, logger *slog.Logger) func(context.Context, events.CloudWatchEvent) error {
	var installed atomic.Bool
	return func(ctx context.Context, _ events.CloudWatchEvent) error {
		if !installed.Load() {
			if err := a.API.InstallSystemBlockTypes(ctx); err != nil {
				logger.Error("installing system block types", "err", err)
			} else {
				installed.Store(true)
			}
		}
		return a.RunServicesOnce(ctx, logger)
	}
}

func main() {
	a, logger, err := app.ForLambda(context.Background(), version)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(newHandler(a, logger))
}
