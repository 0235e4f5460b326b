package surge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/carrier/carrierhttp"
)

// ErrUnknownOutcome marks a failed non-idempotent request (a POST) that Surge may
// nevertheless have carried out: a timeout, a connection lost after sending, or a 5xx.
// Callers must reconcile (for example list the account's numbers) before trying again.
var ErrUnknownOutcome = errors.New("surge: request outcome unknown")

// Error is a non-2xx answer from Surge, decoded from its error envelope.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Type is Surge's error slug, e.g. "validation_error" or "no_matching_numbers".
	Type string
	// Message is Surge's human-readable text.
	Message string
	// Detail maps field names to problems for validation errors.
	Detail map[string][]string
	// RetryAfter is the parsed Retry-After header, zero when absent.
	RetryAfter time.Duration
}

// Error formats the status, type, message and field details.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "surge: %d", e.StatusCode)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Detail) > 0 {
		keys := make([]string, 0, len(e.Detail))
		for k := range e.Detail {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+" "+strings.Join(e.Detail[k], ", "))
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	return b.String()
}

// IsType reports whether err carries a Surge error of the given type slug.
func IsType(err error, typ string) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == typ
}

// IsArchived reports whether err is Surge's 410 account_archived: the account was archived
// and refuses every mutation.
func IsArchived(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Type == "account_archived" || e.StatusCode == http.StatusGone)
}

// IsNotFound reports whether err is a Surge 404 (not_found or account_not_found).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// parseError builds an *Error from a non-2xx response, tolerating bodies that are not Surge envelopes.
func parseError(resp *http.Response, body []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, RetryAfter: carrierhttp.ParseRetryAfter(resp.Header.Get("Retry-After"))}
	var env struct {
		Error struct {
			Type    string          `json:"type"`
			Message string          `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Type != "" {
		e.Type, e.Message = env.Error.Type, env.Error.Message
		// detail's shape is only documented for validation errors; keep it when it fits.
		_ = json.Unmarshal(env.Error.Detail, &e.Detail)
		return e
	}
	e.Message = http.StatusText(resp.StatusCode)
	if s := strings.TrimSpace(string(body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		e.Message += ": " + s
	}
	return e
}
