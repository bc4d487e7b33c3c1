package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
)

// TestLambdaChecksAPIKeys builds the function's App exactly as main does
// (app.ForLambda, over DynamoDB in the emulator) and checks that keys are
// required even with ORRERY_AUTH=false: the serverless shape always checks.
func TestLambdaChecksAPIKeys(t *testing.T) {
	ep := os.Getenv("ORRERY_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		msg := "ORRERY_TEST_DYNAMODB_ENDPOINT is not set; run under scripts/with-backends.sh"
		if os.Getenv("ORRERY_REQUIRE_BACKENDS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	table := "orrery-fn-auth-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	t.Setenv("ORRERY_DATABASE_URL", "dynamodb://"+table+"?region=us-east-1&endpoint="+ep)
	t.Setenv("ORRERY_RESULTS_URL", "file://"+filepath.Join(t.TempDir(), "results"))
	t.Setenv("ORRERY_SECRET_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
	t.Setenv("ORRERY_SECRET_KEY_PARAMETER", "")
	t.Setenv("ORRERY_AUTH", "false")
	ctx := context.Background()
	a, _, err := app.ForLambda(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	write, _, err := auth.Create(ctx, a.Store, auth.CreateParams{Name: "ci", Scope: core.ScopeWrite, CreatedBy: "test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(a.API)
	for _, tt := range []struct {
		name, method, path, body, key string
		status                        int
	}{
		{"health is open", http.MethodGet, "/api/health", "", "", 200},
		{"no key", http.MethodPost, "/api/flows/", `{"name":"f"}`, "", 401},
		{"unknown key", http.MethodPost, "/api/flows/", `{"name":"f"}`, "orr_0123456789abcdef_" + strings.Repeat("x", 43), 401},
		{"write key", http.MethodPost, "/api/flows/", `{"name":"f"}`, write, 201},
		{"write key, admin route", http.MethodPost, "/api/admin/database/clear", `{"confirm":true}`, write, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := event(tt.method, tt.path, tt.body)
			if tt.key != "" {
				e.Headers["authorization"] = "Bearer " + tt.key
			}
			resp, err := h(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.status == 401 && resp.Headers["Www-Authenticate"] != "Bearer" && resp.Headers["WWW-Authenticate"] != "Bearer" {
				t.Fatalf("401 without WWW-Authenticate: %v", resp.Headers)
			}
		})
	}
}
