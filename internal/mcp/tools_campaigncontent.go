package mcp

import (
	"context"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// The campaign content tools let an agent read and shape what a company's
// 10DLC campaign submits before its first number (and after a rejection),
// as PATCH /v1/subjects/{id}/campaign-content does; naive_phone_preflight
// then runs the compliance rules on it.

// CampaignCheck is one compliance rule run on a campaign's content.
type CampaignCheck struct {
	Rule       string `json:"rule" jsonschema:"the rule, e.g. samples_opt_out or privacy_policy_sms"`
	OK         bool   `json:"ok" jsonschema:"whether it passed (or a human overrode it)"`
	Status     string `json:"status" jsonschema:"ok, failed, or unknown (not checked: a warning that does not block)"`
	Message    string `json:"message" jsonschema:"what was found"`
	Fix        string `json:"fix,omitempty" jsonschema:"how to pass it"`
	Overridden bool   `json:"overridden,omitempty" jsonschema:"a human accepted it failing"`
}

func campaignChecksOut(l []naive.CampaignCheck) []CampaignCheck {
	out := make([]CampaignCheck, 0, len(l))
	for _, c := range l {
		out = append(out, CampaignCheck{Rule: c.Rule, OK: c.OK, Status: c.Status, Message: c.Message, Fix: hints.For(hints.MCP, c.Fix), Overridden: c.Overridden})
	}
	return out
}

// CampaignContentRecord is what a subject's 10DLC campaign submits.
type CampaignContentRecord struct {
	SubjectID        string   `json:"subject_id" jsonschema:"the subject (company)"`
	Description      string   `json:"description" jsonschema:"what the company does and how it uses SMS"`
	MessageSamples   []string `json:"message_samples" jsonschema:"2 to 5 example texts"`
	ConsentFlow      string   `json:"consent_flow" jsonschema:"how and where recipients opt in"`
	UseCases         []string `json:"use_cases" jsonschema:"1 to 5 use cases"`
	Volume           string   `json:"volume" jsonschema:"low or high"`
	HelpMessage      string   `json:"help_message" jsonschema:"the answer to HELP (checked, not sent to the carrier)"`
	OptOutMessage    string   `json:"opt_out_message" jsonschema:"the confirmation of STOP (checked, not sent to the carrier)"`
	PrivacyPolicyURL string   `json:"privacy_policy_url" jsonschema:"the privacy policy submitted"`
	TermsURL         string   `json:"terms_url" jsonschema:"the terms submitted"`
	Customized       []string `json:"customized" jsonschema:"the fields the subject set; the others are defaults built from its profile"`
	Editable         bool     `json:"editable" jsonschema:"whether it can change now (not while the carrier reviews or holds the campaign)"`
	CampaignStatus   string   `json:"campaign_status,omitempty" jsonschema:"the 10DLC campaign's status; empty before the first number"`
}

func campaignContentOut(c *naive.CampaignContent) *CampaignContentRecord {
	out := &CampaignContentRecord{SubjectID: c.SubjectID, Description: c.Description, MessageSamples: c.MessageSamples,
		ConsentFlow: c.ConsentFlow, UseCases: c.UseCases, Volume: c.Volume, HelpMessage: c.HelpMessage, OptOutMessage: c.OptOutMessage,
		PrivacyPolicyURL: c.PrivacyPolicyURL, TermsURL: c.TermsURL, Customized: c.Customized, Editable: c.Editable}
	if c.CampaignStatus != nil {
		out.CampaignStatus = *c.CampaignStatus
	}
	return out
}

func newCampaignContentGetTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_campaign_content_get",
		Title: "Get a subject's campaign content",
		Description: "Read what a company's 10DLC campaign submits to the carrier (description, message samples, consent flow, " +
			"use cases, volume, help and opt-out messages): what it set, or defaults built from its legal profile. Omit " +
			"subject_id for the default subject.",
		Annotations: &sdk.ToolAnnotations{Title: "Get a subject's campaign content", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in SubjectIDInput) (*CampaignContentRecord, error) {
		c, err := svc.GetCampaignContent(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		return campaignContentOut(c), nil
	})
}

// CampaignContentInput changes parts of a subject's campaign content.
type CampaignContentInput struct {
	SubjectID      string   `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
	Description    string   `json:"description,omitempty" jsonschema:"what the company does and how it uses SMS, 40 to 4096 characters"`
	MessageSamples []string `json:"message_samples,omitempty" jsonschema:"2 to 5 example texts, each naming the company; one ends with Reply STOP to opt out"`
	ConsentFlow    string   `json:"consent_flow,omitempty" jsonschema:"how and where people opt in (the form's URL, or the keyword they text), 40 to 4096 characters"`
	UseCases       []string `json:"use_cases,omitempty" jsonschema:"1 to 5 of account_notification, customer_care, delivery_notification, fraud_alert, higher_education, marketing, polling_voting, public_service_announcement, security_alert, two_factor_authentication"`
	Volume         string   `json:"volume,omitempty" jsonschema:"low or high"`
	HelpMessage    string   `json:"help_message,omitempty" jsonschema:"the answer to HELP, 1 to 320 characters"`
	OptOutMessage  string   `json:"opt_out_message,omitempty" jsonschema:"the confirmation of STOP, 1 to 320 characters"`
}

func newCampaignContentUpdateTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_campaign_content_update",
		Title: "Update a subject's campaign content",
		Description: "Change what a company's 10DLC campaign will submit; only the fields given change. Possible before " +
			"its first number and after a rejection (then naive_campaign_resubmit), not while the carrier reviews it. " +
			"Then run naive_phone_preflight: its campaign_checks show the compliance rules and their fixes.",
		Annotations: &sdk.ToolAnnotations{Title: "Update a subject's campaign content", ReadOnlyHint: false, DestructiveHint: ptr(false),
			IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in CampaignContentInput) (*CampaignContentRecord, error) {
		var patch naive.CampaignContentPatch
		set := func(dst **string, v string) {
			if v != "" {
				*dst = &v
			}
		}
		set(&patch.Description, in.Description)
		set(&patch.ConsentFlow, in.ConsentFlow)
		set(&patch.Volume, in.Volume)
		set(&patch.HelpMessage, in.HelpMessage)
		set(&patch.OptOutMessage, in.OptOutMessage)
		if len(in.MessageSamples) > 0 {
			patch.MessageSamples = in.MessageSamples
		}
		if len(in.UseCases) > 0 {
			patch.UseCases = in.UseCases
		}
		c, err := svc.UpdateCampaignContent(ctx, in.SubjectID, patch)
		if err != nil {
			return nil, err
		}
		return campaignContentOut(c), nil
	})
}
