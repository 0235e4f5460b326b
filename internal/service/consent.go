package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Consent records: a number keeps one per contact, the latest recorded.
// A contact's first text to the number opens a conversation (basis
// conversation, recorded with the text); a human owner, an operator key
// or an agent holding send_sms on the number records an explicit opt-in —
// recording consent is what lets a number text someone, so it takes what
// sending takes. Opt-outs (STOP/START) are the subject's, kept apart, and
// win over any consent.

// Bounds of a consent's free text.
const (
	maxEvidenceURL = 500
	maxConsentNote = 500
)

// inboundConsentActor records a conversation the contact opened.
var inboundConsentActor = naive.Actor{Type: "system", ID: "inbound_text"}

// RecordConsent records a contact's opt-in on a number, replacing the
// record it held.
//
// Errors: invalid_input, not_found, forbidden.
func (s *Service) RecordConsent(ctx context.Context, subjectID, phoneID, contact string, req naive.ConsentRequest) (*naive.PhoneContact, error) {
	if err := s.owner(ctx, "recording consent"); err != nil {
		return nil, err
	}
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	contact = strings.TrimSpace(contact)
	if !ValidE164(contact) {
		return nil, naive.InvalidParam("contact", "The contact must be a valid phone number in E.164, such as +14155550123; got %q.", contact).
			WithHint("Write the number with + and the country code, no spaces (URL-encode the + as %%2B in a path).")
	}
	if err := validConsent(&req); err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermSendSMS); err != nil {
		return nil, err
	}
	now := s.now()
	c := &store.ConsentRecord{Scope: p.Scope(), PhoneID: ph.ID, Contact: contact, Consent: naive.Consent{Basis: req.Basis,
		EvidenceURL: req.EvidenceURL, Note: req.Note, RecordedBy: p.Actor(), CreatedAt: now, UpdatedAt: now}}
	if err := s.store.UpsertConsent(ctx, c); errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("phone", phoneID)
	} else if err != nil {
		return nil, err
	}
	out, err := s.store.IsOptedOut(ctx, p.Scope(), ph.SubjectID, contact)
	if err != nil {
		return nil, err
	}
	consent := c.Consent
	return &naive.PhoneContact{PhoneID: ph.ID, Contact: contact, Consent: &consent, OptedOut: out, Mode: p.Mode}, nil
}

// validConsent checks a consent request: a known basis, an https
// evidence URL and a note of bounded, valid text.
func validConsent(req *naive.ConsentRequest) error {
	req.Basis = strings.TrimSpace(req.Basis)
	if !slices.Contains(naive.ConsentBases, req.Basis) {
		return naive.InvalidParam("basis", "basis must be one of %s; got %q.", strings.Join(naive.ConsentBases, ", "), req.Basis).
			WithHint("express_written: they agreed in writing (give evidence_url); express_oral: by voice; existing_customer: a customer who gave this number; conversation: they texted first.")
	}
	for name, v := range map[string]string{"evidence_url": req.EvidenceURL, "note": req.Note} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return naive.InvalidParam(name, "%s must be valid UTF-8 without NUL characters.", name)
		}
	}
	req.EvidenceURL = strings.TrimSpace(req.EvidenceURL)
	if req.EvidenceURL != "" {
		u, err := url.Parse(req.EvidenceURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(req.EvidenceURL) > maxEvidenceURL {
			return naive.InvalidParam("evidence_url", "evidence_url must be an https URL of at most %d characters, without credentials.", maxEvidenceURL).
				WithHint("Link the signed form, the recording or the page where they opted in, such as https://example.com/optins/123.")
		}
	}
	if utf8.RuneCountInString(req.Note) > maxConsentNote {
		return naive.InvalidParam("note", "note must be at most %d characters.", maxConsentNote)
	}
	return nil
}

// ListContacts lists a number's contacts — those it holds a consent record
// for and those who opted out of its subject's texts — by number.
//
// Errors: invalid_input, not_found, forbidden.
func (s *Service) ListContacts(ctx context.Context, subjectID, phoneID string, lp naive.ListParams) (*naive.List[naive.PhoneContact], error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermSendSMS); err != nil {
		return nil, err
	}
	after := ""
	if lp.Cursor != "" {
		if after, err = decodeContactCursor(lp.Cursor); err != nil {
			return nil, err
		}
	}
	_, limit, err := pageOf(naive.ListParams{Limit: lp.Limit})
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListContacts(ctx, p.Scope(), store.ContactFilter{PhoneID: ph.ID, SubjectID: ph.SubjectID, After: after, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	l := naive.List[naive.PhoneContact]{Data: rows}
	if len(rows) > limit {
		l.Data = rows[:limit]
		c := base64.RawURLEncoding.EncodeToString([]byte("c1:" + rows[limit-1].Contact))
		l.NextCursor = &c
	}
	if l.Data == nil {
		l.Data = []naive.PhoneContact{}
	}
	return &l, nil
}

// decodeContactCursor reverses a contact list's next_cursor.
func decodeContactCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "c1:") || !e164Re.Match(b[3:]) {
		return "", naive.InvalidParam("cursor", "cursor is not one this API returned.").WithHint("Pass next_cursor from the previous page unchanged.")
	}
	return string(b[3:]), nil
}

// sendBasis is the consent basis a text to contact goes on: the number's
// record for them, or "none" when it holds none and the kit does not
// require one; a kit that requires consent refuses the text (nothing is
// sent or charged: this runs before the reserve).
func (s *Service) sendBasis(ctx context.Context, sc naive.Scope, cfg naive.PrimitiveConfig, ph *naive.Phone, contact string) (string, error) {
	c, err := s.store.GetConsent(ctx, sc, ph.ID, contact)
	switch {
	case err == nil:
		return c.Basis, nil
	case !errors.Is(err, store.ErrNotFound):
		return "", err
	case cfg.Consent != naive.KitConsentRequired:
		return naive.ConsentNone, nil
	}
	return "", (&naive.Error{Code: naive.EConflict, Param: "to",
		Message: fmt.Sprintf("The subject's Account Kit requires consent before texting, and phone %s holds none for %s; nothing was sent or charged.", ph.ID, contact)}).
		WithHint("Record how they opted in first: POST /v1/phone/%s/contacts/%s/consent {\"basis\":\"express_written\",\"evidence_url\":\"https://…\"}; a contact who texts the number first counts as consent (conversation).", ph.ID, contact).
		With("reason", "consent_required")
}
