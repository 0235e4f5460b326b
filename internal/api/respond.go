// Package api is the REST surface: net/http with method+path patterns, every
// route in routes.go, handlers that return errors, and one writer that turns
// them into the error envelope through the single code↔status table.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// handlerFunc is a handler that returns its error for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorBody is the one error envelope.
type errorBody struct {
	Error map[string]any `json:"error"`
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// writeError writes err as the error envelope: the caller gets the code's
// status and a safe message; the internal cause is logged, never sent.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := naive.AsError(err)
	status := e.Status()
	reqID := w.Header().Get("Request-Id")
	if status >= 500 {
		log.Error("request failed", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "code", e.Code, "err", err)
	} else if e.Err != nil {
		log.Info("request refused", "request_id", reqID, "code", e.Code, "err", e.Err)
	}
	obj := map[string]any{}
	for k, v := range e.Fields {
		obj[k] = v
	}
	obj["code"] = e.Code
	obj["message"] = e.Message
	obj["request_id"] = reqID
	if e.Param != "" {
		obj["param"] = e.Param
	}
	if e.Hint != "" {
		obj["hint"] = hints.For(hintSurface(r), e.Hint)
	} else if h := naive.DefaultHint(e); h != "" {
		obj["hint"] = h
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	} else if e.Code == naive.ERateLimited {
		w.Header().Set("Retry-After", "1")
	}
	_ = writeJSON(w, status, errorBody{Error: obj})
}

// actionStatus is the success status of each phased action's route.
var actionStatus = map[string]int{
	naive.ActionPhoneProvision: http.StatusAccepted,
	naive.ActionPhoneRelease:   http.StatusOK,
	naive.ActionSMSSend:        http.StatusCreated,
	naive.ActionCreditsGrant:   http.StatusCreated,
}

// EncodeOutcome renders a phased action's outcome exactly as its route
// answers it, for the action to store under the request's Idempotency-Key
// (in its last phase, or when a background pass finishes the run): a
// retry then replays these bytes.
func EncodeOutcome(action, requestID string, result any, err error) (int, []byte) {
	rec := &recorder{header: http.Header{}}
	rec.header.Set("Request-Id", requestID)
	if err != nil {
		writeError(rec, &http.Request{URL: &url.URL{}}, slog.New(slog.DiscardHandler), err)
	} else {
		status, ok := actionStatus[action]
		if !ok {
			status = http.StatusOK
		}
		_ = writeJSON(rec, status, result)
	}
	return rec.status, rec.body.Bytes()
}

// decode reads a JSON body into v: JSON only, at most MaxBodyBytes, no
// unknown fields, no trailing data, no NUL or invalid UTF-8 in a string;
// every refusal names what is wrong. An empty body decodes as {}.
func decode(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		// A bodiless POST means "no parameters".
		return json.Unmarshal([]byte("{}"), v)
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return (&naive.Error{Code: naive.EUnsupportedMediaType, Message: fmt.Sprintf("Content-Type must be application/json; got %q.", ct)}).
			WithHint("Send the body as JSON with \"Content-Type: application/json\".")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	// A NUL or invalid UTF-8 in any string is refused here, naming the
	// field, before it can reach a database (or turn into U+FFFD).
	if err := naive.CheckJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return naive.Errorf(naive.EInvalidInput, "The body must be a single JSON object; found data after it.")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return naive.Errorf(naive.EInvalidInput, "The body must be a single JSON object; found data after it.")
	}
	return nil
}

// decodeError names the field or position at fault in a JSON error.
func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return (&naive.Error{Code: naive.EPayloadTooLarge, Message: fmt.Sprintf("The body is larger than %d bytes.", MaxBodyBytes)}).
			WithHint("Send a smaller body.")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return naive.Errorf(naive.EInvalidInput, "The body must be a JSON object.")
		}
		return naive.InvalidParam(field, "%s must be a JSON %s; got %s.", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value).
			WithHint("Send %s as a JSON %s.", field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &synErr):
		return naive.Errorf(naive.EInvalidInput, "Malformed JSON at byte %d: %s.", synErr.Offset, synErr.Error()).
			WithHint("Send a valid JSON object.")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return (&naive.Error{Code: naive.EInvalidInput, Message: "The request body did not arrive in time; nothing was done."}).
			WithHint("Send the whole body at once; the server stops reading a request after its read timeout (30 s by default).")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return naive.Errorf(naive.EInvalidInput, "The JSON body is empty or truncated.").WithHint("Send a complete JSON object.")
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(msg, `"`)
		return naive.InvalidParam(field, "Unknown field %q.", field).WithHint("Remove it; see the API reference for this endpoint's fields.")
	}
	return naive.Errorf(naive.EInvalidInput, "Malformed JSON: %s.", err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	}
	return "number"
}

// HintsHeader asks for error hints in another surface's words: "cli"
// (naive's CLI sends it) names CLI commands instead of routes.
const HintsHeader = "Naive-Hints"

// hintSurface is the surface an error's hint is written for: the REST
// API's routes, unless the request asks for the CLI's commands.
func hintSurface(r *http.Request) hints.Surface {
	if r != nil && strings.EqualFold(r.Header.Get(HintsHeader), "cli") {
		return hints.CLI
	}
	return hints.REST
}
