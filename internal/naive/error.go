package naive

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error codes. Each maps to exactly one HTTP status in codeStatus; clients map
// the code back to the same typed error, so an error survives server → client
// → CLI unchanged.
const (
	EInvalidInput         = "invalid_input"
	EUnauthorized         = "unauthorized"
	EInsufficientCredits  = "insufficient_credits"
	EForbidden            = "forbidden"
	ENotFound             = "not_found"
	EConflict             = "conflict"
	EFormationIncomplete  = "formation_incomplete"
	ECompliancePending    = "compliance_pending"
	EIdempotencyKeyReused = "idempotency_key_reused"
	EPayloadTooLarge      = "payload_too_large"
	EUnsupportedMediaType = "unsupported_media_type"
	ENoMatchingNumbers    = "no_matching_numbers"
	ERateLimited          = "rate_limited"
	EInternal             = "internal_error"
	ENotConfigured        = "not_configured"
	EProviderError        = "provider_error"
	EMethodNotAllowed     = "method_not_allowed"
)

// codeStatus is the one code ↔ HTTP status table.
var codeStatus = map[string]int{
	EInvalidInput:         http.StatusBadRequest,
	EUnauthorized:         http.StatusUnauthorized,
	EInsufficientCredits:  http.StatusPaymentRequired,
	EForbidden:            http.StatusForbidden,
	ENotFound:             http.StatusNotFound,
	EMethodNotAllowed:     http.StatusMethodNotAllowed,
	EConflict:             http.StatusConflict,
	EFormationIncomplete:  http.StatusConflict,
	ECompliancePending:    http.StatusConflict,
	EIdempotencyKeyReused: http.StatusConflict,
	EPayloadTooLarge:      http.StatusRequestEntityTooLarge,
	EUnsupportedMediaType: http.StatusUnsupportedMediaType,
	ENoMatchingNumbers:    http.StatusUnprocessableEntity,
	ERateLimited:          http.StatusTooManyRequests,
	EInternal:             http.StatusInternalServerError,
	ENotConfigured:        http.StatusNotImplemented,
	EProviderError:        http.StatusBadGateway,
}

// statusCode is the reverse of codeStatus for answers that carry no code
// (a proxy's 502, say): the most general code of each status.
var statusCode = map[int]string{
	http.StatusBadRequest:            EInvalidInput,
	http.StatusUnauthorized:          EUnauthorized,
	http.StatusPaymentRequired:       EInsufficientCredits,
	http.StatusForbidden:             EForbidden,
	http.StatusNotFound:              ENotFound,
	http.StatusMethodNotAllowed:      EMethodNotAllowed,
	http.StatusConflict:              EConflict,
	http.StatusRequestEntityTooLarge: EPayloadTooLarge,
	http.StatusUnsupportedMediaType:  EUnsupportedMediaType,
	http.StatusUnprocessableEntity:   ENoMatchingNumbers,
	http.StatusTooManyRequests:       ERateLimited,
	http.StatusInternalServerError:   EInternal,
	http.StatusNotImplemented:        ENotConfigured,
	http.StatusBadGateway:            EProviderError,
}

// Codes returns every error code, in the order of the status table.
func Codes() []string {
	return []string{EInvalidInput, EUnauthorized, EInsufficientCredits, EForbidden, ENotFound,
		EMethodNotAllowed, EConflict, EFormationIncomplete, ECompliancePending, EIdempotencyKeyReused,
		EPayloadTooLarge, EUnsupportedMediaType, ENoMatchingNumbers, ERateLimited, EInternal,
		ENotConfigured, EProviderError}
}

// HTTPStatus returns the HTTP status of an error code; unknown codes are 500.
func HTTPStatus(code string) int {
	if s, ok := codeStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// CodeForStatus returns the code a client assumes for a status when the body
// carried none.
func CodeForStatus(status int) string {
	if c, ok := statusCode[status]; ok {
		return c
	}
	if status >= 500 {
		return EInternal
	}
	return EInvalidInput
}

// Error is the application error: a code from the table, a message safe to
// show the caller, and what the caller should do about it.
type Error struct {
	Code    string
	Message string
	// Param names the request field at fault, if any.
	Param string
	// Hint tells the caller what to do next.
	Hint string
	// Fields are extra members of the error object (e.g. campaign_status,
	// retryable, fields_needed).
	Fields map[string]any
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter time.Duration
	// Err is the internal cause; it is logged, never sent.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Param != "" {
		s += " (param " + e.Param + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Status returns the HTTP status of the error's code.
func (e *Error) Status() int { return HTTPStatus(e.Code) }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidParam returns an invalid_input error naming the field at fault.
func InvalidParam(param, format string, args ...any) *Error {
	return &Error{Code: EInvalidInput, Param: param, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns e with its hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// With returns e with an extra member of the error object set.
func (e *Error) With(key string, value any) *Error {
	if e.Fields == nil {
		e.Fields = map[string]any{}
	}
	e.Fields[key] = value
	return e
}

// ErrorCode returns the code of err: its *Error's code, or internal_error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// AsError returns err as an *Error, wrapping anything else as internal_error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: EInternal, Message: "An internal error occurred.", Hint: "Retry later; if it persists, report the request id.", Err: err}
}

// NotFound returns a not_found error for a kind of resource.
func NotFound(kind, id string) *Error {
	return (&Error{Code: ENotFound, Message: fmt.Sprintf("No %s with id %q.", kind, id)}).
		WithHint("Check the id; ids of another operator or mode (test/live) are not visible.")
}

// DefaultHint is what to do about an error that carries no hint of its own,
// so every answer tells the caller a next step.
func DefaultHint(e *Error) string {
	switch e.Code {
	case EInvalidInput:
		if e.Param != "" {
			return "Fix " + e.Param + " and send the request again."
		}
		return "Fix the request body and send it again."
	case ENotFound:
		return "Check the id and the key's mode (test keys see only test data)."
	case EForbidden:
		return "Do this as a human with a session token (POST /v1/auth/login)."
	case EConflict:
		return "Read the current state of the resource, then decide whether to retry."
	case EInternal:
		return "Retry with the same Idempotency-Key; if it persists, report the request_id."
	case EProviderError:
		return "Retry later with the same Idempotency-Key; nothing was charged."
	case ERateLimited:
		return "Wait for Retry-After seconds, then retry."
	}
	return ""
}
