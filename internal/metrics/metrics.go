// Package metrics is the server's Prometheus instrumentation: a registry
// of its own (not the global default) with the Go and process collectors,
// the HTTP server's requests by route pattern, the carrier's calls by
// endpoint, and business counts read from the database at scrape time
// (db.go). Handler serves them, with net/http/pprof, on the separate
// listener of `naive serve --metrics-addr` — never on the public port.
package metrics

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/naive-oss/naive/internal/store"
)

// namespace prefixes every metric of the server's own.
const namespace = "naive"

// DefaultQueryTimeout bounds each database query of a scrape.
const DefaultQueryTimeout = time.Second

// Config configures New.
type Config struct {
	// Stats, when set, is read at scrape time for the business, webhook
	// and job counts (one query per group, each bounded by QueryTimeout).
	Stats store.Stats
	// QueryTimeout bounds each query (default DefaultQueryTimeout).
	QueryTimeout time.Duration
	// Logger receives failed queries and failed scrapes (default: discard).
	Logger *slog.Logger
}

// Metrics owns the registry and the server's instruments. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	carrierRequests *prometheus.CounterVec
	carrierDuration *prometheus.HistogramVec
}

// New returns the metrics, registered on a new registry.
func New(cfg Config) *Metrics {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: cfg.Logger,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by the route pattern that matched (\"unmatched\" for none), method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		carrierRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "carrier", Name: "requests_total",
			Help: "HTTP calls to the carrier's API (every attempt, retries included), by mode, endpoint (the API's route pattern) and status code (\"error\" when no answer came).",
		}, []string{"mode", "endpoint", "code"}),
		carrierDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "carrier", Name: "request_duration_seconds",
			Help:    "Latency of a call to the carrier's API, until its response headers (or its error), by mode and endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"mode", "endpoint"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.carrierRequests, m.carrierDuration,
	)
	if cfg.Stats != nil {
		m.reg.MustRegister(newDBCollector(cfg.Stats, cfg.QueryTimeout, cfg.Logger))
	}
	return m
}

// Registry returns the registry, for tests and further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics listener: GET /metrics (the Prometheus text
// format) and net/http/pprof under /debug/pprof/. Mount it on a listener
// of its own, not on the public API: profiles reveal the process's
// internals and cost CPU.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slogLogger{m.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // promhttp_metric_handler_errors_total
	}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("naive metrics: GET /metrics (Prometheus), /debug/pprof/ (net/http/pprof)\n"))
	})
	return mux
}

// slogLogger adapts slog to promhttp's Println logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Println(v ...any) {
	if len(v) == 1 {
		s.l.Warn("metrics scrape", "err", v[0])
		return
	}
	s.l.Warn("metrics scrape", "err", v)
}
