package service

import (
	"context"
	"sync"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

// versionReads shares reads of an operator's counters (store.Versions)
// between the requests that need them at the same moment, as a group
// commit shares a write: nearly every request by a key reads them first,
// and on PostgreSQL the round trip is most of a small request's cost.
//
// Sharing must not let a request see the database as it was before the
// request began — a change committed before then (a revocation, a
// release on another process) must show. So a request never joins a read
// already under way: it joins the next one, which starts when the current
// one ends, after every request waiting for it arrived. At most one read
// per operator runs at a time, and a request waits for at most two: the
// one under way and its own.
type versionReads struct {
	mu  sync.Mutex
	ops map[string]*versionGate
}

// versionGate is one operator's reads: whether one is under way, and the
// next one, which requests arriving meanwhile wait for.
type versionGate struct {
	running bool
	next    *versionRead
}

// versionRead is one read and what it found, once done is closed.
type versionRead struct {
	done chan struct{}
	v    store.Versions
	err  error
}

// versionReadTimeout bounds a shared read, which runs apart from any one
// request's context (the request that started it may be gone before the
// others it serves).
const versionReadTimeout = 10 * time.Second

// versions returns the operator's counters as read after this call began.
func (s *Service) versions(ctx context.Context, operatorID string) (store.Versions, error) {
	r := &s.versionReads
	r.mu.Lock()
	if r.ops == nil {
		r.ops = make(map[string]*versionGate)
	}
	g := r.ops[operatorID]
	if g == nil {
		g = &versionGate{}
		r.ops[operatorID] = g
	}
	if g.running {
		// Wait for the next read, which starts after this request arrived.
		if g.next == nil {
			g.next = &versionRead{done: make(chan struct{})}
		}
		next := g.next
		r.mu.Unlock()
		select {
		case <-next.done:
			return next.v, next.err
		case <-ctx.Done():
			return store.Versions{}, ctx.Err()
		}
	}
	g.running = true
	r.mu.Unlock()
	own := &versionRead{done: make(chan struct{})}
	s.readVersions(ctx, operatorID, g, own)
	return own.v, own.err
}

// readVersions does read for its batch, then hands the batch that gathered
// meanwhile, if any, to a goroutine of its own — so a request waits for
// its own batch's read only, however busy the operator.
func (s *Service) readVersions(ctx context.Context, operatorID string, g *versionGate, read *versionRead) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), versionReadTimeout)
	read.v, read.err = s.store.Versions(rctx, operatorID)
	cancel()
	close(read.done)
	r := &s.versionReads
	r.mu.Lock()
	next := g.next
	g.next = nil
	if next == nil {
		g.running = false
		delete(r.ops, operatorID)
	}
	r.mu.Unlock()
	if next != nil {
		go s.readVersions(ctx, operatorID, g, next)
	}
}
