package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/store"
)

func (b *bundle) idem(key, hash string) *store.IdempotencyRecord {
	return &store.IdempotencyRecord{OperatorID: b.op.ID, PrincipalID: "key_1", Key: key, Method: "POST",
		Path: "/v1/phone/provision", RequestHash: hash, CreatedAt: now()}
}

func testIdempotency(t *testing.T, b *bundle) {
	_, err := b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "k1")
	wantErr(t, err, store.ErrNotFound)
	expired := now().Add(-24 * time.Hour)

	// First request runs; a retry sees it in progress.
	rec := b.idem("k1", "h1")
	existing, err := b.s.BeginIdempotent(b.ctx, rec, expired)
	must(t, err)
	if existing != nil {
		t.Fatalf("first BeginIdempotent returned %s", show(existing))
	}
	existing, err = b.s.BeginIdempotent(b.ctx, b.idem("k1", "h2"), expired)
	must(t, err)
	if existing == nil || existing.Completed || existing.RequestHash != "h1" {
		t.Fatalf("BeginIdempotent of a running key = %s, want the in-progress h1 record", show(existing))
	}
	got, err := b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "k1")
	must(t, err)
	equal(t, "in-progress record", *got, *rec)

	// The same key of another principal or operator is another key.
	for _, other := range []*store.IdempotencyRecord{
		{OperatorID: b.op.ID, PrincipalID: "key_2", Key: "k1", Method: "POST", Path: "/", RequestHash: "h", CreatedAt: now()},
		{OperatorID: b.other.OperatorID, PrincipalID: "key_1", Key: "k1", Method: "POST", Path: "/", RequestHash: "h", CreatedAt: now()},
	} {
		existing, err := b.s.BeginIdempotent(b.ctx, other, expired)
		must(t, err)
		if existing != nil {
			t.Fatalf("key of another principal or operator was taken: %s", show(existing))
		}
	}

	// Complete stores the response; retries replay it.
	rec.Status, rec.Body = 202, []byte(`{"phone":{"id":"p1"}}`)
	must(t, b.s.CompleteIdempotent(b.ctx, rec))
	existing, err = b.s.BeginIdempotent(b.ctx, b.idem("k1", "h1"), expired)
	must(t, err)
	want := *rec
	want.Completed = true
	if existing == nil {
		t.Fatal("BeginIdempotent of a completed key returned nil")
	}
	equal(t, "completed record", *existing, want)
	// Abort leaves a completed key alone.
	must(t, b.s.AbortIdempotent(b.ctx, rec))
	got, err = b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "k1")
	must(t, err)
	equal(t, "completed record after abort", *got, want)

	// Abort of an in-progress key lets the retry run.
	r2 := b.idem("k2", "h1")
	existing, err = b.s.BeginIdempotent(b.ctx, r2, expired)
	must(t, err)
	if existing != nil {
		t.Fatal("BeginIdempotent of a new key returned a record")
	}
	must(t, b.s.AbortIdempotent(b.ctx, r2))
	_, err = b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", "k2")
	wantErr(t, err, store.ErrNotFound)
	existing, err = b.s.BeginIdempotent(b.ctx, b.idem("k2", "h1"), expired)
	must(t, err)
	if existing != nil {
		t.Fatal("BeginIdempotent after abort returned a record")
	}

	// An expired record is replaced, completed or not.
	for _, key := range []string{"k1", "k2"} {
		fresh := b.idem(key, "h9")
		existing, err = b.s.BeginIdempotent(b.ctx, fresh, now().Add(time.Second))
		must(t, err)
		if existing != nil {
			t.Fatalf("BeginIdempotent did not replace expired %s: %s", key, show(existing))
		}
		got, err = b.s.GetIdempotent(b.ctx, b.op.ID, "key_1", key)
		must(t, err)
		equal(t, "replacing record", *got, *fresh)
	}
}

// testIdempotencyConcurrentBegin starts 20 requests with one key at once,
// on a new key and on an expired one: exactly one runs, the others see its
// record.
func testIdempotencyConcurrentBegin(t *testing.T, b *bundle) {
	t.Run("new", func(t *testing.T) { b.raceBegin(t, "new") })
	old := b.idem("expired", "old")
	old.CreatedAt = now().Add(-2 * time.Hour)
	existing, err := b.s.BeginIdempotent(b.ctx, old, old.CreatedAt.Add(-time.Hour))
	must(t, err)
	if existing != nil {
		t.Fatal("BeginIdempotent of a new key returned a record")
	}
	t.Run("expired", func(t *testing.T) { b.raceBegin(t, "expired") })
}

func (b *bundle) raceBegin(t *testing.T, key string) {
	var ran atomic.Int32
	expired := now().Add(-time.Hour)
	concurrently(20, func(i int) {
		existing, err := b.s.BeginIdempotent(b.ctx, b.idem(key, "h"), expired)
		if err != nil {
			t.Errorf("BeginIdempotent: %v", err)
			return
		}
		if existing == nil {
			ran.Add(1)
		} else if existing.RequestHash != "h" || existing.Completed {
			t.Errorf("BeginIdempotent returned %s", show(existing))
		}
	})
	if ran.Load() != 1 {
		t.Fatalf("%d of 20 concurrent BeginIdempotent got to run, want 1", ran.Load())
	}
}
