package mcp

import (
	"context"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/hints"
	"github.com/naive-oss/naive/internal/naive"
)

// tools is every tool, in the order clients list them.
var tools = []tool{
	newStatusTool(),
	newPhoneProvisionTool(),
	newPhoneListTool(),
	newPhoneGetTool(),
	newPhoneStatusTool(),
	newPhoneReleaseTool(),
	newPhonePreflightTool(),
	newPhoneSearchTool(),
	newPhoneSendTool(),
	newPhoneMessagesTool(),
	newPhoneReadTool(),
	newPhoneWaitTool(),
	newPhoneCancelTool(),
	newPhoneContactsTool(),
	newPhoneRecordConsentTool(),
	newPhoneAssignTool(),
	newPhoneAssignmentsTool(),
	newCampaignResubmitTool(),
	newBrandVerificationResendTool(),
	newBrandVerificationSubmitTool(),
	newApprovalsListTool(),
	newApprovalsGetTool(),
	newSubjectsListTool(),
	newSubjectsGetTool(),
	newSubjectsCreateTool(),
	newSubjectsUpdateTool(),
	newCampaignContentGetTool(),
	newCampaignContentUpdateTool(),
	newFormationGetTool(),
	newFormationStartTool(),
	newCreditsGetTool(),
	newCreditsLedgerTool(),
	newEventsListTool(),
}

func ptr[T any](v T) *T { return &v }

// ProvisionInput is the input of naive_phone_provision: the body of
// POST /v1/phone/provision plus the subject to act for.
type ProvisionInput struct {
	EIN       string `json:"ein,omitempty" jsonschema:"the company's EIN, 9 digits, hyphen optional (12-3456789); required for the subject's first number, which registers the carrier brand; later numbers reuse it"`
	AreaCode  string `json:"area_code,omitempty" jsonschema:"3-digit US area code for the number (e.g. 415); for toll_free one of 800 833 844 855 866 877 888; omit for any"`
	Type      string `json:"type,omitempty" jsonschema:"local (default) or toll_free"`
	Label     string `json:"label,omitempty" jsonschema:"friendly name for the number, at most 64 characters (e.g. Support)"`
	AgentID   string `json:"agent_id,omitempty" jsonschema:"UUID of an existing agent to connect to the number"`
	E164      string `json:"e164,omitempty" jsonschema:"the exact number to buy (+14155551234), one naive_phone_search listed; omit for any number of the area code"`
	Carrier   string `json:"carrier,omitempty" jsonschema:"surge or telnyx: the carrier of the subject's first number (its brand's); omit for the server's default; later numbers follow the brand"`
	Tier      string `json:"tier,omitempty" jsonschema:"standard (default: a company with an EIN and a completed LLC formation) or sole_proprietor (one person without an LLC or EIN; the subject's contact.phone must be a US mobile, which the carrier texts to verify the owner: they reply YES on Surge, or the code it carries is submitted with naive_brand_verification_submit on Telnyx; one number per brand, lower throughput)"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) to act for; omit for the default subject"`
}

// ProvisionOutput is a provisioned number, or a pending approval.
type ProvisionOutput struct {
	Status           string    `json:"status" jsonschema:"provisioned: the number is bought and receives SMS now; pending_approval: a human must approve first and nothing was bought or charged"`
	Phone            *Phone    `json:"phone,omitempty" jsonschema:"the number bought (status provisioned)"`
	Campaign         *Campaign `json:"campaign,omitempty" jsonschema:"the carrier campaign that unlocks outbound SMS when active (status provisioned)"`
	CreditsUsed      int64     `json:"credits_used,omitempty" jsonschema:"credits charged for the number"`
	CreditsRemaining int64     `json:"credits_remaining,omitempty" jsonschema:"credit balance after the charge"`
	// BrandVerification is a sole proprietor's brand verification.
	BrandVerification string `json:"brand_verification,omitempty" jsonschema:"sole proprietors only: pending_otp until the owner confirms the carrier's verification text (the campaign is registered after it), then verified"`
	// BrandVerificationMethod says how the owner confirms it.
	BrandVerificationMethod string    `json:"brand_verification_method,omitempty" jsonschema:"while pending_otp: reply (the owner replies YES to the carrier's text: Surge) or code (the text carries a one-time code to submit with naive_brand_verification_submit: Telnyx)"`
	Approval                *Approval `json:"approval,omitempty" jsonschema:"the approval a human must grant (status pending_approval)"`
	NextStep                string    `json:"next_step" jsonschema:"what to do next"`
}

func newPhoneProvisionTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_provision",
		Title: "Provision a phone number",
		Description: "Buy a US phone number for the company (subject) this agent works for. Use it when the agent " +
			"needs its own number to receive or send SMS. The number receives SMS at once; sending unlocks when the " +
			"carrier approves the company's campaign (follow it with naive_phone_status). The subject's first number " +
			"needs the company's EIN and a completed LLC formation (see naive_status). Costs credits, charged only " +
			"when a number is bought. If the company's policy needs a human to approve, the result has status " +
			"pending_approval and an approval id: nothing was bought, do not call again; a human approves it. " +
			"Each call buys another number: do not retry a success.",
		Annotations: &sdk.ToolAnnotations{Title: "Provision a phone number", ReadOnlyHint: false,
			DestructiveHint: ptr(false), IdempotentHint: false, OpenWorldHint: ptr(true)},
	}, func(s *jsonschema.Schema) {
		s.Properties["type"].Enum = []any{naive.PhoneLocal, naive.PhoneTollFree}
		s.Properties["tier"].Enum = []any{naive.TierStandard, naive.TierSoleProprietor}
		s.Properties["carrier"].Enum = []any{naive.CarrierSurge, naive.CarrierTelnyx}
	}, func(ctx context.Context, svc naive.Service, in ProvisionInput) (*ProvisionOutput, error) {
		res, err := svc.ProvisionPhone(ctx, in.SubjectID, naive.ProvisionRequest{EIN: in.EIN, AreaCode: in.AreaCode,
			Type: in.Type, Label: in.Label, AgentID: in.AgentID, E164: in.E164, Tier: in.Tier, Carrier: in.Carrier})
		if err != nil {
			return nil, err
		}
		return provisionOutput(res), nil
	})
}

func provisionOutput(res *naive.ProvisionResult) *ProvisionOutput {
	if p := res.Pending; p != nil {
		return &ProvisionOutput{Status: "pending_approval",
			Approval: &Approval{ID: p.ApprovalID, Action: p.Action, Primitive: p.Primitive, Title: p.Title, Message: p.Message},
			NextStep: "A human must approve approval " + p.ApprovalID + "; nothing was bought or charged. Do not provision again; the approved request runs once. " +
				"Read its outcome later with naive_approvals_get."}
	}
	p := res.Provisioned
	ph := phoneOut(p.Phone)
	c := &Campaign{ID: p.Campaign.ID, Status: p.Campaign.Status}
	if p.Campaign.ETA != nil {
		c.ETA = *p.Campaign.ETA
	}
	next := fmt.Sprintf("The number %s receives SMS now. Outbound SMS unlocks when campaign %s is active: check naive_phone_status.", ph.E164, c.ID)
	if p.Phone.Capabilities.SMSOutbound {
		next = fmt.Sprintf("The number %s receives and sends SMS now.", ph.E164)
	}
	switch {
	case p.BrandVerification == naive.BrandVerificationPendingOTP && p.BrandVerificationMethod == naive.BrandVerifyCode:
		next = fmt.Sprintf("The number %s receives SMS now. The carrier texted a one-time code to the owner's mobile (the subject's contact.phone) "+
			"to verify them: ask them for it and submit it with naive_brand_verification_submit (naive_brand_verification_resend texts a new one). "+
			"The campaign is registered after that; outbound SMS unlocks when it is active: check naive_phone_status.", ph.E164)
	case p.BrandVerification == naive.BrandVerificationPendingOTP:
		next = fmt.Sprintf("The number %s receives SMS now. The carrier texted the owner's mobile (the subject's contact.phone) to verify them: "+
			"ask them to reply YES (naive_brand_verification_resend sends it again). The campaign is registered after that; "+
			"outbound SMS unlocks when it is active: check naive_phone_status.", ph.E164)
	}
	return &ProvisionOutput{Status: "provisioned", Phone: &ph, Campaign: c, CreditsUsed: p.CreditsUsed,
		CreditsRemaining: p.CreditsRemaining, BrandVerification: p.BrandVerification, BrandVerificationMethod: p.BrandVerificationMethod, NextStep: next}
}

// PhoneListInput is the input of naive_phone_list.
type PhoneListInput struct {
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
	AgentID   string `json:"agent_id,omitempty" jsonschema:"only numbers connected to this agent"`
	// AllSubjects lists every subject's numbers (not for agent-bound keys).
	AllSubjects bool   `json:"all_subjects,omitempty" jsonschema:"list the numbers of every subject (company) of the mode, each with its subject_id; not with subject_id, and refused for a key bound to an agent"`
	Limit       int    `json:"limit,omitempty" jsonschema:"page size, 1 to 200 (default 50)"`
	Cursor      string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read the next one"`
}

// PhoneListOutput is one page of numbers.
type PhoneListOutput struct {
	Phones     []Phone `json:"phones" jsonschema:"the numbers, newest first"`
	NextCursor string  `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read the next page; absent on the last page"`
}

func newPhoneListTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_list",
		Title: "List phone numbers",
		Description: "List the company's phone numbers with their capabilities (whether they can send SMS yet). " +
			"Use it to find a number's id or to check which numbers exist before provisioning another. " +
			"With all_subjects it lists the numbers of every company at once (operator keys only).",
		Annotations: &sdk.ToolAnnotations{Title: "List phone numbers", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in PhoneListInput) (*PhoneListOutput, error) {
		lp := naive.ListParams{Limit: in.Limit, Cursor: in.Cursor}
		var l *naive.List[naive.Phone]
		var err error
		switch {
		case in.AllSubjects && in.SubjectID != "":
			return nil, naive.InvalidParam("all_subjects", "Send subject_id or all_subjects, not both.")
		case in.AllSubjects:
			l, err = svc.ListAllPhones(ctx, in.AgentID, lp)
		default:
			l, err = svc.ListPhones(ctx, in.SubjectID, in.AgentID, lp)
		}
		if err != nil {
			return nil, err
		}
		out := &PhoneListOutput{Phones: make([]Phone, 0, len(l.Data))}
		for _, p := range l.Data {
			out.Phones = append(out.Phones, phoneOut(p))
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}

// PhoneIDInput names one number.
type PhoneIDInput struct {
	ID        string `json:"id" jsonschema:"the number's id (UUID), from naive_phone_list or naive_phone_provision"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

func newPhoneGetTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_get",
		Title: "Get a phone number",
		Description: "Get one phone number by id: its E.164 number, status and capabilities. Use it to check " +
			"whether a number can send SMS yet (capabilities.sms_outbound).",
		Annotations: &sdk.ToolAnnotations{Title: "Get a phone number", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in PhoneIDInput) (*Phone, error) {
		p, err := svc.GetPhone(ctx, in.SubjectID, in.ID)
		if err != nil {
			return nil, err
		}
		out := phoneOut(*p)
		return &out, nil
	})
}

func newPhoneReleaseTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_release",
		Title: "Release a phone number",
		Description: "Release a phone number permanently: it stops receiving SMS, its rental ends and it cannot be " +
			"recovered. Use it only when the company no longer needs the number and the user asked for it. " +
			"Credits are not refunded.",
		Annotations: &sdk.ToolAnnotations{Title: "Release a phone number", ReadOnlyHint: false,
			DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(true)},
	}, nil, func(ctx context.Context, svc naive.Service, in PhoneIDInput) (*Phone, error) {
		p, err := svc.ReleasePhone(ctx, in.SubjectID, in.ID)
		if err != nil {
			return nil, err
		}
		out := phoneOut(*p)
		return &out, nil
	})
}

// SubjectInput names the subject a read acts on.
type SubjectInput struct {
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
}

// PhoneStatusOutput is the brand → campaign → numbers pipeline.
type PhoneStatusOutput struct {
	SubjectID string     `json:"subject_id" jsonschema:"the subject (company)"`
	Formation Formation  `json:"formation" jsonschema:"the subject's LLC formation; numbers need it completed"`
	Brand     *Brand     `json:"brand,omitempty" jsonschema:"the carrier brand registered with the first number; absent before"`
	Campaigns []Campaign `json:"campaigns" jsonschema:"carrier campaigns; outbound SMS works once one is active"`
	Numbers   []Phone    `json:"numbers" jsonschema:"the subject's active numbers"`
	NextStep  string     `json:"next_step" jsonschema:"what to do next"`
}

func newPhoneStatusTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_status",
		Title: "Phone pipeline status",
		Description: "Show the company's phone pipeline: LLC formation → carrier brand → campaign (created, in_review, " +
			"active or rejected) → numbers, and the next step. Use it after provisioning to see when outbound SMS " +
			"unlocks, or to find out why a number cannot send yet.",
		Annotations: &sdk.ToolAnnotations{Title: "Phone pipeline status", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in SubjectInput) (*PhoneStatusOutput, error) {
		st, err := svc.PhoneStatus(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		out := &PhoneStatusOutput{SubjectID: st.SubjectID, Formation: formationOut(st.Formation), NextStep: hints.For(hints.MCP, st.NextStep),
			Campaigns: make([]Campaign, 0, len(st.Campaigns)), Numbers: make([]Phone, 0, len(st.Numbers))}
		if b := st.Brand; b != nil {
			out.Brand = &Brand{Status: b.Status, EIN: b.EIN, Tier: b.Tier, Verification: b.Verification, VerificationMethod: b.VerificationMethod, Carrier: b.Carrier}
		}
		for _, c := range st.Campaigns {
			out.Campaigns = append(out.Campaigns, campaignOut(c))
		}
		for _, p := range st.Numbers {
			out.Numbers = append(out.Numbers, phoneOut(p))
		}
		return out, nil
	})
}

// StatusOutput is the caller's situation at a glance.
type StatusOutput struct {
	Operator  Operator  `json:"operator" jsonschema:"the workspace the key belongs to, and who is calling"`
	Subject   Subject   `json:"subject" jsonschema:"the company the call acts for"`
	Formation Formation `json:"formation" jsonschema:"the subject's LLC formation; phone numbers need it completed"`
	Credits   Credits   `json:"credits" jsonschema:"the operator's credit balance in this mode"`
	NextStep  string    `json:"next_step" jsonschema:"what to do next"`
}

func newStatusTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_status",
		Title: "Account status",
		Description: "Show who this agent is acting as: the operator (workspace) and mode (test or live), the subject " +
			"(company) it acts for, the subject's LLC formation, and the credit balance. Use it first, to check the " +
			"key works and whether the company can get phone numbers.",
		Annotations: &sdk.ToolAnnotations{Title: "Account status", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in SubjectInput) (*StatusOutput, error) {
		who, err := svc.Whoami(ctx)
		if err != nil {
			return nil, err
		}
		subj, err := svc.GetSubject(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		cr, err := svc.Credits(ctx)
		if err != nil {
			return nil, err
		}
		out := &StatusOutput{
			Operator: Operator{ID: who.OperatorID, Mode: string(who.Mode), CallerKind: string(who.Kind), KeyID: who.KeyID,
				AgentID: who.AgentID, UserID: who.UserID},
			Subject: Subject{ID: subj.ID, LegalName: subj.LegalName, State: subj.State, IsDefault: subj.IsDefault},
			// The subject's own formation, as of now (a simulated filing may have completed).
			Formation: formationOut(subj.Formation),
			Credits:   Credits{Balance: cr.Balance, Mode: string(cr.Mode)},
		}
		switch {
		case out.Formation.Status != naive.FormationCompleted:
			out.NextStep = "The subject's LLC formation is " + out.Formation.Status + "; numbers need it completed (a human starts it)."
		case cr.Balance <= 0:
			out.NextStep = "The credit balance is empty; a human must grant credits before buying a number."
		default:
			out.NextStep = "Ready: naive_phone_provision buys a number (the first one needs the company's EIN)."
		}
		return out, nil
	})
}
