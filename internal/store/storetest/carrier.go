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
		changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignActive, now(), []*naive.Event{evs[i]})
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
