package storetest

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// rawPayload has odd spacing and key order: stores return JSON as given.
const rawPayload = `{"type": "local",  "area_code":"415", "nested": {"b": 2, "a": [1, 2.50, null]}}`

func newApproval(sc naive.Scope, subjectID string, expiresAt time.Time) *naive.Approval {
	return &naive.Approval{ID: newID(), SubjectID: subjectID, Action: "phone.provision", Primitive: "phone",
		Title: "Buy a phone number", Message: "The agent wants a local number in 415.",
		Payload: json.RawMessage(rawPayload), Cost: 50, Status: naive.ApprovalPending,
		RequestedBy: naive.Actor{Type: string(naive.PrincipalAgent), ID: "key_" + newID()},
		CreatedAt:   now(), ExpiresAt: expiresAt, Mode: sc.Mode, OperatorID: sc.OperatorID,
		RequesterAgentID: "agent_" + newID()}
}

func approvalEvent(a *naive.Approval, typ string) *naive.Event {
	return &naive.Event{ID: newID(), Type: typ, Data: json.RawMessage(`{"approval_id": "` + a.ID + `"}`),
		CreatedAt: now(), Mode: a.Mode, OperatorID: a.OperatorID}
}

func approvalIDs(l []naive.Approval) []string {
	return ids(l, func(a naive.Approval) string { return a.ID })
}

func eventIDs(l []naive.Event) []string { return ids(l, func(e naive.Event) string { return e.ID }) }

// create stores a pending approval expiring at expiresAt with its event.
func (b *bundle) createApproval(t *testing.T, sc naive.Scope, subjectID string, expiresAt time.Time) *naive.Approval {
	t.Helper()
	a := newApproval(sc, subjectID, expiresAt)
	must(t, b.s.CreateApproval(b.ctx, a, approvalEvent(a, naive.EventApprovalRequested), noRun))
	return a
}

// event returns the event of sc with id, or nil.
func (b *bundle) event(t *testing.T, sc naive.Scope, id string) *naive.Event {
	t.Helper()
	for _, e := range must2(b.s.ListEvents(b.ctx, sc, naive.EventFilter{}))(t) {
		if e.ID == id {
			return &e
		}
	}
	return nil
}

// wantEvent asserts ev is stored as given.
func (b *bundle) wantEvent(t *testing.T, what string, ev *naive.Event) {
	t.Helper()
	got := b.event(t, naive.Scope{OperatorID: ev.OperatorID, Mode: ev.Mode}, ev.ID)
	if got == nil {
		t.Fatalf("%s: event %s not stored", what, ev.ID)
	}
	equal(t, what, *got, *ev)
}

// wantNoEvent asserts ev was not stored.
func (b *bundle) wantNoEvent(t *testing.T, what string, ev *naive.Event) {
	t.Helper()
	if b.event(t, naive.Scope{OperatorID: ev.OperatorID, Mode: ev.Mode}, ev.ID) != nil {
		t.Fatalf("%s: event %s stored", what, ev.ID)
	}
}

func (b *bundle) approval(t *testing.T, sc naive.Scope, id string) naive.Approval {
	t.Helper()
	a, err := b.s.GetApproval(b.ctx, sc, id)
	must(t, err)
	return *a
}

func human(b *bundle) naive.Actor {
	return naive.Actor{Type: string(naive.PrincipalHuman), ID: b.user.ID}
}

func testApprovals(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	hour := now().Add(time.Hour)

	// Create: pending, payload byte for byte, its event stored.
	a := newApproval(b.live, subj, hour)
	ev := approvalEvent(a, naive.EventApprovalRequested)
	must(t, b.s.CreateApproval(b.ctx, a, ev, noRun))
	equal(t, "created approval", b.approval(t, b.live, a.ID), *a)
	if string(b.approval(t, b.live, a.ID).Payload) != rawPayload {
		t.Fatalf("payload = %s, want %s byte for byte", b.approval(t, b.live, a.ID).Payload, rawPayload)
	}
	b.wantEvent(t, "approval.requested event", ev)

	// An empty id or a zero created_at is refused, not second in, and
	// stores neither the approval nor its event.
	noID := newApproval(b.live, subj, hour)
	noID.ID = ""
	wantRequired(t, "CreateApproval without an id",
		b.s.CreateApproval(b.ctx, noID, approvalEvent(noID, naive.EventApprovalRequested), noRun))
	noTime := newApproval(b.live, subj, hour)
	noTime.CreatedAt = time.Time{}
	noTimeEv := approvalEvent(noTime, naive.EventApprovalRequested)
	wantRequired(t, "CreateApproval without created_at", b.s.CreateApproval(b.ctx, noTime, noTimeEv, noRun))
	if _, err := b.s.GetApproval(b.ctx, b.live, noTime.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetApproval of a refused approval: error = %v, want not found", err)
	}
	b.wantNoEvent(t, "event of a refused approval", noTimeEv)
	second := b.createApproval(t, b.live, subj, hour)

	// An approval may target no subject.
	noSubject := b.createApproval(t, b.live, "", hour)
	equal(t, "approval without subject", b.approval(t, b.live, noSubject.ID), *noSubject)

	// Not for a subject of another scope: nothing stored, no event.
	bad := newApproval(b.live, b.testSubject.ID, hour)
	badEv := approvalEvent(bad, naive.EventApprovalRequested)
	wantErr(t, b.s.CreateApproval(b.ctx, bad, badEv, noRun), store.ErrNotFound)
	_, err := b.s.GetApproval(b.ctx, b.live, bad.ID)
	wantErr(t, err, store.ErrNotFound)
	b.wantNoEvent(t, "event of a rejected approval", badEv)

	// Scoped reads.
	for _, sc := range []naive.Scope{b.test, b.other} {
		_, err = b.s.GetApproval(b.ctx, sc, a.ID)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err = b.s.GetApproval(b.ctx, b.live, newID())
	wantErr(t, err, store.ErrNotFound)

	// Claim: executing, with resolver and time; once.
	at := now()
	claimed, err := b.s.ClaimApproval(b.ctx, b.live, a.ID, human(b), at, b.proc)
	must(t, err)
	want := *a
	r := human(b)
	want.Status, want.ResolvedBy, want.ResolvedAt, want.LockedBy = naive.ApprovalExecuting, &r, &at, b.proc
	equal(t, "claimed approval", *claimed, want)
	equal(t, "stored claimed approval", b.approval(t, b.live, a.ID), want)
	_, err = b.s.ClaimApproval(b.ctx, b.live, a.ID, human(b), now(), b.proc)
	wantErr(t, err, store.ErrConflict)
	deny := &naive.Approval{ID: a.ID, ResolvedBy: &r, ResolvedAt: &at, Reason: "no"}
	denyEv := approvalEvent(a, naive.EventApprovalResolved)
	wantErr(t, b.s.DenyApproval(b.ctx, b.live, deny, denyEv), store.ErrConflict)
	b.wantNoEvent(t, "event of a lost denial", denyEv)
	equal(t, "approval after a lost claim and denial", b.approval(t, b.live, a.ID), want)

	// Unknown or out-of-scope ids are not found.
	for _, c := range []struct {
		sc naive.Scope
		id string
	}{{b.live, newID()}, {b.test, second.ID}, {b.other, second.ID}} {
		_, err = b.s.ClaimApproval(b.ctx, c.sc, c.id, human(b), now(), b.proc)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, b.s.DenyApproval(b.ctx, c.sc, &naive.Approval{ID: c.id, ResolvedBy: &r, ResolvedAt: &at},
			approvalEvent(second, naive.EventApprovalResolved)), store.ErrNotFound)
	}
	equal(t, "approval after scoped-out claims", b.approval(t, b.live, second.ID), *second)

	// Finish: only from executing.
	result := json.RawMessage(`{"phone": {"id": "ph_1",  "e164": "+14155550100"}}`)
	notExecuting := *second
	notExecuting.Status, notExecuting.Result = naive.ApprovalExecuted, result
	finEv := approvalEvent(second, naive.EventApprovalResolved)
	wantErr(t, b.s.FinishApproval(b.ctx, &notExecuting, finEv), store.ErrConflict)
	b.wantNoEvent(t, "event of a finish of a pending approval", finEv)
	equal(t, "pending approval after a finish", b.approval(t, b.live, second.ID), *second)
	unknown := newApproval(b.live, subj, hour)
	unknown.Status = naive.ApprovalExecuted
	if err := b.s.FinishApproval(b.ctx, unknown, approvalEvent(unknown, naive.EventApprovalResolved)); err == nil {
		t.Fatal("FinishApproval of an unknown approval succeeded")
	}

	fin := want
	fin.Status, fin.Result = naive.ApprovalExecuted, result
	finEv = approvalEvent(a, naive.EventApprovalResolved)
	must(t, b.s.FinishApproval(b.ctx, &fin, finEv))
	want.Status, want.Result, want.LockedBy = naive.ApprovalExecuted, result, ""
	equal(t, "executed approval (argument)", fin, want)
	equal(t, "executed approval", b.approval(t, b.live, a.ID), want)
	if got := b.approval(t, b.live, a.ID).Result; string(got) != string(result) {
		t.Fatalf("result = %s, want %s byte for byte", got, result)
	}
	b.wantEvent(t, "approval.resolved event of a finish", finEv)
	again := want
	wantErr(t, b.s.FinishApproval(b.ctx, &again, approvalEvent(a, naive.EventApprovalResolved)), store.ErrConflict)
	_, err = b.s.ClaimApproval(b.ctx, b.live, a.ID, human(b), now(), b.proc)
	wantErr(t, err, store.ErrConflict)

	// Failed, with an error object whose extra fields survive.
	f, err := b.s.ClaimApproval(b.ctx, b.live, second.ID, human(b), now(), b.proc)
	must(t, err)
	f.Status = naive.ApprovalFailed
	f.Error = &naive.ErrorObject{Code: naive.ECompliancePending, Message: "The campaign is in review.",
		Param: "campaign_id", Hint: "Wait for the campaign to be approved.",
		Fields: map[string]any{"campaign_status": "in_review", "retryable": true, "retry_after": 30,
			"fields_needed": []any{"website"}, "nested": map[string]any{"x": nil}}}
	must(t, b.s.FinishApproval(b.ctx, f, approvalEvent(f, naive.EventApprovalResolved)))
	got := b.approval(t, b.live, second.ID)
	equal(t, "failed approval", got, *f)
	wantErrObj := naive.ErrorObject{Code: naive.ECompliancePending, Message: "The campaign is in review.",
		Param: "campaign_id", Hint: "Wait for the campaign to be approved.",
		Fields: map[string]any{"campaign_status": "in_review", "retryable": true, "retry_after": float64(30),
			"fields_needed": []any{"website"}, "nested": map[string]any{"x": nil}}}
	equal(t, "stored error object", *got.Error, wantErrObj)
	if got.Result != nil {
		t.Errorf("failed approval has result %s", got.Result)
	}

	// A finish to a status other than executed or failed is refused.
	c, err := b.s.ClaimApproval(b.ctx, b.live, noSubject.ID, human(b), now(), b.proc)
	must(t, err)
	c.Status = naive.ApprovalDenied
	if err := b.s.FinishApproval(b.ctx, c, approvalEvent(c, naive.EventApprovalResolved)); err == nil {
		t.Fatal("FinishApproval to denied succeeded")
	}
	if got := b.approval(t, b.live, noSubject.ID); got.Status != naive.ApprovalExecuting {
		t.Fatalf("status after a refused finish = %q, want executing", got.Status)
	}

	// Deny: denied with resolver, time and reason; once.
	d := b.createApproval(t, b.live, subj, hour)
	dAt := now()
	deny = &naive.Approval{ID: d.ID, ResolvedBy: &r, ResolvedAt: &dAt, Reason: "Too expensive."}
	denyEv = approvalEvent(d, naive.EventApprovalResolved)
	must(t, b.s.DenyApproval(b.ctx, b.live, deny, denyEv))
	wantD := *d
	wantD.Status, wantD.ResolvedBy, wantD.ResolvedAt, wantD.Reason = naive.ApprovalDenied, &r, &dAt, "Too expensive."
	equal(t, "denied approval (argument)", *deny, wantD)
	equal(t, "denied approval", b.approval(t, b.live, d.ID), wantD)
	b.wantEvent(t, "approval.resolved event of a denial", denyEv)
	deny2 := &naive.Approval{ID: d.ID, ResolvedBy: &r, ResolvedAt: &dAt, Reason: "again"}
	wantErr(t, b.s.DenyApproval(b.ctx, b.live, deny2, approvalEvent(d, naive.EventApprovalResolved)), store.ErrConflict)
	_, err = b.s.ClaimApproval(b.ctx, b.live, d.ID, human(b), now(), b.proc)
	wantErr(t, err, store.ErrConflict)

	// Lists: newest first, paged; "pending" includes executing; by subject.
	p := b.createApproval(t, b.live, subj, hour)
	other := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &other))
	po := b.createApproval(t, b.live, other.ID, hour)
	testA := b.createApproval(t, b.test, b.testSubject.ID, hour)
	all := []string{po.ID, p.ID, d.ID, noSubject.ID, second.ID, a.ID}
	checkPaging(t, all, func(pg naive.Page) []string {
		return approvalIDs(must2(b.s.ListApprovals(b.ctx, b.live, naive.ApprovalFilter{Page: pg}))(t))
	})
	checkPaging(t, []string{po.ID, p.ID, noSubject.ID}, func(pg naive.Page) []string {
		return approvalIDs(must2(b.s.ListApprovals(b.ctx, b.live, naive.ApprovalFilter{Status: naive.ApprovalPending, Page: pg}))(t))
	})
	for _, c := range []struct {
		f    naive.ApprovalFilter
		want []string
	}{
		{naive.ApprovalFilter{Status: naive.ApprovalExecuting}, []string{noSubject.ID}},
		{naive.ApprovalFilter{Status: naive.ApprovalExecuted}, []string{a.ID}},
		{naive.ApprovalFilter{Status: naive.ApprovalFailed}, []string{second.ID}},
		{naive.ApprovalFilter{Status: naive.ApprovalDenied}, []string{d.ID}},
		{naive.ApprovalFilter{Status: naive.ApprovalExpired}, []string{}},
		{naive.ApprovalFilter{SubjectID: subj}, []string{p.ID, d.ID, second.ID, a.ID}},
		{naive.ApprovalFilter{SubjectID: other.ID}, []string{po.ID}},
		{naive.ApprovalFilter{SubjectID: other.ID, Status: naive.ApprovalDenied}, []string{}},
		{naive.ApprovalFilter{SubjectID: subj, Status: naive.ApprovalPending}, []string{p.ID}},
		{naive.ApprovalFilter{SubjectID: newID()}, []string{}},
	} {
		l, err := b.s.ListApprovals(b.ctx, b.live, c.f)
		must(t, err)
		if l == nil {
			t.Errorf("ListApprovals(%+v) returned nil", c.f)
		}
		equal(t, "ListApprovals", approvalIDs(l), c.want)
	}
	l, err := b.s.ListApprovals(b.ctx, b.test, naive.ApprovalFilter{})
	must(t, err)
	equal(t, "test-mode approvals", l, []naive.Approval{*testA})
	empty(t, "approvals of another operator", must2(b.s.ListApprovals(b.ctx, b.other, naive.ApprovalFilter{}))(t))
	for _, x := range must2(b.s.ListApprovals(b.ctx, b.live, naive.ApprovalFilter{}))(t) {
		equal(t, "listed approval", x, b.approval(t, b.live, x.ID))
	}
}

// testApprovalConcurrentClaims races 20 approvers for one approval:
// exactly one claims it, the others get ErrConflict.
func testApprovalConcurrentClaims(t *testing.T, b *bundle) {
	for range 3 {
		a := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
		var ok, conflict atomic.Int32
		var winner atomic.Value
		concurrently(20, func(int) {
			r := naive.Actor{Type: string(naive.PrincipalHuman), ID: "user_" + newID()}
			got, err := b.s.ClaimApproval(b.ctx, b.live, a.ID, r, now(), b.proc)
			switch {
			case err == nil:
				ok.Add(1)
				winner.Store(r)
				if got.Status != naive.ApprovalExecuting || got.ResolvedBy == nil || *got.ResolvedBy != r {
					t.Errorf("claimed approval = %s", show(got))
				}
			case errors.Is(err, store.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("ClaimApproval: %v", err)
			}
		})
		if ok.Load() != 1 || conflict.Load() != 19 {
			t.Fatalf("20 concurrent claims: %d succeeded, %d conflicts; want 1 and 19", ok.Load(), conflict.Load())
		}
		got := b.approval(t, b.live, a.ID)
		if got.Status != naive.ApprovalExecuting || got.ResolvedBy == nil || *got.ResolvedBy != winner.Load().(naive.Actor) {
			t.Fatalf("stored approval = %s, want executing by the winner %v", show(got), winner.Load())
		}
	}
}

// testApprovalClaimDenyRace races claimers against deniers, 10 times:
// exactly one decides, the stored status is the winner's, and only a
// winning denial leaves its event.
func testApprovalClaimDenyRace(t *testing.T, b *bundle) {
	const claimers, deniers = 3, 3
	claims, denials := 0, 0
	for range 10 {
		a := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
		var claimed, denied, conflict atomic.Int32
		evs := make([]*naive.Event, deniers)
		won := make([]bool, deniers)
		concurrently(claimers+deniers, func(i int) {
			r := naive.Actor{Type: string(naive.PrincipalHuman), ID: "user_" + newID()}
			var err error
			if i < claimers {
				_, err = b.s.ClaimApproval(b.ctx, b.live, a.ID, r, now(), b.proc)
				if err == nil {
					claimed.Add(1)
				}
			} else {
				at := now()
				ev := approvalEvent(a, naive.EventApprovalResolved)
				evs[i-claimers] = ev
				err = b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: a.ID, ResolvedBy: &r, ResolvedAt: &at, Reason: "no"}, ev)
				if err == nil {
					denied.Add(1)
					won[i-claimers] = true
				}
			}
			switch {
			case err == nil:
			case errors.Is(err, store.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("decide: %v", err)
			}
		})
		if claimed.Load()+denied.Load() != 1 || conflict.Load() != claimers+deniers-1 {
			t.Fatalf("claims vs denials: %d claimed, %d denied, %d conflicts; want exactly one winner",
				claimed.Load(), denied.Load(), conflict.Load())
		}
		got := b.approval(t, b.live, a.ID)
		wantStatus := naive.ApprovalExecuting
		if denied.Load() == 1 {
			wantStatus = naive.ApprovalDenied
			denials++
		} else {
			claims++
		}
		if got.Status != wantStatus {
			t.Fatalf("status after the race = %q, want %q", got.Status, wantStatus)
		}
		for i, ev := range evs {
			if won[i] {
				b.wantEvent(t, "event of the winning denial", ev)
			} else {
				b.wantNoEvent(t, "event of a losing denial", ev)
			}
		}
	}
	t.Logf("claims won %d races, denials %d", claims, denials)
}

func testApprovalExpiry(t *testing.T, b *bundle) {
	t0 := now()
	r := human(b)

	// expires_at <= now: neither claimed nor denied, at or after expiry.
	a := b.createApproval(t, b.live, b.liveSubject.ID, t0)
	for _, at := range []time.Time{t0, t0.Add(time.Second)} {
		_, err := b.s.ClaimApproval(b.ctx, b.live, a.ID, r, at, b.proc)
		wantErr(t, err, store.ErrConflict)
		ev := approvalEvent(a, naive.EventApprovalResolved)
		wantErr(t, b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: a.ID, ResolvedBy: &r, ResolvedAt: &at}, ev), store.ErrConflict)
		b.wantNoEvent(t, "event of a denial after expiry", ev)
	}
	equal(t, "expired approval still pending", b.approval(t, b.live, a.ID), *a)

	// Not expired before its time.
	early := approvalEvent(a, naive.EventApprovalResolved)
	ok, err := b.s.ExpireApproval(b.ctx, a.ID, t0.Add(-time.Microsecond), early)
	must(t, err)
	if ok {
		t.Fatal("ExpireApproval expired an approval before expires_at")
	}
	b.wantNoEvent(t, "event of an early expiry", early)

	// Expire: once, with resolved_at = now and its event.
	ev := approvalEvent(a, naive.EventApprovalResolved)
	ok, err = b.s.ExpireApproval(b.ctx, a.ID, t0, ev)
	must(t, err)
	if !ok {
		t.Fatal("ExpireApproval at expires_at reported false")
	}
	want := *a
	want.Status, want.ResolvedAt = naive.ApprovalExpired, &t0
	equal(t, "expired approval", b.approval(t, b.live, a.ID), want)
	b.wantEvent(t, "approval.resolved event of an expiry", ev)
	ev2 := approvalEvent(a, naive.EventApprovalResolved)
	ok, err = b.s.ExpireApproval(b.ctx, a.ID, t0.Add(time.Hour), ev2)
	must(t, err)
	if ok {
		t.Fatal("second ExpireApproval reported true")
	}
	b.wantNoEvent(t, "event of a second expiry", ev2)
	_, err = b.s.ClaimApproval(b.ctx, b.live, a.ID, r, t0.Add(-time.Hour), b.proc)
	wantErr(t, err, store.ErrConflict)
	fin := want
	fin.Status = naive.ApprovalExecuted
	wantErr(t, b.s.FinishApproval(b.ctx, &fin, approvalEvent(a, naive.EventApprovalResolved)), store.ErrConflict)
	equal(t, "expired approval after late decisions", b.approval(t, b.live, a.ID), want)
	ok, err = b.s.ExpireApproval(b.ctx, newID(), t0, approvalEvent(a, naive.EventApprovalResolved))
	must(t, err)
	if ok {
		t.Fatal("ExpireApproval of an unknown approval reported true")
	}

	// Claimed and denied just before expiry; neither then expires.
	c := b.createApproval(t, b.live, b.liveSubject.ID, t0.Add(time.Second))
	_, err = b.s.ClaimApproval(b.ctx, b.live, c.ID, r, t0.Add(time.Second-time.Microsecond), b.proc)
	must(t, err)
	d := b.createApproval(t, b.live, b.liveSubject.ID, t0.Add(time.Second))
	dAt := t0.Add(time.Second - time.Microsecond)
	must(t, b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: d.ID, ResolvedBy: &r, ResolvedAt: &dAt},
		approvalEvent(d, naive.EventApprovalResolved)))
	for _, x := range []*naive.Approval{c, d} {
		ok, err = b.s.ExpireApproval(b.ctx, x.ID, t0.Add(time.Hour), approvalEvent(x, naive.EventApprovalResolved))
		must(t, err)
		if ok {
			t.Fatalf("ExpireApproval expired a decided approval %s", x.ID)
		}
	}

	// 10 concurrent sweepers: one expires, one event.
	e := b.createApproval(t, b.live, b.liveSubject.ID, t0)
	var expired atomic.Int32
	evs := make([]*naive.Event, 10)
	concurrently(10, func(i int) {
		evs[i] = approvalEvent(e, naive.EventApprovalResolved)
		ok, err := b.s.ExpireApproval(b.ctx, e.ID, t0.Add(time.Minute), evs[i])
		if err != nil {
			t.Errorf("ExpireApproval: %v", err)
		}
		if ok {
			expired.Add(1)
		}
	})
	if expired.Load() != 1 {
		t.Fatalf("%d of 10 concurrent ExpireApproval reported true, want 1", expired.Load())
	}
	stored := 0
	for _, ev := range evs {
		if b.event(t, b.live, ev.ID) != nil {
			stored++
		}
	}
	if stored != 1 {
		t.Fatalf("%d expiry events stored, want 1", stored)
	}
}

func testListExpiredApprovals(t *testing.T, b *bundle) {
	t0 := now()
	r := human(b)
	sc2, subj2 := b.secondOperator(t)
	base := t0.Add(-2 * time.Hour)
	// Executing approvals are stuck when their process is gone: one that
	// last heartbeat before liveAfter, not one that heartbeat since.
	liveAfter := t0.Add(-10 * time.Minute)
	gone := b.process(t, t0.Add(-20*time.Minute))
	busyProc := b.process(t, t0.Add(-5*time.Minute))
	n := 0
	mk := func(sc naive.Scope, subjectID string, expiresAt time.Time) *naive.Approval {
		t.Helper()
		a := newApproval(sc, subjectID, expiresAt)
		a.CreatedAt = base.Add(time.Duration(n) * time.Second)
		n++
		must(t, b.s.CreateApproval(b.ctx, a, approvalEvent(a, naive.EventApprovalRequested), noRun))
		return a
	}
	claim := func(sc naive.Scope, a *naive.Approval, at time.Time, owner string) {
		t.Helper()
		_, err := b.s.ClaimApproval(b.ctx, sc, a.ID, r, at, owner)
		must(t, err)
	}

	expiredLive := mk(b.live, b.liveSubject.ID, t0.Add(-time.Minute))
	fresh := mk(b.live, b.liveSubject.ID, t0.Add(time.Minute))
	expiredOther := mk(sc2, subj2.ID, t0) // expires_at == now counts
	stuck := mk(b.live, b.liveSubject.ID, t0.Add(time.Hour))
	claim(b.live, stuck, t0.Add(-20*time.Minute), gone)
	busy := mk(sc2, subj2.ID, t0.Add(time.Hour))
	claim(sc2, busy, t0.Add(-time.Hour), busyProc)
	denied := mk(b.live, b.liveSubject.ID, t0.Add(-time.Minute))
	at := t0.Add(-time.Hour)
	must(t, b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: denied.ID, ResolvedBy: &r, ResolvedAt: &at},
		approvalEvent(denied, naive.EventApprovalResolved)))
	done := mk(b.live, b.liveSubject.ID, t0.Add(-time.Minute))
	claim(b.live, done, t0.Add(-time.Hour), gone)
	fin := b.approval(t, b.live, done.ID)
	fin.Status = naive.ApprovalExecuted
	must(t, b.s.FinishApproval(b.ctx, &fin, approvalEvent(done, naive.EventApprovalResolved)))
	expiredTest := mk(b.test, b.testSubject.ID, t0.Add(-time.Second))
	// Released by its live process: held by no one, so stuck at once.
	released := mk(b.test, b.testSubject.ID, t0.Add(time.Hour))
	claim(b.test, released, t0, b.proc)
	must(t, b.s.SaveProgress(b.ctx, store.Progress{Approval: &store.ApprovalStep{ID: released.ID, Owner: b.proc, Release: true}}))
	_ = fresh

	list := func(limit int) []string {
		t.Helper()
		l, err := b.s.ListExpiredApprovals(b.ctx, t0, liveAfter, limit)
		must(t, err)
		return approvalIDs(l)
	}
	equal(t, "expired and stuck approvals", list(0),
		[]string{expiredLive.ID, expiredOther.ID, stuck.ID, expiredTest.ID, released.ID})
	equal(t, "expired and stuck approvals, limit 2", list(2), []string{expiredLive.ID, expiredOther.ID})
	l, err := b.s.ListExpiredApprovals(b.ctx, t0, liveAfter, 1)
	must(t, err)
	equal(t, "listed expired approval", l, []naive.Approval{*expiredLive})
	// With an older liveAfter the gone process counts as alive.
	l, err = b.s.ListExpiredApprovals(b.ctx, t0, t0.Add(-30*time.Minute), 0)
	must(t, err)
	equal(t, "expired and released approvals", approvalIDs(l),
		[]string{expiredLive.ID, expiredOther.ID, expiredTest.ID, released.ID})

	// Expiring one takes it off the list; so does finishing a stuck one,
	// or taking a released one over.
	ok, err := b.s.ExpireApproval(b.ctx, expiredOther.ID, t0, approvalEvent(expiredOther, naive.EventApprovalResolved))
	must(t, err)
	if !ok {
		t.Fatal("ExpireApproval of another operator's expired approval reported false")
	}
	if got := b.approval(t, sc2, expiredOther.ID); got.Status != naive.ApprovalExpired {
		t.Fatalf("status = %q, want expired", got.Status)
	}
	fin = b.approval(t, b.live, stuck.ID)
	fin.Status = naive.ApprovalFailed
	fin.Error = &naive.ErrorObject{Code: naive.EInternal, Message: "The approver stopped mid-execution."}
	must(t, b.s.FinishApproval(b.ctx, &fin, approvalEvent(stuck, naive.EventApprovalResolved)))
	must2(b.s.TakeOverApproval(b.ctx, b.test, released.ID, b.proc, b.liveAfter))(t)
	equal(t, "after expiring, finishing and taking over", list(0), []string{expiredLive.ID, expiredTest.ID})
	empty(t, "nothing expired long ago", must2(b.s.ListExpiredApprovals(b.ctx, base, base, 0))(t))
}

// testApprovalEvents checks each decision stores its event in the same
// transaction: when the event cannot be stored (its id is taken), the
// decision is rolled back too.
func testApprovalEvents(t *testing.T, b *bundle) {
	r := human(b)
	taken := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: json.RawMessage(`{}`),
		Mode: naive.ModeLive, OperatorID: b.op.ID, CreatedAt: now()}
	must(t, b.s.AddEvent(b.ctx, taken))
	dupOf := func(a *naive.Approval, typ string) *naive.Event {
		ev := approvalEvent(a, typ)
		ev.ID = taken.ID
		return ev
	}

	// Create.
	a := newApproval(b.live, b.liveSubject.ID, now().Add(time.Hour))
	if err := b.s.CreateApproval(b.ctx, a, dupOf(a, naive.EventApprovalRequested), noRun); err == nil {
		t.Fatal("CreateApproval with an event id taken succeeded")
	}
	_, err := b.s.GetApproval(b.ctx, b.live, a.ID)
	wantErr(t, err, store.ErrNotFound)
	a = b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	requested := must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: naive.EventApprovalRequested}))(t)
	equal(t, "approval.requested events", len(requested), 1)

	// Deny.
	at := now()
	if err := b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: a.ID, ResolvedBy: &r, ResolvedAt: &at},
		dupOf(a, naive.EventApprovalResolved)); err == nil {
		t.Fatal("DenyApproval with an event id taken succeeded")
	}
	equal(t, "approval after a rolled-back denial", b.approval(t, b.live, a.ID), *a)

	// Finish.
	claimed, err := b.s.ClaimApproval(b.ctx, b.live, a.ID, r, now(), b.proc)
	must(t, err)
	fin := *claimed
	fin.Status, fin.Result = naive.ApprovalExecuted, json.RawMessage(`{"ok":true}`)
	if err := b.s.FinishApproval(b.ctx, &fin, dupOf(a, naive.EventApprovalResolved)); err == nil {
		t.Fatal("FinishApproval with an event id taken succeeded")
	}
	equal(t, "approval after a rolled-back finish", b.approval(t, b.live, a.ID), *claimed)
	fin = *claimed
	fin.Status, fin.Result = naive.ApprovalExecuted, json.RawMessage(`{"ok":true}`)
	ev := approvalEvent(a, naive.EventApprovalResolved)
	must(t, b.s.FinishApproval(b.ctx, &fin, ev))
	b.wantEvent(t, "finish event", ev)

	// Expire.
	e := b.createApproval(t, b.live, b.liveSubject.ID, now())
	if ok, err := b.s.ExpireApproval(b.ctx, e.ID, now().Add(time.Second), dupOf(e, naive.EventApprovalResolved)); err == nil || ok {
		t.Fatalf("ExpireApproval with an event id taken = %v, %v; want false and an error", ok, err)
	}
	equal(t, "approval after a rolled-back expiry", b.approval(t, b.live, e.ID), *e)

	// An event without its id or time is refused, not filled in, and
	// the approval stays pending; so is a denial without its time.
	d := b.createApproval(t, b.live, b.liveSubject.ID, now().Add(time.Hour))
	ev = &naive.Event{Type: naive.EventApprovalResolved, Data: json.RawMessage(`{"approval_id":"` + d.ID + `"}`),
		Mode: naive.ModeLive, OperatorID: b.op.ID}
	wantRequired(t, "DenyApproval with an event without id and time",
		b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: d.ID, ResolvedBy: &r, ResolvedAt: &at, Reason: "no"}, ev))
	ev.ID = newID()
	wantRequired(t, "DenyApproval with an event without time",
		b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: d.ID, ResolvedBy: &r, ResolvedAt: &at, Reason: "no"}, ev))
	ev.CreatedAt = now()
	wantRequired(t, "DenyApproval without resolved_at",
		b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: d.ID, ResolvedBy: &r, Reason: "no"}, ev))
	equal(t, "approval after refused denials", b.approval(t, b.live, d.ID), *d)
	b.wantNoEvent(t, "event of a refused denial", ev)
	must(t, b.s.DenyApproval(b.ctx, b.live, &naive.Approval{ID: d.ID, ResolvedBy: &r, ResolvedAt: &at, Reason: "no"}, ev))
	b.wantEvent(t, "deny event", ev)
	resolved := must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: naive.EventApprovalResolved}))(t)
	equal(t, "approval.resolved events", len(resolved), 2)
}

func testEvents(t *testing.T, b *bundle) {
	const data = `{"b": 1,  "a": [1, 2.50, {"z": null}], "s": "caf\u00e9"}`
	mk := func(sc naive.Scope, typ string) *naive.Event {
		ev := &naive.Event{ID: newID(), Type: typ, Data: json.RawMessage(data), CreatedAt: now(),
			Mode: sc.Mode, OperatorID: sc.OperatorID}
		must(t, b.s.AddEvent(b.ctx, ev))
		return ev
	}
	e1 := mk(b.live, naive.EventSMSReceived)
	e2 := mk(b.live, naive.EventPhoneProvisioned)
	e3 := mk(b.live, naive.EventSMSReceived)
	eTest := mk(b.test, naive.EventSMSReceived)

	// An empty id or a zero time is refused, not filled in.
	e4 := &naive.Event{Type: naive.EventCampaignUpdated, Data: json.RawMessage(`{"status":"active"}`),
		CreatedAt: now(), Mode: naive.ModeLive, OperatorID: b.op.ID}
	wantRequired(t, "AddEvent without an id", b.s.AddEvent(b.ctx, e4))
	e4.ID, e4.CreatedAt = newID(), time.Time{}
	wantRequired(t, "AddEvent without created_at", b.s.AddEvent(b.ctx, e4))
	b.wantNoEvent(t, "refused event", e4)
	e4.CreatedAt = now()
	must(t, b.s.AddEvent(b.ctx, e4))

	checkPaging(t, []string{e4.ID, e3.ID, e2.ID, e1.ID}, func(p naive.Page) []string {
		return eventIDs(must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Page: p}))(t))
	})
	checkPaging(t, []string{e3.ID, e1.ID}, func(p naive.Page) []string {
		return eventIDs(must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: naive.EventSMSReceived, Page: p}))(t))
	})
	l, err := b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: naive.EventSMSReceived})
	must(t, err)
	equal(t, "sms.received events", l, []naive.Event{*e3, *e1})
	for _, e := range l {
		if string(e.Data) != data {
			t.Fatalf("event data = %s, want %s byte for byte", e.Data, data)
		}
	}
	l, err = b.s.ListEvents(b.ctx, b.test, naive.EventFilter{})
	must(t, err)
	equal(t, "test-mode events", l, []naive.Event{*eTest})
	empty(t, "events of an unknown type", must2(b.s.ListEvents(b.ctx, b.live, naive.EventFilter{Type: "nope"}))(t))
	empty(t, "events of another operator", must2(b.s.ListEvents(b.ctx, b.other, naive.EventFilter{}))(t))
	dup := *e1
	wantErr(t, b.s.AddEvent(b.ctx, &dup), store.ErrConflict)
}

// testApprovalTenantIsolation keeps kits, approvals and events of two
// operators (and of two modes) apart.
func testApprovalTenantIsolation(t *testing.T, b *bundle) {
	sc2, subj2 := b.secondOperator(t)
	r := human(b)
	hour := now().Add(time.Hour)

	kit1, kit2 := newKit(b.live, "one"), newKit(sc2, "two")
	must(t, b.s.CreateKit(b.ctx, kit1))
	must(t, b.s.CreateKit(b.ctx, kit2))
	a1 := b.createApproval(t, b.live, b.liveSubject.ID, hour)
	a2 := b.createApproval(t, sc2, subj2.ID, hour)
	x2 := b.createApproval(t, sc2, subj2.ID, hour)
	must2(b.s.ClaimApproval(b.ctx, sc2, x2.ID, r, now(), b.proc))(t)
	ev1 := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: json.RawMessage(`{}`), CreatedAt: now(),
		Mode: naive.ModeLive, OperatorID: b.op.ID}
	ev2 := &naive.Event{ID: newID(), Type: naive.EventSMSReceived, Data: json.RawMessage(`{}`), CreatedAt: now(),
		Mode: sc2.Mode, OperatorID: sc2.OperatorID}
	must(t, b.s.AddEvent(b.ctx, ev1))
	must(t, b.s.AddEvent(b.ctx, ev2))

	type side struct {
		sc      naive.Scope
		subject naive.Subject
		kit     *naive.AccountKit
		apps    []*naive.Approval
		ev      *naive.Event
	}
	one := side{b.live, b.liveSubject, kit1, []*naive.Approval{a1}, ev1}
	two := side{sc2, subj2, kit2, []*naive.Approval{a2, x2}, ev2}
	test2 := naive.Scope{OperatorID: sc2.OperatorID, Mode: naive.ModeTest}
	for _, c := range []struct {
		mine   side
		others []naive.Scope
	}{{one, []naive.Scope{sc2, b.test, b.other}}, {two, []naive.Scope{b.live, test2, b.other}}} {
		m := c.mine
		// Its own scope sees exactly its things.
		equal(t, "own kits", kitIDs(must2(b.s.ListKits(b.ctx, m.sc, naive.Page{}))(t)), []string{m.kit.ID})
		var wantApps []string
		for _, a := range m.apps {
			wantApps = append(wantApps, a.ID)
		}
		// apps were created oldest first; lists are newest first.
		for i, j := 0, len(wantApps)-1; i < j; i, j = i+1, j-1 {
			wantApps[i], wantApps[j] = wantApps[j], wantApps[i]
		}
		equal(t, "own approvals", approvalIDs(must2(b.s.ListApprovals(b.ctx, m.sc, naive.ApprovalFilter{}))(t)), wantApps)
		evs := must2(b.s.ListEvents(b.ctx, m.sc, naive.EventFilter{Type: naive.EventSMSReceived}))(t)
		equal(t, "own events", eventIDs(evs), []string{m.ev.ID})

		for _, sc := range c.others {
			_, err := b.s.GetKit(b.ctx, sc, m.kit.ID)
			wantErr(t, err, store.ErrNotFound)
			wrong := *m.kit
			wrong.OperatorID, wrong.Mode, wrong.Name = sc.OperatorID, sc.Mode, "stolen"
			wantErr(t, b.s.UpdateKit(b.ctx, &wrong), store.ErrNotFound)
			wantErr(t, b.s.DeleteKit(b.ctx, sc, m.kit.ID), store.ErrNotFound)
			wantErr(t, b.s.AssignKit(b.ctx, sc, m.subject.ID, "", now()), store.ErrNotFound)
			for _, a := range m.apps {
				_, err = b.s.GetApproval(b.ctx, sc, a.ID)
				wantErr(t, err, store.ErrNotFound)
				_, err = b.s.ClaimApproval(b.ctx, sc, a.ID, r, now(), b.proc)
				wantErr(t, err, store.ErrNotFound)
				at := now()
				wantErr(t, b.s.DenyApproval(b.ctx, sc, &naive.Approval{ID: a.ID, ResolvedBy: &r, ResolvedAt: &at},
					approvalEvent(a, naive.EventApprovalResolved)), store.ErrNotFound)
				fin := b.approval(t, m.sc, a.ID)
				fin.OperatorID, fin.Mode, fin.Status = sc.OperatorID, sc.Mode, naive.ApprovalExecuted
				if err := b.s.FinishApproval(b.ctx, &fin, approvalEvent(a, naive.EventApprovalResolved)); err == nil {
					t.Fatalf("FinishApproval of approval %s from scope %v succeeded", a.ID, sc)
				}
			}
			for _, k := range must2(b.s.ListKits(b.ctx, sc, naive.Page{}))(t) {
				if k.ID == m.kit.ID {
					t.Errorf("ListKits in %v lists kit %s", sc, k.ID)
				}
			}
			for _, a := range must2(b.s.ListApprovals(b.ctx, sc, naive.ApprovalFilter{}))(t) {
				for _, mine := range m.apps {
					if a.ID == mine.ID {
						t.Errorf("ListApprovals in %v lists approval %s", sc, a.ID)
					}
				}
			}
			for _, e := range must2(b.s.ListEvents(b.ctx, sc, naive.EventFilter{}))(t) {
				if e.ID == m.ev.ID {
					t.Errorf("ListEvents in %v lists event %s", sc, e.ID)
				}
			}
		}
		// Untouched in its own scope.
		got, err := b.s.GetKit(b.ctx, m.sc, m.kit.ID)
		must(t, err)
		equal(t, "kit after cross-tenant attempts", *got, *m.kit)
	}
	equal(t, "approval after cross-tenant attempts", b.approval(t, b.live, a1.ID), *a1)
	equal(t, "approval after cross-tenant attempts", b.approval(t, sc2, a2.ID), *a2)
	if got := b.approval(t, sc2, x2.ID); got.Status != naive.ApprovalExecuting {
		t.Fatalf("executing approval of operator 2 is %q after cross-tenant finishes", got.Status)
	}

	// Nothing crosses over by reference either.
	wantErr(t, b.s.AssignKit(b.ctx, b.live, b.liveSubject.ID, kit2.ID, now()), store.ErrNotFound)
	wantErr(t, b.s.AssignKit(b.ctx, sc2, subj2.ID, kit1.ID, now()), store.ErrNotFound)
	cross := newApproval(b.live, subj2.ID, hour)
	wantErr(t, b.s.CreateApproval(b.ctx, cross, approvalEvent(cross, naive.EventApprovalRequested), noRun), store.ErrNotFound)
	s := subject(sc2, false)
	s.AccountKitID = kit1.ID
	wantErr(t, b.s.CreateSubject(b.ctx, &s), store.ErrNotFound)
	must(t, b.s.AssignKit(b.ctx, sc2, subj2.ID, kit2.ID, now()))
	got, err := b.s.GetSubject(b.ctx, sc2, subj2.ID)
	must(t, err)
	if got.AccountKitID != kit2.ID {
		t.Fatalf("operator 2's subject has kit %q, want %q", got.AccountKitID, kit2.ID)
	}
}
