package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

// versionsStore is a store whose counters a test moves, whose reads it
// can hold, and which counts them.
type versionsStore struct {
	store.Store // nil: only Versions is called

	current atomic.Int64
	reads   atomic.Int64
	// hold, when set, is where each read waits (after taking its value)
	// until the test receives from started and sends to release.
	hold    bool
	started chan int64
	release chan struct{}
}

func (f *versionsStore) Versions(ctx context.Context, _ string) (store.Versions, error) {
	f.reads.Add(1)
	v := store.Versions{Config: f.current.Load(), Numbers: f.current.Load()}
	if f.hold {
		f.started <- v.Config
		<-f.release
	}
	return v, nil
}

func newVersionsService(t *testing.T, st store.Store) *Service {
	t.Helper()
	s, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVersionsNeverBeforeTheRequest: a request arriving while a read is
// under way does not take that read's answer (which may predate a change
// committed before the request began): it waits for the next read.
func TestVersionsNeverBeforeTheRequest(t *testing.T) {
	st := &versionsStore{hold: true, started: make(chan int64), release: make(chan struct{})}
	s := newVersionsService(t, st)
	ctx := context.Background()

	first := make(chan store.Versions)
	go func() { v, _ := s.versions(ctx, "op"); first <- v }()
	if v := <-st.started; v != 0 {
		t.Fatalf("first read saw %d", v)
	}
	// A change commits while the first read is under way, then a second
	// request begins.
	st.current.Store(1)
	second := make(chan store.Versions)
	go func() { v, _ := s.versions(ctx, "op"); second <- v }()
	waitFor(t, func() bool {
		s.versionReads.mu.Lock()
		defer s.versionReads.mu.Unlock()
		return s.versionReads.ops["op"].next != nil
	})
	st.release <- struct{}{}
	if v := <-first; v.Config != 0 {
		t.Fatalf("first request got %+v", v)
	}
	if v := <-st.started; v != 1 {
		t.Fatalf("second read saw %d, want the change", v)
	}
	st.release <- struct{}{}
	if v := <-second; v.Config != 1 {
		t.Fatalf("second request got %+v, want the change committed before it began", v)
	}
	if n := st.reads.Load(); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}
	s.versionReads.mu.Lock()
	defer s.versionReads.mu.Unlock()
	if len(s.versionReads.ops) != 0 {
		t.Fatalf("idle operators kept: %v", s.versionReads.ops)
	}
}

// TestVersionsShared: requests at the same moment share reads (how many
// is logged, not asserted: it depends on the scheduler), and each sees
// every change that committed before it began.
func TestVersionsShared(t *testing.T) {
	st := &versionsStore{}
	s := newVersionsService(t, st)
	const requests = 2000
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%10 == 0 {
				st.current.Add(1)
			}
			before := st.current.Load()
			v, err := s.versions(context.Background(), "op")
			if err != nil {
				t.Error(err)
				return
			}
			if v.Config < before {
				t.Errorf("a request that began at version %d read %d", before, v.Config)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d reads for %d requests", st.reads.Load(), requests)
}

// TestVersionsWaiterGivesUp: a request whose context ends while it waits
// returns at once; the read it waited for still serves the others.
func TestVersionsWaiterGivesUp(t *testing.T) {
	st := &versionsStore{hold: true, started: make(chan int64), release: make(chan struct{})}
	s := newVersionsService(t, st)
	done := make(chan struct{})
	go func() { s.versions(context.Background(), "op"); close(done) }()
	<-st.started
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { _, err := s.versions(ctx, "op"); gaveUp <- err }()
	waitFor(t, func() bool {
		s.versionReads.mu.Lock()
		defer s.versionReads.mu.Unlock()
		return s.versionReads.ops["op"].next != nil
	})
	cancel()
	if err := <-gaveUp; err != context.Canceled {
		t.Fatalf("a waiter whose context ended: %v", err)
	}
	st.release <- struct{}{}
	<-done
	<-st.started // the next read still runs, for nobody
	st.release <- struct{}{}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}
