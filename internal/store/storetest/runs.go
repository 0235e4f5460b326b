package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Runs: every phase of an action is one store method that also writes the
// run's record (a Progress) in its transaction. These subtests pass only
// explicit times to the store, so whether a process is alive never
// depends on how fast they run.

// process registers a new process whose last heartbeat is at.
func (b *bundle) process(t *testing.T, at time.Time) string {
	t.Helper()
	id := newID()
	must(t, b.s.RegisterProcess(b.ctx, id, at, time.Time{}))
	return id
}

// deadProcess registers a process whose last heartbeat is older than
// b.liveAfter.
func (b *bundle) deadProcess(t *testing.T) string {
	t.Helper()
	return b.process(t, b.liveAfter.Add(-time.Second))
}

// runKey is the key record of a run of a provision, at recovery point
// reserved, held by owner.
func (b *bundle) runKey(owner string) *store.IdempotencyRecord {
	at := now()
	return &store.IdempotencyRecord{OperatorID: b.op.ID, PrincipalID: "key_1", Key: "run-" + newID(), Method: "POST",
		Path: "/v1/phone/provision", RequestHash: "hash-" + newID(), Action: naive.ActionPhoneProvision,
		RecoveryPoint: store.PointReserved, Payload: []byte(`{"area_code": "415",  "type":"local"}`),
		LockedBy: owner, CreatedAt: at, UpdatedAt: at}
}

func keyCreate(k *store.IdempotencyRecord) store.Progress {
	return store.Progress{Key: k, KeyOp: store.KeyCreate}
}

func keyUpdate(k *store.IdempotencyRecord) store.Progress {
	return store.Progress{Key: k, KeyOp: store.KeyUpdate}
}

func keyDelete(k *store.IdempotencyRecord) store.Progress {
	return store.Progress{Key: k, KeyOp: store.KeyDelete}
}

// finished is k completed with a response at now, as a last phase writes it.
func finished(k *store.IdempotencyRecord, status int, body string) *store.IdempotencyRecord {
	f := *k
	f.RecoveryPoint, f.Completed, f.Status, f.Body, f.UpdatedAt = store.PointFinished, true, status, []byte(body), now()
	return &f
}

// stored is k as a read with b.liveAfter returns it: a completed record
// is locked by no one, and its owner alive when it is b's process.
func (b *bundle) stored(k *store.IdempotencyRecord) store.IdempotencyRecord {
	s := *k
	if s.Completed {
		s.LockedBy = ""
	}
	s.OwnerAlive = s.LockedBy == b.proc
	return s
}

// phoneStatus returns the status of phone id of sc.
func (b *bundle) phoneStatus(t *testing.T, sc naive.Scope, id string) string {
	t.Helper()
	p, err := b.s.GetPhone(b.ctx, sc, id)
	must(t, err)
	return p.Status
}

func phoneEvent(sc naive.Scope, typ, phoneID string) *naive.Event {
	return &naive.Event{ID: newID(), Type: typ, Data: json.RawMessage(`{"id": "` + phoneID + `"}`), CreatedAt: now(),
		Mode: sc.Mode, OperatorID: sc.OperatorID}
}

// testProcesses: a process is alive while its heartbeat is at or after
// liveAfter; registering prunes the processes gone silent, whose
// heartbeats then fail, and a process unregistered is gone at once.
func testProcesses(t *testing.T, b *bundle) {
	t0 := now()
	p := newID()
	wantErr(t, b.s.Heartbeat(b.ctx, p, t0), store.ErrNotFound)
	must(t, b.s.RegisterProcess(b.ctx, p, t0, time.Time{}))
	k := b.idem("owned", "h")
	k.LockedBy = p
	b.begin(t, k, true)
	alive := func(liveAfter time.Time) bool {
		t.Helper()
		got, err := b.s.GetIdempotent(b.ctx, k.OperatorID, k.PrincipalID, k.Key, liveAfter)
		must(t, err)
		return got.OwnerAlive
	}
	if !alive(t0) || alive(t0.Add(time.Second)) {
		t.Fatalf("heartbeat at t0: alive since t0 %v, since t0+1s %v; want true and false", alive(t0), alive(t0.Add(time.Second)))
	}
	must(t, b.s.Heartbeat(b.ctx, p, t0.Add(2*time.Second)))
	if !alive(t0.Add(time.Second)) {
		t.Fatal("not alive since t0+1s after a heartbeat at t0+2s")
	}

	// Registering again refreshes; registering prunes the silent ones.
	q := newID()
	must(t, b.s.RegisterProcess(b.ctx, q, t0.Add(time.Minute), time.Time{}))
	must(t, b.s.RegisterProcess(b.ctx, q, t0.Add(2*time.Minute), t0.Add(5*time.Second)))
	wantErr(t, b.s.Heartbeat(b.ctx, p, t0.Add(3*time.Second)), store.ErrNotFound)
	if alive(t0) {
		t.Fatal("a pruned process is alive")
	}
	must(t, b.s.Heartbeat(b.ctx, q, t0.Add(3*time.Minute)))
	must(t, b.s.RegisterProcess(b.ctx, p, t0.Add(3*time.Minute), t0.Add(5*time.Second)))
	if !alive(t0.Add(3 * time.Minute)) {
		t.Fatal("a process registered again is not alive")
	}

	// Unregistered: gone at once, its runs free to take over.
	must(t, b.s.UnregisterProcess(b.ctx, p))
	must(t, b.s.UnregisterProcess(b.ctx, p))
	if alive(t0) {
		t.Fatal("an unregistered process is alive")
	}
	wantErr(t, b.s.Heartbeat(b.ctx, p, t0.Add(4*time.Minute)), store.ErrNotFound)
	taker := &store.IdempotencyRecord{OperatorID: k.OperatorID, PrincipalID: k.PrincipalID, Key: k.Key,
		LockedBy: q, UpdatedAt: now()}
	ok, err := b.s.TakeOverIdempotent(b.ctx, taker, t0)
	must(t, err)
	if !ok {
		t.Fatal("TakeOverIdempotent of an unregistered process's record = false")
	}
}

// testKeyCreateConcurrent: 20 first phases of one key at once, each a
// ReservePhone creating the key: exactly one stores anything; the others
// get ErrKeyExists with no debit and no phone.
func testKeyCreateConcurrent(t *testing.T, b *bundle) {
	b.grant(t, b.live, 20*price)
	key := "race-" + newID()
	var won, exists atomic.Int32
	phones := make([]*naive.Phone, 20)
	stored := make([]bool, 20)
	var winner *store.IdempotencyRecord
	concurrently(20, func(i int) {
		p := newPhone(b.live, b.liveSubject.ID)
		phones[i] = p
		k := b.runKey(newID())
		k.Key, k.ResourceID = key, p.ID
		_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
		switch {
		case err == nil:
			won.Add(1)
			stored[i] = true
			winner = k
		case errors.Is(err, store.ErrKeyExists):
			exists.Add(1)
		default:
			t.Errorf("ReservePhone: %v", err)
		}
	})
	if won.Load() != 1 || exists.Load() != 19 {
		t.Fatalf("20 concurrent first phases: %d won, %d found the key; want 1 and 19", won.Load(), exists.Load())
	}
	bal, entries := b.checkLedger(t, b.live)
	if bal != 19*price || len(entries) != 2 {
		t.Fatalf("balance %d with %d entries, want %d with 2 (the grant and the winner's debit)", bal, len(entries), 19*price)
	}
	for i, p := range phones {
		_, err := b.s.GetPhone(b.ctx, b.live, p.ID)
		if (err == nil) != stored[i] {
			t.Errorf("phone %d: stored %v, its phase won %v", i, err == nil, stored[i])
		}
	}
	got := b.getKey(t, winner)
	if got == nil || got.ResourceID != winner.ResourceID || got.LockedBy != winner.LockedBy {
		t.Fatalf("key after the race = %s, want the winner's", show(got))
	}
}

// testKeyFencing: a phase writing a key record another process holds
// (KeyUpdate, KeyDelete) fails with ErrLockLost and stores nothing of
// itself; the holder's phases write it.
func testKeyFencing(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	p := newPhone(b.live, b.liveSubject.ID)
	k := b.runKey(b.proc)
	k.ResourceID = p.ID
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
	must(t, err)
	b.wantKey(t, "created key", b.stored(k))

	// Another process: neither its update nor its delete is stored, nor
	// the phase they come with.
	thief := finished(k, 502, `{"error":"stolen"}`)
	thief.LockedBy = newID()
	for _, pr := range []store.Progress{keyUpdate(thief), keyDelete(thief)} {
		_, err = b.s.FailPhone(b.ctx, p.ID, refundFor(p), pr)
		wantErr(t, err, store.ErrLockLost)
	}
	// Nor one locked by no one.
	nobody := *thief
	nobody.LockedBy = ""
	wantErr(t, b.s.SaveProgress(b.ctx, keyUpdate(&nobody)), store.ErrLockLost)
	wantErr(t, b.s.SaveProgress(b.ctx, keyDelete(&nobody)), store.ErrLockLost)
	equal(t, "phone after lost phases", b.phoneStatus(t, b.live, p.ID), naive.PhoneProvisioning)
	if bal, _ := b.checkLedger(t, b.live); bal != 1000-price {
		t.Fatalf("balance after lost phases = %d, want %d", bal, 1000-price)
	}
	b.wantKey(t, "key after lost phases", b.stored(k))

	// The holder's update: stored with its phase, and completing releases.
	done := finished(k, 502, `{"error": {"code": "carrier_error"}}`)
	_, err = b.s.FailPhone(b.ctx, p.ID, refundFor(p), keyUpdate(done))
	must(t, err)
	b.wantKey(t, "completed key", b.stored(done))
	if b.stored(done).LockedBy != "" {
		t.Fatal("a completed key is still locked")
	}
	// A completed key takes no more updates or deletes, even its holder's.
	again := *done
	again.Status, again.UpdatedAt = 200, now()
	wantErr(t, b.s.SaveProgress(b.ctx, keyUpdate(&again)), store.ErrLockLost)
	wantErr(t, b.s.SaveProgress(b.ctx, keyDelete(&again)), store.ErrLockLost)
	b.wantKey(t, "completed key after late phases", b.stored(done))

	// Delete: only by the holder, with its phase.
	p2 := newPhone(b.live, b.liveSubject.ID)
	k2 := b.runKey(b.proc)
	k2.ResourceID = p2.ID
	_, err = b.s.ReservePhone(b.ctx, p2, debitFor(p2), keyCreate(k2))
	must(t, err)
	thief2 := *k2
	thief2.LockedBy = newID()
	_, err = b.s.FailPhone(b.ctx, p2.ID, refundFor(p2), keyDelete(&thief2))
	wantErr(t, err, store.ErrLockLost)
	equal(t, "phone after a lost delete", b.phoneStatus(t, b.live, p2.ID), naive.PhoneProvisioning)
	b.wantKey(t, "key after a lost delete", b.stored(k2))
	_, err = b.s.FailPhone(b.ctx, p2.ID, refundFor(p2), keyDelete(k2))
	must(t, err)
	b.wantNoKey(t, "deleted key", k2)
	equal(t, "phone after the delete", b.phoneStatus(t, b.live, p2.ID), naive.PhoneFailed)

	// A released key is held by no one: its former holder's update fails.
	k3 := b.runKey(b.proc)
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k3)))
	must(t, b.s.ReleaseIdempotent(b.ctx, k3))
	upd := *k3
	upd.ResourceID, upd.UpdatedAt = "ph_x", now()
	wantErr(t, b.s.SaveProgress(b.ctx, keyUpdate(&upd)), store.ErrLockLost)
	released := b.stored(k3)
	released.LockedBy, released.OwnerAlive = "", false
	b.wantKey(t, "released key after a lost update", released)

	if bal, _ := b.checkLedger(t, b.live); bal != 1000 {
		t.Fatalf("final balance = %d, want 1000 (two refunds)", bal)
	}
}

// testTakeOver: a record held by a live process is not taken over; one
// whose holder's heartbeat is older than liveAfter, was unregistered or
// released it is, by exactly one of concurrent takers, who then reads the
// whole record. A finished record is never taken over.
func testTakeOver(t *testing.T, b *bundle) {
	t0 := now()
	take := func(k *store.IdempotencyRecord, liveAfter time.Time) (*store.IdempotencyRecord, bool) {
		t.Helper()
		taker := &store.IdempotencyRecord{OperatorID: k.OperatorID, PrincipalID: k.PrincipalID, Key: k.Key,
			LockedBy: b.proc, UpdatedAt: now()}
		ok, err := b.s.TakeOverIdempotent(b.ctx, taker, liveAfter)
		must(t, err)
		return taker, ok
	}

	owner := b.process(t, t0)
	k := b.runKey(owner)
	k.ResourceID = newID()
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k)))
	if _, ok := take(k, t0); ok {
		t.Fatal("took over a record whose holder heartbeat at liveAfter")
	}
	held := b.stored(k)
	held.OwnerAlive = true
	b.wantKey(t, "record after a refused takeover", held)
	taker, ok := take(k, t0.Add(time.Second))
	if !ok {
		t.Fatal("did not take over a record whose holder's heartbeat is older than liveAfter")
	}
	want := b.stored(k)
	want.LockedBy, want.UpdatedAt = b.proc, taker.UpdatedAt
	got := *taker
	got.OwnerAlive, want.OwnerAlive = false, false // as read by the taker: not part of the contract
	equal(t, "taken-over record (filled in)", got, want)
	want.OwnerAlive = true
	b.wantKey(t, "taken-over record", want)
	// The former holder has lost it.
	late := finished(k, 200, `{}`)
	wantErr(t, b.s.SaveProgress(b.ctx, keyUpdate(late)), store.ErrLockLost)
	wantErr(t, b.s.CompleteIdempotent(b.ctx, late), store.ErrLockLost)

	// Unregistered: taken over at once.
	owner2 := b.process(t, now())
	k2 := b.runKey(owner2)
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k2)))
	if _, ok := take(k2, b.liveAfter); ok {
		t.Fatal("took over a record of a live process")
	}
	must(t, b.s.UnregisterProcess(b.ctx, owner2))
	if _, ok := take(k2, b.liveAfter); !ok {
		t.Fatal("did not take over a record of an unregistered process")
	}

	// Released: taken over at once, whatever liveAfter.
	k3 := b.runKey(b.proc)
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k3)))
	must(t, b.s.ReleaseIdempotent(b.ctx, k3))
	if _, ok := take(k3, time.Time{}); !ok {
		t.Fatal("did not take over a released record")
	}

	// Finished or unknown: never.
	k4 := finished(b.runKey(b.deadProcess(t)), 200, `{"ok":true}`)
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k4)))
	if _, ok := take(k4, now().Add(time.Hour)); ok {
		t.Fatal("took over a finished record")
	}
	b.wantKey(t, "finished record after a takeover", b.stored(k4))
	if _, ok := take(b.runKey(""), now()); ok {
		t.Fatal("took over an unknown key")
	}

	// 20 takers of a dead process's record: exactly one wins.
	k5 := b.runKey(b.deadProcess(t))
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k5)))
	// The takers heartbeat: a winner's record is not taken from it again.
	takers := make([]string, 20)
	for i := range takers {
		takers[i] = b.process(t, now())
	}
	var won atomic.Int32
	winners := make([]string, 20)
	concurrently(20, func(i int) {
		taker := &store.IdempotencyRecord{OperatorID: k5.OperatorID, PrincipalID: k5.PrincipalID, Key: k5.Key,
			LockedBy: takers[i], UpdatedAt: now()}
		ok, err := b.s.TakeOverIdempotent(b.ctx, taker, b.liveAfter)
		if err != nil {
			t.Errorf("TakeOverIdempotent: %v", err)
		}
		if ok {
			won.Add(1)
			winners[i] = taker.LockedBy
		}
	})
	if won.Load() != 1 {
		t.Fatalf("%d of 20 concurrent takers won, want 1", won.Load())
	}
	var winner string
	for _, w := range winners {
		if w != "" {
			winner = w
		}
	}
	if got := b.getKey(t, k5); got.LockedBy != winner {
		t.Fatalf("record locked by %s, want the winner %s", got.LockedBy, winner)
	}
}

// testKeyExpiry: a record older than KeyTTL is absent for reads and
// replaced by a phase creating its key; a younger one fails it with
// ErrKeyExists, storing nothing of it.
func testKeyExpiry(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	for _, completed := range []bool{false, true} {
		old := b.runKey(b.deadProcess(t))
		old.CreatedAt, old.UpdatedAt = b.expired(), b.expired()
		if completed {
			old = finished(old, 200, `{"old":true}`)
			old.UpdatedAt = b.expired()
		}
		must(t, b.s.SaveProgress(b.ctx, keyCreate(old)))
		b.wantNoKey(t, "record older than KeyTTL", old)
		p := newPhone(b.live, b.liveSubject.ID)
		k := b.runKey(b.proc)
		k.Key, k.ResourceID = old.Key, p.ID
		_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
		must(t, err)
		b.wantKey(t, "record replacing an expired one", b.stored(k))
	}

	young := b.runKey(b.deadProcess(t))
	young.CreatedAt = now().Add(-store.KeyTTL + time.Minute)
	young.UpdatedAt = young.CreatedAt
	must(t, b.s.SaveProgress(b.ctx, keyCreate(young)))
	p := newPhone(b.live, b.liveSubject.ID)
	k := b.runKey(b.proc)
	k.Key = young.Key
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
	wantErr(t, err, store.ErrKeyExists)
	_, err = b.s.GetPhone(b.ctx, b.live, p.ID)
	wantErr(t, err, store.ErrNotFound)
	b.wantKey(t, "record younger than KeyTTL", b.stored(young))
	if bal, _ := b.checkLedger(t, b.live); bal != 1000-2*price {
		t.Fatalf("balance = %d, want %d", bal, 1000-2*price)
	}
}

// testReserveKeyAtomic: a first phase that fails on its own terms
// (credits short, subject gone) leaves no key record, so a retry starts
// afresh; one that succeeds stores phone, debit and key together.
func testReserveKeyAtomic(t *testing.T, b *bundle) {
	b.grant(t, b.live, price)
	poor := newPhone(b.live, b.liveSubject.ID)
	poor.Price = price + 1
	k := b.runKey(b.proc)
	_, err := b.s.ReservePhone(b.ctx, poor, debitFor(poor), keyCreate(k))
	wantErr(t, err, store.ErrInsufficientCredits)
	b.wantNoKey(t, "key of a short reserve", k)
	_, err = b.s.GetPhone(b.ctx, b.live, poor.ID)
	wantErr(t, err, store.ErrNotFound)

	orphan := newPhone(b.live, newID())
	_, err = b.s.ReservePhone(b.ctx, orphan, debitFor(orphan), keyCreate(k))
	wantErr(t, err, store.ErrNotFound)
	b.wantNoKey(t, "key of a reserve for no subject", k)
	if bal, entries := b.checkLedger(t, b.live); bal != price || len(entries) != 1 {
		t.Fatalf("balance %d with %d entries after failed reserves, want %d with 1", bal, len(entries), price)
	}

	p := newPhone(b.live, b.liveSubject.ID)
	k.ResourceID = p.ID
	bal, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
	must(t, err)
	if bal != 0 {
		t.Fatalf("balance after reserve = %d, want 0", bal)
	}
	b.wantKey(t, "key of a reserve", b.stored(k))
	equal(t, "reserved phone", b.phoneStatus(t, b.live, p.ID), naive.PhoneProvisioning)
}

// testRenderBalance: Render runs after the method's writes, so the
// response it renders into the key sees the balance after.
func testRenderBalance(t *testing.T, b *bundle) {
	grant := &naive.LedgerEntry{ID: newID(), Amount: 500, Reason: naive.LedgerGrant, Actor: human(b),
		OperatorID: b.live.OperatorID, Mode: b.live.Mode, CreatedAt: now()}
	k := b.runKey(b.proc)
	k.Action = naive.ActionCreditsGrant
	render := func(k *store.IdempotencyRecord, e *naive.LedgerEntry) func() {
		return func() {
			k.Completed, k.RecoveryPoint, k.Status = true, store.PointFinished, 200
			k.Body = fmt.Appendf(nil, `{"balance":%d}`, e.BalanceAfter)
		}
	}
	pr := keyCreate(k)
	pr.Render = render(k, grant)
	bal, err := b.s.AddLedgerEntry(b.ctx, grant, pr)
	must(t, err)
	if bal != 500 || grant.BalanceAfter != 500 {
		t.Fatalf("AddLedgerEntry = %d, BalanceAfter %d; want 500", bal, grant.BalanceAfter)
	}
	equal(t, "rendered body", string(b.getKey(t, k).Body), `{"balance":500}`)
	b.wantKey(t, "completed key of a grant", b.stored(k))

	p := newPhone(b.live, b.liveSubject.ID)
	debit := debitFor(p)
	k2 := b.runKey(b.proc)
	pr = keyCreate(k2)
	pr.Render = render(k2, debit)
	_, err = b.s.ReservePhone(b.ctx, p, debit, pr)
	must(t, err)
	equal(t, "rendered body of a reserve", string(b.getKey(t, k2).Body), fmt.Sprintf(`{"balance":%d}`, 500-price))
}

// testActivatePhoneRun: the last phase of a provision stores the number,
// the assignment, the events and the key together; an agent deleted
// meanwhile fails all of it with ErrNotFound.
func testActivatePhoneRun(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	gone := b.newAgent(t, b.live)
	p := newPhone(b.live, b.liveSubject.ID)
	k := b.runKey(b.proc)
	k.ResourceID = p.ID
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
	must(t, err)
	must(t, b.s.DeleteAgent(b.ctx, b.live, gone.ID))

	assign := func(agentID string) *naive.Assignment {
		return &naive.Assignment{AgentID: agentID, Permissions: []string{naive.PermSendSMS, naive.PermReceiveSMS},
			CreatedAt: now(), OperatorID: b.live.OperatorID, Mode: b.live.Mode}
	}
	ev := phoneEvent(b.live, naive.EventPhoneProvisioned, p.ID)
	act := &store.PhoneActivation{ID: p.ID, E164: "+14155550142", CarrierID: "pn_" + newID(),
		Assignment: assign(gone.ID), Events: []*naive.Event{ev}}
	done := finished(k, 201, `{"phone":{"id":"`+p.ID+`"}}`)
	wantErr(t, b.s.ActivatePhone(b.ctx, act, keyUpdate(done)), store.ErrNotFound)
	equal(t, "phone after a failed activation", b.phoneStatus(t, b.live, p.ID), naive.PhoneProvisioning)
	b.wantNoEvent(t, "event of a failed activation", ev)
	b.wantKey(t, "key after a failed activation", b.stored(k))
	empty(t, "assignments after a failed activation", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t))

	// A lost key fails it too.
	agent := b.newAgent(t, b.live)
	act.Assignment = assign(agent.ID)
	thief := *done
	thief.LockedBy = newID()
	wantErr(t, b.s.ActivatePhone(b.ctx, act, keyUpdate(&thief)), store.ErrLockLost)
	equal(t, "phone after a lost activation", b.phoneStatus(t, b.live, p.ID), naive.PhoneProvisioning)
	b.wantNoEvent(t, "event of a lost activation", ev)
	empty(t, "assignments after a lost activation", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t))

	must(t, b.s.ActivatePhone(b.ctx, act, keyUpdate(done)))
	got, err := b.s.GetPhone(b.ctx, b.live, p.ID)
	must(t, err)
	if got.Status != naive.PhoneActive || got.E164 != act.E164 || got.CarrierID != act.CarrierID {
		t.Fatalf("activated phone = %s", show(got))
	}
	act.Assignment.PhoneID = p.ID
	equal(t, "assignments", must2(b.s.ListAssignments(b.ctx, b.live, p.ID))(t), []naive.Assignment{*act.Assignment})
	b.wantEvent(t, "phone.provisioned", ev)
	b.wantKey(t, "key of an activated phone", b.stored(done))

	// Once: a second activation stores nothing.
	ev2 := phoneEvent(b.live, naive.EventPhoneProvisioned, p.ID)
	wantErr(t, b.s.ActivatePhone(b.ctx, &store.PhoneActivation{ID: p.ID, E164: "+14155550143", CarrierID: "pn_2",
		Events: []*naive.Event{ev2}}, noRun), store.ErrConflict)
	b.wantNoEvent(t, "event of a second activation", ev2)
	wantErr(t, b.s.ActivatePhone(b.ctx, activation(newID(), "+1", "pn_3", ""), noRun), store.ErrNotFound)
}

// testFailPhoneRun: failing a phone twice refunds once; the second call's
// progress is not stored either.
func testFailPhoneRun(t *testing.T, b *bundle) {
	b.grant(t, b.live, price)
	p := newPhone(b.live, b.liveSubject.ID)
	k := b.runKey(b.proc)
	k.ResourceID = p.ID
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), keyCreate(k))
	must(t, err)
	first := *k
	first.RecoveryPoint, first.ResourceID, first.UpdatedAt = store.PointStarted, "", now()
	bal, err := b.s.FailPhone(b.ctx, p.ID, refundFor(p), keyUpdate(&first))
	must(t, err)
	if bal != price {
		t.Fatalf("balance after FailPhone = %d, want %d", bal, price)
	}
	second := finished(&first, 502, `{"error":"twice"}`)
	_, err = b.s.FailPhone(b.ctx, p.ID, refundFor(p), keyUpdate(second))
	wantErr(t, err, store.ErrConflict)
	b.wantKey(t, "key after a second FailPhone", b.stored(&first))
	bal, entries := b.checkLedger(t, b.live)
	if bal != price || len(entries) != 3 {
		t.Fatalf("balance %d with %d entries, want %d with 3 (grant, debit, one refund)", bal, len(entries), price)
	}
}

// testPhaseProgress: every other phase method applies its progress in its
// own transaction: with it on success, neither on failure.
func testPhaseProgress(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	phone := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550150")

	// MarkPhoneReleased: events and key, or nothing.
	k := b.runKey(b.proc)
	k.Action, k.ResourceID = naive.ActionPhoneRelease, phone.ID
	must(t, b.s.SaveProgress(b.ctx, keyCreate(k)))
	ev := phoneEvent(b.live, naive.EventPhoneReleased, phone.ID)
	thief := finished(k, 200, `{}`)
	thief.LockedBy = newID()
	_, err := b.s.MarkPhoneReleased(b.ctx, b.live, phone.ID, now(), []*naive.Event{ev}, keyUpdate(thief))
	wantErr(t, err, store.ErrLockLost)
	equal(t, "phone after a lost release", b.phoneStatus(t, b.live, phone.ID), naive.PhoneActive)
	b.wantNoEvent(t, "event of a lost release", ev)
	done := finished(k, 200, `{"released":true}`)
	rel, err := b.s.MarkPhoneReleased(b.ctx, b.live, phone.ID, now(), []*naive.Event{ev}, keyUpdate(done))
	must(t, err)
	if rel.Status != naive.PhoneReleased {
		t.Fatalf("released phone = %s", show(rel))
	}
	b.wantEvent(t, "phone.released", ev)
	b.wantKey(t, "key of a release", b.stored(done))

	// ReserveMessage: a key taken stores no message and charges nothing.
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550151")
	taken := b.runKey(b.proc)
	must(t, b.s.SaveProgress(b.ctx, keyCreate(taken)))
	m := outbound(p, "+14155551234")
	mk := b.runKey(b.proc)
	mk.Key, mk.Action = taken.Key, naive.ActionSMSSend
	_, err = b.s.ReserveMessage(b.ctx, m, messageDebit(m), keyCreate(mk))
	wantErr(t, err, store.ErrKeyExists)
	_, err = b.s.GetMessage(b.ctx, b.live, m.ID)
	wantErr(t, err, store.ErrNotFound)
	if bal, _ := b.checkLedger(t, b.live); bal != 1000 {
		t.Fatalf("balance after a refused send = %d, want 1000", bal)
	}
	mk = b.runKey(b.proc)
	mk.Action, mk.ResourceID = naive.ActionSMSSend, m.ID
	_, err = b.s.ReserveMessage(b.ctx, m, messageDebit(m), keyCreate(mk))
	must(t, err)
	b.wantKey(t, "key of a send", b.stored(mk))

	// SetMessageCarrierID: the carrier id is not recorded with a lost key.
	lost := *mk
	lost.LockedBy, lost.UpdatedAt = newID(), now()
	wantErr(t, b.s.SetMessageCarrierID(b.ctx, m.ID, "msg_lost", keyUpdate(&lost)), store.ErrLockLost)
	equal(t, "carrier id after a lost phase", b.message(t, b.live, m.ID).CarrierID, "")
	sent := *mk
	sent.RecoveryPoint, sent.UpdatedAt = "sent", now()
	must(t, b.s.SetMessageCarrierID(b.ctx, m.ID, "msg_"+m.ID, keyUpdate(&sent)))
	b.wantKey(t, "key of a sent message", b.stored(&sent))

	// FailMessage: the refund and the key together.
	q := outbound(p, "+14155551235")
	qk := b.runKey(b.proc)
	qk.Action, qk.ResourceID = naive.ActionSMSSend, q.ID
	_, err = b.s.ReserveMessage(b.ctx, q, messageDebit(q), keyCreate(qk))
	must(t, err)
	qLost := finished(qk, 502, `{}`)
	qLost.LockedBy = newID()
	_, err = b.s.FailMessage(b.ctx, q.ID, "carrier_error", messageRefund(q), now(), keyUpdate(qLost))
	wantErr(t, err, store.ErrLockLost)
	equal(t, "message after a lost fail", b.message(t, b.live, q.ID).Status, naive.MessageQueued)
	qDone := finished(qk, 502, `{"error":"carrier_error"}`)
	_, err = b.s.FailMessage(b.ctx, q.ID, "carrier_error", messageRefund(q), now(), keyUpdate(qDone))
	must(t, err)
	b.wantKey(t, "key of a failed send", b.stored(qDone))

	// AddLedgerEntry: no entry with a lost key.
	gk := b.runKey(b.proc)
	gk.LockedBy = newID()
	e := &naive.LedgerEntry{ID: newID(), Amount: 5, Reason: naive.LedgerGrant, Actor: human(b),
		OperatorID: b.live.OperatorID, Mode: b.live.Mode, CreatedAt: now()}
	must(t, b.s.SaveProgress(b.ctx, keyCreate(gk)))
	gk2 := *gk
	gk2.LockedBy, gk2.UpdatedAt = b.proc, now()
	_, err = b.s.AddLedgerEntry(b.ctx, e, keyUpdate(&gk2))
	wantErr(t, err, store.ErrLockLost)

	// CreateApproval: a key taken stores neither approval nor event.
	a := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
	aev := approvalEvent(a, naive.EventApprovalRequested)
	ak := b.runKey(b.proc)
	ak.Key = taken.Key
	wantErr(t, b.s.CreateApproval(b.ctx, a, aev, keyCreate(ak)), store.ErrKeyExists)
	_, err = b.s.GetApproval(b.ctx, b.live, a.ID)
	wantErr(t, err, store.ErrNotFound)
	b.wantNoEvent(t, "event of a refused approval", aev)
	ak = finished(b.runKey(b.proc), 202, `{"approval":{"id":"`+a.ID+`"}}`)
	must(t, b.s.CreateApproval(b.ctx, a, aev, keyCreate(ak)))
	b.wantKey(t, "key of an approval request", b.stored(ak))

	// Every entry stored is one of a phase that committed.
	bal, entries := b.checkLedger(t, b.live)
	// The grant, two free phones, the send's debit, the failed send's
	// debit and refund.
	if len(entries) != 6 || bal != 1000-m.CreditsUsed {
		t.Fatalf("balance %d with %d entries, want %d with 6", bal, len(entries), 1000-m.CreditsUsed)
	}
}

// testApprovalRuns: an executing approval is held by the process that
// claimed it; another takes it over only when that one is gone or
// released it, exactly one of concurrent takers; a phase writes the
// approval (its resource, its release, its outcome) only while its
// process holds it.
func testApprovalRuns(t *testing.T, b *bundle) {
	r := human(b)
	a := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	claimed, err := b.s.ClaimApproval(b.ctx, b.live, a.ID, r, now(), b.proc)
	must(t, err)
	if claimed.LockedBy != b.proc || claimed.ResourceID != "" {
		t.Fatalf("claimed approval locked by %q on %q, want %q on none", claimed.LockedBy, claimed.ResourceID, b.proc)
	}
	other := b.process(t, now())
	_, err = b.s.TakeOverApproval(b.ctx, b.live, a.ID, other, b.liveAfter)
	wantErr(t, err, store.ErrConflict)
	pending := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	_, err = b.s.TakeOverApproval(b.ctx, b.live, pending.ID, other, now().Add(time.Hour))
	wantErr(t, err, store.ErrConflict)
	for _, c := range []struct {
		sc naive.Scope
		id string
	}{{b.live, newID()}, {b.test, a.ID}, {b.other, a.ID}} {
		_, err = b.s.TakeOverApproval(b.ctx, c.sc, c.id, other, now().Add(time.Hour))
		wantErr(t, err, store.ErrNotFound)
	}

	// The holder's phase records the resource; another's stores nothing.
	p := newPhone(b.live, b.liveSubject.ID)
	p.Price = 0
	step := &store.ApprovalStep{ID: a.ID, Owner: other, ResourceID: p.ID}
	_, err = b.s.ReservePhone(b.ctx, p, debitFor(p), store.Progress{Approval: step})
	wantErr(t, err, store.ErrLockLost)
	_, err = b.s.GetPhone(b.ctx, b.live, p.ID)
	wantErr(t, err, store.ErrNotFound)
	step.Owner = b.proc
	_, err = b.s.ReservePhone(b.ctx, p, debitFor(p), store.Progress{Approval: step})
	must(t, err)
	got := b.approval(t, b.live, a.ID)
	if got.Status != naive.ApprovalExecuting || got.LockedBy != b.proc || got.ResourceID != p.ID {
		t.Fatalf("approval after the holder's phase = %s", show(got))
	}

	// Released: no one holds it; its former holder finishes nothing.
	must(t, b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: b.proc,
		ResourceID: p.ID, Release: true}}))
	got = b.approval(t, b.live, a.ID)
	if got.LockedBy != "" || got.ResourceID != p.ID || got.Status != naive.ApprovalExecuting {
		t.Fatalf("released approval = %s", show(got))
	}
	fin := got
	fin.Status = naive.ApprovalExecuted
	wantErr(t, b.s.FinishApproval(b.ctx, &fin, approvalEvent(a, naive.EventApprovalResolved)), store.ErrConflict)
	fin.LockedBy = b.proc
	wantErr(t, b.s.FinishApproval(b.ctx, &fin, approvalEvent(a, naive.EventApprovalResolved)), store.ErrConflict)
	wantErr(t, b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: b.proc}}),
		store.ErrLockLost)

	// Taken over by another: the run's resource comes with it.
	took, err := b.s.TakeOverApproval(b.ctx, b.live, a.ID, other, now().Add(time.Hour))
	must(t, err)
	want := got
	want.LockedBy = other
	equal(t, "taken-over approval", *took, want)
	equal(t, "stored taken-over approval", b.approval(t, b.live, a.ID), want)

	// Its last phase finishes it with the phase: result, release, event.
	ev := approvalEvent(a, naive.EventApprovalResolved)
	result := json.RawMessage(`{"phone": {"id": "` + p.ID + `"}}`)
	outcome := &naive.Approval{Status: naive.ApprovalExecuted, Result: result}
	k := finished(b.runKey(other), 202, `{}`)
	lostStep := &store.ApprovalStep{ID: a.ID, Owner: b.proc, ResourceID: p.ID, Finish: outcome, Event: ev}
	wantErr(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550160", "pn_"+newID(), ""),
		store.Progress{Key: k, KeyOp: store.KeyCreate, Approval: lostStep}), store.ErrLockLost)
	equal(t, "phone after a lost last phase", b.phoneStatus(t, b.live, p.ID), naive.PhoneProvisioning)
	b.wantNoKey(t, "key of a lost last phase", k)
	b.wantNoEvent(t, "event of a lost last phase", ev)
	equal(t, "approval after a lost last phase", b.approval(t, b.live, a.ID), want)
	step = &store.ApprovalStep{ID: a.ID, Owner: other, ResourceID: p.ID, Finish: outcome, Event: ev}
	must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550160", "pn_"+newID(), ""),
		store.Progress{Key: k, KeyOp: store.KeyCreate, Approval: step}))
	want.Status, want.Result, want.LockedBy = naive.ApprovalExecuted, result, ""
	equal(t, "finished approval", b.approval(t, b.live, a.ID), want)
	equal(t, "finished approval (written back)", *outcome, want)
	b.wantEvent(t, "approval.resolved of a last phase", ev)
	if string(b.approval(t, b.live, a.ID).Result) != string(result) {
		t.Fatal("result not stored byte for byte")
	}
	wantErr(t, b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: other,
		Finish: &naive.Approval{Status: naive.ApprovalFailed}}}), store.ErrLockLost)
	_, err = b.s.TakeOverApproval(b.ctx, b.live, a.ID, b.proc, now().Add(time.Hour))
	wantErr(t, err, store.ErrConflict)

	// A failed outcome stores its error object.
	f := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	must2(b.s.ClaimApproval(b.ctx, b.live, f.ID, r, now(), b.proc))(t)
	failed := &naive.Approval{Status: naive.ApprovalFailed,
		Error: &naive.ErrorObject{Code: naive.EInternal, Message: "The carrier refused.", Fields: map[string]any{"n": 1}}}
	must(t, b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: f.ID, Owner: b.proc, Finish: failed,
		Event: approvalEvent(f, naive.EventApprovalResolved)}}))
	gotF := b.approval(t, b.live, f.ID)
	if gotF.Status != naive.ApprovalFailed || gotF.Error == nil || gotF.Error.Message != "The carrier refused." ||
		gotF.Error.Fields["n"] != float64(1) || gotF.LockedBy != "" {
		t.Fatalf("failed approval = %s", show(gotF))
	}

	// A dead holder's approval: of 20 concurrent takers exactly one wins.
	d := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	must2(b.s.ClaimApproval(b.ctx, b.live, d.ID, r, now(), b.deadProcess(t)))(t)
	takers := make([]string, 20)
	for i := range takers {
		takers[i] = b.process(t, now())
	}
	var won, conflict atomic.Int32
	winners := make([]string, 20)
	concurrently(20, func(i int) {
		owner := takers[i]
		got, err := b.s.TakeOverApproval(b.ctx, b.live, d.ID, owner, b.liveAfter)
		switch {
		case err == nil:
			won.Add(1)
			winners[i] = owner
			if got.LockedBy != owner {
				t.Errorf("taken-over approval locked by %s, want %s", got.LockedBy, owner)
			}
		case errors.Is(err, store.ErrConflict):
			conflict.Add(1)
		default:
			t.Errorf("TakeOverApproval: %v", err)
		}
	})
	if won.Load() != 1 || conflict.Load() != 19 {
		t.Fatalf("20 concurrent takeovers: %d won, %d conflicts; want 1 and 19", won.Load(), conflict.Load())
	}
	for _, w := range winners {
		if w != "" && b.approval(t, b.live, d.ID).LockedBy != w {
			t.Fatalf("approval locked by %s, want the winner %s", b.approval(t, b.live, d.ID).LockedBy, w)
		}
	}
}

// testClaimsDeadClaimers: a registration claimed by a process that is gone
// (or released) is taken over however fresh the claim; a brand keeps its
// carrier id through abandon and takeover.
func testClaimsDeadClaimers(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	dead := b.deadProcess(t)
	first := b.brandFor(b.live, subj)
	first.ClaimedBy = dead
	_, claimed, err := b.s.ClaimBrand(b.ctx, first, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("first ClaimBrand: claimed = false")
	}
	// Fresh, but its process is gone: taken over, the carrier id kept.
	must(t, b.s.SetBrandCarrierID(b.ctx, subj, first.ClaimToken, "acct_1", now()))
	wantErr(t, b.s.SetBrandCarrierID(b.ctx, subj, newID(), "acct_x", now()), store.ErrConflict)
	second := b.brandFor(b.live, subj)
	second.EIN = ""
	got, claimed, err := b.s.ClaimBrand(b.ctx, second, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed || got.ClaimToken != second.ClaimToken || got.ClaimedBy != b.proc || got.CarrierID != "acct_1" ||
		got.EIN != first.EIN {
		t.Fatalf("brand taken over from a dead claimer: claimed %v, %s", claimed, show(got))
	}
	wantErr(t, b.s.SetBrandCarrierID(b.ctx, subj, first.ClaimToken, "acct_2", now()), store.ErrConflict)
	// Held by a live process: not taken over.
	third := b.brandFor(b.live, subj)
	got, claimed, err = b.s.ClaimBrand(b.ctx, third, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if claimed || got.ClaimToken != second.ClaimToken {
		t.Fatalf("ClaimBrand took over a live claim: %s", show(got))
	}

	// Abandoned with a carrier id: kept, claim released, taken over at
	// once with the carrier id, the EIN replaced.
	must(t, b.s.AbandonBrand(b.ctx, subj, second.ClaimToken))
	got, err = b.s.GetBrand(b.ctx, b.live, subj)
	must(t, err)
	if got.ClaimToken != "" || got.CarrierID != "acct_1" || got.Status != naive.BrandRegistering || got.EIN != first.EIN {
		t.Fatalf("abandoned brand with a carrier id = %s, want kept with its claim released", show(got))
	}
	wantErr(t, b.s.SetBrandCarrierID(b.ctx, subj, second.ClaimToken, "acct_2", now()), store.ErrConflict)
	fourth := b.brandFor(b.live, subj)
	fourth.EIN = "98-7654321"
	got, claimed, err = b.s.ClaimBrand(b.ctx, fourth, now(), b.liveAfter)
	must(t, err)
	if !claimed || got.CarrierID != "acct_1" || got.EIN != "98-7654321" || got.ClaimToken != fourth.ClaimToken {
		t.Fatalf("claim of an abandoned brand: claimed %v, %s", claimed, show(got))
	}
	must(t, b.s.CompleteBrand(b.ctx, subj, fourth.ClaimToken, "acct_1", "", now()))
	wantErr(t, b.s.SetBrandCarrierID(b.ctx, subj, fourth.ClaimToken, "acct_3", now()), store.ErrConflict)

	// Campaigns: the same.
	c := b.campaignFor(b.live, subj, naive.Campaign10DLC)
	c.ClaimedBy = dead
	_, claimed, err = b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("first ClaimCampaign: claimed = false")
	}
	c2 := b.campaignFor(b.live, subj, naive.Campaign10DLC)
	gotC, claimed, err := b.s.ClaimCampaign(b.ctx, c2, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed || gotC.ID != c.ID || gotC.ClaimToken != c2.ClaimToken || gotC.ClaimedBy != b.proc {
		t.Fatalf("campaign taken over from a dead claimer: claimed %v, %s", claimed, show(gotC))
	}
	c3 := b.campaignFor(b.live, subj, naive.Campaign10DLC)
	gotC, claimed, err = b.s.ClaimCampaign(b.ctx, c3, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if claimed || gotC.ClaimToken != c2.ClaimToken {
		t.Fatalf("ClaimCampaign took over a live claim: %s", show(gotC))
	}
	wantErr(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_1", naive.CampaignCreated, now()), store.ErrConflict)
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c2.ClaimToken, "cmp_1", naive.CampaignCreated, now()))
}

// testStaleRuns: ListStaleRuns lists the unfinished runs of an action
// whose process is gone or released them, of every tenant, oldest first;
// PurgeIdempotent deletes only finished records created before its cut.
func testStaleRuns(t *testing.T, b *bundle) {
	t0 := now()
	dead := b.deadProcess(t)
	mk := func(operatorID, action, owner string, age time.Duration, completed bool) *store.IdempotencyRecord {
		t.Helper()
		k := b.runKey(owner)
		k.OperatorID, k.Action = operatorID, action
		k.CreatedAt, k.UpdatedAt = t0.Add(-age), t0.Add(-age)
		if completed {
			k = finished(k, 200, `{}`)
		}
		must(t, b.s.SaveProgress(b.ctx, keyCreate(k)))
		return k
	}
	op, other := b.op.ID, b.other.OperatorID
	deadRun := mk(op, naive.ActionPhoneProvision, dead, 3*time.Hour, false)
	releasedRun := mk(op, naive.ActionSMSSend, b.proc, 2*time.Hour, false)
	must(t, b.s.ReleaseIdempotent(b.ctx, releasedRun))
	mk(op, naive.ActionPhoneProvision, b.proc, 4*time.Hour, false) // alive
	mk(op, "", dead, 5*time.Hour, false)                           // a plain request
	oldDone := mk(op, naive.ActionPhoneProvision, dead, 6*time.Hour, true)
	newDone := mk(op, naive.ActionPhoneRelease, dead, time.Hour, true)
	otherRun := mk(other, naive.ActionPhoneRelease, dead, time.Hour, false)

	list := func(limit int) []store.IdempotencyRecord {
		t.Helper()
		l, err := b.s.ListStaleRuns(b.ctx, b.liveAfter, limit)
		must(t, err)
		return l
	}
	keys := func(l []store.IdempotencyRecord) []string {
		return ids(l, func(r store.IdempotencyRecord) string { return r.Key })
	}
	equal(t, "stale runs", keys(list(0)), []string{deadRun.Key, releasedRun.Key, otherRun.Key})
	equal(t, "stale runs, limit 2", keys(list(2)), []string{deadRun.Key, releasedRun.Key})
	released := *releasedRun
	released.LockedBy = ""
	equal(t, "listed stale runs", list(2), []store.IdempotencyRecord{b.stored(deadRun), released})
	// Taken over, a run is no longer stale.
	taker := &store.IdempotencyRecord{OperatorID: op, PrincipalID: deadRun.PrincipalID, Key: deadRun.Key,
		LockedBy: b.proc, UpdatedAt: now()}
	ok, err := b.s.TakeOverIdempotent(b.ctx, taker, b.liveAfter)
	must(t, err)
	if !ok {
		t.Fatal("TakeOverIdempotent of a stale run = false")
	}
	equal(t, "stale runs after a takeover", keys(list(0)), []string{releasedRun.Key, otherRun.Key})

	n, err := b.s.PurgeIdempotent(b.ctx, t0.Add(-2*time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("PurgeIdempotent deleted %d records, want 1", n)
	}
	b.wantNoKey(t, "purged record", oldDone)
	b.wantKey(t, "finished record younger than the cut", b.stored(newDone))
	b.wantKey(t, "unfinished record older than the cut", b.stored(taker))
	if n, err := b.s.PurgeIdempotent(b.ctx, t0.Add(-2*time.Hour)); err != nil || n != 0 {
		t.Fatalf("second PurgeIdempotent = %d, %v; want 0", n, err)
	}
}

// testGetLedgerEntry: the scope's newest entry of a reason for a
// reference.
func testGetLedgerEntry(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	p := newPhone(b.live, b.liveSubject.ID)
	_, err := b.s.GetLedgerEntry(b.ctx, b.live, naive.LedgerPhoneProvision, p.ID)
	wantErr(t, err, store.ErrNotFound)
	debit := debitFor(p)
	_, err = b.s.ReservePhone(b.ctx, p, debit, noRun)
	must(t, err)
	refund := refundFor(p)
	_, err = b.s.FailPhone(b.ctx, p.ID, refund, noRun)
	must(t, err)
	got, err := b.s.GetLedgerEntry(b.ctx, b.live, naive.LedgerPhoneProvision, p.ID)
	must(t, err)
	equal(t, "debit", *got, *debit)
	got, err = b.s.GetLedgerEntry(b.ctx, b.live, naive.LedgerPhoneRefund, p.ID)
	must(t, err)
	equal(t, "refund", *got, *refund)
	again := debitFor(p)
	_, err = b.s.AddLedgerEntry(b.ctx, again, noRun)
	must(t, err)
	got, err = b.s.GetLedgerEntry(b.ctx, b.live, naive.LedgerPhoneProvision, p.ID)
	must(t, err)
	equal(t, "newest debit", *got, *again)
	for _, sc := range []naive.Scope{b.test, b.other} {
		_, err = b.s.GetLedgerEntry(b.ctx, sc, naive.LedgerPhoneProvision, p.ID)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = b.s.GetLedgerEntry(b.ctx, b.live, naive.LedgerGrant, p.ID)
	wantErr(t, err, store.ErrNotFound)
}
