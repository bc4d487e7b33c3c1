package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/orrery-dev/orrery/internal/app/apptest"
)

// adapterFunction runs the api function's own adapter (httpadapter.NewV2, as
// functions/api does) in process: the gateway's events and the function's
// responses go through JSON exactly as they do through the emulator.
func adapterFunction(h http.Handler) *fakeFunction {
	proxy := httpadapter.NewV2(h)
	return &fakeFunction{InvokeFn: func(ctx context.Context, payload []byte) ([]byte, error) {
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, err
		}
		resp, err := proxy.ProxyWithContext(ctx, e)
		if err != nil {
			return json.Marshal(functionError{ErrorMessage: err.Error(), ErrorType: "error"})
		}
		return json.Marshal(resp)
	}}
}

func TestGatewayWithTheAPIAdapter(t *testing.T) {
	t.Parallel()
	a, _ := apptest.New(t)
	srv := httptest.NewServer(&Gateway{Function: NewPool(adapterFunction(a.API)), Logger: quiet})
	defer srv.Close()
	for _, tt := range []struct {
		name, method, path, contentType, body string
		status                                int
		contains                              string
	}{
		{"health", "GET", "/api/health", "", "", 200, "true"},
		{"create", "POST", "/api/flows/", "application/json", `{"name":"gw flow","tags":["a,b","c"]}`, 201, `"gw flow"`},
		{"again", "POST", "/api/flows/", "application/json", `{"name":"gw flow"}`, 200, `"gw flow"`},
		{"escaped path", "GET", "/api/flows/name/gw%20flow", "", "", 200, `"a,b"`},
		{"filter with query string", "POST", "/api/flows/filter?limit=1", "application/json", `{}`, 200, `"gw flow"`},
		{"validation", "POST", "/api/flows/", "application/json", `{"name": `, 422, "exception_detail"},
		{"unknown id", "GET", "/api/flows/00000000-0000-0000-0000-000000000000", "", "", 404, "detail"},
		{"body without a type (base64)", "POST", "/api/flows/", "", `{"name":"untyped"}`, 201, `"untyped"`},
		{"bad API version", "POST", "/api/flows/filter", "application/json", `{}`, 400, "detail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.name == "bad API version" {
				req.Header.Set("X-Prefect-Api-Version", "banana")
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Fatalf("%s %s: %d %s, want %d containing %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.contains)
			}
		})
	}
}
