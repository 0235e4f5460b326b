package naive

import "context"

// Service is the contract every front door shares: the in-process service
// implements it, and so does the Go HTTP client, so the CLI and MCP code run
// unchanged against either. The caller is the Principal in ctx (in-process)
// or the client's credentials (remote). A subjectID of "" means the caller's
// default subject. Errors are *Error with the codes listed per method.
type Service interface {
	// Login opens a human session. Errors: invalid_input, unauthorized.
	Login(ctx context.Context, req LoginRequest) (*LoginResult, error)
	// Logout ends the caller's session. Errors: forbidden (not a human).
	Logout(ctx context.Context) error
	// Whoami describes the caller. Errors: unauthorized.
	Whoami(ctx context.Context) (*Whoami, error)
	// ChangePassword changes the calling human's password and ends their
	// other sessions. Errors: forbidden (not a human), invalid_input
	// (wrong current password, new one too short or too long).
	ChangePassword(ctx context.Context, req PasswordRequest) (*PasswordChanged, error)
	// ListSessions lists the calling human's unexpired sessions, newest
	// first. Errors: forbidden (not a human).
	ListSessions(ctx context.Context) (*List[SessionInfo], error)
	// EndSessions ends every session of the calling human, this one too
	// (log out everywhere). Errors: forbidden (not a human).
	EndSessions(ctx context.Context) (*SessionsEnded, error)

	// ListUsers lists the operator's humans, newest first; any human may.
	// Errors: forbidden (not a human), invalid_input (paging).
	ListUsers(ctx context.Context, lp ListParams) (*List[User], error)
	// InviteUser creates a human with a role and no usable password, and
	// answers the invite token (shown once) that sets one. Owners only.
	// Errors: forbidden, invalid_input, conflict (email taken).
	InviteUser(ctx context.Context, req InviteRequest) (*Invitation, error)
	// UpdateUser changes a human's role. Owners only. Errors: forbidden,
	// invalid_input, not_found, conflict (the last owner).
	UpdateUser(ctx context.Context, id string, patch UserPatch) (*User, error)
	// DeleteUser removes a human and ends their sessions. Owners only.
	// Errors: forbidden, not_found, conflict (the last owner).
	DeleteUser(ctx context.Context, id string) error
	// AcceptInvite sets an invited human's password, consumes the invite
	// and opens a session, answered like Login. Needs no credentials.
	// Errors: invalid_input, unauthorized (unknown, used or expired token).
	AcceptInvite(ctx context.Context, req AcceptInviteRequest) (*LoginResult, error)

	// CreateKey makes an API key, its secret shown once. Errors: forbidden, invalid_input.
	CreateKey(ctx context.Context, req KeyRequest) (*APIKey, error)
	// ListKeys lists keys without secrets. Errors: forbidden.
	ListKeys(ctx context.Context, lp ListParams) (*List[APIKey], error)
	// RevokeKey revokes a key at once. Errors: forbidden, not_found.
	RevokeKey(ctx context.Context, id string) (*APIKey, error)

	// CreateSubject stores a subject. Errors: invalid_input.
	CreateSubject(ctx context.Context, p SubjectProfile) (*Subject, error)
	// GetSubject returns a subject. Errors: not_found.
	GetSubject(ctx context.Context, id string) (*Subject, error)
	// ListSubjects lists subjects. Errors: invalid_input (paging).
	ListSubjects(ctx context.Context, lp ListParams) (*List[Subject], error)
	// UpdateSubject patches a subject's profile. Errors: invalid_input, not_found, conflict.
	UpdateSubject(ctx context.Context, id string, patch SubjectPatch) (*Subject, error)
	// DeleteSubject deletes a subject (softly: its history stays); it is
	// then not found. Errors: not_found, conflict (the default subject, or
	// a subject with active or provisioning numbers).
	DeleteSubject(ctx context.Context, id string) error
	// GetFormation returns a subject's formation. Errors: not_found.
	GetFormation(ctx context.Context, subjectID string) (*Formation, error)
	// StartFormation files (test) or records (live) an LLC formation.
	// Errors: invalid_input, conflict, forbidden, not_configured, not_found.
	StartFormation(ctx context.Context, subjectID string, req FormationRequest) (*Formation, error)

	// CreateAgent registers an agent. Errors: invalid_input.
	CreateAgent(ctx context.Context, req AgentRequest) (*Agent, error)
	// GetAgent returns an agent. Errors: not_found.
	GetAgent(ctx context.Context, id string) (*Agent, error)
	// ListAgents lists agents.
	ListAgents(ctx context.Context, lp ListParams) (*List[Agent], error)
	// UpdateAgent renames an agent or sets, changes or removes ("") its
	// webhook URL; a webhook secret made for it is shown once. Errors:
	// invalid_input, not_found.
	UpdateAgent(ctx context.Context, id string, patch AgentPatch) (*Agent, error)
	// DeleteAgent deletes an agent with its number assignments and its
	// webhook. Errors: not_found, conflict (an unrevoked key is bound to it).
	DeleteAgent(ctx context.Context, id string) error

	// Credits returns the balance. Errors: unauthorized.
	Credits(ctx context.Context) (*Credits, error)
	// Ledger lists credit movements, newest first.
	Ledger(ctx context.Context, lp ListParams) (*List[LedgerEntry], error)
	// GrantCredits adds credits. Errors: forbidden, invalid_input.
	GrantCredits(ctx context.Context, req GrantRequest) (*LedgerEntry, error)

	// ProvisionPhone buys a number or answers a pending approval.
	// Errors: invalid_input (campaign_checks: a compliance rule fails),
	// forbidden (an agent's override_checks), formation_incomplete, conflict,
	// insufficient_credits, no_matching_numbers, provider_error,
	// not_configured, not_found.
	ProvisionPhone(ctx context.Context, subjectID string, req ProvisionRequest) (*ProvisionResult, error)
	// ListPhones lists numbers, optionally of one agent. Errors: invalid_input, not_found.
	ListPhones(ctx context.Context, subjectID, agentID string, lp ListParams) (*List[Phone], error)
	// ListAllPhones lists the numbers of every subject of the mode, newest
	// first, optionally of one agent. Errors: invalid_input, forbidden
	// (a key bound to an agent).
	ListAllPhones(ctx context.Context, agentID string, lp ListParams) (*List[Phone], error)
	// GetPhone returns a number. Errors: not_found.
	GetPhone(ctx context.Context, subjectID, id string) (*Phone, error)
	// UpdatePhone relabels a number. Errors: invalid_input, not_found, conflict (released).
	UpdatePhone(ctx context.Context, subjectID, id string, patch PhonePatch) (*Phone, error)
	// ReleasePhone releases a number permanently. Errors: not_found, conflict, provider_error.
	ReleasePhone(ctx context.Context, subjectID, id string) (*Phone, error)
	// Preflight lists what provisioning needs and what is missing, before
	// anything is spent. Errors: not_found, forbidden (kit).
	Preflight(ctx context.Context, subjectID string, req ProvisionRequest) (*Preflight, error)
	// SearchNumbers lists numbers the carrier offers for sale now (the
	// subject matters for its kit and its brand's carrier account, through
	// which the carrier is searched). Errors: invalid_input, not_found,
	// forbidden (kit), conflict (no brand yet), provider_error, rate_limited.
	SearchNumbers(ctx context.Context, subjectID string, req NumberSearch) (*List[AvailableNumber], error)
	// PhoneCampaign returns a number's campaign. Errors: not_found.
	PhoneCampaign(ctx context.Context, subjectID, phoneID string) (*Campaign, error)
	// PhoneStatus returns the brand → campaign → numbers pipeline. Errors: not_found.
	PhoneStatus(ctx context.Context, subjectID string) (*PhoneStatus, error)
	// ResubmitCampaign sends the subject's rejected 10DLC campaign back to
	// the carrier's review: its campaign content with req's changes (kept
	// as the content), once the compliance rules pass; it returns the
	// campaign, now in_review. Free of charge. Errors: invalid_input
	// (campaign_checks), forbidden (an agent's override_checks),
	// not_found (no 10DLC campaign), conflict (not rejected),
	// not_configured, provider_error.
	ResubmitCampaign(ctx context.Context, subjectID string, req CampaignResubmission) (*Campaign, error)
	// ResendBrandVerification asks the carrier to text a sole proprietor's
	// contact the identity-verification message again (at most once a
	// minute). Errors: conflict (no brand awaiting verification),
	// rate_limited, not_configured, provider_error, not_found.
	ResendBrandVerification(ctx context.Context, subjectID string) (*BrandVerificationResend, error)
	// SubmitBrandVerification submits the one-time code the carrier texted
	// a sole proprietor's contact, on a carrier that verifies by code
	// (Brand.VerificationMethod "code"); the brand is verified at once and
	// its campaign registered by the next background pass. Errors:
	// invalid_input (param code: malformed, or refused by the carrier),
	// conflict (no brand awaiting a code), rate_limited (too many wrong
	// codes), not_configured, provider_error, not_found.
	SubmitBrandVerification(ctx context.Context, subjectID, code string) (*BrandVerificationSubmitted, error)
	// GetCampaignContent returns what the subject's 10DLC campaign submits:
	// the fields it set, defaults from its profile for the others.
	// Errors: not_found.
	GetCampaignContent(ctx context.Context, subjectID string) (*CampaignContent, error)
	// UpdateCampaignContent changes the subject's campaign content; an
	// empty field goes back to its default. Errors: invalid_input,
	// not_found, forbidden (role), conflict (the campaign is registered
	// and not rejected: the carrier holds it).
	UpdateCampaignContent(ctx context.Context, subjectID string, patch CampaignContentPatch) (*CampaignContent, error)

	// CreateKit stores an Account Kit. Errors: forbidden (not a human), invalid_input.
	CreateKit(ctx context.Context, req KitRequest) (*AccountKit, error)
	// GetKit returns a kit. Errors: not_found.
	GetKit(ctx context.Context, id string) (*AccountKit, error)
	// ListKits lists kits.
	ListKits(ctx context.Context, lp ListParams) (*List[AccountKit], error)
	// UpdateKit renames a kit or replaces the primitives it names. Errors: forbidden, invalid_input, not_found.
	UpdateKit(ctx context.Context, id string, req KitRequest) (*AccountKit, error)
	// DeleteKit deletes a kit. Errors: forbidden, not_found.
	DeleteKit(ctx context.Context, id string) error
	// AssignKit assigns a kit to a subject. Errors: forbidden, not_found.
	AssignKit(ctx context.Context, kitID, subjectID string) (*Subject, error)

	// ListApprovals lists approvals. Errors: invalid_input.
	ListApprovals(ctx context.Context, lp ApprovalListParams) (*List[Approval], error)
	// GetApproval returns an approval. Errors: not_found.
	GetApproval(ctx context.Context, id string) (*Approval, error)
	// ApproveApproval executes a pending approval once and returns it with
	// its result or error. Errors: forbidden, not_found, conflict (not
	// pending; or its requester's key was revoked or agent deleted and
	// req does not confirm), insufficient_credits (it stays pending).
	ApproveApproval(ctx context.Context, id string, req ApproveRequest) (*Approval, error)
	// DenyApproval refuses a pending approval. Errors: forbidden, not_found, conflict, invalid_input.
	DenyApproval(ctx context.Context, id string, req DenyRequest) (*Approval, error)

	// ListEvents lists stored events, optionally of one type. Errors: invalid_input.
	ListEvents(ctx context.Context, typ string, lp ListParams) (*List[Event], error)

	// SendSMS sends a text from a number. Errors: invalid_input, not_found,
	// forbidden, compliance_pending, conflict, insufficient_credits, provider_error.
	SendSMS(ctx context.Context, subjectID, phoneID string, req SendRequest) (*SendResult, error)
	// ListMessages lists a number's messages, newest first. Errors: not_found, forbidden.
	ListMessages(ctx context.Context, subjectID, phoneID string, lp ListParams) (*List[Message], error)
	// GetMessage returns a message. Errors: not_found, forbidden.
	GetMessage(ctx context.Context, subjectID, id string) (*Message, error)
	// CancelMessage cancels a scheduled text (never sent, never charged).
	// Errors: not_found, forbidden, conflict (not scheduled any more).
	CancelMessage(ctx context.Context, subjectID, id string) (*Message, error)
	// RecordConsent records a contact's opt-in on a number. Errors:
	// invalid_input, not_found, forbidden.
	RecordConsent(ctx context.Context, subjectID, phoneID, contact string, req ConsentRequest) (*PhoneContact, error)
	// ListContacts lists a number's contacts with their consent and
	// opt-out state. Errors: invalid_input, not_found, forbidden.
	ListContacts(ctx context.Context, subjectID, phoneID string, lp ListParams) (*List[PhoneContact], error)
	// NextMessage waits for the number's first inbound text after
	// req.After and returns it as soon as it is stored, or nil when
	// req.Timeout passes first (or the server stops). Errors:
	// invalid_input, not_found, forbidden, conflict (released number).
	NextMessage(ctx context.Context, subjectID, phoneID string, req NextMessageRequest) (*Message, error)
	// AssignAgent connects an agent to a number. Errors: invalid_input, not_found, forbidden.
	AssignAgent(ctx context.Context, subjectID, phoneID string, req AssignRequest) (*Assignment, error)
	// UnassignAgent disconnects an agent. Errors: not_found, forbidden.
	UnassignAgent(ctx context.Context, subjectID, phoneID, agentID string) error
	// ListAssignments lists a number's agents. Errors: not_found.
	ListAssignments(ctx context.Context, subjectID, phoneID string) (*List[Assignment], error)

	// CreateWebhook registers an endpoint; its secret is shown once. Errors: invalid_input.
	CreateWebhook(ctx context.Context, req WebhookRequest) (*WebhookEndpoint, error)
	// ListWebhooks lists endpoints.
	ListWebhooks(ctx context.Context, lp ListParams) (*List[WebhookEndpoint], error)
	// GetWebhook returns an endpoint (never its secret). Errors: not_found.
	GetWebhook(ctx context.Context, id string) (*WebhookEndpoint, error)
	// DeleteWebhook removes an endpoint. Errors: not_found.
	DeleteWebhook(ctx context.Context, id string) error
	// TestWebhook sends a test event now. Errors: not_found.
	TestWebhook(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries lists an endpoint's deliveries and attempts. Errors: not_found.
	ListDeliveries(ctx context.Context, id string, lp ListParams) (*List[Delivery], error)
	// ResendDelivery makes one more attempt of a finished delivery now and
	// answers it with that attempt. Errors: not_found, conflict (still
	// being retried).
	ResendDelivery(ctx context.Context, endpointID, deliveryID string) (*Delivery, error)
}
