package surgesim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// MemoryStorage is a Storage in this process's memory, for tests: several
// simulators opened on one MemoryStorage behave as processes sharing a
// database, and a simulator opened on it later as a restart. The tasks it
// is given wait in it for the test to run (TakeTasks, then RunTask).
type MemoryStorage struct {
	write sync.Mutex // the storage's one write lock, held through an Update

	mu      sync.Mutex
	version int64
	recs    map[recKey]memRecord
	tasks   []Task
	failing error
}

type memRecord struct {
	version int64
	data    []byte
}

var _ Storage = (*MemoryStorage)(nil)

// NewMemoryStorage returns an empty storage.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{recs: map[recKey]memRecord{}} }

// Changes returns the records written after since.
func (m *MemoryStorage) Changes(ctx context.Context, since int64) ([]Record, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changesLocked(since), m.version, nil
}

func (m *MemoryStorage) changesLocked(since int64) []Record {
	var out []Record
	for k, r := range m.recs {
		if r.version > since && (since > 0 || r.data != nil) {
			out = append(out, Record{Kind: k.kind, ID: k.id, Data: slices.Clone(r.data)})
		}
	}
	// In version order, as a database would hand them.
	slices.SortFunc(out, func(a, b Record) int {
		va, vb := m.recs[recKey{a.Kind, a.ID}].version, m.recs[recKey{b.Kind, b.ID}].version
		return int(va - vb)
	})
	return out
}

// Update runs fn under the write lock and stores what it returns.
func (m *MemoryStorage) Update(ctx context.Context, since int64, fn func(changed []Record) ([]Record, []Task, error)) (int64, error) {
	m.write.Lock()
	defer m.write.Unlock()
	m.mu.Lock()
	changed, version := m.changesLocked(since), m.version
	m.mu.Unlock()
	recs, tasks, err := fn(changed)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing; err != nil {
		m.failing = nil
		return 0, err
	}
	if len(recs) == 0 {
		m.tasks = append(m.tasks, tasks...)
		return version, nil
	}
	for _, r := range recs {
		if r.Kind == "" || r.ID == "" || (r.Data != nil && !json.Valid(r.Data)) {
			return 0, fmt.Errorf("surgesim: memory storage: bad record %q %q", r.Kind, r.ID)
		}
	}
	m.version++
	for _, r := range recs {
		m.recs[recKey{r.Kind, r.ID}] = memRecord{version: m.version, data: slices.Clone(r.Data)}
	}
	m.tasks = append(m.tasks, tasks...)
	return m.version, nil
}

// TakeTasks returns the tasks scheduled so far, in order, and forgets them.
func (m *MemoryStorage) TakeTasks() []Task {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tasks
	m.tasks = nil
	return t
}

// FailNextUpdate makes the next Update that reaches its commit fail with
// err, after fn ran: the simulator's memory then holds what was not stored.
func (m *MemoryStorage) FailNextUpdate(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failing = err
}
