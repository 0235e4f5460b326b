package surgesim

import (
	"context"
	"errors"
	"fmt"

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
	defer s.mu.Unlock()
	if err := s.reloadLocked(ctx); err != nil {
		return nil, err
	}
	if own != "" && own != s.cfg.WebhookSecret || s.cfg.WebhookSecret == "" {
		err := s.writeLocked(ctx, func() {
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
	secret := s.cfg.WebhookSecret
	s.resetStateLocked()
	s.cfg.WebhookSecret = secret
	if err := s.applyLocked(recs); err != nil {
		return err
	}
	s.version, s.stale = v, false
	return nil
}

// syncLocked brings the state up to the storage's latest version: what
// other simulators wrote since this one last read (all of it when a failed
// write left the memory unsure).
func (s *Server) syncLocked(ctx context.Context) error {
	if s.stale {
		return s.reloadLocked(ctx)
	}
	recs, v, err := s.store.Changes(ctx, s.version)
	if err != nil {
		return fmt.Errorf("surgesim: read state: %w", err)
	}
	if err := s.applyLocked(recs); err != nil {
		s.stale = true
		return err
	}
	s.version = max(s.version, v)
	return nil
}

// writeLocked runs one durable write: under the storage's lock it applies
// what other simulators wrote, runs the transitions due by now, then fn,
// and stores every object they touched together with the tasks they
// scheduled. If storing fails, the memory may hold what was not stored:
// it is reloaded before the next request.
func (s *Server) writeLocked(ctx context.Context, fn func()) error {
	if s.stale {
		if err := s.reloadLocked(ctx); err != nil {
			return err
		}
	}
	s.dirty = map[recKey]struct{}{}
	s.tasks = nil
	defer func() { s.dirty, s.tasks = nil, nil }()
	v, err := s.store.Update(ctx, s.version, func(changed []Record) ([]Record, []Task, error) {
		if err := s.applyLocked(changed); err != nil {
			return nil, nil, err
		}
		s.advanceLocked(s.now())
		if fn != nil {
			fn()
		}
		recs, err := s.dirtyRecordsLocked()
		return recs, s.tasks, err
	})
	if err != nil {
		s.stale = true
		return fmt.Errorf("surgesim: store state: %w", err)
	}
	s.version = v
	return nil
}

// scheduleLocked adds a task to the write under way.
func (s *Server) scheduleLocked(t Task) { s.tasks = append(s.tasks, t) }

// RunTask runs a Task a Storage scheduled: kind and ref as the task has
// them. TaskAdvance applies every transition due by now; TaskWebhook sends
// event ref to this simulator's WebhookURL. An error means "try again
// later"; an event that no longer exists is not an error.
func (s *Server) RunTask(ctx context.Context, kind, ref string) error {
	if s.store == nil {
		return errors.New("surgesim: RunTask needs a Storage")
	}
	switch kind {
	case TaskAdvance:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.writeLocked(ctx, nil)
	case TaskWebhook:
		s.mu.Lock()
		if err := s.syncLocked(ctx); err != nil {
			s.mu.Unlock()
			return err
		}
		i, ok := s.eventAt[ref]
		var body []byte
		if ok {
			body = encodeEvent(s.events[i])
		}
		url := s.cfg.WebhookURL
		s.mu.Unlock()
		switch {
		case !ok:
			s.log.Warn("surgesim: webhook task for an unknown event", "event", ref)
			return nil
		case url == "":
			return errors.New("surgesim: no WebhookURL to send the event to")
		}
		return s.post(ctx, ref, body)
	}
	return fmt.Errorf("surgesim: unknown task kind %q", kind)
}
