package core

import (
	"errors"
	"fmt"
)

// Error codes. The API maps each to one HTTP status in one table.
const (
	ENotFound     = "not_found"    // 404
	EConflict     = "conflict"     // 409
	EInvalid      = "invalid"      // 422 with {"detail": ...}
	EUnauthorized = "unauthorized" // 401: no valid API key
	EForbidden    = "forbidden"    // 403
	EBadRequest   = "bad_request"  // 400
	ETooLarge     = "too_large"    // 413
	EInternal     = "internal"     // 500
)

// Error is an application error with a code and a message meant for users.
type Error struct {
	Code    string
	Message string
	// Legacy marks errors 2.7 reports as {"exception_message": ...}
	// instead of {"detail": ...} (model-level ObjectNotFound).
	Legacy bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EInternal for foreign errors.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal Server Error"
}

// IsNotFound reports whether err has the not-found code.
func IsNotFound(err error) bool { return err != nil && ErrorCode(err) == ENotFound }
