package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxBody is how much of an answer is kept, enough for an error's body.
const maxBody = 2048

// stats are a measured run's numbers, the same for HTTP and for B1.
type stats struct {
	requests   uint64
	rate       float64
	p50, p99   time.Duration
	errors     uint64
	firstError string
}

func (s stats) row(name string, conc int) Row {
	return Row{Scenario: name, Concurrency: conc, Requests: s.requests, Rate: s.rate,
		P50Ms: millis(s.p50), P99Ms: millis(s.p99), Errors: s.errors, FirstError: s.firstError}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// collector adds results to vegeta's Metrics, which computes the
// latencies, and counts what was not 2xx.
type collector struct {
	m      vegeta.Metrics
	errors uint64
	first  string
	ok     uint64
}

func (c *collector) add(r *vegeta.Result) {
	c.m.Add(r)
	if r.Code >= 200 && r.Code <= 299 {
		c.ok++
		return
	}
	c.errors++
	if c.first == "" {
		c.first = describe(r)
	}
}

// stats closes the metrics. The rate is requests over the span from the
// first request's start to the last one's end, the wall time they took.
func (c *collector) stats() stats {
	c.m.Close()
	s := stats{requests: c.m.Requests, p50: c.m.Latencies.P50, p99: c.m.Latencies.P99, errors: c.errors, firstError: c.first}
	if span := c.m.End.Sub(c.m.Earliest); span > 0 {
		s.rate = float64(c.m.Requests) / span.Seconds()
	}
	return s
}

// describe says what went wrong with a result: its status and body, or
// the transport's error.
func describe(r *vegeta.Result) string {
	if r.Code == 0 {
		return r.Error
	}
	body := strings.TrimSpace(string(r.Body))
	if len(body) > 500 {
		body = body[:500] + "…"
	}
	return fmt.Sprintf("%d %s", r.Code, body)
}

// loader drives one HTTP scenario: a fixed number of vegeta workers at
// the maximum rate (vegeta.Rate{}), sharing one transport so the measured
// run reuses the warm-up's connections.
type loader struct {
	workers int
	client  *http.Client
}

func newLoader(workers int) *loader {
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: time.Minute}
	return &loader{workers: workers, client: &http.Client{Transport: tr, Timeout: vegeta.DefaultTimeout}}
}

// attack runs tr for d and returns the statistics; it stops early when
// ctx ends.
func (l *loader) attack(ctx context.Context, d time.Duration, tr vegeta.Targeter) stats {
	atk := vegeta.NewAttacker(
		vegeta.Client(l.client),
		vegeta.Workers(uint64(l.workers)),
		vegeta.MaxWorkers(uint64(l.workers)),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.MaxBody(maxBody),
	)
	defer context.AfterFunc(ctx, func() { atk.Stop() })()
	var c collector
	for res := range atk.Attack(tr, vegeta.Rate{}, d, "") {
		c.add(res)
	}
	return c.stats()
}

func (l *loader) close() { l.client.CloseIdleConnections() }

// drive runs fn on workers goroutines, each calling it again as soon as
// it returns, until d has passed (or ctx ends): B1's load, without HTTP
// but otherwise as vegeta's workers at the maximum rate. Each call is a
// vegeta result (200, or an error), so its statistics are computed as
// the HTTP scenarios' are.
func drive(ctx context.Context, workers int, d time.Duration, fn func(context.Context) error) (stats, uint64) {
	results := make(chan *vegeta.Result, workers)
	began := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Since(began) <= d {
				t0 := time.Now()
				err := fn(ctx)
				r := &vegeta.Result{Timestamp: t0, Latency: time.Since(t0), Code: http.StatusOK}
				if err != nil {
					r.Code, r.Error = 0, err.Error()
				}
				results <- r
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var c collector
	for r := range results {
		c.add(r)
	}
	return c.stats(), c.ok
}
