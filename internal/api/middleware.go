package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/metrics"
	"github.com/orrery-dev/orrery/shared"
)

// RequestIDHeader carries a request's id: taken from the client when sane,
// generated otherwise, always echoed in the response.
const RequestIDHeader = "X-Request-ID"

// requestInfo is what the access log learns while a request is served.
// It travels in the context by pointer, so it survives the request copies
// that WithContext makes further down.
type requestInfo struct {
	id      string
	pattern string
}

type requestInfoKey struct{}

func requestInfoOf(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	if ri := requestInfoOf(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// setRoute records the route pattern r was served by (the first one set
// wins: /metrics sets it before the mux could).
func setRoute(r *http.Request, pattern string) {
	if ri := requestInfoOf(r.Context()); ri != nil && ri.pattern == "" {
		ri.pattern = pattern
	}
}

// requestID keeps a client's id when it is short printable ASCII without
// spaces or quotes (it goes into logs and a response header), else makes
// one.
func requestID(v string) string {
	if len(v) > 0 && len(v) <= 128 {
		ok := true
		for i := 0; i < len(v) && ok; i++ {
			c := v[i]
			ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("-_.:/+=@", c) >= 0
		}
		if ok {
			return v
		}
	}
	return uuid.NewString()
}

// observe serves r with next, giving it a request id, recovering a panic
// into a 500, and then logging it once and recording it in the metrics.
func (s *Server) observe(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	start := time.Now()
	done := s.metrics.RequestStarted()
	ri := &requestInfo{id: requestID(r.Header.Get(RequestIDHeader))}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri))
	w.Header().Set(RequestIDHeader, ri.id)
	rec := &recorder{ResponseWriter: w}
	defer func() {
		v := recover()
		if v != nil && v != http.ErrAbortHandler {
			s.logger.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				writeJSON(rec, http.StatusInternalServerError, map[string]any{"exception_message": "Internal Server Error"})
			}
		}
		done()
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		if v == http.ErrAbortHandler {
			status = 499 // the connection was dropped mid-response
		}
		if ri.pattern == "" && status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			// Rejected before routing (host, version, key): label it with
			// the route it was aimed at. An unroutable request stays
			// "unmatched".
			_, ri.pattern = s.mux.Handler(r)
		}
		route, d := metrics.RouteLabel(ri.pattern), time.Since(start)
		s.metrics.ObserveRequest(r.Method, route, status, d)
		s.logger.LogAttrs(r.Context(), s.accessAt, "request",
			slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.Int64("bytes", rec.bytes), slog.String("remote", r.RemoteAddr))
		if v == http.ErrAbortHandler {
			panic(v)
		}
	}()
	next(rec, r)
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestIDHandler adds the request id to every record logged with a
// request's context (ErrorContext and the like).
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// hostPolicy is the set of Host names answered while API keys are off.
type hostPolicy struct {
	any   bool
	names map[string]bool
}

func newHostPolicy(extra []string) hostPolicy {
	p := hostPolicy{names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	for _, h := range extra {
		if h == "*" {
			p.any = true
		}
		p.names[normalHost(h)] = true
	}
	return p
}

// normalHost lower-cases a Host value and drops its port, brackets and
// trailing dot: "[::1]:4200" -> "::1", "LOCALHOST." -> "localhost".
func normalHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func (p hostPolicy) allows(host string) bool {
	if p.any || host == "" { // no Host: HTTP/1.0, never a browser
		return true
	}
	h := normalHost(host)
	// *.localhost names always resolve to loopback in browsers, so no
	// rebinding can use them.
	return p.names[h] || strings.HasSuffix(h, ".localhost")
}

// corsPolicy answers CORS for the server's own origin and the configured
// ones, and refuses cross-origin writes from browsers
// (http.CrossOriginProtection: Sec-Fetch-Site, else Origin vs Host).
type corsPolicy struct {
	any     bool
	origins map[string]bool
	writes  *http.CrossOriginProtection
}

func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}, writes: http.NewCrossOriginProtection()}
	for _, o := range origins {
		o = strings.TrimSuffix(o, "/")
		if o == "*" {
			p.any = true
			continue
		}
		p.origins[strings.ToLower(o)] = true
		// A malformed origin can never match a browser's Origin header, so
		// it is simply not trusted.
		_ = p.writes.AddTrustedOrigin(o)
	}
	return p
}

// allowed reports whether a browser at origin may read the API's answers.
func (p corsPolicy) allowed(origin, host string) bool {
	if p.any || p.origins[strings.ToLower(origin)] {
		return true
	}
	o := strings.ToLower(origin)
	h := strings.ToLower(host)
	return o == "http://"+h || o == "https://"+h
}

// apply sets the CORS headers for r and answers a preflight, reporting
// whether it did.
func (p corsPolicy) apply(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	allowed := origin != "" && p.allowed(origin, r.Host)
	if origin != "" {
		h.Add("Vary", "Origin")
	}
	if allowed {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", RequestIDHeader)
	}
	if r.Method != http.MethodOptions {
		return false
	}
	if origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		if !allowed {
			writeJSON(w, http.StatusForbidden, map[string]any{"detail": fmt.Sprintf(
				"Origin %q is not allowed: add it to %s.", origin, shared.EnvCORSOrigins)})
			return true
		}
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		h.Set("Access-Control-Max-Age", "600")
	}
	h.Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
	w.WriteHeader(http.StatusOK)
	return true
}

// checkWrite refuses a state-changing request a browser sends from another
// origin, unless that origin is configured: without it any web page could
// POST (a "simple" request needs no preflight) to a local server with no
// keys, the database-clear route included.
func (p corsPolicy) checkWrite(r *http.Request) error {
	if p.any {
		return nil
	}
	return p.writes.Check(r)
}

// redactSettings copies settings with every URL-looking string value passed
// through shared.RedactURL, so no password or key reaches
// /api/admin/settings whichever shell filled it in.
func redactSettings(in map[string]any) map[string]any {
	if in == nil {
		return nil
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = redactIfURL(v)
		case []string:
			list := make([]string, len(v))
			for i, s := range v {
				list[i] = redactIfURL(s)
			}
			out[k] = list
		default:
			out[k] = v
		}
	}
	return out
}

func redactIfURL(s string) string {
	if strings.Contains(s, "://") {
		return shared.RedactURL(s)
	}
	return s
}
