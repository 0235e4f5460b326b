package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/naive-oss/naive/internal/store"
)

// dbCollector reads the business, webhook and job counts from the
// database at scrape time: they are true of every process on the database
// and survive restarts, whichever process is scraped. Each group is one
// GROUP BY query (store.Stats) bounded by a timeout; the groups run one
// after the other, so a scrape holds at most one connection. A failed
// query leaves its group's series out of that scrape (the rest is served),
// is logged, and counts in naive_metrics_scrape_errors_total.
type dbCollector struct {
	stats   store.Stats
	timeout time.Duration
	log     *slog.Logger
	groups  []dbGroup

	scrapeErrors  *prometheus.CounterVec
	queryDuration *prometheus.Desc
}

// dbGroup turns one store.StatGroup's rows into metrics.
type dbGroup struct {
	group store.StatGroup
	descs []*prometheus.Desc
	emit  func(ch chan<- prometheus.Metric, rows []store.StatRow)
}

func newDBCollector(stats store.Stats, timeout time.Duration, log *slog.Logger) *dbCollector {
	name := func(n string) string { return prometheus.BuildFQName(namespace, "", n) }
	fromDB := " Read from the database at scrape time (every process on it), across every operator."
	phones := prometheus.NewDesc(name("phones"), "Phone numbers by mode and status (provisioning, active, released, failed)."+fromDB, []string{"mode", "status"}, nil)
	messages := prometheus.NewDesc(name("messages"), "Texts by mode, direction (outbound, inbound) and status (queued, sent, delivered, failed, received)."+fromDB, []string{"mode", "direction", "status"}, nil)
	approvals := prometheus.NewDesc(name("approvals"), "Approvals by mode and status (pending, executing, executed, failed, denied, expired)."+fromDB, []string{"mode", "status"}, nil)
	entries := prometheus.NewDesc(name("ledger_entries_total"), "Credit ledger entries by mode and reason (phone.provision, sms.send, grant, refunds)."+fromDB, []string{"mode", "reason"}, nil)
	charged := prometheus.NewDesc(name("credits_charged_total"), "Credits charged (the sum of the ledger's debits) by mode and reason."+fromDB, []string{"mode", "reason"}, nil)
	credited := prometheus.NewDesc(name("credits_credited_total"), "Credits added (grants and refunds: the sum of the ledger's credits) by mode and reason."+fromDB, []string{"mode", "reason"}, nil)
	deliveries := prometheus.NewDesc(name("webhook_deliveries"), "Webhook deliveries by mode and status (pending, succeeded, failed)."+fromDB, []string{"mode", "status"}, nil)
	pending := prometheus.NewDesc(name("webhook_deliveries_pending"), "Webhook deliveries not yet succeeded or given up: the delivery queue's depth."+fromDB, nil, nil)
	jobs := prometheus.NewDesc(name("river_jobs"), "Background jobs (River) by kind and state."+fromDB, []string{"kind", "state"}, nil)

	gauge := func(d *prometheus.Desc) dbGroup {
		return dbGroup{descs: []*prometheus.Desc{d}, emit: func(ch chan<- prometheus.Metric, rows []store.StatRow) {
			for _, r := range rows {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(r.Values[0]), r.Labels...)
			}
		}}
	}
	with := func(g dbGroup, sg store.StatGroup) dbGroup { g.group = sg; return g }
	c := &dbCollector{
		stats: stats, timeout: timeout, log: log,
		scrapeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "metrics", Name: "scrape_errors_total",
			Help: "Database queries of a scrape that failed (their group's series were left out of that scrape), by group.",
		}, []string{"group"}),
		queryDuration: prometheus.NewDesc(name("metrics_query_duration_seconds"),
			"How long the last scrape's database query of each group took.", []string{"group"}, nil),
		groups: []dbGroup{
			with(gauge(phones), store.StatPhones),
			with(gauge(messages), store.StatMessages),
			with(gauge(approvals), store.StatApprovals),
			{group: store.StatLedger, descs: []*prometheus.Desc{entries, charged, credited},
				emit: func(ch chan<- prometheus.Metric, rows []store.StatRow) {
					for _, r := range rows {
						ch <- prometheus.MustNewConstMetric(entries, prometheus.CounterValue, float64(r.Values[0]), r.Labels...)
						ch <- prometheus.MustNewConstMetric(charged, prometheus.CounterValue, float64(r.Values[1]), r.Labels...)
						ch <- prometheus.MustNewConstMetric(credited, prometheus.CounterValue, float64(r.Values[2]), r.Labels...)
					}
				}},
			{group: store.StatDeliveries, descs: []*prometheus.Desc{deliveries, pending},
				emit: func(ch chan<- prometheus.Metric, rows []store.StatRow) {
					var n int64
					for _, r := range rows {
						ch <- prometheus.MustNewConstMetric(deliveries, prometheus.GaugeValue, float64(r.Values[0]), r.Labels...)
						if r.Labels[1] == "pending" {
							n += r.Values[0]
						}
					}
					ch <- prometheus.MustNewConstMetric(pending, prometheus.GaugeValue, float64(n))
				}},
			with(gauge(jobs), store.StatJobs),
		},
	}
	// Every group's errors start at 0, so a rate() sees the first one.
	for _, g := range c.groups {
		c.scrapeErrors.WithLabelValues(string(g.group))
	}
	return c
}

// Describe sends every metric's description.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range c.groups {
		for _, d := range g.descs {
			ch <- d
		}
	}
	ch <- c.queryDuration
	c.scrapeErrors.Describe(ch)
}

// Collect runs each group's query, one after the other, then sends the
// error counts (this scrape's failures included).
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	for _, g := range c.groups {
		rows, took, err := c.query(g.group)
		ch <- prometheus.MustNewConstMetric(c.queryDuration, prometheus.GaugeValue, took.Seconds(), string(g.group))
		if err != nil {
			c.log.Warn("metrics: database query failed; its series are left out of this scrape", "group", g.group, "err", err)
			c.scrapeErrors.WithLabelValues(string(g.group)).Inc()
			continue
		}
		if !valid(rows, g) {
			c.log.Warn("metrics: database query returned rows of the wrong shape", "group", g.group)
			c.scrapeErrors.WithLabelValues(string(g.group)).Inc()
			continue
		}
		g.emit(ch, rows)
	}
	c.scrapeErrors.Collect(ch)
}

func (c *dbCollector) query(g store.StatGroup) ([]store.StatRow, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	start := time.Now()
	rows, err := c.stats.Stats(ctx, g)
	return rows, time.Since(start), err
}

// valid reports whether every row has the labels and values its group's
// metrics need, so that emitting cannot panic.
func valid(rows []store.StatRow, g dbGroup) bool {
	labels, values := 2, 1
	switch g.group {
	case store.StatMessages:
		labels = 3
	case store.StatLedger:
		values = 3
	}
	for _, r := range rows {
		if len(r.Labels) != labels || len(r.Values) != values {
			return false
		}
	}
	return true
}
