package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Scheduled texts. A text that falls in the kit's quiet hours, sent with
// schedule: true, is stored as scheduled with its send_at — the next
// start of the recipient's window — and nothing is charged. A durable job
// (internal/jobs, inserted in the transaction that stores the text) runs
// the send's phases at send_at as the principal that scheduled it: its
// reserve moves the text from scheduled to queued with the charge, in one
// conditional write, so of two processes running the job one sends and
// the other finds it taken; a process that dies after the reserve leaves
// the run's record, which the job's retry (or the background pass) takes
// over and resumes — it never starts a second send. The checks a send
// makes are made again then (the number, the campaign, STOP, the kit's
// consent and window, the agent's permission): a text that may no longer
// go ends failed with the reason, uncharged. DELETE /v1/phone/messages/{id}
// cancels a text while it is scheduled.

// errQuietHours refuses a text outside the recipient's window.
func errQuietHours(ph *naive.Phone, to string, q *naive.QuietHours, next time.Time) error {
	e := &naive.Error{Code: naive.EConflict, Param: "to",
		Message: fmt.Sprintf("It is outside the quiet hours of the subject's Account Kit (%s–%s) where %s is; nothing was sent or charged.", q.Start, q.End, to)}
	if next.IsZero() {
		return e.WithHint("The window never holds in every time zone %s may be in; a human can widen quiet_hours: PATCH /v1/account-kits/{id}.", to).
			With("reason", "quiet_hours")
	}
	return e.WithHint("Send it again after retry_at, or now with \"schedule\": true to have it sent then (charged when it goes): POST /v1/phone/%s/sms.", ph.ID).
		With("reason", "quiet_hours").With("retry_at", next.UTC().Format(time.RFC3339))
}

// scheduleSend stores a text as scheduled for at, with its job, and
// answers it (status scheduled, nothing charged).
func (s *Service) scheduleSend(ctx context.Context, p naive.Principal, ph *naive.Phone, req naive.SendRequest, basis string, at time.Time) (*naive.SendResult, error) {
	_, segs := Segments(req.Body)
	now := s.now()
	m := &naive.Message{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, PhoneID: ph.ID, SubjectID: ph.SubjectID,
		Direction: naive.DirectionOutbound, From: ph.E164, To: req.To, Body: req.Body, Attachments: json.RawMessage("[]"),
		Status: naive.MessageScheduled, Segments: segs, AgentID: p.AgentID, CreatedAt: now, ConsentBasis: basis, SendAt: &at}
	principal, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	balance, err := s.store.Balance(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	res := &naive.SendResult{ID: m.ID, To: m.To, From: m.From, Status: naive.MessageScheduled, Segments: segs,
		CreditsRemaining: balance, ConsentBasis: basis, SendAt: &at}
	r := s.directRun(ctx, p, ActionSMSSend)
	// River keeps real time; the service's clock may be another (tests):
	// the job is due as far ahead as send_at is, and checks send_at by
	// the service's clock when it runs.
	job := store.ScheduledSend{Due: time.Now().Add(at.Sub(now)), Principal: principal}
	if err := s.store.ScheduleMessage(context.WithoutCancel(ctx), m, job, r.once(m.ID, res, nil)); err != nil {
		if errors.Is(err, store.ErrKeyExists) {
			return nil, phaseError(err)
		}
		return nil, err
	}
	r.stored()
	s.log.Info("sms scheduled", "message_id", m.ID, "phone_id", ph.ID, "send_at", at)
	return res, nil
}

// SendScheduled runs the send of a scheduled text when its job comes (see
// above). It returns when to come back, on the real clock, for a text not
// due yet or whose run a live process holds.
//
// Errors: not_found (the text is gone).
func (s *Service) SendScheduled(ctx context.Context, sc naive.Scope, id string, principal []byte) (time.Time, error) {
	var p naive.Principal
	if err := json.Unmarshal(principal, &p); err != nil || p.OperatorID != sc.OperatorID || p.Mode != sc.Mode {
		return time.Time{}, naive.NotFound("scheduled text's sender for", id)
	}
	m, err := s.store.GetMessage(ctx, sc, id)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, naive.NotFound("message", id)
	}
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	switch {
	case m.Status == naive.MessageScheduled && m.SendAt != nil && now.Before(*m.SendAt):
		return time.Now().Add(m.SendAt.Sub(now)), nil
	case m.Status == naive.MessageScheduled:
		return s.sendScheduled(ctx, p, m)
	case m.Status == naive.MessageQueued && m.CarrierID == "":
		return s.resumeScheduled(ctx, p, m)
	}
	return time.Time{}, nil // sent, failed or canceled: nothing left to do
}

// sendScheduled makes a scheduled text's checks again, then runs its
// phases: the reserve (scheduled → queued, charged), the carrier's send,
// the outcome.
func (s *Service) sendScheduled(ctx context.Context, p naive.Principal, m *naive.Message) (time.Time, error) {
	sc := p.Scope()
	ctx = context.WithoutCancel(ctx)
	fail := func(reason string) (time.Time, error) {
		_, err := s.store.EndScheduled(ctx, sc, m.ID, naive.MessageFailed, reason, s.now())
		if errors.Is(err, store.ErrConflict) {
			err = nil // canceled meanwhile, or another process took it
		}
		if err == nil {
			s.log.Info("scheduled sms not sent", "message_id", m.ID, "reason", reason)
		}
		return time.Time{}, err
	}
	ph, camp, err := s.store.GetPhoneAndCampaign(ctx, sc, m.PhoneID)
	if err != nil {
		return time.Time{}, err
	}
	if ph.Status != naive.PhoneActive {
		return fail("phone_released")
	}
	if camp == nil || camp.Status != naive.CampaignActive {
		return fail("campaign_inactive")
	}
	if out, err := s.store.IsOptedOut(ctx, sc, ph.SubjectID, m.To); err != nil {
		return time.Time{}, err
	} else if out {
		return fail("opted_out")
	}
	subj, err := s.store.GetSubject(ctx, sc, ph.SubjectID)
	if err != nil {
		return time.Time{}, err
	}
	cfg, err := s.primitiveConfig(ctx, sc, subj, "phone")
	if err != nil {
		return time.Time{}, err
	}
	if checkEnabled(cfg, "phone") != nil {
		return fail("primitive_disabled_by_kit")
	}
	basis, err := s.sendBasis(ctx, sc, cfg, ph, m.To)
	if naive.ErrorCode(err) == naive.EConflict {
		return fail("consent_required")
	} else if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	if w, ok := windowOf(cfg.QuietHours); ok {
		// The job came late (the server was down) or the kit changed: wait
		// for the next window rather than text at night.
		if locs := RecipientZones(m.To); !w.holdsAll(now, locs) {
			next := w.next(now, locs)
			if next.IsZero() {
				return fail("quiet_hours")
			}
			return time.Now().Add(next.Sub(now)), nil
		}
	}
	if err := s.requirePermission(ctx, p, ph, naive.PermSendSMS); err != nil {
		if naive.ErrorCode(err) == naive.EForbidden {
			return fail("permission_revoked")
		}
		return time.Time{}, err
	}
	cr, brand, err := s.sendingFrom(ctx, p, ph)
	if err != nil {
		return time.Time{}, err
	}
	r := s.directRun(ctx, p, ActionSMSSend)
	_, segs := Segments(m.Body)
	m.Segments, m.CreditsUsed, m.ConsentBasis, m.SendAt = segs, int64(segs)*s.cfg.SMSPrice, basis, &now
	debit := smsDebit(p, m, now)
	req := naive.SendRequest{To: m.To, Body: m.Body}
	balance, err := s.store.ReserveScheduled(ctx, m, debit, r.begin(store.PointReserved, m.ID, ph.SubjectID, sendPayload{PhoneID: ph.ID, SendRequest: req}))
	switch {
	case errors.Is(err, store.ErrConflict):
		return time.Time{}, nil // canceled, or another process sends it
	case errors.Is(err, store.ErrInsufficientCredits):
		return fail("insufficient_credits")
	}
	_, err = s.reserved(ctx, r, cr, brand, ph, m, balance, err)
	if err != nil && r.released {
		// Undecided (the carrier's answer was lost) or the database
		// failed: the job's retry resumes the run.
		return time.Time{}, err
	}
	// Sent, or refused by the carrier and refunded: the outcome is stored.
	return time.Time{}, nil
}

// resumeScheduled takes over the run of a scheduled text whose process
// died after its reserve, and resumes it: the carrier holds the text (it
// gets its id) or it is refunded — never sent a second time. A run whose
// owner is alive is left to it.
func (s *Service) resumeScheduled(ctx context.Context, p naive.Principal, m *naive.Message) (time.Time, error) {
	rec, err := s.store.GetIdempotent(ctx, p.OperatorID, principalKeyID(p)+autoKeySuffix, m.ID, s.liveAfter())
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil // settled already (the background pass)
	}
	if err != nil {
		return time.Time{}, err
	}
	if rec.Completed {
		return time.Time{}, nil
	}
	ok, err := s.TakeOverKey(ctx, rec)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return time.Now().Add(s.cfg.LiveWindow), nil
	}
	if !s.resumeInBackground(context.WithoutCancel(ctx), rec) {
		return time.Now().Add(s.cfg.LiveWindow), nil
	}
	return time.Time{}, nil
}

// CancelMessage cancels a scheduled text: it is never sent nor charged.
//
// Errors: not_found, forbidden, conflict (not scheduled: already sent,
// failed or canceled).
func (s *Service) CancelMessage(ctx context.Context, subjectID, id string) (*naive.Message, error) {
	if err := s.owner(ctx, "canceling texts"); err != nil {
		return nil, err
	}
	m, err := s.GetMessage(ctx, subjectID, id)
	if err != nil {
		return nil, err
	}
	p, _ := s.principal(ctx)
	if m.Direction == naive.DirectionOutbound && m.Status == naive.MessageScheduled {
		got, err := s.store.EndScheduled(ctx, p.Scope(), m.ID, naive.MessageCanceled, "", s.now())
		if err == nil {
			s.log.Info("scheduled sms canceled", "message_id", m.ID)
			return got, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		if m, err = s.store.GetMessage(ctx, p.Scope(), id); err != nil {
			return nil, err
		}
	}
	e := naive.Errorf(naive.EConflict, "Message %s is %s; only a scheduled text can be canceled.", id, m.Status).With("status", m.Status)
	switch m.Status {
	case naive.MessageCanceled:
		return nil, e.WithHint("It was canceled already: it was never sent nor charged.")
	case naive.MessageReceived:
		return nil, e.WithHint("It is an inbound text.")
	case naive.MessageFailed:
		return nil, e.WithHint("It failed; GET /v1/phone/messages/%s shows why.", id)
	}
	return nil, e.WithHint("It was already handed to the carrier and cannot be called back; GET /v1/phone/messages/%s shows its status.", id)
}
