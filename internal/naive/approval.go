package naive

import (
	"encoding/json"
	"time"
)

// Approval statuses: pending → executed | failed | denied | expired.
// Executing is internal: the one approver that claimed a pending approval
// is running it; readers see it as pending.
const (
	ApprovalPending   = "pending"
	ApprovalExecuting = "executing"
	ApprovalExecuted  = "executed"
	ApprovalFailed    = "failed"
	ApprovalDenied    = "denied"
	ApprovalExpired   = "expired"
)

// ErrorObject is an error as stored on an approval and sent in envelopes.
type ErrorObject struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Param   string         `json:"param,omitempty"`
	Hint    string         `json:"hint,omitempty"`
	Fields  map[string]any `json:"-"`
}

// RequesterState says what became, while an approval waits, of the agent
// that asked for it.
type RequesterState struct {
	// KeyRevoked is set when the requesting key was revoked since.
	KeyRevoked bool `json:"key_revoked"`
	// AgentDeleted is set when the agent the key is bound to was deleted.
	AgentDeleted bool `json:"agent_deleted"`
}

// Gone reports whether the requester can no longer act.
func (r *RequesterState) Gone() bool { return r != nil && (r.KeyRevoked || r.AgentDeleted) }

// ApproveRequest is the body of POST /v1/approvals/{id}/approve.
type ApproveRequest struct {
	// ConfirmRevokedRequester approves a request whose key was revoked or
	// whose agent was deleted since it asked; without it such an approve
	// is refused.
	ConfirmRevokedRequester bool `json:"confirm_revoked_requester,omitempty"`
}

// Approval is an agent's gated request, frozen until a human decides.
type Approval struct {
	ID          string          `json:"id"`
	SubjectID   string          `json:"subject_id"`
	Action      string          `json:"action"`
	Primitive   string          `json:"primitive"`
	Title       string          `json:"title"`
	Message     string          `json:"message"`
	Payload     json.RawMessage `json:"payload"`
	Cost        int64           `json:"cost"`
	Status      string          `json:"status"`
	RequestedBy Actor           `json:"requested_by"`
	CreatedAt   time.Time       `json:"created_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
	ResolvedBy  *Actor          `json:"resolved_by"`
	ResolvedAt  *time.Time      `json:"resolved_at"`
	Result      json.RawMessage `json:"result,omitempty"`
	Error       *ErrorObject    `json:"error,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	// Requester, on a pending approval an agent asked for, says whether
	// its key was revoked or its agent deleted since.
	Requester *RequesterState `json:"requester,omitempty"`
	Mode      Mode            `json:"mode"`

	OperatorID string `json:"-"`
	// RequesterAgentID is the agent the requesting key was bound to; the
	// replay runs as that same principal.
	RequesterAgentID string `json:"-"`
	// LockedBy is the process executing an approved request (status
	// executing); ResourceID the row its run works on (a phone id).
	LockedBy   string `json:"-"`
	ResourceID string `json:"-"`
}

// ApprovalFilter narrows an approval list.
type ApprovalFilter struct {
	Status    string
	SubjectID string
	Page
}

// PrimitiveConfig is an Account Kit's setting for one primitive.
type PrimitiveConfig struct {
	// Enabled false forbids every action of the primitive; nil is enabled.
	Enabled *bool `json:"enabled,omitempty"`
	// RequiresApproval true forces the approval gate for agents, false
	// lifts the built-in default; nil keeps the default.
	RequiresApproval *bool `json:"requiresApproval,omitempty"`
	// Defaults fill a request's empty fields (phone: area_code, type, label).
	Defaults map[string]string `json:"defaults,omitempty"`
	// Consent (phone): "required" refuses a text to a contact the number
	// holds no consent record for; "not_required" or "" (the default)
	// sends and records basis "none".
	Consent string `json:"consent,omitempty"`
	// QuietHours (phone): texts go only inside this window of the
	// recipient's local day; nil: any time.
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
}

// AccountKit is a named policy assigned to subjects.
type AccountKit struct {
	ID               string                     `json:"id"`
	Name             string                     `json:"name"`
	PrimitivesConfig map[string]PrimitiveConfig `json:"primitives_config"`
	Mode             Mode                       `json:"mode"`
	CreatedAt        time.Time                  `json:"created_at"`
	UpdatedAt        time.Time                  `json:"updated_at"`
	OperatorID       string                     `json:"-"`
}

// Event is something that happened, stored for GET /v1/events and delivery.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Data       json.RawMessage `json:"data"`
	CreatedAt  time.Time       `json:"created_at"`
	Mode       Mode            `json:"mode"`
	OperatorID string          `json:"-"`
}

// Event types.
const (
	EventPhoneProvisioned     = "phone.provisioned"
	EventPhoneReleased        = "phone.released"
	EventPhoneOutboundEnabled = "phone.outbound_enabled"
	EventCampaignUpdated      = "campaign.updated"
	EventSMSReceived          = "sms.received"
	EventSMSStatus            = "sms.status"
	EventApprovalRequested    = "approval.requested"
	EventApprovalResolved     = "approval.resolved"
)

// EventTypes are the event types webhook endpoints may subscribe to, in
// the order documents list them.
var EventTypes = []string{EventPhoneProvisioned, EventPhoneReleased, EventPhoneOutboundEnabled,
	EventCampaignUpdated, EventSMSReceived, EventSMSStatus, EventApprovalRequested, EventApprovalResolved}

// EventFilter narrows an event list.
type EventFilter struct {
	Type string
	Page
}
