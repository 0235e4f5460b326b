package mcp

import (
	"context"

	"github.com/naive-oss/naive/internal/naive"
)

// Bind returns a view of the in-process service that acts as p on every
// call, as the REST API does for a request with p's credentials. subject,
// when set, stands for "" in subject-scoped calls, like the Naive-Subject
// header.
func Bind(svc naive.Service, p naive.Principal, subject string) naive.Service {
	return &bound{svc: svc, p: p, subject: subject}
}

// bound is naive.Service with a fixed principal.
type bound struct {
	svc     naive.Service
	p       naive.Principal
	subject string
}

var _ naive.Service = (*bound)(nil)

func (b *bound) ctx(ctx context.Context) context.Context { return naive.WithPrincipal(ctx, b.p) }

func (b *bound) sub(id string) string {
	if id == "" {
		return b.subject
	}
	return id
}

func (b *bound) Login(ctx context.Context, req naive.LoginRequest) (*naive.LoginResult, error) {
	return b.svc.Login(ctx, req)
}
func (b *bound) Logout(ctx context.Context) error { return b.svc.Logout(b.ctx(ctx)) }
func (b *bound) Whoami(ctx context.Context) (*naive.Whoami, error) {
	return b.svc.Whoami(b.ctx(ctx))
}
func (b *bound) ChangePassword(ctx context.Context, req naive.PasswordRequest) (*naive.PasswordChanged, error) {
	return b.svc.ChangePassword(b.ctx(ctx), req)
}
func (b *bound) ListSessions(ctx context.Context) (*naive.List[naive.SessionInfo], error) {
	return b.svc.ListSessions(b.ctx(ctx))
}
func (b *bound) EndSessions(ctx context.Context) (*naive.SessionsEnded, error) {
	return b.svc.EndSessions(b.ctx(ctx))
}
func (b *bound) CreateKey(ctx context.Context, req naive.KeyRequest) (*naive.APIKey, error) {
	return b.svc.CreateKey(b.ctx(ctx), req)
}
func (b *bound) ListKeys(ctx context.Context, lp naive.ListParams) (*naive.List[naive.APIKey], error) {
	return b.svc.ListKeys(b.ctx(ctx), lp)
}
func (b *bound) RevokeKey(ctx context.Context, id string) (*naive.APIKey, error) {
	return b.svc.RevokeKey(b.ctx(ctx), id)
}
func (b *bound) CreateSubject(ctx context.Context, p naive.SubjectProfile) (*naive.Subject, error) {
	return b.svc.CreateSubject(b.ctx(ctx), p)
}
func (b *bound) GetSubject(ctx context.Context, id string) (*naive.Subject, error) {
	return b.svc.GetSubject(b.ctx(ctx), b.sub(id))
}
func (b *bound) ListSubjects(ctx context.Context, lp naive.ListParams) (*naive.List[naive.Subject], error) {
	return b.svc.ListSubjects(b.ctx(ctx), lp)
}
func (b *bound) UpdateSubject(ctx context.Context, id string, patch naive.SubjectPatch) (*naive.Subject, error) {
	return b.svc.UpdateSubject(b.ctx(ctx), id, patch)
}
func (b *bound) DeleteSubject(ctx context.Context, id string) error {
	return b.svc.DeleteSubject(b.ctx(ctx), id)
}
func (b *bound) GetFormation(ctx context.Context, subjectID string) (*naive.Formation, error) {
	return b.svc.GetFormation(b.ctx(ctx), b.sub(subjectID))
}
func (b *bound) StartFormation(ctx context.Context, subjectID string, req naive.FormationRequest) (*naive.Formation, error) {
	return b.svc.StartFormation(b.ctx(ctx), b.sub(subjectID), req)
}
func (b *bound) CreateAgent(ctx context.Context, req naive.AgentRequest) (*naive.Agent, error) {
	return b.svc.CreateAgent(b.ctx(ctx), req)
}
func (b *bound) GetAgent(ctx context.Context, id string) (*naive.Agent, error) {
	return b.svc.GetAgent(b.ctx(ctx), id)
}
func (b *bound) ListAgents(ctx context.Context, lp naive.ListParams) (*naive.List[naive.Agent], error) {
	return b.svc.ListAgents(b.ctx(ctx), lp)
}
func (b *bound) UpdateAgent(ctx context.Context, id string, patch naive.AgentPatch) (*naive.Agent, error) {
	return b.svc.UpdateAgent(b.ctx(ctx), id, patch)
}
func (b *bound) DeleteAgent(ctx context.Context, id string) error {
	return b.svc.DeleteAgent(b.ctx(ctx), id)
}
func (b *bound) Credits(ctx context.Context) (*naive.Credits, error) {
	return b.svc.Credits(b.ctx(ctx))
}
func (b *bound) Ledger(ctx context.Context, lp naive.ListParams) (*naive.List[naive.LedgerEntry], error) {
	return b.svc.Ledger(b.ctx(ctx), lp)
}
func (b *bound) GrantCredits(ctx context.Context, req naive.GrantRequest) (*naive.LedgerEntry, error) {
	return b.svc.GrantCredits(b.ctx(ctx), req)
}
func (b *bound) ProvisionPhone(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
	return b.svc.ProvisionPhone(b.ctx(ctx), b.sub(subjectID), req)
}
func (b *bound) ListPhones(ctx context.Context, subjectID, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	return b.svc.ListPhones(b.ctx(ctx), b.sub(subjectID), agentID, lp)
}
func (b *bound) ListAllPhones(ctx context.Context, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	return b.svc.ListAllPhones(b.ctx(ctx), agentID, lp)
}
func (b *bound) GetPhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
	return b.svc.GetPhone(b.ctx(ctx), b.sub(subjectID), id)
}
func (b *bound) UpdatePhone(ctx context.Context, subjectID, id string, patch naive.PhonePatch) (*naive.Phone, error) {
	return b.svc.UpdatePhone(b.ctx(ctx), b.sub(subjectID), id, patch)
}
func (b *bound) ReleasePhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
	return b.svc.ReleasePhone(b.ctx(ctx), b.sub(subjectID), id)
}
func (b *bound) PhoneStatus(ctx context.Context, subjectID string) (*naive.PhoneStatus, error) {
	return b.svc.PhoneStatus(b.ctx(ctx), b.sub(subjectID))
}
func (b *bound) CreateKit(ctx context.Context, req naive.KitRequest) (*naive.AccountKit, error) {
	return b.svc.CreateKit(b.ctx(ctx), req)
}
func (b *bound) GetKit(ctx context.Context, id string) (*naive.AccountKit, error) {
	return b.svc.GetKit(b.ctx(ctx), id)
}
func (b *bound) ListKits(ctx context.Context, lp naive.ListParams) (*naive.List[naive.AccountKit], error) {
	return b.svc.ListKits(b.ctx(ctx), lp)
}
func (b *bound) UpdateKit(ctx context.Context, id string, req naive.KitRequest) (*naive.AccountKit, error) {
	return b.svc.UpdateKit(b.ctx(ctx), id, req)
}
func (b *bound) DeleteKit(ctx context.Context, id string) error {
	return b.svc.DeleteKit(b.ctx(ctx), id)
}
func (b *bound) AssignKit(ctx context.Context, kitID, subjectID string) (*naive.Subject, error) {
	return b.svc.AssignKit(b.ctx(ctx), kitID, subjectID)
}
func (b *bound) ListApprovals(ctx context.Context, lp naive.ApprovalListParams) (*naive.List[naive.Approval], error) {
	return b.svc.ListApprovals(b.ctx(ctx), lp)
}
func (b *bound) GetApproval(ctx context.Context, id string) (*naive.Approval, error) {
	return b.svc.GetApproval(b.ctx(ctx), id)
}
func (b *bound) ApproveApproval(ctx context.Context, id string, req naive.ApproveRequest) (*naive.Approval, error) {
	return b.svc.ApproveApproval(b.ctx(ctx), id, req)
}
func (b *bound) DenyApproval(ctx context.Context, id string, req naive.DenyRequest) (*naive.Approval, error) {
	return b.svc.DenyApproval(b.ctx(ctx), id, req)
}
func (b *bound) ListEvents(ctx context.Context, typ string, lp naive.ListParams) (*naive.List[naive.Event], error) {
	return b.svc.ListEvents(b.ctx(ctx), typ, lp)
}
func (b *bound) Preflight(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.Preflight, error) {
	return b.svc.Preflight(b.ctx(ctx), b.sub(subjectID), req)
}

func (b *bound) SearchNumbers(ctx context.Context, subjectID string, req naive.NumberSearch) (*naive.List[naive.AvailableNumber], error) {
	return b.svc.SearchNumbers(b.ctx(ctx), b.sub(subjectID), req)
}
func (b *bound) PhoneCampaign(ctx context.Context, subjectID, phoneID string) (*naive.Campaign, error) {
	return b.svc.PhoneCampaign(b.ctx(ctx), b.sub(subjectID), phoneID)
}
func (b *bound) ResendBrandVerification(ctx context.Context, subjectID string) (*naive.BrandVerificationResend, error) {
	return b.svc.ResendBrandVerification(b.ctx(ctx), b.sub(subjectID))
}
func (b *bound) SubmitBrandVerification(ctx context.Context, subjectID, code string) (*naive.BrandVerificationSubmitted, error) {
	return b.svc.SubmitBrandVerification(b.ctx(ctx), b.sub(subjectID), code)
}

func (b *bound) ResubmitCampaign(ctx context.Context, subjectID string, req naive.CampaignResubmission) (*naive.Campaign, error) {
	return b.svc.ResubmitCampaign(b.ctx(ctx), b.sub(subjectID), req)
}
func (b *bound) GetCampaignContent(ctx context.Context, subjectID string) (*naive.CampaignContent, error) {
	return b.svc.GetCampaignContent(b.ctx(ctx), b.sub(subjectID))
}
func (b *bound) UpdateCampaignContent(ctx context.Context, subjectID string, patch naive.CampaignContentPatch) (*naive.CampaignContent, error) {
	return b.svc.UpdateCampaignContent(b.ctx(ctx), b.sub(subjectID), patch)
}
func (b *bound) SendSMS(ctx context.Context, subjectID, phoneID string, req naive.SendRequest) (*naive.SendResult, error) {
	return b.svc.SendSMS(b.ctx(ctx), b.sub(subjectID), phoneID, req)
}
func (b *bound) ListMessages(ctx context.Context, subjectID, phoneID string, lp naive.ListParams) (*naive.List[naive.Message], error) {
	return b.svc.ListMessages(b.ctx(ctx), b.sub(subjectID), phoneID, lp)
}
func (b *bound) GetMessage(ctx context.Context, subjectID, id string) (*naive.Message, error) {
	return b.svc.GetMessage(b.ctx(ctx), b.sub(subjectID), id)
}
func (b *bound) CancelMessage(ctx context.Context, subjectID, id string) (*naive.Message, error) {
	return b.svc.CancelMessage(b.ctx(ctx), b.sub(subjectID), id)
}
func (b *bound) RecordConsent(ctx context.Context, subjectID, phoneID, contact string, req naive.ConsentRequest) (*naive.PhoneContact, error) {
	return b.svc.RecordConsent(b.ctx(ctx), b.sub(subjectID), phoneID, contact, req)
}
func (b *bound) ListContacts(ctx context.Context, subjectID, phoneID string, lp naive.ListParams) (*naive.List[naive.PhoneContact], error) {
	return b.svc.ListContacts(b.ctx(ctx), b.sub(subjectID), phoneID, lp)
}
func (b *bound) NextMessage(ctx context.Context, subjectID, phoneID string, req naive.NextMessageRequest) (*naive.Message, error) {
	return b.svc.NextMessage(b.ctx(ctx), b.sub(subjectID), phoneID, req)
}
func (b *bound) AssignAgent(ctx context.Context, subjectID, phoneID string, req naive.AssignRequest) (*naive.Assignment, error) {
	return b.svc.AssignAgent(b.ctx(ctx), b.sub(subjectID), phoneID, req)
}
func (b *bound) UnassignAgent(ctx context.Context, subjectID, phoneID, agentID string) error {
	return b.svc.UnassignAgent(b.ctx(ctx), b.sub(subjectID), phoneID, agentID)
}
func (b *bound) ListAssignments(ctx context.Context, subjectID, phoneID string) (*naive.List[naive.Assignment], error) {
	return b.svc.ListAssignments(b.ctx(ctx), b.sub(subjectID), phoneID)
}
func (b *bound) CreateWebhook(ctx context.Context, req naive.WebhookRequest) (*naive.WebhookEndpoint, error) {
	return b.svc.CreateWebhook(b.ctx(ctx), req)
}
func (b *bound) ListWebhooks(ctx context.Context, lp naive.ListParams) (*naive.List[naive.WebhookEndpoint], error) {
	return b.svc.ListWebhooks(b.ctx(ctx), lp)
}
func (b *bound) DeleteWebhook(ctx context.Context, id string) error {
	return b.svc.DeleteWebhook(b.ctx(ctx), id)
}
func (b *bound) TestWebhook(ctx context.Context, id string) (*naive.Delivery, error) {
	return b.svc.TestWebhook(b.ctx(ctx), id)
}
func (b *bound) GetWebhook(ctx context.Context, id string) (*naive.WebhookEndpoint, error) {
	return b.svc.GetWebhook(b.ctx(ctx), id)
}
func (b *bound) ResendDelivery(ctx context.Context, endpointID, deliveryID string) (*naive.Delivery, error) {
	return b.svc.ResendDelivery(b.ctx(ctx), endpointID, deliveryID)
}
func (b *bound) ListDeliveries(ctx context.Context, id string, lp naive.ListParams) (*naive.List[naive.Delivery], error) {
	return b.svc.ListDeliveries(b.ctx(ctx), id, lp)
}
func (b *bound) ListUsers(ctx context.Context, lp naive.ListParams) (*naive.List[naive.User], error) {
	return b.svc.ListUsers(b.ctx(ctx), lp)
}
func (b *bound) InviteUser(ctx context.Context, req naive.InviteRequest) (*naive.Invitation, error) {
	return b.svc.InviteUser(b.ctx(ctx), req)
}
func (b *bound) UpdateUser(ctx context.Context, id string, patch naive.UserPatch) (*naive.User, error) {
	return b.svc.UpdateUser(b.ctx(ctx), id, patch)
}
func (b *bound) DeleteUser(ctx context.Context, id string) error {
	return b.svc.DeleteUser(b.ctx(ctx), id)
}
func (b *bound) AcceptInvite(ctx context.Context, req naive.AcceptInviteRequest) (*naive.LoginResult, error) {
	return b.svc.AcceptInvite(ctx, req)
}
