package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

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
