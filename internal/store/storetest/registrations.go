package storetest

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// brandFor is a claim of subjectID's brand by b's live process.
func (b *bundle) brandFor(sc naive.Scope, subjectID string) *naive.Brand {
	return &naive.Brand{SubjectID: subjectID, EIN: "12-3456789", Status: naive.BrandRegistering, CreatedAt: now(),
		OperatorID: sc.OperatorID, Mode: sc.Mode, ClaimToken: newID(), ClaimedBy: b.proc, ClaimedAt: now()}
}

// campaignFor is a claim of subjectID's campaign of kind by b's live process.
func (b *bundle) campaignFor(sc naive.Scope, subjectID, kind string) *naive.Campaign {
	return &naive.Campaign{ID: newID(), SubjectID: subjectID, Kind: kind, Status: naive.CampaignCreated,
		CreatedAt: now(), UpdatedAt: now(), OperatorID: sc.OperatorID, Mode: sc.Mode, ClaimToken: newID(),
		ClaimedBy: b.proc, ClaimedAt: now()}
}

func testBrand(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	_, err := b.s.GetBrand(b.ctx, b.live, subj)
	wantErr(t, err, store.ErrNotFound)

	// First claim inserts.
	first := b.brandFor(b.live, subj)
	first.ClaimedAt = now().Add(-time.Hour)
	got, claimed, err := b.s.ClaimBrand(b.ctx, first, now().Add(-2*time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("first ClaimBrand: claimed = false")
	}
	equal(t, "claimed brand", *got, *first)

	// A fresh claim is respected.
	second := b.brandFor(b.live, subj)
	second.EIN = "98-7654321"
	got, claimed, err = b.s.ClaimBrand(b.ctx, second, first.ClaimedAt, b.liveAfter)
	must(t, err)
	if claimed {
		t.Fatal("ClaimBrand took over a claim that is not stale")
	}
	equal(t, "brand under another's claim", *got, *first)

	// A stale claim is taken over, EIN replaced by the new claim's; the
	// old claim is lost.
	got, claimed, err = b.s.ClaimBrand(b.ctx, second, first.ClaimedAt.Add(time.Second), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimBrand did not take over a stale claim")
	}
	want := *first
	want.ClaimToken, want.ClaimedBy, want.ClaimedAt, want.EIN = second.ClaimToken, second.ClaimedBy, second.ClaimedAt, second.EIN
	equal(t, "taken-over brand", *got, want)
	wantErr(t, b.s.CompleteBrand(b.ctx, subj, first.ClaimToken, "acct_1", "", now()), store.ErrConflict)
	must(t, b.s.AbandonBrand(b.ctx, subj, first.ClaimToken)) // a lost claim abandons nothing
	if _, err := b.s.GetBrand(b.ctx, b.live, subj); err != nil {
		t.Fatalf("AbandonBrand with a lost claim deleted the brand: %v", err)
	}

	// Complete with the live claim.
	must(t, b.s.CompleteBrand(b.ctx, subj, second.ClaimToken, "acct_2", "", now()))
	got, err = b.s.GetBrand(b.ctx, b.live, subj)
	must(t, err)
	if got.Status != naive.BrandRegistered || got.CarrierID != "acct_2" || got.EIN != second.EIN || got.SubjectID != subj {
		t.Fatalf("registered brand = %s", show(got))
	}
	wantErr(t, b.s.CompleteBrand(b.ctx, subj, second.ClaimToken, "acct_3", "", now()), store.ErrConflict)

	// A registered brand is never taken over, however old its claim.
	third := b.brandFor(b.live, subj)
	got2, claimed, err := b.s.ClaimBrand(b.ctx, third, now().Add(time.Hour), b.liveAfter)
	must(t, err)
	if claimed {
		t.Fatal("ClaimBrand took over a registered brand")
	}
	equal(t, "registered brand from ClaimBrand", *got2, *got)
	must(t, b.s.AbandonBrand(b.ctx, subj, second.ClaimToken))
	if _, err := b.s.GetBrand(b.ctx, b.live, subj); err != nil {
		t.Fatalf("AbandonBrand deleted a registered brand: %v", err)
	}

	// Abandon frees the subject for a new claim.
	s2 := subject(b.test, false)
	must(t, b.s.CreateSubject(b.ctx, &s2))
	a := b.brandFor(b.test, s2.ID)
	_, claimed, err = b.s.ClaimBrand(b.ctx, a, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("claim of a test-mode subject: claimed = false")
	}
	must(t, b.s.AbandonBrand(b.ctx, s2.ID, a.ClaimToken))
	_, err = b.s.GetBrand(b.ctx, b.test, s2.ID)
	wantErr(t, err, store.ErrNotFound)
	a2 := b.brandFor(b.test, s2.ID)
	_, claimed, err = b.s.ClaimBrand(b.ctx, a2, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("claim after abandon: claimed = false")
	}
}

// testBrandConcurrentClaims races 20 claimers for one subject: exactly one
// wins and everyone sees the winner's claim.
func testBrandConcurrentClaims(t *testing.T, b *bundle) {
	var won atomic.Int32
	tokens := make([]string, 20)
	concurrently(20, func(i int) {
		br := b.brandFor(b.live, b.liveSubject.ID)
		got, claimed, err := b.s.ClaimBrand(b.ctx, br, now().Add(-time.Hour), b.liveAfter)
		if err != nil {
			t.Errorf("ClaimBrand: %v", err)
			return
		}
		if claimed {
			won.Add(1)
			if got.ClaimToken != br.ClaimToken {
				t.Errorf("claimed brand carries token %s, not the claimer's", got.ClaimToken)
			}
		}
		tokens[i] = got.ClaimToken
	})
	if won.Load() != 1 {
		t.Fatalf("%d of 20 concurrent ClaimBrand claimed, want 1", won.Load())
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("claimers saw different claims: %v", tokens)
		}
	}
	// Exactly one token completes.
	var completed atomic.Int32
	concurrently(len(tokens), func(i int) {
		tok := tokens[0]
		if i > 0 {
			tok = newID()
		}
		if err := b.s.CompleteBrand(b.ctx, b.liveSubject.ID, tok, "acct", "", now()); err == nil {
			completed.Add(1)
		}
	})
	if completed.Load() != 1 {
		t.Fatalf("%d CompleteBrand succeeded, want 1", completed.Load())
	}
}

func testCampaign(t *testing.T, b *bundle) {
	subj := b.liveSubject.ID
	c := b.campaignFor(b.live, subj, naive.Campaign10DLC)
	eta := "1-2 business days"
	c.ETA = &eta
	c.ClaimedAt = now().Add(-time.Hour)
	got, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-2*time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("first ClaimCampaign: claimed = false")
	}
	equal(t, "claimed campaign", *got, *c)
	got, err = b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	equal(t, "GetCampaign of a claimed campaign", *got, *c)
	empty(t, "ListCampaigns before registration", must2(b.s.ListCampaigns(b.ctx, b.live, subj))(t))
	empty(t, "ListOpenCampaigns before registration", must2(b.s.ListOpenCampaigns(b.ctx, 10))(t))

	// Another kind is another campaign.
	tf := b.campaignFor(b.live, subj, naive.CampaignTollFree)
	_, claimed, err = b.s.ClaimCampaign(b.ctx, tf, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign of another kind: claimed = false")
	}

	// Fresh claim respected; stale claim taken over keeping the stored id.
	c2 := b.campaignFor(b.live, subj, naive.Campaign10DLC)
	got, claimed, err = b.s.ClaimCampaign(b.ctx, c2, c.ClaimedAt, b.liveAfter)
	must(t, err)
	if claimed {
		t.Fatal("ClaimCampaign took over a claim that is not stale")
	}
	equal(t, "campaign under another's claim", *got, *c)
	got, claimed, err = b.s.ClaimCampaign(b.ctx, c2, c.ClaimedAt.Add(time.Second), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign did not take over a stale claim")
	}
	if got.ID != c.ID || got.ClaimToken != c2.ClaimToken {
		t.Fatalf("taken-over campaign: id %s token %s; want id %s token %s", got.ID, got.ClaimToken, c.ID, c2.ClaimToken)
	}
	wantErr(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_1", naive.CampaignCreated, now()), store.ErrConflict)
	must(t, b.s.AbandonCampaign(b.ctx, c.ID, c.ClaimToken)) // lost claim: nothing happens
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c2.ClaimToken, "cmp_1", naive.CampaignInReview, now()))
	wantErr(t, b.s.CompleteCampaign(b.ctx, c.ID, c2.ClaimToken, "cmp_2", naive.CampaignInReview, now()), store.ErrConflict)
	got, err = b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	if got.CarrierID != "cmp_1" || got.Status != naive.CampaignInReview || got.Kind != naive.Campaign10DLC ||
		got.ETA == nil || *got.ETA != eta {
		t.Fatalf("registered campaign = %s", show(got))
	}
	// Registered: listed, and never taken over.
	got2, claimed, err := b.s.ClaimCampaign(b.ctx, b.campaignFor(b.live, subj, naive.Campaign10DLC), now().Add(time.Hour), b.liveAfter)
	must(t, err)
	if claimed || got2.ID != c.ID {
		t.Fatalf("ClaimCampaign of a registered campaign: claimed=%v id=%s", claimed, got2.ID)
	}
	must(t, b.s.AbandonCampaign(b.ctx, c.ID, c2.ClaimToken))
	l, err := b.s.ListCampaigns(b.ctx, b.live, subj)
	must(t, err)
	equal(t, "registered campaigns", l, []naive.Campaign{*got})

	// Abandon deletes an unregistered claim.
	must(t, b.s.AbandonCampaign(b.ctx, tf.ID, tf.ClaimToken))
	_, err = b.s.GetCampaign(b.ctx, b.live, tf.ID)
	wantErr(t, err, store.ErrNotFound)

	// A campaign registered without a carrier id (toll-free verification
	// has no carrier API) is registered all the same: listed, open, never
	// taken over, not abandoned.
	tf = b.campaignFor(b.live, subj, naive.CampaignTollFree)
	_, claimed, err = b.s.ClaimCampaign(b.ctx, tf, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign after abandon: claimed = false")
	}
	must(t, b.s.CompleteCampaign(b.ctx, tf.ID, tf.ClaimToken, "", naive.CampaignCreated, now()))
	tfGot, claimed, err := b.s.ClaimCampaign(b.ctx, b.campaignFor(b.live, subj, naive.CampaignTollFree), now().Add(time.Hour), b.liveAfter)
	must(t, err)
	if claimed || tfGot.ID != tf.ID || tfGot.ClaimToken != "" || tfGot.CarrierID != "" {
		t.Fatalf("ClaimCampaign of a registered toll-free campaign: claimed=%v %s", claimed, show(tfGot))
	}
	must(t, b.s.AbandonCampaign(b.ctx, tf.ID, ""))
	must(t, b.s.AbandonCampaign(b.ctx, tf.ID, tf.ClaimToken))
	wantErr(t, b.s.CompleteCampaign(b.ctx, tf.ID, "", "cmp_x", naive.CampaignActive, now()), store.ErrConflict)
	if _, err := b.s.GetCampaign(b.ctx, b.live, tf.ID); err != nil {
		t.Fatalf("registered toll-free campaign gone: %v", err)
	}
	l, err = b.s.ListCampaigns(b.ctx, b.live, subj)
	must(t, err)
	equal(t, "registered campaigns", ids(l, func(c naive.Campaign) string { return c.ID }), []string{tf.ID, c.ID})

	// ListOpenCampaigns: registered, not final, every tenant.
	s2 := subject(b.test, false)
	must(t, b.s.CreateSubject(b.ctx, &s2))
	var open []string
	for i, status := range []string{naive.CampaignCreated, naive.CampaignActive, naive.CampaignRejected, naive.CampaignInReview} {
		kind := naive.Campaign10DLC
		sid := b.testSubject.ID
		if i%2 == 1 {
			kind = naive.CampaignTollFree
		}
		if i >= 2 {
			sid = s2.ID
		}
		x := b.campaignFor(b.test, sid, kind)
		_, _, err := b.s.ClaimCampaign(b.ctx, x, now().Add(-time.Hour), b.liveAfter)
		must(t, err)
		must(t, b.s.CompleteCampaign(b.ctx, x.ID, x.ClaimToken, "cmp_"+x.ID, status, now()))
		if naive.CampaignRank(status) < 3 {
			open = append(open, x.ID)
		}
	}
	s3 := subject(b.test, false)
	must(t, b.s.CreateSubject(b.ctx, &s3))
	_, claimed, err = b.s.ClaimCampaign(b.ctx, b.campaignFor(b.test, s3.ID, naive.Campaign10DLC), now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign of a new subject: claimed = false")
	}
	all, err := b.s.ListOpenCampaigns(b.ctx, 100)
	must(t, err)
	if len(all) != 4 {
		t.Fatalf("ListOpenCampaigns = %d campaigns, want 4: %v", len(all), ids(all, func(c naive.Campaign) string { return c.ID }))
	}
	seen := map[string]bool{}
	for _, x := range all {
		seen[x.ID] = true
		if x.ClaimToken != "" || naive.CampaignRank(x.Status) >= 3 {
			t.Errorf("ListOpenCampaigns returned %s", show(x))
		}
	}
	for _, id := range append(open, c.ID, tf.ID) {
		if !seen[id] {
			t.Errorf("ListOpenCampaigns misses %s", id)
		}
	}
	two, err := b.s.ListOpenCampaigns(b.ctx, 2)
	must(t, err)
	if len(two) != 2 {
		t.Fatalf("ListOpenCampaigns(2) returned %d", len(two))
	}
}

// testCampaignConcurrentClaims races 20 claimers for one subject's 10DLC
// campaign: exactly one wins, all see one campaign.
func testCampaignConcurrentClaims(t *testing.T, b *bundle) {
	var won atomic.Int32
	got := make([]string, 20)
	concurrently(20, func(i int) {
		c := b.campaignFor(b.live, b.liveSubject.ID, naive.Campaign10DLC)
		x, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
		if err != nil {
			t.Errorf("ClaimCampaign: %v", err)
			return
		}
		if claimed {
			won.Add(1)
			if x.ID != c.ID || x.ClaimToken != c.ClaimToken {
				t.Errorf("claimed campaign is not the claimer's")
			}
		}
		got[i] = x.ID + "/" + x.ClaimToken
	})
	if won.Load() != 1 {
		t.Fatalf("%d of 20 concurrent ClaimCampaign claimed, want 1", won.Load())
	}
	for _, g := range got {
		if g != got[0] {
			t.Fatalf("claimers saw different campaigns: %v", got)
		}
	}
}

// registered stores a registered campaign in status.
func (b *bundle) registered(t *testing.T, status string) *naive.Campaign {
	t.Helper()
	c := b.campaignFor(b.live, b.liveSubject.ID, naive.Campaign10DLC)
	_, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("ClaimCampaign: claimed = false")
	}
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_1", status, now()))
	return c
}

func (b *bundle) campaignStatus(t *testing.T, id string) string {
	t.Helper()
	c, err := b.s.GetCampaign(b.ctx, b.live, id)
	must(t, err)
	return c.Status
}

func testAdvanceCampaign(t *testing.T, b *bundle) {
	c := b.registered(t, naive.CampaignCreated)
	for _, step := range []struct {
		status  string
		changed bool
		after   string
	}{
		{naive.CampaignCreated, false, naive.CampaignCreated},
		{naive.CampaignInReview, true, naive.CampaignInReview},
		{naive.CampaignInReview, false, naive.CampaignInReview},
		{naive.CampaignCreated, false, naive.CampaignInReview},
		{"bogus", false, naive.CampaignInReview},
		{naive.CampaignActive, true, naive.CampaignActive},
		{naive.CampaignInReview, false, naive.CampaignActive},
		{naive.CampaignRejected, false, naive.CampaignActive},
		{naive.CampaignActive, false, naive.CampaignActive},
	} {
		at := now()
		changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, step.status, "", at, nil, nil)
		must(t, err)
		if changed != step.changed {
			t.Fatalf("AdvanceCampaign(%s) changed = %v, want %v", step.status, changed, step.changed)
		}
		got, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
		must(t, err)
		if got.Status != step.after {
			t.Fatalf("after AdvanceCampaign(%s): status %s, want %s", step.status, got.Status, step.after)
		}
		if changed && !got.UpdatedAt.Equal(at) {
			t.Fatalf("updated_at = %v, want %v", got.UpdatedAt, at)
		}
	}
	// Rejected is terminal too.
	c2 := b.campaignFor(b.live, b.liveSubject.ID, naive.CampaignTollFree)
	_, _, err := b.s.ClaimCampaign(b.ctx, c2, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	must(t, b.s.CompleteCampaign(b.ctx, c2.ID, c2.ClaimToken, "cmp_2", naive.CampaignInReview, now()))
	changed, err := b.s.AdvanceCampaign(b.ctx, c2.ID, naive.CampaignRejected, "", now(), nil, nil)
	must(t, err)
	if !changed {
		t.Fatal("in_review → rejected did not change")
	}
	for _, s := range []string{naive.CampaignActive, naive.CampaignInReview, naive.CampaignCreated} {
		changed, err := b.s.AdvanceCampaign(b.ctx, c2.ID, s, "", now(), nil, nil)
		must(t, err)
		if changed || b.campaignStatus(t, c2.ID) != naive.CampaignRejected {
			t.Fatalf("rejected moved to %s", s)
		}
	}
	changed, err = b.s.AdvanceCampaign(b.ctx, newID(), naive.CampaignActive, "", now(), nil, nil)
	if err == nil && changed {
		t.Fatal("AdvanceCampaign of an unknown campaign changed something")
	}
}

// testAdvanceCampaignConcurrent delivers status updates out of order and at
// once, as webhooks and the poller do: the status ends at the highest rank,
// having changed at most once per rank.
func testAdvanceCampaignConcurrent(t *testing.T, b *bundle) {
	c := b.registered(t, naive.CampaignCreated)
	var updates []string
	for range 10 {
		updates = append(updates, naive.CampaignCreated, naive.CampaignInReview, naive.CampaignActive)
	}
	rand.Shuffle(len(updates), func(i, j int) { updates[i], updates[j] = updates[j], updates[i] })
	var changes atomic.Int32
	concurrently(len(updates), func(i int) {
		changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, updates[i], "", now(), nil, nil)
		if err != nil {
			t.Errorf("AdvanceCampaign: %v", err)
		}
		if changed {
			changes.Add(1)
		}
	})
	if n := changes.Load(); n < 1 || n > 2 {
		t.Fatalf("%d updates changed the campaign, want 1 or 2", n)
	}
	if s := b.campaignStatus(t, c.ID); s != naive.CampaignActive {
		t.Fatalf("final status %s, want active", s)
	}

	// Approval and rejection racing from in_review: one of them wins for good.
	c2 := b.campaignFor(b.live, b.liveSubject.ID, naive.CampaignTollFree)
	_, _, err := b.s.ClaimCampaign(b.ctx, c2, now().Add(-time.Hour), b.liveAfter)
	must(t, err)
	must(t, b.s.CompleteCampaign(b.ctx, c2.ID, c2.ClaimToken, "cmp_2", naive.CampaignInReview, now()))
	winners := make([]string, 20)
	concurrently(20, func(i int) {
		status := naive.CampaignActive
		if i%2 == 1 {
			status = naive.CampaignRejected
		}
		changed, err := b.s.AdvanceCampaign(b.ctx, c2.ID, status, "", now(), nil, nil)
		if err != nil {
			t.Errorf("AdvanceCampaign: %v", err)
		}
		if changed {
			winners[i] = status
		}
	})
	var won []string
	for _, w := range winners {
		if w != "" {
			won = append(won, w)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d final updates won, want 1: %v", len(won), won)
	}
	if s := b.campaignStatus(t, c2.ID); s != won[0] {
		t.Fatalf("final status %s, but %s won", s, won[0])
	}
}
