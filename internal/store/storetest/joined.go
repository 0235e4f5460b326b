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
	if v, err := b.s.ConfigVersion(b.ctx, b.op.ID); err != nil || v != version {
		t.Fatalf("GetCaller's version %d, ConfigVersion %d (%v)", version, v, err)
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

// testConfigVersion: every change to an operator's keys, subjects or kits
// moves its counter (a process trusts what it read while it does not);
// other operators' counters and other writes leave it alone.
func testConfigVersion(t *testing.T, b *bundle) {
	version := func() int64 {
		t.Helper()
		v, err := b.s.ConfigVersion(b.ctx, b.op.ID)
		must(t, err)
		return v
	}
	moved := func(what string, change func()) {
		t.Helper()
		before := version()
		change()
		if after := version(); after <= before {
			t.Fatalf("%s: config version %d -> %d, want it to move", what, before, after)
		}
	}
	if v, err := b.s.ConfigVersion(b.ctx, newID()); err != nil || v != 0 {
		t.Fatalf("an unknown operator's version: %d %v, want 0", v, err)
	}
	k := &naive.APIKey{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeTest, Name: "v", Prefix: "nv_sk_test",
		Hash: "hash-" + newID(), CreatedAt: now()}
	must(t, b.s.CreateAPIKey(b.ctx, k))
	moved("RevokeAPIKey", func() { _, err := b.s.RevokeAPIKey(b.ctx, b.op.ID, k.ID, now()); must(t, err) })
	subj := subject(b.test, false)
	moved("CreateSubject", func() { must(t, b.s.CreateSubject(b.ctx, &subj)) })
	moved("UpdateSubject", func() {
		s := b.testSubject
		s.LegalName, s.UpdatedAt = "Renamed LLC", now()
		must(t, b.s.UpdateSubject(b.ctx, &s))
	})
	kit := &naive.AccountKit{ID: newID(), OperatorID: b.op.ID, Mode: naive.ModeTest, Name: "v",
		PrimitivesConfig: map[string]naive.PrimitiveConfig{}, CreatedAt: now(), UpdatedAt: now()}
	must(t, b.s.CreateKit(b.ctx, kit))
	moved("AssignKit", func() { must(t, b.s.AssignKit(b.ctx, b.test, b.testSubject.ID, kit.ID, now())) })
	moved("UpdateKit", func() { kit.Name, kit.UpdatedAt = "v2", now(); must(t, b.s.UpdateKit(b.ctx, kit)) })
	moved("DeleteKit", func() { must(t, b.s.DeleteKit(b.ctx, b.test, kit.ID)) })
	moved("DeleteSubject", func() { must(t, b.s.DeleteSubject(b.ctx, b.test, subj.ID, now())) })

	// A purchase is not configuration: the counter stays.
	before := version()
	b.grant(t, b.test, 100)
	p := newPhone(b.test, b.testSubject.ID)
	_, err := b.s.ReservePhone(b.ctx, p, debitFor(p), noRun)
	must(t, err)
	if after := version(); after != before {
		t.Fatalf("a reserve moved the config version %d -> %d", before, after)
	}
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
