package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/app"
)

// lambdaApp builds the function's App exactly as main does (app.ForLambda)
// over a fresh DynamoDB table named after prefix in the emulator of
// scripts/with-backends.sh, skipping the test when there is none. The App
// is closed when the test ends.
func lambdaApp(t *testing.T, prefix string) *app.App {
	t.Helper()
	ep := os.Getenv("ORRERY_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		msg := "ORRERY_TEST_DYNAMODB_ENDPOINT is not set; run under scripts/with-backends.sh"
		if os.Getenv("ORRERY_REQUIRE_BACKENDS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	table := prefix + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	t.Setenv("ORRERY_DATABASE_URL", "dynamodb://"+table+"?region=us-east-1&endpoint="+ep)
	t.Setenv("ORRERY_RESULTS_URL", "file://"+filepath.Join(t.TempDir(), "results"))
	t.Setenv("ORRERY_SECRET_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
	t.Setenv("ORRERY_SECRET_KEY_PARAMETER", "")
	a, _, err := app.ForLambda(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
