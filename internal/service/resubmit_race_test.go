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
	"github.com/naive-oss/naive/internal/store"
)

// resubmitHookStore runs hook before each move of a campaign back to
// in_review (store.ResubmitCampaign): after the resubmission planned
// what it sends, before the campaign leaves rejected.
type resubmitHookStore struct {
	store.Store
	hook func()
}

func (s *resubmitHookStore) ResubmitCampaign(ctx context.Context, sc naive.Scope, id string, content naive.CampaignContentPatch, at time.Time, events []*naive.Event) error {
	if s.hook != nil {
		s.hook()
	}
	return s.Store.ResubmitCampaign(ctx, sc, id, content, at, events)
}

// resubmitRecorder records the campaigns the carrier is sent back to
// review.
type resubmitRecorder struct {
	*recordingCarrier
	mu          sync.Mutex
	resubmitted []carrier.CampaignRequest
}

func (c *resubmitRecorder) ResubmitCampaign(ctx context.Context, id string, r carrier.CampaignRequest) (carrier.Campaign, error) {
	c.mu.Lock()
	c.resubmitted = append(c.resubmitted, r)
	c.mu.Unlock()
	return c.recordingCarrier.ResubmitCampaign(ctx, id, r)
}

func (c *resubmitRecorder) sent() []carrier.CampaignRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.resubmitted)
}

// resubmitFixture is complianceFixture with its service on a hooking
// store and a recording carrier, the subject's 10DLC campaign registered
// and then rejected.
func resubmitFixture(t *testing.T) (*fixture, *resubmitHookStore, *resubmitRecorder, string, *naive.Campaign) {
	t.Helper()
	f, pages, rc, sid := complianceFixture(t)
	hs := &resubmitHookStore{Store: f.st}
	rr := &resubmitRecorder{recordingCarrier: rc}
	f.svc = f.processWith(service.Config{ProcessID: "process-s", Store: hs, Carrier: testOnly(rr), PageFetcher: pages})
	if _, err := f.svc.ProvisionPhone(f.ctx, sid, firstNumber); err != nil {
		t.Fatal(err)
	}
	sc := mustPrincipal(f.ctx).Scope()
	camps, err := f.st.ListCampaigns(context.Background(), sc, sid)
	if err != nil || len(camps) != 1 {
		t.Fatalf("campaigns %+v, %v", camps, err)
	}
	if changed, err := f.st.AdvanceCampaign(context.Background(), camps[0].ID, naive.CampaignRejected, "The consent flow is unclear.", f.clock.now(), nil, nil); err != nil || !changed {
		t.Fatalf("reject: %v %v", changed, err)
	}
	return f, hs, rr, sid, &camps[0]
}

// TestResubmitCarriesPatchDuringPlan: a content PATCH that commits after
// the resubmission read the content, before the campaign moves to
// in_review, is answered 200 — the campaign is still rejected — and the
// carrier gets it: the resubmission plans again on the content as
// stored. With and without changes in the resubmission itself (those
// stay too). A PATCH after the move is refused.
func TestResubmitCarriesPatchDuringPlan(t *testing.T) {
	for name, req := range map[string]naive.CampaignResubmission{
		"no changes": {},
		"changes":    {ConsentFlow: "Customers opt in by checking an unchecked box at checkout on http://localhost/checkout, then confirm by text."},
	} {
		t.Run(name, func(t *testing.T) {
			f, hs, rr, sid, camp := resubmitFixture(t)
			desc := "Demo Company texts order updates to customers who asked for them at checkout on its site."
			var (
				patched  *naive.CampaignContent
				patchErr error
				once     sync.Once
			)
			hs.hook = func() {
				once.Do(func() {
					patched, patchErr = f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: &desc, Volume: strPtr("high")})
				})
			}
			got, err := f.svc.ResubmitCampaign(f.ctx, sid, req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != naive.CampaignInReview || got.ID != camp.ID {
				t.Fatalf("resubmission answered %+v", got)
			}
			if patchErr != nil {
				t.Fatalf("PATCH while the campaign is still rejected: %v, want 200", patchErr)
			}
			if patched.Description != desc || patched.Volume != "high" {
				t.Fatalf("PATCH answered %+v", patched)
			}
			if req.ConsentFlow != "" && patched.ConsentFlow != req.ConsentFlow {
				t.Fatalf("PATCH answered consent flow %q, want the resubmission's", patched.ConsentFlow)
			}
			sent := rr.sent()
			if len(sent) != 1 {
				t.Fatalf("the carrier got %d resubmissions, want 1", len(sent))
			}
			if d := sameRequest(sent[0], patched); d != "" {
				t.Fatalf("PATCH answered 200; the carrier's resubmitted campaign has %s", d)
			}
			now, err := f.svc.GetCampaignContent(f.ctx, sid)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameRequest(sent[0], now); d != "" || now.Editable {
				t.Fatalf("after the resubmission GET answers content the carrier's campaign does not carry (%s), editable %v", d, now.Editable)
			}
			later := "Demo Company texts order updates to customers who asked for them, changed too late."
			if _, err := f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: &later}); naive.ErrorCode(err) != naive.EConflict {
				t.Fatalf("PATCH after the resubmission: %v, want conflict", err)
			}
		})
	}
}

// TestResubmitContentKeepsChanging: a resubmission whose content a
// PATCH changes before every move plans again a bounded number of times,
// then is a conflict; the campaign stays rejected with its reason, the
// carrier got nothing, and every PATCH was stored.
func TestResubmitContentKeepsChanging(t *testing.T) {
	f, hs, rr, sid, camp := resubmitFixture(t)
	n := 0
	var last string
	hs.hook = func() {
		n++
		last = fmt.Sprintf("Demo Company texts order updates to customers who asked for them (change %d).", n)
		if _, err := f.svc.UpdateCampaignContent(f.ctx, sid, naive.CampaignContentPatch{Description: &last}); err != nil {
			t.Errorf("PATCH %d: %v", n, err)
		}
	}
	_, err := f.svc.ResubmitCampaign(f.ctx, sid, naive.CampaignResubmission{})
	if naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("resubmission: %v, want conflict", err)
	}
	if n < 2 || n > 10 {
		t.Fatalf("the resubmission tried to move the campaign %d times", n)
	}
	if sent := rr.sent(); len(sent) != 0 {
		t.Fatalf("the carrier got %d resubmissions, want none", len(sent))
	}
	c, err := f.st.GetCampaign(context.Background(), mustPrincipal(f.ctx).Scope(), camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != naive.CampaignRejected || c.RejectionReason == nil || *c.RejectionReason != "The consent flow is unclear." {
		t.Fatalf("after the conflict the campaign is %s (%v)", c.Status, c.RejectionReason)
	}
	now, err := f.svc.GetCampaignContent(f.ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if now.Description != last || !now.Editable {
		t.Fatalf("content %q editable %v, want the last PATCH's, editable", now.Description, now.Editable)
	}
	// Once the PATCHes stop, it goes through with the last one.
	hs.hook = nil
	if _, err := f.svc.ResubmitCampaign(f.ctx, sid, naive.CampaignResubmission{}); err != nil {
		t.Fatal(err)
	}
	if sent := rr.sent(); len(sent) != 1 || sent[0].Description != last {
		t.Fatalf("the carrier got %+v, want one resubmission with the last PATCH", sent)
	}
}
