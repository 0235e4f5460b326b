package service_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// patchingCarrier is a recording carrier that runs hook (once) when the
// campaign is created, before answering: a PATCH arriving while the
// registration is at the carrier.
type patchingCarrier struct {
	*recordingCarrier
	once sync.Once
	hook func()
}

func (c *patchingCarrier) CreateCampaign(ctx context.Context, brandID string, r carrier.CampaignRequest) (carrier.Campaign, error) {
	c.once.Do(func() {
		if c.hook != nil {
			c.hook()
		}
	})
	return c.recordingCarrier.CreateCampaign(ctx, brandID, r)
}

// sameRequest reports how the campaign the carrier got differs from
// content c (what GET or PATCH answered), "" when it carries exactly c.
func sameRequest(got carrier.CampaignRequest, c *naive.CampaignContent) string {
	switch {
	case got.Description != c.Description:
		return fmt.Sprintf("description %q, answered %q", got.Description, c.Description)
	case got.ConsentFlow != c.ConsentFlow:
		return fmt.Sprintf("consent_flow %q, answered %q", got.ConsentFlow, c.ConsentFlow)
	case !slices.Equal(got.MessageSamples, c.MessageSamples):
		return fmt.Sprintf("message_samples %q, answered %q", got.MessageSamples, c.MessageSamples)
	case !slices.Equal(got.UseCases, c.UseCases):
		return fmt.Sprintf("use_cases %q, answered %q", got.UseCases, c.UseCases)
	case got.Volume != c.Volume:
		return fmt.Sprintf("volume %q, answered %q", got.Volume, c.Volume)
	case got.PrivacyPolicyURL != c.PrivacyPolicyURL || got.TermsURL != c.TermsURL:
		return fmt.Sprintf("urls %q %q, answered %q %q", got.PrivacyPolicyURL, got.TermsURL, c.PrivacyPolicyURL, c.TermsURL)
	}
	return ""
}

// patchingFixture is complianceFixture with its service on a patching
// carrier (over the fixture's recording one).
func patchingFixture(t *testing.T) (*fixture, *patchingCarrier, string) {
	t.Helper()
	f, pages, rc, sid := complianceFixture(t)
	pc := &patchingCarrier{recordingCarrier: rc}
	f.svc = f.processWith(service.Config{ProcessID: "process-p", Carrier: testOnly(pc), PageFetcher: pages})
	return f, pc, sid
}

// checkRegistered: the provision registered one campaign, carrying
// exactly the content the PATCH answered (patchErr nil) or, when it was
// refused (409 conflict), the content from before it; GET answers it too.
func checkRegistered(t *testing.T, f *fixture, pc *patchingCarrier, sid string, before, patched *naive.CampaignContent, patchErr error) {
	t.Helper()
	want := before
	switch {
	case patchErr == nil:
		want = patched
	case naive.ErrorCode(patchErr) != naive.EConflict:
		t.Fatalf("PATCH racing the provision: %v, want 200 or 409 conflict", patchErr)
	}
	pc.mu.Lock()
	created := slices.Clone(pc.created)
	pc.mu.Unlock()
	if len(created) != 1 {
		t.Fatalf("the carrier got %d campaigns, want 1", len(created))
	}
	if d := sameRequest(created[0], want); d != "" {
		t.Fatalf("PATCH answered %v; the carrier's campaign has %s", patchErr, d)
	}
	now, err := f.svc.GetCampaignContent(f.ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameRequest(created[0], now); d != "" || now.Editable {
		t.Fatalf("after the provision GET answers content the carrier's campaign does not carry (%s), editable %v", d, now.Editable)
	}
}

// TestCampaignContentPatchDuringRegistration: a PATCH that arrives while
// the provision registers the campaign (the content read, the carrier
// creating it) is refused with 409 conflict — the campaign is being
// registered with the content from before — never answered 200 with
// content the carrier did not get.
func TestCampaignContentPatchDuringRegistration(t *testing.T) {
	f, pc, sid := patchingFixture(t)
	before, err := f.svc.GetCampaignContent(f.ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	desc := "Demo Company texts order updates to customers who asked for them at checkout on its site."
	var (
		patched  *naive.CampaignContent
		patchErr error
	)
	pc.hook = func() {
		patched, patchErr = f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: &desc, Volume: strPtr("high")})
	}
	if _, err := f.svc.ProvisionPhone(f.ctx, sid, firstNumber); err != nil {
		t.Fatal(err)
	}
	if naive.ErrorCode(patchErr) != naive.EConflict {
		t.Fatalf("PATCH while the campaign is registered: %v (answered %+v), want conflict", patchErr, patched)
	}
	if e := naive.AsError(patchErr); e.Fields["status"] != naive.CampaignCreated {
		t.Fatalf("conflict %+v, want status created", e)
	}
	checkRegistered(t, f, pc, sid, before, patched, patchErr)
}

// TestCampaignContentPatchRacingProvision: a PATCH racing the first
// provision is either answered 200 and registered (the campaign carries
// exactly the content it answered), or refused with 409 conflict and the
// campaign carries the content from before; several rounds, each on a
// fresh subject's first provision.
func TestCampaignContentPatchRacingProvision(t *testing.T) {
	outcomes := map[bool]int{}
	for round := range 16 {
		f, pc, sid := patchingFixture(t)
		// A carrier slow to create the campaign, as a real one is.
		pc.hook = func() { time.Sleep(10 * time.Millisecond) }
		before, err := f.svc.GetCampaignContent(f.ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		desc := fmt.Sprintf("Demo Company texts order updates to customers who asked for them at checkout (round %d).", round)
		var (
			patched           *naive.CampaignContent
			patchErr, provErr error
			wg                sync.WaitGroup
			start             = make(chan struct{})
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, provErr = f.svc.ProvisionPhone(f.ctx, sid, firstNumber)
		}()
		go func() {
			defer wg.Done()
			<-start
			// Spread the PATCH over the provision's phases.
			time.Sleep(time.Duration(round) * 2 * time.Millisecond)
			patched, patchErr = f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: &desc, Volume: strPtr("high")})
		}()
		close(start)
		wg.Wait()
		if provErr != nil {
			t.Fatalf("round %d: provision: %v", round, provErr)
		}
		checkRegistered(t, f, pc, sid, before, patched, patchErr)
		outcomes[patchErr == nil]++
	}
	t.Logf("PATCH answered 200 in %d rounds, 409 in %d", outcomes[true], outcomes[false])
}

// TestCampaignContentConcurrentPatches: PATCHes of different fields at
// the same moment are all kept.
func TestCampaignContentConcurrentPatches(t *testing.T) {
	f, _, _, sid := complianceFixture(t)
	for round := range 5 {
		patches := []naive.CampaignContentPatch{
			{Description: strPtr(fmt.Sprintf("Demo Company texts order updates to customers, round %d of the test.", round))},
			{ConsentFlow: strPtr(fmt.Sprintf("Customers opt in by checking an unchecked box at checkout on our site (round %d).", round))},
			{MessageSamples: []string{"Demo Company: you are opted in. Reply STOP to opt out.", fmt.Sprintf("Demo Company: order %d shipped.", round)}},
			{UseCases: []string{[]string{"customer_care", "delivery_notification"}[round%2]}},
			{Volume: strPtr([]string{"high", "low"}[round%2])},
			{HelpMessage: strPtr(fmt.Sprintf("Demo Company: help %d. Reply STOP to opt out.", round))},
			{OptOutMessage: strPtr(fmt.Sprintf("Demo Company: unsubscribed (%d).", round))},
			{PrivacyPolicyURL: strPtr(fmt.Sprintf("http://localhost/privacy/%d", round))},
			{TermsURL: strPtr(fmt.Sprintf("http://localhost/terms/%d", round))},
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(patches))
		for i := range patches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.svc.UpdateCampaignContent(f.ctx, sid, patches[i])
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: patch %d: %v", round, i, err)
			}
		}
		c, err := f.svc.GetCampaignContent(f.ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		if c.Description != *patches[0].Description || c.ConsentFlow != *patches[1].ConsentFlow || !slices.Equal(c.MessageSamples, patches[2].MessageSamples) ||
			!slices.Equal(c.UseCases, patches[3].UseCases) || c.Volume != *patches[4].Volume || c.HelpMessage != *patches[5].HelpMessage ||
			c.OptOutMessage != *patches[6].OptOutMessage || c.PrivacyPolicyURL != *patches[7].PrivacyPolicyURL || c.TermsURL != *patches[8].TermsURL ||
			len(c.Customized) != 9 {
			t.Fatalf("round %d: after 9 concurrent patches of different fields: %+v", round, c)
		}
	}
}
