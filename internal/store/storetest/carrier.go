package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testCampaignEvents: a transition stores its events once; a transition
// that changes nothing stores none.
func testCampaignEvents(t *testing.T, b *bundle) {
	c := b.registered(t, naive.CampaignCreated)
	mk := func() *naive.Event {
		return &naive.Event{ID: newID(), OperatorID: b.live.OperatorID, Mode: b.live.Mode, Type: naive.EventCampaignUpdated,
			Data: []byte(`{"id":"` + c.ID + `"}`), CreatedAt: now()}
	}
	var stored atomic.Int32
	evs := make([]*naive.Event, 20)
	concurrently(20, func(i int) {
		evs[i] = mk()
		changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignActive, now(), []*naive.Event{evs[i]}, nil)
		if err != nil {
			t.Errorf("AdvanceCampaign: %v", err)
		}
		if changed {
			stored.Add(1)
		}
	})
	if stored.Load() != 1 {
		t.Fatalf("%d advances changed the campaign", stored.Load())
	}
	n := 0
	for _, ev := range evs {
		if b.event(t, b.live, ev.ID) != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
	got, err := b.s.GetCampaignByCarrierID(b.ctx, b.live.Mode, "cmp_1")
	must(t, err)
	if got.ID != c.ID {
		t.Fatalf("by carrier id: %s", got.ID)
	}
	if _, err := b.s.GetCampaignByCarrierID(b.ctx, naive.ModeTest, "cmp_1"); err != store.ErrNotFound {
		t.Fatalf("other mode: %v", err)
	}
}

// testCarrierEvents: one event id is new exactly once, however many
// deliveries race.
func testCarrierEvents(t *testing.T, b *bundle) {
	var fresh atomic.Int32
	concurrently(20, func(int) {
		ok, err := b.s.RecordCarrierEvent(b.ctx, &store.CarrierEvent{ID: "evt_1", Mode: naive.ModeTest, Type: "campaign.approved",
			AccountID: "acct_1", Payload: []byte(`{"id":"evt_1"}`), ReceivedAt: time.Now()})
		if err != nil {
			t.Errorf("RecordCarrierEvent: %v", err)
		}
		if ok {
			fresh.Add(1)
		}
	})
	if fresh.Load() != 1 {
		t.Fatalf("%d deliveries were new, want 1", fresh.Load())
	}
	if _, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeTest, "acct_none"); err != store.ErrNotFound {
		t.Fatalf("unknown carrier account: %v", err)
	}
	brands, err := b.s.ListRegisteredBrands(b.ctx, "", 10)
	must(t, err)
	if brands == nil {
		t.Fatal("ListRegisteredBrands returned nil")
	}
}

// testBrandByCarrierID: a registered brand is found by its carrier account
// in its mode only; a brand still registering is not.
func testBrandByCarrierID(t *testing.T, b *bundle) {
	br := b.brandFor(b.live, b.liveSubject.ID)
	_, claimed, err := b.s.ClaimBrand(b.ctx, br, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimBrand: claimed = false")
	}
	if _, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeLive, "acct_x"); err != store.ErrNotFound {
		t.Fatalf("registering brand found: %v", err)
	}
	must(t, b.s.CompleteBrand(b.ctx, br.SubjectID, br.ClaimToken, "acct_x", now()))
	got, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeLive, "acct_x")
	must(t, err)
	if got.SubjectID != br.SubjectID || got.OperatorID != b.live.OperatorID {
		t.Fatalf("brand %+v", got)
	}
	if _, err := b.s.GetBrandByCarrierID(b.ctx, naive.ModeTest, "acct_x"); err != store.ErrNotFound {
		t.Fatalf("other mode: %v", err)
	}
}

// testStaleQueued: only outbound sends still queued without a carrier id
// and older than the cut-off are listed, across tenants.
func testStaleQueued(t *testing.T, b *bundle) {
	p := b.activePhone(t, b.live, b.liveSubject.ID, "+14155557001")
	b.grant(t, b.live, 100)
	old := outbound(p, "+14155550101")
	old.CreatedAt = now().Add(-time.Hour)
	sent := outbound(p, "+14155550102")
	sent.CreatedAt = now().Add(-time.Hour)
	fresh := outbound(p, "+14155550103")
	for _, m := range []*naive.Message{old, sent, fresh} {
		_, err := b.s.ReserveMessage(b.ctx, m, messageDebit(m), noRun)
		must(t, err)
	}
	must(t, b.s.SetMessageCarrierID(b.ctx, sent.ID, "msg_"+newID(), noRun))
	got, err := b.s.ListStaleQueued(b.ctx, now().Add(-time.Minute), 10)
	must(t, err)
	if ids := messageIDs(got); len(ids) != 1 || ids[0] != old.ID {
		t.Fatalf("stale sends %v, want [%s]", ids, old.ID)
	}
	_, err = b.s.FailMessage(b.ctx, old.ID, "not_sent", messageRefund(old), now(), noRun)
	must(t, err)
	got, err = b.s.ListStaleQueued(b.ctx, now().Add(-time.Minute), 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("a failed send is still listed: %v", messageIDs(got))
	}
}
