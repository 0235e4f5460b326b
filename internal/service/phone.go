package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

func errInsufficient(price, balance int64) *naive.Error {
	return (&naive.Error{Code: naive.EInsufficientCredits,
		Message: fmt.Sprintf("A number costs %d credits; the balance is %d.", price, balance)}).
		WithHint("A human can add credits with POST /v1/credits/grant (or `naive credits grant`); do not retry until then.").
		With("credits_required", price).With("credits_balance", balance)
}

func errEINMismatch(registered string) *naive.Error {
	return (&naive.Error{Code: naive.EConflict, Param: "ein",
		Message: fmt.Sprintf("The subject's brand is registered with EIN %s; a different ein was sent.", maskEIN(registered))}).
		WithHint("Omit ein (later numbers reuse the brand), or send the registered one.")
}

// maskEIN shows only the last four digits of an EIN.
func maskEIN(ein string) string {
	if len(ein) < 4 {
		return "****"
	}
	return "**-***" + ein[len(ein)-4:]
}

// campaignETA says how long an open campaign's review usually takes: the
// carriers' business days in live mode, the sandbox's review delay in
// test mode.
func (s *Service) campaignETA(c *naive.Campaign) *string {
	if c == nil {
		return nil
	}
	switch c.Status {
	case naive.CampaignCreated, naive.CampaignInReview:
		e := s.reviewTime(c.Mode, c.Kind)
		return &e
	}
	return nil
}

// reviewTime is how long a campaign's review usually takes in mode.
func (s *Service) reviewTime(mode naive.Mode, kind string) string {
	if mode == naive.ModeTest {
		return "about " + s.cfg.TestReviewDelay.Round(time.Second).String() + " (the sandbox's review delay)"
	}
	if kind == naive.CampaignTollFree {
		return "3-5 business days"
	}
	return "1-2 business days"
}

// capabilities derives a number's capabilities: inbound at once, outbound
// once the subject's campaign of the number's kind is active.
func capabilities(p *naive.Phone, c *naive.Campaign) naive.Capabilities {
	active := p.Status == naive.PhoneActive
	return naive.Capabilities{SMSInbound: active, SMSOutbound: active && c != nil && c.Status == naive.CampaignActive}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// withCapabilities fills the derived fields of phones from their campaigns.
func (s *Service) withCapabilities(ctx context.Context, sc naive.Scope, phones []naive.Phone) error {
	camps := map[string]*naive.Campaign{}
	for i := range phones {
		ph := &phones[i]
		c, ok := camps[ph.CampaignID]
		if !ok && ph.CampaignID != "" {
			got, err := s.store.GetCampaign(ctx, sc, ph.CampaignID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			c = got
			camps[ph.CampaignID] = c
		}
		ph.Capabilities = capabilities(ph, c)
	}
	return nil
}

// ListPhones lists a subject's numbers, newest first.
func (s *Service) ListPhones(ctx context.Context, subjectID, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	if agentID != "" && !validUUID(agentID) {
		return nil, naive.InvalidParam("agent", "agent must be an agent id (UUID).")
	}
	rows, err := s.store.ListPhones(ctx, p.Scope(), subj.ID, naive.PhoneFilter{AgentID: agentID, Page: pg})
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, func(ph naive.Phone) string { return ph.ID })
	if err := s.withCapabilities(ctx, p.Scope(), l.Data); err != nil {
		return nil, err
	}
	return &l, nil
}

// read resolves the caller and subject of a call that is not gated.
func (s *Service) read(ctx context.Context, subjectID string) (naive.Principal, *naive.Subject, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return p, nil, err
	}
	subj, err := s.subject(ctx, p, subjectID)
	return p, subj, err
}

// phoneCall resolves the caller and subject of a phone action, refusing it
// when the subject's kit disables the phone primitive.
func (s *Service) phoneCall(ctx context.Context, subjectID string) (naive.Principal, *naive.Subject, error) {
	p, subj, _, err := s.guard(ctx, "phone", subjectID)
	return p, subj, err
}

// applyDefaults fills a provision request's empty fields from a kit's phone
// defaults. An explicit type keeps the kit's area code out of it, so a
// toll-free default cannot land on a local request.
func applyDefaults(req *naive.ProvisionRequest, d map[string]string) {
	if req.Type != "" && d["type"] != "" && req.Type != d["type"] {
		if req.Label == "" {
			req.Label = d["label"]
		}
		return
	}
	for key, dst := range map[string]*string{"type": &req.Type, "area_code": &req.AreaCode, "label": &req.Label} {
		if *dst == "" {
			*dst = d[key]
		}
	}
}

// GetPhone returns one number of the subject.
func (s *Service) GetPhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, camp, err := s.phoneAndCampaign(ctx, p, subj, id)
	if err != nil {
		return nil, err
	}
	ph.Capabilities = capabilities(ph, camp)
	return ph, nil
}

// UpdatePhone relabels one of the subject's active numbers; an empty label
// removes it.
func (s *Service) UpdatePhone(ctx context.Context, subjectID, id string, patch naive.PhonePatch) (*naive.Phone, error) {
	if err := s.owner(ctx, "relabeling numbers"); err != nil {
		return nil, err
	}
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if patch.Label == nil {
		return nil, naive.InvalidParam("label", "Nothing to change: send label (an empty one removes it).")
	}
	label := strings.TrimSpace(*patch.Label)
	if err := naive.CheckText("label", label); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(label) > 64 {
		return nil, naive.InvalidParam("label", "label must be at most 64 characters.")
	}
	if p.Kind == naive.PrincipalAgent && p.AgentID != "" {
		return nil, (&naive.Error{Code: naive.EForbidden, Message: "An agent-bound key cannot relabel numbers."}).
			WithHint("Use a human session or an operator key (one not bound to an agent).")
	}
	ph, camp, err := s.phoneAndCampaign(ctx, p, subj, id)
	if err != nil {
		return nil, err
	}
	got, err := s.store.SetPhoneLabel(ctx, p.Scope(), ph.ID, label)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, naive.NotFound("phone", id)
	case errors.Is(err, store.ErrConflict):
		return nil, naive.Errorf(naive.EConflict, "Phone %s was released; it cannot be relabelled.", id).
			WithHint("Relabel an active number; GET /v1/phone lists them.")
	case err != nil:
		return nil, err
	}
	// Not read again: this request's cached numbers predate the change.
	got.Capabilities = capabilities(got, camp)
	return got, nil
}

func (s *Service) getPhone(ctx context.Context, p naive.Principal, subj *naive.Subject, id string) (*naive.Phone, error) {
	ph, _, err := s.phoneAndCampaign(ctx, p, subj, id)
	return ph, err
}

// phoneAndCampaign reads one of the subject's numbers with its campaign
// (nil when it has none), in one statement.
func (s *Service) phoneAndCampaign(ctx context.Context, p naive.Principal, subj *naive.Subject, id string) (*naive.Phone, *naive.Campaign, error) {
	if !validUUID(id) {
		return nil, nil, naive.NotFound("phone", id)
	}
	ph, camp, err := s.phoneAndCampaignAt(ctx, p, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (ph.SubjectID != subj.ID || ph.Status == naive.PhoneFailed || ph.Status == naive.PhoneProvisioning)) {
		return nil, nil, naive.NotFound("phone", id)
	}
	return ph, camp, err
}

// ReleasePhone releases a number at the carrier, permanently.
//
// Errors: not_found, conflict (already released), provider_error.
func (s *Service) ReleasePhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
	if err := s.owner(ctx, "releasing numbers"); err != nil {
		return nil, err
	}
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, id)
	if err != nil {
		return nil, err
	}
	if ph.Status == naive.PhoneReleased {
		return nil, naive.Errorf(naive.EConflict, "Phone %s was already released.", id).
			WithHint("Released numbers cannot be recovered; provision a new one with POST /v1/phone/provision.")
	}
	cr, err := s.carrierNamed(p.Mode, ph.Carrier)
	if err != nil {
		return nil, err
	}
	// The carrier's release is idempotent, so the release is one phase
	// after it: the phone, phone.released and the key's outcome together.
	// A retry after a crash between the two releases again (harmlessly)
	// and records it.
	r := s.directRun(ctx, p, ActionPhoneRelease)
	ctx = context.WithoutCancel(ctx)
	if err := cr.ReleaseNumber(ctx, ph.CarrierID); err != nil {
		err = carrierError("release the number", err)
		r.releaseUnlessStored(ctx, err)
		return nil, err
	}
	at := s.now()
	out := *ph
	out.Status, out.ReleasedAt, out.Capabilities = naive.PhoneReleased, &at, naive.Capabilities{}
	ev, err := s.event(p.Scope(), naive.EventPhoneReleased, &out)
	if err != nil {
		return nil, err
	}
	got, err := s.store.MarkPhoneReleased(ctx, p.Scope(), id, at, []*naive.Event{ev}, r.once(id, &out, nil))
	if errors.Is(err, store.ErrConflict) {
		if idem := naive.IdempotencyFrom(ctx); idem != nil {
			// A concurrent duplicate under the same key released it: its
			// answer is stored; the REST layer replays it.
			if rec, _ := s.LookupKey(ctx, p, idem.Key); rec != nil && rec.Completed {
				return nil, naive.ErrKeyBusy
			}
		}
		return nil, naive.Errorf(naive.EConflict, "Phone %s was already released.", id).
			WithHint("Released numbers cannot be recovered; provision a new one with POST /v1/phone/provision.")
	}
	if err != nil {
		err = phaseError(err)
		r.releaseUnlessStored(ctx, err)
		return nil, err
	}
	r.stored()
	got.Capabilities = naive.Capabilities{}
	s.log.Info("phone released", "phone_id", id, "e164", got.E164)
	return got, nil
}

// PhoneStatus returns the subject's brand → campaign → numbers pipeline,
// and what the carrier says of it: once the brand is registered, one
// carrier request (the brand's list of numbers, bounded by
// carrierCheckTimeout) answers both carrier_account (the carrier has the
// account) and carrier_numbers (it holds every active number listed here,
// up to 200) — never one request per number. A missing account or number
// fails its check and the next step says what to do; an unanswered
// request makes the checks unknown, never missing, and the answer is
// still 200.
func (s *Service) PhoneStatus(ctx context.Context, subjectID string) (*naive.PhoneStatus, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	sc := p.Scope()
	st := &naive.PhoneStatus{SubjectID: subj.ID, Formation: subj.Formation.Effective(s.now()), Campaigns: []naive.Campaign{}, Numbers: []naive.Phone{},
		Checks: []naive.PreflightCheck{}}
	if b, err := s.store.GetBrand(ctx, sc, subj.ID); err == nil {
		st.Brand = b
		b.EIN = maskEIN(b.EIN)
		b.VerificationMethod = s.verificationMethod(p.Mode, b)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	camps, err := s.store.ListCampaigns(ctx, sc, subj.ID)
	if err != nil {
		return nil, err
	}
	for i := range camps {
		camps[i].ETA = s.campaignETA(&camps[i])
		if st.Brand != nil {
			camps[i].Carrier = st.Brand.Carrier
		}
	}
	st.Campaigns = camps
	phones, err := s.store.ListPhones(ctx, sc, subj.ID, naive.PhoneFilter{Page: naive.Page{Limit: 200}})
	if err != nil {
		return nil, err
	}
	for _, ph := range phones {
		if ph.Status == naive.PhoneActive {
			st.Numbers = append(st.Numbers, ph)
		}
	}
	if err := s.withCapabilities(ctx, sc, st.Numbers); err != nil {
		return nil, err
	}
	if st.Brand != nil && st.Brand.CarrierID != "" {
		st.Checks = s.checkAtCarrier(ctx, p.Mode, st.Brand, st.Numbers)
	}
	failed := func(check string) *naive.PreflightCheck {
		for i, c := range st.Checks {
			if c.Check == check && c.Status == naive.CheckFailed {
				return &st.Checks[i]
			}
		}
		return nil
	}
	soleProp := st.Brand != nil && st.Brand.Tier == naive.TierSoleProprietor
	switch {
	case st.Formation.Status != naive.FormationCompleted && !soleProp:
		st.NextStep = fmt.Sprintf("Complete the LLC formation: POST /v1/subjects/%s/formation (or, for one person without an EIN, provision with \"tier\": \"sole_proprietor\").", subj.ID)
	case st.Brand == nil:
		st.NextStep = "Provision the first number with the company's EIN: POST /v1/phone/provision {\"ein\":\"12-3456789\"}."
	case failed(checkCarrierAccount) != nil:
		st.NextStep = "The carrier has lost the subject's brand account. " + failed(checkCarrierAccount).Fix
	case failed(checkCarrierNumbers) != nil:
		st.NextStep = "The carrier has lost some of the subject's numbers. " + failed(checkCarrierNumbers).Fix
	case len(st.Numbers) == 0:
		st.NextStep = "Provision a number: POST /v1/phone/provision."
	case soleProp && st.Brand.Verification == naive.BrandVerificationPendingOTP:
		st.NextStep = verificationStep(st.Brand.VerificationMethod, maskPhone(subj.Contact.Phone)) + " Inbound SMS works now."
	default:
		st.NextStep = "Inbound SMS works now; outbound unlocks when the campaign is active."
		for _, c := range camps {
			if c.Status == naive.CampaignActive {
				st.NextStep = "Ready: numbers receive and send SMS."
			}
			if c.Status == naive.CampaignRejected {
				st.NextStep = "The campaign was rejected (" + rejectionReason(deref(c.RejectionReason)) + "): fix what it names (the subject's profile with PATCH /v1/subjects/{id}, or the campaign's content in the resubmission), then POST /v1/phone/campaign/resubmit. Numbers still receive SMS."
			}
		}
		for _, c := range st.Checks {
			if c.Status == naive.CheckUnknown {
				st.NextStep += " (Not confirmed with the carrier, which could not be asked: retry GET /v1/phone/status in a minute.)"
				break
			}
		}
	}
	return st, nil
}

// checkAtCarrier asks the carrier, in one request, whether it still has the
// brand's account and holds the active numbers.
func (s *Service) checkAtCarrier(ctx context.Context, mode naive.Mode, brand *naive.Brand, active []naive.Phone) []naive.PreflightCheck {
	const again = "GET /v1/phone/status"
	brandID := brand.CarrierID
	cr, err := s.brandCarrier(mode, brand)
	if err != nil {
		e := naive.AsError(err)
		return []naive.PreflightCheck{{Check: checkCarrierAccount, Status: naive.CheckUnknown, Detail: e.Message, Fix: e.Hint}}
	}
	held, err := askCarrier(ctx, func(ctx context.Context) ([]carrier.Number, error) { return cr.ListNumbers(ctx, brandID) })
	switch {
	case carrier.Is(err, carrier.NotFound):
		s.log.Warn("phone status: the carrier has no account for the brand", "account", brandID)
		return []naive.PreflightCheck{accountMissing(mode, brandID, len(active))}
	case err != nil:
		s.log.Warn("phone status: list carrier numbers", "account", brandID, "err", err)
		out := []naive.PreflightCheck{carrierUnchecked(checkCarrierAccount, "the brand's carrier account "+brandID, again, err)}
		if len(active) > 0 {
			out = append(out, carrierUnchecked(checkCarrierNumbers, "the subject's numbers at the carrier", again, err))
		}
		return out
	}
	out := []naive.PreflightCheck{accountFound(brandID)}
	if len(active) > 0 {
		out = append(out, numbersHeld(active, held))
	}
	return out
}
