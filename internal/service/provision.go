package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// A provision is two phases around the carrier's purchase:
//
//  1. reserve — one transaction: the debit, the phone row in provisioning
//     and the run's record at recovery point "reserved";
//  2. activate — one transaction: the number on the phone, the agent's
//     assignment, phone.provisioned (with its delivery jobs) and the
//     outcome in the run's record.
//
// The subject's first number registers the brand and its campaign before
// the purchase, each with phases of its own (a claim, the carrier's id as
// soon as the carrier made it, the registration). A failure after the
// reserve refunds in one transaction with the outcome. A run taken over
// after its process died looks for the number at the carrier by our phone
// id: found, it is recorded; not found, the reserve is refunded and — when
// a client or a human is waiting for it — the provision runs afresh.

// prechecked is what the precheck read, handed on so nothing is read twice.
type prechecked struct {
	brand    *naive.Brand    // nil before the first number
	campaign *naive.Campaign // the registered campaign of the number's kind, if any
	tier     string          // the brand's tier, or the one it registers in
	carrier  string          // the brand's carrier, or the one it registers with
}

// ProvisionPhone buys a number for a subject. subjectID "" means the
// caller's default subject. It answers a provisioned number, or a pending
// approval when the subject's kit gates the action for agents.
//
// Errors: invalid_input, formation_incomplete, conflict (EIN mismatch),
// insufficient_credits, no_matching_numbers, provider_error, not_configured,
// not_found (subject, agent).
func (s *Service) ProvisionPhone(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
	if err := s.owner(ctx, "buying numbers"); err != nil {
		return nil, err
	}
	p, subj, cfg, err := s.guard(ctx, "phone", subjectID)
	if err != nil {
		return nil, err
	}
	prepareChosenNumber(&req)
	applyDefaults(&req, cfg.Defaults)
	if err := ValidateProvision(&req); err != nil {
		return nil, err
	}
	if idem := naive.IdempotencyFrom(ctx); idem != nil && idem.Resume {
		r, err := s.takenOver(ctx, p, idem, ActionPhoneProvision)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out, err := s.resumeProvision(ctx, r, subj, req, true)
			return provisioned(out, err)
		}
	}
	pre, err := s.provisionPrecheck(ctx, p, subj, req)
	if err != nil {
		return nil, err
	}
	if pending, err := s.gate(ctx, p, subj, cfg, ActionPhoneProvision, req); err != nil || pending != nil {
		if err != nil {
			return nil, err
		}
		return &naive.ProvisionResult{Pending: pending}, nil
	}
	out, err := s.provision(ctx, s.directRun(ctx, p, ActionPhoneProvision), subj, req, pre)
	return provisioned(out, err)
}

func provisioned(out *naive.Provisioned, err error) (*naive.ProvisionResult, error) {
	if err != nil {
		return nil, err
	}
	return &naive.ProvisionResult{Provisioned: out}, nil
}

// provision runs a provision from its first phase.
func (s *Service) provision(ctx context.Context, r *run, subj *naive.Subject, req naive.ProvisionRequest, pre *prechecked) (*naive.Provisioned, error) {
	cr, err := s.carrierNamed(r.p.Mode, pre.carrier)
	if err != nil {
		return nil, err
	}
	p, now := r.p, s.now()
	phone := &naive.Phone{
		ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, SubjectID: subj.ID, Type: req.Type,
		Status: naive.PhoneProvisioning, Label: req.Label, AgentID: req.AgentID, AreaCode: req.AreaCode,
		Price: s.cfg.PhonePrice, CreatedAt: now, Carrier: cr.Name(),
	}
	debit := &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: -s.cfg.PhonePrice,
		Reason: naive.LedgerPhoneProvision, ReferenceID: phone.ID, Actor: p.Actor(), CreatedAt: now}
	// From the reserve on, the run must end recorded whatever happens to
	// the caller: the phases and the carrier's writes run to their end
	// (each bounded by the carrier client's timeout). The reserve itself
	// too: a reserve cut short might have committed unseen.
	ctx = context.WithoutCancel(ctx)
	balance, err := s.store.ReservePhone(ctx, phone, debit, r.begin(store.PointReserved, phone.ID, subj.ID, req))
	switch {
	case errors.Is(err, store.ErrInsufficientCredits):
		bal, _ := s.store.Balance(ctx, p.Scope())
		return nil, s.endBeforeReserve(ctx, r, errInsufficient(s.cfg.PhonePrice, bal))
	case errors.Is(err, store.ErrNotFound):
		return nil, s.endBeforeReserve(ctx, r, naive.NotFound("subject", subj.ID)) // deleted meanwhile
	case errors.Is(err, store.ErrKeyExists), errors.Is(err, store.ErrLockLost):
		return nil, phaseError(err)
	case err != nil:
		// The reserve may have committed without our hearing of it (a
		// connection lost after the commit): let the record go, so a
		// retry takes it over at once and finds out. The store checks
		// the owner: nothing happens if nothing was written.
		r.release(ctx)
		return nil, err
	}
	r.owned()
	out, err := s.completeProvision(ctx, r, cr, subj, phone, req, pre, balance, false)
	r.releaseUnlessStored(ctx, err)
	return out, err
}

// completeProvision registers what is missing, buys the number and
// activates it. resumed says a dead run may have bought it already.
func (s *Service) completeProvision(ctx context.Context, r *run, cr carrier.Carrier, subj *naive.Subject, phone *naive.Phone,
	req naive.ProvisionRequest, pre *prechecked, balance int64, resumed bool) (*naive.Provisioned, error) {
	brand := pre.brand
	if brand == nil || brand.Status != naive.BrandRegistered {
		var err error
		if brand, err = s.ensureBrand(ctx, cr, r.p, subj, req.EIN, pre.tier); err != nil {
			alt := s.failover(ctx, r.p, subj, req, cr, err)
			if alt == nil {
				return s.failProvision(ctx, r, phone, err)
			}
			// The default carrier is down and the subject has no brand
			// there: the brand and the number go to the fallback, in
			// this same run (charged once, by its reserve).
			r.failoverFrom, cr = cr.Name(), alt
			s.log.Warn("provision fails over to the fallback carrier", "phone_id", phone.ID, "from", r.failoverFrom, "to", alt.Name(), "err", err)
			if brand, err = s.ensureBrand(ctx, cr, r.p, subj, req.EIN, pre.tier); err != nil {
				return s.failProvision(ctx, r, phone, err)
			}
		}
	}
	camp := pre.campaign
	if camp == nil {
		var err error
		if camp, err = s.ensureCampaign(ctx, cr, r.p, subj, brand, campaignKind(req.Type)); err != nil {
			return s.failProvision(ctx, r, phone, err)
		}
		s.recordOverrides(ctx, r.p, subj, camp, req) // compliance.go
	}
	if pre.tier == naive.TierSoleProprietor {
		if err := s.soleProprietorAlone(ctx, r.p.Scope(), subj.ID); err != nil {
			return s.failProvision(ctx, r, phone, err)
		}
	}
	num, err := s.buyNumber(ctx, cr, brand.CarrierID, phone, req, resumed)
	if errors.Is(err, errUndecided) {
		return nil, undecided(r) // the run stays reserved; a retry or the background pass decides
	}
	if err != nil {
		return s.failProvision(ctx, r, phone, buyError(req, err))
	}
	return s.activate(ctx, r, cr, phone, num, camp, brand.Verification, balance)
}

// soleProprietorAlone is the second half of the one-number rule of a sole
// proprietor, checked after the reserve and before the purchase: the
// precheck counts the subject's live phones before this run's reserve, so
// two first provisions at the same moment both pass it. Each run, its own
// phone reserved, counts again and goes on only if its phone is the only
// live one: of two concurrent runs at most one buys (both may refuse, and
// a retry then succeeds), and a run resumed after a crash checks again.
func (s *Service) soleProprietorAlone(ctx context.Context, sc naive.Scope, subjectID string) error {
	n, err := s.store.CountPhones(ctx, sc, subjectID, naive.PhoneActive, naive.PhoneProvisioning)
	if err != nil {
		return err
	}
	if n > 1 {
		return (&naive.Error{Code: naive.EConflict, Param: "tier",
			Message: "A sole proprietor's brand holds one number, and another provision for this subject is running."}).
			WithHint("Nothing was charged. Wait for the other provision (GET /v1/subjects/%s/phone), or retry if it failed.", subjectID)
	}
	return nil
}

// errUndecided: the carrier could not tell whether it carried a purchase
// out, and could not be asked; the run is left at its recovery point for a
// retry (same Idempotency-Key) or the background pass, which never buy
// twice.
var errUndecided = errors.New("the carrier's outcome is unknown")

// undecided is the answer of a run left undecided: retryable only under an
// Idempotency-Key (a retry without one would be a second purchase).
func undecided(r *run) error {
	e := &naive.Error{Code: naive.EProviderError, Err: errUndecided,
		Message: "The carrier did not confirm the purchase and could not be asked whether it made it; the charge is held until it can."}
	if r.idem != nil {
		return e.WithHint("Retry with the same Idempotency-Key: the retry finds out, and never buys twice.").With("retryable", true)
	}
	return e.WithHint("Do not send it again: reconciliation records the number or refunds the charge within minutes; watch GET /v1/phone.").
		With("retryable", false)
}

// buyNumber buys the phone's number. Surge has no idempotency keys: a
// purchase whose answer was lost is looked up by the name we gave it (our
// phone id); if the carrier surely does not have it, the purchase is tried
// once more (should the first land late after all, the reconciler releases
// the extra). A resumed run looks first.
func (s *Service) buyNumber(ctx context.Context, cr carrier.Carrier, brandID string, phone *naive.Phone, req naive.ProvisionRequest, resumed bool) (carrier.Number, error) {
	if resumed {
		n, ok, err := cr.FindNumber(ctx, brandID, phone.ID)
		if err != nil {
			return carrier.Number{}, errUndecided
		}
		if ok {
			return n, nil
		}
	}
	for attempt := 1; ; attempt++ {
		if err := s.mayAct(ctx); err != nil {
			return carrier.Number{}, err
		}
		n, err := cr.BuyNumber(ctx, brandID, carrier.NumberOrder{Type: req.Type, AreaCode: req.AreaCode, E164: req.E164, Ref: phone.ID})
		if err == nil || !errors.Is(err, carrier.ErrUnknownOutcome) {
			return n, err
		}
		found, ok, lerr := cr.FindNumber(ctx, brandID, phone.ID)
		switch {
		case lerr != nil:
			s.log.Warn("purchase outcome unknown and the carrier cannot be asked", "phone_id", phone.ID, "err", lerr)
			return carrier.Number{}, errUndecided
		case ok:
			return found, nil
		case attempt == 2:
			return carrier.Number{}, err
		}
	}
}

// activate is the provision's last phase.
func (s *Service) activate(ctx context.Context, r *run, cr carrier.Carrier, phone *naive.Phone, num carrier.Number, camp *naive.Campaign,
	verification string, balance int64) (*naive.Provisioned, error) {
	ph := *phone
	ph.Status, ph.E164, ph.CarrierID, ph.CampaignID, ph.Carrier = naive.PhoneActive, num.E164, num.ID, camp.ID, cr.Name()
	ph.Capabilities = capabilities(&ph, camp)
	res := &naive.Provisioned{
		Phone:             ph,
		Campaign:          naive.CampaignSummary{ID: camp.ID, Status: camp.Status, ETA: s.campaignETA(camp)},
		CreditsUsed:       ph.Price,
		CreditsRemaining:  balance,
		BrandVerification: verification,
		Carrier:           cr.Name(),
		FailoverFrom:      r.failoverFrom,
	}
	if verification == naive.BrandVerificationPendingOTP {
		res.BrandVerificationMethod = cr.BrandVerificationMethod()
	}
	ev, err := s.event(naive.Scope{OperatorID: ph.OperatorID, Mode: ph.Mode}, naive.EventPhoneProvisioned, &ph)
	if err != nil {
		return nil, err
	}
	act := &store.PhoneActivation{ID: ph.ID, E164: ph.E164, CarrierID: ph.CarrierID, CampaignID: ph.CampaignID, Carrier: ph.Carrier,
		Events: []*naive.Event{ev}}
	if ph.AgentID != "" {
		act.Assignment = &naive.Assignment{PhoneID: ph.ID, AgentID: ph.AgentID, OperatorID: ph.OperatorID, Mode: ph.Mode,
			Permissions: []string{naive.PermReceiveSMS, naive.PermSendSMS}, CreatedAt: s.now()}
	}
	err = s.store.ActivatePhone(ctx, act, r.finish(res, nil))
	switch {
	case err == nil:
		r.stored()
		s.log.Info("phone provisioned", "phone_id", ph.ID, "e164", ph.E164, "subject_id", ph.SubjectID, "mode", ph.Mode)
		return res, nil
	case errors.Is(err, store.ErrNotFound) && act.Assignment != nil:
		// The agent to connect was deleted meanwhile: nothing half-done.
		// The number goes back and the charge with it.
		s.releaseUnrecorded(ctx, cr, num)
		return s.failProvision(ctx, r, phone, naive.InvalidParam("agent_id",
			"Agent %s was deleted while the number was being bought; the number was released and nothing was charged.", ph.AgentID).
			WithHint("Provision again with an existing agent_id (GET /v1/agents), or without one."))
	case errors.Is(err, store.ErrConflict):
		// The phone is no longer provisioning: the reconciler settled it
		// while this run was away — activated with this very number, or
		// refunded (then the number is not ours).
		if res, settled, err := s.settledElsewhere(ctx, r, phone, num.ID); settled {
			return res, err // the number is the phone's: never release it
		}
		s.releaseUnrecorded(ctx, cr, num)
		return s.failProvision(ctx, r, phone, errInterrupted())
	}
	// ErrLockLost: another process took the run over and will record the
	// number (it finds it by our phone id). Any other error leaves the run
	// reserved with the number named after it, for a retry to record.
	return nil, phaseError(err)
}

func (s *Service) releaseUnrecorded(ctx context.Context, cr carrier.Carrier, num carrier.Number) {
	if err := cr.ReleaseNumber(ctx, num.ID); err != nil {
		// The reconciler releases carrier numbers we do not hold.
		s.log.Error("release unrecorded number", "carrier_id", num.ID, "err", err)
	}
}

func errInterrupted() *naive.Error {
	return (&naive.Error{Code: naive.EProviderError,
		Message: "The provision was interrupted before a number was bought; its charge was refunded."}).
		WithHint("Send the request again; nothing was bought or kept.").With("retryable", true)
}

// failProvision ends a reserved run that failed: the refund and the outcome
// in one transaction. A failure that is a server error (or 429) forgets the
// key, so a retry starts afresh; any other stores its error as the answer.
// A phone the reconciler activated meanwhile (it found the number) ends
// the run as the success it is.
func (s *Service) failProvision(ctx context.Context, r *run, phone *naive.Phone, failure error) (*naive.Provisioned, error) {
	refund := &naive.LedgerEntry{ID: newID(), OperatorID: phone.OperatorID, Mode: phone.Mode, Amount: phone.Price,
		Reason: naive.LedgerPhoneRefund, ReferenceID: phone.ID, Actor: r.p.Actor(), CreatedAt: s.now()}
	pr := r.finish(nil, failure)
	if dropsKey(failure) {
		pr = r.drop(failure)
	}
	_, err := s.store.FailPhone(ctx, phone.ID, refund, pr)
	if errors.Is(err, store.ErrConflict) {
		if res, settled, serr := s.settledElsewhere(ctx, r, phone, ""); settled {
			return res, serr
		}
		// Refunded already (by the reconciler): store the outcome.
		err = s.store.SaveProgress(ctx, pr)
	}
	if err != nil {
		s.log.Error("refund failed provision", "phone_id", phone.ID, "err", err)
		return nil, phaseError(err)
	}
	r.stored()
	return nil, failure
}

// settledElsewhere ends a run whose phone another run or the reconciler
// activated while this one was away (with carrierID, when given): the
// run's answer is that number. settled reports whether the phone is so
// active — then its number is the phone's, whatever err says: err is only
// that this run could not store the answer (another took the run over and
// answers it), and the caller must neither release the number nor refund.
func (s *Service) settledElsewhere(ctx context.Context, r *run, phone *naive.Phone, carrierID string) (res *naive.Provisioned, settled bool, err error) {
	sc := naive.Scope{OperatorID: phone.OperatorID, Mode: phone.Mode}
	ph, camp, err := s.store.GetPhoneAndCampaign(ctx, sc, phone.ID)
	if err != nil || ph.Status != naive.PhoneActive || (carrierID != "" && ph.CarrierID != carrierID) {
		return nil, false, nil
	}
	res = &naive.Provisioned{Phone: *ph, CreditsUsed: ph.Price, Carrier: ph.Carrier}
	if e, err := s.store.GetLedgerEntry(ctx, sc, naive.LedgerPhoneProvision, ph.ID); err == nil {
		res.CreditsRemaining = e.BalanceAfter
	}
	res.Phone.Capabilities = capabilities(ph, camp)
	if camp != nil {
		res.Campaign = naive.CampaignSummary{ID: camp.ID, Status: camp.Status, ETA: s.campaignETA(camp)}
	}
	if err := s.store.SaveProgress(ctx, r.finish(res, nil)); err != nil {
		s.log.Warn("store the outcome of a provision settled meanwhile", "phone_id", ph.ID, "err", err)
		return nil, true, phaseError(err)
	}
	r.stored()
	return res, true, nil
}

// resumeProvision resumes a provision whose process died after its reserve
// (r holds the record: a key taken over, or an approval). waiting says a
// client or a human waits for the outcome: a provision that had bought
// nothing is then run afresh, in place, instead of only refunded.
func (s *Service) resumeProvision(ctx context.Context, r *run, subj *naive.Subject, req naive.ProvisionRequest, waiting bool) (*naive.Provisioned, error) {
	ctx = context.WithoutCancel(ctx)
	out, err := s.resumeReserved(ctx, r, subj, req, waiting)
	r.releaseUnlessStored(ctx, err)
	return out, err
}

func (s *Service) resumeReserved(ctx context.Context, r *run, subj *naive.Subject, req naive.ProvisionRequest, waiting bool) (*naive.Provisioned, error) {
	phoneID := r.resource()
	sc := r.p.Scope()
	phone, err := s.store.GetPhone(ctx, sc, phoneID)
	if errors.Is(err, store.ErrNotFound) && r.appr != nil {
		// The approval's reserve never committed: nothing to undo.
		r.appr.ResourceID, r.resumed = "", false
		return s.afresh(ctx, r, subj, req)
	}
	if err != nil {
		return nil, err
	}
	cr, err := s.carrierNamed(r.p.Mode, phone.Carrier)
	if err != nil {
		return nil, err
	}
	camp, err := s.campaignOf(ctx, sc, phone)
	if err != nil {
		return nil, err
	}
	balance := int64(0)
	if e, err := s.store.GetLedgerEntry(ctx, sc, naive.LedgerPhoneProvision, phone.ID); err == nil {
		balance = e.BalanceAfter
	}
	switch phone.Status {
	case naive.PhoneActive, naive.PhoneReleased:
		// Activated (by the reconciler) but the outcome was not stored.
		res := &naive.Provisioned{Phone: *phone, CreditsUsed: phone.Price, CreditsRemaining: balance, Carrier: phone.Carrier}
		res.Phone.Capabilities = capabilities(phone, camp)
		if camp != nil {
			res.Campaign = naive.CampaignSummary{ID: camp.ID, Status: camp.Status, ETA: s.campaignETA(camp)}
		}
		if err := s.store.SaveProgress(ctx, r.finish(res, nil)); err != nil {
			return nil, phaseError(err)
		}
		r.stored()
		return res, nil
	case naive.PhoneProvisioning:
		brand, err := s.store.GetBrand(ctx, sc, phone.SubjectID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if brand != nil && brand.Status == naive.BrandRegistered && camp != nil {
			n, ok, ferr := cr.FindNumber(ctx, brand.CarrierID, phone.ID)
			if ferr != nil {
				return nil, undecided(r)
			}
			if ok {
				return s.activate(ctx, r, cr, phone, n, camp, brand.Verification, balance)
			}
		}
	}
	// The earlier run bought nothing: its charge goes back (if the
	// reconciler has not given it back already) and its key is forgotten.
	if res, ok, err := s.refundInterrupted(ctx, r, phone); err != nil || ok {
		return res, err
	}
	if !waiting {
		return nil, errInterrupted()
	}
	if r.appr == nil {
		r.done = true // the old run's record is gone; the new run has its own
		r = s.directRun(naive.WithIdempotency(ctx, r.idem), r.p, ActionPhoneProvision)
	} else {
		r.appr.ResourceID, r.resumed = "", false
	}
	return s.afresh(ctx, r, subj, req)
}

// afresh runs a provision from its precheck, for a run whose earlier
// attempt did nothing that needs undoing.
func (s *Service) afresh(ctx context.Context, r *run, subj *naive.Subject, req naive.ProvisionRequest) (*naive.Provisioned, error) {
	pre, err := s.provisionPrecheck(ctx, r.p, subj, req)
	if err != nil {
		return nil, s.endBeforeReserve(ctx, r, err)
	}
	return s.provision(ctx, r, subj, req, pre)
}

// refundInterrupted refunds a reserved phone a dead run bought nothing for
// and leaves its record ready to run afresh: a key is forgotten, an
// approval keeps executing with no phone. A phone the reconciler activated
// meanwhile ends the run as a success instead (ok).
func (s *Service) refundInterrupted(ctx context.Context, r *run, phone *naive.Phone) (*naive.Provisioned, bool, error) {
	refund := &naive.LedgerEntry{ID: newID(), OperatorID: phone.OperatorID, Mode: phone.Mode, Amount: phone.Price,
		Reason: naive.LedgerPhoneRefund, ReferenceID: phone.ID, Actor: r.p.Actor(), CreatedAt: s.now()}
	pr := r.drop(nil)
	if r.appr != nil {
		pr = store.Progress{Approval: &store.ApprovalStep{ID: r.appr.ID, Owner: s.cfg.ProcessID}}
	}
	_, err := s.store.FailPhone(ctx, phone.ID, refund, pr)
	if errors.Is(err, store.ErrConflict) {
		if res, settled, serr := s.settledElsewhere(ctx, r, phone, ""); settled {
			return res, serr == nil, serr
		}
		err = s.store.SaveProgress(ctx, pr)
	}
	if err != nil {
		return nil, false, phaseError(err)
	}
	s.log.Info("refunded a provision interrupted before its purchase", "phone_id", phone.ID)
	return nil, false, nil
}

// endBeforeReserve stores the outcome of a run refused before its first
// phase: only an approval records one (a direct call stores nothing). An
// approval refused for a short balance is not decided at all: it goes back
// to pending, so the human can grant credits and approve it again.
func (s *Service) endBeforeReserve(ctx context.Context, r *run, failure error) error {
	if r.appr == nil {
		return failure
	}
	if naive.ErrorCode(failure) == naive.EInsufficientCredits {
		if err := s.store.SaveProgress(ctx, store.Progress{Approval: &store.ApprovalStep{ID: r.appr.ID,
			Owner: s.cfg.ProcessID, Reopen: true}}); err != nil {
			return phaseError(err)
		}
		r.stored()
		r.reopened = true
		return failure
	}
	if err := s.store.SaveProgress(ctx, r.finish(nil, failure)); err != nil {
		return phaseError(err)
	}
	r.stored()
	return failure
}

// campaignOf returns the registered campaign of a phone's kind (nil if
// none yet).
func (s *Service) campaignOf(ctx context.Context, sc naive.Scope, ph *naive.Phone) (*naive.Campaign, error) {
	if ph.CampaignID != "" {
		c, err := s.store.GetCampaign(ctx, sc, ph.CampaignID)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return c, err
		}
	}
	camps, err := s.store.ListCampaigns(ctx, sc, ph.SubjectID)
	if err != nil {
		return nil, err
	}
	for i := range camps {
		if camps[i].Kind == campaignKind(ph.Type) && camps[i].ClaimToken == "" {
			return &camps[i], nil
		}
	}
	return nil, nil
}

func campaignKind(phoneType string) string {
	if phoneType == naive.PhoneTollFree {
		return naive.CampaignTollFree
	}
	return naive.Campaign10DLC
}

// provisionPrecheck refuses a provision that cannot succeed whatever a human
// decides: it runs before the approval gate, so no human is asked to approve
// a doomed request, and again when an approval is executed, since things
// may change while it waits. It returns the brand and campaign it read.
func (s *Service) provisionPrecheck(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.ProvisionRequest) (*prechecked, error) {
	sc := p.Scope()
	// The campaign content this provision would submit: its compliance
	// rules, before any fee (compliance.go).
	if err := s.campaignPrecheck(ctx, p, subj, req); err != nil {
		return nil, err
	}
	brand, err := s.store.GetBrand(ctx, sc, subj.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	carrierName, err := s.provisionCarrier(ctx, sc, req, brand)
	if err != nil {
		return nil, err
	}
	tier := tierOf(req, brand)
	if brand != nil && brand.Tier != tier {
		return nil, errTierMismatch(brand, tier)
	}
	if tier == naive.TierSoleProprietor {
		pre, err := s.soleProprietorChecks(ctx, p, subj, req, brand)
		if pre != nil {
			pre.tier, pre.carrier = tier, carrierName
		}
		return pre, err
	}
	// 1. Formation (a company's: a sole proprietor forms none).
	if f := subj.Formation.Effective(s.now()); f.Status != naive.FormationCompleted {
		return nil, (&naive.Error{Code: naive.EFormationIncomplete,
			Message: fmt.Sprintf("The subject's LLC formation is %s; a number needs a completed formation.", f.Status)}).
			WithHint("Start or finish it with POST /v1/subjects/%s/formation, then retry.", subj.ID).
			With("formation_status", f.Status)
	}
	// 2. The agent to connect.
	if err := s.agentExists(ctx, sc, req.AgentID); err != nil {
		return nil, err
	}
	// 3. The brand: EIN on the first number, the same EIN afterwards.
	pre := &prechecked{tier: tier, carrier: carrierName}
	registered := brand != nil && brand.Status == naive.BrandRegistered
	if registered {
		pre.brand = brand
	}
	switch {
	case !registered && req.EIN == "" && (brand == nil || brand.EIN == ""):
		return nil, naive.InvalidParam("ein", "ein is required on the subject's first number: it registers the carrier brand.").
			WithHint("Send the company's EIN, e.g. \"ein\": \"12-3456789\".")
	case registered && req.EIN != "" && req.EIN != brand.EIN:
		return nil, errEINMismatch(brand.EIN)
	}
	if !registered {
		if missing := missingForRegistration(subj.SubjectProfile); len(missing) > 0 {
			return nil, (&naive.Error{Code: naive.EInvalidInput, Param: missing[0],
				Message: "The subject's profile lacks what carrier registration needs."}).
				WithHint("Fill these fields with PATCH /v1/subjects/%s, then retry.", subj.ID).
				With("fields_needed", missing)
		}
		return pre, nil
	}
	// 4. The campaign of the number's kind, once registered.
	return pre, s.precheckedCampaign(ctx, sc, subj, req, pre)
}

// agentExists checks the agent a provision connects, if any.
func (s *Service) agentExists(ctx context.Context, sc naive.Scope, agentID string) error {
	if agentID == "" {
		return nil
	}
	if _, err := s.store.GetAgent(ctx, sc, agentID); errors.Is(err, store.ErrNotFound) {
		return naive.InvalidParam("agent_id", "No agent with id %q.", agentID).
			WithHint("Create one with POST /v1/agents, or list them with GET /v1/agents.")
	} else if err != nil {
		return err
	}
	return nil
}

// precheckedCampaign reads the subject's registered campaign of the
// number's kind into pre.
func (s *Service) precheckedCampaign(ctx context.Context, sc naive.Scope, subj *naive.Subject, req naive.ProvisionRequest, pre *prechecked) error {
	camps, err := s.store.ListCampaigns(ctx, sc, subj.ID)
	if err != nil {
		return err
	}
	for i := range camps {
		if camps[i].Kind == campaignKind(req.Type) && camps[i].ClaimToken == "" {
			pre.campaign = &camps[i]
		}
	}
	return nil
}

// soleProprietorChecks is the precheck of a sole proprietor's provision:
// no formation and no EIN; the profile with the contact's US mobile
// number; one number per brand.
func (s *Service) soleProprietorChecks(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.ProvisionRequest, brand *naive.Brand) (*prechecked, error) {
	sc := p.Scope()
	if err := s.agentExists(ctx, sc, req.AgentID); err != nil {
		return nil, err
	}
	if err := s.soleProprietorPrecheck(ctx, sc, subj); err != nil {
		return nil, err
	}
	pre := &prechecked{}
	if brand == nil || brand.Status != naive.BrandRegistered {
		if err := soleProprietorProfile(subj); err != nil {
			return nil, err
		}
		return pre, nil
	}
	pre.brand = brand
	return pre, s.precheckedCampaign(ctx, sc, subj, req, pre)
}

// ensureBrand returns the subject's registered brand, registering it with
// the carrier if this call is the first. Concurrent first calls elect one
// registrar through a stored claim; the others wait for it. A claim whose
// process died is taken over at once; a brand the carrier created but
// found not ready keeps its carrier id, so a retry after the profile is
// fixed updates it rather than creating another.
func (s *Service) ensureBrand(ctx context.Context, cr carrier.Carrier, p naive.Principal, subj *naive.Subject, ein, tier string) (*naive.Brand, error) {
	deadline := s.now().Add(s.cfg.ClaimWait)
	for {
		token := newID()
		now := s.now()
		b, claimed, err := s.store.ClaimBrand(ctx, &naive.Brand{SubjectID: subj.ID, OperatorID: p.OperatorID, Mode: p.Mode,
			EIN: ein, Tier: tier, Carrier: cr.Name(), Status: naive.BrandRegistering, ClaimToken: token, ClaimedBy: s.cfg.ProcessID, ClaimedAt: now, CreatedAt: now},
			now.Add(-s.cfg.ClaimStale), s.liveAfter())
		if err != nil {
			return nil, err
		}
		if b.Status == naive.BrandRegistered {
			if ein != "" && b.EIN != ein {
				return nil, errEINMismatch(b.EIN)
			}
			return b, nil
		}
		if claimed {
			return s.registerBrand(ctx, cr, subj, b, token)
		}
		if s.now().After(deadline) {
			return nil, (&naive.Error{Code: naive.EProviderError, Message: "The carrier brand is still being registered by another request."}).
				WithHint("Retry in a minute with the same Idempotency-Key; nothing was charged.").With("retryable", true)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// registerBrand registers a claimed brand in its phases: the carrier's
// brand (created, or updated when an earlier attempt created it), its id
// recorded at once, then its readiness.
func (s *Service) registerBrand(ctx context.Context, cr carrier.Carrier, subj *naive.Subject, b *naive.Brand, token string) (*naive.Brand, error) {
	abandon := func() {
		if err := s.store.AbandonBrand(ctx, subj.ID, token); err != nil {
			s.log.Error("abandon brand claim", "subject_id", subj.ID, "err", err)
		}
	}
	reg := carrier.BrandRegistration{Profile: subj.SubjectProfile, EIN: b.EIN, Tier: b.Tier}
	if err := s.mayAct(ctx); err != nil {
		abandon()
		return nil, err
	}
	if b.CarrierID == "" {
		id, err := cr.CreateBrand(ctx, reg)
		if err != nil {
			abandon()
			return nil, carrierError("register the brand", err)
		}
		if err := s.store.SetBrandCarrierID(ctx, subj.ID, token, id, s.now()); err != nil {
			s.archiveOrphan(ctx, cr, b, id, err)
			return nil, err
		}
		b.CarrierID = id
	} else if err := cr.UpdateBrand(ctx, b.CarrierID, reg); err != nil {
		abandon()
		return nil, carrierError("update the brand", err)
	}
	st, err := cr.BrandStatus(ctx, b.CarrierID)
	if err != nil {
		abandon()
		return nil, carrierError("check the brand", err)
	}
	verification := ""
	if b.Tier == naive.TierSoleProprietor {
		// Registered, awaiting the contact's reply to the carrier's
		// text: the number can be bought, the campaign waits.
		verification = naive.BrandVerificationVerified
		if !st.Ready && st.Verification == naive.BrandVerificationPendingOTP && len(st.FieldsNeeded) == 0 && len(st.Problems) == 0 {
			verification, st.Ready = naive.BrandVerificationPendingOTP, true
		}
	}
	if !st.Ready {
		abandon()
		return nil, brandNotReady(subj, st)
	}
	if err := s.store.CompleteBrand(ctx, subj.ID, token, b.CarrierID, verification, s.now()); err != nil {
		return nil, err
	}
	b.Status, b.ClaimToken, b.Verification = naive.BrandRegistered, "", verification
	s.log.Info("brand registered", "subject_id", subj.ID, "carrier_brand", b.CarrierID)
	return b, nil
}

// orphanArchiveTimeout bounds the archive of an orphaned carrier brand, a
// best-effort call made on the way out of a failed registration.
var orphanArchiveTimeout = 30 * time.Second

// archiveOrphan archives, best effort, the carrier brand id that this
// registration created but could not record (recordErr). Nothing refers to
// such a brand: the retry, here or in the process that took the claim
// over, creates another, so without the archive it would be left at the
// carrier for good, as a second brand of the company. It is archived only
// when the database surely does not hold it: the claim was lost (the
// record was not written), or a read shows the brand without it. If that
// cannot be told, it is kept and logged, since archiving is final. The
// archive changes nothing here, so the run fails exactly as it would
// without it, and the carrier takes a repeated archive as done.
func (s *Service) archiveOrphan(ctx context.Context, cr carrier.Carrier, b *naive.Brand, id string, recordErr error) {
	log := s.log.With("subject_id", b.SubjectID, "carrier_brand", id, "record_err", recordErr)
	if !errors.Is(recordErr, store.ErrConflict) {
		cur, err := s.store.GetBrand(ctx, naive.Scope{OperatorID: b.OperatorID, Mode: b.Mode}, b.SubjectID)
		switch {
		case err == nil && cur.CarrierID == id:
			return // recorded after all: the brand is in use
		case err != nil && !errors.Is(err, store.ErrNotFound):
			log.Error("carrier brand may be orphaned: it could not be recorded, nor the record read; archive it at the carrier by hand if no brand refers to it",
				"err", err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, orphanArchiveTimeout)
	defer cancel()
	if err := cr.ArchiveBrand(ctx, id); err != nil {
		log.Error("carrier brand orphaned: it could not be recorded, and archiving it failed; archive it at the carrier by hand", "err", err)
		return
	}
	log.Warn("archived an orphaned carrier brand: it was created but could not be recorded")
}

// brandNotReady explains what the carrier found missing or wrong.
func brandNotReady(subj *naive.Subject, st carrier.Brand) error {
	if len(st.Problems) > 0 {
		e := st.Problems[0]
		for _, p := range st.Problems {
			if p.Field == "ein" {
				return (&naive.Error{Code: naive.EInvalidInput, Param: "ein",
					Message: "The carrier rejected the EIN: it does not match the legal name in government records."}).
					WithHint("Check the EIN and the subject's legal_name against the IRS letter, then retry.").With("carrier_error", p.Code)
			}
		}
		return (&naive.Error{Code: naive.EInvalidInput, Param: e.Field, Message: "The carrier rejected " + e.Field + ": " + e.Message}).
			WithHint("Fix it with PATCH /v1/subjects/%s, then retry.", subj.ID)
	}
	param := ""
	if len(st.FieldsNeeded) > 0 {
		param = st.FieldsNeeded[0]
	}
	return (&naive.Error{Code: naive.EInvalidInput, Param: param, Message: "The carrier needs more of the subject's profile to register the brand."}).
		WithHint("Fill these fields with PATCH /v1/subjects/%s, then retry.", subj.ID).With("fields_needed", st.FieldsNeeded)
}

// ensureCampaign returns the subject's campaign of kind, creating it once.
func (s *Service) ensureCampaign(ctx context.Context, cr carrier.Carrier, p naive.Principal, subj *naive.Subject, brand *naive.Brand, kind string) (*naive.Campaign, error) {
	deadline := s.now().Add(s.cfg.ClaimWait)
	for {
		token := newID()
		now := s.now()
		c, claimed, err := s.store.ClaimCampaign(ctx, &naive.Campaign{ID: newID(), SubjectID: subj.ID, OperatorID: p.OperatorID, Mode: p.Mode,
			Kind: kind, Status: naive.CampaignCreated, ClaimToken: token, ClaimedBy: s.cfg.ProcessID, ClaimedAt: now, CreatedAt: now, UpdatedAt: now},
			now.Add(-s.cfg.ClaimStale), s.liveAfter())
		if err != nil {
			return nil, err
		}
		if claimed {
			return s.registerCampaign(ctx, cr, subj, brand, c, token)
		}
		if c.ClaimToken == "" {
			return c, nil
		}
		if s.now().After(deadline) {
			return nil, (&naive.Error{Code: naive.EProviderError, Message: "The campaign is still being registered by another request."}).
				WithHint("Retry in a minute with the same Idempotency-Key; nothing was charged.").With("retryable", true)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// registerCampaign registers a claimed campaign. A claim taken over from a
// dead process first adopts a campaign the carrier already has for the
// brand (its creation's answer was lost), so none is created twice.
func (s *Service) registerCampaign(ctx context.Context, cr carrier.Carrier, subj *naive.Subject, brand *naive.Brand, c *naive.Campaign, token string) (*naive.Campaign, error) {
	carrierID, status := "", naive.CampaignCreated
	// A sole proprietor's campaign waits for the brand's verification: it
	// is recorded now, and the background pass creates it at the carrier
	// once the contact confirmed the text (startDeferredCampaign).
	if c.Kind == naive.Campaign10DLC && brand.Verification != naive.BrandVerificationPendingOTP {
		err := s.mayAct(ctx)
		var (
			cp    carrier.Campaign
			found bool
		)
		if err == nil {
			cp, found, err = cr.FindCampaign(ctx, brand.CarrierID)
		}
		if err == nil && !found {
			cp, err = s.createCampaign(ctx, cr, brand.CarrierID, subj) // its campaign content (campaigncontent.go)
		}
		if err != nil {
			if aerr := s.store.AbandonCampaign(ctx, c.ID, token); aerr != nil {
				s.log.Error("abandon campaign claim", "campaign_id", c.ID, "err", aerr)
			}
			return nil, carrierError("register the campaign", err)
		}
		carrierID, status = cp.ID, cp.Status
	}
	// Toll-free verification has no carrier API (Surge runs it from its
	// dashboard); the record tracks it and the poller advances it.
	if err := s.store.CompleteCampaign(ctx, c.ID, token, carrierID, status, s.now()); err != nil {
		return nil, err
	}
	c.CarrierID, c.Status, c.ClaimToken = carrierID, status, ""
	s.log.Info("campaign registered", "subject_id", subj.ID, "campaign_id", c.ID, "kind", c.Kind, "carrier_id", carrierID)
	return c, nil
}

// decodeProvision reads a frozen provision request.
func decodeProvision(payload json.RawMessage) (naive.ProvisionRequest, error) {
	var req naive.ProvisionRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return req, fmt.Errorf("decode provision payload: %w", err)
	}
	if verr := ValidateProvision(&req); verr != nil {
		return req, verr
	}
	return req, nil
}
