// Package telnyx is the HTTP client for the Telnyx API v2 (JSON, bearer
// key) as far as naive's carrier port needs it: 10DLC brands and
// campaigns, the inventory of numbers for sale, number orders, phone
// numbers and their messaging settings, campaign assignments, outbound
// messages, message detail records, and the Ed25519 verification and
// parsing of Telnyx webhooks. Carrier adapts it to carrier.Carrier.
//
// The JSON types carry only the fields naive reads or writes; Telnyx
// ignores what a request leaves out. Field names follow Telnyx's own
// spelling, which differs between its APIs: the 10DLC API is camelCase
// (brandId, entityType), the numbers and messaging APIs snake_case
// (phone_number, messaging_profile_id). docs/carriers/telnyx.md lists the
// facts this package relies on.
package telnyx

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
	"strings"
	"time"
)

// DefaultBaseURL is Telnyx's production API endpoint (API v2).
const DefaultBaseURL = "https://api.telnyx.com/v2"

// maxResponseBytes bounds how much of a response body the client reads.
const maxResponseBytes = 10 << 20

// pageSize is the page size asked of paginated lists.
const pageSize = 250

// maxPages bounds a list walk, so that a server that never says it is done
// cannot keep the client paging for ever.
const maxPages = 200

// Options configures a Client; the zero value of every field selects its default.
type Options struct {
	// BaseURL defaults to DefaultBaseURL; it includes the /v2 prefix.
	BaseURL string
	// APIKey is sent as a bearer token.
	APIKey string
	// HTTPClient defaults to a client with a 30s timeout.
	HTTPClient *http.Client
	// MaxRetries is the number of retries after the first attempt: 0 means 3, negative means none.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff; defaults 200ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// SleepFunc waits between attempts (and between polls of a pending
	// number order); the default sleeps and returns early with ctx's error.
	SleepFunc func(ctx context.Context, d time.Duration) error
}

// Client calls the Telnyx API; it is safe for concurrent use.
type Client struct {
	baseURL    string
	apiKey     string
	hc         *http.Client
	maxRetries int
	minBackoff time.Duration
	maxBackoff time.Duration
	sleep      func(context.Context, time.Duration) error
	userAgent  string
}

// NewClient returns a Client for o, filling in defaults.
func NewClient(o Options) *Client {
	c := &Client{
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
		c.baseURL = DefaultBaseURL
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

// do performs one API call with retries and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("telnyx: encode %s %s: %w", method, path, err)
		}
	}
	u := c.baseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("telnyx: %s %s: %w", method, path, err)
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
		return 0, false, fmt.Errorf("telnyx: %s %s: %w", method, path, err)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)

	// Only POST creates things (a brand, a campaign, an order, a message,
	// an assignment); GET, PUT, PATCH and DELETE can be repeated without harm.
	safe := method != http.MethodPost
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, c.transportRetry(ctx, safe, err), c.transportErr(method, path, safe, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, c.transportRetry(ctx, safe, err), c.transportErr(method, path, safe, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return 0, false, fmt.Errorf("telnyx: decode %s %s response: %w", method, path, err)
			}
		}
		return 0, false, nil
	}
	apiErr := parseError(method, path, resp, data)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// A rate-limited request was not processed, so even a POST may be repeated.
		return apiErr.RetryAfter, true, apiErr
	case resp.StatusCode >= 500 && safe:
		return apiErr.RetryAfter, true, apiErr
	case resp.StatusCode >= 500:
		return 0, false, &outcomeError{apiErr}
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
	if safe || notSent(err) {
		return fmt.Errorf("telnyx: %s %s: %w", method, path, err)
	}
	return &outcomeError{fmt.Errorf("telnyx: %s %s: %w", method, path, err)}
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

// flatPage is the v2 list envelope of the numbers, orders and detail
// records APIs: data plus meta.page_number and meta.total_pages, paged
// with page[number] and page[size].
type flatPage[T any] struct {
	Data []T `json:"data"`
	Meta struct {
		PageNumber   int `json:"page_number"`
		TotalPages   int `json:"total_pages"`
		TotalResults int `json:"total_results"`
	} `json:"meta"`
}

// listFlat walks a v2 list from page 1 to meta.total_pages.
func listFlat[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var all []T
	for n := 1; n <= maxPages; n++ {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("page[number]", fmt.Sprint(n))
		pq.Set("page[size]", fmt.Sprint(pageSize))
		var page flatPage[T]
		if err := c.do(ctx, http.MethodGet, path, pq, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if len(page.Data) == 0 || page.Meta.TotalPages <= n {
			return all, nil
		}
	}
	return nil, fmt.Errorf("telnyx: GET %s: more than %d pages", path, maxPages)
}

// recordsPage is the list envelope of the 10DLC API: records, page and
// totalRecords, paged with page and recordsPerPage.
type recordsPage[T any] struct {
	Records      []T `json:"records"`
	Page         int `json:"page"`
	TotalRecords int `json:"totalRecords"`
}

// listRecords walks a 10DLC list until it has totalRecords records or a
// page comes back empty.
func listRecords[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var all []T
	for n := 1; n <= maxPages; n++ {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("page", fmt.Sprint(n))
		pq.Set("recordsPerPage", fmt.Sprint(pageSize))
		var page recordsPage[T]
		if err := c.do(ctx, http.MethodGet, path, pq, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Records...)
		if len(page.Records) == 0 || len(all) >= page.TotalRecords {
			return all, nil
		}
	}
	return nil, fmt.Errorf("telnyx: GET %s: more than %d pages", path, maxPages)
}
