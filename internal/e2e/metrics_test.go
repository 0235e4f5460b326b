package e2e_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/naive-oss/naive/internal/app"
)

// TestMetrics runs a server with its metrics listener, makes a few calls,
// and reads them back from GET /metrics: HTTP requests by route pattern,
// the sandbox carrier's calls by endpoint, and the counts read from the
// database (both databases' queries) at scrape time.
func TestMetrics(t *testing.T) {
	// The number purchase's endpoint: Surge buys in one call, Telnyx
	// orders (one order: the sandbox's first pick is for sale).
	buyEndpoint := "POST /accounts/{id}/phone_numbers"
	if testCarrier() == "telnyx" {
		buyEndpoint = "POST /number_orders"
	}
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL, fastFormation, func(o *app.Options) { o.MetricsAddr = "127.0.0.1:0" })
		murl := h.app.MetricsURL()
		if murl == "" || murl == h.url {
			t.Fatalf("metrics URL %q: want a listener of its own beside %s", murl, h.url)
		}
		if !strings.Contains(h.stdout, murl+"/metrics") {
			t.Errorf("the start does not say where the metrics are: %s", h.stdout)
		}

		// A webhook endpoint, so the provision's event has a delivery.
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer hook.Close()
		ep := h.must(201, h.call("POST", "/v1/webhooks", h.testKey, `{"url":"`+hook.URL+`"}`)).json(t)["id"].(string)
		ph := h.must(202, h.call("POST", "/v1/phone/provision", h.testKey, seedBody)).json(t)["phone"].(map[string]any)["id"].(string)
		e164 := h.must(200, h.call("GET", "/v1/phone/"+ph, h.testKey, nil)).json(t)["e164"].(string)
		h.must(202, h.call("POST", "/v1/sandbox/sms", h.testKey, `{"to":"`+e164+`","from":"+14155550123","body":"hi"}`))
		// An agent's provision on a tenant subject waits for a human, who denies it.
		sid := h.formedSubject()
		apr := h.must(202, h.call("POST", "/v1/subjects/"+sid+"/phone/provision", h.testKey, seedBody)).json(t)["approval_id"].(string)
		h.must(200, h.call("POST", "/v1/approvals/"+apr+"/deny", h.login(), `{"reason":"not now"}`, "Naive-Mode", "test"))
		h.must(404, h.call("GET", "/v1/no/such/route/"+ph, h.testKey, nil))
		h.must(404, h.call("GET", "/debug/pprof/", "", nil)) // never on the public port
		h.must(404, h.call("GET", "/metrics", "", nil))
		waitFor(t, "the provision's webhook delivery", func() bool {
			for _, x := range h.must(200, h.call("GET", "/v1/webhooks/"+ep+"/deliveries", h.testKey, nil)).json(t)["data"].([]any) {
				if m := x.(map[string]any); m["event_type"] == "phone.provisioned" && m["status"] == "succeeded" {
					return true
				}
			}
			return false
		})

		res, err := http.Get(murl + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET /debug/pprof/ on the metrics listener: %d", res.StatusCode)
		}

		fams := scrapeMetrics(t, murl)
		metric := func(name string, labels map[string]string) *dto.Metric {
			t.Helper()
			f := fams[name]
			if f == nil {
				t.Fatalf("no %s in the scrape", name)
			}
		next:
			for _, m := range f.Metric {
				for k, v := range labels {
					if labelOf(m, k) != v {
						continue next
					}
				}
				return m
			}
			t.Fatalf("no %s%v in the scrape; it has %v", name, labels, f.Metric)
			return nil
		}
		eq := func(what string, got, want float64) {
			t.Helper()
			if got != want {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}

		// HTTP: by the route's pattern, never its raw path.
		eq("provision requests", metric("naive_http_requests_total",
			map[string]string{"route": "POST /v1/phone/provision", "method": "POST", "code": "202"}).Counter.GetValue(), 1)
		eq("phone reads", metric("naive_http_requests_total",
			map[string]string{"route": "GET /v1/phone/{id}", "method": "GET", "code": "200"}).Counter.GetValue(), 1)
		if n := metric("naive_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}).Counter.GetValue(); n != 3 {
			t.Errorf("unmatched 404s = %v, want 3 (an unknown route, /debug/pprof/, /metrics)", n)
		}
		eq("provision duration count", float64(metric("naive_http_request_duration_seconds",
			map[string]string{"route": "POST /v1/phone/provision", "method": "POST"}).Histogram.GetSampleCount()), 1)
		for name, f := range fams {
			for _, m := range f.Metric {
				for _, l := range m.Label {
					if strings.Contains(l.GetValue(), ph) {
						t.Errorf("an id reached a label: %s %s=%q", name, l.GetName(), l.GetValue())
					}
				}
			}
		}

		// The sandbox carrier's calls, by the carrier's endpoint.
		buy := metric("naive_carrier_requests_total", map[string]string{"mode": "test", "endpoint": buyEndpoint})
		if c := labelOf(buy, "code"); c[0] != '2' || buy.Counter.GetValue() != 1 {
			t.Errorf("number purchases: %v with code %s, want 1 with a 2xx", buy.Counter.GetValue(), c)
		}
		eq("purchase latency count", float64(metric("naive_carrier_request_duration_seconds",
			map[string]string{"mode": "test", "endpoint": buyEndpoint}).Histogram.GetSampleCount()), 1)
		for _, m := range fams["naive_carrier_requests_total"].Metric {
			if e := labelOf(m, "endpoint"); e == "other" {
				t.Errorf("a carrier call matched no %s route: %v", testCarrier(), m)
			}
		}

		// Business counts, from the database.
		eq("active test phones", metric("naive_phones", map[string]string{"mode": "test", "status": "active"}).Gauge.GetValue(), 1)
		eq("provisions charged", metric("naive_ledger_entries_total", map[string]string{"mode": "test", "reason": "phone.provision"}).Counter.GetValue(), 1)
		eq("credits charged", metric("naive_credits_charged_total", map[string]string{"mode": "test", "reason": "phone.provision"}).Counter.GetValue(), 50)
		if n := metric("naive_credits_credited_total", map[string]string{"mode": "test", "reason": "grant"}).Counter.GetValue(); n <= 0 {
			t.Errorf("the first start's test credits: %v credited", n)
		}
		eq("denied approvals", metric("naive_approvals", map[string]string{"mode": "test", "status": "denied"}).Gauge.GetValue(), 1)
		waitFor(t, "the inbound text", func() bool {
			return find(scrapeMetrics(t, murl), "naive_messages", map[string]string{"mode": "test", "direction": "inbound", "status": "received"}) == 1
		})

		// Webhooks and River.
		if n := metric("naive_webhook_deliveries", map[string]string{"mode": "test", "status": "succeeded"}).Gauge.GetValue(); n < 1 {
			t.Errorf("succeeded deliveries = %v, want ≥ 1", n)
		}
		metric("naive_webhook_deliveries_pending", nil)
		if f := fams["naive_river_jobs"]; f == nil || len(f.Metric) == 0 {
			t.Error("no River jobs in the scrape")
		} else {
			found := false
			for _, m := range f.Metric {
				found = found || (labelOf(m, "kind") != "" && labelOf(m, "state") != "" && m.Gauge.GetValue() > 0)
			}
			if !found {
				t.Errorf("River jobs without kind and state: %v", f.Metric)
			}
		}
		for _, m := range metricsOf(fams, "naive_metrics_scrape_errors_total") {
			if m.Counter.GetValue() != 0 {
				t.Errorf("scrape errors for %s: %v", labelOf(m, "group"), m.Counter.GetValue())
			}
		}
		if len(metricsOf(fams, "naive_metrics_scrape_errors_total")) != 6 {
			t.Errorf("scrape error counters: %v, want one per group", metricsOf(fams, "naive_metrics_scrape_errors_total"))
		}
		if fams["go_goroutines"] == nil || fams["process_resident_memory_bytes"] == nil {
			t.Error("no Go or process metrics")
		}
	})
}

// TestMetricsOffByDefault: without MetricsAddr there is no metrics listener.
func TestMetricsOffByDefault(t *testing.T) {
	h := start(t, "sqlite:"+t.TempDir()+"/naive.db")
	if u := h.app.MetricsURL(); u != "" {
		t.Fatalf("metrics listener %s without MetricsAddr", u)
	}
	h.must(404, h.call("GET", "/debug/pprof/", "", nil))
	h.must(404, h.call("GET", "/debug/pprof/profile", "", nil))
}

func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// find returns the value of the metric of family name with labels, or -1.
func find(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
next:
	for _, m := range metricsOf(fams, name) {
		for k, v := range labels {
			if labelOf(m, k) != v {
				continue next
			}
		}
		return m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	return -1
}

func metricsOf(fams map[string]*dto.MetricFamily, name string) []*dto.Metric {
	if f := fams[name]; f != nil {
		return f.Metric
	}
	return nil
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestMetricsListenerLifecycle: Close closes the metrics listener, and a
// metrics address that cannot be had fails the start, leaving nothing
// listening.
func TestMetricsListenerLifecycle(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/naive.db"
	a, err := app.Start(t.Context(), app.Options{Addr: "127.0.0.1:0", DatabaseURL: db, MetricsAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	murl := a.MetricsURL()
	scrapeMetrics(t, murl)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if res, err := http.Get(murl + "/metrics"); err == nil {
		res.Body.Close()
		t.Fatalf("the metrics listener still answers after Close: %d", res.StatusCode)
	}

	// The address is taken: the start fails and lets go of its API port.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	if a, err := app.Start(t.Context(), app.Options{Addr: addr, DatabaseURL: db, MetricsAddr: busy.Addr().String()}); err == nil {
		a.Close()
		t.Fatal("started with its metrics address taken")
	} else if !strings.Contains(err.Error(), "metrics") {
		t.Fatalf("error %q does not name the metrics listener", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the failed start still holds its API port: %v", err)
	}
	ln.Close()
}
