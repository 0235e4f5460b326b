package storetest

import (
	"time"

	"testing"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testGetCaller: a key with its scope's default subject in one read; a
// scope without a default subject gives the key alone; a revoked or
// unknown key is not found.
func testGetCaller(t *testing.T, b *bundle) {
	k := &naive.APIKey{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeTest, Name: "caller", Prefix: "nv_sk_test",
		Hash: "hash-" + newID(), CreatedAt: now()}
	must(t, b.s.CreateAPIKey(b.ctx, k))
	got, subj, version, err := b.s.GetCaller(b.ctx, k.Hash)
	must(t, err)
	equal(t, "GetCaller key", *got, *k)
	if v, err := b.s.Versions(b.ctx, b.op.ID); err != nil || v != version {
		t.Fatalf("GetCaller's versions %+v, Versions %+v (%v)", version, v, err)
	}
	want, err := b.s.GetDefaultSubject(b.ctx, b.test)
	must(t, err)
	if subj == nil {
		t.Fatal("GetCaller: no default subject")
	}
	equal(t, "GetCaller subject", *subj, *want)

	// An operator whose scope has no default subject.
	op := naive.Operator{ID: newID(), Name: "bare", CreatedAt: now()}
	must(t, b.s.CreateOperator(b.ctx, &op))
	bare := &naive.APIKey{ID: newID(), OperatorID: op.ID, Mode: naive.ModeLive, Name: "bare", Prefix: "nv_sk_live",
		Hash: "hash-" + newID(), CreatedAt: now()}
	must(t, b.s.CreateAPIKey(b.ctx, bare))
	got, subj, _, err = b.s.GetCaller(b.ctx, bare.Hash)
	must(t, err)
	equal(t, "GetCaller key without a default subject", *got, *bare)
	if subj != nil {
		t.Fatalf("GetCaller: subject %+v for a scope without one", subj)
	}

	_, err = b.s.RevokeAPIKey(b.ctx, b.op.ID, k.ID, now())
	must(t, err)
	_, _, _, err = b.s.GetCaller(b.ctx, k.Hash)
	wantErr(t, err, store.ErrNotFound)
	_, _, _, err = b.s.GetCaller(b.ctx, "unknown")
	wantErr(t, err, store.ErrNotFound)
}

// testVersions: every change to an operator's keys, subjects or kits moves
// its config counter, every change to a phone (once reserved) or a
// campaign its numbers counter (a process trusts what it read while they
// do not); other operators' counters and other writes leave them alone.
func testVersions(t *testing.T, b *bundle) {
	versions := func() store.Versions {
		t.Helper()
		v, err := b.s.Versions(b.ctx, b.op.ID)
		must(t, err)
		return v
	}
	// moved runs change and checks that exactly the counters it should
	// move did.
	moved := func(what string, config, numbers bool, change func()) {
		t.Helper()
		before := versions()
		change()
		after := versions()
		if (after.Config > before.Config) != config || after.Config < before.Config {
			t.Fatalf("%s: config version %d -> %d, want moved=%v", what, before.Config, after.Config, config)
		}
		if (after.Numbers > before.Numbers) != numbers || after.Numbers < before.Numbers {
			t.Fatalf("%s: numbers version %d -> %d, want moved=%v", what, before.Numbers, after.Numbers, numbers)
		}
	}
	if v, err := b.s.Versions(b.ctx, newID()); err != nil || v != (store.Versions{}) {
		t.Fatalf("an unknown operator's versions: %+v %v, want zeros", v, err)
	}
	k := &naive.APIKey{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeTest, Name: "v", Prefix: "nv_sk_test",
		Hash: "hash-" + newID(), CreatedAt: now()}
	must(t, b.s.CreateAPIKey(b.ctx, k))
	moved("RevokeAPIKey", true, false, func() { _, err := b.s.RevokeAPIKey(b.ctx, b.op.ID, k.ID, now()); must(t, err) })
	subj := subject(b.test, false)
	moved("CreateSubject", true, false, func() { must(t, b.s.CreateSubject(b.ctx, &subj)) })
	moved("UpdateSubject", true, false, func() {
		s := b.testSubject
		s.LegalName, s.UpdatedAt = "Renamed LLC", now()
		must(t, b.s.UpdateSubject(b.ctx, &s))
	})
	kit := &naive.AccountKit{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeTest, Name: "v",
		PrimitivesConfig: map[string]naive.PrimitiveConfig{}, CreatedAt: now(), UpdatedAt: now()}
	must(t, b.s.CreateKit(b.ctx, kit))
	moved("AssignKit", true, false, func() { must(t, b.s.AssignKit(b.ctx, b.test, b.testSubject.ID, kit.ID, now())) })
	moved("UpdateKit", true, false, func() { kit.Name, kit.UpdatedAt = "v2", now(); must(t, b.s.UpdateKit(b.ctx, kit)) })
	moved("DeleteKit", true, false, func() { must(t, b.s.DeleteKit(b.ctx, b.test, kit.ID)) })
	moved("DeleteSubject", true, false, func() { must(t, b.s.DeleteSubject(b.ctx, b.test, subj.ID, now())) })

	// Numbers: a reserve is not read before its activation, which moves
	// the numbers counter, as do a failure and a release; the campaign's
	// every step moves it too.
	b.grant(t, b.test, 1000)
	p := newPhone(b.test, b.testSubject.ID)
	moved("ReservePhone", false, false, func() { _, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun); must(t, err) })
	c := &naive.Campaign{ID: newID(), SubjectID: b.testSubject.ID, OperatorID: b.op.ID, Mode: naive.ModeTest, Kind: naive.Campaign10DLC,
		Status: naive.CampaignCreated, ClaimToken: newID(), ClaimedBy: b.proc, ClaimedAt: now(), CreatedAt: now(), UpdatedAt: now()}
	moved("ClaimCampaign", false, true, func() {
		_, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-2*time.Minute), b.liveAfter)
		must(t, err)
		if !claimed {
			t.Fatal("campaign not claimed")
		}
	})
	moved("CompleteCampaign", false, true, func() {
		must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_versions", naive.CampaignInReview, now()))
	})
	moved("AdvanceCampaign", false, true, func() {
		_, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignActive, "", now(), nil, nil)
		must(t, err)
	})
	moved("ActivatePhone", false, true, func() {
		must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550199", "pn_versions", c.ID), noRun))
	})
	moved("MarkPhoneReleased", false, true, func() {
		_, err := b.s.MarkPhoneReleased(b.ctx, b.test, p.ID, now(), nil, noRun)
		must(t, err)
	})
	failed := newPhone(b.test, b.testSubject.ID)
	_, err := b.s.ReservePhone(b.ctx, failed, debitFor(failed), noRun)
	must(t, err)
	moved("FailPhone", false, true, func() { _, err := b.s.FailPhone(b.ctx, failed.ID, nil, noRun); must(t, err) })
	gone := &naive.Campaign{ID: newID(), SubjectID: b.liveSubject.ID, OperatorID: b.op.ID, Mode: naive.ModeLive,
		Kind: naive.Campaign10DLC, Status: naive.CampaignCreated, ClaimToken: newID(), ClaimedBy: b.proc, ClaimedAt: now(),
		CreatedAt: now(), UpdatedAt: now()}
	_, _, err = b.s.ClaimCampaign(b.ctx, gone, now().Add(-2*time.Minute), b.liveAfter)
	must(t, err)
	moved("AbandonCampaign", false, true, func() { must(t, b.s.AbandonCampaign(b.ctx, gone.ID, gone.ClaimToken)) })

	// Money alone moves neither.
	moved("a grant", false, false, func() { b.grant(t, b.test, 100) })
}

// testGetPhoneAndCampaign: a phone with its campaign in one read; a phone
// without a campaign gives the phone alone; another scope's phone is not
// found.
func testGetPhoneAndCampaign(t *testing.T, b *bundle) {
	b.grant(t, b.live, 1000)
	subj := b.liveSubject.ID
	c := &naive.Campaign{ID: newID(), SubjectID: subj, OperatorID: b.op.ID, Mode: naive.ModeLive, Kind: naive.Campaign10DLC,
		Status: naive.CampaignCreated, ClaimToken: newID(), ClaimedBy: b.proc, ClaimedAt: now(), CreatedAt: now(), UpdatedAt: now()}
	_, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-2*time.Minute), b.liveAfter)
	must(t, err)
	if !claimed {
		t.Fatal("campaign not claimed")
	}
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_joined", naive.CampaignInReview, now()))
	wantCamp, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)

	p := newPhone(b.live, subj)
	_, err = b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
	must(t, err)
	ph, camp, err := b.s.GetPhoneAndCampaign(b.ctx, b.live, p.ID)
	must(t, err)
	equal(t, "phone without a campaign", *ph, *p)
	if camp != nil {
		t.Fatalf("campaign %+v for a phone without one", camp)
	}
	must(t, b.s.ActivatePhone(b.ctx, activation(p.ID, "+14155550111", "pn_joined", c.ID), noRun))
	want, err := b.s.GetPhone(b.ctx, b.live, p.ID)
	must(t, err)
	ph, camp, err = b.s.GetPhoneAndCampaign(b.ctx, b.live, p.ID)
	must(t, err)
	equal(t, "phone", *ph, *want)
	if camp == nil {
		t.Fatal("no campaign")
	}
	equal(t, "campaign", *camp, *wantCamp)

	_, _, err = b.s.GetPhoneAndCampaign(b.ctx, b.test, p.ID)
	wantErr(t, err, store.ErrNotFound)
	_, _, err = b.s.GetPhoneAndCampaign(b.ctx, b.other, p.ID)
	wantErr(t, err, store.ErrNotFound)
}
