package metrics

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// carrierRoutes are the carriers' API routes the clients call, with every
// id a wildcard: a call's endpoint label is the pattern its path matches
// ("POST /accounts/{id}/phone_numbers"), so ids never become labels. A
// path none matches is "other". Surge's come first, then Telnyx's (below
// its /v2 base; the routes both have are listed once).
var carrierRoutes = []string{
	// Surge.
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
	// Telnyx.
	"POST /10dlc/brand",
	"GET /10dlc/brand",
	"GET /10dlc/brand/feedback/{id}",
	"GET /10dlc/brand/{id}",
	"PUT /10dlc/brand/{id}",
	"DELETE /10dlc/brand/{id}",
	"POST /10dlc/brand/{id}/smsOtp",
	"GET /10dlc/brand/{id}/smsOtp",
	"PUT /10dlc/brand/{id}/smsOtp",
	"POST /10dlc/campaignBuilder",
	"GET /10dlc/campaign",
	"GET /10dlc/campaign/{id}",
	"PUT /10dlc/campaign/{id}",
	"DELETE /10dlc/campaign/{id}",
	"POST /10dlc/campaign/{id}/appeal",
	"POST /10dlc/phone_number_campaigns",
	"GET /10dlc/phone_number_campaigns",
	"GET /10dlc/phone_number_campaigns/{phone_number}",
	"DELETE /10dlc/phone_number_campaigns/{phone_number}",
	"GET /available_phone_numbers",
	"POST /number_orders",
	"GET /number_orders",
	"GET /number_orders/{id}",
	"GET /phone_numbers",
	"GET /phone_numbers/{id}/messaging",
	"PATCH /phone_numbers/{id}/messaging",
	"POST /messages",
	"GET /detail_records",
}

// OtherEndpoint is the endpoint label of a call whose path is not one of
// the carrier's known routes.
const OtherEndpoint = "other"

// route is a parsed carrier route: its method and path segments, a
// segment in braces matching any one non-empty segment.
type route struct {
	pattern, method string
	segs            []string
}

var routes = func() []route {
	out := make([]route, 0, len(carrierRoutes))
	for _, p := range carrierRoutes {
		method, path, _ := strings.Cut(p, " ")
		out = append(out, route{pattern: p, method: method, segs: strings.Split(strings.TrimPrefix(path, "/"), "/")})
	}
	return out
}()

func (r route) match(method string, segs []string) bool {
	if r.method != method || len(r.segs) != len(segs) {
		return false
	}
	for i, s := range r.segs {
		if strings.HasPrefix(s, "{") {
			if segs[i] == "" {
				return false
			}
		} else if s != segs[i] {
			return false
		}
	}
	return true
}

// Endpoint returns the endpoint label of a carrier call: the route
// pattern that method and path (below the API's base path) match — a
// route with a literal segment where another has a wildcard is preferred
// by coming first — or OtherEndpoint.
func Endpoint(method, path string) string {
	if !strings.HasPrefix(path, "/") {
		return OtherEndpoint
	}
	segs := strings.Split(path[1:], "/")
	for _, r := range routes {
		if r.match(method, segs) {
			return r.pattern
		}
	}
	return OtherEndpoint
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
