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
	must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, now().Add(2*time.Second), nil))

	// A poll that read the campaign before all that and heard "rejected"
	// stores nothing, nor its event.
	ev := &naive.Event{ID: newID(), OperatorID: b.live.OperatorID, Mode: b.live.Mode, Type: naive.EventCampaignUpdated,
		Data: []byte(`{"id":"` + c.ID + `"}`), CreatedAt: now()}
	changed, err := b.s.AdvanceCampaignFrom(b.ctx, c.ID, read.UpdatedAt, naive.CampaignRejected, "stale", now().Add(3*time.Second), []*naive.Event{ev})
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
	changed, err = b.s.AdvanceCampaignFrom(b.ctx, c.ID, got.UpdatedAt, naive.CampaignActive, "", now().Add(4*time.Second), nil)
	must(t, err)
	if !changed {
		t.Fatal("a fresh poll's answer was not stored")
	}
}
