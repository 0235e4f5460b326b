package surge_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
)

// TestCarrierArchiveBrand: the adapter archives the brand's account (its
// numbers released), and archiving is idempotent — an account already
// archived (410 account_archived) or missing counts as archived. The
// archived brand then reads as not found for the service.
func TestCarrierArchiveBrand(t *testing.T) {
	t.Parallel()
	var outage atomic.Bool
	b := setup(t, surgesim.Config{BeforeFunc: func(r *http.Request) (int, []byte, bool) {
		if outage.Load() && r.Method == http.MethodDelete {
			return http.StatusServiceUnavailable, []byte(`{"error":{"type":"service_unavailable","message":"down"}}`), true
		}
		return 0, nil, false
	}}, surge.Options{MaxRetries: -1})
	ctx := t.Context()
	cr := surge.NewCarrier(b.client, "")
	acct := readyAccount(t, b)
	n := must(cr.BuyNumber(ctx, acct.ID, carrier.NumberOrder{Type: naive.PhoneLocal, AreaCode: "415", Ref: "ph_1"}))

	if err := cr.ArchiveBrand(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	if !b.sim.Archived(acct.ID) || len(b.sim.Numbers(acct.ID)) != 0 {
		t.Fatalf("archived %v, numbers %+v", b.sim.Archived(acct.ID), b.sim.Numbers(acct.ID))
	}
	if err := cr.ArchiveBrand(ctx, acct.ID); err != nil {
		t.Fatalf("archive again: %v", err)
	}
	if err := cr.ArchiveBrand(ctx, "acct_missing"); err != nil {
		t.Fatalf("archive a missing account: %v", err)
	}
	_, err := cr.SendMessage(ctx, acct.ID, carrier.OutboundMessage{FromNumberID: n.ID, To: "+18015550123", Body: "hi", Ref: "msg_1"})
	if !carrier.Is(err, carrier.NotFound) {
		t.Fatalf("send from an archived brand: %v, want not_found", err)
	}

	outage.Store(true)
	other := readyAccount(t, b)
	if err := cr.ArchiveBrand(ctx, other.ID); !carrier.Is(err, carrier.Unavailable) {
		t.Fatalf("archive during an outage: %v, want unavailable", err)
	}
	if b.sim.Archived(other.ID) {
		t.Fatal("archived during an outage")
	}
}
