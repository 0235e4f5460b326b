package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/naive"
)

// Message is one SMS on a number, as tools show it.
type Message struct {
	ID            string `json:"id" jsonschema:"the message's id (UUID)"`
	PhoneID       string `json:"phone_id" jsonschema:"the number it was sent from or received on"`
	Direction     string `json:"direction" jsonschema:"inbound (received) or outbound (sent)"`
	From          string `json:"from" jsonschema:"sender, E.164"`
	To            string `json:"to" jsonschema:"recipient, E.164"`
	Body          string `json:"body" jsonschema:"the text"`
	Status        string `json:"status" jsonschema:"received (inbound); queued, sent, delivered or failed (outbound); scheduled (held by quiet hours, not charged yet) or canceled"`
	Segments      int    `json:"segments,omitempty" jsonschema:"SMS segments an outbound text took"`
	CreditsUsed   int64  `json:"credits_used,omitempty" jsonschema:"credits an outbound text cost"`
	FailureReason string `json:"failure_reason,omitempty" jsonschema:"why an outbound text failed"`
	// CarrierMessageID is the carrier's id of an outbound text.
	CarrierMessageID string       `json:"carrier_message_id,omitempty" jsonschema:"the carrier's id of the text, once it took it"`
	Attachments      []Attachment `json:"attachments,omitempty" jsonschema:"media of an MMS"`
	CreatedAt        string       `json:"created_at" jsonschema:"when it was stored (RFC 3339)"`
	ReceivedAt       string       `json:"received_at,omitempty" jsonschema:"when an inbound text arrived (RFC 3339)"`
	SentAt           string       `json:"sent_at,omitempty" jsonschema:"when the carrier sent it (RFC 3339)"`
	DeliveredAt      string       `json:"delivered_at,omitempty" jsonschema:"when the handset got it (RFC 3339)"`
	FailedAt         string       `json:"failed_at,omitempty" jsonschema:"when it failed (RFC 3339)"`
	Codes            []string     `json:"codes,omitempty" jsonschema:"one-time codes found in an inbound text's body (e.g. 482913 of 'Your verification code is 482913'), most likely first; absent when none"`
	ConsentBasis     string       `json:"consent_basis,omitempty" jsonschema:"the consent basis an outbound text was sent on (express_written, express_oral, conversation, existing_customer; none without a record)"`
	SendAt           string       `json:"send_at,omitempty" jsonschema:"when a scheduled text goes (RFC 3339)"`
	CanceledAt       string       `json:"canceled_at,omitempty" jsonschema:"when a scheduled text was canceled (RFC 3339)"`
}

// Attachment is a media item of a message.
type Attachment struct {
	Type string `json:"type,omitempty" jsonschema:"media type, e.g. image"`
	URL  string `json:"url" jsonschema:"where to fetch it"`
}

func messageOut(m *naive.Message) Message {
	out := Message{ID: m.ID, PhoneID: m.PhoneID, Direction: m.Direction, From: m.From, To: m.To, Body: m.Body, Status: m.Status,
		Segments: m.Segments, CreditsUsed: m.CreditsUsed, FailureReason: m.FailureReason, CarrierMessageID: m.CarrierID,
		CreatedAt: rfc3339(m.CreatedAt), ConsentBasis: m.ConsentBasis}
	if m.SendAt != nil {
		out.SendAt = rfc3339(*m.SendAt)
	}
	if m.CanceledAt != nil {
		out.CanceledAt = rfc3339(*m.CanceledAt)
	}
	if m.Direction == naive.DirectionInbound {
		if codes := naive.FindCodes(m.Body); len(codes) > 0 {
			out.Codes = codes
		}
	}
	if len(m.Attachments) > 0 {
		var as []Attachment
		if json.Unmarshal(m.Attachments, &as) == nil && len(as) > 0 {
			out.Attachments = as
		}
	}
	if m.ReceivedAt != nil {
		out.ReceivedAt = rfc3339(*m.ReceivedAt)
	}
	if m.SentAt != nil {
		out.SentAt = rfc3339(*m.SentAt)
	}
	if m.DeliveredAt != nil {
		out.DeliveredAt = rfc3339(*m.DeliveredAt)
	}
	if m.FailedAt != nil {
		out.FailedAt = rfc3339(*m.FailedAt)
	}
	return out
}

// SendInput is the input of naive_phone_send.
type SendInput struct {
	PhoneID   string `json:"phone_id" jsonschema:"id of the number to send from (UUID), from naive_phone_list"`
	To        string `json:"to" jsonschema:"recipient in E.164, e.g. +14155550123"`
	Body      string `json:"body" jsonschema:"the text; 160 GSM-7 or 70 Unicode characters make one segment, longer texts are split and each segment is charged"`
	Schedule  bool   `json:"schedule,omitempty" jsonschema:"when the text falls in the company's quiet hours (the recipient's night), schedule it for the window's start instead of refusing it; it is charged when it goes"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

// SendOutput is an accepted text.
type SendOutput struct {
	ID               string `json:"id" jsonschema:"the message's id; read its delivery status with naive_phone_read"`
	From             string `json:"from" jsonschema:"the sending number, E.164"`
	To               string `json:"to" jsonschema:"the recipient, E.164"`
	Status           string `json:"status" jsonschema:"queued: accepted; it moves to sent, then delivered or failed. scheduled: held by quiet hours until send_at (not charged yet)"`
	Segments         int    `json:"segments" jsonschema:"SMS segments the text takes"`
	CreditsUsed      int64  `json:"credits_used" jsonschema:"credits charged (per segment); 0 for a scheduled text until it goes"`
	CreditsRemaining int64  `json:"credits_remaining" jsonschema:"credit balance after the charge"`
	CarrierMessageID string `json:"carrier_message_id,omitempty" jsonschema:"the carrier's id of the text, once it took it"`
	ConsentBasis     string `json:"consent_basis,omitempty" jsonschema:"the consent basis the text went on; none when the number holds no consent record"`
	SendAt           string `json:"send_at,omitempty" jsonschema:"when a scheduled text goes (RFC 3339)"`
	NextStep         string `json:"next_step" jsonschema:"what to do next"`
}

func newPhoneSendTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_send",
		Title: "Send an SMS",
		Description: "Send an SMS from one of the company's numbers to a phone number, when the user or the task calls " +
			"for texting someone. It costs credits per segment. Outbound SMS works only once the number's carrier " +
			"campaign is active: before that the result is an error compliance_pending with details.campaign_status " +
			"and retryable true; nothing was sent or charged, so retry later (naive_phone_status shows the campaign). " +
			"A recipient who replied STOP is refused (conflict). The company's Account Kit may require consent: a recipient " +
			"without a consent record is refused (conflict, reason consent_required; record it with " +
			"naive_phone_record_consent). It may set quiet hours in the recipient's local time: outside them the text is " +
			"refused (conflict, reason quiet_hours, details.retry_at), or with schedule true kept as scheduled and sent " +
			"and charged at send_at (naive_phone_cancel cancels it before). Each call sends another text: do not retry a success.",
		Annotations: &sdk.ToolAnnotations{Title: "Send an SMS", ReadOnlyHint: false,
			DestructiveHint: ptr(false), IdempotentHint: false, OpenWorldHint: ptr(true)},
	}, nil, func(ctx context.Context, svc naive.Service, in SendInput) (*SendOutput, error) {
		r, err := svc.SendSMS(ctx, in.SubjectID, in.PhoneID, naive.SendRequest{To: in.To, Body: in.Body, Schedule: in.Schedule})
		if err != nil {
			return nil, err
		}
		out := &SendOutput{ID: r.ID, From: r.From, To: r.To, Status: r.Status, Segments: r.Segments, CreditsUsed: r.CreditsUsed,
			CreditsRemaining: r.CreditsRemaining, CarrierMessageID: r.CarrierMessageID, ConsentBasis: r.ConsentBasis,
			NextStep: fmt.Sprintf("The text is queued. naive_phone_read with id %s shows when it is delivered or why it failed.", r.ID)}
		if r.SendAt != nil {
			out.SendAt = rfc3339(*r.SendAt)
		}
		if r.Status == naive.MessageScheduled {
			out.NextStep = fmt.Sprintf("The text is scheduled for %s, the start of the recipient's allowed hours, and is charged then. naive_phone_cancel with id %s cancels it before.", out.SendAt, r.ID)
		}
		return out, nil
	})
}

// MessagesInput is the input of naive_phone_messages.
type MessagesInput struct {
	PhoneID   string `json:"phone_id" jsonschema:"id of the number (UUID), from naive_phone_list"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
	Limit     int    `json:"limit,omitempty" jsonschema:"page size, 1 to 200 (default 50)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read older messages"`
}

// MessagesOutput is one page of a number's messages.
type MessagesOutput struct {
	Messages   []Message `json:"messages" jsonschema:"the messages, received and sent, newest first"`
	NextCursor string    `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read older messages; absent on the last page"`
}

func newPhoneMessagesTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_messages",
		Title: "List a number's messages",
		Description: "List the SMS a number received and sent, newest first: use it to read replies and incoming texts " +
			"(e.g. a verification code sent to the number). The number receives texts as soon as it is provisioned.",
		Annotations: &sdk.ToolAnnotations{Title: "List a number's messages", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in MessagesInput) (*MessagesOutput, error) {
		l, err := svc.ListMessages(ctx, in.SubjectID, in.PhoneID, naive.ListParams{Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		out := &MessagesOutput{Messages: make([]Message, 0, len(l.Data))}
		for i := range l.Data {
			out.Messages = append(out.Messages, messageOut(&l.Data[i]))
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}

// WaitInput is the input of naive_phone_wait_for_text.
type WaitInput struct {
	PhoneID        string `json:"phone_id" jsonschema:"id of the number (UUID), from naive_phone_list"`
	After          string `json:"after,omitempty" jsonschema:"id of the last message you read on the number (from naive_phone_messages or a previous wait): the answer is the first inbound text after it, even one that already arrived; omit to wait for the next text to arrive"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty" jsonschema:"how long to wait, 1 to 60 seconds (default 30)"`
	SubjectID      string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

// WaitOutput is the text that arrived, or none.
type WaitOutput struct {
	Received bool     `json:"received" jsonschema:"true when a text arrived; false when the wait timed out"`
	Message  *Message `json:"message,omitempty" jsonschema:"the inbound text (when received)"`
	Codes    []string `json:"codes" jsonschema:"one-time codes found in the text (e.g. 482913, or G-123456 and 123456), most likely first; empty when none or nothing arrived"`
	NextStep string   `json:"next_step" jsonschema:"what to do next"`
}

func newPhoneWaitTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_wait_for_text",
		Title: "Wait for a text",
		Description: "Wait until the number receives an inbound SMS and return it with the one-time codes found in it: " +
			"use it right after triggering a verification code (a sign-up, a login) instead of polling " +
			"naive_phone_messages. It returns as soon as the text arrives, or received false after timeout_seconds " +
			"(default 30, at most 60): then call it again with the same after. Pass after (the id of the last message " +
			"you read) so a text that arrived before this call is not missed.",
		Annotations: &sdk.ToolAnnotations{Title: "Wait for a text", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in WaitInput) (*WaitOutput, error) {
		m, err := svc.NextMessage(ctx, in.SubjectID, in.PhoneID,
			naive.NextMessageRequest{After: in.After, Timeout: time.Duration(in.TimeoutSeconds) * time.Second})
		if err != nil {
			return nil, err
		}
		if m == nil {
			after := in.After
			if after == "" {
				after = "the id of the newest message (naive_phone_messages)"
			}
			return &WaitOutput{Codes: []string{}, NextStep: fmt.Sprintf("No text arrived yet. Call naive_phone_wait_for_text again with after %s to keep waiting.", after)}, nil
		}
		msg := messageOut(m)
		out := &WaitOutput{Received: true, Message: &msg, Codes: naive.FindCodes(m.Body)}
		switch len(out.Codes) {
		case 0:
			out.NextStep = fmt.Sprintf("The text carries no code. To wait for the next one, call again with after %s.", m.ID)
		default:
			out.NextStep = fmt.Sprintf("Use the code %s. To wait for the next text, call again with after %s.", out.Codes[0], m.ID)
		}
		return out, nil
	})
}

// MessageIDInput names one message.
type MessageIDInput struct {
	ID        string `json:"id" jsonschema:"the message's id (UUID), from naive_phone_messages or naive_phone_send"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

func newPhoneReadTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_read",
		Title: "Read a message",
		Description: "Read one SMS by id: its full body, and for a text you sent its delivery status (queued, sent, " +
			"delivered or failed, with the failure reason).",
		Annotations: &sdk.ToolAnnotations{Title: "Read a message", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in MessageIDInput) (*Message, error) {
		m, err := svc.GetMessage(ctx, in.SubjectID, in.ID)
		if err != nil {
			return nil, err
		}
		out := messageOut(m)
		return &out, nil
	})
}

// Assignment connects an agent to a number.
type Assignment struct {
	PhoneID     string   `json:"phone_id" jsonschema:"the number"`
	AgentID     string   `json:"agent_id" jsonschema:"the agent"`
	Permissions []string `json:"permissions" jsonschema:"send_sms and/or receive_sms"`
	CreatedAt   string   `json:"created_at" jsonschema:"when it was assigned (RFC 3339)"`
}

func assignmentOut(a *naive.Assignment) Assignment {
	perms := a.Permissions
	if perms == nil {
		perms = []string{}
	}
	return Assignment{PhoneID: a.PhoneID, AgentID: a.AgentID, Permissions: perms, CreatedAt: rfc3339(a.CreatedAt)}
}

// AssignInput is the input of naive_phone_assign.
type AssignInput struct {
	PhoneID     string   `json:"phone_id" jsonschema:"id of the number (UUID)"`
	AgentID     string   `json:"agent_id" jsonschema:"id of the agent (UUID) to connect"`
	Permissions []string `json:"permissions,omitempty" jsonschema:"send_sms lets the agent's keys send from the number; receive_sms lets them read its messages and sends its inbound texts to the agent's webhook; omit for both"`
	SubjectID   string   `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

func newPhoneAssignTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_assign",
		Title: "Connect an agent to a number",
		Description: "Connect an agent to a number with permissions send_sms and/or receive_sms, so keys bound to that " +
			"agent can send from it or read its texts (and the agent's webhook gets its inbound texts). Assigning an " +
			"agent again replaces its permissions on the number. Keys bound to an agent cannot assign (forbidden).",
		Annotations: &sdk.ToolAnnotations{Title: "Connect an agent to a number", ReadOnlyHint: false,
			DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(s *jsonschema.Schema) {
		perms := s.Properties["permissions"]
		perms.Types, perms.Type = nil, "array"
		perms.Items.Enum = []any{naive.PermSendSMS, naive.PermReceiveSMS}
	}, func(ctx context.Context, svc naive.Service, in AssignInput) (*Assignment, error) {
		a, err := svc.AssignAgent(ctx, in.SubjectID, in.PhoneID, naive.AssignRequest{AgentID: in.AgentID, Permissions: in.Permissions})
		if err != nil {
			return nil, err
		}
		out := assignmentOut(a)
		return &out, nil
	})
}

// PhoneIDOnlyInput names a number by phone_id.
type PhoneIDOnlyInput struct {
	PhoneID   string `json:"phone_id" jsonschema:"id of the number (UUID)"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

// AssignmentsOutput lists a number's agents.
type AssignmentsOutput struct {
	Assignments []Assignment `json:"assignments" jsonschema:"the agents connected to the number and their permissions"`
}

func newPhoneAssignmentsTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_assignments",
		Title: "List a number's agents",
		Description: "List the agents connected to a number and their permissions (send_sms, receive_sms). Use it to " +
			"check why an agent's key is refused (forbidden) on a number.",
		Annotations: &sdk.ToolAnnotations{Title: "List a number's agents", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in PhoneIDOnlyInput) (*AssignmentsOutput, error) {
		l, err := svc.ListAssignments(ctx, in.SubjectID, in.PhoneID)
		if err != nil {
			return nil, err
		}
		out := &AssignmentsOutput{Assignments: make([]Assignment, 0, len(l.Data))}
		for i := range l.Data {
			out.Assignments = append(out.Assignments, assignmentOut(&l.Data[i]))
		}
		return out, nil
	})
}

// PreflightInput is the input of naive_phone_preflight: the provision
// fields that matter before buying.
type PreflightInput struct {
	EIN       string `json:"ein,omitempty" jsonschema:"the company's EIN you would provision with (the first number needs it)"`
	AreaCode  string `json:"area_code,omitempty" jsonschema:"the area code you would ask for"`
	Type      string `json:"type,omitempty" jsonschema:"local (default) or toll_free"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
}

// PreflightCheck is one requirement of provisioning.
type PreflightCheck struct {
	Check  string `json:"check" jsonschema:"what is checked: request, carrier, formation, ein, profile or credits"`
	OK     bool   `json:"ok" jsonschema:"whether it is met"`
	Field  string `json:"field,omitempty" jsonschema:"the input or profile field concerned"`
	Detail string `json:"detail" jsonschema:"what was found"`
	Fix    string `json:"fix,omitempty" jsonschema:"how to meet it (often a human's task)"`
}

// PreflightOutput says whether provisioning would pass and what to fix.
type PreflightOutput struct {
	SubjectID        string           `json:"subject_id" jsonschema:"the subject (company) checked"`
	Ready            bool             `json:"ready" jsonschema:"true when naive_phone_provision with the same input would pass every check"`
	ApprovalRequired bool             `json:"approval_required" jsonschema:"whether a provision by this agent waits for a human's approval"`
	Price            int64            `json:"price" jsonschema:"credits a number costs"`
	Balance          int64            `json:"balance" jsonschema:"credits available"`
	FieldsNeeded     []string         `json:"fields_needed" jsonschema:"legal profile fields the carriers need that are missing"`
	Checks           []PreflightCheck `json:"checks" jsonschema:"every check, met or not, with its fix"`
	CampaignChecks   []CampaignCheck  `json:"campaign_checks" jsonschema:"the compliance rules run on the campaign content the provision would register (none when it registers none)"`
	NextStep         string           `json:"next_step" jsonschema:"what to do next"`
}

func newPhonePreflightTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_preflight",
		Title: "Check before provisioning",
		Description: "Check, before anything is bought or charged, whether naive_phone_provision would pass for the " +
			"company: LLC formation, EIN, the legal profile the carriers need, credits, carrier, and whether a human " +
			"must approve. Use it before provisioning on a new subject, or after a provision failed, to get the list of " +
			"fixes.",
		Annotations: &sdk.ToolAnnotations{Title: "Check before provisioning", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(s *jsonschema.Schema) {
		s.Properties["type"].Enum = []any{naive.PhoneLocal, naive.PhoneTollFree}
	}, func(ctx context.Context, svc naive.Service, in PreflightInput) (*PreflightOutput, error) {
		pf, err := svc.Preflight(ctx, in.SubjectID, naive.ProvisionRequest{EIN: in.EIN, AreaCode: in.AreaCode, Type: in.Type})
		if err != nil {
			return nil, err
		}
		out := &PreflightOutput{SubjectID: pf.SubjectID, Ready: pf.Ready, ApprovalRequired: pf.ApprovalRequired, Price: pf.Price,
			Balance: pf.Balance, FieldsNeeded: append([]string{}, pf.FieldsNeeded...), Checks: make([]PreflightCheck, 0, len(pf.Checks))}
		out.CampaignChecks = campaignChecksOut(pf.CampaignChecks)
		failed := 0
		for _, c := range pf.Checks {
			out.Checks = append(out.Checks, PreflightCheck{Check: c.Check, OK: c.OK, Field: c.Field, Detail: c.Detail, Fix: c.Fix})
			if !c.OK {
				failed++
			}
		}
		switch {
		case !pf.Ready:
			out.NextStep = fmt.Sprintf("%d checks fail: apply their fixes (most are a human's: the legal profile, the formation, credits), then check again.", failed)
		case pf.ApprovalRequired:
			out.NextStep = "Ready. naive_phone_provision with the same input will wait for a human's approval (status pending_approval)."
		default:
			out.NextStep = "Ready: naive_phone_provision with the same input buys the number."
		}
		return out, nil
	})
}
