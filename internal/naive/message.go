package naive

import (
	"encoding/json"
	"time"
)

// Message directions and statuses. Outbound status only moves forward:
// queued → sent → delivered | failed. A text held by quiet hours starts
// scheduled (not charged) and becomes queued when it goes, or canceled
// (never sent, never charged).
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"

	MessageQueued    = "queued"
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageFailed    = "failed"
	MessageReceived  = "received"
	MessageScheduled = "scheduled"
	MessageCanceled  = "canceled"
)

// MessageRank orders outbound statuses so they only move forward.
func MessageRank(status string) int {
	switch status {
	case MessageQueued:
		return 1
	case MessageSent:
		return 2
	case MessageDelivered, MessageFailed:
		return 3
	}
	return 0
}

// Message is one SMS/MMS on a number, in either direction.
type Message struct {
	ID            string          `json:"id"`
	PhoneID       string          `json:"phone_id"`
	SubjectID     string          `json:"subject_id"`
	Direction     string          `json:"direction"`
	From          string          `json:"from"`
	To            string          `json:"to"`
	Body          string          `json:"body"`
	Attachments   json.RawMessage `json:"attachments"`
	Status        string          `json:"status"`
	Segments      int             `json:"segments,omitempty"`
	CreditsUsed   int64           `json:"credits_used,omitempty"`
	FailureReason string          `json:"failure_reason,omitempty"`
	AgentID       string          `json:"agent_id,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	ReceivedAt    *time.Time      `json:"received_at,omitempty"`
	SentAt        *time.Time      `json:"sent_at,omitempty"`
	DeliveredAt   *time.Time      `json:"delivered_at,omitempty"`
	FailedAt      *time.Time      `json:"failed_at,omitempty"`
	// ConsentBasis is the consent basis an outbound text was sent (or
	// scheduled) on: a naive.ConsentBases value, or "none".
	ConsentBasis string `json:"consent_basis,omitempty"`
	// SendAt is when a scheduled text goes (once it went: when it was
	// handed to the carrier); CanceledAt when a scheduled one was canceled.
	SendAt     *time.Time `json:"send_at,omitempty"`
	CanceledAt *time.Time `json:"canceled_at,omitempty"`
	Mode       Mode       `json:"mode"`
	// CarrierID is the carrier's id of the text (Surge's msg_…), once the
	// carrier took it; SurgeMessageID repeats it under the name the hosted
	// service uses, and is written from CarrierID.
	CarrierID      string `json:"carrier_message_id,omitempty"`
	SurgeMessageID string `json:"surge_message_id,omitempty"`
	// Carrier is the carrier of the number the text went through (set
	// when read: a number's texts are all at its carrier).
	Carrier string `json:"carrier,omitempty"`
	// Codes are the one-time codes an inbound text carries (FindCodes of
	// its body), written on every inbound message ([] when none) and on
	// no outbound one.
	Codes      []string `json:"codes,omitempty"`
	OperatorID string   `json:"-"`
}

// MarshalJSON writes m with surge_message_id equal to carrier_message_id
// and, when inbound, the codes of its body.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	p := plain(m)
	p.SurgeMessageID = p.CarrierID
	if m.Direction != DirectionInbound {
		p.Codes = nil
		return json.Marshal(p)
	}
	return json.Marshal(struct {
		plain
		Codes []string `json:"codes"`
	}{p, FindCodes(m.Body)})
}

// WithCodes returns m with Codes set from its body when it is inbound.
func (m Message) WithCodes() Message {
	if m.Direction == DirectionInbound {
		m.Codes = FindCodes(m.Body)
	}
	return m
}

// NextMessageRequest asks for a number's first inbound text after a point
// (GET /v1/phone/{id}/messages/next).
type NextMessageRequest struct {
	// After is a message id (or a cursor of the message list): the answer
	// is the first inbound text after it. Empty: the first to arrive after
	// the request started.
	After string
	// Timeout is how long to wait for one (0: DefaultWait; at most MaxWait).
	Timeout time.Duration
}

// How long a wait for the next text lasts by default and at most: one
// request, held open; a longer wait is several in turn.
const (
	DefaultWait = 30 * time.Second
	MaxWait     = 60 * time.Second
)

// SendResult is the 201 answer of POST /v1/phone/{id}/sms.
type SendResult struct {
	ID               string `json:"id"`
	To               string `json:"to"`
	From             string `json:"from"`
	Status           string `json:"status"`
	Segments         int    `json:"segments"`
	CreditsUsed      int64  `json:"credits_used"`
	CreditsRemaining int64  `json:"credits_remaining"`
	// CarrierMessageID is the carrier's id of the text; SurgeMessageID
	// repeats it, as the hosted service names it.
	CarrierMessageID string `json:"carrier_message_id,omitempty"`
	SurgeMessageID   string `json:"surge_message_id,omitempty"`
	// ConsentBasis is the basis the text was sent (or scheduled) on.
	ConsentBasis string `json:"consent_basis,omitempty"`
	// SendAt is when a scheduled text (status scheduled) goes; it is
	// charged then, not now.
	SendAt *time.Time `json:"send_at,omitempty"`
}

// SendRequest is the body of POST /v1/phone/{id}/sms.
type SendRequest struct {
	To   string `json:"to"`
	Body string `json:"body"`
	// Schedule, for a text that falls in the kit's quiet hours, schedules
	// it for the window's next start instead of refusing it.
	Schedule bool `json:"schedule,omitempty"`
}

// Permissions an agent can hold on a number.
const (
	PermSendSMS    = "send_sms"
	PermReceiveSMS = "receive_sms"
)

// Assignment connects an agent to a number.
type Assignment struct {
	PhoneID     string    `json:"phone_id"`
	AgentID     string    `json:"agent_id"`
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"created_at"`
	Mode        Mode      `json:"mode"`
	OperatorID  string    `json:"-"`
}

// AssignRequest is the body of POST /v1/phone/{id}/assign.
type AssignRequest struct {
	AgentID     string   `json:"agent_id"`
	Permissions []string `json:"permissions"`
}

// WebhookEndpoint receives the operator's events.
type WebhookEndpoint struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	CreatedAt  time.Time `json:"created_at"`
	Mode       Mode      `json:"mode"`
	// Secret (whsec_…) is shown only in the answer that creates it.
	Secret     string `json:"secret,omitempty"`
	OperatorID string `json:"-"`
	// SigningSecret is the stored secret, never sent after creation.
	SigningSecret string `json:"-"`
	// AgentID is set for an agent's own endpoint (its webhook_url).
	AgentID string `json:"agent_id,omitempty"`
}

// WebhookRequest is the body of POST /v1/webhooks.
type WebhookRequest struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event's delivery to one endpoint, with its attempts.
type Delivery struct {
	ID         string     `json:"id"`
	EndpointID string     `json:"endpoint_id"`
	EventID    string     `json:"event_id"`
	EventType  string     `json:"event_type"`
	Status     string     `json:"status"`
	Attempts   []Attempt  `json:"attempts"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	NextTryAt  *time.Time `json:"next_attempt_at,omitempty"`
	OperatorID string     `json:"-"`
	Mode       Mode       `json:"-"`
}

// Attempt is one try of a delivery.
type Attempt struct {
	N          int       `json:"attempt"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	At         time.Time `json:"at"`
}

// MessageFilter narrows a message list.
type MessageFilter struct {
	PhoneID string
	Page
}
