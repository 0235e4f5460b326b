package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Preflight tells, before anything is spent, whether a provision with req
// would pass, and how to fix what would not: the formation, the legal
// profile carrier registration needs (Surge's fields_needed, asked from the
// carrier once the brand exists), the EIN, credits and the kit. Once the
// brand is registered, carrier_account asks the carrier (one request,
// bounded by carrierCheckTimeout) whether it still has the brand's
// account: a missing one fails the check; an unanswered request makes it
// unknown, never missing, and the answer is still 200. Ready is true only
// when every check is ok.
func (s *Service) Preflight(ctx context.Context, subjectID string, req naive.ProvisionRequest) (*naive.Preflight, error) {
	p, subj, cfg, err := s.guard(ctx, "phone", subjectID)
	if err != nil {
		return nil, err
	}
	sc := p.Scope()
	out := &naive.Preflight{SubjectID: subj.ID, Price: s.cfg.PhonePrice, FieldsNeeded: []string{}, Checks: []naive.PreflightCheck{}}
	add := func(c naive.PreflightCheck) { out.Checks = append(out.Checks, c) }

	applyDefaults(&req, cfg.Defaults)
	if verr := ValidateProvision(&req); verr != nil {
		add(naive.PreflightCheck{Check: "request", Field: verr.Param, Detail: verr.Message, Fix: verr.Hint})
	}
	brand, err := s.store.GetBrand(ctx, sc, subj.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var cr carrier.Carrier
	name, cerr := s.provisionCarrier(ctx, sc, req, brand)
	if cerr == nil {
		cr, cerr = s.carrierNamed(p.Mode, name)
	}
	if cerr != nil {
		e := naive.AsError(cerr)
		add(naive.PreflightCheck{Check: "carrier", Field: e.Param, Detail: e.Message, Fix: e.Hint})
	} else {
		detail := fmt.Sprintf("The number is bought at %s.", carrierName(p.Mode, cr.Name()))
		if brand != nil {
			detail = fmt.Sprintf("The subject's brand lives at %s; its numbers are bought there.", carrierName(p.Mode, cr.Name()))
		}
		add(naive.PreflightCheck{Check: "carrier", OK: true, Detail: detail})
		out.Carrier = cr.Name()
	}
	out.CampaignChecks = s.preflightCampaign(ctx, p, subj, req, add) // compliance.go
	tier := tierOf(req, brand)
	out.Tier = tier
	if tier == naive.TierSoleProprietor {
		if err := s.soleProprietorPreflight(ctx, sc, subj, brand, out); err != nil {
			return nil, err
		}
		return s.preflightCredits(ctx, p, subj, cfg, out)
	}
	if brand != nil && brand.Tier != tier {
		add(naive.PreflightCheck{Check: "tier", Field: "tier", Detail: "The brand is registered as " + brand.Tier + ".",
			Fix: "Omit tier, or send \"tier\": \"" + brand.Tier + "\"."})
	}
	f := subj.Formation.Effective(s.now())
	if f.Status == naive.FormationCompleted {
		add(naive.PreflightCheck{Check: "formation", OK: true, Detail: "The LLC formation is completed."})
	} else {
		add(naive.PreflightCheck{Check: "formation", Detail: "The LLC formation is " + f.Status + ".",
			Fix: fmt.Sprintf("POST /v1/subjects/%s/formation {\"entity_type\":\"LLC\",\"state\":\"DE\"}, then wait for formation_completed (or, for one person without an EIN, send \"tier\": \"sole_proprietor\").", subj.ID)})
	}
	switch {
	case brand == nil && req.EIN == "":
		add(naive.PreflightCheck{Check: "ein", Field: "ein", Detail: "The first number registers the carrier brand and needs the company's EIN.",
			Fix: "Send \"ein\": \"12-3456789\" with the first provision."})
	case brand == nil:
		add(naive.PreflightCheck{Check: "ein", OK: true, Field: "ein", Detail: "The EIN will register the brand with the first number."})
	case req.EIN != "" && req.EIN != brand.EIN:
		add(naive.PreflightCheck{Check: "ein", Field: "ein", Detail: "The brand is registered with EIN " + maskEIN(brand.EIN) + ".",
			Fix: "Omit ein, or send the registered one."})
	default:
		add(naive.PreflightCheck{Check: "ein", OK: true, Field: "ein", Detail: "The brand is registered (EIN " + maskEIN(brand.EIN) + ")."})
	}
	missing := missingForRegistration(subj.SubjectProfile)
	if brand != nil && brand.CarrierID != "" && cr != nil {
		// Once the brand exists the carrier's own view is the authority.
		st, err := askCarrier(ctx, func(ctx context.Context) (carrier.Brand, error) { return cr.BrandStatus(ctx, brand.CarrierID) })
		switch {
		case err == nil:
			add(accountFound(brand.CarrierID))
			missing = append(missing, st.FieldsNeeded...)
		case carrier.Is(err, carrier.NotFound):
			s.log.Warn("preflight: the carrier has no account for the brand", "subject_id", subj.ID, "account", brand.CarrierID)
			add(accountMissing(p.Mode, brand.CarrierID, 0))
		default:
			s.log.Warn("preflight: carrier account status", "account", brand.CarrierID, "err", err)
			add(carrierUnchecked(checkCarrierAccount, "the brand's carrier account "+brand.CarrierID, "GET /v1/phone/preflight", err))
		}
	}
	seen := map[string]bool{}
	for _, m := range missing {
		if seen[m] {
			continue
		}
		seen[m] = true
		out.FieldsNeeded = append(out.FieldsNeeded, m)
		add(naive.PreflightCheck{Check: "profile", Field: m, Detail: m + " is needed to register the brand and campaign.",
			Fix: fmt.Sprintf("PATCH /v1/subjects/%s with %s.", subj.ID, m)})
	}
	if len(missing) == 0 {
		add(naive.PreflightCheck{Check: "profile", OK: true, Detail: "The legal profile has what carrier registration needs."})
	}
	return s.preflightCredits(ctx, p, subj, cfg, out)
}

// preflightCredits adds the credits check and the approval rule, and
// settles Ready.
func (s *Service) preflightCredits(ctx context.Context, p naive.Principal, subj *naive.Subject, cfg naive.PrimitiveConfig, out *naive.Preflight) (*naive.Preflight, error) {
	add := func(c naive.PreflightCheck) { out.Checks = append(out.Checks, c) }
	bal, err := s.store.Balance(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	out.Balance = bal
	if bal >= s.cfg.PhonePrice {
		add(naive.PreflightCheck{Check: "credits", OK: true, Detail: fmt.Sprintf("The balance (%d) covers a number (%d).", bal, s.cfg.PhonePrice)})
	} else {
		add(naive.PreflightCheck{Check: "credits", Detail: fmt.Sprintf("The balance (%d) is below the price (%d).", bal, s.cfg.PhonePrice),
			Fix: "A human grants credits: POST /v1/credits/grant or `naive credits grant`."})
	}
	out.ApprovalRequired = p.Kind == naive.PrincipalAgent && !subj.IsDefault
	if cfg.RequiresApproval != nil {
		out.ApprovalRequired = p.Kind == naive.PrincipalAgent && *cfg.RequiresApproval
	}
	out.Ready = true
	for i := range out.Checks {
		c := &out.Checks[i]
		if c.Status == "" {
			c.Status = naive.CheckFailed
			if c.OK {
				c.Status = naive.CheckOK
			}
		}
		out.Ready = out.Ready && c.OK
	}
	return out, nil
}

// carrierName is a carrier as people read it.
func carrierName(m naive.Mode, name string) string {
	title := map[string]string{naive.CarrierSurge: "Surge", naive.CarrierTelnyx: "Telnyx"}[name]
	if title == "" {
		title = name
	}
	if m == naive.ModeTest {
		return "the sandbox (simulated " + title + ")"
	}
	return title
}

// PhoneCampaign returns the campaign (or toll-free verification) of a number.
//
// Errors: not_found.
func (s *Service) PhoneCampaign(ctx context.Context, subjectID, phoneID string) (*naive.Campaign, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	ph, err := s.getPhone(ctx, p, subj, phoneID)
	if err != nil {
		return nil, err
	}
	if ph.CampaignID == "" {
		return nil, naive.Errorf(naive.ENotFound, "Phone %s has no campaign.", phoneID).WithHint("Released numbers keep none.")
	}
	c, err := s.store.GetCampaign(ctx, p.Scope(), ph.CampaignID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("campaign", ph.CampaignID)
	}
	if err != nil {
		return nil, err
	}
	c.ETA, c.Carrier = s.campaignETA(c), ph.Carrier
	if c.ChecksOverridden, err = s.store.ListCheckOverrides(ctx, p.Scope(), c.ID); err != nil {
		return nil, err
	}
	return c, nil
}
