// Package surge is the HTTP client for the Surge messaging API (https://api.surge.app),
// together with the Standard Webhooks helpers used to sign and verify Surge events.
//
// The JSON types mirror Surge's objects field for field. Nullable response fields are
// pointers; optional request fields carry omitempty so that a PATCH changes only what
// the caller set. A field the official SDK (generated from Surge's OpenAPI spec) types
// as optional but not nullable is omitted when unset, never sent as null, and still
// decodes from a null.
package surge

import (
	"encoding/json"
	"time"
)

// Campaign statuses as exposed by the API.
const (
	CampaignCreated     = "created"
	CampaignInReview    = "in_review"
	CampaignActive      = "active"
	CampaignRejected    = "rejected"
	CampaignCanceled    = "canceled"
	CampaignDeactivated = "deactivated"
)

// Phone number types.
const (
	NumberLocal     = "local"
	NumberTollFree  = "toll_free"
	NumberShortCode = "short_code"
	// NumberDemo only appears on the shared demo number embedded in a conversation.
	NumberDemo = "demo"
)

// Attachment statuses of a phone number's campaign link.
const (
	AttachmentAttached          = "attached"
	AttachmentPending           = "attachment_pending"
	AttachmentDetached          = "detached"
	AttachmentDetachmentPending = "detachment_pending"
)

// Capability statuses reported by the account status endpoint.
const (
	CapabilityReady      = "ready"
	CapabilityIncomplete = "incomplete"
	CapabilityError      = "error"

	// StatusBrandVerificationPending is the type of the status error of a
	// sole proprietor's account whose contact has not yet confirmed the
	// verification text. Surge does not document how it reports this
	// state; the adapter reads it so and the simulator answers so.
	StatusBrandVerificationPending = "brand_verification_pending"
)

// CapabilityLocalMessaging is the capability needed to register 10DLC campaigns.
const CapabilityLocalMessaging = "local_messaging"

// Webhook event types the simulator emits and the service consumes.
const (
	EventCampaignApproved              = "campaign.approved"
	EventPhoneNumberAttachedToCampaign = "phone_number.attached_to_campaign"
	EventMessageSent                   = "message.sent"
	EventMessageDelivered              = "message.delivered"
	EventMessageFailed                 = "message.failed"
	EventMessageReceived               = "message.received"
	EventContactOptedIn                = "contact.opted_in"
	EventContactOptedOut               = "contact.opted_out"
	EventConversationCreated           = "conversation.created"
)

// Account is a Surge account, the carrier "brand" of one end customer.
type Account struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	BrandName    *string      `json:"brand_name"`
	TimeZone     *string      `json:"time_zone"`
	Organization Organization `json:"organization"`
}

// Organization is the legal entity behind an account; every field is optional on input and nullable on output.
type Organization struct {
	Type               *string  `json:"type,omitempty"`
	RegisteredName     *string  `json:"registered_name,omitempty"`
	IdentifierType     *string  `json:"identifier_type,omitempty"`
	Identifier         *string  `json:"identifier,omitempty"`
	Country            *string  `json:"country,omitempty"`
	Website            *string  `json:"website,omitempty"`
	Email              *string  `json:"email,omitempty"`
	MobileNumber       *string  `json:"mobile_number,omitempty"`
	Industry           *string  `json:"industry,omitempty"`
	RegionsOfOperation []string `json:"regions_of_operation,omitempty"`
	StockExchange      *string  `json:"stock_exchange,omitempty"`
	StockSymbol        *string  `json:"stock_symbol,omitempty"`
	Address            *Address `json:"address,omitempty"`
	Contact            *Contact `json:"contact,omitempty"`
}

// Address is an organization's registered address.
type Address struct {
	Name       *string `json:"name,omitempty"`
	Line1      *string `json:"line1,omitempty"`
	Line2      *string `json:"line2,omitempty"`
	Locality   *string `json:"locality,omitempty"`
	Region     *string `json:"region,omitempty"`
	PostalCode *string `json:"postal_code,omitempty"`
	Country    *string `json:"country,omitempty"`
}

// Contact is a person. Surge uses the shape twice:
//   - a messaging contact ("ctc_…"), returned by the contacts routes and embedded in every
//     conversation: ID, PhoneNumber, FirstName, LastName, Email and Metadata apply;
//   - the representative of an organization (Organization.Contact): the name, email, phone
//     and Title/TitleOther apply, and ID and Metadata stay empty.
//
// Every field is omitted when empty so that an organization PATCH only changes what it sets.
type Contact struct {
	ID          string            `json:"id,omitempty"`
	FirstName   *string           `json:"first_name,omitempty"`
	LastName    *string           `json:"last_name,omitempty"`
	Email       *string           `json:"email,omitempty"`
	PhoneNumber *string           `json:"phone_number,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Title       *string           `json:"title,omitempty"`
	TitleOther  *string           `json:"title_other,omitempty"`
}

// AccountCreate is the body of POST /accounts.
type AccountCreate struct {
	Name         string        `json:"name"`
	BrandName    *string       `json:"brand_name,omitempty"`
	TimeZone     *string       `json:"time_zone,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
}

// AccountUpdate is the body of PATCH /accounts/{id}; nil fields are left unchanged.
type AccountUpdate struct {
	Name         *string       `json:"name,omitempty"`
	BrandName    *string       `json:"brand_name,omitempty"`
	TimeZone     *string       `json:"time_zone,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
}

// AccountStatus is the readiness of an account per capability.
type AccountStatus struct {
	Capabilities map[string]CapabilityStatus `json:"capabilities"`
}

// CapabilityStatus says whether an account can use one capability and what is missing.
type CapabilityStatus struct {
	Status       string        `json:"status"`
	FieldsNeeded []string      `json:"fields_needed"`
	Errors       []StatusError `json:"errors"`
}

// StatusError is one invalid field reported by the account status endpoint.
type StatusError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// Campaign is a 10DLC campaign registered for an account. LinkSample and
// TermsAndConditionsURL are optional and not nullable in the SDK: absent when unset
// (nil, as is an explicit null).
type Campaign struct {
	ID                    string   `json:"id"`
	ConsentFlow           string   `json:"consent_flow"`
	Description           string   `json:"description"`
	Includes              []string `json:"includes"`
	MessageSamples        []string `json:"message_samples"`
	PrivacyPolicyURL      string   `json:"privacy_policy_url"`
	Status                string   `json:"status"`
	UseCases              []string `json:"use_cases"`
	Volume                string   `json:"volume"`
	LinkSample            *string  `json:"link_sample,omitempty"`
	TermsAndConditionsURL *string  `json:"terms_and_conditions_url,omitempty"`
	// RejectionReason is not in Surge's documented Campaign object (Surge
	// emails reviewers' notes instead); it is read when present, and the
	// simulator sets it on a rejected campaign.
	RejectionReason *string `json:"rejection_reason,omitempty"`
}

// CampaignCreate is the body of POST /accounts/{id}/campaigns and PATCH /campaigns/{id}; set TCRID alone for an externally registered campaign.
// A standard campaign requires ConsentFlow, Description, MessageSamples, PrivacyPolicyURL, TermsAndConditionsURL,
// UseCases and Volume (the SDK marks them required; Surge answers 422 validation_error naming a missing one); every
// field is omitted when empty, as the external shape carries none of them.
type CampaignCreate struct {
	ConsentFlow           string   `json:"consent_flow,omitempty"`
	Description           string   `json:"description,omitempty"`
	Includes              []string `json:"includes,omitempty"`
	MessageSamples        []string `json:"message_samples,omitempty"`
	PrivacyPolicyURL      string   `json:"privacy_policy_url,omitempty"`
	TermsAndConditionsURL string   `json:"terms_and_conditions_url,omitempty"`
	UseCases              []string `json:"use_cases,omitempty"`
	Volume                string   `json:"volume,omitempty"`
	LinkSample            string   `json:"link_sample,omitempty"`
	TCRID                 string   `json:"tcr_id,omitempty"`
}

// PhoneNumber is a number owned by an account.
type PhoneNumber struct {
	ID         string          `json:"id"`
	Number     string          `json:"number"`
	Type       string          `json:"type"`
	Name       *string         `json:"name"`
	Campaign   *NumberCampaign `json:"campaign"`
	CampaignID *string         `json:"campaign_id"`
}

// NumberCampaign is the campaign a phone number is attached to.
type NumberCampaign struct {
	ID               string `json:"id"`
	AttachmentStatus string `json:"attachment_status"`
}

// NumberPurchase is the body of POST /accounts/{id}/phone_numbers; PhoneNumber, when set, overrides every search field.
type NumberPurchase struct {
	Type        string   `json:"type,omitempty"`
	AreaCode    string   `json:"area_code,omitempty"`
	Name        string   `json:"name,omitempty"`
	PhoneNumber string   `json:"phone_number,omitempty"`
	Latitude    *float64 `json:"latitude,omitempty"`
	Longitude   *float64 `json:"longitude,omitempty"`
}

// NumberUpdate is the body of PATCH /phone_numbers/{id}; setting CampaignID attaches the number.
type NumberUpdate struct {
	CampaignID string `json:"campaign_id,omitempty"`
	Name       string `json:"name,omitempty"`
}

// AvailableNumber is one purchasable number from the inventory browser.
type AvailableNumber struct {
	Country string `json:"country"`
	Number  string `json:"number"`
	Type    string `json:"type"`
}

// Page is Surge's list envelope.
type Page[T any] struct {
	Data       []T        `json:"data"`
	Pagination Pagination `json:"pagination"`
}

// Pagination holds the cursors of a Page; a nil cursor means there is no page in that direction.
type Pagination struct {
	NextCursor     *string `json:"next_cursor"`
	PreviousCursor *string `json:"previous_cursor"`
}

// Event is the envelope of every webhook Surge posts.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	AccountID string          `json:"account_id"`
	Data      json.RawMessage `json:"data"`
}

// String returns a pointer to s, for the optional fields of request bodies.
func String(s string) *string { return &s }
