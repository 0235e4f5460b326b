package naive

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// LoginResult is the answer of a successful login.
type LoginResult struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	UserID    string    `json:"user_id"`
	Operator  string    `json:"operator_id"`
}

// Whoami describes the caller.
type Whoami struct {
	Kind       PrincipalKind `json:"kind"`
	OperatorID string        `json:"operator_id"`
	Mode       Mode          `json:"mode"`
	KeyID      string        `json:"key_id,omitempty"`
	AgentID    string        `json:"agent_id,omitempty"`
	UserID     string        `json:"user_id,omitempty"`
	Email      string        `json:"email,omitempty"`
	// Role is a human's role (owner, approver, viewer).
	Role      Role   `json:"role,omitempty"`
	SubjectID string `json:"default_subject_id,omitempty"`
}

// ListParams are the paging parameters of a list call.
type ListParams struct {
	Limit  int
	Cursor string
}

// SubjectPatch changes parts of a subject's profile; nil fields are kept.
type SubjectPatch struct {
	LegalName        *string  `json:"legal_name,omitempty"`
	State            *string  `json:"state,omitempty"`
	Website          *string  `json:"website,omitempty"`
	Industry         *string  `json:"industry,omitempty"`
	PrivacyPolicyURL *string  `json:"privacy_policy_url,omitempty"`
	TermsURL         *string  `json:"terms_url,omitempty"`
	Address          *Address `json:"address,omitempty"`
	Contact          *Contact `json:"contact,omitempty"`
}

// FormationRequest is the body of POST /v1/subjects/{id}/formation.
type FormationRequest struct {
	EntityType string `json:"entity_type"`
	State      string `json:"state"`
	// LegalName and FormedAt record an existing LLC in live mode.
	LegalName string `json:"legal_name,omitempty"`
	FormedAt  string `json:"formed_at,omitempty"`
	// Attest is a human's statement that the LLC exists (live mode).
	Attest bool `json:"attest,omitempty"`
}

// KeyRequest is the body of POST /v1/keys.
type KeyRequest struct {
	Name    string `json:"name"`
	Mode    Mode   `json:"mode"`
	AgentID string `json:"agent_id,omitempty"`
}

// GrantRequest is the body of POST /v1/credits/grant.
type GrantRequest struct {
	Amount int64  `json:"amount"`
	Memo   string `json:"memo,omitempty"`
}

// PasswordRequest is the body of POST /v1/auth/password.
type PasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// PasswordChanged answers a password change: the caller's session goes on,
// every other session of theirs has ended.
type PasswordChanged struct {
	EndedSessions int `json:"ended_sessions"`
}

// SessionInfo describes one of a human's login sessions (never its token).
type SessionInfo struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	// Current marks the session the request was made with.
	Current bool `json:"current"`
}

// SessionsEnded answers DELETE /v1/auth/sessions.
type SessionsEnded struct {
	EndedSessions int `json:"ended_sessions"`
}

// PhonePatch changes a number (PATCH /v1/phone/{id}); nil fields are
// kept, and an empty label removes it.
type PhonePatch struct {
	Label *string `json:"label,omitempty"`
}

// LoginRequest is the body of POST /v1/auth/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// AgentRequest is the body of POST /v1/agents.
type AgentRequest struct {
	Name       string `json:"name"`
	WebhookURL string `json:"webhook_url,omitempty"`
}

// AgentPatch is the body of PATCH /v1/agents/{id}; nil fields are kept.
// WebhookURL "" removes the agent's webhook.
type AgentPatch struct {
	Name       *string `json:"name,omitempty"`
	WebhookURL *string `json:"webhook_url,omitempty"`
}

// KitRequest is the body of POST and PATCH /v1/account-kits; PATCH replaces
// the config of the primitives it names.
type KitRequest struct {
	Name             *string                    `json:"name,omitempty"`
	PrimitivesConfig map[string]PrimitiveConfig `json:"primitives_config,omitempty"`
}

// DenyRequest is the body of POST /v1/approvals/{id}/deny.
type DenyRequest struct {
	Reason string `json:"reason"`
}

// ApprovalListParams filter GET /v1/approvals.
type ApprovalListParams struct {
	Status    string
	SubjectID string
	ListParams
}

// PreflightCheck is one requirement of provisioning (or, in a PhoneStatus,
// one thing the carrier was asked) and whether it is met.
type PreflightCheck struct {
	Check string `json:"check"`
	// OK is true only when the check passed: a check that could not be
	// made is not OK either; Status tells the two apart.
	OK bool `json:"ok"`
	// Status is CheckOK, CheckFailed (Fix says what to change) or
	// CheckUnknown (it could not be checked, such as when the carrier did
	// not answer; Fix says when to ask again). Answers from before it
	// existed omit it; read OK then.
	Status string `json:"status,omitempty"`
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Check statuses.
const (
	CheckOK      = "ok"
	CheckFailed  = "failed"
	CheckUnknown = "unknown"
)

// Preflight lists what provisioning a number needs and what is missing.
type Preflight struct {
	SubjectID        string           `json:"subject_id"`
	Ready            bool             `json:"ready"`
	ApprovalRequired bool             `json:"approval_required"`
	Price            int64            `json:"price"`
	Balance          int64            `json:"balance"`
	FieldsNeeded     []string         `json:"fields_needed"`
	Checks           []PreflightCheck `json:"checks"`
	// Tier is the registration tier checked: the request's, else the
	// brand's, else standard.
	Tier string `json:"tier"`
	// Carrier is the carrier the number would be bought at ("" when none
	// is configured).
	Carrier string `json:"carrier"`
	// CampaignChecks are the compliance rules run on the campaign content
	// the provision would submit (none when it submits none); the
	// campaign_content check sums them up.
	CampaignChecks []CampaignCheck `json:"campaign_checks"`
}

// Client is what a front door knows of the program that sent a request,
// recorded with a login.
type Client struct {
	UserAgent string
	Addr      string
}

// ClientOf is what a front door records of an HTTP request: its
// User-Agent and the client's address — the peer's, or, when
// trustForwarded (the server runs behind a reverse proxy that sets it),
// the last address of X-Forwarded-For, the one the proxy saw.
func ClientOf(r *http.Request, trustForwarded bool) Client {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if trustForwarded {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				if ip, err := netip.ParseAddr(last); err == nil {
					addr = ip.String()
				}
			}
		}
	}
	return Client{UserAgent: r.UserAgent(), Addr: addr}
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client of ctx (zero if none).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
