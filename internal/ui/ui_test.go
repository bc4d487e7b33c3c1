package ui_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
	"github.com/orrery-dev/orrery/internal/ui"
)

// get requests path from h with an optional Accept-Encoding.
func get(t *testing.T, h http.Handler, path, encoding string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://localhost:4200"+path, nil)
	if encoding != "" {
		r.Header.Set("Accept-Encoding", encoding)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	rd := io.Reader(res.Body)
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assets lists the hashed asset paths index.html references.
func assets(t *testing.T, index string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?:src|href)="\./(assets/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(m) == 0 {
		t.Fatalf("index.html references no assets:\n%s", index)
	}
	var out []string
	for _, x := range m {
		out = append(out, "/"+x[1])
	}
	return out
}

func TestHandler(t *testing.T) {
	h := ui.Handler()
	idx := body(t, get(t, h, "/", ""))
	js := ""
	for _, a := range assets(t, idx) {
		if strings.HasSuffix(a, ".js") {
			js = a
		}
	}
	if js == "" {
		t.Fatal("no script in index.html")
	}
	tests := []struct {
		name, path, encoding string
		status               int
		ctype, cache, gzip   string
		base                 string // <base href> expected in an index.html answer
	}{
		{name: "root", path: "/", status: 200, ctype: "text/html", cache: "no-cache", base: "./"},
		{name: "top page", path: "/flow-runs", status: 200, ctype: "text/html", cache: "no-cache", base: "./"},
		{name: "deep link", path: "/flow-runs/flow-run/6f0c7d5e-0000-4000-8000-000000000001", status: 200, ctype: "text/html", cache: "no-cache", base: "../../"},
		{name: "trailing slash", path: "/flows/", status: 200, ctype: "text/html", cache: "no-cache", base: "../"},
		{name: "unknown page is the app's", path: "/no/such/page", status: 200, ctype: "text/html", cache: "no-cache", base: "../../"},
		{name: "asset gzip", path: js, encoding: "gzip, deflate, br", status: 200, ctype: "javascript", cache: "public, max-age=31536000, immutable", gzip: "gzip"},
		{name: "asset identity", path: js, status: 200, ctype: "javascript", cache: "public, max-age=31536000, immutable"},
		{name: "asset gzip refused", path: js, encoding: "gzip;q=0, identity", status: 200, ctype: "javascript", cache: "public, max-age=31536000, immutable"},
		{name: "unknown asset", path: "/assets/index-00000000.js", status: 404},
		{name: "favicon", path: "/favicon.svg", status: 200, ctype: "image/svg+xml", cache: "public, max-age=3600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, h, tc.path, tc.encoding)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			if cc := res.Header.Get("Cache-Control"); cc != tc.cache {
				t.Errorf("Cache-Control %q, want %q", cc, tc.cache)
			}
			if ce := res.Header.Get("Content-Encoding"); ce != tc.gzip {
				t.Errorf("Content-Encoding %q, want %q", ce, tc.gzip)
			}
			if res.Header.Get("Content-Security-Policy") == "" {
				t.Error("no Content-Security-Policy")
			}
			b := body(t, res)
			if tc.base != "" {
				if want := `<base href="` + tc.base + `" />`; !strings.Contains(b, want) {
					t.Errorf("index.html lacks %s:\n%s", want, b)
				}
				if !strings.Contains(b, `<div id="app">`) {
					t.Errorf("not index.html:\n%s", b)
				}
			}
			if strings.HasSuffix(tc.path, ".js") && len(b) < 1000 {
				t.Errorf("asset body is %d bytes", len(b))
			}
		})
	}
}

func TestAssetRevalidation(t *testing.T) {
	h := ui.Handler()
	js := assets(t, body(t, get(t, h, "/", "")))[0]
	res := get(t, h, js, "gzip")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	r := httptest.NewRequest(http.MethodGet, js, nil)
	r.Header.Set("Accept-Encoding", "gzip")
	r.Header.Set("If-None-Match", etag)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", w.Code)
	}
}

func TestBaseHref(t *testing.T) {
	for p, want := range map[string]string{
		"":                         "./",
		"/":                        "./",
		"/flows":                   "./",
		"/flows/":                  "../",
		"/flows/flow/x":            "../../",
		"/flow-runs/task-run/abc/": "../../../",
	} {
		if got := ui.BaseHref(p); got != want {
			t.Errorf("BaseHref(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestThroughServer mounts the UI as the API server's UIHandler: /api
// routes keep answering JSON (also unknown ones), everything else is the UI.
func TestThroughServer(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := api.New(api.Config{Store: st, Logger: slog.New(slog.DiscardHandler), UIHandler: ui.Handler()})
	tests := []struct {
		path   string
		status int
		ctype  string
		want   string
	}{
		{"/api/health", 200, "application/json", "true"},
		{"/api/admin/version", 200, "application/json", `"2.7`},
		{"/api/no/such/route", 404, "application/json", `"detail"`},
		{"/ui-settings", 200, "application/json", `"api_url":"http://localhost:4200/api"`},
		{"/", 200, "text/html", `<div id="app">`},
		{"/flow-runs/flow-run/6f0c7d5e-0000-4000-8000-000000000001", 200, "text/html", `<base href="../../" />`},
		{"/deployments", 200, "text/html", `<div id="app">`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			res := get(t, srv, tc.path, "")
			b := body(t, res)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, b)
			}
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			if !strings.Contains(b, tc.want) {
				t.Errorf("body lacks %s:\n%.300s", tc.want, b)
			}
			if tc.ctype == "application/json" && !json.Valid([]byte(b)) {
				t.Errorf("not JSON: %.300s", b)
			}
		})
	}
}
