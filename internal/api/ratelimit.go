package api

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/naive-oss/naive/internal/naive"
)

// limiter keeps one token bucket per caller (API key or human). With a
// shared store (RateTokens), the bucket is in the database and this
// process leases a few tokens at a time from it, so that n processes
// behind a load balancer together allow the configured rate — give or
// take the tokens leased and not yet spent, at most lease per process.
// Without one (or while the database fails), buckets are per process: n
// processes allow up to n times the rate.
type limiter struct {
	rps    rate.Limit
	burst  int
	shared RateTokens
	lease  int // tokens leased from the shared bucket at a time
	mu     sync.Mutex
	b      map[string]*bucket
	swept  time.Time
	log    *slog.Logger
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
	// leased are tokens taken from the shared bucket, not yet spent;
	// leasing, while one request leases more for the caller, is closed
	// when it is done (the others wait for it rather than lease too).
	leased  int
	leasing chan struct{}
}

func newLimiter(rps float64, burst int, shared RateTokens, log *slog.Logger) *limiter {
	if rps <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(rps)
	}
	burst = max(burst, 1)
	// A lease is a quarter second's worth, at least one token, at most
	// the burst: few database writes for a busy caller (one per 25
	// requests at the default 100/s), little slack.
	lease := min(max(int(rps/4), 1), burst)
	return &limiter{rps: rate.Limit(rps), burst: burst, shared: shared, lease: lease, b: map[string]*bucket{}, swept: time.Now(), log: log}
}

// allow takes a token for caller id, or says how long to wait.
func (l *limiter) allow(ctx context.Context, id string) (ok bool, remaining int, retryAfter time.Duration) {
	if l.shared == nil {
		return l.allowLocal(id)
	}
	for {
		l.mu.Lock()
		b := l.bucketOf(id, time.Now())
		if b.leased > 0 {
			b.leased--
			n := b.leased
			l.mu.Unlock()
			return true, n, 0
		}
		if wait := b.leasing; wait != nil {
			// Another request of the caller is leasing: use its lease.
			l.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return false, 0, time.Second
			}
		}
		done := make(chan struct{})
		b.leasing = done
		l.mu.Unlock()
		got, err := l.shared.TakeRateTokens(ctx, "rate:"+id, l.lease, float64(l.rps), l.burst, time.Now())
		l.mu.Lock()
		b.leasing = nil
		close(done)
		if err == nil && got > 0 {
			b.leased += got - 1
			n := b.leased
			l.mu.Unlock()
			return true, n, 0
		}
		l.mu.Unlock()
		if err != nil {
			l.log.Warn("shared rate limit unavailable; limiting in this process", "err", err)
			return l.allowLocal(id)
		}
		return false, 0, time.Duration(float64(time.Second) / float64(l.rps))
	}
}

// bucketOf returns id's bucket, forgetting idle ones now and then; l.mu
// is held.
func (l *limiter) bucketOf(id string, now time.Time) *bucket {
	if now.Sub(l.swept) > 10*time.Minute {
		// Forget callers idle long enough for their bucket to be full.
		for k, b := range l.b {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.b, k)
			}
		}
		l.swept = now
	}
	b := l.b[id]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(l.rps, l.burst)}
		l.b[id] = b
	}
	b.seen = now
	return b
}

// allowLocal takes a token from this process's bucket for id.
func (l *limiter) allowLocal(id string) (ok bool, remaining int, retryAfter time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketOf(id, now)
	r := b.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, 0, d
	}
	return true, int(b.l.TokensAt(now)), 0
}

// checkRate refuses a caller over its rate with 429 rate_limited and
// Retry-After, and tells every caller its budget in RateLimit headers.
func (s *Server) checkRate(ctx context.Context, h interface{ Set(string, string) }, p naive.Principal) error {
	if s.limit == nil {
		return nil
	}
	ok, remaining, wait := s.limit.allow(ctx, p.ID())
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit.burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	if ok {
		return nil
	}
	return (&naive.Error{Code: naive.ERateLimited, RetryAfter: wait,
		Message: "Too many requests from this key."}).
		WithHint("Wait for Retry-After seconds, then retry; spread requests out or ask the operator to raise --rate-limit.")
}

// RateTokens keeps request rate buckets in the database, shared by every
// process (the store implements it).
type RateTokens interface {
	// TakeRateTokens leases up to take tokens from key's bucket (refilled
	// at rps up to burst) and returns how many it got.
	TakeRateTokens(ctx context.Context, key string, take int, rps float64, burst int, now time.Time) (int, error)
}
