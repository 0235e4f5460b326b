package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testSoleProprietorBrand: a sole proprietor's brand keeps its tier and
// verification; resends are a compare-and-set on the last send; a
// verification happens once.
func testSoleProprietorBrand(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	br := b.brandFor(b.live, subj)
	br.EIN, br.Tier = "", naive.TierSoleProprietor
	_, claimed, err := b.s.ClaimBrand(b.ctx, br, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimBrand: claimed = false")
	}
	must(t, b.s.CompleteBrand(b.ctx, subj, br.ClaimToken, "acct_sp", naive.BrandVerificationPendingOTP, now()))
	got, err := b.s.GetBrand(b.ctx, b.live, subj)
	must(t, err)
	if got.Tier != naive.TierSoleProprietor || got.Verification != naive.BrandVerificationPendingOTP || got.VerificationSentAt != nil {
		t.Fatalf("brand = tier %q verification %q sent %v, want sole_proprietor pending_otp never", got.Tier, got.Verification, got.VerificationSentAt)
	}

	t1, t2 := now().Add(time.Second), now().Add(2*time.Second)
	ok, err := b.s.SetBrandVerificationSent(b.ctx, b.live, subj, nil, &t1, now())
	must(t, err)
	if !ok {
		t.Fatal("first send: not set")
	}
	if ok, err = b.s.SetBrandVerificationSent(b.ctx, b.live, subj, nil, &t2, now()); err != nil || ok {
		t.Fatalf("send from a stale view: ok=%v err=%v, want false", ok, err)
	}
	if ok, err = b.s.SetBrandVerificationSent(b.ctx, b.other, subj, &t1, &t2, now()); err != nil || ok {
		t.Fatalf("send from another tenant: ok=%v err=%v, want false", ok, err)
	}
	if ok, err = b.s.SetBrandVerificationSent(b.ctx, b.live, subj, &t1, &t2, now()); err != nil || !ok {
		t.Fatalf("second send: ok=%v err=%v, want true", ok, err)
	}
	got, err = b.s.GetBrand(b.ctx, b.live, subj)
	must(t, err)
	if got.VerificationSentAt == nil || !got.VerificationSentAt.Equal(t2) {
		t.Fatalf("verification_sent_at = %v, want %v", got.VerificationSentAt, t2)
	}

	var verified atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			ok, err := b.s.VerifyBrand(b.ctx, subj, now())
			if err != nil {
				t.Error(err)
			}
			if ok {
				verified.Add(1)
			}
		})
	}
	wg.Wait()
	if verified.Load() != 1 {
		t.Fatalf("%d VerifyBrand calls verified, want 1", verified.Load())
	}
	got, err = b.s.GetBrand(b.ctx, b.live, subj)
	must(t, err)
	if got.Verification != naive.BrandVerificationVerified {
		t.Fatalf("verification = %q, want verified", got.Verification)
	}
	if ok, err = b.s.SetBrandVerificationSent(b.ctx, b.live, subj, &t2, &t1, now()); err != nil || ok {
		t.Fatalf("send after verification: ok=%v err=%v, want false", ok, err)
	}
}

// testDeferredCampaign: a registered campaign without a carrier id is
// claimed by one pass at a time, taken over when stale, and completed
// only under the claim that holds it.
func testDeferredCampaign(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	c := b.campaignFor(b.live, subj, naive.Campaign10DLC)
	_, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign: claimed = false")
	}
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "", naive.CampaignCreated, now()))

	var won atomic.Int32
	var wg sync.WaitGroup
	tokens := make([]string, 6)
	for i := range tokens {
		tokens[i] = newID()
		wg.Go(func() {
			ok, err := b.s.ClaimDeferredCampaign(b.ctx, c.ID, tokens[i], b.proc, now(), now().Add(-time.Hour), b.liveAfter)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d concurrent deferred claims won, want 1", won.Load())
	}
	// Registered all along: lists and numbers keep seeing it.
	camps, err := b.s.ListCampaigns(b.ctx, b.live, subj)
	must(t, err)
	if len(camps) != 1 || camps[0].ID != c.ID {
		t.Fatalf("ListCampaigns under a deferred claim = %+v, want the campaign", camps)
	}
	// A stale claim is taken over; the old claimer can no longer complete.
	late := newID()
	ok, err := b.s.ClaimDeferredCampaign(b.ctx, c.ID, late, b.proc, now(), now().Add(time.Hour), b.liveAfter)
	must(t, err)
	if !ok {
		t.Fatal("stale deferred claim not taken over")
	}
	for _, tok := range tokens {
		wantErr(t, b.s.CompleteDeferredCampaign(b.ctx, c.ID, tok, "cpn_old", naive.CampaignInReview, now()), store.ErrConflict)
	}
	must(t, b.s.ReleaseDeferredCampaign(b.ctx, c.ID, late))
	again := newID()
	if ok, err = b.s.ClaimDeferredCampaign(b.ctx, c.ID, again, b.proc, now(), now().Add(-time.Hour), b.liveAfter); err != nil || !ok {
		t.Fatalf("claim after release: ok=%v err=%v", ok, err)
	}
	must(t, b.s.CompleteDeferredCampaign(b.ctx, c.ID, again, "cpn_1", naive.CampaignInReview, now()))
	got, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	if got.CarrierID != "cpn_1" || got.Status != naive.CampaignInReview {
		t.Fatalf("completed campaign = %q %q, want cpn_1 in_review", got.CarrierID, got.Status)
	}
	if ok, err = b.s.ClaimDeferredCampaign(b.ctx, c.ID, newID(), b.proc, now(), now().Add(time.Hour), b.liveAfter); err != nil || ok {
		t.Fatalf("claim of a campaign the carrier has: ok=%v err=%v, want false", ok, err)
	}
}
