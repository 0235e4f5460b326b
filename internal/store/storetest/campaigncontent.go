package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// testCampaignContent: a patch is merged into the fields a subject set
// (an omitted field stays, an emptied one is unset), scoped to the
// subject's tenant and mode; a subject that set none, or one out of
// scope, is not found.
func testCampaignContent(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	if _, err := b.s.GetCampaignContent(b.ctx, b.live, sid); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("content before any: %v, want ErrNotFound", err)
	}
	by := naive.Actor{Type: "human", ID: b.user.ID}
	desc, vol := "Acme sends account notifications to customers who opted in on its site.", "high"
	at := now()
	c, err := b.s.PatchCampaignContent(b.ctx, b.live, sid,
		naive.CampaignContentPatch{Description: &desc, MessageSamples: []string{" one ", "two"}, Volume: &vol}, by, at)
	must(t, err)
	want := naive.CampaignContentPatch{Description: &desc, MessageSamples: []string{"one", "two"}, Volume: &vol}
	if !reflect.DeepEqual(c.Fields, want) || c.UpdatedBy != by || !c.UpdatedAt.Equal(at) || c.SubjectID != sid {
		t.Fatalf("patch answered %+v", c)
	}
	got, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
	must(t, err)
	if !reflect.DeepEqual(got.Fields, want) || got.UpdatedBy != by || !got.UpdatedAt.Equal(c.UpdatedAt) || got.SubjectID != sid ||
		got.OperatorID != b.live.OperatorID || got.Mode != b.live.Mode {
		t.Fatalf("stored %+v, read %+v", c, got)
	}
	// Merged: an omitted field stays, an empty one is unset.
	empty := ""
	c, err = b.s.PatchCampaignContent(b.ctx, b.live, sid,
		naive.CampaignContentPatch{UseCases: []string{"customer_care"}, MessageSamples: []string{}, Volume: &empty}, by, now().Add(time.Second))
	must(t, err)
	got, err = b.s.GetCampaignContent(b.ctx, b.live, sid)
	must(t, err)
	want = naive.CampaignContentPatch{Description: &desc, UseCases: []string{"customer_care"}}
	if !reflect.DeepEqual(got.Fields, want) || !reflect.DeepEqual(c.Fields, want) {
		t.Fatalf("after the second patch: stored %+v, answered %+v", got.Fields, c.Fields)
	}
	// Other scopes see nothing, and cannot write to the subject.
	for _, sc := range []naive.Scope{b.test, b.other} {
		if _, err := b.s.GetCampaignContent(b.ctx, sc, sid); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("content from %v: %v, want ErrNotFound", sc, err)
		}
		if _, err := b.s.PatchCampaignContent(b.ctx, sc, sid, naive.CampaignContentPatch{Volume: &vol}, by, now()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("patch from %v: %v, want ErrNotFound", sc, err)
		}
	}
	if got, _ := b.s.GetCampaignContent(b.ctx, b.live, sid); got.Fields.Volume != nil {
		t.Fatalf("a refused patch stored: %+v", got.Fields)
	}
	if _, err := b.s.PatchCampaignContent(b.ctx, b.live, newID(), naive.CampaignContentPatch{}, by, now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("patch for an unknown subject: %v, want ErrNotFound", err)
	}
	if _, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{}, by, time.Time{}); err == nil ||
		errors.Is(err, store.ErrNotFound) {
		t.Fatalf("patch without a time: %v", err)
	}
}

// allFields is a patch setting every field, to values naming round.
func allFields(round int) naive.CampaignContentPatch {
	v := func(f string) *string { s := fmt.Sprintf("%s %d", f, round); return &s }
	return naive.CampaignContentPatch{Description: v("description"), MessageSamples: []string{fmt.Sprintf("sample %d", round), "two"},
		ConsentFlow: v("consent"), UseCases: []string{fmt.Sprintf("use %d", round)}, Volume: v("volume"), HelpMessage: v("help"),
		OptOutMessage: v("opt-out"), PrivacyPolicyURL: v("privacy"), TermsURL: v("terms")}
}

// single is the patch setting only field i (of nine) of p.
func single(p naive.CampaignContentPatch, i int) naive.CampaignContentPatch {
	var out naive.CampaignContentPatch
	switch i {
	case 0:
		out.Description = p.Description
	case 1:
		out.MessageSamples = p.MessageSamples
	case 2:
		out.ConsentFlow = p.ConsentFlow
	case 3:
		out.UseCases = p.UseCases
	case 4:
		out.Volume = p.Volume
	case 5:
		out.HelpMessage = p.HelpMessage
	case 6:
		out.OptOutMessage = p.OptOutMessage
	case 7:
		out.PrivacyPolicyURL = p.PrivacyPolicyURL
	case 8:
		out.TermsURL = p.TermsURL
	}
	return out
}

// testCampaignContentConcurrentPatches: patches of different fields at
// the same moment are all kept, none lost to another's write of what it
// read before.
func testCampaignContentConcurrentPatches(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	by := naive.Actor{Type: "human", ID: b.user.ID}
	for round := range 8 {
		want := allFields(round)
		concurrently(9, func(i int) {
			if _, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, single(want, i), by, now()); err != nil {
				t.Errorf("patch of field %d: %v", i, err)
			}
		})
		got, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
		must(t, err)
		if !reflect.DeepEqual(got.Fields, want) {
			t.Fatalf("round %d: after 9 concurrent patches of different fields, stored\n%s\nwant\n%s", round, show(got.Fields), show(want))
		}
	}
}

// testCampaignContentLocked: once the subject has a 10DLC campaign,
// registered in any status but rejected or still claimed (being
// registered), a patch is a conflict and stores nothing; a rejected one
// lets it change, and a toll-free campaign never stops it.
func testCampaignContentLocked(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	by := naive.Actor{Type: "human", ID: b.user.ID}
	desc := "before any campaign"
	_, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &desc}, by, now())
	must(t, err)
	tf := b.campaignFor(b.live, sid, naive.CampaignTollFree)
	if _, claimed, err := b.s.ClaimCampaign(b.ctx, tf, now().Add(-time.Hour), b.liveAfter); err != nil || !claimed {
		t.Fatalf("claim the toll-free campaign: %v %v", claimed, err)
	}
	desc = "with a toll-free campaign"
	_, err = b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &desc}, by, now())
	must(t, err)

	c := b.campaignFor(b.live, sid, naive.Campaign10DLC)
	if _, claimed, err := b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter); err != nil || !claimed {
		t.Fatalf("claim the 10DLC campaign: %v %v", claimed, err)
	}
	refused := func(what string) {
		t.Helper()
		v := "refused " + what
		_, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &v, Volume: &v}, by, now())
		wantErr(t, err, store.ErrConflict)
		got, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
		must(t, err)
		if *got.Fields.Description != desc || got.Fields.Volume != nil {
			t.Fatalf("a patch refused while the campaign is %s stored %s", what, show(got.Fields))
		}
	}
	refused("claimed")
	must(t, b.s.CompleteCampaign(b.ctx, c.ID, c.ClaimToken, "cmp_1", naive.CampaignCreated, now()))
	refused(naive.CampaignCreated)
	for _, st := range []string{naive.CampaignInReview, naive.CampaignRejected} {
		if _, err := b.s.AdvanceCampaign(b.ctx, c.ID, st, "", now(), nil, nil); err != nil {
			t.Fatal(err)
		}
		if st != naive.CampaignRejected {
			refused(st)
		}
	}
	desc = "after the rejection"
	got, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &desc}, by, now())
	must(t, err)
	if *got.Fields.Description != desc {
		t.Fatalf("patch of a rejected campaign's content answered %s", show(got.Fields))
	}
	must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, got.Fields, now(), nil))
	refused(naive.CampaignInReview + " again")
}

// testCampaignContentClaimRace: a patch racing the claim of the 10DLC
// campaign is either refused or stored before the claim, so that what a
// registration reads once its claim returns has it: never a stored patch
// the registration did not read.
func testCampaignContentClaimRace(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	by := naive.Actor{Type: "human", ID: b.user.ID}
	kept, refused := 0, 0
	for round := range 40 {
		empty := ""
		_, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &empty}, by, now())
		must(t, err)
		c := b.campaignFor(b.live, sid, naive.Campaign10DLC)
		desc := fmt.Sprintf("patched in round %d", round)
		var (
			read     *string
			claimErr error
			patchErr error
		)
		concurrently(2, func(i int) {
			if i == 1 {
				_, patchErr = b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &desc}, by, now())
				return
			}
			var claimed bool
			if _, claimed, claimErr = b.s.ClaimCampaign(b.ctx, c, now().Add(-time.Hour), b.liveAfter); claimErr != nil || !claimed {
				if claimErr == nil {
					claimErr = errors.New("not claimed")
				}
				return
			}
			// What the registration sends: the content read after the claim.
			got, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
			if err != nil {
				claimErr = err
				return
			}
			read = got.Fields.Description
		})
		if claimErr != nil {
			t.Fatalf("round %d: claim: %v", round, claimErr)
		}
		switch {
		case patchErr == nil:
			kept++
			if read == nil || *read != desc {
				t.Fatalf("round %d: the patch was stored, but the registration read description %v after its claim", round, read)
			}
		case errors.Is(patchErr, store.ErrConflict):
			refused++
			if read != nil {
				t.Fatalf("round %d: a refused patch was read: %q", round, *read)
			}
		default:
			t.Fatalf("round %d: patch: %v", round, patchErr)
		}
		must(t, b.s.AbandonCampaign(b.ctx, c.ID, c.ClaimToken))
	}
	t.Logf("%d patches kept before the claim, %d refused after it", kept, refused)
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

// testResubmitContentFence: a resubmission planned on campaign content
// that a patch has changed since (or set, when there was none) is
// refused with ErrContentChanged and changes nothing — the campaign stays
// rejected with its reason, its event is not stored, and the content can
// still be patched; planned on the content as stored, it moves.
func testResubmitContentFence(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	by := naive.Actor{Type: "human", ID: b.user.ID}
	c := b.registered(t, naive.CampaignInReview)
	if changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignRejected, "Consent flow unclear.", now(), nil, nil); err != nil || !changed {
		t.Fatalf("reject: %v %v", changed, err)
	}
	before, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
	must(t, err)
	stale := func(what string, planned naive.CampaignContentPatch) {
		t.Helper()
		ev := campaignEvent(b.live)
		err := b.s.ResubmitCampaign(b.ctx, b.live, c.ID, planned, now().Add(time.Minute), []*naive.Event{ev})
		wantErr(t, err, store.ErrContentChanged)
		got, err := b.s.GetCampaign(b.ctx, b.live, c.ID)
		must(t, err)
		if got.Status != naive.CampaignRejected || got.RejectionReason == nil || *got.RejectionReason != *before.RejectionReason ||
			!got.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("a resubmission planned on %s moved the campaign: %s %v %v", what, got.Status, got.RejectionReason, got.UpdatedAt)
		}
		if b.event(t, b.live, ev.ID) != nil {
			t.Fatalf("a resubmission planned on %s stored its event", what)
		}
	}
	// Planned on no content; a patch then set some.
	desc := "Acme texts order updates to customers who opted in at checkout."
	read, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &desc}, by, now())
	must(t, err)
	stale("no content", naive.CampaignContentPatch{})
	// Planned on that content; a patch of another field came after, at
	// the same moment (a timestamp cannot tell them apart).
	vol := "high"
	_, err = b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Volume: &vol}, by, read.UpdatedAt)
	must(t, err)
	stale("content patched since", read.Fields)
	// A patch of the still rejected campaign's content is taken.
	cur, err := b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{UseCases: []string{"customer_care"}}, by, now())
	must(t, err)
	stale("content patched twice since", read.Fields)

	// Planned on the content as stored (read back, or as the patch
	// answered it): it moves, and the content is then locked.
	got, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
	must(t, err)
	if !reflect.DeepEqual(got.Fields, cur.Fields) {
		t.Fatalf("stored %s, patch answered %s", show(got.Fields), show(cur.Fields))
	}
	ev := campaignEvent(b.live)
	must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, cur.Fields, now().Add(time.Minute), []*naive.Event{ev}))
	if b.campaignStatus(t, c.ID) != naive.CampaignInReview || b.event(t, b.live, ev.ID) == nil {
		t.Fatal("a resubmission planned on the stored content did not move the campaign with its event")
	}
	_, err = b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Volume: &vol}, by, now())
	wantErr(t, err, store.ErrConflict)
	// Not rejected any more: a conflict, whatever the content.
	err = b.s.ResubmitCampaign(b.ctx, b.live, c.ID, read.Fields, now(), nil)
	wantErr(t, err, store.ErrConflict)
}

// testResubmitContentRace: a patch racing a resubmission planned on the
// content before it either is refused (the campaign moved first) or
// commits first and the resubmission is refused with ErrContentChanged:
// never both stored, which would leave the campaign in review without
// the patched content.
func testResubmitContentRace(t *testing.T, b *bundle) {
	sid := b.liveSubject.ID
	by := naive.Actor{Type: "human", ID: b.user.ID}
	c := b.registered(t, naive.CampaignInReview)
	outcomes := map[string]int{}
	for round := range 30 {
		if changed, err := b.s.AdvanceCampaign(b.ctx, c.ID, naive.CampaignRejected, "why", now(), nil, nil); err != nil || !changed {
			t.Fatalf("round %d: reject: %v %v", round, changed, err)
		}
		planned, err := b.s.GetCampaignContent(b.ctx, b.live, sid)
		var fields naive.CampaignContentPatch
		switch {
		case err == nil:
			fields = planned.Fields
		case !errors.Is(err, store.ErrNotFound):
			t.Fatal(err)
		}
		desc := fmt.Sprintf("Acme texts order updates to customers who opted in (round %d).", round)
		var patchErr, resubErr error
		concurrently(2, func(i int) {
			if i == 0 {
				_, patchErr = b.s.PatchCampaignContent(b.ctx, b.live, sid, naive.CampaignContentPatch{Description: &desc}, by, now())
			} else {
				resubErr = b.s.ResubmitCampaign(b.ctx, b.live, c.ID, fields, now(), nil)
			}
		})
		switch {
		case patchErr == nil && errors.Is(resubErr, store.ErrContentChanged):
			if b.campaignStatus(t, c.ID) != naive.CampaignRejected {
				t.Fatalf("round %d: a refused resubmission moved the campaign", round)
			}
			// Planned again on the patched content, it moves.
			must(t, b.s.ResubmitCampaign(b.ctx, b.live, c.ID, must2(b.s.GetCampaignContent(b.ctx, b.live, sid))(t).Fields, now(), nil))
			outcomes["patch first"]++
		case errors.Is(patchErr, store.ErrConflict) && resubErr == nil:
			outcomes["resubmission first"]++
		default:
			t.Fatalf("round %d: patch %v, resubmission %v: want one refused", round, patchErr, resubErr)
		}
		if b.campaignStatus(t, c.ID) != naive.CampaignInReview {
			t.Fatalf("round %d: campaign %s, want in_review", round, b.campaignStatus(t, c.ID))
		}
	}
	t.Logf("outcomes %v", outcomes)
}
