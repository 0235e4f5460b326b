package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// rejectingCarrier reports every campaign rejected, with reason ("" for none).
type rejectingCarrier struct {
	*fakeCarrier
	reason string
	err    error
}

func (r *rejectingCarrier) CampaignStatus(_ context.Context, id string) (carrier.Campaign, error) {
	if r.err != nil {
		return carrier.Campaign{}, r.err
	}
	return carrier.Campaign{ID: id, Status: naive.CampaignRejected, Reason: r.reason}, nil
}

// TestWebhookRejectionReason: a campaign status webhook saying rejected
// carries no reason; the one stored is the carrier's campaign's, as a poll
// would read it, and the generic one when the carrier cannot be read.
func TestWebhookRejectionReason(t *testing.T) {
	for name, tc := range map[string]struct {
		cr   *rejectingCarrier
		want string
	}{
		"carrier's reason": {&rejectingCarrier{reason: "The samples show no opt-out."}, "The samples show no opt-out."},
		"carrier silent":   {&rejectingCarrier{}, service.NoRejectionReason},
		"carrier down":     {&rejectingCarrier{err: &carrier.Error{Kind: carrier.Unavailable, Message: "down"}}, service.NoRejectionReason},
	} {
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			tc.cr.fakeCarrier = f.cr
			svc := f.processWith(service.Config{ProcessID: "process-r", Carrier: testOnly(tc.cr)})
			res, err := svc.ProvisionPhone(f.ctx, "", firstNumber)
			if err != nil {
				t.Fatal(err)
			}
			sc := mustPrincipal(f.ctx).Scope()
			camps, err := f.st.ListCampaigns(context.Background(), sc, res.Provisioned.Phone.SubjectID)
			if err != nil || len(camps) != 1 || camps[0].Status == naive.CampaignRejected {
				t.Fatalf("campaigns %+v, %v", camps, err)
			}
			h := http.Header{}
			h.Set("webhook-signature", "fake")
			ev, _ := json.Marshal(carrier.Event{ID: "evt_r", Kind: carrier.EventCampaignStatus, Type: "campaign.status",
				Campaign: &carrier.CampaignEvent{CampaignID: camps[0].CarrierID, Status: naive.CampaignRejected}})
			if err := svc.HandleCarrierWebhook(context.Background(), h, ev); err != nil {
				t.Fatal(err)
			}
			camps, err = f.st.ListCampaigns(context.Background(), sc, res.Provisioned.Phone.SubjectID)
			if err != nil || camps[0].Status != naive.CampaignRejected || camps[0].RejectionReason == nil || *camps[0].RejectionReason != tc.want {
				reason := "<nil>"
				if err == nil && camps[0].RejectionReason != nil {
					reason = *camps[0].RejectionReason
				}
				t.Fatalf("campaign %s with reason %q (%v), want rejected with %q", camps[0].Status, reason, err, tc.want)
			}
		})
	}
}
