// Package client is the Go client of naive's REST API. *Client implements
// naive.Service, the same contract as the in-process service, so the CLI and
// the MCP server run unchanged against a remote server. Every error envelope
// comes back as the *naive.Error the server wrote.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/naive-oss/naive/internal/naive"
)

// DefaultBaseURL is the server a client talks to when none is named.
const DefaultBaseURL = "http://127.0.0.1:8080"

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	// BaseURL of the server (default DefaultBaseURL), without /v1.
	BaseURL string
	// Token is the bearer credential: an API key (nv_sk_…) or a human
	// session token from Login.
	Token string
	// Subject, when set, is sent as Naive-Subject so subject-scoped calls
	// that name no subject act on it instead of the default subject.
	Subject string
	// Mode is sent as Naive-Mode: the mode a human session acts in. Keys
	// carry their own mode; leave it empty for them.
	Mode naive.Mode
	// HTTPClient (default: a client with a 60s timeout).
	HTTPClient *http.Client
	// UserAgent (default "naive-go-client").
	UserAgent string
	// Hints, when "cli", asks the server for error hints naming CLI
	// commands rather than REST routes (the Naive-Hints header).
	Hints string
	// Retries is how often a call is retried after a network failure or a
	// 503/504 answer, with the same Idempotency-Key so a retry never acts
	// twice (default 2; negative disables retries).
	Retries int
	// RetryBackoff is the wait before the first retry, doubled after each
	// (default 250ms).
	RetryBackoff time.Duration
}

// Client calls the REST API. It is safe for concurrent use.
type Client struct {
	opts Options
	base *url.URL
}

var _ naive.Service = (*Client)(nil)

// New returns a Client. It fails only on a malformed BaseURL.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q: want http(s)://host[:port]", opts.BaseURL)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "naive-go-client"
	}
	if opts.Retries == 0 {
		opts.Retries = 2
	}
	if opts.RetryBackoff == 0 {
		opts.RetryBackoff = 250 * time.Millisecond
	}
	return &Client{opts: opts, base: u}, nil
}

// BaseURL returns the server's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

type idempotencyKey struct{}

// WithIdempotencyKey returns ctx that makes the next mutating call send key
// as its Idempotency-Key. Without it each mutating call gets a fresh UUID,
// reused by the client's own retries.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// IdempotencyKey returns the key set on ctx by WithIdempotencyKey.
func IdempotencyKey(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(idempotencyKey{}).(string)
	return k, ok && k != ""
}

// RequestError is the transport detail of an API error: the HTTP status
// and request id. It is the Err (cause) of the *naive.Error a call returns,
// so the typed error keeps the server's fields while the request id stays
// reachable for support.
type RequestError struct {
	StatusCode int
	RequestID  string
}

// Error implements error.
func (e *RequestError) Error() string {
	if e.RequestID == "" {
		return "HTTP " + strconv.Itoa(e.StatusCode)
	}
	return "HTTP " + strconv.Itoa(e.StatusCode) + ", request " + e.RequestID
}

// RequestID returns the server's request id behind err, if any.
func RequestID(err error) string {
	var re *RequestError
	if errors.As(err, &re) {
		return re.RequestID
	}
	return ""
}

// ConnError is a call that got no answer from the server: it could not
// connect, the connection dropped, or the context ended.
type ConnError struct {
	Method, URL string
	Err         error
}

// Error implements error.
func (e *ConnError) Error() string {
	return fmt.Sprintf("%s %s: no answer from the server: %v", e.Method, e.URL, e.Err)
}

// Unwrap returns the transport's error.
func (e *ConnError) Unwrap() error { return e.Err }

// request is one call.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	// noAuth marks the calls that send no credentials (login).
	noAuth bool
	// wait is how long the server may hold the request before answering
	// (a long poll); the HTTP client's timeout is lengthened by it.
	wait time.Duration
}

// do sends req and decodes a 2xx answer into out (nil: discard). Non-2xx
// answers return the *naive.Error of their envelope.
func (c *Client) do(ctx context.Context, req request, out any) error {
	var body []byte
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = b
	}
	u := *c.base
	u.Path = c.base.Path + req.path
	if len(req.query) > 0 {
		u.RawQuery = req.query.Encode()
	}
	mutating := req.method == http.MethodPost || req.method == http.MethodDelete || req.method == http.MethodPatch
	key, ok := IdempotencyKey(ctx)
	if mutating && !ok {
		key = uuid.NewString()
	}
	backoff := c.opts.RetryBackoff
	for attempt := 0; ; attempt++ {
		res, err := c.send(ctx, req, u.String(), body, mutating, key)
		retry := attempt < c.opts.Retries && ctx.Err() == nil
		if err != nil {
			if !retry || !retryable(err) {
				var ue *url.Error
				if errors.As(err, &ue) {
					err = ue.Err
				}
				return &ConnError{Method: req.method, URL: u.String(), Err: err}
			}
		} else if retry && (res.StatusCode == http.StatusServiceUnavailable || res.StatusCode == http.StatusGatewayTimeout) {
			drain(res)
		} else {
			return decodeResponse(res, out)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (c *Client) send(ctx context.Context, req request, u string, body []byte, mutating bool, key string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, rd)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.opts.UserAgent)
	if c.opts.Hints != "" {
		hr.Header.Set("Naive-Hints", c.opts.Hints)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if !req.noAuth && c.opts.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	if c.opts.Subject != "" {
		hr.Header.Set("Naive-Subject", c.opts.Subject)
	}
	if c.opts.Mode != "" && !req.noAuth {
		hr.Header.Set("Naive-Mode", string(c.opts.Mode))
	}
	if mutating {
		hr.Header.Set("Idempotency-Key", key)
	}
	hc := c.opts.HTTPClient
	if req.wait > 0 && hc.Timeout > 0 {
		long := *hc
		long.Timeout += req.wait
		hc = &long
	}
	return hc.Do(hr)
}

// retryable reports whether a transport error may be retried: a connection
// that failed or dropped, not a cancelled context.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false // the server may still be working on it; do not pile on
	}
	return true
}

func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	_ = res.Body.Close()
}

// decodeResponse decodes a 2xx body into out, or returns the error of a
// non-2xx answer.
func decodeResponse(res *http.Response, out any) error {
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if out == nil || res.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode %d response: %w", res.StatusCode, err)
		}
		return nil
	}
	return ParseError(res.StatusCode, res.Header, b)
}

// ParseError turns a non-2xx answer into the *naive.Error the server wrote:
// code, message, param, hint, the extra members as Fields, and Retry-After
// as RetryAfter. An answer without the envelope (a proxy's page) gets the
// most general code of its status.
func ParseError(status int, h http.Header, body []byte) *naive.Error {
	reqID := h.Get("Request-Id")
	var env struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	e := &naive.Error{}
	if err := json.Unmarshal(body, &env); err == nil && env.Error != nil {
		for k, raw := range env.Error {
			switch k {
			case "code":
				_ = json.Unmarshal(raw, &e.Code)
			case "message":
				_ = json.Unmarshal(raw, &e.Message)
			case "param":
				_ = json.Unmarshal(raw, &e.Param)
			case "hint":
				_ = json.Unmarshal(raw, &e.Hint)
			case "request_id":
				var id string
				if json.Unmarshal(raw, &id) == nil && id != "" {
					reqID = id
				}
			default:
				var v any
				if json.Unmarshal(raw, &v) == nil {
					if e.Fields == nil {
						e.Fields = map[string]any{}
					}
					e.Fields[k] = v
				}
			}
		}
	}
	if e.Code == "" {
		e.Code = naive.CodeForStatus(status)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("The server answered %d %s.", status, http.StatusText(status))
		if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 {
			e.Message += " " + s
		}
	}
	e.RetryAfter = parseRetryAfter(h.Get("Retry-After"))
	e.Err = &RequestError{StatusCode: status, RequestID: reqID}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

// subjectPath prefixes a subject-scoped path: /v1/subjects/{id}/… when a
// subject is named, else /v1/… (the Naive-Subject header or the default).
func subjectPath(subjectID, rest string) string {
	if subjectID == "" {
		return "/v1" + rest
	}
	return "/v1/subjects/" + url.PathEscape(subjectID) + rest
}

func listQuery(lp naive.ListParams) url.Values {
	q := url.Values{}
	if lp.Limit > 0 {
		q.Set("limit", strconv.Itoa(lp.Limit))
	}
	if lp.Cursor != "" {
		q.Set("cursor", lp.Cursor)
	}
	return q
}
