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

// ProvisionPhone buys a number for a subject (SPEC §2). subjectID "" means
// the caller's default subject. It answers a provisioned number, or a
// pending approval when the subject's kit gates the action for agents.
//
// Errors: invalid_input, formation_incomplete, conflict (EIN mismatch),
// insufficient_credits, no_matching_numbers, provider_error, not_configured,
// not_found (subject, agent).
func (s *Service) ProvisionPhone(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.ProvisionResult, error) {
	p, subj, cfg, err := s.guard(ctx, "phone", subjectID)
	if err != nil {
		return nil, err
	}
	applyDefaults(&req, cfg.Defaults)
	if err := ValidateProvision(&req); err != nil {
		return nil, err
	}
	if err := s.provisionPrecheck(ctx, p, subj, req); err != nil {
		return nil, err
	}
	pending, err := s.gate(ctx, p, subj, ActionPhoneProvision, req)
	if err != nil {
		return nil, err
	}
	if pending != nil {
		return &naive.ProvisionResult{Pending: pending}, nil
	}
	out, err := s.execute(ctx, p, subj, ActionPhoneProvision, req)
	if err != nil {
		return nil, err
	}
	return &naive.ProvisionResult{Provisioned: out.(*naive.Provisioned)}, nil
}

// execProvision is the phone.provision executor.
func (s *Service) execProvision(ctx context.Context, p naive.Principal, subj *naive.Subject, payload json.RawMessage) (any, error) {
	var req naive.ProvisionRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, fmt.Errorf("decode provision payload: %w", err)
	}
	if err := ValidateProvision(&req); err != nil {
		return nil, err
	}
	sc := p.Scope()
	now := s.now()
	if err := s.provisionPrecheck(ctx, p, subj, req); err != nil {
		return nil, err
	}
	cr, err := s.carrier(p.Mode)
	if err != nil {
		return nil, err
	}
	// 4. Credits: a cheap early refusal; ReservePhone is the real check.
	if bal, err := s.store.Balance(ctx, sc); err != nil {
		return nil, err
	} else if bal < s.cfg.PhonePrice {
		return nil, errInsufficient(s.cfg.PhonePrice, bal)
	}
	// 5. Reserve: debit and record the purchase in flight, atomically.
	phone := &naive.Phone{
		ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, SubjectID: subj.ID, Type: req.Type,
		Status: naive.PhoneProvisioning, Label: req.Label, AgentID: req.AgentID, AreaCode: req.AreaCode,
		Price: s.cfg.PhonePrice, CreatedAt: now,
	}
	debit := &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: -s.cfg.PhonePrice,
		Reason: naive.LedgerPhoneProvision, ReferenceID: phone.ID, Actor: p.Actor(), CreatedAt: now}
	balance, err := s.store.ReservePhone(ctx, phone, debit)
	if errors.Is(err, store.ErrInsufficientCredits) {
		bal, _ := s.store.Balance(ctx, sc)
		return nil, errInsufficient(s.cfg.PhonePrice, bal)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("subject", subj.ID) // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	// From here on a failure refunds; a purchase whose answer was lost is
	// looked up at the carrier before anything is refunded.
	res, err := s.completeProvision(ctx, cr, p, subj, phone, req)
	if err != nil {
		s.failPhone(context.WithoutCancel(ctx), p, phone)
		return nil, err
	}
	res.CreditsRemaining = balance
	return res, nil
}

// provisionPrecheck refuses a provision that cannot succeed whatever a human
// decides: it runs before the approval gate, so no human is asked to approve
// a doomed request, and again in the executor, since things may change
// while an approval waits.
func (s *Service) provisionPrecheck(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.ProvisionRequest) error {
	if _, err := s.carrier(p.Mode); err != nil {
		return err
	}
	sc := p.Scope()
	now := s.now()
	// 1. Formation.
	if f := subj.Formation.Effective(now); f.Status != naive.FormationCompleted {
		return (&naive.Error{Code: naive.EFormationIncomplete,
			Message: fmt.Sprintf("The subject's LLC formation is %s; a number needs a completed formation.", f.Status)}).
			WithHint("Start or finish it with POST /v1/subjects/%s/formation, then retry.", subj.ID).
			With("formation_status", f.Status)
	}
	// 2. The agent to connect.
	if req.AgentID != "" {
		if _, err := s.store.GetAgent(ctx, sc, req.AgentID); errors.Is(err, store.ErrNotFound) {
			return naive.InvalidParam("agent_id", "No agent with id %q.", req.AgentID).
				WithHint("Create one with POST /v1/agents, or list them with GET /v1/agents.")
		} else if err != nil {
			return err
		}
	}
	// 3. The brand: EIN on the first number, the same EIN afterwards.
	brand, err := s.store.GetBrand(ctx, sc, subj.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if brand == nil && req.EIN == "" {
		return naive.InvalidParam("ein", "ein is required on the subject's first number: it registers the carrier brand.").
			WithHint("Send the company's EIN, e.g. \"ein\": \"12-3456789\".")
	}
	if brand != nil && req.EIN != "" && req.EIN != brand.EIN {
		return errEINMismatch(brand.EIN)
	}
	if brand == nil {
		if missing := missingForRegistration(subj.SubjectProfile); len(missing) > 0 {
			return (&naive.Error{Code: naive.EInvalidInput, Param: missing[0],
				Message: "The subject's profile lacks what carrier registration needs."}).
				WithHint("Fill these fields with PATCH /v1/subjects/%s, then retry.", subj.ID).
				With("fields_needed", missing)
		}
	}
	return nil
}

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

// completeProvision registers what is missing and buys the number. Carrier
// writes run to their end even if the caller goes away (each is bounded by
// the carrier client's timeout): abandoning one mid-flight would leave an
// outcome nobody records.
func (s *Service) completeProvision(ctx context.Context, cr carrier.Carrier, p naive.Principal, subj *naive.Subject, phone *naive.Phone, req naive.ProvisionRequest) (*naive.Provisioned, error) {
	brand, err := s.ensureBrand(ctx, cr, p, subj, req.EIN)
	if err != nil {
		return nil, err
	}
	kind := naive.Campaign10DLC
	if req.Type == naive.PhoneTollFree {
		kind = naive.CampaignTollFree
	}
	camp, err := s.ensureCampaign(ctx, cr, p, subj, brand, kind)
	if err != nil {
		return nil, err
	}
	// Surge has no idempotency keys: a purchase whose answer was lost is
	// looked up by the name we gave it (our phone id). If the carrier
	// surely does not have it, the purchase is tried once more; should the
	// first one land late after all, the reconciler releases the extra.
	var pn carrier.Number
	for attempt := 1; ; attempt++ {
		pn, err = cr.BuyNumber(context.WithoutCancel(ctx), brand.CarrierID, carrier.NumberOrder{Type: req.Type, AreaCode: req.AreaCode, Ref: phone.ID})
		if err == nil || !errors.Is(err, carrier.ErrUnknownOutcome) {
			break
		}
		found, ok, lerr := cr.FindNumber(context.WithoutCancel(ctx), brand.CarrierID, phone.ID)
		if ok {
			pn, err = found, nil
			break
		}
		if lerr != nil || attempt == 2 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return nil, carrierError("buy a number", err)
	}
	if err := s.store.ActivatePhone(context.WithoutCancel(ctx), phone.ID, pn.E164, pn.ID, camp.ID); err != nil {
		// Never lose a bought number: a phone that cannot be recorded is
		// released at the carrier before the charge is refunded.
		s.log.Error("record bought number", "phone_id", phone.ID, "carrier_id", pn.ID, "err", err)
		if rerr := cr.ReleaseNumber(context.WithoutCancel(ctx), pn.ID); rerr != nil {
			s.log.Error("release unrecorded number", "carrier_id", pn.ID, "err", rerr)
		}
		return nil, err
	}
	if phone.AgentID != "" {
		a := &naive.Assignment{PhoneID: phone.ID, AgentID: phone.AgentID, OperatorID: p.OperatorID, Mode: p.Mode,
			Permissions: []string{naive.PermReceiveSMS, naive.PermSendSMS}, CreatedAt: s.now()}
		if err := s.store.UpsertAssignment(context.WithoutCancel(ctx), a); err != nil {
			s.log.Error("connect agent to new number", "phone_id", phone.ID, "agent_id", phone.AgentID, "err", err)
		}
	}
	phone.Status = naive.PhoneActive
	phone.E164 = pn.E164
	phone.CarrierID = pn.ID
	phone.CampaignID = camp.ID
	phone.Capabilities = capabilities(phone, camp)
	s.emit(ctx, p.Scope(), naive.EventPhoneProvisioned, phone)
	s.log.Info("phone provisioned", "phone_id", phone.ID, "e164", phone.E164, "subject_id", subj.ID, "mode", p.Mode)
	return &naive.Provisioned{
		Phone:       *phone,
		Campaign:    naive.CampaignSummary{ID: camp.ID, Status: camp.Status, ETA: campaignETA(camp)},
		CreditsUsed: phone.Price,
	}, nil
}

// failPhone refunds a reserved phone. A refund that cannot be stored now is
// left to the reconciler, which finds the phone still provisioning.
func (s *Service) failPhone(ctx context.Context, p naive.Principal, phone *naive.Phone) {
	refund := &naive.LedgerEntry{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Amount: phone.Price,
		Reason: naive.LedgerPhoneRefund, ReferenceID: phone.ID, Actor: p.Actor(), CreatedAt: s.now()}
	if _, err := s.store.FailPhone(ctx, phone.ID, refund); err != nil && !errors.Is(err, store.ErrConflict) {
		s.log.Error("refund failed provision", "phone_id", phone.ID, "err", err)
	}
}

// ensureBrand returns the subject's registered brand, registering it with
// the carrier if this call is the first. Concurrent first calls elect one
// registrar through a stored claim; the others wait for it.
func (s *Service) ensureBrand(ctx context.Context, cr carrier.Carrier, p naive.Principal, subj *naive.Subject, ein string) (*naive.Brand, error) {
	// The common case, a registered brand, needs only a read; claiming
	// takes a write transaction.
	if b, err := s.store.GetBrand(ctx, p.Scope(), subj.ID); err == nil && b.Status == naive.BrandRegistered {
		if ein != "" && b.EIN != ein {
			return nil, errEINMismatch(b.EIN)
		}
		return b, nil
	}
	deadline := s.now().Add(s.cfg.ClaimWait)
	for {
		token := newID()
		now := s.now()
		b, claimed, err := s.store.ClaimBrand(ctx, &naive.Brand{SubjectID: subj.ID, OperatorID: p.OperatorID, Mode: p.Mode,
			EIN: ein, Status: naive.BrandRegistering, ClaimToken: token, ClaimedAt: now, CreatedAt: now}, now.Add(-s.cfg.ClaimStale))
		if err != nil {
			return nil, err
		}
		if ein != "" && b.EIN != ein {
			return nil, errEINMismatch(b.EIN)
		}
		if claimed {
			return s.registerBrand(ctx, cr, subj, b, token)
		}
		if b.Status == naive.BrandRegistered {
			return b, nil
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

func (s *Service) registerBrand(ctx context.Context, cr carrier.Carrier, subj *naive.Subject, b *naive.Brand, token string) (*naive.Brand, error) {
	abandon := func() {
		if err := s.store.AbandonBrand(context.WithoutCancel(ctx), subj.ID, token); err != nil {
			s.log.Error("abandon brand claim", "subject_id", subj.ID, "err", err)
		}
	}
	id, err := cr.CreateBrand(context.WithoutCancel(ctx), carrier.BrandRegistration{Profile: subj.SubjectProfile, EIN: b.EIN})
	if err != nil {
		abandon()
		return nil, carrierError("register the brand", err)
	}
	st, err := cr.BrandStatus(context.WithoutCancel(ctx), id)
	if err != nil {
		abandon()
		return nil, carrierError("check the brand", err)
	}
	if !st.Ready {
		abandon()
		return nil, brandNotReady(subj, st)
	}
	if err := s.store.CompleteBrand(context.WithoutCancel(ctx), subj.ID, token, id, s.now()); err != nil {
		return nil, err
	}
	b.CarrierID = id
	b.Status = naive.BrandRegistered
	s.log.Info("brand registered", "subject_id", subj.ID, "carrier_brand", id)
	return b, nil
}

// brandNotReady explains what the carrier found missing or wrong.
func brandNotReady(subj *naive.Subject, st carrier.Brand) error {
	for _, e := range st.Problems {
		if e.Field == "ein" {
			return (&naive.Error{Code: naive.EInvalidInput, Param: "ein",
				Message: "The carrier rejected the EIN: it does not match the legal name in government records."}).
				WithHint("Check the EIN and the subject's legal_name against the IRS letter, then retry.").With("carrier_error", e.Code)
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
	camps, err := s.store.ListCampaigns(ctx, p.Scope(), subj.ID)
	if err != nil {
		return nil, err
	}
	for i := range camps {
		if camps[i].Kind == kind && camps[i].ClaimToken == "" {
			return &camps[i], nil
		}
	}
	deadline := s.now().Add(s.cfg.ClaimWait)
	for {
		token := newID()
		now := s.now()
		c, claimed, err := s.store.ClaimCampaign(ctx, &naive.Campaign{ID: newID(), SubjectID: subj.ID, OperatorID: p.OperatorID, Mode: p.Mode,
			Kind: kind, Status: naive.CampaignCreated, ClaimToken: token, ClaimedAt: now, CreatedAt: now, UpdatedAt: now}, now.Add(-s.cfg.ClaimStale))
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

func (s *Service) registerCampaign(ctx context.Context, cr carrier.Carrier, subj *naive.Subject, brand *naive.Brand, c *naive.Campaign, token string) (*naive.Campaign, error) {
	carrierID, status := "", naive.CampaignCreated
	if c.Kind == naive.Campaign10DLC {
		cp, err := cr.CreateCampaign(context.WithoutCancel(ctx), brand.CarrierID, campaignCreate(subj))
		if err != nil {
			if aerr := s.store.AbandonCampaign(context.WithoutCancel(ctx), c.ID, token); aerr != nil {
				s.log.Error("abandon campaign claim", "campaign_id", c.ID, "err", aerr)
			}
			return nil, carrierError("register the campaign", err)
		}
		carrierID, status = cp.ID, cp.Status
	}
	// Toll-free verification has no carrier API (Surge runs it from its
	// dashboard); the record tracks it and the poller advances it.
	if err := s.store.CompleteCampaign(context.WithoutCancel(ctx), c.ID, token, carrierID, status, s.now()); err != nil {
		return nil, err
	}
	c.CarrierID, c.Status, c.ClaimToken = carrierID, status, ""
	s.log.Info("campaign registered", "subject_id", subj.ID, "campaign_id", c.ID, "kind", c.Kind, "carrier_id", carrierID)
	return c, nil
}

func campaignETA(c *naive.Campaign) *string {
	if c == nil {
		return nil
	}
	switch c.Status {
	case naive.CampaignCreated, naive.CampaignInReview:
		e := "1-2 business days"
		if c.Kind == naive.CampaignTollFree {
			e = "3-5 business days"
		}
		return &e
	}
	return nil
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
	ph, err := s.getPhone(ctx, p, subj, id)
	if err != nil {
		return nil, err
	}
	phones := []naive.Phone{*ph}
	if err := s.withCapabilities(ctx, p.Scope(), phones); err != nil {
		return nil, err
	}
	return &phones[0], nil
}

func (s *Service) getPhone(ctx context.Context, p naive.Principal, subj *naive.Subject, id string) (*naive.Phone, error) {
	if !validUUID(id) {
		return nil, naive.NotFound("phone", id)
	}
	ph, err := s.store.GetPhone(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (ph.SubjectID != subj.ID || ph.Status == naive.PhoneFailed || ph.Status == naive.PhoneProvisioning)) {
		return nil, naive.NotFound("phone", id)
	}
	return ph, err
}

// ReleasePhone releases a number at the carrier, permanently.
//
// Errors: not_found, conflict (already released), provider_error.
func (s *Service) ReleasePhone(ctx context.Context, subjectID, id string) (*naive.Phone, error) {
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
	cr, err := s.carrier(p.Mode)
	if err != nil {
		return nil, err
	}
	if err := cr.ReleaseNumber(ctx, ph.CarrierID); err != nil {
		return nil, carrierError("release the number", err)
	}
	out, err := s.store.MarkPhoneReleased(context.WithoutCancel(ctx), p.Scope(), id, s.now())
	if errors.Is(err, store.ErrConflict) {
		return nil, naive.Errorf(naive.EConflict, "Phone %s was already released.", id)
	}
	if err != nil {
		return nil, err
	}
	out.Capabilities = naive.Capabilities{}
	s.emit(ctx, p.Scope(), naive.EventPhoneReleased, out)
	s.log.Info("phone released", "phone_id", id, "e164", out.E164)
	return out, nil
}

// PhoneStatus returns the subject's brand → campaign → numbers pipeline.
func (s *Service) PhoneStatus(ctx context.Context, subjectID string) (*naive.PhoneStatus, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	sc := p.Scope()
	st := &naive.PhoneStatus{SubjectID: subj.ID, Formation: subj.Formation.Effective(s.now()), Campaigns: []naive.Campaign{}, Numbers: []naive.Phone{}}
	if b, err := s.store.GetBrand(ctx, sc, subj.ID); err == nil {
		st.Brand = b
		b.EIN = maskEIN(b.EIN)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	camps, err := s.store.ListCampaigns(ctx, sc, subj.ID)
	if err != nil {
		return nil, err
	}
	for i := range camps {
		camps[i].ETA = campaignETA(&camps[i])
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
	switch {
	case st.Formation.Status != naive.FormationCompleted:
		st.NextStep = fmt.Sprintf("Complete the LLC formation: POST /v1/subjects/%s/formation.", subj.ID)
	case st.Brand == nil:
		st.NextStep = "Provision the first number with the company's EIN: POST /v1/phone/provision {\"ein\":\"12-3456789\"}."
	case len(st.Numbers) == 0:
		st.NextStep = "Provision a number: POST /v1/phone/provision."
	default:
		st.NextStep = "Inbound SMS works now; outbound unlocks when the campaign is active."
		for _, c := range camps {
			if c.Status == naive.CampaignActive {
				st.NextStep = "Ready: numbers receive and send SMS."
			}
			if c.Status == naive.CampaignRejected {
				st.NextStep = "The campaign was rejected: fix the subject's profile and contact support to resubmit."
			}
		}
	}
	return st, nil
}
