package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// MaxSMSBody bounds an outbound body (10 concatenated GSM-7 segments).
const MaxSMSBody = 1530

// ActionSMSSend names sending in run records and logs; sending is never
// gated.
const ActionSMSSend = naive.ActionSMSSend

// ValidE164 checks that s is a valid phone number written in E.164.
func ValidE164(s string) bool {
	if !e164Re.MatchString(s) {
		return false
	}
	n, err := phonenumbers.Parse(s, "US")
	return err == nil && phonenumbers.IsValidNumber(n) && phonenumbers.Format(n, phonenumbers.E164) == s
}

// SendSMS sends a text from one of the subject's numbers. Until
// the number's campaign is active it refuses with compliance_pending and
// sends and charges nothing. Credits are charged per segment.
//
// A kit may require consent (a text to a contact the number holds no
// consent record for is refused) and set quiet hours (a text outside the
// recipient's window is refused with retry_at, or with req.Schedule
// scheduled for the window's start and charged when it goes); both are
// checked before anything is reserved.
//
// Errors: invalid_input, not_found, forbidden (agent key without send_sms
// on the number, kit), compliance_pending, conflict (opted-out recipient,
// consent_required, quiet_hours), insufficient_credits, provider_error.
func (s *Service) SendSMS(ctx context.Context, subjectID, phoneID string, req naive.SendRequest) (*naive.SendResult, error) {
	if err := s.owner(ctx, "sending texts"); err != nil {
		return nil, err
	}
	p, subj, cfg, err := s.guard(ctx, "phone", subjectID)
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
	ph, camp, err := s.phoneAndCampaign(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if idem := naive.IdempotencyFrom(ctx); idem != nil && idem.Resume {
		// A retry of a send that may have gone out: what it did decides
		// the answer, not what changed since (a STOP, a release).
		r, err := s.takenOver(ctx, p, idem, ActionSMSSend)
		if err != nil {
			return nil, err
		}
		if r != nil {
			cr, brand, err := s.sendingFrom(ctx, p, ph)
			if err != nil {
				r.release(ctx)
				return nil, err
			}
			return s.resumeSend(context.WithoutCancel(ctx), r, cr, brand, ph, req, true)
		}
	}
	if ph.Status != naive.PhoneActive {
		return nil, naive.Errorf(naive.EConflict, "Phone %s was released; it cannot send.", phoneID).
			WithHint("Send from an active number: GET /v1/phone.")
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermSendSMS); err != nil {
		return nil, err
	}
	sc := p.Scope()
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
		return nil, e.WithHint("Nothing was sent or charged. Retry once GET /v1/phone/%s/campaign shows active (usually %s).", ph.ID, s.reviewTime(p.Mode, campaignKind(ph.Type))).
			With("campaign_status", status).With("retryable", true)
	}
	if out, err := s.store.IsOptedOut(ctx, sc, ph.SubjectID, req.To); err != nil {
		return nil, err
	} else if out {
		return nil, (&naive.Error{Code: naive.EConflict, Param: "to",
			Message: fmt.Sprintf("%s opted out of texts from this company (replied STOP).", req.To)}).
			WithHint("Do not text them again; they can opt back in by texting START to the number.").With("reason", "opted_out")
	}
	basis, err := s.sendBasis(ctx, sc, cfg, ph, req.To)
	if err != nil {
		return nil, err
	}
	if w, ok := windowOf(cfg.QuietHours); ok {
		now, locs := s.now(), RecipientZones(req.To)
		if !w.holdsAll(now, locs) {
			next := w.next(now, locs)
			if !req.Schedule || next.IsZero() {
				return nil, errQuietHours(ph, req.To, cfg.QuietHours, next)
			}
			return s.scheduleSend(ctx, p, ph, req, basis, next)
		}
	}
	cr, brand, err := s.sendingFrom(ctx, p, ph)
	if err != nil {
		return nil, err
	}
	return s.send(ctx, s.directRun(ctx, p, ActionSMSSend), cr, brand, ph, req, basis)
}

// sendingFrom returns the carrier and the brand a number sends through.
func (s *Service) sendingFrom(ctx context.Context, p naive.Principal, ph *naive.Phone) (carrier.Carrier, *naive.Brand, error) {
	brand, err := s.store.GetBrand(ctx, p.Scope(), ph.SubjectID)
	if err != nil {
		return nil, nil, err
	}
	cr, err := s.brandCarrier(p.Mode, brand)
	if err != nil {
		return nil, nil, err
	}
	return cr, brand, nil
}

// A send is two phases around the carrier's send: reserve (the message
// queued, the debit, the run's record) and sent (the carrier's id with the
// outcome). A failed send refunds in one transaction with the outcome; a
// send whose answer was lost is looked for at the carrier by our id, and
// one nobody can tell about stays queued and charged until a retry (or the
// background pass) finds out — never sent twice.
func (s *Service) send(ctx context.Context, r *run, cr carrier.Carrier, brand *naive.Brand, ph *naive.Phone, req naive.SendRequest, basis string) (*naive.SendResult, error) {
	p := r.p
	_, segs := Segments(req.Body)
	cost := int64(segs) * s.cfg.SMSPrice
	now := s.now()
	m := &naive.Message{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, PhoneID: ph.ID, SubjectID: ph.SubjectID,
		Direction: naive.DirectionOutbound, From: ph.E164, To: req.To, Body: req.Body, Attachments: json.RawMessage("[]"),
		Status: naive.MessageQueued, Segments: segs, CreditsUsed: cost, AgentID: p.AgentID, CreatedAt: now, ConsentBasis: basis}
	debit := smsDebit(p, m, now)
	// From the reserve on the run ends recorded whatever the caller does.
	ctx = context.WithoutCancel(ctx)
	balance, err := s.store.ReserveMessage(ctx, m, debit, r.begin(store.PointReserved, m.ID, ph.SubjectID, sendPayload{PhoneID: ph.ID, SendRequest: req}))
	return s.reserved(ctx, r, cr, brand, ph, m, balance, err)
}

// smsDebit is the charge of m (nil when it costs nothing).
func smsDebit(p naive.Principal, m *naive.Message, now time.Time) *naive.LedgerEntry {
	if m.CreditsUsed <= 0 {
		return nil
	}
	return &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: -m.CreditsUsed,
		Reason: naive.LedgerSMSSend, ReferenceID: m.ID, Actor: p.Actor(), CreatedAt: now}
}

// reserved goes on from a send's reserve phase (its outcome err): the
// carrier's send, then the outcome's phase.
func (s *Service) reserved(ctx context.Context, r *run, cr carrier.Carrier, brand *naive.Brand, ph *naive.Phone, m *naive.Message, balance int64, err error) (*naive.SendResult, error) {
	p, segs, cost := r.p, m.Segments, m.CreditsUsed
	switch {
	case errors.Is(err, store.ErrInsufficientCredits):
		bal, _ := s.store.Balance(ctx, p.Scope())
		return nil, errInsufficient(cost, bal).WithHint("This text costs %d credits (%d segments); a human can add credits with POST /v1/credits/grant.", cost, segs)
	case errors.Is(err, store.ErrKeyExists), errors.Is(err, store.ErrLockLost):
		return nil, phaseError(err)
	case err != nil:
		r.release(ctx) // it may have committed unheard: let a retry find out
		return nil, err
	}
	r.owned()
	if err := s.mayAct(ctx); err != nil {
		return nil, s.failSend(ctx, r, m, err)
	}
	res := &naive.SendResult{ID: m.ID, To: m.To, From: m.From, Status: naive.MessageQueued, Segments: segs,
		CreditsUsed: cost, CreditsRemaining: balance, ConsentBasis: m.ConsentBasis, SendAt: m.SendAt}
	sent, err := cr.SendMessage(ctx, brand.CarrierID, carrier.OutboundMessage{FromNumberID: ph.CarrierID, To: m.To, Body: m.Body, Ref: m.ID})
	if err != nil && errors.Is(err, carrier.ErrUnknownOutcome) {
		// The send may have happened: look for it by our id. Not finding
		// it at once proves nothing (the carrier may still be taking it):
		// it stays queued and charged until a retry, the carrier's status
		// webhook or the background pass settles it. Resending now could
		// text the person twice.
		found, ok, _ := s.findMessage(ctx, cr, brand.CarrierID, m.ID)
		if !ok {
			r.release(ctx)
			return nil, errUndecidedSend(r, m.ID)
		}
		sent, err = found, nil
	}
	if err != nil {
		if carrier.Is(err, carrier.OptedOut) {
			s.learnOptOut(ctx, r.p.Scope(), ph.SubjectID, m.To)
		}
		return nil, s.failSend(ctx, r, m, smsCarrierError(err))
	}
	return s.sent(ctx, r, m, sent.ID, res)
}

// learnOptOut records an opt-out the carrier knew of and we did not (its
// refusal of a send says the recipient opted out there), so later sends
// are refused before they reach the carrier. An opt-in reported later
// lifts it as any other: the record is dated a second before the start of
// this second, since carriers date their events to the second (a START
// right after the refusal must not read as older than it).
func (s *Service) learnOptOut(ctx context.Context, sc naive.Scope, subjectID, contact string) {
	at := s.now().Truncate(time.Second).Add(-time.Second)
	if _, err := s.store.SetOptOut(context.WithoutCancel(ctx), &store.OptOut{Scope: sc, SubjectID: subjectID, Contact: contact, OptedOut: true, At: at}, nil); err != nil {
		s.log.Warn("record an opt-out the carrier reported", "subject_id", subjectID, "err", err)
	}
}

// SendSettle is how long after a send whose outcome was unknown the
// carrier not holding it proves it never went out (a request it was given
// is done by then); before, a retry waits rather than texting twice.
const SendSettle = time.Minute

// sendPayload is a send's request as its run records it.
type sendPayload struct {
	PhoneID string `json:"phone_id"`
	naive.SendRequest
}

// errUndecidedSend: the text may or may not have gone out; it stays
// queued and charged. Retryable only under an Idempotency-Key (a retry
// without one would text the person twice).
func errUndecidedSend(r *run, id string) error {
	e := &naive.Error{Code: naive.EProviderError, Message: "The carrier did not confirm the text and could not be asked whether it was sent."}
	if r.idem != nil {
		return e.WithHint("Retry with the same Idempotency-Key (it finds out, and never sends twice), or watch GET /v1/phone/messages/%s.", id).
			With("retryable", true).With("message_id", id)
	}
	return e.WithHint("Do not send it again: GET /v1/phone/messages/%s shows its status once the carrier reports it.", id).
		With("retryable", false).With("message_id", id)
}

// sent is a send's last phase: the carrier's id and the outcome.
func (s *Service) sent(ctx context.Context, r *run, m *naive.Message, carrierID string, res *naive.SendResult) (*naive.SendResult, error) {
	res.CarrierMessageID, res.SurgeMessageID = carrierID, carrierID
	if err := s.store.SetMessageCarrierID(ctx, m.ID, carrierID, r.finish(res, nil)); err != nil {
		// The text went out; its status webhook names it, and a retry or
		// the background pass records the id.
		s.log.Error("record carrier message id", "message_id", m.ID, "carrier_id", carrierID, "err", err)
		r.release(ctx)
		return nil, phaseError(err)
	}
	r.stored()
	s.log.Info("sms queued", "message_id", m.ID, "phone_id", m.PhoneID, "segments", m.Segments)
	return res, nil
}

// failSend refunds a send the carrier refused, with the outcome.
func (s *Service) failSend(ctx context.Context, r *run, m *naive.Message, failure error) error {
	var refund *naive.LedgerEntry
	if m.CreditsUsed > 0 {
		refund = &naive.LedgerEntry{ID: newID(), OperatorID: m.OperatorID, Mode: m.Mode, Amount: m.CreditsUsed,
			Reason: naive.LedgerSMSRefund, ReferenceID: m.ID, Actor: r.p.Actor(), CreatedAt: s.now()}
	}
	pr := r.finish(nil, failure)
	if dropsKey(failure) {
		pr = r.drop(failure)
	}
	_, err := s.store.FailMessage(ctx, m.ID, "send_failed", refund, s.now(), pr)
	if errors.Is(err, store.ErrConflict) {
		err = s.store.SaveProgress(ctx, pr)
	}
	if err != nil {
		s.log.Error("refund failed send", "message_id", m.ID, "err", err)
		r.release(ctx)
		return phaseError(err)
	}
	r.stored()
	return failure
}

// resumeSend resumes a send whose process died after its reserve. waiting
// says a client waits (it retried with the same key): a text surely never
// sent is then sent afresh.
func (s *Service) resumeSend(ctx context.Context, r *run, cr carrier.Carrier, brand *naive.Brand, ph *naive.Phone, req naive.SendRequest, waiting bool) (*naive.SendResult, error) {
	sc := r.p.Scope()
	m, err := s.store.GetMessage(ctx, sc, r.key.ResourceID)
	if err != nil {
		r.release(ctx)
		return nil, err
	}
	balance := int64(0)
	if e, err := s.store.GetLedgerEntry(ctx, sc, naive.LedgerSMSSend, m.ID); err == nil {
		balance = e.BalanceAfter
	}
	res := &naive.SendResult{ID: m.ID, To: m.To, From: m.From, Status: naive.MessageQueued, Segments: m.Segments,
		CreditsUsed: m.CreditsUsed, CreditsRemaining: balance, ConsentBasis: m.ConsentBasis, SendAt: m.SendAt}
	switch {
	case m.CarrierID != "":
		// Sent, and its id recorded (by the status webhook, say).
		return s.sent(ctx, r, m, m.CarrierID, res)
	case m.Status == naive.MessageQueued:
		found, ok, err := s.findMessage(ctx, cr, brand.CarrierID, m.ID)
		if err != nil || (!ok && s.now().Sub(queuedAt(m)) < SendSettle) {
			// Not found yet may still land: only a send that long ago
			// is surely not at the carrier.
			r.release(ctx)
			return nil, errUndecidedSend(r, m.ID)
		}
		if ok {
			return s.sent(ctx, r, m, found.ID, res)
		}
	}
	// Never sent: refund it (unless settled already) and forget the key.
	var refund *naive.LedgerEntry
	if m.CreditsUsed > 0 {
		refund = &naive.LedgerEntry{ID: newID(), OperatorID: m.OperatorID, Mode: m.Mode, Amount: m.CreditsUsed,
			Reason: naive.LedgerSMSRefund, ReferenceID: m.ID, Actor: r.p.Actor(), CreatedAt: s.now()}
	}
	_, err = s.store.FailMessage(ctx, m.ID, "not_sent", refund, s.now(), r.drop(nil))
	if errors.Is(err, store.ErrConflict) {
		err = s.store.SaveProgress(ctx, r.drop(nil))
	}
	if err != nil {
		r.release(ctx)
		return nil, phaseError(err)
	}
	r.stored()
	if !waiting {
		return nil, (&naive.Error{Code: naive.EProviderError, Message: "The send was interrupted before the text reached the carrier; it was refunded."}).
			WithHint("Send it again.").With("retryable", true)
	}
	return s.send(ctx, s.directRun(naive.WithIdempotency(ctx, r.idem), r.p, ActionSMSSend), cr, brand, ph, req, m.ConsentBasis)
}

// queuedAt is when a text was handed to the carrier's send: when it was
// created, or, for a scheduled one, when its time came (SendAt).
func queuedAt(m *naive.Message) time.Time {
	if m.SendAt != nil {
		return *m.SendAt
	}
	return m.CreatedAt
}

// smsCarrierError maps a send refusal; the carrier's opt-out list is the
// authority when ours has not heard of the STOP yet. Every refusal is
// refunded (failSend), which the hints say.
func smsCarrierError(err error) error {
	if carrier.Is(err, carrier.OptedOut) {
		return (&naive.Error{Code: naive.EConflict, Param: "to", Message: "The recipient opted out of texts from this company.", Err: err}).
			WithHint("Its credits were refunded. Do not text them again; they can opt back in by texting START.").With("reason", "opted_out")
	}
	var ce *carrier.Error
	if errors.As(err, &ce) && ce.Kind == carrier.Invalid {
		fields := ce.Fields
		if fields == nil {
			fields = []string{}
		}
		e := &naive.Error{Code: naive.EInvalidInput, Message: "The carrier refused the text: " + ce.Message, Err: err}
		if slices.Contains(fields, "to") {
			e.Param = "to"
		} else if slices.Contains(fields, "body") {
			e.Param = "body"
		}
		return e.WithHint("Its credits were refunded. Check the recipient's number and the body, then send again.").With("carrier_fields", fields)
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
	for i := range rows {
		rows[i] = rows[i].WithCodes()
		rows[i].Carrier = ph.Carrier
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
	out := m.WithCodes()
	out.Carrier = ph.Carrier
	return &out, nil
}

// AssignAgent connects an agent to a number with permissions.
//
// Errors: invalid_input, not_found.
func (s *Service) AssignAgent(ctx context.Context, subjectID, phoneID string, req naive.AssignRequest) (*naive.Assignment, error) {
	if err := s.owner(ctx, "assigning agents to numbers"); err != nil {
		return nil, err
	}
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
	if err := s.owner(ctx, "unassigning agents from numbers"); err != nil {
		return err
	}
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
