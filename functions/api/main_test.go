package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orrery-dev/orrery/internal/app/apptest"
)

func event(method, path, body string) events.APIGatewayV2HTTPRequest {
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "application/json", "x-prefect-api-version": "0.8.4"},
	}
	e.RequestContext.HTTP.Method = method
	e.RequestContext.HTTP.Path = path
	return e
}

func TestAPIGatewayEventsReachTheAPI(t *testing.T) {
	a, _ := apptest.New(t)
	h := newHandler(a.API)
	ctx := context.Background()
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"health", http.MethodGet, "/api/health", "", 200},
		{"create flow", http.MethodPost, "/api/flows/", `{"name":"lambda-flow"}`, 201},
		{"existing flow", http.MethodPost, "/api/flows/", `{"name":"lambda-flow"}`, 200},
		{"validation", http.MethodPost, "/api/flows/", `{"name":1}`, 422},
		{"unknown id", http.MethodGet, "/api/flows/00000000-0000-0000-0000-000000000000", "", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h(ctx, event(tt.method, tt.path, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
		})
	}
	resp, err := h(ctx, event(http.MethodGet, "/api/flows/name/lambda-flow", ""))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Name string }
	if err := json.Unmarshal([]byte(resp.Body), &f); err != nil || f.Name != "lambda-flow" {
		t.Fatalf("read back %q: %v", resp.Body, err)
	}
}
