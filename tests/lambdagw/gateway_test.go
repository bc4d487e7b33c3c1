package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// fakeFunction is an Invoker whose behaviour each test sets.
type fakeFunction struct {
	InvokeFn func(ctx context.Context, payload []byte) ([]byte, error)
}

var _ Invoker = (*fakeFunction)(nil)

func (f *fakeFunction) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f.InvokeFn(ctx, payload)
}

// returns answers every invocation with out and records the last event.
func returns(out string, last *events.APIGatewayV2HTTPRequest) *fakeFunction {
	return &fakeFunction{InvokeFn: func(_ context.Context, payload []byte) ([]byte, error) {
		if last != nil {
			if err := json.Unmarshal(payload, last); err != nil {
				return nil, err
			}
		}
		return []byte(out), nil
	}}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestEventMapping(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		request func() *http.Request
		check   func(t *testing.T, e events.APIGatewayV2HTTPRequest)
	}{
		{
			name: "path, query, method, stage and source",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "http://gw.local:8080/api/flows/name/a%20b?x=1&x=2&y=", nil)
				r.RemoteAddr = "10.1.2.3:5555"
				return r
			},
			check: func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
				want := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/api/flows/name/a%20b", RawQueryString: "x=1&x=2&y="}
				if e.Version != want.Version || e.RouteKey != want.RouteKey || e.RawPath != want.RawPath || e.RawQueryString != want.RawQueryString {
					t.Errorf("got version %q route %q rawPath %q rawQuery %q", e.Version, e.RouteKey, e.RawPath, e.RawQueryString)
				}
				if e.QueryStringParameters["x"] != "1,2" || e.QueryStringParameters["y"] != "" {
					t.Errorf("query parameters %v", e.QueryStringParameters)
				}
				c := e.RequestContext
				if c.Stage != "$default" || c.RouteKey != "$default" || c.HTTP.Method != "GET" || c.HTTP.Path != "/api/flows/name/a b" ||
					c.HTTP.SourceIP != "10.1.2.3" || c.DomainName != "gw.local" || c.RequestID != "req-1" || c.TimeEpoch != now.UnixMilli() {
					t.Errorf("request context %+v", c)
				}
				if e.Body != "" || e.IsBase64Encoded {
					t.Errorf("body %q base64 %v", e.Body, e.IsBase64Encoded)
				}
			},
		},
		{
			name: "headers lower-cased and comma-joined, cookies split out",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "http://gw.local/api/health", nil)
				r.Header.Add("X-Prefect-Api-Version", "0.8.4")
				r.Header.Add("Accept", "text/html")
				r.Header.Add("Accept", "application/json")
				r.Header.Add("Authorization", "Bearer orr_k")
				r.Header.Add("Cookie", "a=1; b=2")
				r.Header.Add("Cookie", "c=3")
				return r
			},
			check: func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
				for k, want := range map[string]string{
					"x-prefect-api-version": "0.8.4", "accept": "text/html,application/json",
					"authorization": "Bearer orr_k", "host": "gw.local",
				} {
					if e.Headers[k] != want {
						t.Errorf("header %s = %q, want %q", k, e.Headers[k], want)
					}
				}
				if _, ok := e.Headers["cookie"]; ok {
					t.Error("the cookie header stays in headers")
				}
				for k := range e.Headers {
					if k != strings.ToLower(k) {
						t.Errorf("header %q not lower-cased", k)
					}
				}
				if strings.Join(e.Cookies, "|") != "a=1|b=2|c=3" {
					t.Errorf("cookies %q", e.Cookies)
				}
			},
		},
		{
			name: "JSON body as text",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "http://gw.local/api/flows/", strings.NewReader(`{"name":"é"}`))
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				return r
			},
			check: func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
				if e.IsBase64Encoded || e.Body != `{"name":"é"}` || e.Headers["content-length"] != "13" {
					t.Errorf("body %q base64 %v length %q", e.Body, e.IsBase64Encoded, e.Headers["content-length"])
				}
			},
		},
		{
			name: "binary body base64-encoded",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodPut, "http://gw.local/api/x", bytes.NewReader([]byte{0, 0xff, 1}))
				r.Header.Set("Content-Type", "application/octet-stream")
				return r
			},
			check: func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
				if !e.IsBase64Encoded || e.Body != base64.StdEncoding.EncodeToString([]byte{0, 0xff, 1}) {
					t.Errorf("body %q base64 %v", e.Body, e.IsBase64Encoded)
				}
			},
		},
		{
			name: "text type with invalid UTF-8 is base64-encoded",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "http://gw.local/api/x", bytes.NewReader([]byte{'{', 0xff, '}'}))
				r.Header.Set("Content-Type", "application/json")
				return r
			},
			check: func(t *testing.T, e events.APIGatewayV2HTTPRequest) {
				if !e.IsBase64Encoded {
					t.Errorf("body %q not base64", e.Body)
				}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.request()
			body, _ := io.ReadAll(r.Body)
			tt.check(t, NewEvent(r, body, "req-1", now))
		})
	}
}

func TestGatewayResponses(t *testing.T) {
	t.Parallel()
	fnErr := `{"errorMessage":"boom","errorType":"errorString"}`
	big := strings.Repeat("x", MaxInvokePayload)
	for _, tt := range []struct {
		name       string
		fn         *fakeFunction
		body       []byte
		timeout    time.Duration
		wantStatus int
		wantBody   string
		wantHeader http.Header
	}{
		{
			name: "status, headers, cookies and multi-value headers",
			fn: returns(`{"statusCode":201,"headers":{"Content-Type":"application/json","X-One":"1"},
				"multiValueHeaders":{"X-Multi":["a","b"]},"cookies":["s=1; Path=/","t=2"],"body":"{\"ok\":true}"}`, nil),
			wantStatus: 201, wantBody: `{"ok":true}`,
			wantHeader: http.Header{"Content-Type": {"application/json"}, "X-One": {"1"}, "X-Multi": {"a", "b"},
				"Set-Cookie": {"s=1; Path=/", "t=2"}, "Content-Length": {"11"}},
		},
		{
			name:       "base64 body decoded",
			fn:         returns(`{"statusCode":200,"isBase64Encoded":true,"body":"AP8B","headers":{"Content-Type":"application/octet-stream"}}`, nil),
			wantStatus: 200, wantBody: "\x00\xff\x01",
		},
		{
			name:       "JSON without statusCode is a 200 JSON body",
			fn:         returns(`{"hello":"world"}`, nil),
			wantStatus: 200, wantBody: `{"hello":"world"}`,
			wantHeader: http.Header{"Content-Type": {"application/json"}},
		},
		{
			name:       "function error",
			fn:         returns(fnErr, nil),
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name:       "response that is not JSON",
			fn:         returns(`Task timed out after 30.00 seconds`, nil),
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name:       "invocation failure",
			fn:         &fakeFunction{InvokeFn: func(context.Context, []byte) ([]byte, error) { return nil, errors.New("connection refused") }},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name:       "invalid status code",
			fn:         returns(`{"statusCode":1000,"body":""}`, nil),
			wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name:       "response past 6 MB",
			fn:         returns(`{"statusCode":200,"body":"`+big+`"}`, nil),
			wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name:       "request body at 10 MB reaches Lambda's 6 MB event limit",
			fn:         returns(`{"statusCode":200,"body":""}`, nil),
			body:       bytes.Repeat([]byte("a"), MaxRequestBody),
			wantStatus: 413, wantBody: `{"message":"Request Entity Too Large"}`,
		},
		{
			name:       "request body past 10 MB",
			fn:         &fakeFunction{InvokeFn: func(context.Context, []byte) ([]byte, error) { panic("must not be invoked") }},
			body:       bytes.Repeat([]byte("a"), MaxRequestBody+1),
			wantStatus: 413, wantBody: `{"message":"Request Entity Too Large"}`,
		},
		{
			name:       "request body under the limits",
			fn:         returns(`{"statusCode":204,"body":""}`, nil),
			body:       bytes.Repeat([]byte("a"), 1<<20),
			wantStatus: 204,
		},
		{
			name: "integration timeout",
			fn: &fakeFunction{InvokeFn: func(context.Context, []byte) ([]byte, error) {
				time.Sleep(200 * time.Millisecond)
				return []byte(`{"statusCode":200,"body":"late"}`), nil
			}},
			timeout:    20 * time.Millisecond,
			wantStatus: 503, wantBody: `{"message":"Service Unavailable"}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gw := &Gateway{Function: tt.fn, Logger: quiet, Timeout: tt.timeout}
			srv := httptest.NewServer(gw)
			defer srv.Close()
			method := http.MethodGet
			if tt.body != nil {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, srv.URL+"/api/x", bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "text/plain")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tt.wantStatus, got)
			}
			if tt.wantBody != "" && string(got) != tt.wantBody {
				t.Errorf("body %.200q, want %q", got, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if g := resp.Header.Values(k); strings.Join(g, "|") != strings.Join(want, "|") {
					t.Errorf("header %s = %q, want %q", k, g, want)
				}
			}
			if resp.Header.Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
		})
	}
}

// The gateway's event reaches the function and the function's answer the
// client: a round trip through the real mapping on both sides.
func TestGatewayRoundTrip(t *testing.T) {
	t.Parallel()
	var last events.APIGatewayV2HTTPRequest
	gw := &Gateway{Function: returns(`{"statusCode":200,"body":"ok"}`, &last), Logger: quiet}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/flow_runs/filter?limit=5", strings.NewReader(`{"sort":"ID_DESC"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if last.RawPath != "/api/flow_runs/filter" || last.RawQueryString != "limit=5" || last.Body != `{"sort":"ID_DESC"}` ||
		last.Headers["authorization"] != "Bearer secret" || last.RequestContext.HTTP.Method != "POST" {
		t.Fatalf("event %+v", last)
	}
}

func TestPoolKeepsOneInvocationPerEmulator(t *testing.T) {
	t.Parallel()
	const members, callers = 3, 24
	var inFlight, maxInFlight, total atomic.Int64
	perMember := make([]atomic.Int64, members)
	var invokers []Invoker
	for i := range members {
		invokers = append(invokers, &fakeFunction{InvokeFn: func(context.Context, []byte) ([]byte, error) {
			if n := perMember[i].Add(1); n > 1 {
				t.Errorf("emulator %d has %d invocations in flight", i, n)
			}
			defer perMember[i].Add(-1)
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				old := maxInFlight.Load()
				if n <= old || maxInFlight.CompareAndSwap(old, n) {
					break
				}
			}
			total.Add(1)
			time.Sleep(5 * time.Millisecond)
			return []byte("null"), nil
		}})
	}
	pool := NewPool(invokers...)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if _, err := pool.Invoke(context.Background(), nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if total.Load() != callers || maxInFlight.Load() > members {
		t.Fatalf("%d calls, %d at most in flight", total.Load(), maxInFlight.Load())
	}
	if maxInFlight.Load() < 2 {
		t.Errorf("the pool never ran emulators side by side (max %d)", maxInFlight.Load())
	}
}

// After an integration timeout the emulator stays busy until its
// invocation returns: the next request waits rather than crashing it.
func TestPoolHoldsEmulatorPastTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var busy atomic.Int64
	fn := &fakeFunction{InvokeFn: func(context.Context, []byte) ([]byte, error) {
		if busy.Add(1) > 1 {
			t.Error("a second invocation reached a busy emulator")
		}
		defer busy.Add(-1)
		<-release
		return []byte(`{"statusCode":200,"body":"done"}`), nil
	}}
	gw := &Gateway{Function: NewPool(fn), Logger: quiet, Timeout: 20 * time.Millisecond}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/slow")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	second := make(chan int)
	go func() {
		gw2 := &Gateway{Function: gw.Function, Logger: quiet, Timeout: 5 * time.Second}
		rec := httptest.NewRecorder()
		gw2.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/next", nil))
		second <- rec.Code
	}()
	select {
	case code := <-second:
		t.Fatalf("second request answered %d while the emulator was busy", code)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if code := <-second; code != http.StatusOK {
		t.Fatalf("second request: %d", code)
	}
}

func TestTicker(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		out     string
		err     error
		wantErr bool
	}{
		{"success", "null", nil, false},
		{"function error", `{"errorMessage":"scheduler: boom","errorType":"wrapError"}`, nil, true},
		{"invocation failure", "", errors.New("emulator down"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var event events.CloudWatchEvent
			tk := &Ticker{Rule: "arn:rule", Logger: quiet, Now: func() time.Time { return now },
				Function: &fakeFunction{InvokeFn: func(_ context.Context, payload []byte) ([]byte, error) {
					if err := json.Unmarshal(payload, &event); err != nil {
						t.Fatal(err)
					}
					return []byte(tt.out), tt.err
				}}}
			err := tk.Tick(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if event.Source != "aws.events" || event.DetailType != "Scheduled Event" || !event.Time.Equal(now) ||
				len(event.Resources) != 1 || event.Resources[0] != "arn:rule" || event.ID == "" {
				t.Fatalf("event %+v", event)
			}
		})
	}
}

func TestTickerSkipsWhileBusy(t *testing.T) {
	t.Parallel()
	release, started := make(chan struct{}), make(chan struct{})
	tk := &Ticker{Logger: quiet, Function: &fakeFunction{InvokeFn: func(context.Context, []byte) ([]byte, error) {
		close(started)
		<-release
		return []byte("null"), nil
	}}}
	done := make(chan error)
	go func() { done <- tk.Tick(context.Background()) }()
	<-started
	if err := tk.Tick(context.Background()); !errors.Is(err, errTickBusy) {
		t.Fatalf("second tick: %v, want errTickBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
