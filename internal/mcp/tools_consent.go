package mcp

import (
	"context"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/naive"
)

// Contact is one person a number may text (or who opted out), as tools
// show it.
type Contact struct {
	Contact     string `json:"contact" jsonschema:"the person's number, E.164"`
	Consent     string `json:"consent,omitempty" jsonschema:"how they opted in: express_written, express_oral, conversation (they texted first) or existing_customer; absent when the number holds no consent record"`
	EvidenceURL string `json:"evidence_url,omitempty" jsonschema:"link to the proof of consent"`
	Note        string `json:"note,omitempty" jsonschema:"the note kept with the consent"`
	ConsentAt   string `json:"consent_at,omitempty" jsonschema:"when the consent was last recorded (RFC 3339)"`
	OptedOut    bool   `json:"opted_out" jsonschema:"true when they replied STOP: nothing may be sent to them, whatever the consent, until they text START"`
}

func contactOut(c *naive.PhoneContact) Contact {
	out := Contact{Contact: c.Contact, OptedOut: c.OptedOut}
	if c.Consent != nil {
		out.Consent, out.EvidenceURL, out.Note, out.ConsentAt = c.Consent.Basis, c.Consent.EvidenceURL, c.Consent.Note, rfc3339(c.Consent.UpdatedAt)
	}
	return out
}

// ContactsInput is the input of naive_phone_contacts.
type ContactsInput struct {
	PhoneID   string `json:"phone_id" jsonschema:"id of the number (UUID), from naive_phone_list"`
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
	Limit     int    `json:"limit,omitempty" jsonschema:"page size, 1 to 200 (default 50)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

// ContactsOutput is one page of a number's contacts.
type ContactsOutput struct {
	Contacts   []Contact `json:"contacts" jsonschema:"the number's contacts, by number"`
	NextCursor string    `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page; absent on the last page"`
}

func newPhoneContactsTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_contacts",
		Title: "List a number's contacts",
		Description: "List the people a number may text — those it holds a consent record for, and how they opted in — " +
			"and those who opted out (STOP). Use it before texting someone when the company requires consent.",
		Annotations: &sdk.ToolAnnotations{Title: "List a number's contacts", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in ContactsInput) (*ContactsOutput, error) {
		l, err := svc.ListContacts(ctx, in.SubjectID, in.PhoneID, naive.ListParams{Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		out := &ContactsOutput{Contacts: make([]Contact, 0, len(l.Data))}
		for i := range l.Data {
			out.Contacts = append(out.Contacts, contactOut(&l.Data[i]))
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}

// RecordConsentInput is the input of naive_phone_record_consent.
type RecordConsentInput struct {
	PhoneID     string `json:"phone_id" jsonschema:"id of the number (UUID) that will text them"`
	Contact     string `json:"contact" jsonschema:"the person's number in E.164, e.g. +14155550123"`
	Basis       string `json:"basis" jsonschema:"how they opted in: express_written (in writing: a form, a checkbox), express_oral (by voice), existing_customer (a customer who gave this number for it) or conversation (they texted first)"`
	EvidenceURL string `json:"evidence_url,omitempty" jsonschema:"https link to the proof (the signed form, the recording), at most 500 characters"`
	Note        string `json:"note,omitempty" jsonschema:"a note kept with the record, at most 500 characters"`
	SubjectID   string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company) that owns the number; omit for the default subject"`
}

func newPhoneRecordConsentTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_record_consent",
		Title: "Record a contact's consent",
		Description: "Record how a person opted in to texts from a number, replacing the record it held: only when they " +
			"really did (the record is the company's evidence under the TCPA). Needs send_sms on the number. It does " +
			"not undo a STOP: only the person's START does.",
		Annotations: &sdk.ToolAnnotations{Title: "Record a contact's consent", ReadOnlyHint: false,
			DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(s *jsonschema.Schema) {
		bases := make([]any, len(naive.ConsentBases))
		for i, b := range naive.ConsentBases {
			bases[i] = b
		}
		s.Properties["basis"].Enum = bases
	}, func(ctx context.Context, svc naive.Service, in RecordConsentInput) (*Contact, error) {
		c, err := svc.RecordConsent(ctx, in.SubjectID, in.PhoneID, in.Contact,
			naive.ConsentRequest{Basis: in.Basis, EvidenceURL: in.EvidenceURL, Note: in.Note})
		if err != nil {
			return nil, err
		}
		out := contactOut(c)
		return &out, nil
	})
}

func newPhoneCancelTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_phone_cancel",
		Title: "Cancel a scheduled text",
		Description: "Cancel a text that quiet hours held as scheduled (naive_phone_send with schedule true) before it " +
			"goes: it is never sent nor charged. A text already sent cannot be called back (conflict).",
		Annotations: &sdk.ToolAnnotations{Title: "Cancel a scheduled text", ReadOnlyHint: false,
			DestructiveHint: ptr(true), IdempotentHint: false, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in MessageIDInput) (*Message, error) {
		m, err := svc.CancelMessage(ctx, in.SubjectID, in.ID)
		if err != nil {
			return nil, err
		}
		out := messageOut(m)
		return &out, nil
	})
}
