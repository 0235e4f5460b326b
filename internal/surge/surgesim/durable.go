package surgesim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/naive-oss/naive/internal/webhooksig"
)

// Open returns a simulator whose state lives in cfg.Storage: it loads what
// the storage holds, and from then on every request reads what other
// simulators on the storage wrote since its last one, and every change is
// stored before it is answered. Clock-driven transitions and webhooks are
// Tasks the storage schedules and (*Server).RunTask runs, on whichever
// process; no goroutine of the simulator's holds state.
//
// The webhook secret is the storage's: the first simulator on it stores
// cfg.WebhookSecret (a new one when empty), and later ones sign with the
// stored secret — unless they are given one of their own, which then
// replaces it.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Storage == nil {
		return nil, errors.New("surgesim: Open needs Config.Storage; New keeps the state in memory")
	}
	own := cfg.WebhookSecret
	cfg.WebhookSecret = ""
	s := newServer(cfg)
	s.store = cfg.Storage
	s.mu.Lock()
	err := s.reloadLocked(ctx)
	needSecret := own != "" && own != s.cfg.WebhookSecret || s.cfg.WebhookSecret == ""
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if needSecret {
		err := s.write(ctx, func() {
			switch {
			case own != "":
				s.cfg.WebhookSecret = own
			case s.cfg.WebhookSecret == "":
				s.cfg.WebhookSecret = webhooksig.NewSecret()
			default:
				return // another simulator stored one meanwhile
			}
			s.touch(kindMeta, metaSecret)
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Durable reports whether the simulator keeps its state in a Storage.
func (s *Server) Durable() bool { return s.store != nil }

// errStorage is what a caller sees when the storage failed: Surge's own
// answer to a failure on its side.
var errStorage = &apiError{503, "service_unavailable", "The service is temporarily unavailable. Please try again later.", nil}

// reloadLocked empties the state and loads every record from the storage.
func (s *Server) reloadLocked(ctx context.Context) error {
	recs, v, err := s.store.Changes(ctx, 0)
	if err != nil {
		return fmt.Errorf("surgesim: load state: %w", err)
	}
	if err := s.replaceStateLocked(recs); err != nil {
		return err
	}
	s.version, s.stale = v, false
	return nil
}

// replaceStateLocked empties the state, keeping the webhook secret until
// the records bring the stored one, and applies recs.
func (s *Server) replaceStateLocked(recs []Record) error {
	secret := s.cfg.WebhookSecret
	s.resetStateLocked()
	s.cfg.WebhookSecret = secret
	return s.applyLocked(recs)
}

// The lock discipline with a Storage: s.mu is never held while waiting for
// the storage (a connection, its write lock), so one simulator's requests
// do not queue behind each other's database waits, and no cycle can form
// between s.mu and the storage's connections. A write takes s.mu only once
// the storage's write lock is its own (inside Update's fn) and keeps it
// until the commit returned, so no request reads what is not stored yet.

// errStale makes write start over when it found, under the storage's lock,
// that a failed write left the memory unsure: nothing was changed yet.
var errStale = errors.New("surgesim: state unsure, reload")

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
			return fmt.Errorf("surgesim: read state: %w", err)
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
	return errors.New("surgesim: read state: writes keep failing")
}

// write runs one durable write, s.mu not held: under the storage's lock it
// applies what other simulators wrote, runs the transitions due by now,
// then fn, all under s.mu, and stores every object they touched together
// with the tasks they scheduled. If storing fails, the memory may hold what
// was not stored: it is reloaded before the next request.
func (s *Server) write(ctx context.Context, fn func()) error {
	for range 3 {
		err := s.writeOnce(ctx, fn)
		if !errors.Is(err, errStale) {
			return err
		}
	}
	return errors.New("surgesim: store state: writes keep failing")
}

func (s *Server) writeOnce(ctx context.Context, fn func()) error {
	s.mu.Lock()
	since, stale := s.version, s.stale
	s.mu.Unlock()
	if stale {
		since = 0 // every live record comes in changed
	}
	locked, ran := false, false
	v, err := s.store.Update(ctx, since, func(changed []Record) ([]Record, []Task, error) {
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
		s.advanceLocked(s.now())
		if fn != nil {
			fn()
		}
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
		return fmt.Errorf("surgesim: store state: %w", err)
	}
	s.stale = false
	s.version = max(s.version, v)
	return nil
}

// scheduleLocked adds a task to the write under way.
func (s *Server) scheduleLocked(t Task) { s.tasks = append(s.tasks, t) }

// RunTask runs a Task a Storage scheduled: kind and ref as the task has
// them. TaskAdvance applies every transition due by now and schedules the
// next; TaskWebhook drains the undelivered events to this simulator's
// WebhookURL. An error means "try again later".
func (s *Server) RunTask(ctx context.Context, kind, ref string) error {
	if s.store == nil {
		return errors.New("surgesim: RunTask needs a Storage")
	}
	switch kind {
	case TaskAdvance:
		return s.write(ctx, s.runAdvanceLocked)
	case TaskWebhook:
		return s.drain(ctx)
	}
	return fmt.Errorf("surgesim: unknown task kind %q", kind)
}

// drainBatch bounds the events one drain sends before it hands over to the
// next, so one run stays short and stores its progress often.
const drainBatch = 100

// queueWebhookLocked makes event id wait for a drain, and schedules one
// unless one is pending already (or was scheduled so long ago it must be
// lost): one task serves every event emitted meanwhile.
func (s *Server) queueWebhookLocked(id string, now time.Time) {
	if len(s.undelivered) == 0 || now.Sub(s.drainScheduled) >= lostTaskAfter {
		s.scheduleLocked(Task{Kind: TaskWebhook, Due: now})
		s.drainScheduled = now
		s.touch(kindMeta, metaDrain)
	}
	s.undelivered[id] = true
}

// drain sends the undelivered events in order, up to drainBatch, then
// stores which were sent; if events are left it schedules the next drain.
// A send that fails ends the run with an error: the task is retried and
// sends from there (a receiver may see an event twice, as from Surge; it
// never misses one).
func (s *Server) drain(ctx context.Context) error {
	err := s.lockSynced(ctx)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	type pending struct {
		id   string
		body []byte
	}
	var batch []pending
	for i, ev := range s.events { // in sequence order
		if s.undelivered[ev.ID] {
			batch = append(batch, pending{ev.ID, encodeEvent(s.events[i])})
			if len(batch) == drainBatch {
				break
			}
		}
	}
	url := s.cfg.WebhookURL
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if url == "" {
		return errors.New("surgesim: no WebhookURL to send the events to")
	}
	sent := 0
	var perr error
	for _, p := range batch {
		if perr = s.post(ctx, p.id, p.body); perr != nil {
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
				s.scheduleLocked(Task{Kind: TaskWebhook, Due: now})
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
