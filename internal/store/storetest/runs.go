package storetest

import (
	"testing"
	"time"
)

// process registers a new process whose last heartbeat is at.
func (b *bundle) process(t *testing.T, at time.Time) string {
	t.Helper()
	id := newID()
	must(t, b.s.RegisterProcess(b.ctx, id, at, time.Time{}))
	return id
}
