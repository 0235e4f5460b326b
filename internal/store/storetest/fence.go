package storetest

import (
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// testAdvanceCampaignFrom: a status learnt from a campaign as read is
// stored only if the campaign has not changed since: a poll's answer from
// before a resubmission cannot overwrite it.
func testAdvanceCampaignFrom(t *testing.T, b *bundle) {
	c := b.campaignFor(b.live, b.liveSubject.ID, naive.Campaign10DLC)
	_, _, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cpn_fence", naive.CampaignInReview, now()))
	read, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)

	// Rejected, then resubmitted (back to in_review) by someone else.
	if _, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignRejected, "Website unverifiable.", now().Add(time.Second), nil, nil); err != nil {
		t.Fatal(err)
	}
	must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now().Add(2*time.Second), nil))

	// A poll that read the campaign before all that and heard "rejected"
	// stores nothing, nor its event.
	ev := &naive.Event{ID: newID(), OperatorID: b.live.OperatorID, Mode: b.live.Mode, Type: naive.EventCampaignUpdated,
		Data: []byte(`{"id":"` + c.ID + `"}`), CreatedAt: now()}
	changed, err := b.s.AdvanceCampaignFrom(b.ctx, c.ID, read.UpdatedAt, naive.CampaignRejected, "stale", now().Add(3*time.Second), now().Add(-time.Hour), []*naive.Event{ev})
	must(t, err)
	if changed {
		t.Fatal("a stale poll's answer was stored over the resubmission")
	}
	got, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	if got.Status != naive.CampaignInReview || got.RejectionReason != nil {
		t.Fatalf("after a stale poll: %s %v, want in_review without a reason", got.Status, got.RejectionReason)
	}
	if b.event(t, b.live, ev.ID) != nil {
		t.Fatal("the stale poll's event was stored")
	}
	// Read afresh, the answer is stored.
	changed, err = b.s.AdvanceCampaignFrom(b.ctx, c.ID, got.UpdatedAt, naive.CampaignActive, "", now().Add(4*time.Second), now().Add(-time.Hour), nil)
	must(t, err)
	if !changed {
		t.Fatal("a fresh poll's answer was not stored")
	}
}

// testResubmittingMark: while a resubmission holds a campaign (marked
// before it moves to in_review and until the carrier took the update), a
// poll that read it in_review stores nothing; one resubmission holds it at
// a time; a stale mark no longer holds.
func testResubmittingMark(t *testing.T, b *bundle) {
	c := b.campaignFor(b.live, b.liveSubject.ID, naive.Campaign10DLC)
	_, _, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cpn_mark", naive.CampaignInReview, now()))
	if _, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignRejected, "why", now(), nil, nil); err != nil {
		t.Fatal(err)
	}
	tok := newID()
	ok, err := b.s.MarkResubmitting(b.ctx, b.live, c.ID, tok, b.proc, now(), now().Add(-time.Hour))
	if err != nil || !ok {
		t.Fatalf("mark: %v %v", ok, err)
	}
	if ok, err := b.s.MarkResubmitting(b.ctx, b.live, c.ID, newID(), b.proc, now(), now().Add(-time.Hour)); err != nil || ok {
		t.Fatalf("a second resubmission's mark: %v %v, want false", ok, err)
	}
	if ok, err := b.s.MarkResubmitting(b.ctx, b.other, c.ID, newID(), b.proc, now(), now().Add(time.Hour)); err != nil || ok {
		t.Fatalf("another tenant's mark: %v %v, want false", ok, err)
	}
	must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now().Add(time.Second), nil))
	read, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	// A poll that read it in_review and heard the carrier's old "rejected".
	if changed, err := b.s.AdvanceCampaignFrom(b.ctx, c.ID, read.UpdatedAt, naive.CampaignRejected, "old", now().Add(2*time.Second),
		now().Add(-time.Hour), nil); err != nil || changed {
		t.Fatalf("a poll during the resubmission: changed=%v err=%v, want nothing stored", changed, err)
	}
	// A stale mark does not hold.
	if changed, err := b.s.AdvanceCampaignFrom(b.ctx, c.ID, read.UpdatedAt, naive.CampaignActive, "", now().Add(2*time.Second),
		now().Add(time.Hour), nil); err != nil || !changed {
		t.Fatalf("a poll past a stale mark: changed=%v err=%v, want stored", changed, err)
	}
	must(t, b.s.ReleaseDeferredCampaign(b.ctx, c.ID, tok))
}
