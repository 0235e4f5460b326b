package telnyxsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/surge/surgesim"
	"github.com/naive-oss/naive/internal/telnyx"
)

// Task kinds: distinct from surgesim's, so that one queue serving both
// simulators on one storage can tell whose a task is (IsTask).
const (
	// TaskAdvance runs the clock-driven transitions (campaign reviews,
	// number orders, message deliveries) due by the time it runs.
	TaskAdvance = KindPrefix + "advance"
	// TaskWebhook drains the webhooks: it sends the events not delivered
	// yet, in order, each to the URL it names or else to the running
	// simulator's Config.WebhookURL.
	TaskWebhook = KindPrefix + "webhook"
)

// KindPrefix starts every record kind and task kind of this simulator: the
// Surge simulator on the same storage ignores such records, and this one
// ignores every other.
const KindPrefix = "telnyx."

// IsTask reports whether a task of the storage is this simulator's, to be
// run by (*Server).RunTask rather than surgesim's.
func IsTask(kind string) bool { return strings.HasPrefix(kind, KindPrefix) }

// Open returns a simulator whose state lives in st: it loads what the
// storage holds, and from then on every request reads what other
// simulators on the storage wrote since its last one, and every change is
// stored before it is answered. Clock-driven transitions and webhooks are
// Tasks (TaskAdvance, TaskWebhook) the storage schedules and
// (*Server).RunTask runs, on whichever process; no goroutine of the
// simulator's holds state. st may be shared with a surgesim simulator:
// each keeps to its own record kinds.
//
// The webhook signing key is the storage's: the first simulator on it
// stores cfg.PrivateKey (a new one when nil), and later ones sign with the
// stored key, so PublicKey is the same across restarts and processes —
// unless one is given a key of its own, which then replaces it for all.
//
// With a Storage a read (GET) does not run the transitions due: they are
// stored by the next write or TaskAdvance, so every simulator answers the
// same. Events that name a URL of their own (a text's webhook_url, a
// campaign's webhookURL) go there from whichever process drains them; the
// others go to the draining simulator's Config.WebhookURL. Fault knobs,
// BeforeFunc and RequestCount stay per process.
func Open(ctx context.Context, cfg Config, st surgesim.Storage) (*Server, error) {
	if st == nil {
		return nil, errors.New("telnyxsim: Open needs a Storage; New keeps the state in memory")
	}
	own := cfg.PrivateKey
	cfg.PrivateKey = nil
	s := newServer(cfg)
	s.store = st
	s.mu.Lock()
	err := s.reloadLocked(ctx)
	needKey := own != nil && !own.Equal(s.priv) || s.priv == nil
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if needKey {
		err := s.write(ctx, func() {
			switch {
			case own != nil:
				s.priv = own
			case s.priv == nil:
				s.priv = newKey()
			default:
				return // another simulator stored one meanwhile
			}
			s.touch(kindMeta, metaKey)
		})
		if err != nil {
			return nil, err
		}
	}
	// A process killed while it ran a task took the task with it (River
	// hands such a job back only after minutes), and a GET never writes:
	// a starting simulator schedules an advance and a drain afresh when
	// work is pending, so a restart after a kill -9 resumes at once (a
	// second task of a kind is harmless).
	if err := s.write(ctx, func() {
		now := s.now()
		s.advanceDue = time.Time{}
		s.touch(kindMeta, metaAdvance)
		if len(s.undelivered) > 0 {
			s.scheduleLocked(surgesim.Task{Kind: TaskWebhook, Due: now})
			s.drainScheduled = now
			s.touch(kindMeta, metaDrain)
		}
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// Durable reports whether the simulator keeps its state in a Storage.
func (s *Server) Durable() bool { return s.store != nil }

// errStorage is what a caller sees when the storage failed: Telnyx's own
// answer to a failure on its side.
var errStorage = &apiError{http.StatusServiceUnavailable, []telnyx.APIError{{Code: telnyx.CodeUnexpected, Title: "Service unavailable",
	Detail: "The service is temporarily unavailable. Please try again later."}}}

// reloadLocked empties the state and loads every record from the storage.
func (s *Server) reloadLocked(ctx context.Context) error {
	recs, v, err := s.store.Changes(ctx, 0)
	if err != nil {
		return fmt.Errorf("telnyxsim: load state: %w", err)
	}
	if err := s.replaceStateLocked(recs); err != nil {
		return err
	}
	s.version, s.stale = v, false
	return nil
}

// replaceStateLocked empties the state, keeping the signing key until the
// records bring the stored one, and applies recs.
func (s *Server) replaceStateLocked(recs []surgesim.Record) error {
	s.resetStateLocked()
	return s.applyLocked(recs)
}

// The lock discipline with a Storage is surgesim's: s.mu is never held
// while waiting for the storage (a connection, its write lock), so one
// simulator's requests do not queue behind each other's database waits,
// and no cycle can form between s.mu and the storage's connections. A
// write takes s.mu only once the storage's write lock is its own (inside
// Update's fn) and keeps it until the commit returned, so no request reads
// what is not stored yet.

// errStale makes write start over when it found, under the storage's lock,
// that a failed write left the memory unsure: nothing was changed yet.
var errStale = errors.New("telnyxsim: state unsure, reload")

// lockSynced brings the state up to the storage's latest version — what
// other simulators wrote since this one last read, all of it when a failed
// write left the memory unsure — and returns with s.mu held, whatever the
// error.
func (s *Server) lockSynced(ctx context.Context) error {
	for range 3 {
		s.mu.Lock()
		since, stale := s.version, s.stale
		s.mu.Unlock()
		if stale {
			since = 0
		}
		recs, v, err := s.store.Changes(ctx, since)
		s.mu.Lock()
		if err != nil {
			return fmt.Errorf("telnyxsim: read state: %w", err)
		}
		switch {
		case s.stale != stale:
			// A write failed meanwhile: read everything again.
			s.mu.Unlock()
			continue
		case stale:
			if err := s.replaceStateLocked(recs); err != nil {
				return err
			}
			s.version, s.stale = v, false
		case v > s.version:
			// Records written after since, each as last written by v:
			// never older than what a write applied meanwhile.
			if err := s.applyLocked(recs); err != nil {
				s.stale = true
				return err
			}
			s.version = v
		}
		return nil
	}
	s.mu.Lock()
	return errors.New("telnyxsim: read state: writes keep failing")
}

// write runs one durable write, s.mu not held: under the storage's lock it
// applies what other simulators wrote, runs the transitions due by now,
// then fn, all under s.mu, schedules the TaskAdvance the transitions still
// to come need, and stores every object they touched together with the
// tasks they scheduled. If storing fails, the memory may hold what was not
// stored: it is reloaded before the next request.
func (s *Server) write(ctx context.Context, fn func()) error {
	for range 3 {
		err := s.writeOnce(ctx, fn)
		if !errors.Is(err, errStale) {
			return err
		}
	}
	return errors.New("telnyxsim: store state: writes keep failing")
}

func (s *Server) writeOnce(ctx context.Context, fn func()) (err error) {
	s.mu.Lock()
	since, stale := s.version, s.stale
	s.mu.Unlock()
	if stale {
		since = 0 // every live record comes in changed
	}
	locked, ran := false, false
	defer func() {
		// A handler's loud failure (a panic, an unmodelled case) must not
		// leave the state locked, nor the memory trusted: what it changed
		// was not stored.
		if p := recover(); p != nil {
			if !locked {
				s.mu.Lock()
			}
			s.stale = s.stale || ran
			s.dirty, s.tasks = nil, nil
			s.mu.Unlock()
			panic(p)
		}
	}()
	v, err := s.store.Update(ctx, since, func(changed []surgesim.Record) ([]surgesim.Record, []surgesim.Task, error) {
		s.mu.Lock()
		locked = true
		if s.stale != stale {
			return nil, nil, errStale // a write failed since we looked
		}
		ran = true
		s.dirty = map[recKey]struct{}{}
		s.tasks = nil
		apply := s.applyLocked
		if stale {
			apply = s.replaceStateLocked
		}
		if err := apply(changed); err != nil {
			return nil, nil, err
		}
		now := s.now()
		s.advanceLocked(now)
		if fn != nil {
			fn()
		}
		s.scheduleAdvanceLocked(now)
		recs, err := s.dirtyRecordsLocked()
		return recs, s.tasks, err
	})
	if !locked {
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	s.dirty, s.tasks = nil, nil
	switch {
	case errors.Is(err, errStale):
		return err
	case err != nil:
		if ran {
			s.stale = true
		}
		return fmt.Errorf("telnyxsim: store state: %w", err)
	}
	s.stale = false
	s.version = max(s.version, v)
	return nil
}

// scheduleLocked adds a task to the write under way.
func (s *Server) scheduleLocked(t surgesim.Task) { s.tasks = append(s.tasks, t) }

// lostTaskAfter is how long past its due time a scheduled task counts as
// lost, so that the next write schedules another: its job gave up, or it
// was running in a process that was killed. A second one is harmless (an
// advance applies what is due, a drain sends what is undelivered).
const lostTaskAfter = 10 * time.Second

// advanceGap is the least time between two runs of TaskAdvance: under load
// each run serves the transitions of many messages.
const advanceGap = 100 * time.Millisecond

// scheduleAdvanceLocked makes sure a TaskAdvance is scheduled by the next
// transition still to come, whatever the write changed: one task serves
// every transition due meanwhile, and its run schedules the next.
func (s *Server) scheduleAdvanceLocked(now time.Time) {
	next, ok := s.nextDueLocked(now)
	if !ok {
		return
	}
	t := next
	if gap := now.Add(advanceGap); t.Before(gap) {
		t = gap
	}
	if !s.advanceDue.IsZero() && !t.Before(s.advanceDue) && now.Sub(s.advanceDue) < lostTaskAfter {
		return // the one scheduled runs first, and schedules the next
	}
	s.scheduleLocked(surgesim.Task{Kind: TaskAdvance, Due: t})
	s.advanceDue = t
	s.touch(kindMeta, metaAdvance)
}

// runAdvanceLocked is a TaskAdvance's run, after the write applied every
// transition due by now: unless a later run is scheduled already, it
// clears the schedule, so that the write schedules the next at the next
// transition due.
func (s *Server) runAdvanceLocked() {
	if s.advanceDue.After(s.now()) {
		return
	}
	s.advanceDue = time.Time{}
	s.touch(kindMeta, metaAdvance)
}

// nextDueLocked returns the earliest transition due after now: a review's
// next step, a pending order's decision, a text's next delivery step.
func (s *Server) nextDueLocked(now time.Time) (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, c := range s.campaigns {
		if c.pinned != "" || c.Status == "EXPIRED" {
			continue
		}
		switch c.CampaignStatus {
		case telnyx.CampaignTCRPending:
			consider(c.started.Add(min(time.Second, c.delay/2)))
			consider(c.started.Add(c.delay))
		case telnyx.CampaignTCRAccepted:
			consider(c.started.Add(c.delay))
		}
	}
	for _, o := range s.orders {
		if o.Status == telnyx.OrderPending {
			consider(o.created.Add(o.delay))
		}
	}
	for _, m := range s.messages {
		if m.Direction != "outbound" {
			continue
		}
		switch m.stage {
		case 0:
			consider(m.accepted.Add(m.delay))
		case 1:
			consider(m.accepted.Add(2 * m.delay))
		}
	}
	return next, !next.IsZero()
}

// RunTask runs a Task the Storage scheduled for this simulator (IsTask):
// kind and ref as the task has them. TaskAdvance applies every transition
// due by now and schedules the next; TaskWebhook drains the undelivered
// events. An error means "try again later".
func (s *Server) RunTask(ctx context.Context, kind, ref string) error {
	if s.store == nil {
		return errors.New("telnyxsim: RunTask needs a Storage")
	}
	switch kind {
	case TaskAdvance:
		return s.write(ctx, s.runAdvanceLocked)
	case TaskWebhook:
		return s.drain(ctx)
	}
	return fmt.Errorf("telnyxsim: unknown task kind %q", kind)
}

// drainBatch bounds the events one drain sends before it hands over to the
// next, so one run stays short and stores its progress often.
const drainBatch = 100

// queueWebhookLocked makes event id wait for a drain, and schedules one
// unless one is pending already (or was scheduled so long ago it must be
// lost): one task serves every event emitted meanwhile.
func (s *Server) queueWebhookLocked(id string, now time.Time) {
	if len(s.undelivered) == 0 || now.Sub(s.drainScheduled) >= lostTaskAfter {
		s.scheduleLocked(surgesim.Task{Kind: TaskWebhook, Due: now})
		s.drainScheduled = now
		s.touch(kindMeta, metaDrain)
	}
	s.undelivered[id] = true
	s.touch(kindEvent, id)
}

// drain sends the undelivered events in order, up to drainBatch, signed
// with the storage's key, then stores which were sent; if events are left
// it schedules the next drain. A send that fails ends the run with an
// error: the task is retried and sends from there (a receiver may see an
// event twice, as from Telnyx; it never misses one).
func (s *Server) drain(ctx context.Context) error {
	err := s.lockSynced(ctx)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	type pending struct {
		id string
		d  Delivery
	}
	var batch []pending
	for _, ev := range s.events { // in sequence order
		if s.undelivered[ev.id] {
			batch = append(batch, pending{ev.id, ev.Delivery})
			if len(batch) == drainBatch {
				break
			}
		}
	}
	priv := s.priv
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	sent := 0
	var perr error
	for _, p := range batch {
		if p.d.URL == "" {
			perr = fmt.Errorf("telnyxsim: no WebhookURL to send the %s event to", p.d.Type)
			break
		}
		d := p.d
		d.URL = s.deliverTo(d.URL)
		if perr = s.post(ctx, priv, d); perr != nil {
			break
		}
		sent++
	}
	if sent > 0 {
		// What was sent is stored even when the run was cut short.
		werr := s.write(context.WithoutCancel(ctx), func() {
			for _, p := range batch[:sent] {
				if s.undelivered[p.id] {
					delete(s.undelivered, p.id)
					s.touch(kindEvent, p.id)
				}
			}
			if perr == nil && len(s.undelivered) > 0 {
				now := s.now()
				s.scheduleLocked(surgesim.Task{Kind: TaskWebhook, Due: now})
				s.drainScheduled = now
				s.touch(kindMeta, metaDrain)
			}
		})
		if perr == nil {
			perr = werr
		}
	}
	return perr
}
