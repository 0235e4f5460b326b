package e2e_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/app"
	"github.com/naive-oss/naive/internal/store/postgres/pgtest"
)

// BenchmarkProvision measures POST /v1/phone/provision end to end (HTTP,
// auth, idempotency, the credit reservation, the sandbox carrier) against a
// baseline taken in the same run on the same server: an authenticated
// GET /v1/credits, which does the same HTTP and auth work and one read.
// It reports both rates and their ratio, so machines can be compared by
// the ratio rather than by raw times:
//
//	go test -run '^$' -bench Provision -benchtime 400x ./internal/e2e/
func BenchmarkProvision(b *testing.B) {
	dbs := map[string]func(testing.TB) string{
		"sqlite": func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "naive.db") },
	}
	if admin := os.Getenv("NAIVE_TEST_POSTGRES_URL"); admin != "" {
		dbs["postgres"] = func(t testing.TB) string { return pgtest.NewDatabase(t, admin) }
	}
	for name, open := range dbs {
		b.Run(name, func(b *testing.B) { benchProvision(b, open(b)) })
	}
}

func benchProvision(b *testing.B, db string) {
	h := start(b, db, func(o *app.Options) { o.RateLimit = -1 })
	const workers = 8
	run := func(n int, fn func() int) time.Duration {
		var wg sync.WaitGroup
		jobs := make(chan struct{}, n)
		for range n {
			jobs <- struct{}{}
		}
		close(jobs)
		begin := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					if s := fn(); s >= 300 {
						b.Errorf("status %d", s)
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(begin)
	}
	human := h.login()
	h.grant(human, int64(b.N)*50)
	b.ResetTimer()
	base := run(b.N, func() int { return h.call("GET", "/v1/credits", h.testKey, nil).Status })
	prov := run(b.N, func() int { return h.call("POST", "/v1/phone/provision", h.testKey, seedBody).Status })
	b.StopTimer()
	baseRate := float64(b.N) / base.Seconds()
	provRate := float64(b.N) / prov.Seconds()
	b.ReportMetric(baseRate, "baseline-req/s")
	b.ReportMetric(provRate, "provision-req/s")
	b.ReportMetric(provRate/baseRate, "ratio")
	b.Logf("%d requests, %d workers: baseline %.0f req/s, provision %.0f req/s, ratio %.3f",
		b.N, workers, baseRate, provRate, provRate/baseRate)
}
