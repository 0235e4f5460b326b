package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/naive-oss/naive/internal/metrics"
	"github.com/naive-oss/naive/internal/store"
)

// openMetrics, when Options.MetricsAddr is set, sets up the instruments
// and listens for the metrics listener: GET /metrics and /debug/pprof/, on
// an address of its own, never the public port. Without it nothing is
// measured (a nil *metrics.Metrics), which keeps an idle server small.
func (a *App) openMetrics() error {
	if a.opts.MetricsAddr == "" {
		return nil
	}
	cfg := metrics.Config{Logger: a.opts.Logger}
	if st, ok := a.store.(store.Stats); ok {
		cfg.Stats = st
	}
	a.metrics = metrics.New(cfg)
	ln, err := net.Listen("tcp", a.opts.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", a.opts.MetricsAddr, err)
	}
	a.metricsLn = ln
	return nil
}

// serveMetrics serves the metrics listener, if there is one.
func (a *App) serveMetrics() {
	if a.metricsLn == nil {
		return
	}
	a.metricsSrv = &http.Server{Handler: a.metrics.Handler(), ReadHeaderTimeout: 10 * time.Second,
		// A CPU profile or trace runs for ?seconds= (30 by default).
		WriteTimeout: 5 * time.Minute}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.metricsSrv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.opts.Logger.Error("metrics listener stopped", "err", err)
		}
	}()
	a.opts.Logger.Info("metrics listening", "url", a.MetricsURL()+"/metrics")
	fmt.Fprintf(a.opts.Stdout, "naive: metrics and pprof on %s/metrics, %s/debug/pprof/ (a separate listener, not the public port)\n",
		a.MetricsURL(), a.MetricsURL())
}

// closeMetrics stops the metrics listener: a scrape or profile in flight
// is cut short (nothing depends on it).
func (a *App) closeMetrics() {
	switch {
	case a.metricsSrv != nil:
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := a.metricsSrv.Shutdown(ctx); err != nil {
			_ = a.metricsSrv.Close()
		}
	case a.metricsLn != nil:
		_ = a.metricsLn.Close() // never served
	}
}

// MetricsURL is the metrics listener's base URL (GET /metrics,
// /debug/pprof/), or "" when Options.MetricsAddr is unset.
func (a *App) MetricsURL() string {
	if a.metricsLn == nil {
		return ""
	}
	return "http://" + a.metricsLn.Addr().String()
}

// Metrics returns the server's instruments.
func (a *App) Metrics() *metrics.Metrics { return a.metrics }
