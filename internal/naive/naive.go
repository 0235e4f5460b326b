// Package naive holds the domain: types, error codes and the service
// contract that the REST API, the MCP server and the Go client share. It
// imports no adapter.
package naive

import (
	"context"
	"encoding/json"
	"time"
)

// Mode separates test data from live data; the two never mix.
type Mode string

// Modes.
const (
	ModeLive Mode = "live"
	ModeTest Mode = "test"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeLive || m == ModeTest }

// PrincipalKind says who is calling.
type PrincipalKind string

// Principal kinds: API keys are always agents; humans log in with a password.
const (
	PrincipalAgent PrincipalKind = "agent"
	PrincipalHuman PrincipalKind = "human"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Kind       PrincipalKind
	OperatorID string
	Mode       Mode
	// KeyID is set for agent principals.
	KeyID string
	// AgentID is the agent a key is bound to, if any.
	AgentID string
	// UserID is set for human principals.
	UserID string
	// SessionID is set for human principals.
	SessionID string
	// Role is a human principal's role ("" counts as owner; see
	// EffectiveRole). Agents have none.
	Role Role
	// DefaultSubject is the scope's default subject as read with the
	// credentials (nil when not read): a call on the default subject needs
	// no second read. It lives for one request.
	DefaultSubject *Subject `json:"-"`
	// NumbersVersion is the operator's numbers counter as read with the
	// credentials, when NumbersRead: phones read at that value are still
	// current. It lives for one request.
	NumbersVersion int64 `json:"-"`
	NumbersRead    bool  `json:"-"`
}

// ID returns the id of the key or user behind the principal.
func (p Principal) ID() string {
	if p.Kind == PrincipalHuman {
		return p.UserID
	}
	return p.KeyID
}

// Actor returns the principal as a stored actor reference.
func (p Principal) Actor() Actor {
	return Actor{Type: string(p.Kind), ID: p.ID()}
}

// Scope returns the tenant scope of the principal.
func (p Principal) Scope() Scope { return Scope{OperatorID: p.OperatorID, Mode: p.Mode} }

// Actor identifies who did something, as stored on records.
type Actor struct {
	Type string `json:"actor_type"`
	ID   string `json:"actor_id"`
}

// Scope is the tenant boundary every query is filtered by.
type Scope struct {
	OperatorID string
	Mode       Mode
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Operator is a workspace: a company using this server.
type Operator struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a human of an operator.
type User struct {
	ID           string `json:"id"`
	OperatorID   string `json:"operator_id"`
	Email        string `json:"email"`
	PasswordHash string `json:"-"`
	// Role is what the human may do ("" counts as owner).
	Role Role `json:"role"`
	// Status is "active", or "invited" until the invite is accepted.
	Status    string    `json:"status,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is a human's login session; only the token's hash is stored.
type Session struct {
	ID         string
	UserID     string
	OperatorID string
	TokenHash  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// UserAgent and ClientAddr are what the login request came with, so
	// a human can tell their sessions apart.
	UserAgent  string
	ClientAddr string
	// Role is the user's role, read with the session (GetSessionByHash).
	Role Role
}

// APIKey is an agent credential; only its hash is stored.
type APIKey struct {
	ID         string     `json:"id"`
	OperatorID string     `json:"-"`
	Mode       Mode       `json:"mode"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	AgentID    string     `json:"agent_id,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Secret is the full key, set only in the answer that creates it.
	Secret string `json:"secret,omitempty"`
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Contact is the subject's contact person for carrier registration.
type Contact struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Title     string `json:"title"`
}

// SubjectProfile is the legal profile of a subject.
type SubjectProfile struct {
	LegalName        string  `json:"legal_name"`
	State            string  `json:"state"`
	Website          string  `json:"website"`
	Industry         string  `json:"industry"`
	PrivacyPolicyURL string  `json:"privacy_policy_url"`
	TermsURL         string  `json:"terms_url"`
	Address          Address `json:"address"`
	Contact          Contact `json:"contact"`
}

// Formation statuses.
const (
	FormationNotStarted = "not_started"
	FormationSubmitted  = "submitted"
	FormationCompleted  = "formation_completed"
	FormationFailed     = "failed"
)

// Formation is the legal formation record of a subject.
type Formation struct {
	Status      string     `json:"status"`
	EntityType  string     `json:"entity_type,omitempty"`
	State       string     `json:"state,omitempty"`
	LegalName   string     `json:"legal_name,omitempty"`
	FormedAt    *time.Time `json:"formed_at"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	// CompletesAt is when a simulated (test-mode) filing completes.
	CompletesAt *time.Time `json:"-"`
}

// Effective returns the formation as of now: a simulated filing whose time
// has come reads as completed, so no background work is needed for it.
func (f Formation) Effective(now time.Time) Formation {
	if f.Status == FormationSubmitted && f.CompletesAt != nil && !now.Before(*f.CompletesAt) {
		f.Status = FormationCompleted
		at := *f.CompletesAt
		f.FormedAt = &at
	}
	return f
}

// Subject is a company the operator's agents act for.
type Subject struct {
	ID         string `json:"id"`
	OperatorID string `json:"-"`
	Mode       Mode   `json:"mode"`
	IsDefault  bool   `json:"is_default"`
	// AccountKitID is the subject's kit; "" uses the built-in default.
	AccountKitID string    `json:"account_kit_id,omitempty"`
	Formation    Formation `json:"formation"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	SubjectProfile
}

// Agent is an AI agent of an operator.
type Agent struct {
	ID         string    `json:"id"`
	OperatorID string    `json:"-"`
	Mode       Mode      `json:"mode"`
	Name       string    `json:"name"`
	WebhookURL string    `json:"webhook_url,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// WebhookSecret signs the agent's sms.received webhooks; shown only in
	// the answer that creates the agent.
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

// Phone types.
const (
	PhoneLocal    = "local"
	PhoneTollFree = "toll_free"
)

// Phone statuses. Provisioning and failed rows are internal bookkeeping of a
// purchase in flight; callers see active and released numbers.
const (
	PhoneProvisioning = "provisioning"
	PhoneActive       = "active"
	PhoneReleased     = "released"
	PhoneFailed       = "failed"
)

// Capabilities of a number.
type Capabilities struct {
	Voice       bool `json:"voice"`
	SMSInbound  bool `json:"sms_inbound"`
	SMSOutbound bool `json:"sms_outbound"`
	MMS         bool `json:"mms"`
}

// Phone is a number the subject owns.
type Phone struct {
	ID           string       `json:"id"`
	E164         string       `json:"e164"`
	Type         string       `json:"type"`
	Capabilities Capabilities `json:"capabilities"`
	Status       string       `json:"status"`
	Label        string       `json:"label,omitempty"`
	AgentID      string       `json:"agent_id,omitempty"`
	SubjectID    string       `json:"subject_id"`
	CampaignID   string       `json:"campaign_id,omitempty"`
	AreaCode     string       `json:"area_code,omitempty"`
	Mode         Mode         `json:"mode"`
	CreatedAt    time.Time    `json:"created_at"`
	ReleasedAt   *time.Time   `json:"released_at,omitempty"`

	// Carrier is the carrier the number was bought at ("" while it is
	// being bought).
	Carrier string `json:"carrier,omitempty"`

	OperatorID string `json:"-"`
	CarrierID  string `json:"-"`
	Price      int64  `json:"-"`
}

// Campaign statuses, in their only order (rejected is terminal, except
// that resubmitting a rejected campaign returns it to in_review).
const (
	CampaignCreated  = "created"
	CampaignInReview = "in_review"
	CampaignActive   = "active"
	CampaignRejected = "rejected"
)

// Campaign kinds: a 10DLC campaign for local numbers, a toll-free
// verification for toll-free numbers.
const (
	Campaign10DLC    = "10dlc"
	CampaignTollFree = "toll_free_verification"
)

// CampaignRank orders statuses so they only move forward.
func CampaignRank(status string) int {
	switch status {
	case CampaignCreated:
		return 1
	case CampaignInReview:
		return 2
	case CampaignActive, CampaignRejected:
		return 3
	}
	return 0
}

// Campaign is the carrier registration that unlocks outbound SMS.
type Campaign struct {
	ID        string  `json:"id"`
	SubjectID string  `json:"subject_id"`
	Kind      string  `json:"kind"`
	Status    string  `json:"status"`
	ETA       *string `json:"eta"`
	// Carrier is the carrier the campaign is registered at, its brand's
	// (set when read).
	Carrier string `json:"carrier,omitempty"`
	// RejectionReason is the carrier's reason while the campaign is
	// rejected (null otherwise); fix it and resubmit the campaign.
	RejectionReason *string `json:"rejection_reason"`
	// ChecksOverridden are the compliance rules a human overrode on its
	// submissions (GET /v1/phone/{id}/campaign shows them).
	ChecksOverridden []CheckOverride `json:"checks_overridden,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	OperatorID       string          `json:"-"`
	Mode             Mode            `json:"-"`
	CarrierID        string          `json:"-"`
	// ClaimToken is set while a process is registering the campaign;
	// ClaimedBy is that process.
	ClaimToken string    `json:"-"`
	ClaimedBy  string    `json:"-"`
	ClaimedAt  time.Time `json:"-"`
}

// Brand is the subject's carrier brand (a Surge account).
type Brand struct {
	SubjectID string `json:"subject_id"`
	EIN       string `json:"ein"`
	CarrierID string `json:"carrier_account_id,omitempty"`
	Status    string `json:"status"`
	// Tier is TierStandard or TierSoleProprietor.
	Tier string `json:"tier"`
	// Carrier is the carrier the brand lives at ("surge", "telnyx"):
	// every number, campaign and text of the subject follows it.
	Carrier string `json:"carrier"`
	// Verification is the identity verification of a sole proprietor's
	// brand: BrandVerificationPendingOTP until the contact confirms the
	// carrier's text, then BrandVerificationVerified; "" for a standard
	// brand, which needs none.
	Verification string `json:"verification,omitempty"`
	// VerificationMethod says, while Verification is pending_otp, how the
	// owner confirms the carrier's text: BrandVerifyReply (they reply YES
	// to it: Surge) or BrandVerifyCode (it carries a one-time code to
	// submit with POST /v1/phone/brand-verification: Telnyx); "" otherwise.
	// It is the brand's carrier's, not stored.
	VerificationMethod string `json:"verification_method,omitempty"`
	// VerificationSentAt is when the last verification text was asked
	// for (resends are throttled by it).
	VerificationSentAt *time.Time `json:"-"`
	CreatedAt          time.Time  `json:"created_at"`
	OperatorID         string     `json:"-"`
	Mode               Mode       `json:"-"`
	// ClaimToken is set while a process is registering the brand;
	// ClaimedBy is that process.
	ClaimToken string    `json:"-"`
	ClaimedBy  string    `json:"-"`
	ClaimedAt  time.Time `json:"-"`
}

// Carriers naive can run on. DefaultCarrier is the one brands registered
// before a choice existed live at.
const (
	CarrierSurge   = "surge"
	CarrierTelnyx  = "telnyx"
	DefaultCarrier = CarrierSurge
)

// OperatorCarriers are the carriers the server's administrator gave an
// operator in a mode: the default its subjects' first numbers register
// with, and the fallback ("" for none).
type OperatorCarriers struct {
	Default   string    `json:"default"`
	Fallback  string    `json:"fallback,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Brand statuses.
const (
	BrandRegistering = "registering"
	BrandRegistered  = "registered"
)

// Registration tiers. A standard brand is a company with an EIN (an LLC
// formed first); a sole proprietor is one person without an EIN, verified
// by a text the carrier sends to the contact's mobile number.
const (
	TierStandard       = "standard"
	TierSoleProprietor = "sole_proprietor"
)

// Brand verification states (sole proprietors only).
const (
	BrandVerificationPendingOTP = "pending_otp"
	BrandVerificationVerified   = "verified"
)

// How a sole proprietor's owner confirms the carrier's verification text
// (Brand.VerificationMethod), which depends on the carrier.
const (
	// BrandVerifyReply: the owner replies YES to the carrier's text (Surge).
	BrandVerifyReply = "reply"
	// BrandVerifyCode: the text carries a one-time code (a PIN) that must
	// be submitted through naive (POST /v1/phone/brand-verification):
	// Telnyx.
	BrandVerifyCode = "code"
)

// LedgerEntry is one movement of credits; the balance is their sum.
type LedgerEntry struct {
	ID           string    `json:"id"`
	Amount       int64     `json:"amount"`
	BalanceAfter int64     `json:"balance_after"`
	Reason       string    `json:"reason"`
	ReferenceID  string    `json:"reference_id,omitempty"`
	Actor        Actor     `json:"actor"`
	Memo         string    `json:"memo,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	OperatorID   string    `json:"-"`
	Mode         Mode      `json:"-"`
}

// Ledger reasons.
const (
	LedgerGrant          = "grant"
	LedgerPhoneProvision = "phone.provision"
	LedgerPhoneRefund    = "phone.provision.refund"
	LedgerSMSSend        = "sms.send"
	LedgerSMSRefund      = "sms.send.refund"
)

// Credits is the operator's balance in one mode.
type Credits struct {
	Balance int64 `json:"balance"`
	Mode    Mode  `json:"mode"`
}

// Page asks for one page of a list.
type Page struct {
	Limit int
	// After is the id after which the page starts (decoded cursor).
	After string
}

// List is one page of results.
type List[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// ProvisionRequest is the body of POST /v1/phone/provision.
type ProvisionRequest struct {
	EIN      string `json:"ein,omitempty"`
	AreaCode string `json:"area_code,omitempty"`
	Type     string `json:"type,omitempty"`
	Label    string `json:"label,omitempty"`
	AgentID  string `json:"agent_id,omitempty"`
	// E164, when set, is the exact number to buy, one GET
	// /v1/phone/available listed; type and area_code, if given, must
	// agree with it.
	E164 string `json:"e164,omitempty"`
	// Tier is TierStandard or TierSoleProprietor; "" is the subject's
	// brand's tier, or standard before its first number.
	Tier string `json:"tier,omitempty"`
	// Carrier chooses the carrier of the subject's first number (its
	// brand's); "" is the mode's default. Later numbers follow the brand.
	Carrier string `json:"carrier,omitempty"`
	// OverrideChecks names failing compliance rules of the campaign's
	// content a human accepts anyway (humans only; recorded on the
	// campaign).
	OverrideChecks []string `json:"override_checks,omitempty"`
}

// CampaignSummary is the campaign part of a provision answer.
type CampaignSummary struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	ETA    *string `json:"eta"`
}

// Provisioned is the 202 answer of a provision that bought a number.
type Provisioned struct {
	Phone            Phone           `json:"phone"`
	Campaign         CampaignSummary `json:"campaign"`
	CreditsUsed      int64           `json:"credits_used"`
	CreditsRemaining int64           `json:"credits_remaining"`
	// Carrier is the carrier the number was bought at; FailoverFrom, when
	// set, is the default carrier that was down, so the number (and the
	// subject's brand) went to the fallback.
	Carrier      string `json:"carrier"`
	FailoverFrom string `json:"failover_from,omitempty"`
	// BrandVerification is set for a sole proprietor's brand: pending_otp
	// until the contact confirms the carrier's text (the campaign is
	// registered after it), then verified.
	BrandVerification string `json:"brand_verification,omitempty"`
	// BrandVerificationMethod is, while BrandVerification is pending_otp,
	// how the owner confirms the text (Brand.VerificationMethod).
	BrandVerificationMethod string `json:"brand_verification_method,omitempty"`
}

// PendingApproval is the 202 answer of a gated action.
type PendingApproval struct {
	Status     string `json:"status"`
	ApprovalID string `json:"approval_id"`
	Action     string `json:"action"`
	Primitive  string `json:"primitive"`
	Title      string `json:"title"`
	Message    string `json:"message"`
}

// ProvisionResult is either a provisioned number or a pending approval.
type ProvisionResult struct {
	Provisioned *Provisioned
	Pending     *PendingApproval
}

// MarshalJSON writes whichever answer the result holds.
func (r ProvisionResult) MarshalJSON() ([]byte, error) {
	if r.Pending != nil {
		return json.Marshal(r.Pending)
	}
	return json.Marshal(r.Provisioned)
}

// UnmarshalJSON reads either answer.
func (r *ProvisionResult) UnmarshalJSON(b []byte) error {
	var probe struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	if probe.Status == "pending_approval" {
		r.Pending = &PendingApproval{}
		return json.Unmarshal(b, r.Pending)
	}
	r.Provisioned = &Provisioned{}
	return json.Unmarshal(b, r.Provisioned)
}

// PhoneFilter narrows a phone list.
type PhoneFilter struct {
	// AgentID keeps the numbers bought for the agent or assigned to it.
	AgentID string
	Page
}

// PhoneStatus is the brand → campaign → numbers pipeline of a subject.
type PhoneStatus struct {
	SubjectID string     `json:"subject_id"`
	Brand     *Brand     `json:"brand"`
	Campaigns []Campaign `json:"campaigns"`
	Numbers   []Phone    `json:"numbers"`
	NextStep  string     `json:"next_step"`
	Formation Formation  `json:"formation"`
	// Checks are what the carrier says of the subject's brand account
	// (carrier_account) and active numbers (carrier_numbers); empty before
	// the brand is registered with the carrier.
	Checks []PreflightCheck `json:"checks"`
}

// BrandVerificationResend is the answer of POST
// /v1/phone/brand-verification/resend.
type BrandVerificationResend struct {
	SubjectID         string `json:"subject_id"`
	BrandVerification string `json:"brand_verification"`
	// Status is "sent": the carrier queued the text.
	Status string `json:"status"`
	// SentTo is the contact's number, all but its last four digits hidden.
	SentTo string `json:"sent_to"`
	// NextResendAt is the earliest time another resend is accepted.
	NextResendAt time.Time `json:"next_resend_at"`
	// VerificationMethod is how the owner confirms the text
	// (Brand.VerificationMethod): reply YES, or submit its code.
	VerificationMethod string `json:"verification_method,omitempty"`
}

// BrandVerificationCode is the body of POST /v1/phone/brand-verification:
// the one-time code the carrier texted a sole proprietor's owner.
type BrandVerificationCode struct {
	Code string `json:"code"`
}

// BrandVerificationSubmitted is the answer of POST
// /v1/phone/brand-verification: the carrier accepted the code.
type BrandVerificationSubmitted struct {
	SubjectID string `json:"subject_id"`
	// BrandVerification is "verified".
	BrandVerification string `json:"brand_verification"`
	// NextStep says what follows: the campaign is registered by the next
	// background pass, then reviewed.
	NextStep string `json:"next_step"`
}
