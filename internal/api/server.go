// Package api is Orrery's HTTP surface: the Prefect 2.7 REST routes under
// /api, their JSON shapes, filter decoding, the single error-to-status table
// and the OpenAPI document. It is an http.Handler with no knowledge of how it
// is hosted: the local server and the Lambda function both serve it.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/metrics"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
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
	// Settings is what GET /api/admin/settings shows; every string value
	// that looks like a URL is shown through shared.RedactURL.
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
	// AllowedHosts are Host header names answered, besides localhost,
	// 127.0.0.1 and [::1], while Auth is nil; "*" allows any. Other hosts
	// get a 400, which closes DNS rebinding: a web page on
	// attacker.example whose name resolves to 127.0.0.1 cannot reach a
	// local server that checks no keys. With keys on the check is off (a
	// rebound page has no key; behind API Gateway the Host is the
	// gateway's).
	AllowedHosts []string
	// CORSOrigins are browser origins ("https://ui.example:8443") allowed
	// to call the API besides the server's own; "*" allows any. They are
	// also the origins trusted by the cross-origin write check.
	CORSOrigins []string
	// Metrics, when set, records every request and orchestration answer
	// and is served at GET /metrics (with a read key when Auth is set).
	Metrics *metrics.Metrics
	// AccessLogLevel is the level of the one line logged per request
	// (info when zero). The Lambda shell uses debug: CloudWatch bills log
	// ingestion per byte and API Gateway can keep an access log itself.
	AccessLogLevel slog.Level
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
	metrics  *metrics.Metrics
	accessAt slog.Level
	hosts    hostPolicy
	cors     corsPolicy

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
		maxBody: cfg.MaxBody, settings: redactSettings(cfg.Settings), mux: http.NewServeMux(), auth: cfg.Auth,
		secrets: cfg.SecretsScope, metrics: cfg.Metrics, accessAt: cfg.AccessLogLevel,
		hosts: newHostPolicy(cfg.AllowedHosts), cors: newCORSPolicy(cfg.CORSOrigins),
	}
	if s.secrets == "" {
		s.secrets = core.ScopeWrite
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	// Records logged with a request's context carry its id.
	s.logger = slog.New(requestIDHandler{s.logger.Handler()})
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBody
	}
	s.orch = &orchestration.Orchestrator{Store: cfg.Store, Now: s.now, Observe: cfg.Metrics.Transition}
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
		writeJSON(w, 200, map[string]any{"api_url": uiAPIURL(r), "flags": []string{}})
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

// ServeHTTP applies the cross-cutting concerns (middleware.go): request
// id, access log, metrics and panic recovery around the Host check, CORS,
// the cross-origin write check, API keys (when Config.Auth is set) and the
// API version check.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(w, r, s.serve)
}

// serve answers one request once it is being observed.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil && !s.hosts.allows(r.Host) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": fmt.Sprintf(
			"Host %q is not allowed: with API keys off this server answers only localhost, 127.0.0.1, [::1], its --host and the names in %s (--allowed-hosts).",
			r.Host, shared.EnvAllowedHosts)})
		return
	}
	if s.cors.apply(w, r) {
		return // a preflight, answered
	}
	if err := s.cors.checkWrite(r); err != nil {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": fmt.Sprintf(
			"Cross-origin request from %q refused: add the origin to %s to allow it.", r.Header.Get("Origin"), shared.EnvCORSOrigins)})
		return
	}
	if s.auth != nil && (!auth.Open(r.Method, r.URL.Path) || isMetrics(r)) {
		s.serveAuthenticated(w, r, http.HandlerFunc(s.serveChecked))
		return
	}
	s.serveChecked(w, r)
}

// isMetrics reports whether r is a scrape of GET /metrics.
func isMetrics(r *http.Request) bool {
	return r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// serveChecked checks the client's API version and routes the request.
func (s *Server) serveChecked(w http.ResponseWriter, r *http.Request) {
	if isMetrics(r) && s.metrics != nil {
		setRoute(r, "GET /metrics")
		s.metrics.Handler().ServeHTTP(w, r)
		return
	}
	// Every API route checks the client version except the health check.
	if strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/api/health" {
		if err := checkAPIVersion(r.Header.Get("X-PREFECT-API-VERSION")); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.route(w, r)
	// The mux sets the matched pattern on r; the access log and the
	// metrics label the request with it, never with the raw path.
	setRoute(r, r.Pattern)
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
