package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/orrery-dev/orrery/internal/core"
)

// codes maps application error codes to HTTP statuses: the one table.
var codes = map[string]int{
	core.ENotFound:     http.StatusNotFound,
	core.EConflict:     http.StatusConflict,
	core.EInvalid:      http.StatusUnprocessableEntity,
	core.EUnauthorized: http.StatusUnauthorized,
	core.EForbidden:    http.StatusForbidden,
	core.EBadRequest:   http.StatusBadRequest,
	core.ETooLarge:     http.StatusRequestEntityTooLarge,
	core.EInternal:     http.StatusInternalServerError,
}

// fieldError is one pydantic-style validation error.
type fieldError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
	// Ctx carries the bound a value broke (limit_value), as pydantic does.
	Ctx map[string]any `json:"ctx,omitempty"`
}

// validationError is a request that failed validation: rendered as 2.7's
// 422 body with the request echoed back.
type validationError struct {
	errs []fieldError
	body []byte
}

func (e *validationError) Error() string { return "invalid request" }

func invalid(body []byte, errs ...fieldError) error {
	return &validationError{errs: errs, body: body}
}

// fieldInvalid is a one-field validation error at loc (under "body").
func fieldInvalid(body []byte, msg, typ string, loc ...any) error {
	return invalid(body, fieldError{Loc: append([]any{"body"}, loc...), Msg: msg, Type: typ})
}

// writeError renders err with the 2.7 body for its kind. Internal errors are
// logged and hidden.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ve *validationError
	if errors.As(err, &ve) {
		var echo any
		if len(ve.body) > 0 {
			if json.Unmarshal(ve.body, &echo) != nil {
				echo = string(ve.body)
			}
		}
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"exception_message": "Invalid request received.",
			"exception_detail":  ve.errs,
			"request_body":      echo,
		})
		return
	}
	code := core.ErrorCode(err)
	status := codes[code]
	if code == core.EInternal {
		s.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, status, map[string]any{"exception_message": "Internal Server Error"})
		return
	}
	var ce *core.Error
	if errors.As(err, &ce) && ce.Legacy {
		writeJSON(w, status, map[string]any{"exception_message": ce.Message})
		return
	}
	writeJSON(w, status, map[string]any{"detail": core.ErrorMessage(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("encoding response", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"exception_message":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func notFound(what string) error { return core.Errorf(core.ENotFound, "%s not found", what) }

// route serves r through the mux, answering what the mux cannot route as
// 2.7 (Starlette) does — JSON, not the mux's plain text: 404
// {"detail":"Not Found"} for an unknown path (an unknown /api path too,
// which would otherwise reach the UI's catch-all), 405 {"detail":"Method
// Not Allowed"} with an Allow header for a known path and another method.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" && (pattern != "GET /" || !isAPIPath(r.URL.Path)) {
		s.mux.ServeHTTP(w, r)
		return
	}
	if allowed := s.allowedMethods(r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// allowedMethods lists the methods some route other than the UI's
// catch-all serves r's path with.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "GET /" {
			out = append(out, m)
		}
	}
	return out
}
