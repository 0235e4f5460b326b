package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/naive-oss/naive/internal/metrics"
	"github.com/naive-oss/naive/internal/store"
)

// scrape serves GET /metrics from m's handler and parses it.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// find returns the metric of family name whose labels include want, or nil.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := find(fams, name, labels)
	if m == nil {
		t.Fatalf("no %s%v in the scrape", name, labels)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatalf("%s%v has no value", name, labels)
	return 0
}

func TestHTTPByRoutePattern(t *testing.T) {
	m := metrics.New(metrics.Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/phone/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /v1/phone/provision", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {}) // writes nothing: 200
	srv := httptest.NewServer(m.HTTP(mux))
	defer srv.Close()
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/phone/ph_1"}, {"GET", "/v1/phone/ph_2"}, {"POST", "/v1/phone/provision"},
		{"GET", "/nope/ph_3"}, {"DELETE", "/v1/phone/ph_4"}, {"BREW", "/mcp/x"}, {"POST", "/mcp"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	fams := scrape(t, m)
	for _, c := range []struct {
		route, method, code string
		n                   float64
	}{
		{"GET /v1/phone/{id}", "GET", "200", 2},
		{"POST /v1/phone/provision", "POST", "202", 1},
		{"unmatched", "GET", "404", 1},
		{"unmatched", "DELETE", "405", 1},
		{"unmatched", "OTHER", "404", 1},
		{"/mcp", "POST", "200", 1},
	} {
		if got := value(t, fams, "naive_http_requests_total", map[string]string{"route": c.route, "method": c.method, "code": c.code}); got != c.n {
			t.Errorf("requests %s %s %s = %v, want %v", c.method, c.route, c.code, got, c.n)
		}
	}
	if got := value(t, fams, "naive_http_request_duration_seconds", map[string]string{"route": "GET /v1/phone/{id}", "method": "GET"}); got != 2 {
		t.Errorf("duration histogram count = %v, want 2", got)
	}
	for _, f := range fams {
		for _, mm := range f.Metric {
			for _, l := range mm.Label {
				if strings.Contains(l.GetValue(), "ph_") {
					t.Errorf("a raw path reached a label: %s %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	if fams["go_goroutines"] == nil || fams["process_cpu_seconds_total"] == nil {
		t.Error("the Go and process collectors are not registered")
	}
}

func TestEndpoint(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"POST", "/accounts/acct_01/phone_numbers", "POST /accounts/{id}/phone_numbers"},
		{"GET", "/accounts/acct_01/phone_numbers", "GET /accounts/{id}/phone_numbers"},
		{"POST", "/accounts", "POST /accounts"},
		{"GET", "/campaigns/cpn_9", "GET /campaigns/{id}"},
		{"DELETE", "/phone_numbers/pn_1", "DELETE /phone_numbers/{id}"},
		{"POST", "/accounts/a/messages", "POST /accounts/{id}/messages"},
		{"GET", "/accounts/a/b/c", metrics.OtherEndpoint},
		{"PUT", "/accounts/a", metrics.OtherEndpoint},
		{"GET", "/", metrics.OtherEndpoint},
		{"GET", "/accounts/", metrics.OtherEndpoint},
		// Telnyx's, below its /v2 base.
		{"POST", "/number_orders", "POST /number_orders"},
		{"GET", "/number_orders/ord_1", "GET /number_orders/{id}"},
		{"GET", "/phone_numbers", "GET /phone_numbers"},
		{"PATCH", "/phone_numbers/pn_1/messaging", "PATCH /phone_numbers/{id}/messaging"},
		{"POST", "/10dlc/campaignBuilder", "POST /10dlc/campaignBuilder"},
		{"POST", "/10dlc/campaign/c_1/appeal", "POST /10dlc/campaign/{id}/appeal"},
		{"GET", "/10dlc/brand/feedback/b_1", "GET /10dlc/brand/feedback/{id}"},
		{"GET", "/10dlc/brand/b_1/smsOtp", "GET /10dlc/brand/{id}/smsOtp"},
		{"GET", "/10dlc/phone_number_campaigns/+14155550100", "GET /10dlc/phone_number_campaigns/{phone_number}"},
		{"POST", "/messages", "POST /messages"},
		{"GET", "/detail_records", "GET /detail_records"},
		{"PUT", "/10dlc/campaign/", metrics.OtherEndpoint},
		{"POST", "/v2/messages", metrics.OtherEndpoint},
	} {
		if got := metrics.Endpoint(c.method, c.path); got != c.want {
			t.Errorf("Endpoint(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCarrierTransport(t *testing.T) {
	m := metrics.New(metrics.Config{})
	fail := errors.New("connection refused")
	rt := m.CarrierTransport("live", "https://surge.example/api/", roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			return nil, fail
		}
		code := 201
		if r.Method == "GET" {
			code = 200
		}
		return &http.Response{StatusCode: code, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	}))
	c := &http.Client{Transport: rt}
	for _, u := range []string{"POST /api/accounts/acct_1/phone_numbers", "POST /api/accounts/acct_2/phone_numbers", "GET /api/campaigns/c_1",
		"GET /api/accounts/x/fail", "GET /elsewhere/campaigns/c_1"} {
		method, path, _ := strings.Cut(u, " ")
		req, _ := http.NewRequest(method, "https://surge.example"+path, nil)
		res, err := c.Do(req)
		if err == nil {
			res.Body.Close()
		}
	}
	fams := scrape(t, m)
	for _, c := range []struct {
		endpoint, code string
		n              float64
	}{
		{"POST /accounts/{id}/phone_numbers", "201", 2},
		{"GET /campaigns/{id}", "200", 1},
		{metrics.OtherEndpoint, "error", 1},
		{metrics.OtherEndpoint, "200", 1}, // outside the base path
	} {
		if got := value(t, fams, "naive_carrier_requests_total", map[string]string{"mode": "live", "endpoint": c.endpoint, "code": c.code}); got != c.n {
			t.Errorf("carrier calls %s %s = %v, want %v", c.endpoint, c.code, got, c.n)
		}
	}
	if got := value(t, fams, "naive_carrier_request_duration_seconds", map[string]string{"mode": "live", "endpoint": "POST /accounts/{id}/phone_numbers"}); got != 2 {
		t.Errorf("carrier latency count = %v, want 2", got)
	}
}

// fakeStats answers Stats from rows, failing the groups in fail.
type fakeStats struct {
	rows  map[store.StatGroup][]store.StatRow
	fail  map[store.StatGroup]bool
	calls atomic.Int64
	block bool
}

func (f *fakeStats) Stats(ctx context.Context, g store.StatGroup) ([]store.StatRow, error) {
	f.calls.Add(1)
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.fail[g] {
		return nil, errors.New("no such table")
	}
	return f.rows[g], nil
}

func TestDBCollector(t *testing.T) {
	st := &fakeStats{rows: map[store.StatGroup][]store.StatRow{
		store.StatPhones:     {{Labels: []string{"test", "active"}, Values: []int64{3}}},
		store.StatMessages:   {{Labels: []string{"test", "outbound", "sent"}, Values: []int64{7}}},
		store.StatApprovals:  {{Labels: []string{"live", "denied"}, Values: []int64{2}}},
		store.StatLedger:     {{Labels: []string{"test", "phone.provision"}, Values: []int64{3, 150, 0}}, {Labels: []string{"test", "grant"}, Values: []int64{1, 0, 1000}}},
		store.StatDeliveries: {{Labels: []string{"test", "pending"}, Values: []int64{4}}, {Labels: []string{"live", "pending"}, Values: []int64{1}}, {Labels: []string{"test", "succeeded"}, Values: []int64{9}}},
	}, fail: map[store.StatGroup]bool{store.StatJobs: true}}
	m := metrics.New(metrics.Config{Stats: st})
	fams := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"naive_phones", map[string]string{"mode": "test", "status": "active"}, 3},
		{"naive_messages", map[string]string{"mode": "test", "direction": "outbound", "status": "sent"}, 7},
		{"naive_approvals", map[string]string{"mode": "live", "status": "denied"}, 2},
		{"naive_ledger_entries_total", map[string]string{"mode": "test", "reason": "phone.provision"}, 3},
		{"naive_credits_charged_total", map[string]string{"mode": "test", "reason": "phone.provision"}, 150},
		{"naive_credits_credited_total", map[string]string{"mode": "test", "reason": "grant"}, 1000},
		{"naive_webhook_deliveries", map[string]string{"mode": "test", "status": "succeeded"}, 9},
		{"naive_webhook_deliveries_pending", nil, 5},
		// The failing group is counted, in the same scrape; the others are served.
		{"naive_metrics_scrape_errors_total", map[string]string{"group": "jobs"}, 1},
		{"naive_metrics_scrape_errors_total", map[string]string{"group": "phones"}, 0},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if fams["naive_river_jobs"] != nil {
		t.Error("a failed group's series were served")
	}
	if got := fams["naive_credits_charged_total"].GetType(); got != dto.MetricType_COUNTER {
		t.Errorf("credits charged is a %v, want a counter", got)
	}
	if n := st.calls.Load(); n != int64(len(store.StatGroups)) {
		t.Errorf("one scrape ran %d queries, want one per group (%d)", n, len(store.StatGroups))
	}
	if got := value(t, scrape(t, m), "naive_metrics_scrape_errors_total", map[string]string{"group": "jobs"}); got != 2 {
		t.Errorf("scrape errors after a second scrape = %v, want 2", got)
	}
}

// A query that hangs is cut at the timeout and the scrape still answers.
func TestDBCollectorTimeout(t *testing.T) {
	st := &fakeStats{block: true}
	m := metrics.New(metrics.Config{Stats: st, QueryTimeout: 20 * time.Millisecond})
	start := time.Now()
	fams := scrape(t, m)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("scrape took %v", d)
	}
	if got := value(t, fams, "naive_metrics_scrape_errors_total", map[string]string{"group": "ledger"}); got != 1 {
		t.Errorf("timed-out query errors = %v, want 1", got)
	}
	if fams["go_goroutines"] == nil {
		t.Error("the rest of the scrape is missing")
	}
}

func TestHandlerPprof(t *testing.T) {
	m := metrics.New(metrics.Config{})
	for path, want := range map[string]int{"/debug/pprof/": 200, "/debug/pprof/goroutine?debug=1": 200, "/debug/pprof/cmdline": 200, "/metrics": 200, "/nope": 404} {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}
