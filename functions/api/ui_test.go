package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/orrery-dev/orrery/internal/app/apptest"
)

// TestLambdaServesTheUI: the Lambda shell answers the embedded UI like the
// server does — index.html at / and at deep links, hashed assets cached
// and compressed, /api untouched.
func TestLambdaServesTheUI(t *testing.T) {
	a, _ := apptest.New(t)
	h := newHandler(a.API)
	ctx := context.Background()
	get := func(path, encoding string) (int, map[string]string, string) {
		t.Helper()
		e := event(http.MethodGet, path, "")
		if encoding != "" {
			e.Headers["accept-encoding"] = encoding
		}
		resp, err := h(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Headers, resp.Body
	}
	status, hdr, body := get("/", "")
	if status != 200 || !strings.Contains(hdr["Content-Type"], "text/html") || !strings.Contains(body, `<div id="app">`) {
		t.Fatalf("GET /: %d %v %.200s", status, hdr, body)
	}
	m := regexp.MustCompile(`src="\./(assets/[^"]+\.js)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no script in index.html: %s", body)
	}
	for _, tc := range []struct {
		path, encoding, want, cache, gzip string
		status                            int
	}{
		{path: "/flow-runs/flow-run/6f0c7d5e-0000-4000-8000-000000000001", want: `<base href="../../" />`, cache: "no-cache", status: 200},
		{path: "/" + m[1], encoding: "gzip", cache: "public, max-age=31536000, immutable", gzip: "gzip", status: 200},
		{path: "/assets/missing-00000000.js", status: 404},
		{path: "/api/health", want: "true", status: 200},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, hdr, body := get(tc.path, tc.encoding)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if tc.want != "" && !strings.Contains(body, tc.want) {
				t.Errorf("body lacks %s: %.200s", tc.want, body)
			}
			if tc.cache != "" && hdr["Cache-Control"] != tc.cache {
				t.Errorf("Cache-Control %q, want %q", hdr["Cache-Control"], tc.cache)
			}
			if hdr["Content-Encoding"] != tc.gzip {
				t.Errorf("Content-Encoding %q, want %q", hdr["Content-Encoding"], tc.gzip)
			}
		})
	}
}
