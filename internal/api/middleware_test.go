package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/metrics"
	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlite"
)

// edge is an API handler served in-process (so any Host can be sent),
// with its JSON log captured.
type edge struct {
	t     *testing.T
	h     *api.Server
	store store.Store
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// records decodes the captured JSON log lines.
func (s *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newEdge(t *testing.T, mutate ...func(*api.Config)) *edge {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := api.Config{Store: st, Secret: box, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	for _, m := range mutate {
		m(&cfg)
	}
	return &edge{t: t, h: api.New(cfg), store: cfg.Store, logs: logs}
}

// send serves one request; headers are name, value pairs ("Host" sets
// the Host).
func (e *edge) send(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = "127.0.0.1:4200"
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			r.Host = headers[i+1]
			continue
		}
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func TestHostCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		host    string
		allowed []string
		authOn  bool
		want    int
	}{
		{name: "localhost", host: "localhost:4200", want: 200},
		{name: "loopback v4", host: "127.0.0.1:4200", want: 200},
		{name: "loopback v6", host: "[::1]:4200", want: 200},
		{name: "upper case, trailing dot", host: "LOCALHOST.:4200", want: 200},
		{name: "sub.localhost resolves to loopback", host: "ui.localhost:4200", want: 200},
		{name: "dns rebinding", host: "attacker.example:4200", want: 400},
		{name: "lan ip not listed", host: "192.168.1.5:4200", want: 400},
		{name: "configured host", host: "myhost.lan:4200", allowed: []string{"myhost.lan"}, want: 200},
		{name: "configured ip", host: "10.0.0.2", allowed: []string{"10.0.0.2"}, want: 200},
		{name: "any host", host: "attacker.example", allowed: []string{"*"}, want: 200},
		// With keys on a rebound page has no key: the key check answers.
		{name: "keys on: not checked", host: "attacker.example", authOn: true, want: 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEdge(t, func(c *api.Config) {
				c.AllowedHosts = tt.allowed
				if tt.authOn {
					c.Auth = auth.New(auth.Config{Store: c.Store})
				}
			})
			w := e.send("GET", "/api/flows/"+uuid.NewString(), "", "Host", tt.host)
			if tt.want == 200 {
				// The host passed: the route answered (404 for the unknown flow).
				if w.Code != 404 {
					t.Fatalf("status %d, want the route's 404; body %s", w.Code, w.Body)
				}
				return
			}
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if tt.want == 400 {
				var body map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !strings.Contains(body["detail"], "ORRERY_ALLOWED_HOSTS") {
					t.Errorf("400 body %s should be JSON naming ORRERY_ALLOWED_HOSTS", w.Body)
				}
			}
		})
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		origins    []string
		method     string
		origin     string
		wantStatus int
		wantACAO   string
	}{
		{name: "no origin: no CORS header", method: "GET", wantStatus: 200},
		{name: "own origin", method: "GET", origin: "http://127.0.0.1:4200", wantStatus: 200, wantACAO: "http://127.0.0.1:4200"},
		{name: "foreign origin cannot read", method: "GET", origin: "https://evil.example", wantStatus: 200},
		{name: "configured origin", origins: []string{"https://ui.example"}, method: "GET", origin: "https://ui.example", wantStatus: 200, wantACAO: "https://ui.example"},
		{name: "wildcard", origins: []string{"*"}, method: "GET", origin: "https://evil.example", wantStatus: 200, wantACAO: "https://evil.example"},
		{name: "preflight from own origin", method: "OPTIONS", origin: "http://127.0.0.1:4200", wantStatus: 200, wantACAO: "http://127.0.0.1:4200"},
		{name: "preflight from foreign origin", method: "OPTIONS", origin: "https://evil.example", wantStatus: 403},
		{name: "preflight from configured origin", origins: []string{"https://ui.example"}, method: "OPTIONS", origin: "https://ui.example", wantStatus: 200, wantACAO: "https://ui.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEdge(t, func(c *api.Config) { c.CORSOrigins = tt.origins })
			h := []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,x-prefect-api-version"}
			if tt.method != "OPTIONS" {
				h = nil
			}
			if tt.origin != "" {
				h = append(h, "Origin", tt.origin)
			}
			w := e.send(tt.method, "/api/health", "", h...)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
			if tt.method == "OPTIONS" && tt.wantACAO != "" {
				if got := w.Header().Get("Access-Control-Allow-Headers"); got != "content-type,x-prefect-api-version" {
					t.Errorf("Access-Control-Allow-Headers = %q", got)
				}
				if !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST") {
					t.Errorf("Access-Control-Allow-Methods = %q", w.Header().Get("Access-Control-Allow-Methods"))
				}
			}
		})
	}
}

// TestCrossSiteWritesRefused is the attack in the issue: a web page the
// user visits POSTs to the local server (a "simple" request needs no
// preflight, so CORS alone does not stop it).
func TestCrossSiteWritesRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		origins []string
		headers []string
		want    int
	}{
		{name: "stock client (no browser headers)", want: 201},
		{name: "same origin", headers: []string{"Origin", "http://127.0.0.1:4200", "Sec-Fetch-Site", "same-origin"}, want: 201},
		{name: "foreign origin", headers: []string{"Origin", "https://evil.example"}, want: 403},
		{name: "cross-site fetch metadata", headers: []string{"Sec-Fetch-Site", "cross-site"}, want: 403},
		{name: "configured origin", origins: []string{"https://ui.example"}, headers: []string{"Origin", "https://ui.example", "Sec-Fetch-Site", "cross-site"}, want: 201},
		{name: "wildcard", origins: []string{"*"}, headers: []string{"Origin", "https://evil.example"}, want: 201},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEdge(t, func(c *api.Config) { c.CORSOrigins = tt.origins })
			headers := append([]string{"Content-Type", "text/plain"}, tt.headers...)
			w := e.send("POST", "/api/flows/", `{"name":"f"}`, headers...)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			_, err := e.store.GetFlowByName(context.Background(), "f")
			if created := err == nil; created != (tt.want == 201) {
				t.Errorf("flow created = %v, want %v", created, tt.want == 201)
			}
		})
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, sent string
		keep       bool
	}{
		{name: "generated", sent: ""},
		{name: "kept", sent: "req-42.abc:7", keep: true},
		{name: "too long", sent: strings.Repeat("a", 129)},
		{name: "spaces and quotes", sent: `x" injected="1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEdge(t)
			id := uuid.NewString()
			var h []string
			if tt.sent != "" {
				h = []string{"X-Request-ID", tt.sent}
			}
			w := e.send("GET", "/api/flows/"+id+"/", "", h...)
			got := w.Header().Get("X-Request-ID")
			switch {
			case tt.keep && got != tt.sent:
				t.Fatalf("X-Request-ID = %q, want the client's %q", got, tt.sent)
			case !tt.keep && uuid.Validate(got) != nil:
				t.Fatalf("X-Request-ID = %q, want a generated uuid", got)
			}
			recs := e.logs.records(t)
			if len(recs) != 1 {
				t.Fatalf("%d log records, want one: %v", len(recs), recs)
			}
			r := recs[0]
			for k, want := range map[string]any{
				"msg": "request", "method": "GET", "route": "/api/flows/{id}", "path": "/api/flows/" + id + "/",
				"status": float64(404), "request_id": got,
			} {
				if r[k] != want {
					t.Errorf("log %s = %v, want %v", k, r[k], want)
				}
			}
			if _, ok := r["duration_ms"].(float64); !ok {
				t.Errorf("log has no duration_ms: %v", r)
			}
		})
	}
}

// brokenStore fails the way a lost database does.
type brokenStore struct{ store.Store }

func (brokenStore) GetFlow(context.Context, uuid.UUID) (*core.Flow, error) {
	return nil, errors.New("disk I/O error")
}

func TestErrorLogCarriesRequestID(t *testing.T) {
	t.Parallel()
	e := newEdge(t, func(c *api.Config) { c.Store = brokenStore{c.Store} })
	w := e.send("GET", "/api/flows/"+uuid.NewString(), "", "X-Request-ID", "trace-1")
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
	var errorLogged bool
	for _, r := range e.logs.records(t) {
		if r["request_id"] != "trace-1" {
			t.Errorf("log record without the request id: %v", r)
		}
		if r["level"] == "ERROR" && strings.Contains(r["err"].(string), "disk I/O error") {
			errorLogged = true
		}
	}
	if !errorLogged {
		t.Error("the internal error was not logged")
	}
}

func TestSettingsRedacted(t *testing.T) {
	t.Parallel()
	e := newEdge(t, func(c *api.Config) {
		c.Settings = map[string]any{
			"database_url": "postgres://orrery:hunter2@db.internal:5432/orrery?sslmode=require",
			"results_url":  "s3://bucket/prefix?region=eu-west-1&secret=s3cr3t",
			"other_url":    "postgresql://db/x?user=u&password=pw-in-query",
			"cors_origins": []string{"https://ui.example", "https://admin:origin-pw@ui2.example"},
			"port":         4200,
		}
	})
	w := e.send("GET", "/api/admin/settings", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	for _, secret := range []string{"hunter2", "s3cr3t", "pw-in-query", "orrery:", "origin-pw"} {
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("settings leak %q: %s", secret, w.Body)
		}
	}
	if !strings.Contains(w.Body.String(), "db.internal:5432/orrery") {
		t.Errorf("settings lost the non-secret part of the URL: %s", w.Body)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	e := newEdge(t, func(c *api.Config) { c.Metrics = m })
	flow := e.send("POST", "/api/flows/", `{"name":"f"}`)
	var f struct{ ID string }
	_ = json.Unmarshal(flow.Body.Bytes(), &f)
	run := e.send("POST", "/api/flow_runs/", `{"flow_id":"`+f.ID+`"}`)
	var fr struct{ ID string }
	_ = json.Unmarshal(run.Body.Bytes(), &fr)
	if run.Code != 201 {
		t.Fatalf("creating a run: %d %s", run.Code, run.Body)
	}
	e.send("POST", "/api/flow_runs/"+fr.ID+"/set_state", `{"state":{"type":"RUNNING"}}`)
	e.send("POST", "/api/flow_runs/"+fr.ID+"/set_state", `{"state":{"type":"RUNNING"}}`)
	e.send("GET", "/api/flows/"+uuid.NewString(), "")
	e.send("GET", "/api/flows/"+uuid.NewString()+"/", "")

	w := e.send("GET", "/metrics", "")
	if w.Code != 200 {
		t.Fatalf("/metrics: %d %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, want := range []string{
		`orrery_http_requests_total{method="GET",route="/api/flows/{id}",status="404"} 2`,
		`orrery_http_requests_total{method="POST",route="/api/flow_runs/{id}/set_state",status="201"} 1`,
		`orrery_orchestration_transitions_total{kind="flow",proposed="RUNNING",result="ACCEPT"} 1`,
		`orrery_http_request_duration_seconds_bucket{method="POST",route="/api/flows",le="+Inf"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, fr.ID) {
		t.Error("a raw path (with an id) became a label")
	}
}

func TestMetricsNeedAKeyWhenKeysAreOn(t *testing.T) {
	t.Parallel()
	e := newEdge(t, func(c *api.Config) {
		c.Metrics = metrics.New()
		c.Auth = auth.New(auth.Config{Store: c.Store})
	})
	key, _, err := auth.Create(context.Background(), e.store, auth.CreateParams{Name: "prom", Scope: core.ScopeRead}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if w := e.send("GET", "/metrics", ""); w.Code != 401 {
		t.Errorf("without a key: %d, want 401", w.Code)
	}
	if w := e.send("GET", "/metrics", "", "Authorization", "Bearer "+key); w.Code != 200 || !strings.Contains(w.Body.String(), "orrery_http_requests_total") {
		t.Errorf("with a read key: %d %.200s", w.Code, w.Body)
	}
}

// TestAccessLogLevel: the Lambda shell logs the per-request line at debug,
// so at the default info level no line (no billed ingestion) is written.
func TestAccessLogLevel(t *testing.T) {
	t.Parallel()
	e := newEdge(t, func(c *api.Config) { c.AccessLogLevel = slog.LevelDebug })
	e.send("GET", "/api/health", "")
	if recs := e.logs.records(t); len(recs) != 0 {
		t.Errorf("logged %v at info, want nothing", recs)
	}
}

// panickyStore panics where a bug would.
type panickyStore struct{ store.Store }

func (panickyStore) GetFlow(context.Context, uuid.UUID) (*core.Flow, error) { panic("bug") }

func TestPanicIsA500WithTheRequestID(t *testing.T) {
	t.Parallel()
	e := newEdge(t, func(c *api.Config) { c.Store = panickyStore{c.Store} })
	w := e.send("GET", "/api/flows/"+uuid.NewString(), "", "X-Request-ID", "trace-2")
	if w.Code != 500 || w.Header().Get("X-Request-ID") != "trace-2" {
		t.Fatalf("status %d, X-Request-ID %q: want 500 and the id", w.Code, w.Header().Get("X-Request-ID"))
	}
	var panicked, logged bool
	for _, r := range e.logs.records(t) {
		if r["request_id"] != "trace-2" {
			t.Errorf("log record without the request id: %v", r)
		}
		panicked = panicked || r["msg"] == "panic serving request"
		logged = logged || (r["msg"] == "request" && r["status"] == float64(500))
	}
	if !panicked || !logged {
		t.Errorf("panic logged %v, request logged with 500 %v", panicked, logged)
	}
}
