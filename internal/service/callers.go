package service

import (
	"context"
	"sync"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// memo is a bounded map of what a request read, each entry with the
// operator's counter it was read at (store.Versions): an entry is exact
// for as long as that counter is still the current one, which the request
// reads first anyway. The store moves the counters in the same transaction
// as the changes they cover, on every process, so nothing is trusted
// without that read and a change (a revocation included) takes effect on
// the very next request. Past maxMemo entries the map starts over.
type memo[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

// maxMemo bounds a memo's entries.
const maxMemo = 10_000

func (c *memo[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok
}

func (c *memo[V]) put(k string, e V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxMemo {
		c.m = make(map[string]V)
	}
	c.m[k] = e
}

func (c *memo[V]) drop(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// callerEntry is what authenticating an API key read — the key and its
// scope's default subject — at a config version: a request then reads one
// row (the counters) instead of the key and the subject.
type callerEntry struct {
	key     naive.APIKey
	subject *naive.Subject
	version int64 // the config counter
}

// phoneEntry is a phone and its campaign (nil when it has none) as read
// in scope at a numbers version.
type phoneEntry struct {
	scope   naive.Scope
	phone   naive.Phone
	camp    *naive.Campaign
	version int64 // the numbers counter
}

// caller returns the key of hash and its scope's default subject: from
// memory when the operator's config version has not moved since they were
// read, else from the store; with the operator's counters as read now.
// Errors: store.ErrNotFound (unknown or revoked).
func (s *Service) caller(ctx context.Context, hash string) (*naive.APIKey, *naive.Subject, store.Versions, error) {
	if e, ok := s.callers.get(hash); ok {
		v, err := s.versions(ctx, e.key.OperatorID)
		if err != nil {
			return nil, nil, store.Versions{}, err
		}
		if v.Config == e.version {
			k := e.key
			var subj *naive.Subject
			if e.subject != nil {
				cp := *e.subject
				subj = &cp
			}
			return &k, subj, v, nil
		}
	}
	k, subj, v, err := s.store.GetCaller(ctx, hash)
	if err != nil {
		s.callers.drop(hash)
		return nil, nil, store.Versions{}, err
	}
	e := callerEntry{key: *k, version: v.Config}
	if subj != nil {
		cp := *subj
		e.subject = &cp
	}
	s.callers.put(hash, e)
	return k, subj, v, nil
}

// phoneAndCampaignAt returns a phone in scope with its campaign: from
// memory when the operator's numbers version the caller read with its
// credentials is the one they were read at, else from the store (and
// remembered at that version: a change between the two reads moves the
// counter past it, so the entry is never trusted beyond what it saw).
// The version is the one read when the request began, so a request reads
// its phones this way before it writes any (every caller does: the read
// is what decides the write). Errors: store.ErrNotFound.
func (s *Service) phoneAndCampaignAt(ctx context.Context, p naive.Principal, id string) (*naive.Phone, *naive.Campaign, error) {
	if p.NumbersRead {
		if e, ok := s.phones.get(id); ok && e.version == p.NumbersVersion && e.scope == p.Scope() {
			return copyPhone(&e.phone), copyCampaign(e.camp), nil
		}
	}
	ph, camp, err := s.store.GetPhoneAndCampaign(ctx, p.Scope(), id)
	if err != nil || !p.NumbersRead {
		return ph, camp, err
	}
	s.phones.put(id, phoneEntry{scope: p.Scope(), phone: *copyPhone(ph), camp: copyCampaign(camp), version: p.NumbersVersion})
	return ph, camp, nil
}

// copyPhone is a copy of ph sharing nothing with it.
func copyPhone(ph *naive.Phone) *naive.Phone {
	cp := *ph
	if ph.ReleasedAt != nil {
		at := *ph.ReleasedAt
		cp.ReleasedAt = &at
	}
	return &cp
}

// copyCampaign is a copy of c sharing nothing with it (nil for nil).
func copyCampaign(c *naive.Campaign) *naive.Campaign {
	if c == nil {
		return nil
	}
	cp := *c
	if c.ETA != nil {
		eta := *c.ETA
		cp.ETA = &eta
	}
	return &cp
}
