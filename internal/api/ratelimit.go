package api

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/naive-oss/naive/internal/naive"
)

// limiter keeps one token bucket per caller (API key or human). Buckets
// are per process: behind a load balancer of n processes a caller gets up
// to n times the rate, which is a bound on abuse, not an exact quota.
type limiter struct {
	rps   rate.Limit
	burst int
	mu    sync.Mutex
	b     map[string]*bucket
	swept time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(rps float64, burst int) *limiter {
	if rps <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(rps)
	}
	return &limiter{rps: rate.Limit(rps), burst: max(burst, 1), b: map[string]*bucket{}, swept: time.Now()}
}

// allow takes a token for caller id, or says how long to wait.
func (l *limiter) allow(id string) (ok bool, remaining int, retryAfter time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
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
	r := b.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, 0, d
	}
	return true, int(b.l.TokensAt(now)), 0
}

// checkRate refuses a caller over its rate with 429 rate_limited and
// Retry-After, and tells every caller its budget in RateLimit headers.
func (s *Server) checkRate(h interface{ Set(string, string) }, p naive.Principal) error {
	if s.limit == nil {
		return nil
	}
	ok, remaining, wait := s.limit.allow(p.ID())
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit.burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	if ok {
		return nil
	}
	return (&naive.Error{Code: naive.ERateLimited, RetryAfter: wait,
		Message: "Too many requests from this key."}).
		WithHint("Wait for Retry-After seconds, then retry; spread requests out or ask the operator to raise --rate-limit.")
}
