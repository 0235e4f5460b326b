package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
)

// Each method is one REST call; see naive.Service for what it does and the
// error codes it returns.

func esc(id string) string { return url.PathEscape(id) }

// Login opens a human session (POST /v1/auth/login). It sends no
// credentials; put the returned token in a new Client to act as the human.
func (c *Client) Login(ctx context.Context, req naive.LoginRequest) (*naive.LoginResult, error) {
	return call[naive.LoginResult](ctx, c, request{method: http.MethodPost, path: "/v1/auth/login", body: req, noAuth: true})
}

// Logout ends the client's session (POST /v1/auth/logout).
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodPost, path: "/v1/auth/logout"}, nil)
}

// ChangePassword changes the calling human's password and ends their other
// sessions (POST /v1/auth/password).
func (c *Client) ChangePassword(ctx context.Context, req naive.PasswordRequest) (*naive.PasswordChanged, error) {
	return call[naive.PasswordChanged](ctx, c, request{method: http.MethodPost, path: "/v1/auth/password", body: req})
}

// ListSessions lists the calling human's sessions (GET /v1/auth/sessions).
func (c *Client) ListSessions(ctx context.Context) (*naive.List[naive.SessionInfo], error) {
	return call[naive.List[naive.SessionInfo]](ctx, c, request{method: http.MethodGet, path: "/v1/auth/sessions"})
}

// EndSessions ends every session of the calling human (DELETE /v1/auth/sessions).
func (c *Client) EndSessions(ctx context.Context) (*naive.SessionsEnded, error) {
	return call[naive.SessionsEnded](ctx, c, request{method: http.MethodDelete, path: "/v1/auth/sessions"})
}

// Whoami describes the caller (GET /v1/auth/whoami).
func (c *Client) Whoami(ctx context.Context) (*naive.Whoami, error) {
	return call[naive.Whoami](ctx, c, request{method: http.MethodGet, path: "/v1/auth/whoami"})
}

// CreateKey makes an API key (POST /v1/keys).
func (c *Client) CreateKey(ctx context.Context, req naive.KeyRequest) (*naive.APIKey, error) {
	return call[naive.APIKey](ctx, c, request{method: http.MethodPost, path: "/v1/keys", body: req})
}

// ListKeys lists API keys (GET /v1/keys).
func (c *Client) ListKeys(ctx context.Context, lp naive.ListParams) (*naive.List[naive.APIKey], error) {
	return call[naive.List[naive.APIKey]](ctx, c, request{method: http.MethodGet, path: "/v1/keys", query: listQuery(lp)})
}

// RevokeKey revokes a key (DELETE /v1/keys/{id}).
func (c *Client) RevokeKey(ctx context.Context, id string) (*naive.APIKey, error) {
	return call[naive.APIKey](ctx, c, request{method: http.MethodDelete, path: "/v1/keys/" + esc(id)})
}

// CreateSubject stores a subject (POST /v1/subjects).
func (c *Client) CreateSubject(ctx context.Context, p naive.SubjectProfile) (*naive.Subject, error) {
	return call[naive.Subject](ctx, c, request{method: http.MethodPost, path: "/v1/subjects", body: p})
}

// GetSubject returns a subject (GET /v1/subjects/{id}).
func (c *Client) GetSubject(ctx context.Context, id string) (*naive.Subject, error) {
	if id == "" {
		// The default subject has no route of its own; whoami names it.
		w, err := c.Whoami(ctx)
		if err != nil {
			return nil, err
		}
		id = w.SubjectID
		if c.opts.Subject != "" {
			id = c.opts.Subject
		}
		if id == "" {
			return nil, naive.Errorf(naive.ENotFound, "This operator has no default subject in %s mode.", w.Mode).
				WithHint("Create one with `naive subjects create`, or name one with --subject.")
		}
	}
	return call[naive.Subject](ctx, c, request{method: http.MethodGet, path: "/v1/subjects/" + esc(id)})
}

// ListSubjects lists subjects (GET /v1/subjects).
func (c *Client) ListSubjects(ctx context.Context, lp naive.ListParams) (*naive.List[naive.Subject], error) {
	return call[naive.List[naive.Subject]](ctx, c, request{method: http.MethodGet, path: "/v1/subjects", query: listQuery(lp)})
}

// UpdateSubject patches a subject's profile (PATCH /v1/subjects/{id}).
func (c *Client) UpdateSubject(ctx context.Context, id string, patch naive.SubjectPatch) (*naive.Subject, error) {
	return call[naive.Subject](ctx, c, request{method: http.MethodPatch, path: "/v1/subjects/" + esc(id), body: patch})
}

// GetFormation returns a subject's formation (GET /v1/[subjects/{id}/]formation).
func (c *Client) GetFormation(ctx context.Context, subjectID string) (*naive.Formation, error) {
	return call[naive.Formation](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/formation")})
}

// StartFormation files or records an LLC formation (POST …/formation).
func (c *Client) StartFormation(ctx context.Context, subjectID string, req naive.FormationRequest) (*naive.Formation, error) {
	return call[naive.Formation](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/formation"), body: req})
}

// DeleteSubject deletes a subject (DELETE /v1/subjects/{id}).
func (c *Client) DeleteSubject(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: "/v1/subjects/" + esc(id)}, nil)
}

// CreateAgent registers an agent (POST /v1/agents).
func (c *Client) CreateAgent(ctx context.Context, req naive.AgentRequest) (*naive.Agent, error) {
	return call[naive.Agent](ctx, c, request{method: http.MethodPost, path: "/v1/agents", body: req})
}

// GetAgent returns an agent (GET /v1/agents/{id}).
func (c *Client) GetAgent(ctx context.Context, id string) (*naive.Agent, error) {
	return call[naive.Agent](ctx, c, request{method: http.MethodGet, path: "/v1/agents/" + esc(id)})
}

// ListAgents lists agents (GET /v1/agents).
func (c *Client) ListAgents(ctx context.Context, lp naive.ListParams) (*naive.List[naive.Agent], error) {
	return call[naive.List[naive.Agent]](ctx, c, request{method: http.MethodGet, path: "/v1/agents", query: listQuery(lp)})
}

// UpdateAgent patches an agent (PATCH /v1/agents/{id}).
func (c *Client) UpdateAgent(ctx context.Context, id string, patch naive.AgentPatch) (*naive.Agent, error) {
	return call[naive.Agent](ctx, c, request{method: http.MethodPatch, path: "/v1/agents/" + esc(id), body: patch})
}

// DeleteAgent deletes an agent (DELETE /v1/agents/{id}).
func (c *Client) DeleteAgent(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: "/v1/agents/" + esc(id)}, nil)
}

// Credits returns the balance (GET /v1/credits).
func (c *Client) Credits(ctx context.Context) (*naive.Credits, error) {
	return call[naive.Credits](ctx, c, request{method: http.MethodGet, path: "/v1/credits"})
}

// Ledger lists credit movements (GET /v1/credits/ledger).
func (c *Client) Ledger(ctx context.Context, lp naive.ListParams) (*naive.List[naive.LedgerEntry], error) {
	return call[naive.List[naive.LedgerEntry]](ctx, c, request{method: http.MethodGet, path: "/v1/credits/ledger", query: listQuery(lp)})
}

// GrantCredits adds credits (POST /v1/credits/grant).
func (c *Client) GrantCredits(ctx context.Context, req naive.GrantRequest) (*naive.LedgerEntry, error) {
	return call[naive.LedgerEntry](ctx, c, request{method: http.MethodPost, path: "/v1/credits/grant", body: req})
}

// ProvisionPhone buys a number or gets a pending approval (POST …/phone/provision).
func (c *Client) ProvisionPhone(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
	return call[naive.ProvisionResult](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/phone/provision"), body: req})
}

// ListPhones lists numbers (GET …/phone[?agent=]).
func (c *Client) ListPhones(ctx context.Context, subjectID, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	q := listQuery(lp)
	if agentID != "" {
		q.Set("agent", agentID)
	}
	return call[naive.List[naive.Phone]](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone"), query: q})
}

// ListAllPhones lists the numbers of every subject of the mode
// (GET /v1/phone?subject_id=all[&agent=]).
func (c *Client) ListAllPhones(ctx context.Context, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	q := listQuery(lp)
	q.Set("subject_id", "all")
	if agentID != "" {
		q.Set("agent", agentID)
	}
	return call[naive.List[naive.Phone]](ctx, c, request{method: http.MethodGet, path: "/v1/phone", query: q})
}

// GetPhone returns a number (GET …/phone/{id}).
func (c *Client) GetPhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
	return call[naive.Phone](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/"+esc(id))})
}

// UpdatePhone relabels a number (PATCH …/phone/{id}).
func (c *Client) UpdatePhone(ctx context.Context, subjectID, id string, patch naive.PhonePatch) (*naive.Phone, error) {
	return call[naive.Phone](ctx, c, request{method: http.MethodPatch, path: subjectPath(subjectID, "/phone/"+esc(id)), body: patch})
}

// ReleasePhone releases a number permanently (DELETE …/phone/{id}).
func (c *Client) ReleasePhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
	return call[naive.Phone](ctx, c, request{method: http.MethodDelete, path: subjectPath(subjectID, "/phone/"+esc(id))})
}

// PhoneStatus returns the brand → campaign → numbers pipeline (GET …/phone/status).
func (c *Client) PhoneStatus(ctx context.Context, subjectID string) (*naive.PhoneStatus, error) {
	return call[naive.PhoneStatus](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/status")})
}

// call sends req and decodes its answer into a new T; nil on error.
func call[T any](ctx context.Context, c *Client, req request) (*T, error) {
	var out T
	if err := c.do(ctx, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateKit stores an Account Kit (POST /v1/account-kits).
func (c *Client) CreateKit(ctx context.Context, req naive.KitRequest) (*naive.AccountKit, error) {
	return call[naive.AccountKit](ctx, c, request{method: http.MethodPost, path: "/v1/account-kits", body: req})
}

// GetKit returns a kit (GET /v1/account-kits/{id}).
func (c *Client) GetKit(ctx context.Context, id string) (*naive.AccountKit, error) {
	return call[naive.AccountKit](ctx, c, request{method: http.MethodGet, path: "/v1/account-kits/" + esc(id)})
}

// ListKits lists kits (GET /v1/account-kits).
func (c *Client) ListKits(ctx context.Context, lp naive.ListParams) (*naive.List[naive.AccountKit], error) {
	return call[naive.List[naive.AccountKit]](ctx, c, request{method: http.MethodGet, path: "/v1/account-kits", query: listQuery(lp)})
}

// UpdateKit changes a kit (PATCH /v1/account-kits/{id}).
func (c *Client) UpdateKit(ctx context.Context, id string, req naive.KitRequest) (*naive.AccountKit, error) {
	return call[naive.AccountKit](ctx, c, request{method: http.MethodPatch, path: "/v1/account-kits/" + esc(id), body: req})
}

// DeleteKit deletes a kit (DELETE /v1/account-kits/{id}).
func (c *Client) DeleteKit(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: "/v1/account-kits/" + esc(id)}, nil)
}

// AssignKit assigns a kit to a subject (POST /v1/account-kits/{id}/subjects/{sid}/assign).
func (c *Client) AssignKit(ctx context.Context, kitID, subjectID string) (*naive.Subject, error) {
	return call[naive.Subject](ctx, c, request{method: http.MethodPost,
		path: "/v1/account-kits/" + esc(kitID) + "/subjects/" + esc(subjectID) + "/assign"})
}

// ListApprovals lists approvals (GET /v1/approvals?status=&subject_id=).
func (c *Client) ListApprovals(ctx context.Context, lp naive.ApprovalListParams) (*naive.List[naive.Approval], error) {
	q := listQuery(lp.ListParams)
	if lp.Status != "" {
		q.Set("status", lp.Status)
	}
	if lp.SubjectID != "" {
		q.Set("subject_id", lp.SubjectID)
	}
	return call[naive.List[naive.Approval]](ctx, c, request{method: http.MethodGet, path: "/v1/approvals", query: q})
}

// GetApproval returns an approval (GET /v1/approvals/{id}).
func (c *Client) GetApproval(ctx context.Context, id string) (*naive.Approval, error) {
	return call[naive.Approval](ctx, c, request{method: http.MethodGet, path: "/v1/approvals/" + esc(id)})
}

// ApproveApproval approves and executes a pending approval (POST /v1/approvals/{id}/approve).
func (c *Client) ApproveApproval(ctx context.Context, id string, req naive.ApproveRequest) (*naive.Approval, error) {
	return call[naive.Approval](ctx, c, request{method: http.MethodPost, path: "/v1/approvals/" + esc(id) + "/approve", body: req})
}

// DenyApproval refuses a pending approval (POST /v1/approvals/{id}/deny).
func (c *Client) DenyApproval(ctx context.Context, id string, req naive.DenyRequest) (*naive.Approval, error) {
	return call[naive.Approval](ctx, c, request{method: http.MethodPost, path: "/v1/approvals/" + esc(id) + "/deny", body: req})
}

// ListEvents lists stored events, newest first (GET /v1/events[?type=]).
func (c *Client) ListEvents(ctx context.Context, typ string, lp naive.ListParams) (*naive.List[naive.Event], error) {
	q := listQuery(lp)
	if typ != "" {
		q.Set("type", typ)
	}
	return call[naive.List[naive.Event]](ctx, c, request{method: http.MethodGet, path: "/v1/events", query: q})
}

// Preflight lists what provisioning needs and what is missing (GET …/phone/preflight).
func (c *Client) Preflight(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.Preflight, error) {
	q := url.Values{}
	for k, v := range map[string]string{"ein": req.EIN, "area_code": req.AreaCode, "type": req.Type, "tier": req.Tier,
		"override_checks": strings.Join(req.OverrideChecks, ",")} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return call[naive.Preflight](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/preflight"), query: q})
}

// SearchNumbers lists numbers the carrier offers for sale (GET …/phone/available).
func (c *Client) SearchNumbers(ctx context.Context, subjectID string, req naive.NumberSearch) (*naive.List[naive.AvailableNumber], error) {
	q := url.Values{}
	for k, v := range map[string]string{"type": req.Type, "area_code": req.AreaCode} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if req.Limit != 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	return call[naive.List[naive.AvailableNumber]](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/available"), query: q})
}

// PhoneCampaign returns a number's carrier campaign (GET …/phone/{id}/campaign).
func (c *Client) PhoneCampaign(ctx context.Context, subjectID, phoneID string) (*naive.Campaign, error) {
	return call[naive.Campaign](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/campaign")})
}

// ResendBrandVerification asks for a sole proprietor's verification text
// again (POST …/phone/brand-verification/resend).
func (c *Client) ResendBrandVerification(ctx context.Context, subjectID string) (*naive.BrandVerificationResend, error) {
	return call[naive.BrandVerificationResend](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/phone/brand-verification/resend")})
}

// SubmitBrandVerification submits the code the carrier texted a sole
// proprietor's owner (POST …/phone/brand-verification).
func (c *Client) SubmitBrandVerification(ctx context.Context, subjectID, code string) (*naive.BrandVerificationSubmitted, error) {
	return call[naive.BrandVerificationSubmitted](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/phone/brand-verification"),
		body: naive.BrandVerificationCode{Code: code}})
}

// ResubmitCampaign sends the subject's rejected campaign back to review
// (POST …/phone/campaign/resubmit).
func (c *Client) ResubmitCampaign(ctx context.Context, subjectID string, req naive.CampaignResubmission) (*naive.Campaign, error) {
	return call[naive.Campaign](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/phone/campaign/resubmit"), body: req})
}

// SendSMS sends a text from a number (POST …/phone/{id}/sms).
func (c *Client) SendSMS(ctx context.Context, subjectID, phoneID string, req naive.SendRequest) (*naive.SendResult, error) {
	return call[naive.SendResult](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/sms"), body: req})
}

// ListMessages lists a number's messages, newest first (GET …/phone/{id}/messages).
func (c *Client) ListMessages(ctx context.Context, subjectID, phoneID string, lp naive.ListParams) (*naive.List[naive.Message], error) {
	return call[naive.List[naive.Message]](ctx, c, request{method: http.MethodGet,
		path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/messages"), query: listQuery(lp)})
}

// GetMessage returns a message (GET …/phone/messages/{id}).
func (c *Client) GetMessage(ctx context.Context, subjectID, id string) (*naive.Message, error) {
	return call[naive.Message](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/messages/"+esc(id))})
}

// NextMessage waits for the number's first inbound text after req.After
// (GET …/phone/{id}/messages/next); nil when none arrived within
// req.Timeout (204). The request may outlast the HTTP client's timeout by
// the wait: it gets the wait plus that timeout.
func (c *Client) NextMessage(ctx context.Context, subjectID, phoneID string, req naive.NextMessageRequest) (*naive.Message, error) {
	q := url.Values{}
	if req.After != "" {
		q.Set("after", req.After)
	}
	wait := naive.DefaultWait
	if req.Timeout != 0 {
		wait = req.Timeout
		q.Set("timeout", req.Timeout.String())
	}
	var out *naive.Message
	if err := c.do(ctx, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/messages/next"),
		query: q, wait: wait}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AssignAgent connects an agent to a number (POST …/phone/{id}/assign).
func (c *Client) AssignAgent(ctx context.Context, subjectID, phoneID string, req naive.AssignRequest) (*naive.Assignment, error) {
	return call[naive.Assignment](ctx, c, request{method: http.MethodPost, path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/assign"), body: req})
}

// UnassignAgent disconnects an agent from a number (DELETE …/phone/{id}/assign/{agent_id}).
func (c *Client) UnassignAgent(ctx context.Context, subjectID, phoneID, agentID string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/assign/"+esc(agentID))}, nil)
}

// CancelMessage cancels a scheduled text (DELETE …/phone/messages/{id}).
func (c *Client) CancelMessage(ctx context.Context, subjectID, id string) (*naive.Message, error) {
	return call[naive.Message](ctx, c, request{method: http.MethodDelete, path: subjectPath(subjectID, "/phone/messages/"+esc(id))})
}

// RecordConsent records a contact's opt-in on a number
// (POST …/phone/{id}/contacts/{e164}/consent).
func (c *Client) RecordConsent(ctx context.Context, subjectID, phoneID, contact string, req naive.ConsentRequest) (*naive.PhoneContact, error) {
	return call[naive.PhoneContact](ctx, c, request{method: http.MethodPost,
		path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/contacts/"+esc(contact)+"/consent"), body: req})
}

// ListContacts lists a number's contacts with their consent and opt-out
// state (GET …/phone/{id}/contacts).
func (c *Client) ListContacts(ctx context.Context, subjectID, phoneID string, lp naive.ListParams) (*naive.List[naive.PhoneContact], error) {
	return call[naive.List[naive.PhoneContact]](ctx, c, request{method: http.MethodGet,
		path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/contacts"), query: listQuery(lp)})
}

// ListAssignments lists a number's agents (GET …/phone/{id}/assignments).
func (c *Client) ListAssignments(ctx context.Context, subjectID, phoneID string) (*naive.List[naive.Assignment], error) {
	return call[naive.List[naive.Assignment]](ctx, c, request{method: http.MethodGet, path: subjectPath(subjectID, "/phone/"+esc(phoneID)+"/assignments")})
}

// CreateWebhook registers an endpoint; its secret is shown once (POST /v1/webhooks).
func (c *Client) CreateWebhook(ctx context.Context, req naive.WebhookRequest) (*naive.WebhookEndpoint, error) {
	return call[naive.WebhookEndpoint](ctx, c, request{method: http.MethodPost, path: "/v1/webhooks", body: req})
}

// ListWebhooks lists endpoints (GET /v1/webhooks).
func (c *Client) ListWebhooks(ctx context.Context, lp naive.ListParams) (*naive.List[naive.WebhookEndpoint], error) {
	return call[naive.List[naive.WebhookEndpoint]](ctx, c, request{method: http.MethodGet, path: "/v1/webhooks", query: listQuery(lp)})
}

// DeleteWebhook removes an endpoint (DELETE /v1/webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: "/v1/webhooks/" + esc(id)}, nil)
}

// TestWebhook sends a test event now (POST /v1/webhooks/{id}/test).
func (c *Client) TestWebhook(ctx context.Context, id string) (*naive.Delivery, error) {
	return call[naive.Delivery](ctx, c, request{method: http.MethodPost, path: "/v1/webhooks/" + esc(id) + "/test"})
}

// ListDeliveries lists an endpoint's deliveries (GET /v1/webhooks/{id}/deliveries).
func (c *Client) ListDeliveries(ctx context.Context, id string, lp naive.ListParams) (*naive.List[naive.Delivery], error) {
	return call[naive.List[naive.Delivery]](ctx, c, request{method: http.MethodGet, path: "/v1/webhooks/" + esc(id) + "/deliveries", query: listQuery(lp)})
}

// GetWebhook returns an endpoint (GET /v1/webhooks/{id}).
func (c *Client) GetWebhook(ctx context.Context, id string) (*naive.WebhookEndpoint, error) {
	return call[naive.WebhookEndpoint](ctx, c, request{method: http.MethodGet, path: "/v1/webhooks/" + esc(id)})
}

// ResendDelivery makes one more attempt of a finished delivery now
// (POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend).
func (c *Client) ResendDelivery(ctx context.Context, endpointID, deliveryID string) (*naive.Delivery, error) {
	return call[naive.Delivery](ctx, c, request{method: http.MethodPost,
		path: "/v1/webhooks/" + esc(endpointID) + "/deliveries/" + esc(deliveryID) + "/resend"})
}

// SandboxSMSResult is the answer of POST /v1/sandbox/sms.
type SandboxSMSResult struct {
	Status string `json:"status"`
	To     string `json:"to"`
	From   string `json:"from"`
}

// SandboxSMS makes test mode's sandbox carrier deliver an inbound text from
// from (empty: the server's default sender) to the operator's number to, as
// a signed message.received webhook, as if a phone had texted it
// (POST /v1/sandbox/sms). Test mode only; not part of naive.Service.
//
// Errors: invalid_input, not_found (no such number), forbidden (live mode),
// not_configured (the server has no in-process sandbox).
func (c *Client) SandboxSMS(ctx context.Context, to, from, body string) (*SandboxSMSResult, error) {
	in := struct {
		To   string `json:"to"`
		From string `json:"from,omitempty"`
		Body string `json:"body"`
	}{to, from, body}
	return call[SandboxSMSResult](ctx, c, request{method: http.MethodPost, path: "/v1/sandbox/sms", body: in})
}

// ListUsers lists the operator's humans (GET /v1/users).
func (c *Client) ListUsers(ctx context.Context, lp naive.ListParams) (*naive.List[naive.User], error) {
	return call[naive.List[naive.User]](ctx, c, request{method: http.MethodGet, path: "/v1/users", query: listQuery(lp)})
}

// InviteUser invites a human with a role (POST /v1/users).
func (c *Client) InviteUser(ctx context.Context, req naive.InviteRequest) (*naive.Invitation, error) {
	return call[naive.Invitation](ctx, c, request{method: http.MethodPost, path: "/v1/users", body: req})
}

// UpdateUser changes a human's role (PATCH /v1/users/{id}).
func (c *Client) UpdateUser(ctx context.Context, id string, patch naive.UserPatch) (*naive.User, error) {
	return call[naive.User](ctx, c, request{method: http.MethodPatch, path: "/v1/users/" + esc(id), body: patch})
}

// DeleteUser removes a human (DELETE /v1/users/{id}).
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: "/v1/users/" + esc(id)}, nil)
}

// AcceptInvite sets an invited human's password and opens a session
// (POST /v1/auth/accept-invite). It sends no credentials, like Login.
func (c *Client) AcceptInvite(ctx context.Context, req naive.AcceptInviteRequest) (*naive.LoginResult, error) {
	return call[naive.LoginResult](ctx, c, request{method: http.MethodPost, path: "/v1/auth/accept-invite", body: req, noAuth: true})
}
