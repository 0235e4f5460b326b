// Package carrier is the service's port to phone carriers: one interface in
// naive's own vocabulary (brands, campaigns, numbers, messages, carrier
// events) that every carrier adapter implements. No carrier's types cross
// it: the Surge adapter (internal/surge) translates Surge's accounts,
// campaigns and webhooks into these, and a second carrier only needs
// another adapter; the service does not change for it.
package carrier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/naive-oss/naive/internal/naive"
)

// Carrier is what the service needs from a carrier. Methods that write at
// the carrier may return an error wrapping ErrUnknownOutcome when the
// request may or may not have been carried out (a timeout, a connection
// lost after sending, a 5xx); callers reconcile with the Find methods
// before trying again. Every other failure is an *Error.
type Carrier interface {
	// Name is the carrier's name as shown to users ("surge").
	Name() string

	// CreateBrand registers a company with the carrier and returns the
	// brand's id. Whether the brand can register campaigns is then read
	// with BrandStatus.
	CreateBrand(ctx context.Context, b BrandRegistration) (string, error)
	// UpdateBrand sends a brand the subject's corrected profile.
	UpdateBrand(ctx context.Context, brandID string, b BrandRegistration) error
	// BrandStatus reads a brand's readiness to register campaigns.
	BrandStatus(ctx context.Context, brandID string) (Brand, error)
	// ResendBrandVerification asks the carrier to text a sole
	// proprietor's contact the identity-verification message again.
	// Errors: Invalid (the brand needs no verification, or has it
	// already), NotFound, RateLimited, Unavailable.
	ResendBrandVerification(ctx context.Context, brandID string) error
	// BrandVerificationMethod says how a sole proprietor's owner confirms
	// this carrier's verification text: naive.BrandVerifyReply (they
	// reply to the carrier's text; there is nothing to submit) or
	// naive.BrandVerifyCode (the text carries a one-time code that
	// SubmitBrandVerification submits).
	BrandVerificationMethod() string
	// SubmitBrandVerification submits the one-time code a sole
	// proprietor's contact received; the brand is then verified
	// (BrandStatus says Ready once it is otherwise). A brand verified
	// already is not an error. Errors: Invalid with Fields ["code"] (the
	// code is wrong or expired), Invalid without Fields (the carrier
	// verifies by reply, or the brand is not a sole proprietor's),
	// NotFound, RateLimited, Unavailable.
	SubmitBrandVerification(ctx context.Context, brandID, code string) error
	// ArchiveBrand retires a brand at the carrier for good: its numbers
	// are released, its campaigns deactivated, and it can send no more.
	// It is idempotent: a brand already archived, or one the carrier does
	// not have, is not an error. The service archives a brand it created
	// but could not record (an orphan nothing refers to).
	ArchiveBrand(ctx context.Context, brandID string) error

	// CreateCampaign registers a 10DLC campaign on a brand.
	CreateCampaign(ctx context.Context, brandID string, c CampaignRequest) (Campaign, error)
	// FindCampaign returns the brand's campaign, if it has one: a campaign
	// whose creation's answer was lost is adopted rather than created again.
	FindCampaign(ctx context.Context, brandID string) (Campaign, bool, error)
	// CampaignStatus reads a campaign's status (naive's campaign statuses)
	// and, for a rejected one, the carrier's reason when it gives one.
	CampaignStatus(ctx context.Context, campaignID string) (Campaign, error)
	// ResubmitCampaign replaces a rejected campaign's content with c and
	// sends it back to review. Errors: Invalid (content refused, or the
	// campaign is not in a state the carrier lets be updated).
	ResubmitCampaign(ctx context.Context, campaignID string, c CampaignRequest) (Campaign, error)

	// BuyNumber buys a number for a brand, naming it with order.Ref (our
	// phone id) so a purchase whose answer was lost can be found.
	BuyNumber(ctx context.Context, brandID string, order NumberOrder) (Number, error)
	// AvailableNumbers lists numbers the carrier offers for sale now,
	// searched through the brand's account (inventory is the carrier's,
	// not the brand's). Errors: NotFound (the brand), Invalid, RateLimited,
	// Unavailable.
	AvailableNumbers(ctx context.Context, brandID string, f NumberFilter) ([]AvailableNumber, error)
	// ListNumbers lists the numbers a brand holds.
	ListNumbers(ctx context.Context, brandID string) ([]Number, error)
	// FindNumber finds the brand's number named ref, if any.
	FindNumber(ctx context.Context, brandID, ref string) (Number, bool, error)
	// ReleaseNumber releases a number for good; one already gone is not
	// an error.
	ReleaseNumber(ctx context.Context, numberID string) error

	// SendMessage sends a text from one of the brand's numbers, carrying
	// m.Ref (our message id) so the carrier's status events and a lost
	// answer can be matched to it.
	SendMessage(ctx context.Context, brandID string, m OutboundMessage) (SentMessage, error)
	// FindMessage finds a text the brand sent carrying ref, if any.
	FindMessage(ctx context.Context, brandID, ref string) (SentMessage, bool, error)
	// ContactNumber returns the phone number of a carrier contact.
	ContactNumber(ctx context.Context, contactID string) (string, error)

	// ParseWebhook verifies a webhook the carrier posted (its signature
	// and freshness, with the secret this adapter was given) and parses
	// it. Errors: ErrBadSignature, ErrStaleSignature (unauthenticated), or
	// ErrUnreadable (authentic, but not an event this adapter can read).
	ParseWebhook(h http.Header, body []byte, now time.Time) (*Event, error)
}

// BrandRegistration is what registering a brand needs: the subject's legal
// profile and its EIN, or, for a sole proprietor (Tier
// naive.TierSoleProprietor), no EIN: the carrier verifies the person by a
// text to the contact's mobile number (Profile.Contact.Phone).
type BrandRegistration struct {
	Profile naive.SubjectProfile
	EIN     string
	Tier    string
}

// Brand is a company registered at the carrier.
type Brand struct {
	ID string
	// Ready reports whether the brand can register campaigns now.
	Ready bool
	// FieldsNeeded are the subject profile fields (naive's names, such as
	// "address.city") the carrier still needs.
	FieldsNeeded []string
	// Problems are fields the carrier found wrong.
	Problems []Problem
	// Verification is naive.BrandVerificationPendingOTP while a sole
	// proprietor has not confirmed the carrier's verification text (the
	// brand is then not Ready); "" otherwise.
	Verification string
}

// Problem is one field the carrier rejected.
type Problem struct {
	// Field is the subject field (naive's name; "ein" for the EIN).
	Field string
	// Code is the carrier's reason, such as "ein_mismatch".
	Code    string
	Message string
}

// CampaignRequest is the content of a 10DLC campaign.
type CampaignRequest struct {
	Description      string
	ConsentFlow      string
	MessageSamples   []string
	PrivacyPolicyURL string
	TermsURL         string
	UseCases         []string
	Volume           string
}

// Campaign is a campaign registered at the carrier.
type Campaign struct {
	ID string
	// Status is one of naive's campaign statuses.
	Status string
	// Reason is why the carrier rejected it ("" when it is not rejected or
	// the carrier gives no reason).
	Reason string
}

// NumberOrder is a number to buy.
type NumberOrder struct {
	// Type is naive.PhoneLocal or naive.PhoneTollFree.
	Type     string
	AreaCode string
	// E164, when set, is the exact number to buy (one AvailableNumbers
	// offered); the carrier answers NoInventory if it is no longer for sale.
	E164 string
	// Ref names the number (our phone id).
	Ref string
}

// Number is a number a brand holds.
type Number struct {
	ID   string
	E164 string
	// Ref is the name we gave it ("" when it has none).
	Ref string
}

// OutboundMessage is a text to send.
type OutboundMessage struct {
	// FromNumberID is the carrier's id of the sending number.
	FromNumberID string
	To           string
	Body         string
	// Ref is our message id.
	Ref string
}

// SentMessage is a text the carrier accepted.
type SentMessage struct {
	ID string
}

// EventKind says what a carrier event reports.
type EventKind string

// Event kinds. EventOther is an authentic event the service has no use for;
// it is still recorded, so a redelivery is recognised.
const (
	EventCampaignStatus  EventKind = "campaign_status"
	EventMessageReceived EventKind = "message_received"
	EventMessageStatus   EventKind = "message_status"
	EventContactOpt      EventKind = "contact_opt"
	EventOther           EventKind = "other"
)

// Event is one verified carrier webhook.
type Event struct {
	// ID is the carrier's event id, the key redeliveries are recognised by.
	ID   string
	Kind EventKind
	// Type is the carrier's own event type, for logs and the record.
	Type string
	// At is when the carrier says it happened (zero if it does not say).
	At time.Time
	// BrandID is the brand (carrier account) the event belongs to.
	BrandID string

	Campaign *CampaignEvent
	Message  *MessageEvent
	Contact  *ContactEvent
}

// CampaignEvent is a campaign's new status.
type CampaignEvent struct {
	CampaignID string
	Status     string
}

// MessageEvent is an inbound text or an outbound text's new status.
type MessageEvent struct {
	// ID is the carrier's message id.
	ID string
	// Ref is our message id, for outbound texts whose answer was lost.
	Ref string
	// To and From are E.164 numbers; Body and Attachments are the text.
	To, From    string
	Body        string
	Attachments []Attachment
	// Status is naive's message status for status events.
	Status string
	// FailureReason is set for failed texts.
	FailureReason string
	// At is when it was received, sent, delivered or failed.
	At time.Time
}

// Attachment is a media attachment of a text.
type Attachment struct {
	Type string `json:"type,omitempty"`
	URL  string `json:"url"`
}

// ContactEvent is a contact's opt-out or opt-in.
type ContactEvent struct {
	ContactID string
	OptedOut  bool
}

// Webhook verification failures.
var (
	// ErrBadSignature: the webhook is unsigned or signed with another secret.
	ErrBadSignature = errors.New("carrier: webhook signature does not verify")
	// ErrStaleSignature: the signature's timestamp is outside the tolerance.
	ErrStaleSignature = errors.New("carrier: webhook timestamp outside tolerance")
	// ErrUnreadable: an authentic webhook whose body cannot be read.
	ErrUnreadable = errors.New("carrier: webhook body is not a carrier event")
)

// ErrUnknownOutcome marks a write the carrier may have carried out.
var ErrUnknownOutcome = errors.New("carrier: request outcome unknown")

// Kind classifies a carrier failure in the service's terms.
type Kind string

// Failure kinds.
const (
	// NotFound: the brand, campaign, number or contact does not exist there
	// (or its brand was archived, which is final).
	NotFound Kind = "not_found"
	// NoInventory: no number matches the order.
	NoInventory Kind = "no_inventory"
	// RateLimited: back off for RetryAfter.
	RateLimited Kind = "rate_limited"
	// Unavailable: the carrier failed or could not be reached; retryable.
	Unavailable Kind = "unavailable"
	// Invalid: the carrier refused what we sent; Fields names what.
	Invalid Kind = "invalid"
	// NumberLimit: the carrier account may hold no more numbers.
	NumberLimit Kind = "number_limit"
	// OptedOut: the recipient opted out at the carrier.
	OptedOut Kind = "opted_out"
	// Refused: any other refusal; not retryable.
	Refused Kind = "refused"
)

// Error is a carrier failure.
type Error struct {
	Kind Kind
	// Message is the carrier's own words.
	Message string
	// Fields are the fields an Invalid refusal names (naive's names where
	// the adapter knows them).
	Fields []string
	// RetryAfter is set for RateLimited.
	RetryAfter time.Duration
	// UnknownOutcome is set when the write may have been carried out.
	UnknownOutcome bool
	// Err is the adapter's underlying error.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("carrier %s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("carrier %s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnknownOutcome) true for an error whose
// write may have been carried out.
func (e *Error) Is(target error) bool { return target == ErrUnknownOutcome && e.UnknownOutcome }

// Is reports whether err is a carrier *Error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
