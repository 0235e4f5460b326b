package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// MaxSMSBody bounds an outbound body (10 concatenated GSM-7 segments).
const MaxSMSBody = 1530

// ActionSMSSend names sending in kits and logs; sending is never gated.
const ActionSMSSend = "sms.send"

// ValidE164 checks that s is a valid phone number written in E.164.
func ValidE164(s string) bool {
	if !e164Re.MatchString(s) {
		return false
	}
	n, err := phonenumbers.Parse(s, "US")
	return err == nil && phonenumbers.IsValidNumber(n) && phonenumbers.Format(n, phonenumbers.E164) == s
}

// SendSMS sends a text from one of the subject's numbers (SPEC §4). Until
// the number's campaign is active it refuses with compliance_pending and
// sends and charges nothing. Credits are charged per segment.
//
// Errors: invalid_input, not_found, forbidden (agent key without send_sms
// on the number, kit), compliance_pending, conflict (opted-out recipient),
// insufficient_credits, provider_error.
func (s *Service) SendSMS(ctx context.Context, subjectID, phoneID string, req naive.SendRequest) (*naive.SendResult, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	req.To = strings.TrimSpace(req.To)
	if !ValidE164(req.To) {
		return nil, naive.InvalidParam("to", "to must be a valid phone number in E.164, such as +14155550123; got %q.", req.To).
			WithHint("Write the number with + and the country code, no spaces.")
	}
	if strings.TrimSpace(req.Body) == "" {
		return nil, naive.InvalidParam("body", "body is required.")
	}
	if utf8.RuneCountInString(req.Body) > MaxSMSBody || !utf8.ValidString(req.Body) {
		return nil, naive.InvalidParam("body", "body must be valid UTF-8 of at most %d characters.", MaxSMSBody)
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if ph.Status != naive.PhoneActive {
		return nil, naive.Errorf(naive.EConflict, "Phone %s was released; it cannot send.", phoneID).
			WithHint("Send from an active number: GET /v1/phone.")
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermSendSMS); err != nil {
		return nil, err
	}
	sc := p.Scope()
	camp, err := s.store.GetCampaign(ctx, sc, ph.CampaignID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if camp == nil || camp.Status != naive.CampaignActive {
		status := naive.CampaignCreated
		if camp != nil {
			status = camp.Status
		}
		e := &naive.Error{Code: naive.ECompliancePending,
			Message: fmt.Sprintf("Outbound SMS unlocks when the carriers approve the campaign; it is %s.", status)}
		if status == naive.CampaignRejected {
			e.Message = "The carriers rejected the campaign, so this number cannot send."
			return nil, e.WithHint("Fix the subject's profile and resubmit; GET /v1/phone/%s/campaign.", ph.ID).
				With("campaign_status", status).With("retryable", false)
		}
		return nil, e.WithHint("Nothing was sent or charged. Retry once GET /v1/phone/%s/campaign shows active (usually 1-2 business days).", ph.ID).
			With("campaign_status", status).With("retryable", true)
	}
	if out, err := s.store.IsOptedOut(ctx, sc, ph.SubjectID, req.To); err != nil {
		return nil, err
	} else if out {
		return nil, (&naive.Error{Code: naive.EConflict, Param: "to",
			Message: fmt.Sprintf("%s opted out of texts from this company (replied STOP).", req.To)}).
			WithHint("Do not text them again; they can opt back in by texting START to the number.").With("reason", "opted_out")
	}
	cr, err := s.carrier(p.Mode)
	if err != nil {
		return nil, err
	}
	brand, err := s.store.GetBrand(ctx, sc, ph.SubjectID)
	if err != nil {
		return nil, err
	}
	_, segs := Segments(req.Body)
	cost := int64(segs) * s.cfg.SMSPrice
	now := s.now()
	m := &naive.Message{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, PhoneID: ph.ID, SubjectID: ph.SubjectID,
		Direction: naive.DirectionOutbound, From: ph.E164, To: req.To, Body: req.Body, Attachments: json.RawMessage("[]"),
		Status: naive.MessageQueued, Segments: segs, CreditsUsed: cost, AgentID: p.AgentID, CreatedAt: now}
	var debit *naive.LedgerEntry
	if cost > 0 {
		debit = &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: -cost,
			Reason: naive.LedgerSMSSend, ReferenceID: m.ID, Actor: p.Actor(), CreatedAt: now}
	}
	balance, err := s.store.ReserveMessage(ctx, m, debit)
	if errors.Is(err, store.ErrInsufficientCredits) {
		bal, _ := s.store.Balance(ctx, sc)
		return nil, errInsufficient(cost, bal).WithHint("This text costs %d credits (%d segments); a human can add credits with POST /v1/credits/grant.", cost, segs)
	}
	if err != nil {
		return nil, err
	}
	in := carrier.OutboundMessage{FromNumberID: ph.CarrierID, To: req.To, Body: req.Body, Ref: m.ID}
	sent, err := cr.SendMessage(context.WithoutCancel(ctx), brand.CarrierID, in)
	if err != nil && errors.Is(err, carrier.ErrUnknownOutcome) {
		// The send may have happened: look for it by our id in its metadata.
		found, ok, lerr := s.findMessage(context.WithoutCancel(ctx), cr, brand.CarrierID, m.ID)
		switch {
		case ok:
			sent, err = found, nil
		case lerr != nil:
			// Nobody can tell whether it went out: keep it queued and
			// charged; the carrier's status webhook (which names our id)
			// settles it. Resending could text the person twice.
			return nil, (&naive.Error{Code: naive.EProviderError, Err: err,
				Message: "The carrier did not confirm the text and could not be asked whether it was sent."}).
				WithHint("Do not resend yet: GET /v1/phone/messages/%s shows its status once the carrier reports it.", m.ID).
				With("retryable", false).With("message_id", m.ID)
		}
	}
	if err != nil {
		var refund *naive.LedgerEntry
		if cost > 0 {
			refund = &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: cost,
				Reason: naive.LedgerSMSRefund, ReferenceID: m.ID, Actor: p.Actor(), CreatedAt: s.now()}
		}
		if _, ferr := s.store.FailMessage(context.WithoutCancel(ctx), m.ID, "send_failed", refund, s.now()); ferr != nil && !errors.Is(ferr, store.ErrConflict) {
			s.log.Error("refund failed send", "message_id", m.ID, "err", ferr)
		}
		return nil, smsCarrierError(err)
	}
	if err := s.store.SetMessageCarrierID(context.WithoutCancel(ctx), m.ID, sent.ID); err != nil {
		s.log.Error("record carrier message id", "message_id", m.ID, "carrier_id", sent.ID, "err", err)
	}
	s.log.Info("sms queued", "message_id", m.ID, "phone_id", ph.ID, "segments", segs)
	return &naive.SendResult{ID: m.ID, To: m.To, From: m.From, Status: naive.MessageQueued, Segments: segs,
		CreditsUsed: cost, CreditsRemaining: balance}, nil
}

// smsCarrierError maps a send refusal; the carrier's opt-out list is the
// authority when ours has not heard of the STOP yet.
func smsCarrierError(err error) error {
	if carrier.Is(err, carrier.OptedOut) {
		return (&naive.Error{Code: naive.EConflict, Param: "to", Message: "The recipient opted out of texts from this company.", Err: err}).
			WithHint("Do not text them again; they can opt back in by texting START.").With("reason", "opted_out")
	}
	return carrierError("send the text", err)
}

// findMessage looks for a carrier message carrying our id in its metadata.
// An error means the carrier could not be asked.
func (s *Service) findMessage(ctx context.Context, cr carrier.Carrier, brandID, id string) (carrier.SentMessage, bool, error) {
	m, ok, err := cr.FindMessage(ctx, brandID, id)
	if err != nil {
		s.log.Warn("reconcile send: find message", "message_id", id, "err", err)
	}
	return m, ok, err
}

// requirePermission refuses an agent-bound key that is not assigned to the
// number with perm. Keys not bound to an agent act for the whole operator.
func (s *Service) requirePermission(ctx context.Context, p naive.Principal, ph *naive.Phone, perm string) error {
	if p.Kind != naive.PrincipalAgent || p.AgentID == "" {
		return nil
	}
	as, err := s.store.ListAssignments(ctx, p.Scope(), ph.ID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.AgentID == p.AgentID && slices.Contains(a.Permissions, perm) {
			return nil
		}
	}
	return (&naive.Error{Code: naive.EForbidden, Message: fmt.Sprintf("This key's agent lacks %s on phone %s.", perm, ph.ID)}).
		WithHint("A human or an operator key can grant it: POST /v1/phone/%s/assign {\"agent_id\":\"%s\",\"permissions\":[\"%s\"]}.", ph.ID, p.AgentID, perm)
}

// ListMessages lists a number's messages, newest first.
func (s *Service) ListMessages(ctx context.Context, subjectID, phoneID string, lp naive.ListParams) (*naive.List[naive.Message], error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermReceiveSMS); err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListMessages(ctx, p.Scope(), naive.MessageFilter{PhoneID: ph.ID, Page: pg})
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, func(x naive.Message) string { return x.ID })
	return &l, nil
}

// GetMessage returns one message of the subject.
func (s *Service) GetMessage(ctx context.Context, subjectID, id string) (*naive.Message, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if !validUUID(id) {
		return nil, naive.NotFound("message", id)
	}
	m, err := s.store.GetMessage(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.SubjectID != subj.ID) {
		return nil, naive.NotFound("message", id)
	}
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, m.PhoneID)
	if err != nil {
		return nil, err
	}
	perm := naive.PermReceiveSMS
	if m.Direction == naive.DirectionOutbound {
		perm = naive.PermSendSMS
	}
	if err := s.requirePermission(ctx, p, ph, perm); err != nil {
		return nil, err
	}
	return m, nil
}

// AssignAgent connects an agent to a number with permissions.
//
// Errors: invalid_input, not_found.
func (s *Service) AssignAgent(ctx context.Context, subjectID, phoneID string, req naive.AssignRequest) (*naive.Assignment, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if !validUUID(req.AgentID) {
		return nil, naive.InvalidParam("agent_id", "agent_id must be an agent's id (UUID).")
	}
	if len(req.Permissions) == 0 {
		req.Permissions = []string{naive.PermSendSMS, naive.PermReceiveSMS}
	}
	perms := []string{}
	for _, perm := range req.Permissions {
		if perm != naive.PermSendSMS && perm != naive.PermReceiveSMS {
			return nil, naive.InvalidParam("permissions", "permissions may hold send_sms and receive_sms; got %q.", perm)
		}
		if !slices.Contains(perms, perm) {
			perms = append(perms, perm)
		}
	}
	slices.Sort(perms)
	if p.Kind == naive.PrincipalAgent && p.AgentID != "" {
		return nil, (&naive.Error{Code: naive.EForbidden, Message: "An agent-bound key cannot assign agents to numbers."}).
			WithHint("Use a human session or an operator key (one not bound to an agent).")
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GetAgent(ctx, p.Scope(), req.AgentID); errors.Is(err, store.ErrNotFound) {
		return nil, naive.InvalidParam("agent_id", "No agent with id %q.", req.AgentID).WithHint("List agents with GET /v1/agents.")
	} else if err != nil {
		return nil, err
	}
	a := &naive.Assignment{PhoneID: ph.ID, AgentID: req.AgentID, Permissions: perms, OperatorID: p.OperatorID, Mode: p.Mode, CreatedAt: s.now()}
	if err := s.store.UpsertAssignment(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// UnassignAgent disconnects an agent from a number.
//
// Errors: not_found.
func (s *Service) UnassignAgent(ctx context.Context, subjectID, phoneID, agentID string) error {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return err
	}
	if p.Kind == naive.PrincipalAgent && p.AgentID != "" {
		return (&naive.Error{Code: naive.EForbidden, Message: "An agent-bound key cannot change assignments."}).
			WithHint("Use a human session or an operator key.")
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return err
	}
	if !validUUID(agentID) {
		return naive.NotFound("assignment", agentID)
	}
	err = s.store.DeleteAssignment(ctx, p.Scope(), ph.ID, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return naive.NotFound("assignment of agent", agentID)
	}
	return err
}

// ListAssignments lists the agents connected to a number.
func (s *Service) ListAssignments(ctx context.Context, subjectID, phoneID string) (*naive.List[naive.Assignment], error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListAssignments(ctx, p.Scope(), ph.ID)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []naive.Assignment{}
	}
	return &naive.List[naive.Assignment]{Data: rows}, nil
}

// GetPhoneByNumber returns the caller's active number with this E.164.
//
// Errors: invalid_input, not_found.
func (s *Service) GetPhoneByNumber(ctx context.Context, e164 string) (*naive.Phone, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	if !e164Re.MatchString(e164) {
		return nil, naive.InvalidParam("to", "to must be one of your numbers in E.164, such as +14155551234.")
	}
	ph, err := s.store.GetPhoneByE164(ctx, p.Mode, e164)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ph.OperatorID != p.OperatorID) {
		return nil, naive.Errorf(naive.ENotFound, "No active number %s.", e164).WithHint("List your numbers with GET /v1/phone.")
	}
	return ph, err
}
