package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/naive-oss/naive/internal/naive"
)

// The onboarding tools let an agent bring a new company (a subject) to its
// first number by itself: create the subject, fill its legal profile from
// naive_phone_preflight's fields_needed, start its formation, watch the
// credits and the events. They are the same service calls as the REST
// API's; what an agent may not do (attest a live LLC, grant credits)
// answers the service's forbidden, with a hint.

// AddressFields is a postal address.
type AddressFields struct {
	Line1      string `json:"line1" jsonschema:"street address"`
	Line2      string `json:"line2,omitempty" jsonschema:"apartment, suite, floor (optional)"`
	City       string `json:"city" jsonschema:"city"`
	Region     string `json:"region" jsonschema:"two-letter US state code, e.g. CA"`
	PostalCode string `json:"postal_code" jsonschema:"US ZIP code, e.g. 94105"`
	Country    string `json:"country" jsonschema:"US"`
}

// ContactFields is the company's contact person.
type ContactFields struct {
	FirstName string `json:"first_name" jsonschema:"first name"`
	LastName  string `json:"last_name" jsonschema:"last name"`
	Email     string `json:"email" jsonschema:"email address"`
	Phone     string `json:"phone" jsonschema:"phone number in E.164 form, e.g. +14155550100"`
	Title     string `json:"title" jsonschema:"one of ceo, cfo, director, gm, vp, general_counsel, other"`
}

// ProfileFields is a subject's legal profile, as the carriers register it.
type ProfileFields struct {
	LegalName        string         `json:"legal_name,omitempty" jsonschema:"the company's legal name, e.g. Acme Robotics LLC"`
	State            string         `json:"state,omitempty" jsonschema:"two-letter US state where the company is formed, e.g. DE"`
	Website          string         `json:"website,omitempty" jsonschema:"the company's website, an http(s) URL"`
	Industry         string         `json:"industry,omitempty" jsonschema:"the carrier's industry, e.g. technology, retail, healthcare, professional_services"`
	PrivacyPolicyURL string         `json:"privacy_policy_url,omitempty" jsonschema:"URL of the privacy policy"`
	TermsURL         string         `json:"terms_url,omitempty" jsonschema:"URL of the terms of service"`
	Address          *AddressFields `json:"address,omitempty" jsonschema:"the company's address (replaced whole when given)"`
	Contact          *ContactFields `json:"contact,omitempty" jsonschema:"the contact person (replaced whole when given)"`
}

// FormationRecord is a subject's LLC formation.
type FormationRecord struct {
	SubjectID  string `json:"subject_id" jsonschema:"the subject (company)"`
	Status     string `json:"status" jsonschema:"not_started, submitted, formation_completed or failed"`
	EntityType string `json:"entity_type,omitempty" jsonschema:"LLC"`
	State      string `json:"state,omitempty" jsonschema:"state of formation"`
	LegalName  string `json:"legal_name,omitempty" jsonschema:"legal name as formed"`
	FormedAt   string `json:"formed_at,omitempty" jsonschema:"when it was formed (RFC 3339)"`
	NextStep   string `json:"next_step" jsonschema:"what to do next"`
}

// SubjectRecord is a subject (a company the agents act for).
type SubjectRecord struct {
	ID           string          `json:"id" jsonschema:"the subject's id (UUID): pass it as subject_id to the other tools"`
	IsDefault    bool            `json:"is_default" jsonschema:"whether it is the operator's default subject (calls without subject_id act on it)"`
	Profile      ProfileFields   `json:"profile" jsonschema:"the legal profile"`
	Formation    FormationRecord `json:"formation" jsonschema:"its LLC formation"`
	AccountKitID string          `json:"account_kit_id,omitempty" jsonschema:"its Account Kit (policy), if any"`
	CreatedAt    string          `json:"created_at" jsonschema:"when it was created (RFC 3339)"`
}

func profileOut(p naive.SubjectProfile) ProfileFields {
	return ProfileFields{LegalName: p.LegalName, State: p.State, Website: p.Website, Industry: p.Industry,
		PrivacyPolicyURL: p.PrivacyPolicyURL, TermsURL: p.TermsURL,
		Address: &AddressFields{Line1: p.Address.Line1, Line2: p.Address.Line2, City: p.Address.City, Region: p.Address.Region,
			PostalCode: p.Address.PostalCode, Country: p.Address.Country},
		Contact: &ContactFields{FirstName: p.Contact.FirstName, LastName: p.Contact.LastName, Email: p.Contact.Email,
			Phone: p.Contact.Phone, Title: p.Contact.Title}}
}

func formationRecord(subjectID string, f naive.Formation) FormationRecord {
	out := FormationRecord{SubjectID: subjectID, Status: f.Status, EntityType: f.EntityType, State: f.State, LegalName: f.LegalName}
	if f.FormedAt != nil {
		out.FormedAt = rfc3339(*f.FormedAt)
	}
	switch f.Status {
	case naive.FormationNotStarted, "":
		out.NextStep = "Start the LLC formation with naive_formation_start (test mode files it in seconds; live mode needs a human to attest an existing LLC)."
	case naive.FormationSubmitted:
		out.NextStep = "The formation is filed: check again with naive_formation_get until it is formation_completed."
	case naive.FormationCompleted:
		out.NextStep = "The LLC is formed: check naive_phone_preflight with subject_id " + subjectID + ", then naive_phone_provision."
	default:
		out.NextStep = "The formation failed: a human must look at the subject in the console."
	}
	return out
}

func subjectOut(s *naive.Subject) SubjectRecord {
	return SubjectRecord{ID: s.ID, IsDefault: s.IsDefault, Profile: profileOut(s.SubjectProfile),
		Formation: formationRecord(s.ID, s.Formation), AccountKitID: s.AccountKitID, CreatedAt: rfc3339(s.CreatedAt)}
}

// SubjectIDInput names a subject, or the default one.
type SubjectIDInput struct {
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
}

// PageInput is one page of a list.
type PageInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, 1 to 200 (default 50)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read the next one"`
}

// SubjectsListOutput is one page of subjects.
type SubjectsListOutput struct {
	Subjects   []SubjectRecord `json:"subjects" jsonschema:"the subjects"`
	NextCursor string          `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read the next page; absent on the last page"`
}

func newSubjectsListTool() tool {
	return newTool(sdk.Tool{
		Name:        "naive_subjects_list",
		Title:       "List subjects",
		Description: "List the companies (subjects) this operator's agents act for, with their formation. Use it to find a subject's id before acting for it.",
		Annotations: &sdk.ToolAnnotations{Title: "List subjects", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in PageInput) (*SubjectsListOutput, error) {
		l, err := svc.ListSubjects(ctx, naive.ListParams{Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		out := &SubjectsListOutput{Subjects: make([]SubjectRecord, 0, len(l.Data))}
		for i := range l.Data {
			out.Subjects = append(out.Subjects, subjectOut(&l.Data[i]))
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}

func newSubjectsGetTool() tool {
	return newTool(sdk.Tool{
		Name:        "naive_subjects_get",
		Title:       "Get a subject",
		Description: "Read a company's (subject's) legal profile and formation. Omit subject_id for the default subject.",
		Annotations: &sdk.ToolAnnotations{Title: "Get a subject", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in SubjectIDInput) (*SubjectRecord, error) {
		s, err := svc.GetSubject(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		out := subjectOut(s)
		return &out, nil
	})
}

func (p ProfileFields) profile() naive.SubjectProfile {
	out := naive.SubjectProfile{LegalName: p.LegalName, State: p.State, Website: p.Website, Industry: p.Industry,
		PrivacyPolicyURL: p.PrivacyPolicyURL, TermsURL: p.TermsURL}
	if a := p.Address; a != nil {
		out.Address = naive.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	if c := p.Contact; c != nil {
		out.Contact = naive.Contact{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone, Title: c.Title}
	}
	return out
}

func newSubjectsCreateTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_subjects_create",
		Title: "Create a subject",
		Description: "Create a company (subject) for the agents to act for, with its legal profile (legal_name at least; " +
			"the carriers need the rest before a number: naive_phone_preflight lists what is missing). Then start its " +
			"formation (naive_formation_start). Each call creates another subject: do not retry a success.",
		Annotations: &sdk.ToolAnnotations{Title: "Create a subject", ReadOnlyHint: false, DestructiveHint: ptr(false),
			IdempotentHint: false, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in ProfileFields) (*SubjectRecord, error) {
		s, err := svc.CreateSubject(ctx, in.profile())
		if err != nil {
			return nil, err
		}
		out := subjectOut(s)
		return &out, nil
	})
}

// SubjectUpdateInput changes parts of a subject's profile.
type SubjectUpdateInput struct {
	SubjectID string `json:"subject_id" jsonschema:"UUID of the subject (company) to change"`
	ProfileFields
}

func newSubjectsUpdateTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_subjects_update",
		Title: "Update a subject's profile",
		Description: "Fill in or correct a company's legal profile: only the fields given change (address and contact " +
			"are replaced whole). Use it with the fields_needed of naive_phone_preflight. The legal name and state " +
			"cannot change once the formation is filed.",
		Annotations: &sdk.ToolAnnotations{Title: "Update a subject's profile", ReadOnlyHint: false, DestructiveHint: ptr(false),
			IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, func(s *jsonschema.Schema) { s.Required = []string{"subject_id"} }, func(ctx context.Context, svc naive.Service, in SubjectUpdateInput) (*SubjectRecord, error) {
		var patch naive.SubjectPatch
		set := func(dst **string, v string) {
			if v != "" {
				*dst = &v
			}
		}
		set(&patch.LegalName, in.LegalName)
		set(&patch.State, in.State)
		set(&patch.Website, in.Website)
		set(&patch.Industry, in.Industry)
		set(&patch.PrivacyPolicyURL, in.PrivacyPolicyURL)
		set(&patch.TermsURL, in.TermsURL)
		p := in.profile()
		if in.Address != nil {
			patch.Address = &p.Address
		}
		if in.Contact != nil {
			patch.Contact = &p.Contact
		}
		s, err := svc.UpdateSubject(ctx, in.SubjectID, patch)
		if err != nil {
			return nil, err
		}
		out := subjectOut(s)
		return &out, nil
	})
}

func newFormationGetTool() tool {
	return newTool(sdk.Tool{
		Name:        "naive_formation_get",
		Title:       "Get a subject's formation",
		Description: "Read a company's LLC formation: a number needs it formation_completed. Omit subject_id for the default subject.",
		Annotations: &sdk.ToolAnnotations{Title: "Get a subject's formation", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in SubjectIDInput) (*FormationRecord, error) {
		s, err := svc.GetSubject(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		f, err := svc.GetFormation(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		out := formationRecord(s.ID, *f)
		return &out, nil
	})
}

// FormationStartInput starts a subject's formation.
type FormationStartInput struct {
	SubjectID string `json:"subject_id,omitempty" jsonschema:"UUID of the subject (company); omit for the default subject"`
	State     string `json:"state,omitempty" jsonschema:"two-letter US state to form the LLC in, e.g. DE (default: the subject's state)"`
}

func newFormationStartTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_formation_start",
		Title: "Start a subject's formation",
		Description: "File a company's LLC formation. In test mode the filing is simulated and completes within seconds " +
			"(check with naive_formation_get); in live mode an existing LLC must be attested by a human, and this tool " +
			"answers with what to ask them. A second start is refused (conflict).",
		Annotations: &sdk.ToolAnnotations{Title: "Start a subject's formation", ReadOnlyHint: false, DestructiveHint: ptr(false),
			IdempotentHint: false, OpenWorldHint: ptr(true)},
	}, nil, func(ctx context.Context, svc naive.Service, in FormationStartInput) (*FormationRecord, error) {
		s, err := svc.GetSubject(ctx, in.SubjectID)
		if err != nil {
			return nil, err
		}
		state := in.State
		if state == "" {
			state = s.State
		}
		f, err := svc.StartFormation(ctx, s.ID, naive.FormationRequest{EntityType: "LLC", State: strings.ToUpper(state)})
		if err != nil {
			return nil, err
		}
		out := formationRecord(s.ID, *f)
		return &out, nil
	})
}

// CreditsOutput is the balance.
type CreditsOutput struct {
	Balance  int64  `json:"balance" jsonschema:"credits available in this mode"`
	Mode     string `json:"mode" jsonschema:"test or live"`
	NextStep string `json:"next_step" jsonschema:"what the balance allows"`
}

func newCreditsGetTool() tool {
	return newTool(sdk.Tool{
		Name:        "naive_credits_get",
		Title:       "Get the credit balance",
		Description: "Read the operator's credit balance in this key's mode. Numbers and texts are paid in credits; only a human grants more.",
		Annotations: &sdk.ToolAnnotations{Title: "Get the credit balance", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, _ struct{}) (*CreditsOutput, error) {
		c, err := svc.Credits(ctx)
		if err != nil {
			return nil, err
		}
		next := fmt.Sprintf("%d credits available; naive_phone_preflight shows a number's price.", c.Balance)
		if c.Balance <= 0 {
			next = "No credits left: ask a human of the operator to grant some (in the console, or with the CLI)."
		}
		return &CreditsOutput{Balance: c.Balance, Mode: string(c.Mode), NextStep: next}, nil
	})
}

// LedgerRecord is one credit movement.
type LedgerRecord struct {
	ID           string `json:"id" jsonschema:"the entry's id"`
	Amount       int64  `json:"amount" jsonschema:"credits added (positive) or charged (negative)"`
	BalanceAfter int64  `json:"balance_after" jsonschema:"the balance after it"`
	Reason       string `json:"reason" jsonschema:"grant, phone.provision, phone.provision.refund, sms.send or sms.send.refund"`
	ReferenceID  string `json:"reference_id,omitempty" jsonschema:"the number or text it was for"`
	Memo         string `json:"memo,omitempty" jsonschema:"a grant's memo"`
	CreatedAt    string `json:"created_at" jsonschema:"when (RFC 3339)"`
}

// LedgerOutput is one page of the ledger.
type LedgerOutput struct {
	Entries    []LedgerRecord `json:"entries" jsonschema:"the entries, newest first"`
	NextCursor string         `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read the next page; absent on the last page"`
}

func newCreditsLedgerTool() tool {
	return newTool(sdk.Tool{
		Name:        "naive_credits_ledger",
		Title:       "List credit movements",
		Description: "List the credit ledger, newest first: every grant, charge and refund, each linked to the number or text it was for.",
		Annotations: &sdk.ToolAnnotations{Title: "List credit movements", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in PageInput) (*LedgerOutput, error) {
		l, err := svc.Ledger(ctx, naive.ListParams{Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		out := &LedgerOutput{Entries: make([]LedgerRecord, 0, len(l.Data))}
		for _, e := range l.Data {
			out.Entries = append(out.Entries, LedgerRecord{ID: e.ID, Amount: e.Amount, BalanceAfter: e.BalanceAfter, Reason: e.Reason,
				ReferenceID: e.ReferenceID, Memo: e.Memo, CreatedAt: rfc3339(e.CreatedAt)})
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}

// EventsListInput filters the events.
type EventsListInput struct {
	Type   string `json:"type,omitempty" jsonschema:"only events of this type, e.g. sms.received, campaign.updated, approval.resolved"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, 1 to 200 (default 50)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to read the next one"`
}

// EventRecord is one stored event.
type EventRecord struct {
	ID        string         `json:"id" jsonschema:"the event's id"`
	Type      string         `json:"type" jsonschema:"what happened, e.g. phone.provisioned, sms.received, campaign.updated"`
	CreatedAt string         `json:"created_at" jsonschema:"when (RFC 3339)"`
	Data      map[string]any `json:"data" jsonschema:"what it is about: the number, text, campaign or approval"`
}

// EventsListOutput is one page of events.
type EventsListOutput struct {
	Events     []EventRecord `json:"events" jsonschema:"the events, newest first"`
	NextCursor string        `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read the next page; absent on the last page"`
}

func newEventsListTool() tool {
	return newTool(sdk.Tool{
		Name:  "naive_events_list",
		Title: "List events",
		Description: "List what happened, newest first: numbers provisioned and released, campaigns updated, texts " +
			"received and their statuses, approvals asked and decided. A key bound to an agent cannot read the operator's " +
			"whole stream (forbidden); it reads its numbers' texts with naive_phone_messages.",
		Annotations: &sdk.ToolAnnotations{Title: "List events", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}, nil, func(ctx context.Context, svc naive.Service, in EventsListInput) (*EventsListOutput, error) {
		l, err := svc.ListEvents(ctx, in.Type, naive.ListParams{Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		out := &EventsListOutput{Events: make([]EventRecord, 0, len(l.Data))}
		for _, e := range l.Data {
			var data map[string]any
			if err := json.Unmarshal(e.Data, &data); err != nil || data == nil {
				data = map[string]any{}
			}
			out.Events = append(out.Events, EventRecord{ID: e.ID, Type: e.Type, CreatedAt: rfc3339(e.CreatedAt), Data: data})
		}
		if l.NextCursor != nil {
			out.NextCursor = *l.NextCursor
		}
		return out, nil
	})
}
