package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

// idem is a plain request's key record (no action), held by b's process.
func (b *bundle) idem(key, hash string) *store.IdempotencyRecord {
	return &store.IdempotencyRecord{OperatorID: b.op.ID, PrincipalID: "key_1", Key: key, Method: "POST",
		Path: "/v1/phone/provision", RequestHash: hash, LockedBy: b.proc, CreatedAt: now()}
}

// getKey returns the stored record of k's key as read with b.liveAfter,
// or nil when there is none.
func (b *bundle) getKey(t *testing.T, k *store.IdempotencyRecord) *store.IdempotencyRecord {
	t.Helper()
	got, err := b.s.GetIdempotent(b.ctx, k.OperatorID, k.PrincipalID, k.Key, b.liveAfter)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	must(t, err)
	return got
}

// wantKey asserts the stored record of want's key is want.
func (b *bundle) wantKey(t *testing.T, what string, want store.IdempotencyRecord) {
	t.Helper()
	got := b.getKey(t, &want)
	if got == nil {
		t.Fatalf("%s: key %s not stored", what, want.Key)
	}
	equal(t, what, *got, want)
}

// wantNoKey asserts k's key has no record.
func (b *bundle) wantNoKey(t *testing.T, what string, k *store.IdempotencyRecord) {
	t.Helper()
	if got := b.getKey(t, k); got != nil {
		t.Fatalf("%s: key %s stored: %s", what, k.Key, show(got))
	}
}

// begin begins rec and asserts whether it ran.
func (b *bundle) begin(t *testing.T, rec *store.IdempotencyRecord, want bool) {
	t.Helper()
	ok, err := b.s.BeginIdempotent(b.ctx, rec)
	must(t, err)
	if ok != want {
		t.Fatalf("BeginIdempotent of %s = %v, want %v", rec.Key, ok, want)
	}
}

// expired is a creation time older than KeyTTL for reads with b.liveAfter
// and for writes at now.
func (b *bundle) expired() time.Time { return b.liveAfter.Add(-store.KeyTTL - time.Second) }

func testIdempotency(t *testing.T, b *bundle) {
	_, err := b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "k1", b.liveAfter)
	wantErr(t, err, store.ErrNotFound)

	// First request runs; a retry sees it running, its owner alive.
	rec := b.idem("k1", "h1")
	b.begin(t, rec, true)
	if rec.Completed || rec.RecoveryPoint != store.PointStarted || !rec.UpdatedAt.Equal(rec.CreatedAt) {
		t.Fatalf("begun record = %s, want unfinished at %s, updated when created", show(rec), store.PointStarted)
	}
	b.begin(t, b.idem("k1", "h2"), false)
	running := *rec
	running.OwnerAlive = true
	b.wantKey(t, "running record", running)
	// Its owner gone, it reads so.
	got, err := b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "k1", now().Add(time.Hour))
	must(t, err)
	if got.OwnerAlive {
		t.Fatal("OwnerAlive with a heartbeat older than liveAfter")
	}

	// The same key of another principal or operator is another key.
	for _, other := range []*store.IdempotencyRecord{
		{OperatorID: b.op.ID, PrincipalID: "key_2", Key: "k1", Method: "POST", Path: "/", RequestHash: "h", LockedBy: b.proc, CreatedAt: now()},
		{OperatorID: b.other.OperatorID, PrincipalID: "key_1", Key: "k1", Method: "POST", Path: "/", RequestHash: "h", LockedBy: b.proc, CreatedAt: now()},
	} {
		b.begin(t, other, true)
	}

	// Complete stores the response and releases the record; retries
	// replay it.
	rec.Status, rec.Body = 202, []byte(`{"phone":{"id":"p1"}}`)
	must(t, b.s.CompleteIdempotent(b.ctx, rec))
	if !rec.Completed || rec.RecoveryPoint != store.PointFinished {
		t.Fatalf("completed record = %s, want completed at %s", show(rec), store.PointFinished)
	}
	b.begin(t, b.idem("k1", "h1"), false)
	want := *rec
	want.LockedBy = ""
	b.wantKey(t, "completed record", want)
	wantErr(t, b.s.CompleteIdempotent(b.ctx, rec), store.ErrLockLost)
	// Abort and Release leave a completed key alone.
	must(t, b.s.AbortIdempotent(b.ctx, rec))
	must(t, b.s.ReleaseIdempotent(b.ctx, rec))
	b.wantKey(t, "completed record after abort and release", want)

	// Abort of an unfinished key lets the retry run; another process's
	// abort, release or complete does nothing.
	r2 := b.idem("k2", "h1")
	b.begin(t, r2, true)
	thief := *r2
	thief.LockedBy = newID()
	must(t, b.s.AbortIdempotent(b.ctx, &thief))
	must(t, b.s.ReleaseIdempotent(b.ctx, &thief))
	thief.Status, thief.Body = 200, []byte(`{}`)
	wantErr(t, b.s.CompleteIdempotent(b.ctx, &thief), store.ErrLockLost)
	kept := *r2
	kept.OwnerAlive = true
	b.wantKey(t, "record after another process's abort, release and complete", kept)
	must(t, b.s.AbortIdempotent(b.ctx, r2))
	b.wantNoKey(t, "aborted record", r2)
	b.begin(t, b.idem("k2", "h1"), true)

	// Release unlocks it: no owner, nothing completes it but a taker.
	r3 := b.idem("k3", "h1")
	b.begin(t, r3, true)
	must(t, b.s.ReleaseIdempotent(b.ctx, r3))
	released := *r3
	released.LockedBy = ""
	b.wantKey(t, "released record", released)
	r3.Status = 200
	wantErr(t, b.s.CompleteIdempotent(b.ctx, r3), store.ErrLockLost)
	b.begin(t, b.idem("k3", "h1"), false)

	// A record older than KeyTTL reads as absent and is replaced,
	// completed or not; a younger one is not.
	for _, completed := range []bool{false, true} {
		old := b.idem(newID(), "old")
		old.CreatedAt = b.expired()
		b.begin(t, old, true)
		if completed {
			old.Status = 200
			must(t, b.s.CompleteIdempotent(b.ctx, old))
		}
		b.wantNoKey(t, "record older than KeyTTL", old)
		fresh := b.idem(old.Key, "h9")
		b.begin(t, fresh, true)
		want := *fresh
		want.OwnerAlive = true
		b.wantKey(t, "replacing record", want)
	}
	young := b.idem("young", "h1")
	young.CreatedAt = now().Add(-store.KeyTTL + time.Minute)
	b.begin(t, young, true)
	b.begin(t, b.idem("young", "h2"), false)
	got, err = b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "young", b.liveAfter)
	must(t, err)
	if got.RequestHash != "h1" {
		t.Fatalf("record younger than KeyTTL replaced: %s", show(got))
	}
}

// testIdempotencyConcurrentBegin starts 20 requests with one key at once,
// on a new key and on an expired one: exactly one runs, the others see its
// record.
func testIdempotencyConcurrentBegin(t *testing.T, b *bundle) {
	t.Run("new", func(t *testing.T) { b.raceBegin(t, "new") })
	old := b.idem("expired", "old")
	old.CreatedAt = b.expired()
	b.begin(t, old, true)
	t.Run("expired", func(t *testing.T) { b.raceBegin(t, "expired") })
}

func (b *bundle) raceBegin(t *testing.T, key string) {
	var ran atomic.Int32
	concurrently(20, func(i int) {
		ok, err := b.s.BeginIdempotent(b.ctx, b.idem(key, "h"))
		if err != nil {
			t.Errorf("BeginIdempotent: %v", err)
			return
		}
		if ok {
			ran.Add(1)
		}
	})
	if ran.Load() != 1 {
		t.Fatalf("%d of 20 concurrent BeginIdempotent got to run, want 1", ran.Load())
	}
	got, err := b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", key, b.liveAfter)
	must(t, err)
	if got.RequestHash != "h" || got.Completed {
		t.Fatalf("record after the race: %s", show(got))
	}
}
