// Package simkit holds what the carrier simulators (surgesim, telnyxsim)
// share and what is not any carrier's: the fault knobs a test turns, the
// draw of each request's fault, the hook that answers a request itself,
// and the waits a fault makes.
package simkit

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults makes a simulator misbehave on a random share of requests; rates
// are 0..1 and are tried in the order RateLimitRate, ErrorRate,
// TimeoutRate, LoseResponseRate on one draw.
type Faults struct {
	// ErrorRate answers 500 or 503 without acting.
	ErrorRate float64
	// RateLimitRate answers 429 with Retry-After: 1 without acting.
	RateLimitRate float64
	// Latency delays every request (after the before hook) before it is handled.
	Latency time.Duration
	// TimeoutRate hangs without acting until the caller gives up (its request context ends).
	TimeoutRate float64
	// LoseResponseRate performs the action (a purchase, an order, a
	// message) and then drops the connection.
	LoseResponseRate float64
	// Seed seeds the fault draws so a run is reproducible.
	Seed int64
}

// Fault is the misbehaviour drawn for one request.
type Fault int

// The faults, in the order a draw tries them.
const (
	None Fault = iota
	RateLimit
	Error
	Timeout
	Lose
)

// Before sees every modelled request first and may answer it itself by
// returning handled.
type Before = func(r *http.Request) (status int, body []byte, handled bool)

// Dice holds a simulator's fault knobs and before hook and draws each
// request's fault; it is safe for concurrent use.
type Dice struct {
	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
	before Before
}

// NewDice returns dice with no faults and the hook before (nil: none).
func NewDice(before Before) *Dice {
	return &Dice{rng: rand.New(rand.NewPCG(0, 0)), before: before}
}

// SetFaults replaces the fault knobs and reseeds the draws from f.Seed.
func (d *Dice) SetFaults(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
	d.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x5eed))
}

// SetBefore replaces the before hook; nil removes it.
func (d *Dice) SetBefore(f Before) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.before = f
}

// Roll draws a request's fault: it returns the knobs in force, the fault,
// the status of an Error fault (500 or 503), and the before hook.
func (d *Dice) Roll() (Faults, Fault, int, Before) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.faults
	if f.RateLimitRate+f.ErrorRate+f.TimeoutRate+f.LoseResponseRate <= 0 {
		return f, None, 0, d.before
	}
	u := d.rng.Float64()
	for _, c := range []struct {
		rate float64
		f    Fault
	}{{f.RateLimitRate, RateLimit}, {f.ErrorRate, Error}, {f.TimeoutRate, Timeout}, {f.LoseResponseRate, Lose}} {
		if u < c.rate {
			code := http.StatusInternalServerError
			if d.rng.IntN(2) == 1 {
				code = http.StatusServiceUnavailable
			}
			return f, c.f, code, d.before
		}
		u -= c.rate
	}
	return f, None, 0, d.before
}

// Wait sleeps d (for ever when negative) and reports whether it ran to the
// end: false when ctx ended or done closed first.
func Wait(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-ctx.Done():
	case <-done:
	}
	return false
}
