package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// API Gateway HTTP API and Lambda limits (AWS quotas, fixed).
const (
	// MaxRequestBody is the HTTP API payload limit: larger bodies get a 413.
	MaxRequestBody = 10 << 20
	// MaxInvokePayload is Lambda's synchronous invocation limit, for the
	// event sent and for the function's response.
	MaxInvokePayload = 6 << 20
	// IntegrationTimeout is the HTTP API's maximum integration timeout.
	IntegrationTimeout = 30 * time.Second
)

// The bodies API Gateway answers with when it, not the function, fails.
var (
	errTooLarge    = gatewayError{http.StatusRequestEntityTooLarge, "Request Entity Too Large"}
	errInternal    = gatewayError{http.StatusInternalServerError, "Internal Server Error"}
	errBadResponse = gatewayError{http.StatusBadGateway, "Internal Server Error"}
	errTimeout     = gatewayError{http.StatusServiceUnavailable, "Service Unavailable"}
)

type gatewayError struct {
	status  int
	message string
}

func (e gatewayError) write(w http.ResponseWriter, requestID string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Apigw-Requestid", requestID)
	w.WriteHeader(e.status)
	fmt.Fprintf(w, `{"message":%q}`, e.message)
}

// Invoker runs one synchronous Lambda invocation: the event in, the
// function's response payload out. A function error is a successful
// invocation whose payload is the error document; err is for failures of
// the invocation itself (emulator down, init failed).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Gateway is an http.Handler standing in for an API Gateway HTTP API with
// one `$default` route integrated with a Lambda function (payload format
// 2.0), as the CDK stack deploys it.
type Gateway struct {
	Function Invoker
	Logger   *slog.Logger
	// Timeout is the integration timeout (IntegrationTimeout when zero).
	Timeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (g *Gateway) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		errInternal.write(w, requestID)
		return
	}
	if len(body) > MaxRequestBody {
		errTooLarge.write(w, requestID)
		return
	}
	event := NewEvent(r, body, requestID, g.now())
	payload, err := json.Marshal(event)
	if err != nil {
		errInternal.write(w, requestID)
		return
	}
	if len(payload) > MaxInvokePayload {
		// Lambda refuses the invocation (RequestEntityTooLargeException);
		// the integration fails.
		g.log().Warn("event past Lambda's invocation payload limit", "bytes", len(payload), "path", r.URL.Path)
		errTooLarge.write(w, requestID)
		return
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = IntegrationTimeout
	}
	out, err := invokeWithTimeout(r.Context(), g.Function, payload, timeout)
	switch {
	case errors.Is(err, errIntegrationTimeout):
		g.log().Warn("integration timeout", "method", r.Method, "path", r.URL.Path, "timeout", timeout)
		errTimeout.write(w, requestID)
		return
	case err != nil:
		g.log().Error("invocation failed", "method", r.Method, "path", r.URL.Path, "err", err)
		errInternal.write(w, requestID)
		return
	}
	if len(out) > MaxInvokePayload {
		g.log().Error("function response past the 6 MB limit", "bytes", len(out), "path", r.URL.Path)
		errBadResponse.write(w, requestID)
		return
	}
	resp, err := ParseResponse(out)
	if err != nil {
		g.log().Error("function failed", "method", r.Method, "path", r.URL.Path, "err", err)
		errInternal.write(w, requestID)
		return
	}
	if err := WriteResponse(w, resp, requestID); err != nil {
		g.log().Error("bad function response", "method", r.Method, "path", r.URL.Path, "err", err)
		errBadResponse.write(w, requestID)
	}
}

func (g *Gateway) log() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.Default()
}

var errIntegrationTimeout = errors.New("integration timeout")

// invokeWithTimeout waits at most timeout for the function. The invocation
// itself is not cancelled: like Lambda after API Gateway gave up, the
// function runs on (and its emulator stays busy) until it finishes. With a
// Pool the timeout includes any wait for a free emulator, which a real HTTP
// API does not have; the gateway's exit line reports how many calls queued
// (none in the compat suite with four emulators).
func invokeWithTimeout(ctx context.Context, fn Invoker, payload []byte, timeout time.Duration) ([]byte, error) {
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := fn.Invoke(context.WithoutCancel(ctx), payload)
		done <- result{out, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.out, res.err
	case <-timer.C:
		return nil, errIntegrationTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// NewEvent maps an HTTP request to an API Gateway HTTP API payload-2.0
// event: lower-cased header names with repeated values comma-joined,
// cookies moved from the Cookie header to their own list, the raw path and
// query string as sent, and the body as text or, when binary, base64.
func NewEvent(r *http.Request, body []byte, requestID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lower] = strings.Join(values, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	headers["content-length"] = strconv.Itoa(len(body))
	if len(body) == 0 {
		delete(headers, "content-length")
	}
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	e := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	e.RequestContext = events.APIGatewayV2HTTPRequestContext{
		RouteKey:     "$default",
		AccountID:    "123456789012",
		Stage:        "$default",
		RequestID:    requestID,
		APIID:        "orrerylocal",
		DomainName:   host,
		DomainPrefix: strings.SplitN(host, ".", 2)[0],
		Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch:    now.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method:    r.Method,
			Path:      r.URL.Path,
			Protocol:  r.Proto,
			SourceIP:  sourceIP,
			UserAgent: r.UserAgent(),
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			e.Body = string(body)
		} else {
			e.Body = base64.StdEncoding.EncodeToString(body)
			e.IsBase64Encoded = true
		}
	}
	return e
}

// isText reports whether API Gateway passes a body of this content type as
// text; everything else (and a body without a type) is base64-encoded.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	for _, s := range []string{"json", "xml", "javascript", "x-www-form-urlencoded", "yaml"} {
		if strings.Contains(mt, s) {
			return true
		}
	}
	return false
}

// functionError is the document the runtime reports for a failed
// invocation (a returned error or a panic).
type functionError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// Response is a function's payload-2.0 response.
type Response struct {
	events.APIGatewayV2HTTPResponse
	// MultiValueHeaders is not part of format 2.0, but aws-lambda-go's type
	// (and so the adapter) carries it; API Gateway adds its values.
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
}

// ParseResponse reads a function's response payload the way an HTTP API
// reads format 2.0: an object with statusCode is the response; any other
// valid JSON is a 200 application/json body; a function error (the
// runtime's errorMessage/errorType document — the emulator drops the
// X-Amz-Function-Error header, so the shape is what tells) or invalid JSON
// is an error.
func ParseResponse(payload []byte) (*Response, error) {
	if !json.Valid(payload) {
		return nil, fmt.Errorf("function response is not JSON: %.200q", payload)
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) == nil {
		if _, ok := probe["statusCode"]; ok {
			var resp Response
			if err := json.Unmarshal(payload, &resp); err != nil {
				return nil, fmt.Errorf("function response: %w", err)
			}
			return &resp, nil
		}
		_, hasMsg := probe["errorMessage"]
		_, hasType := probe["errorType"]
		if hasMsg && hasType {
			var fe functionError
			_ = json.Unmarshal(payload, &fe)
			return nil, fmt.Errorf("function error %s: %s", fe.ErrorType, fe.ErrorMessage)
		}
	}
	resp := &Response{}
	resp.StatusCode = http.StatusOK
	resp.Headers = map[string]string{"content-type": "application/json"}
	resp.Body = string(payload)
	return resp, nil
}

// WriteResponse writes resp to w: status, headers, multi-value headers,
// cookies as Set-Cookie, and the body (base64-decoded when flagged).
func WriteResponse(w http.ResponseWriter, resp *Response, requestID string) error {
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("base64 body: %w", err)
		}
		body = b
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Apigw-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body) // an error here means the client went away
	return nil
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
