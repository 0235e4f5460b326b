package metrics

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// carrierRoutes are the Surge API's routes the client calls, with every
// id a wildcard: a call's endpoint label is the pattern its path matches
// ("POST /accounts/{id}/phone_numbers"), so ids never become labels. A
// path none matches is "other".
var carrierRoutes = []string{
	"POST /accounts",
	"GET /accounts",
	"GET /accounts/{id}",
	"PATCH /accounts/{id}",
	"DELETE /accounts/{id}",
	"POST /accounts/{id}/archive",
	"GET /accounts/{id}/status",
	"POST /accounts/{id}/campaigns",
	"GET /accounts/{id}/campaigns",
	"GET /campaigns/{id}",
	"PATCH /campaigns/{id}",
	"POST /accounts/{id}/phone_numbers",
	"GET /accounts/{id}/phone_numbers",
	"GET /accounts/{id}/available_phone_numbers",
	"GET /phone_numbers/{id}",
	"PATCH /phone_numbers/{id}",
	"DELETE /phone_numbers/{id}",
	"POST /accounts/{id}/messages",
	"GET /accounts/{id}/messages",
	"GET /messages/{id}",
	"POST /accounts/{id}/contacts",
	"GET /accounts/{id}/contacts",
	"GET /contacts/{id}",
	"PATCH /contacts/{id}",
}

// OtherEndpoint is the endpoint label of a call whose path is not one of
// the carrier's known routes.
const OtherEndpoint = "other"

// carrierMux matches a call's method and path to its route.
var carrierMux = func() *http.ServeMux {
	mux := http.NewServeMux()
	for _, p := range carrierRoutes {
		mux.Handle(p, http.NotFoundHandler())
	}
	return mux
}()

// Endpoint returns the endpoint label of a carrier call: the route
// pattern that method and path (below the API's base path) match, or
// OtherEndpoint.
func Endpoint(method, path string) string {
	_, pattern := carrierMux.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}})
	if pattern == "" {
		return OtherEndpoint
	}
	return pattern
}

// CarrierTransport wraps next (nil: http.DefaultTransport), the transport
// of the carrier's HTTP client for mode ("live", "test"), whose base URL
// is baseURL: every call (each retry too) is counted by endpoint and
// status code, "error" when no response came, and timed until its
// response headers.
//
// A nil *Metrics measures nothing: next is returned as it is (nil stays
// nil, the client's default).
func (m *Metrics) CarrierTransport(mode, baseURL string, next http.RoundTripper) http.RoundTripper {
	if m == nil {
		return next
	}
	if next == nil {
		next = http.DefaultTransport
	}
	base := ""
	if u, err := url.Parse(baseURL); err == nil {
		base = strings.TrimRight(u.Path, "/")
	}
	return &carrierTransport{m: m, mode: mode, base: base, next: next}
}

type carrierTransport struct {
	m    *Metrics
	mode string
	base string
	next http.RoundTripper
}

func (t *carrierTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	endpoint := OtherEndpoint
	if p, ok := strings.CutPrefix(req.URL.Path, t.base); ok {
		endpoint = Endpoint(req.Method, p)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.m.carrierDuration.WithLabelValues(t.mode, endpoint).Observe(time.Since(start).Seconds())
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.m.carrierRequests.WithLabelValues(t.mode, endpoint, code).Inc()
	return resp, err
}
