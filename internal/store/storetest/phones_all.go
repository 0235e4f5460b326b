package storetest

import (
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// testListAllPhones checks ListAllPhones: every subject of the scope, newest
// first, paged, the agent filter (bought for or assigned), no provisioning or
// failed rows, no other mode or operator, a deleted subject's released numbers kept.
func testListAllPhones(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	b.grant(t, b.test, 1000)
	other := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &other))
	gone := subject(b.live, false)
	must(t, b.s.CreateSubject(b.ctx, &gone))

	agent := b.newAgent(t, b.live)
	assigned := b.newAgent(t, b.live)

	// Oldest to newest, alternating subjects.
	p1 := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550201")
	g := b.activePhone(t, b.live, gone.ID, "+14155550202")
	mine := newPhone(b.live, other.ID)
	mine.AgentID = agent.ID
	_, err := b.s.ReservePhone(b.ctx, mine, debitFor(mine), noRun)
	must(t, err)
	must(t, b.s.ActivatePhone(b.ctx, activation(mine.ID, "+14155550203", "pn_"+newID(), ""), noRun))
	p3 := b.activePhone(t, b.live, b.liveSubject.ID, "+14155550204")
	testPhone := b.activePhone(t, b.test, b.testSubject.ID, "+14155550205")
	pending := newPhone(b.live, other.ID)
	_, err = b.s.ReservePhone(b.ctx, pending, debitFor(pending), noRun)
	must(t, err)
	failed := newPhone(b.live, b.liveSubject.ID)
	_, err = b.s.ReservePhone(b.ctx, failed, debitFor(failed), noRun)
	must(t, err)
	_, err = b.s.FailPhone(b.ctx, failed.ID, refundFor(failed), noRun)
	must(t, err)

	// A subject is deleted once its numbers are released; they stay listed.
	_, err = b.s.MarkPhoneReleased(b.ctx, b.live, g.ID, now(), nil, noRun)
	must(t, err)
	must(t, b.s.DeleteSubject(b.ctx, b.live, gone.ID, now()))

	want := []string{p3.ID, mine.ID, g.ID, p1.ID}
	checkPaging(t, want, func(pg naive.Page) []string {
		return phoneIDs(must2(b.s.ListAllPhones(b.ctx, b.live, naive.PhoneFilter{Page: pg}))(t))
	})
	all := must2(b.s.ListAllPhones(b.ctx, b.live, naive.PhoneFilter{}))(t)
	subjects := map[string]string{}
	for _, p := range all {
		subjects[p.ID] = p.SubjectID
	}
	equal(t, "subjects of the numbers", subjects, map[string]string{p3.ID: b.liveSubject.ID, mine.ID: other.ID,
		g.ID: gone.ID, p1.ID: b.liveSubject.ID})
	if all[2].Status != naive.PhoneReleased || all[2].ReleasedAt == nil {
		t.Fatalf("deleted subject's number = %+v, want released", all[2])
	}
	got, err := b.s.GetPhone(b.ctx, b.live, p3.ID)
	must(t, err)
	equal(t, "listed row", all[0], *got)

	// The agent filter: bought for the agent, or assigned to it.
	equal(t, "numbers of an agent", phoneIDs(must2(b.s.ListAllPhones(b.ctx, b.live, naive.PhoneFilter{AgentID: agent.ID}))(t)),
		[]string{mine.ID})
	must(t, b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: p1.ID, AgentID: assigned.ID, Permissions: []string{naive.PermReceiveSMS},
		OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now()}))
	must(t, b.s.UpsertAssignment(b.ctx, &naive.Assignment{PhoneID: mine.ID, AgentID: assigned.ID, Permissions: []string{naive.PermSendSMS},
		OperatorID: b.op.ID, Mode: naive.ModeLive, CreatedAt: now().Add(time.Millisecond)}))
	checkPaging(t, []string{mine.ID, p1.ID}, func(pg naive.Page) []string {
		return phoneIDs(must2(b.s.ListAllPhones(b.ctx, b.live, naive.PhoneFilter{AgentID: assigned.ID, Page: pg}))(t))
	})
	empty(t, "numbers of an unknown agent", must2(b.s.ListAllPhones(b.ctx, b.live, naive.PhoneFilter{AgentID: newID()}))(t))

	// Scoped: the other mode and another operator.
	equal(t, "test-mode numbers", phoneIDs(must2(b.s.ListAllPhones(b.ctx, b.test, naive.PhoneFilter{}))(t)), []string{testPhone.ID})
	empty(t, "another operator's numbers", must2(b.s.ListAllPhones(b.ctx, b.other, naive.PhoneFilter{}))(t))
}
