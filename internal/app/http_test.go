package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/app"
	"github.com/orrery-dev/orrery/internal/app/apptest"
	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

// generous bounds how long a test waits for the server to act; the
// server's own timeouts in these tests are a fraction of a second.
const generous = 20 * time.Second

// serve starts the local server's http.Server (app.NewHTTPServer) over
// the App's API with short limits.
func serve(t *testing.T, l app.Limits) string {
	t.Helper()
	a, logger := apptest.New(t)
	srv := app.NewHTTPServer(a.API, l, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedByServer reads from c until the server closes it; it fails the
// test when that takes longer than generous.
func closedByServer(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(generous))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still held the connection after %s", generous)
	}
}

// TestSlowClientsAreDisconnected reproduces the finding (300
// slow-body connections all still held after 60 s): with the read limits
// set, every slow or stalled client is disconnected.
func TestSlowClientsAreDisconnected(t *testing.T) {
	t.Parallel()
	addr := serve(t, app.Limits{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	for _, tt := range []struct {
		name string
		send string // then the client stalls
	}{
		{"slow body", "POST /api/flows/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"name\":"},
		{"slow headers", "POST /api/flows/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "},
		{"nothing at all", ""},
		{"idle keep-alive", "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Several at once, as an attacker would.
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Error(err)
						return
					}
					defer c.Close()
					if _, err := io.WriteString(c, tt.send); err != nil {
						t.Error(err)
						return
					}
					closedByServer(t, c)
				})
			}
			wg.Wait()
		})
	}
}

func TestHeaderSizeLimit(t *testing.T) {
	t.Parallel()
	addr := serve(t, app.Limits{MaxHeaderBytes: 4 << 10})
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/health", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a normal request: %d", resp.StatusCode)
	}
}

func TestServerDefaults(t *testing.T) {
	t.Parallel()
	srv := app.NewHTTPServer(http.NotFoundHandler(), app.Limits{}, nil)
	if srv.ReadHeaderTimeout != app.DefaultReadHeaderTimeout || srv.ReadTimeout != app.DefaultReadTimeout ||
		srv.WriteTimeout != app.DefaultWriteTimeout || srv.IdleTimeout != app.DefaultIdleTimeout ||
		srv.MaxHeaderBytes != app.DefaultMaxHeaderBytes {
		t.Errorf("defaults not applied: %+v", srv)
	}
	srv = app.NewHTTPServer(http.NotFoundHandler(), app.LimitsOf(shared.Config{ReadTimeout: time.Minute * 5, WriteTimeout: time.Minute * 7}), nil)
	if srv.ReadTimeout != 5*time.Minute || srv.WriteTimeout != 7*time.Minute {
		t.Errorf("configured timeouts not applied: read %s write %s", srv.ReadTimeout, srv.WriteTimeout)
	}
}

func TestNewLogger(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format, level string
		wantJSON      bool
		wantDebug     bool
	}{
		{format: "", level: "info", wantJSON: true}, // not a terminal
		{format: "json", level: "debug", wantJSON: true, wantDebug: true},
		{format: "text", level: "warn"},
	} {
		var b bytes.Buffer
		l := app.NewLogger(&b, tt.format, tt.level)
		l.Debug("d")
		l.Warn("w", "k", "v")
		out := b.String()
		if got := json.Valid([]byte(strings.Split(out, "\n")[0])); got != tt.wantJSON {
			t.Errorf("format %q: JSON = %v, want %v: %q", tt.format, got, tt.wantJSON, out)
		}
		if got := strings.Contains(out, `"d"`) || strings.Contains(out, "msg=d"); got != tt.wantDebug {
			t.Errorf("level %q: debug shown = %v", tt.level, got)
		}
	}
}

func TestAllowedHosts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		host  string
		extra []string
		want  string
	}{
		{"127.0.0.1", nil, "127.0.0.1"},
		{"0.0.0.0", []string{"box.lan"}, "box.lan"},
		{"::", nil, ""},
		{"orrery.internal", []string{"10.0.0.5", "*"}, "orrery.internal,10.0.0.5,*"},
	} {
		if got := strings.Join(app.AllowedHosts(shared.Config{Host: tt.host, AllowedHosts: tt.extra}), ","); got != tt.want {
			t.Errorf("AllowedHosts(%q, %v) = %q, want %q", tt.host, tt.extra, got, tt.want)
		}
	}
}

// TestAppHostCheck: the assembled App answers its bind host and refuses
// others while keys are off.
func TestAppHostCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := shared.Config{Host: "0.0.0.0", AllowedHosts: []string{"box.lan"}, DatabaseURL: "sqlite:///:memory:",
		SecretKeyFile: filepath.Join(dir, "k"), ResultsURL: "file://" + dir}
	a, err := app.New(context.Background(), cfg, backend.Open, api.Config{Logger: slog.New(slog.DiscardHandler)}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for host, want := range map[string]int{"box.lan:4200": 200, "localhost:4200": 200, "evil.example:4200": 400} {
		r := httptest.NewRequest("GET", "/api/health", nil)
		r.Host = host
		w := httptest.NewRecorder()
		a.API.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %s: %d, want %d", host, w.Code, want)
		}
	}
}

// TestSettingsRedactPasswords builds the App over a PostgreSQL URL with a
// password (the store itself is SQLite: the opener is the test's) and
// reads /api/admin/settings.
func TestSettingsRedactPasswords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := shared.Config{Host: "127.0.0.1", DatabaseURL: "postgres://orrery:hunter2@db:5432/orrery?sslmode=disable&password=hunter3",
		ResultsURL: "s3://bucket/p?region=x&secret=s3cr3t", SecretKeyFile: filepath.Join(dir, "k")}
	open := func(ctx context.Context, _, _ string) (store.Store, error) {
		return backend.Open(ctx, "sqlite:///:memory:", "file://"+dir)
	}
	a, err := app.New(context.Background(), cfg, open, api.Config{Logger: slog.New(slog.DiscardHandler)}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	w := httptest.NewRecorder()
	a.API.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1/api/admin/settings", nil))
	for _, secret := range []string{"hunter2", "hunter3", "s3cr3t"} {
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("settings show %q: %s", secret, w.Body)
		}
	}
	if !strings.Contains(w.Body.String(), "db:5432/orrery") {
		t.Errorf("settings lost the database host: %s", w.Body)
	}
}

// TestMetricsWired: requests, orchestration answers and service passes of
// an assembled App reach its /metrics.
func TestMetricsWired(t *testing.T) {
	t.Parallel()
	a, logger := apptest.New(t)
	if err := a.RunServicesOnce(context.Background(), logger); err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		a.API.ServeHTTP(w, httptest.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body)))
		return w
	}
	var flow, run struct{ ID string }
	_ = json.Unmarshal(do("POST", "/api/flows/", `{"name":"m"}`).Body.Bytes(), &flow)
	_ = json.Unmarshal(do("POST", "/api/flow_runs/", fmt.Sprintf(`{"flow_id":%q}`, flow.ID)).Body.Bytes(), &run)
	do("POST", "/api/flow_runs/"+run.ID+"/set_state", `{"state":{"type":"RUNNING"}}`)
	// The backlog: queue q has two due runs and one future run, queue
	// "other" one due run, queue "idle" none.
	do("POST", "/api/work_queues/", `{"name":"q"}`)
	do("POST", "/api/work_queues/", `{"name":"idle"}`)
	deployments := map[string]string{} // work queue -> deployment id
	for _, q := range []string{"q", "other"} {
		var dep struct{ ID string }
		_ = json.Unmarshal(do("POST", "/api/deployments/", fmt.Sprintf(`{"name":"d-%s","flow_id":%q,"work_queue_name":%q}`, q, flow.ID, q)).Body.Bytes(), &dep)
		deployments[q] = dep.ID
	}
	for _, r := range []struct{ queue, at string }{
		{"q", "2020-01-01T00:00:00Z"}, {"q", "2021-01-01T00:00:00Z"}, {"q", "2999-01-01T00:00:00Z"}, {"other", "2020-01-01T00:00:00Z"},
	} {
		w := do("POST", "/api/deployments/"+deployments[r.queue]+"/create_flow_run", fmt.Sprintf(`{"state":{"type":"SCHEDULED","state_details":{"scheduled_time":%q}}}`, r.at))
		if w.Code != 201 {
			t.Fatalf("creating a scheduled run: %d %s", w.Code, w.Body)
		}
	}
	a.Metrics.WatchQueues(a.Store, nil)
	body := do("GET", "/metrics", "").Body.String()
	for _, want := range []string{
		`orrery_http_requests_total{method="POST",route="/api/flows",status="201"} 1`,
		`orrery_orchestration_transitions_total{kind="flow",proposed="RUNNING",result="ACCEPT"} 1`,
		`orrery_service_runs_total{result="ok",service="`,
		`orrery_service_run_duration_seconds_bucket{service="`,
		`orrery_work_queue_runs_waiting{work_queue="q"} 2`,
		`orrery_work_queue_runs_waiting{work_queue="idle"} 0`,
		`orrery_work_queue_scrape_error 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestGatewayRequestID: in Lambda the request id is API Gateway's.
func TestGatewayRequestID(t *testing.T) {
	t.Parallel()
	a, _ := apptest.New(t)
	h := httpadapter.NewV2(app.GatewayRequestID(a.API)).ProxyWithContext
	e := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/api/health",
		Headers: map[string]string{"x-request-id": "client-chosen"}}
	e.RequestContext.HTTP.Method = "GET"
	e.RequestContext.HTTP.Path = "/api/health"
	e.RequestContext.RequestID = "gw-abc123="
	resp, err := h(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Headers["X-Request-Id"]
	if got == "" {
		got = resp.Headers["X-Request-ID"]
	}
	if got != "gw-abc123=" {
		t.Errorf("X-Request-ID = %q (headers %v), want API Gateway's", got, resp.Headers)
	}
}
