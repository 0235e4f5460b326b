package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/naive-oss/naive/internal/naive"
)

// The OpenAPI 3.1 document of the REST API, built from Go: the
// operation table below names each route's Go request and response types,
// and their schemas are inferred from those types (jsonschema-go, JSON
// Schema 2020-12, OpenAPI 3.1's dialect). openapi_test.go keeps it true:
// every registered route is documented, every documented route routes, and
// live answers validate against the documented schemas.

// OpenAPIVersion is the OpenAPI version of the document.
const OpenAPIVersion = "3.1.0"

// APIVersion is the version of the REST API the document describes (/v1).
const APIVersion = "1.0.0"

var openAPIDoc = sync.OnceValues(buildOpenAPI)

// OpenAPI returns the OpenAPI 3.1 document, as served at GET /v1/openapi.json.
// It is built once.
func OpenAPI() ([]byte, error) { return openAPIDoc() }

// openapi serves the document; no credentials needed.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	b, err := OpenAPI()
	if err != nil {
		return fmt.Errorf("build OpenAPI document: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// Shapes of the answers some handlers write as ad-hoc maps, and of bodies
// decoded into anonymous structs, named for the document.
type (
	healthStatus struct {
		Status string `json:"status" jsonschema:"ok (healthz), ready or unavailable (readyz)."`
		Reason string `json:"reason,omitempty"`
	}
	deleted struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	unassigned struct {
		PhoneID string `json:"phone_id"`
		AgentID string `json:"agent_id"`
		Deleted bool   `json:"deleted"`
	}
	emptyBody         struct{}
	sandboxSMSRequest struct {
		To   string `json:"to" jsonschema:"One of the operator's test-mode numbers (E.164)."`
		From string `json:"from" jsonschema:"The sender (E.164); default +14155550199."`
		Body string `json:"body"`
	}
	sandboxSMSSent struct {
		Status string `json:"status"`
		To     string `json:"to"`
		From   string `json:"from"`
	}
	carrierEvent struct {
		ID        string          `json:"id"`
		Type      string          `json:"type" jsonschema:"Surge event type, e.g. message.received or campaign.approved; unknown types are accepted and ignored."`
		Timestamp time.Time       `json:"timestamp"`
		AccountID string          `json:"account_id"`
		Data      json.RawMessage `json:"data"`
	}
	telnyxEvent struct {
		Data struct {
			ID        string          `json:"id"`
			EventType string          `json:"event_type" jsonschema:"Telnyx event type, e.g. message.received or message.finalized; unknown types are accepted and ignored."`
			Payload   json.RawMessage `json:"payload"`
		} `json:"data"`
	}
	webhookReceived struct {
		Received bool `json:"received"`
	}
)

// docNames names the component schemas of types whose Go name is not theirs.
var docNames = map[reflect.Type]string{
	reflect.TypeFor[healthStatus]():      "Health",
	reflect.TypeFor[deleted]():           "Deleted",
	reflect.TypeFor[unassigned]():        "Unassignment",
	reflect.TypeFor[emptyBody]():         "EmptyRequest",
	reflect.TypeFor[sandboxSMSRequest](): "SandboxSMSRequest",
	reflect.TypeFor[sandboxSMSSent]():    "SandboxSMSSent",
	reflect.TypeFor[carrierEvent]():      "CarrierEvent",
	reflect.TypeFor[telnyxEvent]():       "TelnyxEvent",
	reflect.TypeFor[webhookReceived]():   "WebhookReceived",
}

// variants are types with a custom MarshalJSON that writes one of several
// shapes: their schema is oneOf the shapes.
var variants = map[reflect.Type][]reflect.Type{
	reflect.TypeFor[naive.ProvisionResult](): {reflect.TypeFor[naive.Provisioned](), reflect.TypeFor[naive.PendingApproval]()},
}

// enums narrows string properties ("Schema.property", "Schema.property[]"
// for array items) to the values the domain defines.
var enums = map[string][]any{
	"Phone.type":                     {naive.PhoneLocal, naive.PhoneTollFree},
	"ProvisionRequest.type":          {naive.PhoneLocal, naive.PhoneTollFree},
	"ProvisionRequest.tier":          {naive.TierStandard, naive.TierSoleProprietor},
	"Brand.tier":                     {naive.TierStandard, naive.TierSoleProprietor},
	"Preflight.tier":                 {naive.TierStandard, naive.TierSoleProprietor},
	"Brand.verification":             {naive.BrandVerificationPendingOTP, naive.BrandVerificationVerified},
	"Provisioned.brand_verification": {naive.BrandVerificationPendingOTP, naive.BrandVerificationVerified},
	"Campaign.kind":                  {naive.Campaign10DLC, naive.CampaignTollFree},
	"Campaign.status":                {naive.CampaignCreated, naive.CampaignInReview, naive.CampaignActive, naive.CampaignRejected},
	"CampaignSummary.status":         {naive.CampaignCreated, naive.CampaignInReview, naive.CampaignActive, naive.CampaignRejected},
	"Formation.status":               {naive.FormationNotStarted, naive.FormationSubmitted, naive.FormationCompleted, naive.FormationFailed},
	"PendingApproval.status":         {"pending_approval"},
	"Message.direction":              {naive.DirectionInbound, naive.DirectionOutbound},
	"Message.status":                 {naive.MessageQueued, naive.MessageSent, naive.MessageDelivered, naive.MessageFailed, naive.MessageReceived},
	"Delivery.status":                {naive.DeliveryPending, naive.DeliverySucceeded, naive.DeliveryFailed},
	"Assignment.permissions[]":       {naive.PermSendSMS, naive.PermReceiveSMS},
	"AssignRequest.permissions[]":    {naive.PermSendSMS, naive.PermReceiveSMS},
	"WebhookRequest.event_types[]":   anySlice(naive.EventTypes),
	"PreflightCheck.status":          {naive.CheckOK, naive.CheckFailed, naive.CheckUnknown},
	"CampaignCheck.status":           {naive.CheckOK, naive.CheckFailed, naive.CheckUnknown},
	"CampaignContent.volume":         {"low", "high"},
	"CampaignContent.use_cases[]":    anySlice(naive.CampaignUseCases),
	"CheckOverride.submission":       {naive.SubmissionRegistration, naive.SubmissionResubmission},
	"User.role":                      anySlice(naive.Roles()),
	"User.status":                    {naive.UserActive, naive.UserInvited},
	"InviteRequest.role":             anySlice(naive.Roles()),
	"UserPatch.role":                 anySlice(naive.Roles()),
	"Whoami.role":                    anySlice(naive.Roles()),

	// How a sole proprietor's owner confirms the carrier's text.
	"Brand.verification_method":                     {naive.BrandVerifyReply, naive.BrandVerifyCode},
	"Provisioned.brand_verification_method":         {naive.BrandVerifyReply, naive.BrandVerifyCode},
	"BrandVerificationResend.verification_method":   {naive.BrandVerifyReply, naive.BrandVerifyCode},
	"BrandVerificationSubmitted.brand_verification": {naive.BrandVerificationVerified},
}

// Who may call an operation.
type authKind int

const (
	authNone    authKind = iota // no credentials
	authAny                     // an API key (agent) or a human session
	authHuman                   // a human session; API keys get 403 forbidden
	authBearer                  // an API key or a session token, as a bearer header only (/mcp)
	authWebhook                 // a Standard Webhooks signature (carrier webhooks)
	authTelnyx                  // a Telnyx Ed25519 signature (Telnyx's webhooks)
)

// body is an operation's request body: a Go type decoded from JSON (nil t:
// a JSON-RPC message, for /mcp).
type body struct {
	t    reflect.Type
	name string // component name; default the type's
	// required lists the fields the service refuses to do without (the
	// decoder accepts any subset of the fields, none unknown).
	required []string
	optional bool // the body may be omitted (an empty body reads as {})
	open     bool // unknown fields are accepted (not decoded by decode)
}

func in[T any](name string, required ...string) *body {
	return &body{t: reflect.TypeFor[T](), name: name, required: required}
}

// op is one documented operation.
type op struct {
	method string
	// path is the OpenAPI path; for scoped operations it is relative to
	// /v1 and /v1/subjects/{sid}, under both of which they are served.
	path    string
	id      string
	summary string
	desc    string
	tag     string
	auth    authKind
	scoped  bool
	body    *body
	status  int
	out     reflect.Type       // response type; nil with outRaw, or no body
	outRaw  *jsonschema.Schema // response schema not from a Go type
	alt     map[int]reflect.Type
	errs    []string // codes beyond those every such operation can return
	list    bool     // ?limit= and ?cursor=
	query   []*param
	carrier bool // calls the carrier: rate_limited, provider_error, not_configured
}

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

func q(name, desc string, enum ...any) *param {
	s := &jsonschema.Schema{Type: "string", Enum: enum}
	return &param{Name: name, In: "query", Description: desc, Schema: s}
}

const (
	humanOnly = " Humans only: an API key (an agent) gets 403 forbidden."
	idemNote  = " Send an Idempotency-Key to retry it safely."
)

// operations is every route of the API. Adding a route to routes.go
// without a row here fails openapi_test.go.
func operations() []op {
	phoneKinds := []any{naive.PhoneLocal, naive.PhoneTollFree}
	return []op{
		// Health and this document.
		{method: "GET", path: "/healthz", id: "healthz", tag: "health", auth: authNone, status: 200, out: typ[healthStatus](),
			summary: "Liveness", desc: "Answers 200 while the process serves requests."},
		{method: "GET", path: "/readyz", id: "readyz", tag: "health", auth: authNone, status: 200, out: typ[healthStatus](),
			alt:     map[int]reflect.Type{503: typ[healthStatus]()},
			summary: "Readiness", desc: "Answers 200 when this process's database answers, 503 otherwise. It is about this process only and stays fast: it never calls the carrier, so it is 200 while the carrier is down or has lost an account. " +
				"What the carrier says of a subject's account and numbers is in GET /v1/phone/preflight and GET /v1/phone/status (their checks)."},
		{method: "GET", path: "/v1/openapi.json", id: "getOpenAPI", tag: "meta", auth: authNone, status: 200,
			outRaw:  &jsonschema.Schema{Type: "object", Required: []string{"openapi", "info", "paths"}, Description: "An OpenAPI 3.1 document."},
			summary: "This OpenAPI document", desc: "The OpenAPI 3.1 document of the REST API, generated from the server's own route table and Go types."},

		// Humans.
		{method: "POST", path: "/v1/auth/login", id: "login", tag: "auth", auth: authNone, body: in[naive.LoginRequest]("", "email", "password"),
			status: 200, out: typ[naive.LoginResult](), errs: []string{naive.EUnauthorized},
			summary: "Log in as a human", desc: "Checks a human's email and password and opens a session. The token (nv_sess_…) is a bearer token for the human-only routes; the console also sends it as the naive_session cookie."},
		{method: "POST", path: "/v1/auth/logout", id: "logout", tag: "auth", auth: authHuman, status: 204,
			summary: "Log out", desc: "Ends the caller's session." + humanOnly},
		{method: "GET", path: "/v1/auth/whoami", id: "whoami", tag: "auth", auth: authAny, status: 200, out: typ[naive.Whoami](),
			summary: "Describe the caller", desc: "Who the credentials belong to, their mode and their default subject."},
		{method: "POST", path: "/v1/auth/password", id: "changePassword", tag: "auth", auth: authHuman,
			body: in[naive.PasswordRequest]("", "current_password", "new_password"), status: 200, out: typ[naive.PasswordChanged](),
			summary: "Change your password", desc: "Checks the current password (wrong: 400 invalid_input naming current_password), sets the new one (12 to 256 characters) and ends every other session of yours in the same transaction; this session goes on." + humanOnly},
		{method: "GET", path: "/v1/auth/sessions", id: "listSessions", tag: "auth", auth: authHuman, status: 200, out: typ[naive.List[naive.SessionInfo]](),
			summary: "List your sessions", desc: "Your unexpired login sessions, newest first, each with the User-Agent and address it logged in from; current marks this one. Never their tokens." + humanOnly},
		{method: "DELETE", path: "/v1/auth/sessions", id: "endSessions", tag: "auth", auth: authHuman, status: 200, out: typ[naive.SessionsEnded](),
			summary: "Log out everywhere", desc: "Ends every session of yours, this one too; log in again to go on." + humanOnly},
		{method: "POST", path: "/v1/auth/accept-invite", id: "acceptInvite", tag: "auth", auth: authNone,
			body: in[naive.AcceptInviteRequest]("", "token", "password"), status: 200, out: typ[naive.LoginResult](), errs: []string{naive.EUnauthorized},
			summary: "Accept an invite", desc: "Sets an invited human's password (12 to 256 characters) with the invite token an owner received from POST /v1/users, and opens a session, answered as POST /v1/auth/login. A token works once and for 7 days; an unknown, used or expired one is 401 unauthorized."},

		// People: the operator's humans and their roles.
		{method: "GET", path: "/v1/users", id: "listUsers", tag: "users", auth: authHuman, list: true, status: 200, out: typ[naive.List[naive.User]](),
			summary: "List people", desc: "Lists the operator's humans, newest first, with their role (owner, approver, viewer) and status (active, or invited until they accept). Any human may." + humanOnly},
		{method: "POST", path: "/v1/users", id: "inviteUser", tag: "users", auth: authHuman, body: in[naive.InviteRequest]("", "email", "role"),
			status: 201, out: typ[naive.Invitation](), errs: []string{naive.EConflict},
			summary: "Invite a human", desc: "Creates a human with a role and no usable password. `invite_token` is in this answer only; `invite_url` is the console page that accepts it, relative to this server (/console/invite?token=…). An email already used is 409 conflict. Owners only: other roles get 403 forbidden." + humanOnly},
		{method: "PATCH", path: "/v1/users/{id}", id: "updateUser", tag: "users", auth: authHuman, body: in[naive.UserPatch]("", "role"),
			status: 200, out: typ[naive.User](), errs: []string{naive.EConflict},
			summary: "Change a role", desc: "Sets a human's role; it applies from their next request. Demoting the operator's last owner (with a password) is 409 conflict (`reason: last_owner`). Owners only." + humanOnly},
		{method: "DELETE", path: "/v1/users/{id}", id: "deleteUser", tag: "users", auth: authHuman, status: 200, out: typ[deleted](),
			errs:    []string{naive.EConflict},
			summary: "Remove a human", desc: "Deletes a human and ends their sessions at once (their next request is 401). Removing the operator's last owner is 409 conflict (`reason: last_owner`). What they did stays in the history under their id. Owners only." + humanOnly},

		// API keys.
		{method: "GET", path: "/v1/keys", id: "listKeys", tag: "keys", auth: authHuman, list: true, status: 200, out: typ[naive.List[naive.APIKey]](),
			summary: "List API keys", desc: "Lists the operator's keys, never their secrets." + humanOnly},
		{method: "POST", path: "/v1/keys", id: "createKey", tag: "keys", auth: authHuman, body: in[naive.KeyRequest](""), status: 201, out: typ[naive.APIKey](),
			summary: "Create an API key", desc: "Creates an agent credential (nv_sk_live_… or nv_sk_test_…); `secret` is in this answer only. `mode` defaults to the session's mode." + humanOnly},
		{method: "DELETE", path: "/v1/keys/{id}", id: "revokeKey", tag: "keys", auth: authHuman, status: 200, out: typ[naive.APIKey](),
			summary: "Revoke an API key", desc: "Revokes a key; it is refused from the next request on, MCP included." + humanOnly},

		// Subjects.
		{method: "GET", path: "/v1/subjects", id: "listSubjects", tag: "subjects", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.Subject]](),
			summary: "List subjects", desc: "Lists the companies the operator's agents act for."},
		{method: "POST", path: "/v1/subjects", id: "createSubject", tag: "subjects", auth: authAny, body: in[naive.SubjectProfile]("", "legal_name"),
			status: 201, out: typ[naive.Subject](),
			summary: "Create a subject", desc: "Stores a subject's legal profile; its formation starts as not_started."},
		{method: "GET", path: "/v1/subjects/{sid}", id: "getSubject", tag: "subjects", auth: authAny, status: 200, out: typ[naive.Subject](),
			summary: "Get a subject", desc: "Returns a subject with its profile and formation."},
		{method: "PATCH", path: "/v1/subjects/{sid}", id: "updateSubject", tag: "subjects", auth: authAny, body: in[naive.SubjectPatch](""),
			status: 200, out: typ[naive.Subject](), errs: []string{naive.EConflict},
			summary: "Update a subject", desc: "Changes the profile fields the body names; absent or null fields are kept."},
		{method: "DELETE", path: "/v1/subjects/{sid}", id: "deleteSubject", tag: "subjects", auth: authAny, status: 200, out: typ[deleted](),
			errs:    []string{naive.EConflict},
			summary: "Delete a subject", desc: "Soft-deletes a subject: it is then omitted from lists and every call naming it answers 404 not_found; its history (released numbers, messages, ledger) is kept. The operator's default subject cannot be deleted (409 conflict), nor a subject with active or provisioning numbers (409 conflict: release them first)."},

		// Agents.
		{method: "GET", path: "/v1/agents", id: "listAgents", tag: "agents", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.Agent]](),
			summary: "List agents"},
		{method: "POST", path: "/v1/agents", id: "createAgent", tag: "agents", auth: authAny, body: in[naive.AgentRequest]("", "name"),
			status: 201, out: typ[naive.Agent](),
			summary: "Create an agent", desc: "Registers an agent. With a webhook_url, the agent hears sms.received on the numbers it is assigned to with receive_sms, signed with `webhook_secret` (in this answer only)."},
		{method: "GET", path: "/v1/agents/{id}", id: "getAgent", tag: "agents", auth: authAny, status: 200, out: typ[naive.Agent](),
			summary: "Get an agent"},
		{method: "PATCH", path: "/v1/agents/{id}", id: "updateAgent", tag: "agents", auth: authAny, body: in[naive.AgentPatch](""),
			status: 200, out: typ[naive.Agent](),
			summary: "Update an agent", desc: "Renames the agent and/or sets its webhook_url; absent or null fields are kept. `webhook_url: \"\"` removes the agent's webhook; setting one when the agent has none creates its endpoint, whose new `webhook_secret` is in this answer only; changing it keeps the secret."},
		{method: "DELETE", path: "/v1/agents/{id}", id: "deleteAgent", tag: "agents", auth: authAny, status: 200, out: typ[deleted](),
			errs:    []string{naive.EConflict},
			summary: "Delete an agent", desc: "Deletes the agent, its number assignments and its webhook. While an unrevoked API key is bound to the agent it answers 409 conflict: revoke the key first."},

		// Credits.
		{method: "GET", path: "/v1/credits", id: "getCredits", tag: "credits", auth: authAny, status: 200, out: typ[naive.Credits](),
			summary: "Credit balance", desc: "The operator's balance in the caller's mode."},
		{method: "GET", path: "/v1/credits/ledger", id: "listLedger", tag: "credits", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.LedgerEntry]](),
			summary: "Credit ledger", desc: "Every movement of credits, newest first; the balance is their sum."},
		{method: "POST", path: "/v1/credits/grant", id: "grantCredits", tag: "credits", auth: authHuman, body: in[naive.GrantRequest]("", "amount"),
			status: 201, out: typ[naive.LedgerEntry](),
			summary: "Grant credits", desc: "Adds credits in the session's mode." + humanOnly},

		// Account Kits.
		{method: "GET", path: "/v1/account-kits", id: "listAccountKits", tag: "account-kits", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.AccountKit]](),
			summary: "List Account Kits"},
		{method: "POST", path: "/v1/account-kits", id: "createAccountKit", tag: "account-kits", auth: authHuman, body: in[naive.KitRequest]("KitCreateRequest", "name"),
			status: 201, out: typ[naive.AccountKit](),
			summary: "Create an Account Kit", desc: "A named policy: per primitive, whether it is enabled, whether agents need approval, and request defaults." + humanOnly},
		{method: "GET", path: "/v1/account-kits/{id}", id: "getAccountKit", tag: "account-kits", auth: authAny, status: 200, out: typ[naive.AccountKit](),
			summary: "Get an Account Kit"},
		{method: "PATCH", path: "/v1/account-kits/{id}", id: "updateAccountKit", tag: "account-kits", auth: authHuman, body: in[naive.KitRequest]("KitPatchRequest"),
			status: 200, out: typ[naive.AccountKit](),
			summary: "Update an Account Kit", desc: "Renames the kit and/or replaces the config of the primitives the body names." + humanOnly},
		{method: "DELETE", path: "/v1/account-kits/{id}", id: "deleteAccountKit", tag: "account-kits", auth: authHuman, status: 200, out: typ[deleted](),
			summary: "Delete an Account Kit", desc: humanOnly[1:]},
		{method: "POST", path: "/v1/account-kits/{id}/subjects/{sid}/assign", id: "assignAccountKit", tag: "account-kits", auth: authHuman,
			status: 200, out: typ[naive.Subject](),
			summary: "Assign an Account Kit to a subject", desc: "Returns the subject, now governed by the kit." + humanOnly},

		// Approvals.
		{method: "GET", path: "/v1/approvals", id: "listApprovals", tag: "approvals", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.Approval]](),
			query: []*param{
				q("status", "Only approvals in this status.", naive.ApprovalPending, naive.ApprovalExecuted, naive.ApprovalFailed, naive.ApprovalDenied, naive.ApprovalExpired),
				q("subject_id", "Only approvals of this subject."),
			},
			summary: "List approvals", desc: "Agents' gated requests, newest first."},
		{method: "GET", path: "/v1/approvals/{id}", id: "getApproval", tag: "approvals", auth: authAny, status: 200, out: typ[naive.Approval](),
			summary: "Get an approval", desc: "Agents poll this until the approval is resolved; it then carries `result` or `error`."},
		{method: "POST", path: "/v1/approvals/{id}/approve", id: "approveApproval", tag: "approvals", auth: authHuman,
			body:   &body{t: typ[naive.ApproveRequest](), optional: true},
			status: 200, out: typ[naive.Approval](), errs: []string{naive.EConflict, naive.EInsufficientCredits},
			summary: "Approve", desc: "Executes the frozen request once, synchronously, as the requesting agent; the answer carries its `result` or `error`. Approving twice, or a resolved or expired approval, is 409 and executes nothing. The requester may not approve. " +
				"A pending approval shows `requester` when an agent asked: if its key was revoked or its agent deleted since, approving is 409 (with `requester_key_revoked` / `requester_agent_deleted`) unless the body says `{\"confirm_revoked_requester\": true}`. " +
				"With too few credits it is 402 and the approval stays pending: grant credits, then approve again." + humanOnly},
		{method: "POST", path: "/v1/approvals/{id}/deny", id: "denyApproval", tag: "approvals", auth: authHuman, body: in[naive.DenyRequest]("", "reason"),
			status: 200, out: typ[naive.Approval](), errs: []string{naive.EConflict},
			summary: "Deny", desc: "Refuses a pending approval; the reason is shown to the agent." + humanOnly},

		// Events and outgoing webhooks.
		{method: "GET", path: "/v1/events", id: "listEvents", errs: []string{naive.EForbidden}, tag: "events", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.Event]](),
			query:   []*param{q("type", "Only events of this type.")},
			summary: "List events", desc: "Every stored event, newest first."},
		{method: "GET", path: "/v1/webhooks", id: "listWebhooks", errs: []string{naive.EForbidden}, tag: "webhooks", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.WebhookEndpoint]](),
			summary: "List webhook endpoints", desc: "Never their secrets."},
		{method: "POST", path: "/v1/webhooks", id: "createWebhook", errs: []string{naive.EForbidden}, tag: "webhooks", auth: authAny, body: in[naive.WebhookRequest]("", "url"),
			status: 201, out: typ[naive.WebhookEndpoint](),
			summary: "Create a webhook endpoint", desc: "Events are delivered signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) with `secret` (whsec_…, in this answer only), retried with backoff for at least 24 h. An empty event_types means all."},
		{method: "GET", path: "/v1/webhooks/{id}", id: "getWebhook", errs: []string{naive.EForbidden}, tag: "webhooks", auth: authAny, status: 200, out: typ[naive.WebhookEndpoint](),
			summary: "Get a webhook endpoint", desc: "Never its secret."},
		{method: "DELETE", path: "/v1/webhooks/{id}", id: "deleteWebhook", errs: []string{naive.EForbidden}, tag: "webhooks", auth: authAny, status: 200, out: typ[deleted](),
			summary: "Delete a webhook endpoint"},
		{method: "POST", path: "/v1/webhooks/{id}/test", id: "testWebhook", errs: []string{naive.EForbidden}, tag: "webhooks", auth: authAny, status: 200, out: typ[naive.Delivery](),
			summary: "Send a test event", desc: "Delivers a test event to the endpoint now and returns the delivery with its attempt."},
		{method: "GET", path: "/v1/webhooks/{id}/deliveries", id: "listWebhookDeliveries", errs: []string{naive.EForbidden}, tag: "webhooks", auth: authAny, list: true, status: 200, out: typ[naive.List[naive.Delivery]](),
			summary: "List an endpoint's deliveries", desc: "Each delivery with every attempt."},
		{method: "POST", path: "/v1/webhooks/{id}/deliveries/{delivery_id}/resend", id: "resendWebhookDelivery", errs: []string{naive.EForbidden, naive.EConflict},
			tag: "webhooks", auth: authAny, status: 200, out: typ[naive.Delivery](),
			summary: "Resend a delivery", desc: "Makes one more attempt of a finished (succeeded or failed) delivery now, signed afresh with the event's own webhook-id so a receiver deduplicates it, and returns the delivery with every attempt. " +
				"A delivery still being retried is 409 conflict: its next retry sends it."},

		// Test mode.
		{method: "POST", path: "/v1/sandbox/sms", id: "sandboxSendInbound", tag: "sandbox", auth: authAny, body: in[sandboxSMSRequest]("", "to", "body"),
			status: 202, out: typ[sandboxSMSSent](), errs: []string{naive.EForbidden, naive.ENotConfigured, naive.ENotFound, naive.EConflict},
			summary: "Simulate an inbound text (test mode)", desc: "Makes the sandbox carrier deliver an inbound SMS to one of the operator's test numbers, as a signed carrier webhook, as if a phone had texted it. Test mode only: a live key gets 403. " +
				"Sent to the verification number (+18885550100) from a sole proprietor's `contact.phone`, it is the owner's reply to Surge's verification text (YES verifies); a number no brand of yours awaits is 404, and a brand on Telnyx, which verifies by a code (POST /v1/phone/brand-verification; the sandbox accepts 000000), is 409."},

		// Carrier webhooks and MCP: not under /v1.
		{method: "POST", path: "/webhooks/surge", id: "receiveCarrierWebhook", tag: "carrier", auth: authWebhook,
			body: &body{t: typ[carrierEvent](), required: []string{"type"}, open: true}, status: 200, out: typ[webhookReceived](),
			summary: "Carrier webhook (Surge)", desc: "Surge's events (message.received, message.sent/delivered/failed, campaign.approved, phone_number.attached_to_campaign, contact.opted_out), signed per Standard Webhooks with the carrier's whsec_ secret; the secret that verifies the signature tells the mode. A bad or stale (±5 min) signature is 401; a replayed event id is acknowledged and not applied again. Not for API clients."},
		{method: "POST", path: "/webhooks/telnyx", id: "receiveTelnyxWebhook", tag: "carrier", auth: authTelnyx,
			body: &body{t: typ[telnyxEvent](), required: []string{"data"}, open: true}, status: 200, out: typ[webhookReceived](),
			summary: "Carrier webhook (Telnyx)", desc: "Telnyx's events (message.received, message.sent, message.finalized, 10DLC campaign status), signed with Ed25519: telnyx-signature-ed25519 over telnyx-timestamp|body, verified with the account's public key (TELNYX_PUBLIC_KEY; test mode's simulator has its own); the key that verifies tells the mode. A bad or stale (±5 min) signature is 401; a replayed event id is acknowledged and not applied again. Not for API clients."},
		{method: "POST", path: "/mcp", id: "mcp", tag: "mcp", auth: authBearer,
			body:   &body{name: "JSONRPCMessage", open: true},
			status: 200, outRaw: jsonRPC("A JSON-RPC 2.0 response."),
			alt:     map[int]reflect.Type{202: nil},
			summary: "MCP (streamable HTTP)", desc: "The Model Context Protocol endpoint: the same tools as `naive mcp` (naive_phone_provision, …), over the streamable HTTP transport, stateless, answering JSON. POST one JSON-RPC 2.0 message (initialize, tools/list, tools/call, …) with `Accept: application/json, text/event-stream`; a notification is answered 202. Not a REST resource: the tools and their schemas are listed by tools/list. The bearer key is checked on every request (a revoked key stops at once); Naive-Subject and Naive-Mode apply as on the REST routes. Transport-level refusals other than credentials follow the MCP specification."},

		// Subject-scoped: under /v1 (the caller's default subject, or
		// Naive-Subject) and under /v1/subjects/{sid}.
		{method: "GET", path: "/formation", id: "getFormation", tag: "formation", auth: authAny, scoped: true, status: 200, out: typ[naive.Formation](),
			summary: "Get the subject's formation", desc: "not_started → submitted → formation_completed | failed."},
		{method: "POST", path: "/formation", id: "startFormation", tag: "formation", auth: authAny, scoped: true,
			body: in[naive.FormationRequest]("", "entity_type", "state"), status: 202, out: typ[naive.Formation](),
			errs:    []string{naive.EConflict, naive.EForbidden, naive.ENotConfigured},
			summary: "Start the subject's formation", desc: "Test mode simulates filing an LLC, which completes within seconds. Live mode records an existing LLC that a human attests (legal_name, formed_at, attest); filing with a state is not_configured."},
		{method: "GET", path: "/campaign-content", id: "getCampaignContent", tag: "phone", auth: authAny, scoped: true, status: 200, out: typ[naive.CampaignContent](),
			summary: "Get the subject's campaign content", desc: "What the subject's 10DLC campaign submits to the carrier, before the first provision too: `description`, `message_samples`, `consent_flow`, `use_cases`, `volume`, `help_message`, `opt_out_message`, `privacy_policy_url`, `terms_url`. " +
				"Each field is what the subject set (named in `customized`) or the default built from its profile, rebuilt whenever the profile changes — exactly what registration and resubmission send. " +
				"`editable` is false while the campaign is registered and not rejected; `campaign_status` is null before the first provision. help_message and opt_out_message are checked, not sent: Surge's campaign API has no fields for them."},
		{method: "PATCH", path: "/campaign-content", id: "updateCampaignContent", tag: "phone", auth: authAny, scoped: true,
			body: in[naive.CampaignContentPatch](""), status: 200, out: typ[naive.CampaignContent](), errs: []string{naive.EConflict, naive.EForbidden},
			summary: "Change the subject's campaign content", desc: "Sets the fields sent; an omitted field stays, an empty one (\"\" or []) goes back to its default. Limits (the carrier's): description and consent_flow 40–4096 characters, message_samples 2–5 texts of 1–1024, use_cases 1–5 of Surge's list, volume low or high, help_message and opt_out_message 1–320, http(s) URLs of at most 255; a NUL byte or invalid UTF-8 is 400. " +
				"While the 10DLC campaign is registered (or being registered) and not rejected the answer is 409 conflict with its `status`: the carrier holds the content; after a rejection, change it and resubmit (POST /v1/phone/campaign/resubmit sends it). " +
				"Agents may, as they may edit the subject; humans need the owner role. The compliance rules (docs/compliance.md) run at preflight, provision and resubmission, not here."},
		{method: "POST", path: "/phone/provision", id: "provisionPhone", tag: "phone", auth: authAny, scoped: true, carrier: true,
			body: in[naive.ProvisionRequest](""), status: 202, out: typ[naive.ProvisionResult](),
			errs:    []string{naive.EFormationIncomplete, naive.EConflict, naive.EInsufficientCredits, naive.ENoMatchingNumbers, naive.ENotConfigured},
			summary: "Provision a phone number",
			desc: "Buys a US number for the subject, live for inbound SMS at once, registers the carrier brand (the subject's first number needs `ein`) and a 10DLC campaign (or toll-free verification) that unlocks outbound SMS when the carriers approve it, and charges the price once. " +
				"`e164`, one number GET /v1/phone/available listed, buys exactly that number (type and area_code, if sent, must agree with it: 400 otherwise); one taken meanwhile or never offered answers 422 no_matching_numbers, nothing charged. " +
				"`tier`: `standard` (the default: a company with an EIN, after its LLC formation) or `sole_proprietor` — one person without an LLC or an EIN: the subject's `contact.phone` must be a US mobile number, the brand is registered as the carrier's sole_proprietor type, the answer carries `brand_verification: \"pending_otp\"` and the number is live for inbound SMS at once; the answer's `brand_verification_method` says how the owner confirms the carrier's verification text — `reply` (Surge: they reply YES to it) or `code` (Telnyx: it carries a one-time PIN, submitted with POST /v1/phone/brand-verification) — and POST /v1/phone/brand-verification/resend sends the text again; after that the campaign is registered and reviewed. A sole proprietor holds one number, and its campaign sends at lower throughput. Later numbers follow the brand's tier; another tier is 409 conflict. " +
				"If the subject's Account Kit gates phone.provision and the caller is an agent, nothing is bought or charged and the answer is a PendingApproval instead. " +
				"A provision that registers the 10DLC campaign first runs the compliance rules on its content (GET /v1/campaign-content) and the company's pages (docs/compliance.md): a failing rule is 400 invalid_input with `campaign_checks` (each: rule, ok, status, message, fix), nothing charged; a human may accept named rules with `override_checks`, recorded on the campaign (GET /v1/phone/{id}/campaign, `checks_overridden`); an agent naming any gets 403." + idemNote},
		{method: "GET", path: "/phone", id: "listPhones", tag: "phone", auth: authAny, scoped: true, list: true, status: 200, out: typ[naive.List[naive.Phone]](),
			query: []*param{q("agent", "Only numbers assigned to this agent (id)."),
				q("subject_id", "Under /v1 only (400 under /v1/subjects/{sid}): `all` lists the numbers of every subject of the mode; a subject id lists that subject's, as /v1/subjects/{sid}/phone does. Anything else is 400. It takes precedence over a Naive-Subject header.")},
			errs:    []string{naive.EForbidden},
			summary: "List phone numbers", desc: "The subject's numbers, active and released, newest first. " +
				"`?subject_id=all` lists the numbers of every subject of the caller's mode at once, newest first, each with its `subject_id` (numbers of a deleted subject included: they were released before the delete); `agent`, `limit` and `cursor` apply as usual. " +
				"A key bound to an agent gets 403 forbidden for `subject_id=all`; it lists its subject's numbers without it."},
		{method: "GET", path: "/phone/status", id: "getPhoneStatus", tag: "phone", auth: authAny, scoped: true, status: 200, out: typ[naive.PhoneStatus](),
			summary: "Phone pipeline status", desc: "The brand → campaign → numbers pipeline of the subject, and the next step. " +
				"Once the brand is registered, one carrier request (the brand's numbers; never one per number) answers two checks: carrier_account (the carrier still has the brand's account) and carrier_numbers (it holds every active number listed, up to 200). " +
				"A check is ok, failed (the account or a number is gone at the carrier; fix says what to do, and so does next_step) or unknown (the carrier failed, timed out after 5 s or rate limited the check; it says nothing of the account, retry later). " +
				"The carrier being down never makes this answer a 5xx."},
		{method: "GET", path: "/phone/preflight", id: "preflightPhone", tag: "phone", auth: authAny, scoped: true, status: 200, out: typ[naive.Preflight](),
			query: []*param{
				q("ein", "The EIN a provision would send."),
				q("area_code", "The area code a provision would ask for."),
				q("type", "The number type a provision would ask for.", phoneKinds...),
				q("tier", "The tier a provision would send: standard (a company with an EIN) or sole_proprietor (one person; no formation, no EIN, the contact's US mobile verified by text). Omitted: the brand's tier, else standard.",
					naive.TierStandard, naive.TierSoleProprietor),
				q("override_checks", "Compliance rules a human would override on the provision, comma-separated (agents' are ignored)."),
			},
			summary: "Check what provisioning needs", desc: "Lists every requirement of a provision with these parameters and whether it is met, before anything is spent. " +
				"When the provision would register the 10DLC campaign, `campaign_checks` lists every compliance rule run on its content and the company's pages (rule, ok, status, message, fix; docs/compliance.md), summed up by the campaign_content check: failed while a rule fails and is not overridden; an unknown rule (a page test mode does not fetch) is a warning. " +
				"Once the brand is registered, carrier_account asks the carrier (one request, 5 s at most) whether it still has the brand's account: failed when it does not, unknown when the carrier could not be asked (retry later; the account is not said to be missing). " +
				"ready is true only when every check is ok. The carrier being down never makes this answer a 5xx."},
		{method: "GET", path: "/phone/available", id: "searchNumbers", tag: "phone", auth: authAny, scoped: true, carrier: true, status: 200,
			out: typ[naive.List[naive.AvailableNumber]](), errs: []string{naive.EConflict, naive.EForbidden},
			query: []*param{
				q("type", "The number type; local when omitted.", phoneKinds...),
				q("area_code", "Only numbers of this area code (a toll-free prefix for toll_free)."),
				q("limit", "How many numbers to list, 1 to 50; 20 when omitted."),
			},
			summary: "Search numbers for sale", desc: "Lists numbers the carrier offers for sale right now (e164, type, area_code, country; locality and region when the carrier gives them — Surge does not), in one page: next_cursor is always null. " +
				"POST /v1/phone/provision with one's `e164` buys exactly that number; nothing is reserved, so it may be gone by then (422 no_matching_numbers: search again). " +
				"An area code without inventory lists nothing. It needs what preflight needs (the subject's Account Kit enables phone) and the subject's carrier brand, through whose account the carrier is searched: before the subject's first number registers it, the answer is 409 conflict (`reason: brand_not_registered`). Nothing is charged."},
		{method: "GET", path: "/phone/{id}", id: "getPhone", tag: "phone", auth: authAny, scoped: true, status: 200, out: typ[naive.Phone](),
			summary: "Get a phone number"},
		{method: "PATCH", path: "/phone/{id}", id: "updatePhone", tag: "phone", auth: authAny, scoped: true, body: in[naive.PhonePatch]("", "label"),
			status: 200, out: typ[naive.Phone](), errs: []string{naive.EConflict, naive.EForbidden},
			summary: "Relabel a phone number", desc: "Sets the number's label (at most 64 characters; an empty one removes it). A released number is 409 conflict; a key bound to an agent gets 403."},
		{method: "DELETE", path: "/phone/{id}", id: "releasePhone", tag: "phone", auth: authAny, scoped: true, carrier: true, status: 200, out: typ[naive.Phone](),
			errs:    []string{naive.EConflict},
			summary: "Release a phone number", desc: "Releases the number at the carrier, permanently."},
		{method: "GET", path: "/phone/{id}/campaign", id: "getPhoneCampaign", tag: "phone", auth: authAny, scoped: true, status: 200, out: typ[naive.Campaign](),
			summary: "Get a number's campaign", desc: "created → in_review → active | rejected; outbound SMS unlocks when it is active. A rejected campaign carries the carrier's `rejection_reason` (null otherwise): fix what it names and resubmit with POST /v1/phone/campaign/resubmit."},
		{method: "POST", path: "/phone/campaign/resubmit", id: "resubmitCampaign", tag: "phone", auth: authAny, scoped: true, carrier: true,
			body: in[naive.CampaignResubmission](""), status: 200, out: typ[naive.Campaign](), errs: []string{naive.EConflict},
			summary: "Resubmit a rejected campaign", desc: "Sends the subject's rejected 10DLC campaign back to the carrier's review: its campaign content (GET /v1/campaign-content: what it set, defaults from its current profile — fix that first with PATCH /v1/subjects/{id} when the reason is about the company) with the body's changes, all optional: `description` and `consent_flow` (40–4096 characters), `message_samples` (2–5 texts), `privacy_policy_url`, `terms_url`. " +
				"The campaign moves rejected → in_review (its `rejection_reason` cleared) and then, after the carrier's review, to active or rejected again. A campaign that is not rejected is 409 conflict (with its `status`); of two concurrent resubmissions one wins and the other is 409. " +
				"Free: nothing is charged, and numbers bought while the campaign was rejected stay yours (inbound SMS works throughout). " +
				"The changes are kept as the subject's campaign content (GET /v1/campaign-content), which is what is sent. Before anything changes the compliance rules run (docs/compliance.md): a failing one is 400 invalid_input with `campaign_checks`; a human may accept named rules with `override_checks` (recorded on the campaign's `checks_overridden`), an agent naming any gets 403."},
		{method: "POST", path: "/phone/brand-verification/resend", id: "resendBrandVerification", tag: "phone", auth: authAny, scoped: true, carrier: true,
			status: 200, out: typ[naive.BrandVerificationResend](), errs: []string{naive.EConflict, naive.ERateLimited},
			summary: "Resend a sole proprietor's verification text", desc: "A sole proprietor's brand (provisioned with `\"tier\": \"sole_proprietor\"`) is verified by a text the carrier sends to the subject's `contact.phone`: the owner replies YES to it (`verification_method: reply`, Surge), or submits the PIN it carries with POST /v1/phone/brand-verification (`code`, Telnyx). " +
				"This asks the carrier to send it again. At most one per minute per brand (429 with Retry-After otherwise); a brand that is a company's, or verified already, is 409 conflict. No body. Free."},
		{method: "POST", path: "/phone/brand-verification", id: "submitBrandVerification", tag: "phone", auth: authAny, scoped: true, carrier: true,
			body: in[naive.BrandVerificationCode]("", "code"), status: 200, out: typ[naive.BrandVerificationSubmitted](),
			errs:    []string{naive.EConflict, naive.ERateLimited},
			summary: "Submit a sole proprietor's verification code",
			desc: "On a carrier that verifies a sole proprietor by a one-time code (the brand's `verification_method` is `code`: Telnyx), the text to the subject's `contact.phone` carries a PIN; send it here as `{\"code\":\"123456\"}` (digits; spaces and hyphens are dropped; 4 to 10 digits, else 400 invalid_input with `param: code`). " +
				"The carrier checks it: accepted, the brand is `verified` at once and the campaign is registered by the next background pass, then reviewed; refused (not the PIN sent, or expired), 400 invalid_input with `param: code` and `attempts_remaining`. " +
				"After 5 wrong codes for a brand, each less than 10 minutes after the one before, submissions are 429 rate_limited (Retry-After) until 10 minutes after the last. " +
				"A brand whose carrier verifies by the owner's YES reply (`verification_method: reply`: Surge), a company's brand, or one verified already is 409 conflict. Test mode: the Telnyx sandbox also accepts `000000`. Free."},
		{method: "POST", path: "/phone/{id}/sms", id: "sendSMS", tag: "messaging", auth: authAny, scoped: true, carrier: true,
			body: in[naive.SendRequest]("", "to", "body"), status: 201, out: typ[naive.SendResult](),
			errs:    []string{naive.ECompliancePending, naive.EConflict, naive.EInsufficientCredits},
			summary: "Send an SMS", desc: "Sends a text from the number, charging per segment. Until the campaign is active the answer is 409 compliance_pending (with campaign_status and retryable); nothing is sent or charged. " +
				"The subject's Account Kit may require consent (`primitives_config.phone.consent: \"required\"`): a text to a contact the number holds no consent record for is 409 conflict with `reason: \"consent_required\"`. " +
				"It may set quiet hours (`primitives_config.phone.quiet_hours`, in the recipient's local time by area code): a text outside them is 409 conflict with `reason: \"quiet_hours\"` and `retry_at`, or, with `\"schedule\": true`, 201 with status `scheduled` and `send_at` — sent then by a background job and charged only then (cancel it with DELETE /v1/phone/messages/{id}). " +
				"Neither refusal sends or charges anything. The answer's `consent_basis` is the basis the text went on (`none` without a record, where the kit does not require one)." + idemNote},
		{method: "DELETE", path: "/phone/messages/{id}", id: "cancelMessage", tag: "messaging", auth: authAny, scoped: true, status: 200, out: typ[naive.Message](),
			errs:    []string{naive.EConflict},
			summary: "Cancel a scheduled text", desc: "Cancels a text while it is `scheduled` (quiet hours): it becomes `canceled` and is never sent nor charged. A text already handed to the carrier, failed or canceled is 409 conflict with its `status`. Bound keys need `send_sms` on the number."},
		{method: "GET", path: "/phone/{id}/contacts", id: "listContacts", tag: "messaging", auth: authAny, scoped: true, list: true, status: 200, out: typ[naive.List[naive.PhoneContact]](),
			summary: "List a number's contacts", desc: "Everyone the number holds a consent record for, and everyone who opted out of the subject's texts (STOP; `opted_out`, which wins over any consent), by number. Bound keys need `send_sms` on the number."},
		{method: "POST", path: "/phone/{id}/contacts/{e164}/consent", id: "recordConsent", tag: "messaging", auth: authAny, scoped: true,
			body: in[naive.ConsentRequest]("", "basis"), status: 200, out: typ[naive.PhoneContact](),
			summary: "Record a contact's consent", desc: "Records how the contact opted in to the number's texts, replacing the record it held: `basis` is express_written, express_oral, conversation or existing_customer; `evidence_url` (https, at most 500 characters) and `note` (at most 500) are optional. " +
				"A contact's first text to the number records `conversation` on its own. Humans with the owner role, operator keys, and agent keys holding `send_sms` on the number may record consent. It does not undo a STOP: only the contact's START does."},
		{method: "GET", path: "/phone/{id}/messages", id: "listMessages", tag: "messaging", auth: authAny, scoped: true, list: true, status: 200, out: typ[naive.List[naive.Message]](),
			summary: "List a number's messages", desc: "Both directions, newest first."},
		{method: "GET", path: "/phone/messages/{id}", id: "getMessage", tag: "messaging", auth: authAny, scoped: true, status: 200, out: typ[naive.Message](),
			summary: "Get a message"},
		{method: "GET", path: "/phone/{id}/messages/next", id: "nextMessage", tag: "messaging", auth: authAny, scoped: true, status: 200, out: typ[naive.Message](),
			alt: map[int]reflect.Type{204: nil}, errs: []string{naive.EConflict},
			query: []*param{
				q("after", "A message id, or a cursor of the message list: the answer is the first inbound text after it. Omitted: the first to arrive after this request."),
				q("timeout", "How long to wait: a duration such as 30s or 1m, or whole seconds; 1s to 60s, 30s when omitted."),
			},
			summary: "Wait for the next inbound text", desc: "Holds the request open until the number receives an inbound text after `after`, on whichever server process receives it, and answers it at once (200, the message with its `codes`); 204 No Content when none arrived within `timeout` (or the server is stopping): ask again with the same `after`. " +
				"A text already stored after `after` answers at once, so passing the id of the last text read never misses one. Reading rules are those of the message list (bound keys need `receive_sms`); a released number is 409 conflict."},
		{method: "POST", path: "/phone/{id}/assign", id: "assignAgent", tag: "messaging", auth: authAny, scoped: true,
			body: in[naive.AssignRequest]("", "agent_id"), status: 201, out: typ[naive.Assignment](),
			summary: "Assign an agent to a number", desc: "Grants an agent send_sms and/or receive_sms on the number (both by default). An agent-bound key may not assign."},
		{method: "GET", path: "/phone/{id}/assignments", id: "listAssignments", tag: "messaging", auth: authAny, scoped: true, status: 200, out: typ[naive.List[naive.Assignment]](),
			summary: "List a number's agents"},
		{method: "DELETE", path: "/phone/{id}/assign/{agent}", id: "unassignAgent", tag: "messaging", auth: authAny, scoped: true, status: 200, out: typ[unassigned](),
			summary: "Unassign an agent from a number"},
	}
}

func jsonRPC(desc string) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "object", Description: desc, Required: []string{"jsonrpc"},
		Properties: map[string]*jsonschema.Schema{
			"jsonrpc": {Type: "string", Enum: []any{"2.0"}},
			"id":      {Types: []string{"string", "integer", "null"}},
			"method":  {Type: "string"},
			"params":  {Type: "object"},
			"result":  {Type: "object"},
			"error":   {Type: "object"},
		}, PropertyOrder: []string{"jsonrpc", "id", "method", "params", "result", "error"}}
}

var tags = []tag{
	{"phone", "Phone numbers: provision, list, release, campaign. Subject-scoped."},
	{"messaging", "SMS and the agents assigned to numbers. Subject-scoped."},
	{"formation", "A subject's LLC formation. Subject-scoped."},
	{"subjects", "The companies the operator's agents act for."},
	{"approvals", "Agents' gated requests, decided by humans."},
	{"account-kits", "Per-subject policy."},
	{"agents", "The operator's AI agents."},
	{"credits", "Balance, ledger and grants; integer credits."},
	{"keys", "API keys (agent credentials)."},
	{"users", "The operator's humans and their roles (owner, approver, viewer)."},
	{"auth", "Human sessions and the caller's identity."},
	{"events", "Stored events."},
	{"webhooks", "Outgoing webhook endpoints and their deliveries."},
	{"sandbox", "Test mode's simulated carrier."},
	{"carrier", "Incoming carrier webhooks."},
	{"mcp", "The MCP server over streamable HTTP."},
	{"health", "Liveness and readiness."},
	{"meta", "This document."},
}

const apiDescription = `naive lets AI agents operate real-world infrastructure for the companies they work for; this is its phone primitive.

Conventions:
- Credentials: "Authorization: Bearer nv_sk_live_…|nv_sk_test_…" (an API key: an agent) or a human's session token from POST /v1/auth/login. Test keys act in test mode, on test data and the sandbox carrier; humans pick the mode with Naive-Mode (default live).
- Subject-scoped routes exist twice: under /v1 they act on the caller's default subject, or the one the Naive-Subject header names; under /v1/subjects/{sid} on that subject.
- Errors are {"error":{"code","message","param"?,"hint"?,"request_id",…}}; each code has one HTTP status (see the Error schema). An unknown route is 404 not_found, a known route with another method 405 method_not_allowed (with Allow).
- Every response carries Request-Id.
- POST and DELETE accept Idempotency-Key: the same key with the same request replays the stored response (Idempotent-Replayed: true); with a different request it is 409 idempotency_key_reused; while the first is still running a duplicate waits, then 409 conflict. Server errors and 429s are not stored. Keys are kept 24 h.
- Bodies are JSON (Content-Type: application/json), at most 1 MiB; unknown fields are invalid_input naming the field.
- Lists take ?limit= (1-200) and an opaque ?cursor=, and answer {"data":[…],"next_cursor":…}.
- Times are RFC 3339 UTC; money-like values are integer credits.`

// OpenAPI objects, as much of them as this document uses.
type (
	document struct {
		OpenAPI           string                           `json:"openapi"`
		Info              info                             `json:"info"`
		JSONSchemaDialect string                           `json:"jsonSchemaDialect"`
		Servers           []server                         `json:"servers"`
		Tags              []tag                            `json:"tags"`
		Paths             map[string]map[string]*operation `json:"paths"`
		Components        components                       `json:"components"`
	}
	info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	}
	server struct {
		URL         string `json:"url"`
		Description string `json:"description"`
	}
	tag struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	operation struct {
		OperationID string                `json:"operationId"`
		Summary     string                `json:"summary"`
		Description string                `json:"description,omitempty"`
		Tags        []string              `json:"tags"`
		Security    []map[string][]string `json:"security"`
		Parameters  []*param              `json:"parameters,omitempty"`
		RequestBody *requestBody          `json:"requestBody,omitempty"`
		Responses   map[string]*response  `json:"responses"`
	}
	param struct {
		Ref         string             `json:"$ref,omitempty"`
		Name        string             `json:"name,omitempty"`
		In          string             `json:"in,omitempty"`
		Description string             `json:"description,omitempty"`
		Required    bool               `json:"required,omitempty"`
		Schema      *jsonschema.Schema `json:"schema,omitempty"`
	}
	requestBody struct {
		Required bool                  `json:"required"`
		Content  map[string]*mediaType `json:"content"`
	}
	mediaType struct {
		Schema *jsonschema.Schema `json:"schema"`
	}
	response struct {
		Description string                `json:"description"`
		Headers     map[string]*header    `json:"headers,omitempty"`
		Content     map[string]*mediaType `json:"content,omitempty"`
		// ErrorCodes lists the error codes an error response may carry.
		ErrorCodes []string `json:"x-error-codes,omitempty"`
	}
	header struct {
		Ref         string             `json:"$ref,omitempty"`
		Description string             `json:"description,omitempty"`
		Required    bool               `json:"required,omitempty"`
		Schema      *jsonschema.Schema `json:"schema,omitempty"`
	}
	components struct {
		Schemas         map[string]*jsonschema.Schema `json:"schemas"`
		Parameters      map[string]*param             `json:"parameters"`
		Headers         map[string]*header            `json:"headers"`
		SecuritySchemes map[string]*securityScheme    `json:"securitySchemes"`
	}
	securityScheme struct {
		Type         string `json:"type"`
		Scheme       string `json:"scheme,omitempty"`
		BearerFormat string `json:"bearerFormat,omitempty"`
		In           string `json:"in,omitempty"`
		Name         string `json:"name,omitempty"`
		Description  string `json:"description"`
	}
)

func str(desc string) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Description: desc}
}

func refTo(kind, name string) string { return "#/components/" + kind + "/" + name }

func buildOpenAPI() ([]byte, error) {
	g := newSchemaGen()
	doc := &document{
		OpenAPI:           OpenAPIVersion,
		Info:              info{Title: "naive", Version: APIVersion, Description: apiDescription},
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Servers: []server{
			{URL: "/", Description: "The server this document was fetched from."},
			{URL: "http://127.0.0.1:8080", Description: "naive serve's default address."},
		},
		Tags:  tags,
		Paths: map[string]map[string]*operation{},
		Components: components{
			Schemas: g.schemas,
			Parameters: map[string]*param{
				"IdempotencyKey": {Name: "Idempotency-Key", In: "header", Schema: &jsonschema.Schema{Type: "string", MaxLength: jsonschema.Ptr(255)},
					Description: "Makes a POST or DELETE safe to retry: the same key and request replay the stored response (with Idempotent-Replayed: true) for 24 h; the same key with a different request is 409 idempotency_key_reused."},
				"NaiveSubject": {Name: "Naive-Subject", In: "header", Schema: str(""),
					Description: "The subject (id) the call acts for; default the caller's default subject."},
				"NaiveMode": {Name: "Naive-Mode", In: "header", Schema: &jsonschema.Schema{Type: "string", Enum: []any{string(naive.ModeLive), string(naive.ModeTest)}},
					Description: "The mode a human session acts in (default live). API keys carry their mode; a header that disagrees is 400 invalid_input."},
				"Limit": {Name: "limit", In: "query", Schema: &jsonschema.Schema{Type: "integer", Minimum: jsonschema.Ptr(1.0), Maximum: jsonschema.Ptr(200.0)},
					Description: "Page size, 1-200."},
				"Cursor": {Name: "cursor", In: "query", Schema: str(""),
					Description: "The next_cursor of the previous page."},
			},
			Headers: map[string]*header{
				"Request-Id": {Required: true, Schema: &jsonschema.Schema{Type: "string", Pattern: "^req_[0-9a-f]{24}$"},
					Description: "The request's id, on every response; quote it when reporting a problem."},
				"Retry-After": {Required: true, Schema: &jsonschema.Schema{Type: "integer", Minimum: jsonschema.Ptr(0.0)},
					Description: "Seconds to wait before retrying."},
				"Idempotent-Replayed": {Schema: &jsonschema.Schema{Type: "string", Enum: []any{"true"}},
					Description: "Present (true) when the response is the stored one of an earlier request with the same Idempotency-Key."},
			},
			SecuritySchemes: map[string]*securityScheme{
				"apiKey": {Type: "http", Scheme: "bearer", BearerFormat: "nv_sk_live_… | nv_sk_test_…",
					Description: "An API key: an agent principal. Test keys act in test mode."},
				"session": {Type: "http", Scheme: "bearer", BearerFormat: "nv_sess_…",
					Description: "A human's session token from POST /v1/auth/login."},
				"sessionCookie": {Type: "apiKey", In: "cookie", Name: "naive_session",
					Description: "The console's session cookie: the same token as `session`."},
			},
		},
	}
	g.schemas["Error"] = errorSchema()
	for _, o := range operations() {
		expanded := []op{o}
		if o.scoped {
			sub := o
			sub.path = "/v1/subjects/{sid}" + o.path
			sub.id = o.id + "ForSubject"
			o.path = "/v1" + o.path
			expanded = []op{o, sub}
		}
		for _, v := range expanded {
			oo, err := g.operation(v)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", v.method, v.path, err)
			}
			item := doc.Paths[v.path]
			if item == nil {
				item = map[string]*operation{}
				doc.Paths[v.path] = item
			}
			m := strings.ToLower(v.method)
			if item[m] != nil {
				return nil, fmt.Errorf("%s %s documented twice", v.method, v.path)
			}
			item[m] = oo
		}
	}
	if err := g.finish(); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// pathNouns name the resource of an {id} by the path segment before it.
var pathNouns = map[string]string{
	"keys": "API key", "agents": "agent", "account-kits": "Account Kit", "approvals": "approval",
	"webhooks": "webhook endpoint", "phone": "phone number", "messages": "message", "users": "user",
}

func (g *schemaGen) operation(o op) (*operation, error) {
	oo := &operation{OperationID: o.id, Summary: o.summary, Description: o.desc, Tags: []string{o.tag},
		Security: []map[string][]string{}, Responses: map[string]*response{}}
	switch o.auth {
	case authAny:
		oo.Security = []map[string][]string{{"apiKey": {}}, {"session": {}}, {"sessionCookie": {}}}
	case authHuman:
		oo.Security = []map[string][]string{{"session": {}}, {"sessionCookie": {}}}
	case authBearer:
		oo.Security = []map[string][]string{{"apiKey": {}}, {"session": {}}}
	}
	authed := o.auth == authAny || o.auth == authHuman || o.auth == authBearer
	idempotent := (o.auth == authAny || o.auth == authHuman) && (o.method == "POST" || o.method == "DELETE")

	// Parameters: the path's, then headers, then the query's.
	segs := strings.Split(o.path, "/")
	for i, seg := range segs {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		desc := "The subject's id."
		switch name {
		case "agent":
			desc = "The agent's id."
		case "e164":
			desc = "The contact's number in E.164, such as +14155550123 (the + may be written %2B)."
		case "id":
			noun, ok := pathNouns[segs[i-1]]
			if !ok {
				return nil, fmt.Errorf("no noun for {id} after %q", segs[i-1])
			}
			desc = "The " + noun + "'s id."
		}
		oo.Parameters = append(oo.Parameters, &param{Name: name, In: "path", Required: true, Schema: str(""), Description: desc})
	}
	if idempotent {
		oo.Parameters = append(oo.Parameters, &param{Ref: refTo("parameters", "IdempotencyKey")})
	}
	if (o.scoped && !strings.Contains(o.path, "{sid}")) || o.auth == authBearer {
		oo.Parameters = append(oo.Parameters, &param{Ref: refTo("parameters", "NaiveSubject")})
	}
	if authed {
		oo.Parameters = append(oo.Parameters, &param{Ref: refTo("parameters", "NaiveMode")})
	}
	if o.list {
		oo.Parameters = append(oo.Parameters, &param{Ref: refTo("parameters", "Limit")}, &param{Ref: refTo("parameters", "Cursor")})
	}
	oo.Parameters = append(oo.Parameters, o.query...)
	if o.auth == authWebhook {
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			oo.Parameters = append(oo.Parameters, &param{Name: h, In: "header", Required: true, Schema: str(""),
				Description: "Standard Webhooks: the event id, the Unix time of sending, and v1,<base64 HMAC-SHA256 of id.timestamp.body>."})
		}
	}
	if o.auth == authTelnyx {
		for _, h := range []string{"telnyx-timestamp", "telnyx-signature-ed25519"} {
			oo.Parameters = append(oo.Parameters, &param{Name: h, In: "header", Required: true, Schema: str(""),
				Description: "Telnyx: the Unix time of sending, and the base64 Ed25519 signature of timestamp|body."})
		}
	}

	// Request body.
	if o.body != nil {
		var s *jsonschema.Schema
		if o.body.t == nil {
			s = jsonRPC("A JSON-RPC 2.0 request or notification.")
			if _, ok := g.schemas[o.body.name]; !ok {
				g.schemas[o.body.name] = s
			}
			s = &jsonschema.Schema{Ref: refTo("schemas", o.body.name)}
		} else {
			var err error
			if s, err = g.input(o.body); err != nil {
				return nil, err
			}
		}
		oo.RequestBody = &requestBody{Required: !o.body.optional, Content: map[string]*mediaType{"application/json": {Schema: s}}}
	}

	// Errors: those of the operation, and those every such operation can
	// return.
	codes := slices.Clone(o.errs)
	add := func(c ...string) { codes = append(codes, c...) }
	add(naive.EInternal)
	if authed {
		add(naive.EUnauthorized, naive.EInvalidInput) // Naive-Mode
		add(naive.ERateLimited)                       // the caller's --rate-limit
	}
	if o.auth == authHuman {
		add(naive.EForbidden)
	}
	if o.body != nil {
		add(naive.EInvalidInput, naive.EPayloadTooLarge)
		if !o.body.open {
			add(naive.EUnsupportedMediaType)
		}
	}
	if idempotent {
		add(naive.EIdempotencyKeyReused, naive.EConflict)
	}
	if o.list || len(o.query) > 0 {
		add(naive.EInvalidInput)
	}
	if strings.Contains(o.path, "{") || o.scoped {
		add(naive.ENotFound)
	}
	if o.tag == "phone" || o.tag == "messaging" {
		add(naive.EForbidden) // the subject's kit disables the primitive
	}
	if o.carrier {
		add(naive.ERateLimited, naive.EProviderError, naive.ENotConfigured)
	}
	if o.auth == authWebhook || o.auth == authTelnyx {
		add(naive.EUnauthorized, naive.EInvalidInput)
	}

	// Responses.
	reqID := map[string]*header{"Request-Id": {Ref: refTo("headers", "Request-Id")}}
	withHeaders := func(status int) map[string]*header {
		h := map[string]*header{"Request-Id": reqID["Request-Id"]}
		if idempotent && status < 500 && status != http.StatusTooManyRequests {
			h["Idempotent-Replayed"] = &header{Ref: refTo("headers", "Idempotent-Replayed")}
		}
		if status == http.StatusTooManyRequests {
			h["Retry-After"] = &header{Ref: refTo("headers", "Retry-After")}
		}
		return h
	}
	success := func(status int, t reflect.Type, raw *jsonschema.Schema) error {
		r := &response{Description: http.StatusText(status), Headers: withHeaders(status)}
		var s *jsonschema.Schema
		switch {
		case raw != nil:
			s = raw
		case t != nil:
			var err error
			if s, err = g.output(t); err != nil {
				return err
			}
		}
		if s != nil {
			r.Content = map[string]*mediaType{"application/json": {Schema: s}}
		}
		oo.Responses[strconv.Itoa(status)] = r
		return nil
	}
	if err := success(o.status, o.out, o.outRaw); err != nil {
		return nil, err
	}
	for status, t := range o.alt {
		if err := success(status, t, nil); err != nil {
			return nil, err
		}
	}
	byStatus := map[int][]string{}
	for _, c := range codes {
		st := naive.HTTPStatus(c)
		if !slices.Contains(byStatus[st], c) {
			byStatus[st] = append(byStatus[st], c)
		}
	}
	for st, cs := range byStatus {
		slices.Sort(cs)
		oo.Responses[strconv.Itoa(st)] = &response{
			Description: http.StatusText(st) + ": " + strings.Join(cs, ", ") + ".",
			Headers:     withHeaders(st),
			Content:     map[string]*mediaType{"application/json": {Schema: &jsonschema.Schema{Ref: refTo("schemas", "Error")}}},
			ErrorCodes:  cs,
		}
	}
	return oo, nil
}

// errorSchema is the error envelope, its code one of naive.Codes().
func errorSchema() *jsonschema.Schema {
	codes := make([]any, 0, len(naive.Codes()))
	lines := make([]string, 0, len(naive.Codes()))
	for _, c := range naive.Codes() {
		codes = append(codes, c)
		lines = append(lines, fmt.Sprintf("%s %d", c, naive.HTTPStatus(c)))
	}
	strs := &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "string"}}
	obj := &jsonschema.Schema{
		Type:     "object",
		Required: []string{"code", "message", "request_id"},
		Properties: map[string]*jsonschema.Schema{
			"code":             {Type: "string", Enum: codes, Description: "One code per HTTP status: " + strings.Join(lines, ", ") + "."},
			"message":          str("What went wrong, safe to show."),
			"param":            str("The request field or header at fault."),
			"hint":             str("What to do next."),
			"request_id":       str("The Request-Id of the answer."),
			"retryable":        {Type: "boolean", Description: "Whether the same request may succeed later."},
			"campaign_status":  str("compliance_pending: the campaign's status."),
			"fields_needed":    strs,
			"carrier_fields":   strs,
			"carrier_error":    str("The carrier's error type."),
			"credits_required": {Type: "integer"},
			"credits_balance":  {Type: "integer"},
			"reason":           str("A machine-readable reason, e.g. primitive_disabled_by_kit."),
		},
		PropertyOrder: []string{"code", "message", "param", "hint", "request_id", "retryable"},
		Description:   "The error. Some codes carry more members (listed); clients must ignore members they do not know.",
	}
	return &jsonschema.Schema{Type: "object", Required: []string{"error"}, AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
		Properties: map[string]*jsonschema.Schema{"error": obj}, Description: "The one error envelope."}
}

// schemaGen turns Go types into component schemas.
type schemaGen struct {
	schemas map[string]*jsonschema.Schema
	// outputs are the types of answers: each becomes a component, its
	// fields' named struct types referenced, not inlined.
	outputs map[reflect.Type]string
	names   map[string]reflect.Type
	base    map[reflect.Type]*jsonschema.Schema
}

func newSchemaGen() *schemaGen {
	return &schemaGen{
		schemas: map[string]*jsonschema.Schema{},
		outputs: map[reflect.Type]string{},
		names:   map[string]reflect.Type{},
		base: map[reflect.Type]*jsonschema.Schema{
			reflect.TypeFor[time.Time]():           {Type: "string", Format: "date-time"},
			reflect.TypeFor[json.RawMessage]():     {Description: "Any JSON value."},
			reflect.TypeFor[naive.Mode]():          {Type: "string", Enum: []any{string(naive.ModeLive), string(naive.ModeTest)}},
			reflect.TypeFor[naive.PrincipalKind](): {Type: "string", Enum: []any{string(naive.PrincipalAgent), string(naive.PrincipalHuman)}},
		},
	}
}

// typeName is a type's component name: List[naive.Phone] is PhoneList.
func typeName(t reflect.Type) string {
	if n, ok := docNames[t]; ok {
		return n
	}
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		arg := n[i+1 : len(n)-1]
		arg = arg[strings.LastIndexAny(arg, "./")+1:]
		return arg + n[:i]
	}
	return n
}

// claim reserves a component name for a type.
func (g *schemaGen) claim(name string, t reflect.Type) error {
	if prev, ok := g.names[name]; ok && prev != t {
		return fmt.Errorf("schema name %s used by both %v and %v", name, prev, t)
	}
	g.names[name] = t
	return nil
}

// output returns a reference to the component of an answer type.
func (g *schemaGen) output(t reflect.Type) (*jsonschema.Schema, error) {
	if t.Kind() != reflect.Struct || t.Name() == "" {
		return nil, fmt.Errorf("answer type %v is not a named struct", t)
	}
	if err := g.collect(t); err != nil {
		return nil, err
	}
	return &jsonschema.Schema{Ref: refTo("schemas", g.outputs[t])}, nil
}

// collect registers t and the named struct types it reaches as components.
func (g *schemaGen) collect(t reflect.Type) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || g.base[t] != nil {
		return nil
	}
	if t.Name() != "" {
		if _, ok := g.outputs[t]; ok {
			return nil
		}
		name := typeName(t)
		if err := g.claim(name, t); err != nil {
			return err
		}
		g.outputs[t] = name
	}
	if vs, ok := variants[t]; ok {
		for _, v := range vs {
			if err := g.collect(v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous || f.Tag.Get("json") == "-" {
			continue
		}
		if err := g.collect(f.Type); err != nil {
			return err
		}
	}
	return nil
}

// input returns a reference to the component of a request body. Bodies are
// inlined whole: what a request may omit differs from what an answer always
// has, so they share no components with answers.
func (g *schemaGen) input(b *body) (*jsonschema.Schema, error) {
	name := b.name
	if name == "" {
		name = typeName(b.t)
	}
	if err := g.claim(name, b.t); err != nil {
		return nil, err
	}
	s, err := jsonschema.ForType(b.t, &jsonschema.ForOptions{TypeSchemas: g.base})
	if err != nil {
		return nil, err
	}
	walk(s, func(s *jsonschema.Schema) { s.Required = nil })
	fixNulls(s)
	for _, f := range b.required {
		p := s.Properties[f]
		if p == nil {
			return nil, fmt.Errorf("required field %q is not a property of %v", f, b.t)
		}
		if len(p.Types) == 2 && p.Types[0] == "null" {
			// A pointer field the service requires: null is refused too.
			p.Type, p.Types = p.Types[1], nil
		}
	}
	s.Required = b.required
	if b.open {
		s.AdditionalProperties = nil
	}
	if prev, ok := g.schemas[name]; ok {
		pb, _ := json.Marshal(prev)
		sb, _ := json.Marshal(s)
		if string(pb) != string(sb) {
			return nil, fmt.Errorf("schema %s defined twice, differently", name)
		}
	}
	g.schemas[name] = s
	return &jsonschema.Schema{Ref: refTo("schemas", name)}, nil
}

// finish builds the schemas of the answer types collected.
func (g *schemaGen) finish() error {
	for t, name := range g.outputs {
		var s *jsonschema.Schema
		if vs, ok := variants[t]; ok {
			s = &jsonschema.Schema{}
			for _, v := range vs {
				s.OneOf = append(s.OneOf, &jsonschema.Schema{Ref: refTo("schemas", g.outputs[v])})
			}
		} else {
			// Every other component is a reference, except t itself and the
			// structs t embeds (their fields are t's).
			refs := map[reflect.Type]*jsonschema.Schema{}
			for u, n := range g.outputs {
				refs[u] = &jsonschema.Schema{Ref: refTo("schemas", n)}
			}
			delete(refs, t)
			for _, f := range reflect.VisibleFields(t) {
				if f.Anonymous {
					delete(refs, f.Type)
					if f.Type.Kind() == reflect.Pointer {
						delete(refs, f.Type.Elem())
					}
				}
			}
			for u, s := range g.base {
				refs[u] = s
			}
			var err error
			if s, err = jsonschema.ForType(t, &jsonschema.ForOptions{TypeSchemas: refs}); err != nil {
				return err
			}
			if t.Name() != "" && strings.HasPrefix(t.Name(), "List[") && t.PkgPath() == reflect.TypeFor[naive.List[int]]().PkgPath() {
				// A list's data is never null.
				s.Properties["data"].Types = nil
				s.Properties["data"].Type = "array"
			}
		}
		fixNulls(s)
		g.schemas[name] = s
	}
	for key, vals := range enums {
		comp, prop, _ := strings.Cut(key, ".")
		prop, items := strings.CutSuffix(prop, "[]")
		s := g.schemas[comp]
		if s == nil || s.Properties[prop] == nil {
			return fmt.Errorf("enum for %s: no such property", key)
		}
		p := s.Properties[prop]
		if items {
			p = p.Items
		}
		if p == nil || (p.Type != "string" && !slices.Contains(p.Types, "string")) {
			return fmt.Errorf("enum for %s: not a string", key)
		}
		p.Enum = slices.Clone(vals)
		fixNulls(p)
	}
	return nil
}

// fixNulls repairs what jsonschema.For makes of a pointer to a type given
// in TypeSchemas without a type of its own: {"$ref": X, "type": ["null"]}
// (which nothing satisfies) becomes anyOf X or null, and an any-value
// schema stays any value. A nullable enum admits null.
func fixNulls(root *jsonschema.Schema) {
	walk(root, func(s *jsonschema.Schema) {
		if len(s.Types) == 1 && s.Types[0] == "null" {
			s.Types = nil
			if s.Ref != "" {
				s.AnyOf = []*jsonschema.Schema{{Ref: s.Ref}, {Type: "null"}}
				s.Ref = ""
			}
		}
		if len(s.Enum) > 0 && slices.Contains(s.Types, "null") && !slices.Contains(s.Enum, nil) {
			s.Enum = append(s.Enum, nil)
		}
	})
}

// walk calls f on s and the subschemas this generator emits.
func walk(s *jsonschema.Schema, f func(*jsonschema.Schema)) {
	if s == nil {
		return
	}
	f(s)
	for _, p := range s.Properties {
		walk(p, f)
	}
	walk(s.Items, f)
	walk(s.AdditionalProperties, f)
	for _, l := range [][]*jsonschema.Schema{s.AnyOf, s.OneOf, s.AllOf} {
		for _, c := range l {
			walk(c, f)
		}
	}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
