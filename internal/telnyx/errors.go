package telnyx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/carrier/carrierhttp"
)

// ErrUnknownOutcome marks a failed POST that Telnyx may nevertheless have
// carried out: a timeout, a connection lost after sending, or a 5xx. Callers
// must reconcile (find the number order by its customer_reference, the
// message by its webhook_url) before trying again.
var ErrUnknownOutcome = errors.New("telnyx: request outcome unknown")

// Well-known Telnyx error codes (docs/carriers/telnyx.md).
const (
	// CodeNotFound: the resource or URL does not exist.
	CodeNotFound = "10005"
	// CodeInvalidPhoneNumber: a phone number parameter is not valid.
	CodeInvalidPhoneNumber = "10002"
	// CodeMissingParameter: a required parameter was missing.
	CodeMissingParameter = "10004"
	// CodeUnexpected: an unexpected error at Telnyx.
	CodeUnexpected = "10007"
	// CodeAuthentication: the API key is missing or invalid.
	CodeAuthentication = "10009"
	// CodeTooManyRequests: the account's rate limit was exceeded.
	CodeTooManyRequests = "10011"
	// CodeBadRequest: the request was not well formed or a value is invalid.
	CodeBadRequest = "10015"
	// CodeNotE164: a phone number parameter is not in +E.164 format.
	CodeNotE164 = "10016"
	// CodeInvalidDestination: the destination number cannot take texts
	// (40012, also a delivery error of message.finalized).
	CodeInvalidDestination = "40012"
	// CodeBlockedStop: the recipient replied STOP to the sending number
	// (inferred, see docs/carriers/telnyx.md).
	CodeBlockedStop = "40300"
)

// APIError is one entry of Telnyx's error envelope.
type APIError struct {
	// Code is Telnyx's error code, such as "10015" (Telnyx sends it as a
	// string in some APIs and a number in others; it is kept as a string).
	Code   string `json:"-"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Source struct {
		// Pointer is a JSON pointer to the field at fault, such as "/to".
		Pointer   string `json:"pointer,omitempty"`
		Parameter string `json:"parameter,omitempty"`
	} `json:"source"`
}

// UnmarshalJSON reads code as a string or a number.
func (e *APIError) UnmarshalJSON(b []byte) error {
	type plain APIError
	var v struct {
		plain
		Code json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = APIError(v.plain)
	e.Code = rawString(v.Code)
	return nil
}

// MarshalJSON writes code as a string, as the messaging API does.
func (e APIError) MarshalJSON() ([]byte, error) {
	type plain APIError
	return json.Marshal(struct {
		Code string `json:"code"`
		plain
	}{e.Code, plain(e)})
}

// Field is the field the error points at, without the pointer's slashes
// ("/to" is "to", "/phone_numbers/0/phone_number" is
// "phone_numbers.0.phone_number"); "" when it names none.
func (e APIError) Field() string {
	if e.Source.Parameter != "" {
		return e.Source.Parameter
	}
	return strings.ReplaceAll(strings.TrimPrefix(e.Source.Pointer, "/"), "/", ".")
}

func rawString(b json.RawMessage) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b) // a number, as written
}

// Error is a non-2xx answer from Telnyx, decoded from its error envelope
// {"errors":[{"code","title","detail","source":{"pointer"}}]}.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Method and Path are the request's.
	Method, Path string
	// Errors are the envelope's entries (one made up from the body when it
	// is not an envelope).
	Errors []APIError
	// RetryAfter is the parsed Retry-After header, zero when absent.
	RetryAfter time.Duration
}

// Error formats the status and every entry's code, title, detail and field.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "telnyx: %s %s: %d", e.Method, e.Path, e.StatusCode)
	for i, x := range e.Errors {
		if i > 0 {
			b.WriteString(";")
		}
		if x.Code != "" {
			b.WriteString(" " + x.Code)
		}
		if x.Title != "" {
			b.WriteString(" " + x.Title)
		}
		if x.Detail != "" && x.Detail != x.Title {
			b.WriteString(": " + x.Detail)
		}
		if f := x.Field(); f != "" {
			b.WriteString(" (" + f + ")")
		}
	}
	return b.String()
}

// Message is the first entry's detail, or its title: Telnyx's own words.
func (e *Error) Message() string {
	if len(e.Errors) == 0 {
		return http.StatusText(e.StatusCode)
	}
	if e.Errors[0].Detail != "" {
		return e.Errors[0].Detail
	}
	return e.Errors[0].Title
}

// Codes are the entries' codes.
func (e *Error) Codes() []string {
	out := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		out = append(out, x.Code)
	}
	return out
}

// HasCode reports whether err carries a Telnyx error entry with code.
func HasCode(err error, code string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, x := range e.Errors {
		if x.Code == code {
			return true
		}
	}
	return false
}

// IsNotFound reports whether err is a Telnyx 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// parseError builds an *Error from a non-2xx response, tolerating bodies that are not envelopes.
func parseError(method, path string, resp *http.Response, body []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, Path: path, RetryAfter: carrierhttp.ParseRetryAfter(resp.Header.Get("Retry-After"))}
	var env struct {
		Errors []APIError `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		e.Errors = env.Errors
		return e
	}
	x := APIError{Title: http.StatusText(resp.StatusCode)}
	if s := strings.TrimSpace(string(body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		x.Detail = s
	}
	e.Errors = []APIError{x}
	return e
}
