// Package carrierhttp is the HTTP core the carriers' API clients share:
// JSON requests with a bearer key, bounded responses, and retries that
// never repeat a call which may have acted. A retry is made only when the
// request surely did nothing (a 429, a connection never made) or repeating
// it is harmless (any method but POST, on a 5xx or a transport failure); a
// POST whose outcome is unknown (a 5xx, a connection lost after sending)
// is not retried, and its error also matches the client's unknown-outcome
// sentinel, so the caller settles it by looking, not by asking again.
//
// Each carrier's package keeps its own error envelope (ParseError) and its
// own sentinel; paging and endpoints stay there too.
package carrierhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// MaxResponseBytes bounds how much of a response body is read.
const MaxResponseBytes = 10 << 20

// Options configures a Client; the zero value of every field selects its default.
type Options struct {
	// BaseURL is prefixed to every path.
	BaseURL string
	// APIKey is sent as a bearer token ("" sends none).
	APIKey string
	// HTTPClient defaults to a client with a 30s timeout.
	HTTPClient *http.Client
	// MaxRetries is the number of retries after the first attempt: 0 means 3, negative means none.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff; defaults 200ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// SleepFunc waits between attempts; the default sleeps and returns early with ctx's error.
	SleepFunc func(ctx context.Context, d time.Duration) error
}

// Client makes a carrier's API calls; it is safe for concurrent use.
type Client struct {
	// Name prefixes error messages ("surge", "telnyx").
	Name string
	// ParseError turns a non-2xx answer into the delay the carrier asked
	// for before a retry (0 if none) and the carrier's error.
	ParseError func(method, path string, resp *http.Response, body []byte) (retryAfter time.Duration, err error)
	// UnknownOutcome is the sentinel an error of a call that may have
	// acted also matches (errors.Is).
	UnknownOutcome error

	baseURL    string
	apiKey     string
	hc         *http.Client
	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration
	sleep      func(context.Context, time.Duration) error
	userAgent  string
}

// New returns a Client for o, filling in defaults; defaultBaseURL is used
// when o.BaseURL is empty.
func New(name, defaultBaseURL string, o Options) *Client {
	c := &Client{
		Name:       name,
		baseURL:    strings.TrimRight(o.BaseURL, "/"),
		apiKey:     o.APIKey,
		hc:         o.HTTPClient,
		maxRetries: o.MaxRetries,
		minBackoff: o.MinBackoff,
		maxBackoff: o.MaxBackoff,
		sleep:      o.SleepFunc,
		userAgent:  userAgent(),
	}
	if c.baseURL == "" {
		c.baseURL = strings.TrimRight(defaultBaseURL, "/")
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = 3
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.minBackoff <= 0 {
		c.minBackoff = 200 * time.Millisecond
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = 5 * time.Second
	}
	if c.maxBackoff < c.minBackoff {
		c.maxBackoff = c.minBackoff
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	return c
}

func userAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "naive/" + v
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sleep waits d with the client's SleepFunc (tests make it record waits).
func (c *Client) Sleep(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) }

// Do performs one API call with retries and decodes a 2xx body into out
// (nil in sends no body; nil out ignores the answer's).
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: encode %s %s: %w", c.Name, method, path, err)
		}
	}
	u := c.baseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %s %s: %w", c.Name, method, path, err)
		}
		retryAfter, retry, err := c.once(ctx, method, path, u, body, out)
		if err == nil || !retry || attempt >= c.maxRetries {
			return err
		}
		if serr := c.sleep(ctx, c.backoff(attempt, retryAfter)); serr != nil {
			return fmt.Errorf("%w (retry abandoned: %w)", err, serr)
		}
	}
}

// once makes a single attempt and says whether it may be retried.
func (c *Client) once(ctx context.Context, method, path, u string, body []byte, out any) (retryAfter time.Duration, retry bool, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %s %s: %w", c.Name, method, path, err)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	req.Header.Set("Accept", "application/json")
	// Every request says JSON, a bodiless POST included: some APIs
	// (Surge's) refuse a POST without the header.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	// Only POST creates things; GET, PUT, PATCH and DELETE can be
	// repeated without harm.
	safe := method != http.MethodPost
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, c.transportRetry(ctx, safe, err), c.transportErr(method, path, safe, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return 0, c.transportRetry(ctx, safe, err), c.transportErr(method, path, safe, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return 0, false, fmt.Errorf("%s: decode %s %s response: %w", c.Name, method, path, err)
			}
		}
		return 0, false, nil
	}
	after, apiErr := c.ParseError(method, path, resp, data)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// A rate-limited request was not processed, so even a POST may be repeated.
		return after, true, apiErr
	case resp.StatusCode >= 500 && safe:
		return after, true, apiErr
	case resp.StatusCode >= 500:
		return 0, false, c.outcome(apiErr)
	default:
		return 0, false, apiErr
	}
}

// transportRetry says whether a transport failure may be retried: always when the
// connection was never made, otherwise only for safe methods and a live context.
func (c *Client) transportRetry(ctx context.Context, safe bool, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	return safe || notSent(err)
}

func (c *Client) transportErr(method, path string, safe bool, err error) error {
	err = fmt.Errorf("%s: %s %s: %w", c.Name, method, path, err)
	if safe || notSent(err) {
		return err
	}
	return c.outcome(err)
}

// outcome marks err as the client's unknown-outcome sentinel too.
func (c *Client) outcome(err error) error {
	if c.UnknownOutcome == nil {
		return err
	}
	return &outcomeError{sentinel: c.UnknownOutcome, err: err}
}

// notSent reports whether err proves the request never left: the dial itself failed.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// backoff is exponential with jitter in [d/2, d], unless the server named a delay.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := c.minBackoff << min(attempt, 30)
	if d <= 0 || d > c.maxBackoff {
		d = c.maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// outcomeError marks err as an unknown outcome while keeping it reachable
// for errors.As.
type outcomeError struct{ sentinel, err error }

func (e *outcomeError) Error() string {
	name, _, _ := strings.Cut(e.sentinel.Error(), ":")
	return e.sentinel.Error() + ": " + strings.TrimPrefix(e.err.Error(), name+": ")
}

func (e *outcomeError) Unwrap() []error { return []error{e.sentinel, e.err} }

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func ParseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
