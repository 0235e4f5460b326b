package naive

import (
	"encoding/json"
	"time"
)

// Message directions and statuses. Outbound status only moves forward:
// queued → sent → delivered | failed.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"

	MessageQueued    = "queued"
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageFailed    = "failed"
	MessageReceived  = "received"
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
	Mode          Mode            `json:"mode"`
	// CarrierID is the carrier's id of the text (Surge's msg_…), once the
	// carrier took it; SurgeMessageID repeats it under the name the hosted
	// service uses, and is written from CarrierID.
	CarrierID      string `json:"carrier_message_id,omitempty"`
	SurgeMessageID string `json:"surge_message_id,omitempty"`
	OperatorID     string `json:"-"`
}

// MarshalJSON writes m with surge_message_id equal to carrier_message_id.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	p := plain(m)
	p.SurgeMessageID = p.CarrierID
	return json.Marshal(p)
}

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
}

// SendRequest is the body of POST /v1/phone/{id}/sms.
type SendRequest struct {
	To   string `json:"to"`
	Body string `json:"body"`
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
