package telnyx

import "time"

// Brand entity types (10DLC entityType).
const (
	EntityPrivateProfit  = "PRIVATE_PROFIT"
	EntityPublicProfit   = "PUBLIC_PROFIT"
	EntityNonProfit      = "NON_PROFIT"
	EntityGovernment     = "GOVERNMENT"
	EntitySoleProprietor = "SOLE_PROPRIETOR"
)

// Brand statuses.
const (
	BrandOK                  = "OK"
	BrandRegistrationPending = "REGISTRATION_PENDING"
	BrandRegistrationFailed  = "REGISTRATION_FAILED"
)

// Brand identity statuses; a sole proprietor's brand is VERIFIED once its
// contact confirmed the one-time password Telnyx texted.
const (
	IdentityVerified       = "VERIFIED"
	IdentityUnverified     = "UNVERIFIED"
	IdentitySelfDeclared   = "SELF_DECLARED"
	IdentityVettedVerified = "VETTED_VERIFIED"
)

// Campaign statuses (campaignStatus), in their usual order: TCR review,
// then Telnyx's, then the mobile operators' (MNO) and their provisioning.
const (
	CampaignTCRPending            = "TCR_PENDING"
	CampaignTCRAccepted           = "TCR_ACCEPTED"
	CampaignTCRFailed             = "TCR_FAILED"
	CampaignTCRSuspended          = "TCR_SUSPENDED"
	CampaignTCRExpired            = "TCR_EXPIRED"
	CampaignTelnyxAccepted        = "TELNYX_ACCEPTED"
	CampaignTelnyxFailed          = "TELNYX_FAILED"
	CampaignMNOPending            = "MNO_PENDING"
	CampaignMNOAccepted           = "MNO_ACCEPTED"
	CampaignMNORejected           = "MNO_REJECTED"
	CampaignMNOProvisioned        = "MNO_PROVISIONED"
	CampaignMNOProvisioningFailed = "MNO_PROVISIONING_FAILED"
)

// Assignment statuses of a phone number to a campaign.
const (
	AssignmentPending       = "PENDING_ASSIGNMENT"
	AssignmentAssigned      = "ASSIGNED"
	AssignmentFailed        = "FAILED_ASSIGNMENT"
	UnassignmentPending     = "PENDING_UNASSIGNMENT"
	UnassignmentFailedState = "FAILED_UNASSIGNMENT"
)

// Number order statuses (of the order and of each number in it).
const (
	OrderPending = "pending"
	OrderSuccess = "success"
	OrderFailure = "failure"
)

// Phone number types (phone_number_type, filter[phone_number_type]).
const (
	NumberLocal    = "local"
	NumberTollFree = "toll_free"
)

// Delivery statuses of an outbound message's recipient (to[].status).
const (
	DeliveryQueued      = "queued"
	DeliverySending     = "sending"
	DeliverySent        = "sent"
	DeliveryDelivered   = "delivered"
	DeliverySendFailed  = "sending_failed"
	DeliveryFailed      = "delivery_failed"
	DeliveryUnconfirmed = "delivery_unconfirmed"
	DeliveryExpired     = "expired"
)

// Brand is a 10DLC brand (POST/PUT /10dlc/brand body and answer). Every
// field is omitted when empty, so a request carries only what is set.
type Brand struct {
	BrandID        string `json:"brandId,omitempty"`
	TCRBrandID     string `json:"tcrBrandId,omitempty"`
	EntityType     string `json:"entityType,omitempty"`
	DisplayName    string `json:"displayName,omitempty"`
	CompanyName    string `json:"companyName,omitempty"`
	FirstName      string `json:"firstName,omitempty"`
	LastName       string `json:"lastName,omitempty"`
	EIN            string `json:"ein,omitempty"`
	Phone          string `json:"phone,omitempty"`
	MobilePhone    string `json:"mobilePhone,omitempty"`
	Street         string `json:"street,omitempty"`
	City           string `json:"city,omitempty"`
	State          string `json:"state,omitempty"`
	PostalCode     string `json:"postalCode,omitempty"`
	Country        string `json:"country,omitempty"`
	Email          string `json:"email,omitempty"`
	Website        string `json:"website,omitempty"`
	Vertical       string `json:"vertical,omitempty"`
	WebhookURL     string `json:"webhookURL,omitempty"`
	Mock           bool   `json:"mock,omitempty"`
	Status         string `json:"status,omitempty"`
	IdentityStatus string `json:"identityStatus,omitempty"`
	FailureReasons string `json:"failureReasons,omitempty"`
	CreatedAt      string `json:"createdAt,omitempty"`
	UpdatedAt      string `json:"updatedAt,omitempty"`
}

// BrandFeedback is GET /10dlc/brand/feedback/{brandId}: why a brand's
// registration or vetting did not go through.
type BrandFeedback struct {
	BrandID  string             `json:"brandId"`
	Category []FeedbackCategory `json:"category"`
}

// FeedbackCategory is one reason: its id is one of TAX_ID, STOCK_SYMBOL,
// GOVERNMENT_ENTITY, NONPROFIT and OTHERS; Fields name the brand fields
// at fault (Telnyx's names, such as "ein").
type FeedbackCategory struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	Fields      []string `json:"fields"`
}

// OTPTrigger is the body of POST /10dlc/brand/{brandId}/smsOtp: the text
// carrying the one-time password (PinSMS must contain "@OTP_PIN@") and the
// text sent once it is verified.
type OTPTrigger struct {
	PinSMS     string `json:"pinSms"`
	SuccessSMS string `json:"successSms"`
}

// OTPTriggered is the answer of POST /10dlc/brand/{brandId}/smsOtp.
type OTPTriggered struct {
	BrandID     string `json:"brandId"`
	ReferenceID string `json:"referenceId"`
}

// OTPStatus is GET /10dlc/brand/{brandId}/smsOtp.
type OTPStatus struct {
	BrandID        string     `json:"brandId,omitempty"`
	ReferenceID    string     `json:"referenceId"`
	MobilePhone    string     `json:"mobilePhone"`
	DeliveryStatus string     `json:"deliveryStatus"`
	RequestDate    time.Time  `json:"requestDate"`
	VerifyDate     *time.Time `json:"verifyDate,omitempty"`
}

// Campaign is a 10DLC campaign: the body of POST /10dlc/campaignBuilder
// (with BrandID) and the answer of every campaign route. The booleans are
// always sent.
type Campaign struct {
	CampaignID             string   `json:"campaignId,omitempty"`
	TCRCampaignID          string   `json:"tcrCampaignId,omitempty"`
	BrandID                string   `json:"brandId"`
	Usecase                string   `json:"usecase"`
	SubUsecases            []string `json:"subUsecases,omitempty"`
	Description            string   `json:"description"`
	MessageFlow            string   `json:"messageFlow,omitempty"`
	Sample1                string   `json:"sample1,omitempty"`
	Sample2                string   `json:"sample2,omitempty"`
	Sample3                string   `json:"sample3,omitempty"`
	Sample4                string   `json:"sample4,omitempty"`
	Sample5                string   `json:"sample5,omitempty"`
	PrivacyPolicyLink      string   `json:"privacyPolicyLink,omitempty"`
	TermsAndConditionsLink string   `json:"termsAndConditionsLink,omitempty"`
	HelpKeywords           string   `json:"helpKeywords,omitempty"`
	HelpMessage            string   `json:"helpMessage,omitempty"`
	OptinKeywords          string   `json:"optinKeywords,omitempty"`
	OptinMessage           string   `json:"optinMessage,omitempty"`
	OptoutKeywords         string   `json:"optoutKeywords,omitempty"`
	OptoutMessage          string   `json:"optoutMessage,omitempty"`
	TermsAndConditions     bool     `json:"termsAndConditions"`
	SubscriberOptin        bool     `json:"subscriberOptin"`
	SubscriberOptout       bool     `json:"subscriberOptout"`
	SubscriberHelp         bool     `json:"subscriberHelp"`
	EmbeddedLink           bool     `json:"embeddedLink"`
	EmbeddedPhone          bool     `json:"embeddedPhone"`
	NumberPool             bool     `json:"numberPool"`
	AgeGated               bool     `json:"ageGated"`
	DirectLending          bool     `json:"directLending"`
	WebhookURL             string   `json:"webhookURL,omitempty"`
	ReferenceID            string   `json:"referenceId,omitempty"`
	// CampaignStatus is one of the Campaign* constants (answers only).
	CampaignStatus string `json:"campaignStatus,omitempty"`
	// Status is ACTIVE or EXPIRED: the subscription, not the review.
	Status           string `json:"status,omitempty"`
	SubmissionStatus string `json:"submissionStatus,omitempty"`
	FailureReasons   string `json:"failureReasons,omitempty"`
	CreateDate       string `json:"createDate,omitempty"`
}

// Samples returns the campaign's message samples in order.
func (c Campaign) Samples() []string {
	var out []string
	for _, s := range []string{c.Sample1, c.Sample2, c.Sample3, c.Sample4, c.Sample5} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SetSamples sets sample1..sample5 from samples (extra ones are dropped).
func (c *Campaign) SetSamples(samples []string) {
	dst := []*string{&c.Sample1, &c.Sample2, &c.Sample3, &c.Sample4, &c.Sample5}
	for i, p := range dst {
		*p = ""
		if i < len(samples) {
			*p = samples[i]
		}
	}
}

// CampaignUpdate is the body of PUT /10dlc/campaign/{campaignId}: Telnyx
// lets only these fields of a campaign be edited.
type CampaignUpdate struct {
	MessageFlow string `json:"messageFlow,omitempty"`
	HelpMessage string `json:"helpMessage,omitempty"`
	Sample1     string `json:"sample1,omitempty"`
	Sample2     string `json:"sample2,omitempty"`
	Sample3     string `json:"sample3,omitempty"`
	Sample4     string `json:"sample4,omitempty"`
	Sample5     string `json:"sample5,omitempty"`
	WebhookURL  string `json:"webhookURL,omitempty"`
}

// CampaignAppeal is the body of POST /10dlc/campaign/{campaignId}/appeal.
type CampaignAppeal struct {
	AppealReason string `json:"appeal_reason"`
}

// CampaignAppealed is its answer.
type CampaignAppealed struct {
	AppealedAt time.Time `json:"appealed_at"`
}

// CampaignDeactivated is the answer of DELETE /10dlc/campaign/{campaignId}.
type CampaignDeactivated struct {
	Time       float64 `json:"time"`
	Message    string  `json:"message"`
	RecordType string  `json:"record_type"`
}

// NumberCampaign is a phone number's assignment to a campaign
// (/10dlc/phone_number_campaigns).
type NumberCampaign struct {
	PhoneNumber      string `json:"phoneNumber"`
	CampaignID       string `json:"campaignId"`
	BrandID          string `json:"brandId,omitempty"`
	TelnyxCampaignID string `json:"telnyxCampaignId,omitempty"`
	AssignmentStatus string `json:"assignmentStatus,omitempty"`
	FailureReasons   string `json:"failureReasons,omitempty"`
	CreatedAt        string `json:"createdAt,omitempty"`
	UpdatedAt        string `json:"updatedAt,omitempty"`
}

// AvailableFilter is a search of GET /available_phone_numbers, sent as
// filter[...] parameters; empty fields are not sent.
type AvailableFilter struct {
	CountryCode string
	// NationalDestinationCode is the area code of a US number.
	NationalDestinationCode string
	// PhoneNumberType is NumberLocal or NumberTollFree.
	PhoneNumberType    string
	Locality           string
	AdministrativeArea string
	// Features, such as "sms", must all be offered by the number.
	Features []string
	Limit    int
}

// AvailableNumber is a number Telnyx offers for sale.
type AvailableNumber struct {
	PhoneNumber       string       `json:"phone_number"`
	RecordType        string       `json:"record_type"`
	BestEffort        bool         `json:"best_effort"`
	Reservable        bool         `json:"reservable"`
	Quickship         bool         `json:"quickship"`
	VanityFormat      string       `json:"vanity_format,omitempty"`
	Features          []Feature    `json:"features"`
	RegionInformation []RegionInfo `json:"region_information"`
	CostInformation   *Cost        `json:"cost_information,omitempty"`
}

// Region returns the region_name of the region_type given ("" if none),
// such as "state", "location" or "rate_center".
func (n AvailableNumber) Region(typ string) string {
	for _, r := range n.RegionInformation {
		if r.RegionType == typ {
			return r.RegionName
		}
	}
	return ""
}

// Feature is a capability of a number, such as "sms" or "voice".
type Feature struct {
	Name string `json:"name"`
}

// RegionInfo is one region a number belongs to.
type RegionInfo struct {
	RegionType string `json:"region_type"`
	RegionName string `json:"region_name"`
}

// Cost is a number's price.
type Cost struct {
	UpfrontCost string `json:"upfront_cost,omitempty"`
	MonthlyCost string `json:"monthly_cost,omitempty"`
	Currency    string `json:"currency,omitempty"`
}

// NumberOrderCreate is the body of POST /number_orders.
type NumberOrderCreate struct {
	PhoneNumbers       []OrderNumber `json:"phone_numbers"`
	CustomerReference  string        `json:"customer_reference,omitempty"`
	MessagingProfileID string        `json:"messaging_profile_id,omitempty"`
	ConnectionID       string        `json:"connection_id,omitempty"`
}

// OrderNumber is one number of an order.
type OrderNumber struct {
	PhoneNumber string `json:"phone_number"`
}

// NumberOrder is a number order; its status, and each number's, goes from
// pending to success or failure.
type NumberOrder struct {
	ID                 string          `json:"id"`
	RecordType         string          `json:"record_type"`
	Status             string          `json:"status"`
	CustomerReference  string          `json:"customer_reference,omitempty"`
	MessagingProfileID string          `json:"messaging_profile_id,omitempty"`
	ConnectionID       string          `json:"connection_id,omitempty"`
	PhoneNumbers       []OrderedNumber `json:"phone_numbers"`
	PhoneNumbersCount  int             `json:"phone_numbers_count"`
	RequirementsMet    bool            `json:"requirements_met"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
}

// OrderedNumber is a number in an order. Its ID is the order line's, not
// the phone number resource's: find that with ListPhoneNumbers.
type OrderedNumber struct {
	ID              string `json:"id"`
	RecordType      string `json:"record_type"`
	PhoneNumber     string `json:"phone_number"`
	PhoneNumberType string `json:"phone_number_type,omitempty"`
	Status          string `json:"status"`
	RequirementsMet bool   `json:"requirements_met"`
}

// PhoneNumber is a number the account holds (/phone_numbers).
type PhoneNumber struct {
	ID                 string   `json:"id"`
	RecordType         string   `json:"record_type"`
	PhoneNumber        string   `json:"phone_number"`
	Status             string   `json:"status"`
	PhoneNumberType    string   `json:"phone_number_type"`
	CountryISOAlpha2   string   `json:"country_iso_alpha2,omitempty"`
	CustomerReference  string   `json:"customer_reference,omitempty"`
	Tags               []string `json:"tags"`
	MessagingProfileID string   `json:"messaging_profile_id,omitempty"`
	ConnectionID       string   `json:"connection_id,omitempty"`
	PurchasedAt        string   `json:"purchased_at,omitempty"`
	CreatedAt          string   `json:"created_at,omitempty"`
	UpdatedAt          string   `json:"updated_at,omitempty"`
}

// PhoneNumberFilter narrows GET /phone_numbers (filter[...]); empty fields
// are not sent.
type PhoneNumberFilter struct {
	PhoneNumber       string
	Tag               string
	CustomerReference string
	Status            string
}

// PhoneNumberUpdate is the body of PATCH /phone_numbers/{id}; nil fields
// are left unchanged and a non-nil Tags replaces the list.
type PhoneNumberUpdate struct {
	CustomerReference *string  `json:"customer_reference,omitempty"`
	Tags              []string `json:"tags,omitempty"`
}

// NumberMessaging is a number's messaging settings
// (/phone_numbers/{id}/messaging).
type NumberMessaging struct {
	ID                 string `json:"id"`
	RecordType         string `json:"record_type"`
	PhoneNumber        string `json:"phone_number"`
	MessagingProfileID string `json:"messaging_profile_id"`
	Type               string `json:"type,omitempty"`
	UpdatedAt          string `json:"updated_at,omitempty"`
}

// NumberMessagingUpdate is the body of PATCH /phone_numbers/{id}/messaging.
type NumberMessagingUpdate struct {
	MessagingProfileID string `json:"messaging_profile_id"`
}

// MessageCreate is the body of POST /messages. From is an E.164 number the
// account holds; WebhookURL overrides the messaging profile's webhook for
// this message's status events (and is echoed in them).
type MessageCreate struct {
	From               string   `json:"from"`
	To                 string   `json:"to"`
	Text               string   `json:"text,omitempty"`
	MediaURLs          []string `json:"media_urls,omitempty"`
	MessagingProfileID string   `json:"messaging_profile_id,omitempty"`
	WebhookURL         string   `json:"webhook_url,omitempty"`
	WebhookFailoverURL string   `json:"webhook_failover_url,omitempty"`
	UseProfileWebhooks *bool    `json:"use_profile_webhooks,omitempty"`
	Type               string   `json:"type,omitempty"`
}

// Message is a text, sent or received: the data of POST /messages and
// GET /messages/{id}, and the payload of the message webhooks.
type Message struct {
	ID                 string       `json:"id"`
	RecordType         string       `json:"record_type"`
	Direction          string       `json:"direction"`
	Type               string       `json:"type"`
	From               Endpoint     `json:"from"`
	To                 []Endpoint   `json:"to"`
	Text               string       `json:"text"`
	Media              []Media      `json:"media,omitempty"`
	MessagingProfileID string       `json:"messaging_profile_id,omitempty"`
	WebhookURL         string       `json:"webhook_url,omitempty"`
	WebhookFailoverURL string       `json:"webhook_failover_url,omitempty"`
	Encoding           string       `json:"encoding,omitempty"`
	Parts              int          `json:"parts,omitempty"`
	Tags               []string     `json:"tags,omitempty"`
	Errors             []APIError   `json:"errors"`
	ReceivedAt         *time.Time   `json:"received_at,omitempty"`
	SentAt             *time.Time   `json:"sent_at,omitempty"`
	CompletedAt        *time.Time   `json:"completed_at,omitempty"`
	ValidUntil         *time.Time   `json:"valid_until,omitempty"`
	Cost               *MessageCost `json:"cost,omitempty"`
}

// Endpoint is a sender or recipient of a message; Status is a recipient's
// delivery status (one of the Delivery* constants).
type Endpoint struct {
	PhoneNumber string `json:"phone_number"`
	Carrier     string `json:"carrier,omitempty"`
	LineType    string `json:"line_type,omitempty"`
	Status      string `json:"status,omitempty"`
}

// Media is an attachment of an MMS.
type Media struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// MessageCost is what a message cost.
type MessageCost struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MessageRecord is a message detail record (GET /detail_records with
// filter[record_type]=messaging). Telnyx builds them after the fact, so a
// message just sent may not have one yet.
type MessageRecord struct {
	UUID                     string    `json:"uuid"`
	RecordType               string    `json:"record_type"`
	Direction                string    `json:"direction"`
	Status                   string    `json:"status"`
	CLI                      string    `json:"cli"`
	CLD                      string    `json:"cld"`
	ProfileID                string    `json:"profile_id,omitempty"`
	DeliveryStatusWebhookURL string    `json:"delivery_status_webhook_url,omitempty"`
	Errors                   []string  `json:"errors,omitempty"`
	CreatedAt                time.Time `json:"created_at"`
	SentAt                   time.Time `json:"sent_at"`
}
