package service

import (
	"context"
	"sync"

	"github.com/naive-oss/naive/internal/naive"
)

// callers keeps, per API key, what authenticating it read — the key and
// its scope's default subject — with the operator's config version at the
// time. The store moves that version in the same transaction as any change
// to the operator's keys, subjects or kits (a revocation included), on
// every process, so an entry is exact for as long as the version it was
// read at is still the current one: a request then reads one row (the
// version) instead of the key and the subject. Nothing is trusted without
// that read, so a revocation takes effect on the very next request.
type callers struct {
	mu sync.Mutex
	m  map[string]callerEntry
}

type callerEntry struct {
	key     naive.APIKey
	subject *naive.Subject
	version int64
}

// maxCallers bounds the entries; past it the map starts over.
const maxCallers = 10_000

func (c *callers) get(hash string) (callerEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	return e, ok
}

func (c *callers) put(hash string, e callerEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCallers {
		c.m = make(map[string]callerEntry)
	}
	c.m[hash] = e
}

func (c *callers) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// caller returns the key of hash and its scope's default subject: from
// memory when the operator's config version has not moved since they were
// read, else from the store. Errors: store.ErrNotFound (unknown or revoked).
func (s *Service) caller(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, error) {
	if e, ok := s.callers.get(hash); ok {
		v, err := s.store.ConfigVersion(ctx, e.key.OperatorID)
		if err != nil {
			return nil, nil, err
		}
		if v == e.version {
			k := e.key
			var subj *naive.Subject
			if e.subject != nil {
				cp := *e.subject
				subj = &cp
			}
			return &k, subj, nil
		}
	}
	k, subj, v, err := s.store.GetCaller(ctx, hash)
	if err != nil {
		s.callers.drop(hash)
		return nil, nil, err
	}
	e := callerEntry{key: *k, version: v}
	if subj != nil {
		cp := *subj
		e.subject = &cp
	}
	s.callers.put(hash, e)
	return k, subj, nil
}
