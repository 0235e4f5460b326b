package naive

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// CampaignContent is what a subject's 10DLC campaign submits to the
// carrier, field by field: what the subject set (PATCH
// /v1/subjects/{id}/campaign-content, or a resubmission's changes), and
// for every other field the default built from the subject's profile —
// exactly what registration or resubmission sends, read before the first
// provision.
type CampaignContent struct {
	SubjectID string `json:"subject_id"`
	// Description is the company's purpose and how it uses SMS (40–4096
	// characters).
	Description string `json:"description"`
	// MessageSamples are 2–5 example texts (each 1–1024 characters); the
	// first is usually the opt-in confirmation.
	MessageSamples []string `json:"message_samples"`
	// ConsentFlow is how and where recipients opt in (40–4096 characters).
	ConsentFlow string `json:"consent_flow"`
	// UseCases are 1–5 of CampaignUseCases.
	UseCases []string `json:"use_cases"`
	// Volume is "low" (up to 2,000 segments a day to T-Mobile) or "high"
	// (billed as high-volume by the carrier).
	Volume string `json:"volume"`
	// HelpMessage answers a HELP keyword; OptOutMessage confirms a STOP.
	// Surge's campaign API has no fields for them (it answers HELP and
	// STOP itself): they are kept and checked, not sent.
	HelpMessage   string `json:"help_message"`
	OptOutMessage string `json:"opt_out_message"`
	// PrivacyPolicyURL and TermsURL default to the subject's profile.
	PrivacyPolicyURL string `json:"privacy_policy_url"`
	TermsURL         string `json:"terms_url"`
	// Customized names the fields the subject set; the others are
	// defaults, rebuilt from the profile whenever it changes.
	Customized []string `json:"customized"`
	// Editable says whether PATCH may change it now: not while the 10DLC
	// campaign is registered and not rejected (then the carrier holds it;
	// after a rejection, change it and resubmit).
	Editable bool `json:"editable"`
	// CampaignStatus is the 10DLC campaign's status, null before the first
	// provision registers it.
	CampaignStatus *string `json:"campaign_status"`
	// UpdatedAt is when the subject last set a field (null: all defaults).
	UpdatedAt *time.Time `json:"updated_at"`
}

// CampaignContentPatch changes a subject's campaign content. An omitted
// field stays as it is; an empty one ("" or []) goes back to its default.
type CampaignContentPatch struct {
	Description      *string  `json:"description,omitempty"`
	MessageSamples   []string `json:"message_samples,omitempty"`
	ConsentFlow      *string  `json:"consent_flow,omitempty"`
	UseCases         []string `json:"use_cases,omitempty"`
	Volume           *string  `json:"volume,omitempty"`
	HelpMessage      *string  `json:"help_message,omitempty"`
	OptOutMessage    *string  `json:"opt_out_message,omitempty"`
	PrivacyPolicyURL *string  `json:"privacy_policy_url,omitempty"`
	TermsURL         *string  `json:"terms_url,omitempty"`
}

// Merge applies patch to f, the fields a subject set: a value sets a
// field (trimmed), an empty one ("" or []) unsets it, so it takes its
// default again; an omitted one stays. The store merges a PATCH under
// its write lock with it (store.Store.PatchCampaignContent).
func (f *CampaignContentPatch) Merge(patch CampaignContentPatch) {
	str := func(dst **string, v *string) {
		if v == nil {
			return
		}
		if t := strings.TrimSpace(*v); t == "" {
			*dst = nil
		} else {
			*dst = &t
		}
	}
	list := func(dst *[]string, v []string) {
		if v == nil {
			return
		}
		if len(v) == 0 {
			*dst = nil
			return
		}
		out := make([]string, len(v))
		for i := range v {
			out[i] = strings.TrimSpace(v[i])
		}
		*dst = out
	}
	str(&f.Description, patch.Description)
	list(&f.MessageSamples, patch.MessageSamples)
	str(&f.ConsentFlow, patch.ConsentFlow)
	list(&f.UseCases, patch.UseCases)
	str(&f.Volume, patch.Volume)
	str(&f.HelpMessage, patch.HelpMessage)
	str(&f.OptOutMessage, patch.OptOutMessage)
	str(&f.PrivacyPolicyURL, patch.PrivacyPolicyURL)
	str(&f.TermsURL, patch.TermsURL)
}

// CampaignUseCases are the use cases a standard 10DLC campaign may name
// (Surge's list; others need the carrier's support).
var CampaignUseCases = []string{"account_notification", "customer_care", "delivery_notification", "fraud_alert",
	"higher_education", "marketing", "polling_voting", "public_service_announcement", "security_alert", "two_factor_authentication"}

// CampaignCheck is one compliance rule run on a campaign's content and
// pages before it is submitted (docs/compliance.md lists them).
type CampaignCheck struct {
	Rule string `json:"rule"`
	// OK is true when the rule passed, or a human overrode it.
	OK bool `json:"ok"`
	// Status is CheckOK, CheckFailed (Fix says what to change) or
	// CheckUnknown (it could not be checked: a warning, not OK, that does
	// not block). An overridden rule stays CheckFailed.
	Status  string `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	// Overridden is set when a human's override_checks named the failing
	// rule: it does not block.
	Overridden bool `json:"overridden,omitempty"`
}

// CheckOverride records a human's override of a failing compliance rule
// on a campaign's submission.
type CheckOverride struct {
	Rule string `json:"rule"`
	// Message is what the rule found when it was overridden.
	Message string `json:"message"`
	// Submission is "registration" or "resubmission".
	Submission string    `json:"submission"`
	Actor      Actor     `json:"actor"`
	CreatedAt  time.Time `json:"created_at"`
}

// Check override submissions.
const (
	SubmissionRegistration = "registration"
	SubmissionResubmission = "resubmission"
)

// SameFields reports whether stored, a subject's content fields as stored
// (JSON; nil when it set none), holds exactly f, compared in the JSON form
// they are stored from (a database may keep neither key order nor spacing).
func (f CampaignContentPatch) SameFields(stored []byte) (bool, error) {
	var have CampaignContentPatch
	if stored != nil {
		if err := json.Unmarshal(stored, &have); err != nil {
			return false, err
		}
	}
	a, err := json.Marshal(have)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}
