package store

import (
	"context"
	"sync"
	"time"
)

// Hub tells the requests of this process that wait for a key (a phone's
// id) that something happened to it: the in-process half of the service's
// inbox, which each backend's adapter completes (sqlite.NewInbox alone,
// postgres.Inbox with LISTEN/NOTIFY for the other processes).
type Hub struct {
	poll time.Duration
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewHub returns a hub whose waiters also read the database every poll.
func NewHub(poll time.Duration) *Hub {
	return &Hub{poll: poll, subs: map[string]map[chan struct{}]struct{}{}}
}

// Subscribe returns a channel that receives when key is published (a
// publish while the waiter is busy is kept, one deep, so none is lost
// between its reads) and stop, which releases it.
func (h *Hub) Subscribe(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[key] == nil {
		h.subs[key] = map[chan struct{}]struct{}{}
	}
	h.subs[key][ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs[key], ch)
			if len(h.subs[key]) == 0 {
				delete(h.subs, key)
			}
			h.mu.Unlock()
		})
	}
}

// Publish wakes every waiter of key in this process.
func (h *Hub) Publish(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[key] {
		wake(ch)
	}
}

// PublishAll wakes every waiter, whatever its key: after notices may have
// been missed (a listener reconnecting), each reads the database again.
func (h *Hub) PublishAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, chs := range h.subs {
		for ch := range chs {
			wake(ch)
		}
	}
}

// Notify is Publish: alone, the hub reaches this process only.
func (h *Hub) Notify(_ context.Context, key string) error {
	h.Publish(key)
	return nil
}

// PollEvery is how often waiters read the database anyway, for what
// other processes stored without telling this one.
func (h *Hub) PollEvery() time.Duration { return h.poll }

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
