// Package api is Orrery's HTTP surface: the Prefect 2.7 REST routes under
// /api, their JSON shapes, filter decoding, the single error-to-status table
// and the OpenAPI document. It is an http.Handler with no knowledge of how it
// is hosted: the local server and the Lambda function both serve it.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/store"
)

// PrefectVersion is the Prefect release whose API Orrery speaks.
const PrefectVersion = "2.7.12"

// APIVersion is the server's X-PREFECT-API-VERSION; MinAPIVersion the
// oldest client accepted.
const (
	APIVersion    = "0.8.4"
	MinAPIVersion = "0.8.0"
)

// DefaultMaxBody is the request body limit (413 above it). The client's
// log batches stay under 4 MB; 16 MiB leaves room for big parameters.
const DefaultMaxBody = 16 << 20

// Config configures a Server.
type Config struct {
	Store  store.Store
	Secret *secretbox.Box
	Logger *slog.Logger
	Now    func() time.Time
	// MaxBody is the request body limit in bytes (DefaultMaxBody when 0).
	MaxBody int64
	// Settings is what GET /api/admin/settings shows.
	Settings map[string]any
	// UIHandler serves everything outside /api (nil: the placeholder page).
	UIHandler http.Handler
	// DocsHandler serves /docs and /redoc (nil: not served).
	DocsHandler http.Handler
	// Auth checks API keys on every request but the open ones
	// (auth.Open); nil turns authentication off.
	Auth *auth.Authenticator
	// SecretsScope is the scope that may read block documents with
	// include_secrets=true (core.ScopeWrite when empty). Not admin by
	// default: the stock client's Block.load() and the stock agent's read
	// of a run's infrastructure block both ask for secrets, so an admin-only
	// rule would make every agent and flow hold a key that can also mint
	// keys and clear the database.
	SecretsScope core.Scope
}

// Server holds the API's dependencies.
type Server struct {
	store    store.Store
	orch     *orchestration.Orchestrator
	box      *secretbox.Box
	logger   *slog.Logger
	now      func() time.Time
	maxBody  int64
	settings map[string]any
	mux      *http.ServeMux
	routes   []route
	auth     *auth.Authenticator
	secrets  core.Scope

	openapiOnce sync.Once
	openapiDoc  map[string]any
}

// route is one registered endpoint, kept for the OpenAPI document.
type route struct {
	method, path, summary string
	tag                   string
}

// New builds the API handler.
func New(cfg Config) *Server {
	s := &Server{
		store: cfg.Store, box: cfg.Secret, logger: cfg.Logger, now: cfg.Now,
		maxBody: cfg.MaxBody, settings: cfg.Settings, mux: http.NewServeMux(), auth: cfg.Auth,
		secrets: cfg.SecretsScope,
	}
	if s.secrets == "" {
		s.secrets = core.ScopeWrite
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBody
	}
	s.orch = &orchestration.Orchestrator{Store: cfg.Store, Now: s.now}
	s.registerRoutes()
	if cfg.DocsHandler != nil {
		for _, p := range []string{"/docs", "/docs/", "/redoc", "/redoc/", "/api/docs", "/api/docs/", "/api/redoc"} {
			s.mux.Handle("GET "+p, cfg.DocsHandler)
		}
	}
	ui := cfg.UIHandler
	if ui == nil {
		ui = http.HandlerFunc(placeholder)
	}
	s.mux.Handle("GET /", ui)
	s.mux.HandleFunc("GET /ui-settings", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"api_url": "http://" + r.Host + "/api", "flags": []string{}})
	})
	return s
}

// handlerFunc is an endpoint that returns its error for central rendering.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h for "METHOD /path" under /api. Paths ending in "/" are
// served exactly, with and without the slash, as the client uses both
// forms and must never see a redirect.
func (s *Server) handle(pattern, tag, summary string, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	if tag != "" {
		s.document(pattern, tag, summary)
	}
	fn := func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
	trimmed := strings.TrimSuffix(path, "/")
	s.mux.HandleFunc(method+" /api"+trimmed, fn)
	s.mux.HandleFunc(method+" /api"+trimmed+"/{$}", fn)
}

// document lists a route in the OpenAPI document.
func (s *Server) document(pattern, tag, summary string) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, route{method: method, path: "/api" + path, summary: summary, tag: tag})
}

// ServeHTTP applies the cross-cutting concerns: panic recovery, CORS, API
// keys (when Config.Auth is set) and the API version check.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.logger.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, map[string]any{"exception_message": "Internal Server Error"})
		}
	}()
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "*")
		h.Set("Access-Control-Allow-Headers", "*")
		w.WriteHeader(http.StatusOK)
		return
	}
	if s.auth != nil && !auth.Open(r.Method, r.URL.Path) {
		s.serveAuthenticated(w, r, http.HandlerFunc(s.serveChecked))
		return
	}
	s.serveChecked(w, r)
}

// serveChecked checks the client's API version and routes the request.
func (s *Server) serveChecked(w http.ResponseWriter, r *http.Request) {
	// Every API route checks the client version except the health check.
	if strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/api/health" {
		if err := checkAPIVersion(r.Header.Get("X-PREFECT-API-VERSION")); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// checkAPIVersion applies 2.7's header rules: absent is fine, malformed or
// older than MinAPIVersion is a 400.
func checkAPIVersion(v string) error {
	if v == "" {
		return nil
	}
	got, err := orchestration.ParseAPIVersion(v)
	if err != nil {
		return core.Errorf(core.EBadRequest, "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received %s", v)
	}
	minimum, _ := orchestration.ParseAPIVersion(MinAPIVersion)
	for i := range got {
		if got[i] != minimum[i] {
			if got[i] < minimum[i] {
				return core.Errorf(core.EBadRequest, "The request specified API version %s but this server requires version %s or higher.", v, MinAPIVersion)
			}
			break
		}
	}
	return nil
}

func apiVersion(r *http.Request) *[3]int {
	v, _ := orchestration.ParseAPIVersion(r.Header.Get("X-PREFECT-API-VERSION"))
	return v
}

func placeholder(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, placeholderHTML)
}

const placeholderHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orrery</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;color:#222}code{background:#eee;padding:.1rem .3rem}</style>
</head><body>
<h1>Orrery</h1>
<p>A Prefect 2 compatible orchestration API is running here. The dashboard is not built yet.</p>
<ul>
<li>Point the Prefect client at it: <code>prefect config set PREFECT_API_URL=<span id="u"></span></code></li>
<li><a href="/docs">API docs (Swagger UI)</a> · <a href="/redoc">ReDoc</a> · <a href="/api/openapi.json">OpenAPI document</a></li>
<li><a href="/api/health">Health</a></li>
</ul>
<script>document.getElementById("u").textContent = location.origin + "/api";</script>
</body></html>
`
