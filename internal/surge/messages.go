package surge

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Attachment types of a message's attachments.
const (
	AttachmentTypeFile    = "file"
	AttachmentTypeImage   = "image"
	AttachmentTypeLink    = "link"
	AttachmentTypeContact = "contact"
	AttachmentTypeVideo   = "video"
)

// Documented failure_reason slugs of message.failed. After invalid_mobile_number or
// unreachable_carrier Surge flags the destination, and later sends to it fail before
// reaching the carrier until one succeeds.
const (
	FailureInvalidMobileNumber    = "invalid_mobile_number"
	FailureUnreachableCarrier     = "unreachable_carrier"
	FailureUnreachableDestination = "unreachable_destination"
)

// Message is an SMS or MMS, sent or received. It has no status: delivery state arrives only
// through the message.sent, message.delivered and message.failed webhooks.
type Message struct {
	ID           string            `json:"id"`
	Body         *string           `json:"body"`
	Attachments  []Attachment      `json:"attachments"`
	BlastID      *string           `json:"blast_id"`
	Metadata     map[string]string `json:"metadata"`
	Conversation Conversation      `json:"conversation"`
}

// Attachment is a file of an MMS. On input only URL is set (a publicly reachable file);
// on output Surge adds the att_ ID and the type, and URL points at Surge's copy.
type Attachment struct {
	ID   string `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
	URL  string `json:"url"`
}

// Conversation is the thread between a contact and one of the account's numbers. It has no
// REST resource: it is embedded in messages and created implicitly by the first message,
// which emits conversation.created (whose data is a Conversation). Inside a Message the
// PhoneNumber carries only id, name, number and type; in conversation.created it is complete.
type Conversation struct {
	ID          string      `json:"id"`
	Contact     Contact     `json:"contact"`
	PhoneNumber PhoneNumber `json:"phone_number"`
}

// MessageCreate is the body of POST /accounts/{id}/messages, in one of two shapes:
//   - simple: To (E.164) and optionally From (E.164 or pn_ ID; default: the account's number);
//   - conversation: Conversation, whose PhoneNumber replaces From.
//
// Setting both To and Conversation, or From with Conversation, is a validation_error.
// Body or Attachments is required; SendAt schedules the send up to 60 days ahead.
type MessageCreate struct {
	To           string              `json:"to,omitempty"`
	From         string              `json:"from,omitempty"`
	Conversation *ConversationCreate `json:"conversation,omitempty"`
	Body         string              `json:"body,omitempty"`
	Attachments  []Attachment        `json:"attachments,omitempty"`
	Metadata     map[string]string   `json:"metadata,omitempty"`
	SendAt       *time.Time          `json:"send_at,omitempty"`
	Settings     *MessageSettings    `json:"settings,omitempty"`
}

// ConversationCreate is the conversation shape of MessageCreate: the recipient's contact
// (created or updated) and, optionally, the sending number as E.164 or pn_ ID.
type ConversationCreate struct {
	Contact     ContactCreate `json:"contact"`
	PhoneNumber string        `json:"phone_number,omitempty"`
}

// MessageSettings are per-message options.
type MessageSettings struct {
	// LinkShortening is "enabled" or "disabled".
	LinkShortening string `json:"link_shortening,omitempty"`
}

// MessageEventData is the data of the message.sent, message.delivered, message.failed and
// message.received webhooks: the Message plus the one timestamp (and, for failures, the
// reason) that its event type carries.
type MessageEventData struct {
	Message
	SentAt        *time.Time `json:"sent_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
	FailureReason *string    `json:"failure_reason,omitempty"`
	ReceivedAt    *time.Time `json:"received_at,omitempty"`
}

// ContactEventData is the data of contact.opted_in and contact.opted_out: the contact's ID.
type ContactEventData struct {
	ID string `json:"id"`
}

// ContactCreate is the body of POST /accounts/{id}/contacts, and the contact of a
// ConversationCreate; PhoneNumber (E.164) is required.
type ContactCreate struct {
	PhoneNumber string            `json:"phone_number"`
	FirstName   *string           `json:"first_name,omitempty"`
	LastName    *string           `json:"last_name,omitempty"`
	Email       *string           `json:"email,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// ContactUpdate is the body of PATCH /contacts/{id}. PhoneNumber (E.164) is required, as
// the SDK types it: send the contact's current number to keep it. Nil fields are left
// unchanged and a non-nil Metadata replaces the whole map.
type ContactUpdate struct {
	PhoneNumber string            `json:"phone_number"`
	FirstName   *string           `json:"first_name,omitempty"`
	LastName    *string           `json:"last_name,omitempty"`
	Email       *string           `json:"email,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// SendMessage queues a message (POST /accounts/{id}/messages) and returns it at once; its
// fate arrives by webhook. On ErrUnknownOutcome it may have been sent: Surge has no
// idempotency key, so put a marker in Metadata and look for it with ListMessages before
// sending again.
func (c *Client) SendMessage(ctx context.Context, accountID string, in MessageCreate) (Message, error) {
	var out Message
	err := c.do(ctx, http.MethodPost, "/accounts/"+url.PathEscape(accountID)+"/messages", nil, in, &out)
	return out, err
}

// GetMessage fetches a message by id.
func (c *Client) GetMessage(ctx context.Context, id string) (Message, error) {
	var out Message
	err := c.do(ctx, http.MethodGet, "/messages/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// ListMessages returns every message of an account, sent and received, following cursors.
func (c *Client) ListMessages(ctx context.Context, accountID string) ([]Message, error) {
	return list[Message](ctx, c, "/accounts/"+url.PathEscape(accountID)+"/messages", nil)
}

// CreateContact creates a contact in an account.
func (c *Client) CreateContact(ctx context.Context, accountID string, in ContactCreate) (Contact, error) {
	var out Contact
	err := c.do(ctx, http.MethodPost, "/accounts/"+url.PathEscape(accountID)+"/contacts", nil, in, &out)
	return out, err
}

// GetContact fetches a contact by id.
func (c *Client) GetContact(ctx context.Context, id string) (Contact, error) {
	var out Contact
	err := c.do(ctx, http.MethodGet, "/contacts/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// UpdateContact patches a contact; unset fields but the required phone number are left unchanged.
func (c *Client) UpdateContact(ctx context.Context, id string, in ContactUpdate) (Contact, error) {
	var out Contact
	err := c.do(ctx, http.MethodPatch, "/contacts/"+url.PathEscape(id), nil, in, &out)
	return out, err
}

// ListContacts returns every contact of an account, following cursors.
func (c *Client) ListContacts(ctx context.Context, accountID string) ([]Contact, error) {
	return list[Contact](ctx, c, "/accounts/"+url.PathEscape(accountID)+"/contacts", nil)
}
