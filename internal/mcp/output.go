package mcp

import (
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// The tools' own output types: a stable, documented view of the domain for
// models, independent of how the REST types grow.

// Phone is a phone number as tools show it.
type Phone struct {
	ID           string       `json:"id" jsonschema:"the number's id (UUID)"`
	E164         string       `json:"e164" jsonschema:"the number in E.164 form, e.g. +14155551234"`
	Type         string       `json:"type" jsonschema:"local or toll_free"`
	Status       string       `json:"status" jsonschema:"active or released"`
	Capabilities Capabilities `json:"capabilities" jsonschema:"what the number can do now"`
	Label        string       `json:"label,omitempty" jsonschema:"friendly name"`
	AgentID      string       `json:"agent_id,omitempty" jsonschema:"the agent connected to the number"`
	SubjectID    string       `json:"subject_id" jsonschema:"the subject (company) that owns the number"`
	CampaignID   string       `json:"campaign_id,omitempty" jsonschema:"the carrier campaign the number belongs to"`
	Carrier      string       `json:"carrier,omitempty" jsonschema:"the carrier the number is at: surge or telnyx"`
	CreatedAt    string       `json:"created_at" jsonschema:"when it was bought (RFC 3339)"`
	ReleasedAt   string       `json:"released_at,omitempty" jsonschema:"when it was released (RFC 3339)"`
}

// Capabilities of a number.
type Capabilities struct {
	Voice       bool `json:"voice" jsonschema:"voice calls"`
	SMSInbound  bool `json:"sms_inbound" jsonschema:"receives SMS"`
	SMSOutbound bool `json:"sms_outbound" jsonschema:"sends SMS; true once the carrier campaign is active"`
	MMS         bool `json:"mms" jsonschema:"MMS"`
}

// Campaign is a carrier registration that unlocks outbound SMS.
type Campaign struct {
	ID     string `json:"id" jsonschema:"the campaign's id (UUID)"`
	Status string `json:"status" jsonschema:"created, in_review, active (outbound SMS unlocked) or rejected"`
	ETA    string `json:"eta,omitempty" jsonschema:"human estimate of the review time"`
	Kind   string `json:"kind,omitempty" jsonschema:"10dlc for local numbers, toll_free_verification for toll-free ones"`
	// RejectionReason is set while the campaign is rejected.
	RejectionReason string `json:"rejection_reason,omitempty" jsonschema:"why the carrier rejected it (only when rejected): fix it, then naive_campaign_resubmit"`
}

// Brand is the subject's carrier brand.
type Brand struct {
	Status       string `json:"status" jsonschema:"registering or registered"`
	EIN          string `json:"ein" jsonschema:"the registered EIN, masked (empty for a sole proprietor)"`
	Tier         string `json:"tier,omitempty" jsonschema:"standard (a company with an EIN) or sole_proprietor"`
	Carrier      string `json:"carrier,omitempty" jsonschema:"the carrier the brand lives at (surge or telnyx); every number of the subject follows it"`
	Verification string `json:"verification,omitempty" jsonschema:"sole proprietors: pending_otp until the owner confirms the carrier's text, then verified"`
	// VerificationMethod says, while pending_otp, how the owner confirms it.
	VerificationMethod string `json:"verification_method,omitempty" jsonschema:"while pending_otp: reply (the owner replies YES to the carrier's text: Surge) or code (the text carries a one-time code to submit with naive_brand_verification_submit: Telnyx)"`
}

// Formation is a subject's LLC formation.
type Formation struct {
	Status     string `json:"status" jsonschema:"not_started, submitted, formation_completed or failed"`
	EntityType string `json:"entity_type,omitempty" jsonschema:"LLC"`
	State      string `json:"state,omitempty" jsonschema:"US state of formation"`
	LegalName  string `json:"legal_name,omitempty" jsonschema:"the company's legal name"`
	FormedAt   string `json:"formed_at,omitempty" jsonschema:"when it was formed (RFC 3339)"`
}

// Approval is a pending approval of a gated action.
type Approval struct {
	ID        string `json:"id" jsonschema:"the approval's id"`
	Action    string `json:"action" jsonschema:"the gated action, e.g. phone.provision"`
	Primitive string `json:"primitive" jsonschema:"phone"`
	Title     string `json:"title" jsonschema:"what the human is asked to approve"`
	Message   string `json:"message" jsonschema:"explanation for the agent"`
}

// Operator is the caller's workspace and identity.
type Operator struct {
	ID         string `json:"id" jsonschema:"the operator (workspace) id"`
	Mode       string `json:"mode" jsonschema:"test (sandbox carrier, test credits) or live"`
	CallerKind string `json:"caller_kind" jsonschema:"agent (an API key) or human (a session)"`
	KeyID      string `json:"key_id,omitempty" jsonschema:"the API key's id"`
	AgentID    string `json:"agent_id,omitempty" jsonschema:"the agent the key is bound to"`
	UserID     string `json:"user_id,omitempty" jsonschema:"the human's id"`
}

// Subject is the company a call acts for.
type Subject struct {
	ID        string `json:"id" jsonschema:"the subject's id (UUID)"`
	LegalName string `json:"legal_name" jsonschema:"the company's legal name"`
	State     string `json:"state,omitempty" jsonschema:"US state"`
	IsDefault bool   `json:"is_default" jsonschema:"whether it is the operator's default subject"`
}

// Credits is a credit balance.
type Credits struct {
	Balance int64  `json:"balance" jsonschema:"credits available"`
	Mode    string `json:"mode" jsonschema:"test or live"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func phoneOut(p naive.Phone) Phone {
	out := Phone{ID: p.ID, E164: p.E164, Type: p.Type, Status: p.Status, Label: p.Label, AgentID: p.AgentID,
		SubjectID: p.SubjectID, CampaignID: p.CampaignID, Carrier: p.Carrier, CreatedAt: rfc3339(p.CreatedAt),
		Capabilities: Capabilities{Voice: p.Capabilities.Voice, SMSInbound: p.Capabilities.SMSInbound,
			SMSOutbound: p.Capabilities.SMSOutbound, MMS: p.Capabilities.MMS}}
	if p.ReleasedAt != nil {
		out.ReleasedAt = rfc3339(*p.ReleasedAt)
	}
	return out
}

func campaignOut(c naive.Campaign) Campaign {
	out := Campaign{ID: c.ID, Status: c.Status, Kind: c.Kind}
	if c.ETA != nil {
		out.ETA = *c.ETA
	}
	if c.RejectionReason != nil {
		out.RejectionReason = *c.RejectionReason
	}
	return out
}

func formationOut(f naive.Formation) Formation {
	f = f.Effective(time.Now())
	out := Formation{Status: f.Status, EntityType: f.EntityType, State: f.State, LegalName: f.LegalName}
	if f.FormedAt != nil {
		out.FormedAt = rfc3339(*f.FormedAt)
	}
	return out
}
