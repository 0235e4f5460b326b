package mcp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/naive"
)

// There is deliberately no approve or deny tool: only a human decides.
// Agents read approvals and wait.

// ApprovalRecord is an approval as the approvals tools show it.
type ApprovalRecord struct {
	ID          string          `json:"id" jsonschema:"the approval's id"`
	Status      string          `json:"status" jsonschema:"pending (waiting for a human), executed (approved and run: see result), failed (approved but the request failed: see failure), denied (see reason) or expired (no human decided in time)"`
	Action      string          `json:"action" jsonschema:"the gated action, e.g. phone.provision"`
	Primitive   string          `json:"primitive" jsonschema:"phone"`
	Title       string          `json:"title" jsonschema:"what the human is asked to approve"`
	SubjectID   string          `json:"subject_id" jsonschema:"the subject (company) the request acts for"`
	Cost        int64           `json:"cost" jsonschema:"credits that approving it spends"`
	Request     map[string]any  `json:"request,omitempty" jsonschema:"the frozen request that runs, once, if a human approves"`
	RequestedBy Actor           `json:"requested_by" jsonschema:"who asked"`
	CreatedAt   string          `json:"created_at" jsonschema:"when it was asked (RFC 3339)"`
	ExpiresAt   string          `json:"expires_at" jsonschema:"when a pending approval expires (RFC 3339)"`
	ResolvedBy  *Actor          `json:"resolved_by,omitempty" jsonschema:"the human who decided"`
	ResolvedAt  string          `json:"resolved_at,omitempty" jsonschema:"when it was decided or expired (RFC 3339)"`
	Reason      string          `json:"reason,omitempty" jsonschema:"why a human denied it"`
	Error       *ApprovalError  `json:"failure,omitempty" jsonschema:"why the approved request failed (status failed)"`
	Result      *ApprovalResult `json:"result,omitempty" jsonschema:"what the approved request produced (status executed)"`
}

// Actor is who did something.
type Actor struct {
	Type string `json:"actor_type" jsonschema:"agent (an API key) or human"`
	ID   string `json:"actor_id" jsonschema:"the key's or the human's id"`
}

// ApprovalError is the error an approved request ended with.
type ApprovalError struct {
	Code    string `json:"code" jsonschema:"error code, e.g. no_matching_numbers"`
	Message string `json:"message" jsonschema:"what went wrong"`
	Hint    string `json:"hint,omitempty" jsonschema:"what to do next"`
}

// ApprovalResult is the outcome of an executed phone.provision.
type ApprovalResult struct {
	Phone            *Phone    `json:"phone,omitempty" jsonschema:"the number bought"`
	Campaign         *Campaign `json:"campaign,omitempty" jsonschema:"the carrier campaign that unlocks outbound SMS when active"`
	CreditsUsed      int64     `json:"credits_used" jsonschema:"credits charged"`
	CreditsRemaining int64     `json:"credits_remaining" jsonschema:"credit balance after the charge"`
}

func approvalOut(a *naive.Approval) ApprovalRecord {
	out := ApprovalRecord{ID: a.ID, Status: a.Status, Action: a.Action, Primitive: a.Primitive, Title: a.Title,
		SubjectID: a.SubjectID, Cost: a.Cost, RequestedBy: Actor{Type: a.RequestedBy.Type, ID: a.RequestedBy.ID},
		CreatedAt: rfc3339(a.CreatedAt), ExpiresAt: rfc3339(a.ExpiresAt), Reason: a.Reason}
	if len(a.Payload) > 0 {
		var req map[string]any
		if json.Unmarshal(a.Payload, &req) == nil && len(req) > 0 {
			out.Request = req
		}
	}
	if a.ResolvedBy != nil {
		out.ResolvedBy = &Actor{Type: a.ResolvedBy.Type, ID: a.ResolvedBy.ID}
	}
	if a.ResolvedAt != nil {
		out.ResolvedAt = rfc3339(*a.ResolvedAt)
	}
	if e := a.Error; e != nil {
		out.Error = &ApprovalError{Code: e.Code, Message: e.Message, Hint: e.Hint}
	}
	if len(a.Result) > 0 && a.Action == "phone.provision" {
		var p naive.Provisioned
		if json.Unmarshal(a.Result, &p) == nil && p.Phone.ID != "" {
			ph := phoneOut(p.Phone)
			c := &Campaign{ID: p.Campaign.ID, Status: p.Campaign.Status}
			if p.Campaign.ETA != nil {
				c.ETA = *p.Campaign.ETA
			}
			out.Result = &ApprovalResult{Phone: &ph, Campaign: c, CreditsUsed: p.CreditsUsed, CreditsRemaining: p.CreditsRemaining}
		}
	}
	return out
}

// approvalNextStep tells the agent what an approval's status means for it.
func approvalNextStep(a ApprovalRecord) string {
	switch a.Status {
	case naive.ApprovalPending:
		return fmt.Sprintf("Waiting for a human (until %s). Do not send the request again; read this approval later with naive_approvals_get. A human approves it with `naive approvals approve %s`.", a.ExpiresAt, a.ID)
	case naive.ApprovalExecuted:
		if r := a.Result; r != nil && r.Phone != nil {
			return fmt.Sprintf("Approved and done: %s is the subject's number (id %s). Outbound SMS unlocks when its campaign is active (naive_phone_status).", r.Phone.E164, r.Phone.ID)
		}
		return "Approved and done: the result holds what the request produced."
	case naive.ApprovalFailed:
		return "A human approved it but the request failed (see failure); fix the cause, then send the request again."
	case naive.ApprovalDenied:
		return "A human denied it (see reason). Do not send the same request again unless the reason is addressed."
	case naive.ApprovalExpired:
		return "No human decided in time; nothing was done. Send the request again to ask anew."
	}
	return ""
}

// ApprovalsListInput is the input of naive_approvals_list.
type ApprovalsListInput struct {
	Status    string `json:"status,omitempty" jsonschema:"only approvals in this status; omit for all"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"only approvals of this subject (company); omit for every subject"`
	Limit     int    `json:"limit,omitempty" jsonschema:"page size, 1 to 200 (default 50)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read the next one"`
}

// ApprovalsListOutput is one page of approvals.
type ApprovalsListOutput struct {
	Approvals  []ApprovalRecord `json:"approvals" jsonschema:"the approvals, newest first"`
	NextCursor string           `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read the next page; absent on the last page"`
}

func newApprovalsListTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_approvals_list",
		Title: "List approvals",
		Description: "List the actions that waited for, or still wait for, a human's approval (newest first), e.g. to find " +
			"an approval id you lost or to see which of your requests are still pending. Filter with status (pending, " +
			"executed, failed, denied, expired). Agents cannot approve or deny: only a human does, outside this tool set.",
		Annotations: &sdk.ToolAnnotations{Title: "List approvals", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(s *jsonschema.Schema) {
		s.Properties["status"].Enum = []any{naive.ApprovalPending, naive.ApprovalExecuted, naive.ApprovalFailed, naive.ApprovalDenied, naive.ApprovalExpired}
	}, func(ctx context.Context, svc naive.Service, in ApprovalsListInput) (*ApprovalsListOutput, error) {
		l, err := svc.ListApprovals(ctx, naive.ApprovalListParams{Status: in.Status, SubjectID: in.SubjectID,
			ListParams: naive.ListParams{Limit: in.Limit, Cursor: in.Cursor}})
		if err != nil {
			return nil, err
		}
		out := &ApprovalsListOutput{Approvals: make([]ApprovalRecord, 0, len(l.Data))}
		for i := range l.Data {
			out.Approvals = append(out.Approvals, approvalOut(&l.Data[i]))
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}

// ApprovalIDInput names one approval.
type ApprovalIDInput struct {
	ID string `json:"id" jsonschema:"the approval's id, from a pending_approval answer (approval.id) or naive_approvals_list"`
}

// ApprovalOutput is one approval and what it means for the agent.
type ApprovalOutput struct {
	ApprovalRecord
	NextStep string `json:"next_step" jsonschema:"what to do next"`
}

func newApprovalsGetTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_approvals_get",
		Title: "Get an approval",
		Description: "Read one approval by id to learn whether a human decided it. Use it after a call answered " +
			"status pending_approval: pending means keep waiting (call again later, not in a tight loop; do not resend " +
			"the request); executed means the request ran once and result holds what it produced (e.g. the phone " +
			"number); failed carries the failure; denied carries the human's reason; expired means nothing was done.",
		Annotations: &sdk.ToolAnnotations{Title: "Get an approval", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in ApprovalIDInput) (*ApprovalOutput, error) {
		a, err := svc.GetApproval(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		rec := approvalOut(a)
		return &ApprovalOutput{ApprovalRecord: rec, NextStep: approvalNextStep(rec)}, nil
	})
}
