package mcp

import (
	"context"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/naive"
)

// CampaignResubmitInput is the input of naive_campaign_resubmit.
type CampaignResubmitInput struct {
	SubjectID        string   `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
	Description      string   `json:"description,omitempty" jsonschema:"the company's purpose and how it uses SMS, 40 to 4096 characters; omit to rebuild it from the subject's profile"`
	MessageSamples   []string `json:"message_samples,omitempty" jsonschema:"2 to 5 example texts, the first usually the opt-in confirmation; omit to rebuild them from the profile"`
	ConsentFlow      string   `json:"consent_flow,omitempty" jsonschema:"how recipients opt in, 40 to 4096 characters; omit to rebuild it from the profile"`
	PrivacyPolicyURL string   `json:"privacy_policy_url,omitempty" jsonschema:"http(s) URL of the privacy policy; omit for the profile's"`
	TermsURL         string   `json:"terms_url,omitempty" jsonschema:"http(s) URL of the terms; omit for the profile's"`
}

// CampaignResubmitOutput is the resubmitted campaign.
type CampaignResubmitOutput struct {
	Campaign Campaign `json:"campaign" jsonschema:"the campaign, now in_review"`
	NextStep string   `json:"next_step" jsonschema:"what to do next"`
}

func newCampaignResubmitTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_campaign_resubmit",
		Title: "Resubmit a rejected campaign",
		Description: "Send the company's rejected 10DLC campaign back to the carrier's review. naive_phone_status shows a " +
			"rejected campaign's rejection_reason: fix what it names first (the company's profile with " +
			"naive_subjects_update, or the campaign's own text here). The campaign is rebuilt from the current profile " +
			"with the changes given; every field is optional. It moves to in_review, then active or rejected again. " +
			"Free; the numbers keep receiving SMS meanwhile. A campaign that is not rejected answers conflict: do " +
			"not call again while it is in review.",
		Annotations: &sdk.ToolAnnotations{Title: "Resubmit a rejected campaign", ReadOnlyHint: false,
			DestructiveHint: ptr(false), IdempotentHint: false, OpenWorldHint: ptr(true)},
	}, nil, func(ctx context.Context, svc naive.Service, in CampaignResubmitInput) (*CampaignResubmitOutput, error) {
		c, err := svc.ResubmitCampaign(ctx, in.SubjectID, naive.CampaignResubmission{Description: in.Description,
			MessageSamples: in.MessageSamples, ConsentFlow: in.ConsentFlow, PrivacyPolicyURL: in.PrivacyPolicyURL, TermsURL: in.TermsURL})
		if err != nil {
			return nil, err
		}
		return &CampaignResubmitOutput{Campaign: campaignOut(*c),
			NextStep: "The carrier is reviewing the campaign again; follow it with naive_phone_status. Outbound SMS unlocks when it is active."}, nil
	})
}

// BrandVerificationResendOutput is the answer of naive_brand_verification_resend.
type BrandVerificationResendOutput struct {
	SentTo       string `json:"sent_to" jsonschema:"the owner's number the text goes to, all but its last four digits hidden"`
	NextResendAt string `json:"next_resend_at" jsonschema:"RFC 3339 time before which another resend is refused"`
	NextStep     string `json:"next_step" jsonschema:"what to do next"`
}

func newBrandVerificationResendTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_brand_verification_resend",
		Title: "Resend a sole proprietor's verification text",
		Description: "A sole proprietor's brand (provisioned with tier sole_proprietor) is verified by a text the carrier sends " +
			"to the owner's mobile (the subject's contact.phone): the owner replies YES to it (Surge), or it carries a one-time code " +
			"to submit with naive_brand_verification_submit (Telnyx); the campaign is registered after that. " +
			"Use this when the owner did not get the text or it expired: it asks the carrier to send it again. At most once a " +
			"minute (rate_limited otherwise: wait, do not loop). A company's brand, or one verified already, answers conflict.",
		Annotations: &sdk.ToolAnnotations{Title: "Resend a sole proprietor's verification text", ReadOnlyHint: false,
			DestructiveHint: ptr(false), IdempotentHint: false, OpenWorldHint: ptr(true)},
	}, nil, func(ctx context.Context, svc naive.Service, in SubjectInput) (*BrandVerificationResendOutput, error) {
		res, err := svc.ResendBrandVerification(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		next := "Ask the owner to reply YES to the text; then follow the campaign with naive_phone_status."
		if res.VerificationMethod == naive.BrandVerifyCode {
			next = "Ask the owner for the new code in the text and submit it with naive_brand_verification_submit; then follow the campaign with naive_phone_status."
		}
		return &BrandVerificationResendOutput{SentTo: res.SentTo, NextResendAt: res.NextResendAt.UTC().Format(time.RFC3339), NextStep: next}, nil
	})
}

// BrandVerificationSubmitInput is the input of naive_brand_verification_submit.
type BrandVerificationSubmitInput struct {
	Code      string `json:"code" jsonschema:"the one-time code the carrier texted the owner: its digits (4 to 10; Telnyx sends 6), e.g. 123456"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
}

// BrandVerificationSubmitOutput is the answer of naive_brand_verification_submit.
type BrandVerificationSubmitOutput struct {
	BrandVerification string `json:"brand_verification" jsonschema:"verified: the carrier accepted the code"`
	NextStep          string `json:"next_step" jsonschema:"what to do next"`
}

func newBrandVerificationSubmitTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_brand_verification_submit",
		Title: "Submit a sole proprietor's verification code",
		Description: "On a carrier that verifies a sole proprietor by a one-time code (the brand's verification_method is code: " +
			"Telnyx), the carrier texts a code to the owner's mobile (the subject's contact.phone): ask the owner for it and submit it " +
			"here. Accepted, the brand is verified and its campaign registered moments later. A wrong or expired code answers " +
			"invalid_input on code (ask the owner to check the text, or naive_brand_verification_resend texts a new one); never guess: " +
			"after 5 wrong codes, submissions are refused for 10 minutes (rate_limited). On Surge the owner replies YES instead and " +
			"this answers conflict, as it does for a company's brand or one verified already.",
		Annotations: &sdk.ToolAnnotations{Title: "Submit a sole proprietor's verification code", ReadOnlyHint: false,
			DestructiveHint: ptr(false), IdempotentHint: false, OpenWorldHint: ptr(true)},
	}, nil, func(ctx context.Context, svc naive.Service, in BrandVerificationSubmitInput) (*BrandVerificationSubmitOutput, error) {
		res, err := svc.SubmitBrandVerification(ctx, in.SubjectID, in.Code)
		if err != nil {
			return nil, err
		}
		return &BrandVerificationSubmitOutput{BrandVerification: res.BrandVerification,
			NextStep: "The brand is verified; the campaign is registered with the carrier within moments, then reviewed. Follow it with naive_phone_status: outbound SMS unlocks when it is active."}, nil
	})
}
