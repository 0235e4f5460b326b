package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

// TaskLog is what RunSandbox reads of a store's job hook: a *Jobs.
type TaskLog interface {
	// Tasks returns the sandbox tasks the store handed the hook, in order.
	Tasks() []store.SandboxTask
	// FailNextTask makes the hook fail the next task with err.
	FailNextTask(err error)
}

// SandboxStore is what a backend's test gives RunSandbox: a store.Sandbox
// on a fresh, empty database.
type SandboxStore struct {
	store.Sandbox
	// Tasks is the store's job hook, a *Jobs; nil when opened without one.
	Tasks TaskLog
	// Again opens another handle on the same database, with the same job
	// hook, as another process sharing the database (or a restart) does.
	Again func(t *testing.T) store.Sandbox
}

// RunSandbox checks the store.Sandbox contract: versions, changes since a
// version, fn's one call under the one write lock, validation, tasks
// committed with the records through the job hook, and writers and
// readers of several handles (processes) at once. open returns a fresh,
// empty store whose job hook is a *Jobs when hooked, none otherwise; it
// registers with t.Cleanup whatever closes and removes it.
func RunSandbox(t *testing.T, open func(t *testing.T, hooked bool) SandboxStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T, hooked bool) SandboxStore)
	}{
		{"Empty", testSandboxEmpty},
		{"WriteAndRead", testSandboxWriteAndRead},
		{"Versions", testSandboxVersions},
		{"ChangedSince", testSandboxChangedSince},
		{"FnError", testSandboxFnError},
		{"Invalid", testSandboxInvalid},
		{"Tasks", testSandboxTasks},
		{"NoJobHook", testSandboxNoJobHook},
		{"Concurrent", testSandboxConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// sbRec is a live record.
func sbRec(kind, id, data string) store.SandboxRecord {
	return store.SandboxRecord{Kind: kind, ID: id, Data: []byte(data)}
}

// sbGone is a deleted record.
func sbGone(kind, id string) store.SandboxRecord { return store.SandboxRecord{Kind: kind, ID: id} }

// sbShow is a record as one string, deletions told apart from any data.
func sbShow(r store.SandboxRecord) string {
	if r.Data == nil {
		return r.Kind + "/" + r.ID + " deleted"
	}
	return r.Kind + "/" + r.ID + "=" + string(r.Data)
}

// sbSet is records as a sorted list of sbShow, for comparing sets.
func sbSet(recs []store.SandboxRecord) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, sbShow(r))
	}
	slices.Sort(out)
	return out
}

// wantRecords asserts recs are want, in any order.
func wantRecords(t *testing.T, what string, recs []store.SandboxRecord, want ...store.SandboxRecord) {
	t.Helper()
	got, w := sbSet(recs), sbSet(want)
	if !slices.Equal(got, w) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, w)
	}
	for _, r := range recs {
		if r.Data != nil && len(r.Data) == 0 {
			t.Fatalf("%s: live record %s/%s has empty, non-nil data", what, r.Kind, r.ID)
		}
	}
}

// wantChanges asserts Changes(since) returns want (in any order) at version.
func wantChanges(t *testing.T, s store.Sandbox, since, version int64, want ...store.SandboxRecord) []store.SandboxRecord {
	t.Helper()
	recs, v, err := s.SandboxChanges(context.Background(), since)
	must(t, err)
	if v != version {
		t.Fatalf("SandboxChanges(%d) at version %d, want %d", since, v, version)
	}
	wantRecords(t, fmt.Sprintf("SandboxChanges(%d)", since), recs, want...)
	return recs
}

// sbWrite writes recs and tasks from since, asserting fn ran once and the
// new version.
func sbWrite(t *testing.T, s store.Sandbox, since, want int64, recs []store.SandboxRecord, tasks ...store.SandboxTask) {
	t.Helper()
	calls := 0
	v, err := s.SandboxUpdate(context.Background(), since, func([]store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
		calls++
		return recs, tasks, nil
	})
	must(t, err)
	if calls != 1 {
		t.Fatalf("SandboxUpdate called fn %d times, want 1", calls)
	}
	if v != want {
		t.Fatalf("SandboxUpdate(%d) = version %d, want %d", since, v, want)
	}
}

// sbFail runs an Update whose fn returns recs and tasks, asserting it
// fails, after calling fn once, and returns its error.
func sbFail(t *testing.T, s store.Sandbox, since int64, recs []store.SandboxRecord, tasks []store.SandboxTask, fnErr error) error {
	t.Helper()
	calls := 0
	v, err := s.SandboxUpdate(context.Background(), since, func([]store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
		calls++
		return recs, tasks, fnErr
	})
	if err == nil {
		t.Fatalf("SandboxUpdate of %q with tasks %v succeeded at version %d, want an error", sbSet(recs), tasks, v)
	}
	if calls != 1 {
		t.Fatalf("SandboxUpdate called fn %d times, want 1", calls)
	}
	return err
}

// wantTasks asserts log holds want, in order.
func wantTasks(t *testing.T, log TaskLog, want ...store.SandboxTask) {
	t.Helper()
	got := log.Tasks()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].Kind == want[i].Kind && got[i].Ref == want[i].Ref && got[i].Due.Equal(want[i].Due)
	}
	if !same {
		t.Fatalf("tasks handed to the job hook:\n got %v\nwant %v", got, want)
	}
}

func testSandboxEmpty(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	wantChanges(t, s, 0, 0)
	wantChanges(t, s, 3, 0)
	var got []store.SandboxRecord
	calls := 0
	v, err := s.SandboxUpdate(t.Context(), 0, func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
		calls++
		got = changed
		return nil, nil, nil
	})
	must(t, err)
	if v != 0 || calls != 1 || len(got) != 0 {
		t.Fatalf("SandboxUpdate of an empty sandbox: version %d, fn called %d times with %q; want 0, once, nothing",
			v, calls, sbSet(got))
	}
	wantChanges(t, s, 0, 0)
	wantTasks(t, s.Tasks)
}

func testSandboxWriteAndRead(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	// Data comes back byte for byte: spacing, key order, escapes.
	a1 := sbRec("account", "a1", `{"b": 1,  "a" :[1, 2.50], "s":"\u0000\u00e9é"}`)
	a2 := sbRec("account", "a2", `{}`)
	c1 := sbRec("campaign", "c1", `"text"`)
	sbWrite(t, s, 0, 1, []store.SandboxRecord{a1, a2, c1})
	wantChanges(t, s, 0, 1, a1, a2, c1)
	wantChanges(t, s, 1, 1)

	a1b := sbRec("account", "a1", `{"b":2}`)
	n1 := sbRec("number", "n1", `[]`)
	sbWrite(t, s, 1, 2, []store.SandboxRecord{a1b, sbGone("account", "a2"), n1})
	// From 0: the live records only; the deleted one is left out.
	recs := wantChanges(t, s, 0, 2, a1b, c1, n1)
	// In version order: c1 (version 1) before those of version 2.
	if i := slices.IndexFunc(recs, func(r store.SandboxRecord) bool { return r.ID == "c1" }); i != 0 {
		t.Fatalf("SandboxChanges(0) = %q, want c1 (version 1) first", sbShow(recs[0]))
	}
	// From 1: what version 2 wrote, the deletion as a tombstone.
	wantChanges(t, s, 1, 2, a1b, sbGone("account", "a2"), n1)
	wantChanges(t, s, 2, 2)

	// The last of two writes of one record in one update wins; a
	// deleted record may live again.
	sbWrite(t, s, 2, 3, []store.SandboxRecord{sbRec("number", "n1", `[1]`), sbRec("account", "a2", `{"again":true}`),
		sbRec("number", "n1", `[2]`), sbGone("campaign", "c1"), sbGone("campaign", "never")})
	wantChanges(t, s, 0, 3, a1b, sbRec("account", "a2", `{"again":true}`), sbRec("number", "n1", `[2]`))
	wantChanges(t, s, 2, 3, sbRec("account", "a2", `{"again":true}`), sbRec("number", "n1", `[2]`),
		sbGone("campaign", "c1"), sbGone("campaign", "never"))

	// Another handle on the database (another process, a restart)
	// reads the same.
	other := s.Again(t)
	wantChanges(t, other, 0, 3, a1b, sbRec("account", "a2", `{"again":true}`), sbRec("number", "n1", `[2]`))
	wantChanges(t, other, 1, 3, a1b, sbRec("account", "a2", `{"again":true}`), sbRec("number", "n1", `[2]`),
		sbGone("campaign", "c1"), sbGone("campaign", "never"))
	sbWrite(t, other, 3, 4, []store.SandboxRecord{sbRec("account", "a3", `null`)})
	wantChanges(t, s, 3, 4, sbRec("account", "a3", `null`))
}

func testSandboxVersions(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	for i := int64(1); i <= 5; i++ {
		sbWrite(t, s, i-1, i, []store.SandboxRecord{sbRec("k", strconv.FormatInt(i, 10), `1`)})
		// An update writing nothing makes no version, and returns the
		// latest, whatever since it was given.
		sbWrite(t, s, i, i, nil)
		sbWrite(t, s, 0, i, nil)
		sbWrite(t, s, i, i, []store.SandboxRecord{})
		wantTasks(t, s.Tasks)
		_, v, err := s.SandboxChanges(t.Context(), 0)
		must(t, err)
		if v != i {
			t.Fatalf("after %d writing updates (and empty ones) the version is %d", i, v)
		}
	}
	// From a stale version, a writing update makes the next version.
	sbWrite(t, s, 1, 6, []store.SandboxRecord{sbRec("k", "1", `2`)})
}

func testSandboxChangedSince(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	a, b, c := sbRec("k", "a", `"a"`), sbRec("k", "b", `"b"`), sbRec("k", "c", `"c"`)
	sbWrite(t, s, 0, 1, []store.SandboxRecord{a})
	sbWrite(t, s, 1, 2, []store.SandboxRecord{b})
	sbWrite(t, s, 2, 3, []store.SandboxRecord{c, sbGone("k", "a")})
	for _, tc := range []struct {
		since int64
		want  []store.SandboxRecord
	}{
		{0, []store.SandboxRecord{b, c}},
		{1, []store.SandboxRecord{b, c, sbGone("k", "a")}},
		{2, []store.SandboxRecord{c, sbGone("k", "a")}},
		{3, nil},
	} {
		calls := 0
		v, err := s.SandboxUpdate(t.Context(), tc.since, func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
			calls++
			wantRecords(t, fmt.Sprintf("fn's changes since %d", tc.since), changed, tc.want...)
			return nil, nil, nil
		})
		must(t, err)
		if v != 3 || calls != 1 {
			t.Fatalf("SandboxUpdate(%d): version %d, fn called %d times; want 3, once", tc.since, v, calls)
		}
	}
	// What another handle wrote reaches fn too.
	other := s.Again(t)
	d := sbRec("k", "d", `"d"`)
	sbWrite(t, other, 3, 4, []store.SandboxRecord{d})
	v, err := s.SandboxUpdate(t.Context(), 3, func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
		wantRecords(t, "fn's changes since 3, written by another handle", changed, d)
		return []store.SandboxRecord{sbRec("k", "d", `"d2"`)}, nil, nil
	})
	must(t, err)
	if v != 5 {
		t.Fatalf("SandboxUpdate = version %d, want 5", v)
	}
	wantChanges(t, other, 4, 5, sbRec("k", "d", `"d2"`))
}

// errFn is the error a test's fn fails with.
var errFn = errors.New("storetest: fn failed")

func testSandboxFnError(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	a := sbRec("k", "a", `1`)
	sbWrite(t, s, 0, 1, []store.SandboxRecord{a})
	task := store.SandboxTask{Kind: "advance", Due: time.Now()}
	wrapped := fmt.Errorf("wrapped: %w", errFn)
	err := sbFail(t, s, 1, []store.SandboxRecord{sbRec("k", "b", `2`), sbRec("k", "a", `3`)}, []store.SandboxTask{task}, wrapped)
	if err != wrapped || !errors.Is(err, errFn) {
		t.Fatalf("SandboxUpdate returned %v (%T), want fn's error as it is", err, err)
	}
	wantChanges(t, s, 0, 1, a)
	wantChanges(t, s, 1, 1)
	wantTasks(t, s.Tasks)
	// The sandbox is not left locked.
	sbWrite(t, s, 1, 2, []store.SandboxRecord{sbRec("k", "b", `2`)}, task)
	wantTasks(t, s.Tasks, task)
}

func testSandboxInvalid(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	a := sbRec("k", "a", `1`)
	sbWrite(t, s, 0, 1, []store.SandboxRecord{a})
	good := sbRec("k", "good", `{"ok":true}`)
	task := store.SandboxTask{Kind: "webhook", Ref: "ev_1", Due: time.Now()}
	for _, bad := range []store.SandboxRecord{
		sbRec("", "x", `{}`),
		sbRec("k", "", `{}`),
		sbGone("", "x"),
		sbRec("k", "x", `{not json`),
		sbRec("k", "x", `{"a":1}{"b":2}`),
		{Kind: "k", ID: "x", Data: []byte{}},
		sbRec("k\x00", "x", `{}`),
		sbRec("k", "x\x00y", `{}`),
		sbRec("k", "x", "\"a\x00b\""),
		sbRec("k", "\xff", `{}`),
		sbRec("k", "x", "\"\xff\""),
	} {
		// The valid record and task of the update are not stored either,
		// nor the task handed to the job hook.
		sbFail(t, s, 1, []store.SandboxRecord{good, bad}, []store.SandboxTask{task}, nil)
		wantChanges(t, s, 0, 1, a)
		wantTasks(t, s.Tasks)
	}
	for _, bad := range []store.SandboxTask{
		{Ref: "ev_1", Due: time.Now()},
		{Kind: "advance"},
		{Kind: "advance\x00", Due: time.Now()},
		{Kind: "webhook", Ref: "ev\x00", Due: time.Now()},
	} {
		sbFail(t, s, 1, []store.SandboxRecord{good}, []store.SandboxTask{task, bad}, nil)
		wantChanges(t, s, 0, 1, a)
		wantTasks(t, s.Tasks)
	}
	sbWrite(t, s, 1, 2, []store.SandboxRecord{good}, task)
	wantChanges(t, s, 1, 2, good)
	wantTasks(t, s.Tasks, task)
}

func testSandboxTasks(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	due := time.Now().Add(time.Minute)
	t1 := store.SandboxTask{Kind: "advance", Due: due}
	t2 := store.SandboxTask{Kind: "webhook", Ref: "ev_1", Due: due.Add(time.Second)}
	sbWrite(t, s, 0, 1, []store.SandboxRecord{sbRec("k", "a", `1`)}, t1, t2)
	wantTasks(t, s.Tasks, t1, t2)
	// Tasks alone commit, at no new version.
	t3 := store.SandboxTask{Kind: "advance", Due: due.Add(-time.Hour)}
	sbWrite(t, s, 1, 1, nil, t3)
	wantTasks(t, s.Tasks, t1, t2, t3)
	// A task the hook fails rolls the update back, and its error comes
	// back.
	hookErr := errors.New("storetest: hook failed")
	s.Tasks.FailNextTask(hookErr)
	err := sbFail(t, s, 1, []store.SandboxRecord{sbRec("k", "b", `2`)}, []store.SandboxTask{t1}, nil)
	if !errors.Is(err, hookErr) {
		t.Fatalf("SandboxUpdate with a failing hook: %v, want the hook's error", err)
	}
	wantChanges(t, s, 0, 1, sbRec("k", "a", `1`))
	wantTasks(t, s.Tasks, t1, t2, t3)
	// The sandbox is not left locked.
	sbWrite(t, s, 1, 2, []store.SandboxRecord{sbRec("k", "b", `2`)}, t2)
	wantTasks(t, s.Tasks, t1, t2, t3, t2)
	wantChanges(t, s, 1, 2, sbRec("k", "b", `2`))
}

func testSandboxNoJobHook(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, false)
	task := store.SandboxTask{Kind: "advance", Due: time.Now()}
	sbFail(t, s, 0, []store.SandboxRecord{sbRec("k", "a", `1`)}, []store.SandboxTask{task}, nil)
	wantChanges(t, s, 0, 0)
	sbFail(t, s, 0, nil, []store.SandboxTask{task}, nil)
	// Without tasks, records are written all the same.
	sbWrite(t, s, 0, 1, []store.SandboxRecord{sbRec("k", "a", `1`)})
	wantChanges(t, s, 0, 1, sbRec("k", "a", `1`))
}

// sbView is a reader's memory of the sandbox: the records it applied and
// the version they bring it to.
type sbView struct {
	version int64
	recs    map[[2]string][]byte
}

func (v *sbView) apply(changed []store.SandboxRecord) {
	for _, r := range changed {
		if r.Data == nil {
			delete(v.recs, [2]string{r.Kind, r.ID})
		} else {
			v.recs[[2]string{r.Kind, r.ID}] = r.Data
		}
	}
}

// counter returns the value of the counter record, 0 when absent.
func (v *sbView) counter() (int64, error) {
	b, ok := v.recs[[2]string{"counter", "c"}]
	if !ok {
		return 0, nil
	}
	var n int64
	err := json.Unmarshal(b, &n)
	return n, err
}

// check asserts the view is whole at its version: the counter, moved by
// one with each write, equals the version, and every item up to it is in.
func (v *sbView) check() error {
	n, err := v.counter()
	if err != nil {
		return err
	}
	if n != v.version {
		return fmt.Errorf("at version %d the counter is %d", v.version, n)
	}
	items := 0
	for k := range v.recs {
		if k[0] == "item" {
			items++
		}
	}
	if int64(items) != v.version {
		return fmt.Errorf("at version %d there are %d items", v.version, items)
	}
	for i := int64(1); i <= v.version; i++ {
		if _, ok := v.recs[[2]string{"item", strconv.FormatInt(i, 10)}]; !ok {
			return fmt.Errorf("at version %d item %d is missing", v.version, i)
		}
	}
	return nil
}

// testSandboxConcurrent runs writers on two handles (processes), each
// doing read-modify-writes of one counter from its own memory, and
// readers beside them: the writes are serialized (no increment lost, one
// version each, fn called once each), and no read returns a version
// whose records are missing.
func testSandboxConcurrent(t *testing.T, open func(*testing.T, bool) SandboxStore) {
	s := open(t, true)
	handles := []store.Sandbox{s, s.Again(t)}
	const writers, rounds, readers = 16, 5, 4
	var (
		calls    atomic.Int64
		mu       sync.Mutex
		versions []int64
		done     = make(chan struct{})
		rwg      sync.WaitGroup
	)
	// Readers: from 0 each time, and following the changes.
	for i := range readers {
		h := handles[i%len(handles)]
		rwg.Go(func() {
			follow := &sbView{recs: map[[2]string][]byte{}}
			for {
				select {
				case <-done:
					return
				default:
				}
				recs, v, err := h.SandboxChanges(t.Context(), 0)
				if err != nil {
					t.Errorf("SandboxChanges(0): %v", err)
					return
				}
				fresh := &sbView{version: v, recs: map[[2]string][]byte{}}
				fresh.apply(recs)
				if err := fresh.check(); err != nil {
					t.Errorf("SandboxChanges(0): %v", err)
					return
				}
				recs, v, err = h.SandboxChanges(t.Context(), follow.version)
				if err != nil {
					t.Errorf("SandboxChanges(%d): %v", follow.version, err)
					return
				}
				if v < follow.version {
					t.Errorf("SandboxChanges(%d) went back to version %d", follow.version, v)
					return
				}
				follow.version = v
				follow.apply(recs)
				if err := follow.check(); err != nil {
					t.Errorf("SandboxChanges following: %v", err)
					return
				}
			}
		})
	}
	concurrently(writers, func(i int) {
		h := handles[i%len(handles)]
		view := &sbView{recs: map[[2]string][]byte{}}
		for range rounds {
			v, err := h.SandboxUpdate(t.Context(), view.version, func(changed []store.SandboxRecord) ([]store.SandboxRecord, []store.SandboxTask, error) {
				calls.Add(1)
				view.apply(changed)
				n, err := view.counter()
				if err != nil {
					return nil, nil, err
				}
				next := []byte(strconv.FormatInt(n+1, 10))
				recs := []store.SandboxRecord{
					{Kind: "counter", ID: "c", Data: next},
					{Kind: "item", ID: string(next), Data: []byte(strconv.Itoa(i))},
				}
				view.apply(recs)
				return recs, []store.SandboxTask{{Kind: "advance", Ref: string(next), Due: time.Now()}}, nil
			})
			if err != nil {
				t.Errorf("writer %d: SandboxUpdate: %v", i, err)
				return
			}
			view.version = v
			mu.Lock()
			versions = append(versions, v)
			mu.Unlock()
		}
	})
	close(done)
	rwg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	const n = writers * rounds
	if c := calls.Load(); c != n {
		t.Fatalf("fn called %d times for %d updates", c, n)
	}
	slices.Sort(versions)
	for i, v := range versions {
		if v != int64(i+1) {
			t.Fatalf("updates returned versions %v, want 1 to %d once each", versions, n)
		}
	}
	for _, h := range handles {
		recs, v, err := h.SandboxChanges(t.Context(), 0)
		must(t, err)
		final := &sbView{version: v, recs: map[[2]string][]byte{}}
		final.apply(recs)
		if c, err := final.counter(); err != nil || c != n || v != n {
			t.Fatalf("after %d increments: counter %d (%v) at version %d", n, c, err, v)
		}
		must(t, final.check())
	}
	// Every committed update's task reached the hook, once.
	refs := []string{}
	for _, task := range s.Tasks.Tasks() {
		refs = append(refs, task.Ref)
	}
	slices.SortFunc(refs, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	if len(refs) != n || refs[0] != "1" || refs[n-1] != strconv.Itoa(n) || len(slices.Compact(slices.Clone(refs))) != n {
		t.Fatalf("tasks handed to the hook: %v, want one per update", refs)
	}
}
