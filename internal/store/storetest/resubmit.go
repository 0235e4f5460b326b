package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

func campaignEvent(sc naive.Scope) *naive.Event {
	return &naive.Event{ID: newID(), OperatorID: sc.OperatorID, Mode: sc.Mode, Type: naive.EventCampaignUpdated,
		Data: []byte(`{}`), CreatedAt: now()}
}

// testCampaignRejection: AdvanceCampaign stores a rejection's reason (and
// only a rejection's); ResubmitCampaign is the one move back, from
// rejected only, clearing the reason, with its events, scoped to the
// tenant; two concurrent resubmissions make one.
func testCampaignRejection(t *testing.T, b *bundle) {
	c := b.registered(t, naive.CampaignInReview)
	reason := func() *string {
		t.Helper()
		got, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
		must(t, err)
		return got.RejectionReason
	}
	// Not rejected: no reason, and no resubmission.
	if r := reason(); r != nil {
		t.Fatalf("in_review campaign has reason %q", *r)
	}
	if err := b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now(), nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("resubmit in_review: %v, want ErrConflict", err)
	}
	if changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignRejected, "Website unverifiable.", now(), nil, nil); err != nil || !changed {
		t.Fatalf("reject: %v %v", changed, err)
	}
	if r := reason(); r == nil || *r != "Website unverifiable." {
		t.Fatalf("reason %v", r)
	}
	// Another tenant, another mode, an unknown id: not found, nothing moves.
	for _, sc := range []naive.Scope{b.other, b.test} {
		if err := b.s.ResubmitCampaign(b.ctx, sc, c.ID, naive.CampaignContentPatch{}, now(), nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("resubmit from scope %v: %v, want ErrNotFound", sc, err)
		}
	}
	if err := b.s.ResubmitCampaign(b.ctx, b.live, newID(), naive.CampaignContentPatch{}, now(), nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("resubmit unknown: %v, want ErrNotFound", err)
	}
	if b.campaignStatus(t, c.ID) != naive.CampaignRejected {
		t.Fatal("a refused resubmission moved the campaign")
	}
	// An invalid event stores nothing.
	bad := campaignEvent(b.live)
	bad.ID = ""
	if err := b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now(), []*naive.Event{bad}); err == nil {
		t.Fatal("resubmit with an event without id succeeded")
	}
	if b.campaignStatus(t, c.ID) != naive.CampaignRejected {
		t.Fatal("a failed resubmission moved the campaign")
	}

	// Two concurrent resubmissions: one wins, the other is a conflict, and
	// only the winner's event is stored.
	evs := []*naive.Event{campaignEvent(b.live), campaignEvent(b.live)}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now(), []*naive.Event{evs[i]})
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won == -1:
			won = i
		case errors.Is(err, store.ErrConflict):
		default:
			t.Fatalf("concurrent resubmits: %v", errs)
		}
	}
	if won == -1 {
		t.Fatalf("no resubmission won: %v", errs)
	}
	if b.event(t, b.live, evs[won].ID) == nil || b.event(t, b.live, evs[1-won].ID) != nil {
		t.Fatal("events stored other than the winner's")
	}
	got, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	if got.Status != naive.CampaignInReview || got.RejectionReason != nil {
		t.Fatalf("after resubmit: %s %v", got.Status, got.RejectionReason)
	}
	// Forward-only still holds from in_review: created does not apply, and
	// the next rejection stores its own reason; active clears none to set.
	if changed, _ := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignCreated, "", now(), nil, nil); changed {
		t.Fatal("in_review moved back to created")
	}
	if changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignRejected, "", now(), nil, nil); err != nil || !changed {
		t.Fatalf("reject again: %v %v", changed, err)
	}
	if r := reason(); r != nil {
		t.Fatalf("a rejection without a reason stored %q", *r)
	}
	must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now(), nil))
	if changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignActive, "ignored", now(), nil, nil); err != nil || !changed {
		t.Fatalf("activate: %v %v", changed, err)
	}
	if r := reason(); r != nil {
		t.Fatalf("an active campaign has reason %q", *r)
	}
	if err := b.s.ResubmitCampaign(b.ctx, b.live, c.ID, naive.CampaignContentPatch{}, now(), nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("resubmit active: %v, want ErrConflict", err)
	}
	// The reason is read by every campaign query, GetPhoneAndCampaign's
	// join included (it shares the column list).
	camps, err := b.s.ListCampaigns(b.ctx, b.live, b.liveSubject.ID)
	must(t, err)
	if len(camps) != 1 || camps[0].Status != naive.CampaignActive {
		t.Fatalf("ListCampaigns %v", camps)
	}
}
