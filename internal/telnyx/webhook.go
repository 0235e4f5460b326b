package telnyx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook signature headers: the base64 Ed25519 signature of
// "<timestamp>|<body>", and the Unix timestamp (seconds) it signs.
const (
	HeaderSignature = "telnyx-signature-ed25519"
	HeaderTimestamp = "telnyx-timestamp"
)

// WebhookTolerance is how far a webhook's timestamp may be from now, either way.
const WebhookTolerance = 5 * time.Minute

// Webhook verification failures.
var (
	// ErrWebhookUnsigned: a signature or timestamp header is missing or unreadable.
	ErrWebhookUnsigned = errors.New("telnyx: webhook is not signed")
	// ErrWebhookSignature: the signature does not verify with the public key.
	ErrWebhookSignature = errors.New("telnyx: webhook signature does not verify")
	// ErrWebhookStale: the timestamp is outside the tolerance.
	ErrWebhookStale = errors.New("telnyx: webhook timestamp outside tolerance")
)

// ParsePublicKey decodes the account's webhook public key (base64, as the
// Telnyx portal shows it).
func ParsePublicKey(b64 string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("telnyx: webhook public key is not base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("telnyx: webhook public key has %d bytes, not %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// VerifyWebhook checks a webhook's Ed25519 signature over
// "<telnyx-timestamp>|<body>" and that the timestamp is within tolerance
// of now (WebhookTolerance when tolerance is zero). The freshness check
// comes after the signature, so a forged webhook is always ErrWebhookSignature.
func VerifyWebhook(pub ed25519.PublicKey, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = WebhookTolerance
	}
	sigB64, ts := strings.TrimSpace(h.Get(HeaderSignature)), strings.TrimSpace(h.Get(HeaderTimestamp))
	if sigB64 == "" || ts == "" {
		return ErrWebhookUnsigned
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrWebhookUnsigned
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return ErrWebhookSignature
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, signedPayload(ts, body), sig) {
		return ErrWebhookSignature
	}
	d := now.Sub(time.Unix(unix, 0))
	if d > tolerance || d < -tolerance {
		return ErrWebhookStale
	}
	return nil
}

// SignWebhook signs body as Telnyx does at time ts and returns the two
// headers (the simulator's and tests' half of VerifyWebhook).
func SignWebhook(priv ed25519.PrivateKey, ts time.Time, body []byte) http.Header {
	unix := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, unix)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(priv, signedPayload(unix, body))))
	return h
}

func signedPayload(ts string, body []byte) []byte {
	out := make([]byte, 0, len(ts)+1+len(body))
	out = append(out, ts...)
	out = append(out, '|')
	return append(out, body...)
}

// Webhook event types naive reads.
const (
	EventMessageReceived  = "message.received"
	EventMessageSent      = "message.sent"
	EventMessageFinalized = "message.finalized"
	// EventCampaignStatus is naive's name for the 10DLC campaign status
	// update, which Telnyx posts without an event_type.
	EventCampaignStatus = "10dlc.campaign.status_update"
)

// Types and statuses of a 10DLC campaign status update.
const (
	CampaignEventRegistration = "REGISTRATION"
	CampaignEventTelnyxReview = "TELNYX_REVIEW"
	CampaignEventMNOReview    = "MNO_REVIEW"
	CampaignEventTelnyx       = "TELNYX_EVENT"
	CampaignEventTCR          = "TCR_EVENT"
	CampaignEventVerified     = "VERIFIED"

	CampaignEventAccepted = "ACCEPTED"
	CampaignEventRejected = "REJECTED"
	CampaignEventDormant  = "DORMANT"
	CampaignEventSuccess  = "success"
	CampaignEventFailed   = "failed"
)

// Envelope is how Telnyx posts its v2 events: {"data": {...}, "meta": {...}}.
type Envelope struct {
	Data EventData `json:"data"`
	Meta struct {
		Attempt     int    `json:"attempt"`
		DeliveredTo string `json:"delivered_to"`
	} `json:"meta"`
}

// EventData is an event: its id, type, time and payload.
type EventData struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	OccurredAt time.Time       `json:"occurred_at"`
	RecordType string          `json:"record_type"`
	Payload    json.RawMessage `json:"payload"`
}

// CampaignStatusUpdate is the 10DLC campaign webhook, posted as a bare
// object (no envelope, no event id).
type CampaignStatusUpdate struct {
	BrandID     string `json:"brandId"`
	CampaignID  string `json:"campaignId"`
	CSPID       string `json:"cspId,omitempty"`
	CreateDate  string `json:"createDate,omitempty"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	Status      string `json:"status"`
}

// WebhookEvent is one parsed webhook.
type WebhookEvent struct {
	// ID is Telnyx's event id; for a campaign status update, which has
	// none, it is derived from the update's body, so a redelivery gets the
	// same id.
	ID         string
	Type       string
	OccurredAt time.Time
	// Message is set for the message.* events.
	Message *Message
	// Campaign is set for a 10DLC campaign status update.
	Campaign *CampaignStatusUpdate
}

// ErrWebhookUnreadable: the body is neither an event envelope nor a
// campaign status update.
var ErrWebhookUnreadable = errors.New("telnyx: webhook body is not a Telnyx event")

// ParseWebhook reads a webhook body (verify it first). Unknown event types
// parse with neither Message nor Campaign set.
func ParseWebhook(body []byte) (*WebhookEvent, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, ErrWebhookUnreadable
	}
	if _, ok := probe["data"]; !ok {
		if _, ok := probe["campaignId"]; ok {
			var cu CampaignStatusUpdate
			if json.Unmarshal(body, &cu) != nil || cu.CampaignID == "" {
				return nil, ErrWebhookUnreadable
			}
			return campaignEvent(cu, body), nil
		}
		return nil, ErrWebhookUnreadable
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Data.EventType == "" {
		return nil, ErrWebhookUnreadable
	}
	ev := &WebhookEvent{ID: env.Data.ID, Type: env.Data.EventType, OccurredAt: env.Data.OccurredAt}
	switch {
	case strings.HasPrefix(ev.Type, "message."):
		var m Message
		if err := json.Unmarshal(env.Data.Payload, &m); err != nil || m.ID == "" {
			return ev, errors.Join(ErrWebhookUnreadable, fmt.Errorf("%s payload is not a message", ev.Type))
		}
		ev.Message = &m
	case bytes.Contains(env.Data.Payload, []byte(`"campaignId"`)):
		// A campaign status update inside an envelope: read it alike.
		var cu CampaignStatusUpdate
		if json.Unmarshal(env.Data.Payload, &cu) == nil && cu.CampaignID != "" {
			ev.Campaign = &cu
		}
	}
	return ev, nil
}

// campaignEvent names a campaign status update by its campaign and a hash
// of its body: a redelivery posts the same body, a later update (another
// review, or the same verdict after an appeal) carries another description
// or type and so another id.
func campaignEvent(cu CampaignStatusUpdate, body []byte) *WebhookEvent {
	sum := sha256.Sum256(bytes.TrimSpace(body))
	id := "campaign:" + cu.CampaignID + ":" + hex.EncodeToString(sum[:8])
	return &WebhookEvent{ID: id, Type: EventCampaignStatus, Campaign: &cu}
}
