package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
)

// TestLambdaChecksAPIKeys builds the function's App exactly as main does
// (app.ForLambda, over DynamoDB in the emulator) and checks that keys are
// required even with ORRERY_AUTH=false: the serverless shape always checks.
func TestLambdaChecksAPIKeys(t *testing.T) {
	t.Setenv("ORRERY_AUTH", "false")
	a := lambdaApp(t, "orrery-fn-auth-")
	ctx := context.Background()
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
