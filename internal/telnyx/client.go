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
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/naive-oss/naive/internal/carrier/carrierhttp"
)

// DefaultBaseURL is Telnyx's production API endpoint (API v2).
const DefaultBaseURL = "https://api.telnyx.com/v2"

// pageSize is the page size asked of paginated lists.
const pageSize = 250

// maxPages bounds a list walk, so that a server that never says it is done
// cannot keep the client paging for ever.
const maxPages = 200

// Options configures a Client (see carrierhttp.Options); an empty BaseURL
// is DefaultBaseURL.
type Options = carrierhttp.Options

// Client calls the Telnyx API; it is safe for concurrent use.
type Client struct{ h *carrierhttp.Client }

// NewClient returns a Client for o, filling in defaults.
func NewClient(o Options) *Client {
	h := carrierhttp.New("telnyx", DefaultBaseURL, o)
	h.UnknownOutcome = ErrUnknownOutcome
	h.ParseError = func(method, path string, resp *http.Response, body []byte) (time.Duration, error) {
		e := parseError(method, path, resp, body)
		return e.RetryAfter, e
	}
	return &Client{h: h}
}

// do performs one API call with retries and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	return c.h.Do(ctx, method, path, q, in, out)
}

// sleep waits d with the client's SleepFunc.
func (c *Client) sleep(ctx context.Context, d time.Duration) error { return c.h.Sleep(ctx, d) }

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
