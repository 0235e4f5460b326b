package naive

// CampaignResubmission is what changes when a rejected campaign is
// resubmitted. Every field is optional: one left empty is the subject's
// campaign content, or its default built from the current profile
// (so fix the profile with PATCH /v1/subjects/{id} first when the reason
// is about the company). Changes are kept as the subject's campaign
// content (GET /v1/subjects/{id}/campaign-content), so a later
// resubmission starts from them.
type CampaignResubmission struct {
	// Description is the company's purpose and how it uses SMS (40–4096
	// characters).
	Description string `json:"description,omitempty"`
	// MessageSamples are 2–5 example texts (each 1–1024 characters); the
	// first is usually the opt-in confirmation.
	MessageSamples []string `json:"message_samples,omitempty"`
	// ConsentFlow is how recipients opt in (40–4096 characters).
	ConsentFlow string `json:"consent_flow,omitempty"`
	// PrivacyPolicyURL and TermsURL are http(s) URLs of at most 255
	// characters.
	PrivacyPolicyURL string `json:"privacy_policy_url,omitempty"`
	TermsURL         string `json:"terms_url,omitempty"`
	// OverrideChecks names failing compliance rules a human accepts
	// anyway (humans only; recorded on the campaign).
	OverrideChecks []string `json:"override_checks,omitempty"`
}
