package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testCampaignContent: the fields a subject set are stored whole and
// replaced whole, scoped to the subject's tenant and mode; a subject that
// set none, or one out of scope, is not found.
func testCampaignContent(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	if _, err := b.s.GetCampaignContent(b.ctx, b.live, sid); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("content before any: %v, want ErrNotFound", err)
	}
	desc, vol := "Acme sends account notifications to customers who opted in on its site.", "high"
	c := &store.CampaignContent{SubjectID: sid, OperatorID: b.live.OperatorID, Mode: b.live.Mode,
		Fields:    naive.CampaignContentPatch{Description: &desc, MessageSamples: []string{"one", "two"}, Volume: &vol},
		UpdatedBy: naive.Actor{Type: "human", ID: b.user.ID}, UpdatedAt: now()}
	must(t, b.s.PutCampaignContent(b.ctx, c))
	got, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
	must(t, err)
	if !reflect.DeepEqual(got.Fields, c.Fields) || got.UpdatedBy != c.UpdatedBy || !got.UpdatedAt.Equal(c.UpdatedAt) || got.SubjectID != sid {
		t.Fatalf("stored %+v, read %+v", c, got)
	}
	// Replaced whole: a field no longer set is gone.
	c.Fields = naive.CampaignContentPatch{UseCases: []string{"customer_care"}}
	c.UpdatedAt = now().Add(time.Second)
	must(t, b.s.PutCampaignContent(b.ctx, c))
	got, err = b.s.GetCampaignContent(b.ctx, b.live, sid)
	must(t, err)
	if got.Fields.Description != nil || got.Fields.MessageSamples != nil || !reflect.DeepEqual(got.Fields.UseCases, []string{"customer_care"}) {
		t.Fatalf("after replace: %+v", got.Fields)
	}
	// Other scopes see nothing, and cannot write to the subject.
	for _, sc := range []naive.Scope{b.test, b.other} {
		if _, err := b.s.GetCampaignContent(b.ctx, sc, sid); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("content from %v: %v, want ErrNotFound", sc, err)
		}
		bad := *c
		bad.OperatorID, bad.Mode = sc.OperatorID, sc.Mode
		if err := b.s.PutCampaignContent(b.ctx, &bad); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("put from %v: %v, want ErrNotFound", sc, err)
		}
	}
	if err := b.s.PutCampaignContent(b.ctx, &store.CampaignContent{SubjectID: newID(), OperatorID: b.live.OperatorID, Mode: b.live.Mode,
		UpdatedAt: now()}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("put for an unknown subject: %v, want ErrNotFound", err)
	}
	if err := b.s.PutCampaignContent(b.ctx, &store.CampaignContent{SubjectID: sid, OperatorID: b.live.OperatorID, Mode: b.live.Mode}); err == nil ||
		errors.Is(err, store.ErrNotFound) {
		t.Fatalf("put without UpdatedAt: %v", err)
	}
}

// testCheckOverrides: overrides are appended to a campaign in scope and
// listed oldest first; a campaign out of scope stores none.
func testCheckOverrides(t *testing.T, b *bundle) {
	c := b.registered(t, naive.CampaignCreated)
	if l, err := b.s.ListCheckOverrides(b.ctx, b.live, c.ID); err != nil || len(l) != 0 {
		t.Fatalf("overrides before any: %v %v", l, err)
	}
	actor := naive.Actor{Type: "human", ID: b.user.ID}
	first := []naive.CheckOverride{
		{Rule: "privacy_policy_sms", Message: "no SMS", Submission: naive.SubmissionRegistration, Actor: actor, CreatedAt: now()},
		{Rule: "terms_page", Message: "404", Submission: naive.SubmissionRegistration, Actor: actor, CreatedAt: now()},
	}
	must(t, b.s.AddCheckOverrides(b.ctx, b.live, c.ID, first))
	later := []naive.CheckOverride{{Rule: "privacy_policy_sms", Message: "still no SMS", Submission: naive.SubmissionResubmission,
		Actor: actor, CreatedAt: now().Add(time.Minute)}}
	must(t, b.s.AddCheckOverrides(b.ctx, b.live, c.ID, later))
	got, err := b.s.ListCheckOverrides(b.ctx, b.live, c.ID)
	must(t, err)
	want := append(append([]naive.CheckOverride{}, first...), later...)
	if len(got) != 3 || got[2].Submission != naive.SubmissionResubmission || got[2].Message != "still no SMS" {
		t.Fatalf("overrides %+v", got)
	}
	for i := range want {
		if got[i].Rule != want[i].Rule || got[i].Actor != actor || !got[i].CreatedAt.Equal(want[i].CreatedAt) {
			t.Fatalf("override %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, sc := range []naive.Scope{b.test, b.other} {
		if err := b.s.AddCheckOverrides(b.ctx, sc, c.ID, later); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("add from %v: %v, want ErrNotFound", sc, err)
		}
		if l, err := b.s.ListCheckOverrides(b.ctx, sc, c.ID); err != nil || len(l) != 0 {
			t.Fatalf("list from %v: %v %v", sc, l, err)
		}
	}
	if l, _ := b.s.ListCheckOverrides(b.ctx, b.live, c.ID); len(l) != 3 {
		t.Fatalf("a refused add stored: %d overrides", len(l))
	}
}
