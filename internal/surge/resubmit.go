package surge

import (
	"context"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
)

// ResubmitCampaign replaces a rejected campaign's fields (PATCH
// /campaigns/{id}, a full replace) and so sends it back to review. Surge
// answers campaign_locked (422, translated to carrier.Invalid) for a
// campaign in review, approved or deactivated.
func (a *Carrier) ResubmitCampaign(ctx context.Context, campaignID string, c carrier.CampaignRequest) (carrier.Campaign, error) {
	cp, err := a.c.UpdateCampaign(ctx, campaignID, CampaignCreate{
		ConsentFlow: c.ConsentFlow, Description: c.Description, MessageSamples: c.MessageSamples,
		PrivacyPolicyURL: c.PrivacyPolicyURL, TermsAndConditionsURL: c.TermsURL, UseCases: c.UseCases, Volume: c.Volume,
	})
	if err != nil {
		return carrier.Campaign{}, translate(err)
	}
	return reviewed(cp), nil
}

// reviewed is a Surge campaign in naive's terms, with the rejection
// reason when Surge gives one (its documented API does not: reviewers'
// notes are emailed to the account).
func reviewed(cp Campaign) carrier.Campaign {
	out := carrier.Campaign{ID: cp.ID, Status: campaignStatus(cp.Status)}
	switch {
	case out.Status != naive.CampaignRejected:
	case cp.RejectionReason != nil:
		out.Reason = *cp.RejectionReason
	case cp.Status == CampaignDeactivated:
		out.Reason = "The carrier deactivated the campaign."
	case cp.Status == CampaignCanceled:
		out.Reason = "The campaign was canceled at the carrier."
	}
	return out
}
