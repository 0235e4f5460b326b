package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// What the console (and its REST routes) needs of a store beyond the
// rest: a human's sessions and password, a number's label, a delivery
// resent, and an approval sent back to pending.

func testUserSessions(t *testing.T, b *bundle) {
	at := now()
	var ss []*naive.Session
	for i := range 3 {
		s := &naive.Session{ID: newID(), UserID: b.user.ID, OperatorID: b.op.ID, TokenHash: "tok-" + newID(),
			CreatedAt: at.Add(time.Duration(i) * time.Second), ExpiresAt: at.Add(time.Hour), UserAgent: "agent/" + string(rune('a'+i)),
			ClientAddr: "192.0.2.1"}
		must(t, b.s.CreateSession(b.ctx, s))
		ss = append(ss, s)
	}
	expired := &naive.Session{ID: newID(), UserID: b.user.ID, OperatorID: b.op.ID, TokenHash: "tok-" + newID(),
		CreatedAt: at.Add(-2 * time.Hour), ExpiresAt: at.Add(-time.Hour)}
	must(t, b.s.CreateSession(b.ctx, expired))

	l, err := b.s.ListUserSessions(b.ctx, b.user.ID, at)
	must(t, err)
	equal(t, "sessions, newest first, unexpired", ids(l, func(s naive.Session) string { return s.ID }), []string{ss[2].ID, ss[1].ID, ss[0].ID})
	equal(t, "a listed session", l[2], *ss[0])
	empty(t, "another user's sessions", must2(b.s.ListUserSessions(b.ctx, newID(), at))(t))

	// A password change keeps one session and ends the others, together.
	n, err := b.s.SetPassword(b.ctx, b.user.ID, "new-hash", ss[1].ID)
	must(t, err)
	if n != 3 { // two live, one expired
		t.Fatalf("SetPassword ended %d sessions, want 3", n)
	}
	u, err := b.s.GetUser(b.ctx, b.user.ID)
	must(t, err)
	if u.PasswordHash != "new-hash" {
		t.Fatalf("password hash %q after SetPassword", u.PasswordHash)
	}
	l, err = b.s.ListUserSessions(b.ctx, b.user.ID, at)
	must(t, err)
	equal(t, "sessions after SetPassword", ids(l, func(s naive.Session) string { return s.ID }), []string{ss[1].ID})
	_, err = b.s.SetPassword(b.ctx, newID(), "x", "")
	wantErr(t, err, store.ErrNotFound)

	n, err = b.s.DeleteUserSessions(b.ctx, b.user.ID, "")
	must(t, err)
	if n != 1 {
		t.Fatalf("DeleteUserSessions ended %d, want 1", n)
	}
	_, err = b.s.GetSessionByHash(b.ctx, ss[1].TokenHash, at)
	wantErr(t, err, store.ErrNotFound)
}

func testSetPhoneLabel(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550190")
	got, err := b.s.SetPhoneLabel(b.ctx, b.live, p.ID, "Front desk")
	must(t, err)
	want := *p
	want.Label = "Front desk"
	equal(t, "relabelled phone", *got, want)
	again, err := b.s.GetPhone(b.ctx, b.live, p.ID)
	must(t, err)
	equal(t, "read after relabel", *again, want)
	for _, sc := range []naive.Scope{b.test, b.other} {
		_, err = b.s.SetPhoneLabel(b.ctx, sc, p.ID, "x")
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, p.ID, now(), nil, noRun)
	must(t, err)
	_, err = b.s.SetPhoneLabel(b.ctx, b.live, p.ID, "x")
	wantErr(t, err, store.ErrConflict)
}

func testRecordResend(t *testing.T, b *bundle) {
	e := newEndpoint(b.live, "")
	must(t, b.s.CreateWebhookEndpoint(b.ctx, e))
	d, _, err := b.s.CreateDelivery(b.ctx, newDelivery(e.ID, b.newEvent(t, b.live).ID))
	must(t, err)
	at := now()
	// Pending: its retries run; a resend is refused.
	_, err = b.s.RecordResend(b.ctx, b.live, e.ID, d.ID, naive.Attempt{StatusCode: 200, At: at}, naive.DeliverySucceeded)
	wantErr(t, err, store.ErrConflict)
	must(t, b.s.RecordAttempt(b.ctx, d.ID, naive.Attempt{StatusCode: 500, Error: "endpoint answered 500", At: at}, naive.DeliveryFailed, nil))

	got, err := b.s.RecordResend(b.ctx, b.live, e.ID, d.ID, naive.Attempt{StatusCode: 204, DurationMS: 3, At: at.Add(time.Second)}, naive.DeliverySucceeded)
	must(t, err)
	if got.Status != naive.DeliverySucceeded || len(got.Attempts) != 2 || got.Attempts[1].N != 2 || got.Attempts[1].StatusCode != 204 {
		t.Fatalf("resent delivery %+v", got)
	}
	got, err = b.s.RecordResend(b.ctx, b.live, e.ID, d.ID, naive.Attempt{Error: "refused", At: at.Add(2 * time.Second)}, naive.DeliveryFailed)
	must(t, err)
	if got.Status != naive.DeliveryFailed || len(got.Attempts) != 3 {
		t.Fatalf("resent again %+v", got)
	}
	for _, c := range []struct {
		sc         naive.Scope
		endpoint   string
		deliveryID string
	}{{b.test, e.ID, d.ID}, {b.other, e.ID, d.ID}, {b.live, newID(), d.ID}, {b.live, e.ID, newID()}} {
		_, err = b.s.RecordResend(b.ctx, c.sc, c.endpoint, c.deliveryID, naive.Attempt{At: at}, naive.DeliveryFailed)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = b.s.RecordResend(b.ctx, b.live, e.ID, d.ID, naive.Attempt{At: at}, naive.DeliveryPending)
	wantRequired(t, "RecordResend to pending", err)
}

func testApprovalReopen(t *testing.T, b *bundle) {
	a := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	must2(b.s.ClaimApproval(b.ctx, b.live, a.ID, human(b), now(), b.proc))(t)
	// Only the holder reopens it.
	err := b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: b.process(t, now()), Reopen: true}})
	wantErr(t, err, store.ErrLockLost)
	must(t, b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: b.proc, Reopen: true}}))
	got := b.approval(t, b.live, a.ID)
	if got.Status != naive.ApprovalPending || got.ResolvedBy != nil || got.ResolvedAt != nil || got.LockedBy != "" {
		t.Fatalf("reopened approval %+v, want pending, undecided, unlocked", got)
	}
	// Claimed again, it runs; once a resource is recorded it cannot be
	// reopened (something may have been spent).
	must2(b.s.ClaimApproval(b.ctx, b.live, a.ID, human(b), now(), b.proc))(t)
	p := newPhone(b.live, b.liveSubject.ID)
	p.Price = 0
	_, err = b.s.ReservePhone(b.ctx, p, debitFor(p), store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: b.proc, ResourceID: p.ID}})
	must(t, err)
	err = b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: a.ID, Owner: b.proc, Reopen: true}})
	wantErr(t, err, store.ErrLockLost)
	if got := b.approval(t, b.live, a.ID); got.Status != naive.ApprovalExecuting {
		t.Fatalf("approval with a resource after a refused reopen: %s", got.Status)
	}
}

func testLoginFailures(t *testing.T, b *bundle) {
	at := now()
	email, addr := "email:"+newID(), "addr:192.0.2."+newID()[:3]
	got, err := b.s.LoginFailures(b.ctx, []string{email, addr}, at.Add(-time.Hour))
	must(t, err)
	equal(t, "failures before any", len(got), 0)
	for i := range 3 {
		must(t, b.s.RecordLoginFailure(b.ctx, []string{email, addr}, at.Add(time.Duration(i)*time.Second), at.Add(-time.Hour)))
	}
	must(t, b.s.RecordLoginFailure(b.ctx, []string{addr}, at.Add(5*time.Second), at.Add(-time.Hour)))
	got, err = b.s.LoginFailures(b.ctx, []string{email, addr, "email:nobody"}, at.Add(-time.Hour))
	must(t, err)
	equal(t, "failures counted", got, map[string]store.LoginFailure{
		email: {Failures: 3, Last: at.Add(2 * time.Second)}, addr: {Failures: 4, Last: at.Add(5 * time.Second)}})
	// Counts whose last failure is too old are not read, and start again.
	got, err = b.s.LoginFailures(b.ctx, []string{email}, at.Add(3*time.Second))
	must(t, err)
	equal(t, "failures past the window", len(got), 0)
	must(t, b.s.RecordLoginFailure(b.ctx, []string{email}, at.Add(time.Hour), at.Add(time.Minute)))
	got, err = b.s.LoginFailures(b.ctx, []string{email}, at)
	must(t, err)
	equal(t, "a lapsed count restarted", got[email].Failures, 1)
	must(t, b.s.ClearLoginFailures(b.ctx, email))
	got, err = b.s.LoginFailures(b.ctx, []string{email, addr}, at.Add(-time.Hour))
	must(t, err)
	if _, ok := got[email]; ok || got[addr].Failures != 4 {
		t.Fatalf("after clearing the email: %v", got)
	}
	// Forgiving takes one back, never below zero, and is a no-op on an
	// unknown key.
	must(t, b.s.ForgiveLoginFailure(b.ctx, addr))
	must(t, b.s.ForgiveLoginFailure(b.ctx, "addr:nobody"))
	got, err = b.s.LoginFailures(b.ctx, []string{addr}, at.Add(-time.Hour))
	must(t, err)
	equal(t, "failures after one forgiven", got[addr].Failures, 3)
	for range 5 {
		must(t, b.s.ForgiveLoginFailure(b.ctx, addr))
	}
	got, err = b.s.LoginFailures(b.ctx, []string{addr}, at.Add(-time.Hour))
	must(t, err)
	if f, ok := got[addr]; ok && f.Failures != 0 {
		t.Fatalf("failures after forgiving more than were counted: %v", f)
	}
}

func testTakeRateTokens(t *testing.T, b *bundle) {
	at := now()
	key := "rate:" + newID()
	take := func(n int, dt time.Duration) int {
		t.Helper()
		got, err := b.s.TakeRateTokens(b.ctx, key, n, 10, 25, at.Add(dt))
		must(t, err)
		return got
	}
	// A new bucket is full (25); leases come out of it until it is empty.
	if got := []int{take(10, 0), take(10, 0), take(10, 0), take(10, 0)}; got[0] != 10 || got[1] != 10 || got[2] != 5 || got[3] != 0 {
		t.Fatalf("leases from a full bucket of 25: %v, want 10 10 5 0", got)
	}
	// It refills at 10 a second, up to the burst.
	if got := take(10, 500*time.Millisecond); got != 5 {
		t.Fatalf("after half a second: %d, want 5", got)
	}
	if got := take(100, time.Hour); got != 25 {
		t.Fatalf("after an hour: %d, want the burst, 25", got)
	}
	// A clock that goes back refills nothing.
	if got := take(1, time.Hour-time.Minute); got != 0 {
		t.Fatalf("with a clock going back: %d, want 0", got)
	}
	// Concurrent leases never hand out more than the bucket holds.
	key = "rate:" + newID()
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				got, err := b.s.TakeRateTokens(b.ctx, key, 3, 0.001, 40, at)
				if err != nil {
					t.Error(err)
					return
				}
				total.Add(int64(got))
			}
		}()
	}
	wg.Wait()
	if total.Load() != 40 {
		t.Fatalf("8 processes leased %d tokens from a bucket of 40", total.Load())
	}
}

func testRequesterStates(t *testing.T, b *bundle) {
	asked := func(key *naive.APIKey) naive.Approval {
		a := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
		a.RequestedBy.ID, a.RequesterAgentID = key.ID, key.AgentID
		return *a
	}
	keep, revoked, gone := b.newAgent(t, b.live), b.newAgent(t, b.live), b.newAgent(t, b.live)
	keys := []*naive.APIKey{b.boundKey(b.live, keep.ID), b.boundKey(b.live, revoked.ID), b.boundKey(b.live, gone.ID)}
	for _, k := range keys {
		must(t, b.s.CreateAPIKey(b.ctx, k))
	}
	must2(b.s.RevokeAPIKey(b.ctx, b.op.ID, keys[1].ID, now()))(t)
	must2(b.s.RevokeAPIKey(b.ctx, b.op.ID, keys[2].ID, now()))(t)
	must(t, b.s.DeleteAgent(b.ctx, b.live, gone.ID))
	unbound := &naive.APIKey{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeLive, Name: "operator", Prefix: "nv_sk_live",
		Hash: "hash-" + newID(), CreatedAt: now()}
	must(t, b.s.CreateAPIKey(b.ctx, unbound))
	human := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
	human.RequestedBy = naive.Actor{Type: string(naive.PrincipalHuman), ID: b.user.ID}
	as := []naive.Approval{asked(keys[0]), asked(keys[1]), asked(keys[2]), asked(unbound), *human}
	unknown := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour)) // its key never existed
	as = append(as, *unknown)
	got, err := b.s.RequesterStates(b.ctx, b.live, as)
	must(t, err)
	equal(t, "requester states", got, map[string]naive.RequesterState{
		as[0].ID: {}, as[1].ID: {KeyRevoked: true}, as[2].ID: {KeyRevoked: true, AgentDeleted: true}, as[3].ID: {},
		as[5].ID: {KeyRevoked: true, AgentDeleted: true}})
	// Another operator's scope sees every key as gone.
	got, err = b.s.RequesterStates(b.ctx, b.other, as[:1])
	must(t, err)
	equal(t, "another operator's requester", got[as[0].ID], naive.RequesterState{KeyRevoked: true, AgentDeleted: true})
	got, err = b.s.RequesterStates(b.ctx, b.live, nil)
	must(t, err)
	equal(t, "no approvals", len(got), 0)
}
