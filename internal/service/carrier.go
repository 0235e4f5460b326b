package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// CarrierSet is the carriers of a mode: each by its name ("surge",
// "telnyx"), the default a subject's first number registers its brand
// with, and the fallback a first number goes to when the default is down
// ("" for none). A subject's brand lives at one carrier; everything of
// the subject follows it.
type CarrierSet struct {
	Default, Fallback string
	ByName            map[string]carrier.Carrier
}

// carriers is the mode's CarrierSet.
func (s *Service) carriers(mode naive.Mode) CarrierSet {
	if s.cfg.Carriers != nil {
		return s.cfg.Carriers(mode)
	}
	c := s.cfg.Carrier(mode)
	if c == nil {
		return CarrierSet{}
	}
	return CarrierSet{Default: c.Name(), ByName: map[string]carrier.Carrier{c.Name(): c}}
}

// carrierNamed is the mode's carrier name ("" for the default).
func (s *Service) carrierNamed(mode naive.Mode, name string) (carrier.Carrier, error) {
	set := s.carriers(mode)
	if name == "" {
		name = set.Default
	}
	if c := set.ByName[name]; c != nil {
		return c, nil
	}
	if name == "" || len(set.ByName) == 0 {
		return nil, (&naive.Error{Code: naive.ENotConfigured, Message: fmt.Sprintf("No carrier is configured for %s mode.", mode)}).
			WithHint("Start the server with --carrier surge (and SURGE_API_KEY) or --carrier telnyx (and TELNYX_API_KEY), or use a test key (nv_sk_test_…) with the sandbox carrier.")
	}
	return nil, (&naive.Error{Code: naive.ENotConfigured,
		Message: fmt.Sprintf("The %s carrier is not configured for %s mode on this server.", name, mode)}).
		WithHint("Configured here: %s. The server's administrator adds one with --carrier.", strings.Join(s.carrierNames(mode), ", ")).
		With("carrier", name)
}

// carrierNames lists the mode's configured carriers, sorted.
func (s *Service) carrierNames(mode naive.Mode) []string {
	var out []string
	for n := range s.carriers(mode).ByName {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// brandCarrier is the carrier a subject's brand lives at.
func (s *Service) brandCarrier(mode naive.Mode, b *naive.Brand) (carrier.Carrier, error) {
	name := ""
	if b != nil {
		name = b.Carrier
	}
	return s.carrierNamed(mode, name)
}

// carrierOrNil is brandCarrier for the background passes: nil when the
// brand's carrier is not configured (they skip it).
func (s *Service) carrierOrNil(mode naive.Mode, b *naive.Brand) carrier.Carrier {
	c, err := s.brandCarrier(mode, b)
	if err != nil {
		return nil
	}
	return c
}

// carrierError maps a carrier failure to a naive error the caller can act on.
func carrierError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ne *naive.Error
	if errors.As(err, &ne) {
		return err
	}
	var ce *carrier.Error
	if errors.As(err, &ce) {
		switch ce.Kind {
		case carrier.NoInventory:
			return (&naive.Error{Code: naive.ENoMatchingNumbers, Param: "area_code", Message: "The carrier has no numbers available for that area code.", Err: err}).
				WithHint("Try a nearby area code, or omit area_code to take any available number.")
		case carrier.RateLimited:
			e := &naive.Error{Code: naive.ERateLimited, Message: "The carrier is rate limiting requests.", RetryAfter: ce.RetryAfter, Err: err}
			return e.WithHint("Back off and retry after the Retry-After delay.").With("retryable", true)
		case carrier.Unavailable:
			return (&naive.Error{Code: naive.EProviderError, Message: "The carrier failed while trying to " + op + ".", Err: err}).
				WithHint("Retry in a minute with the same Idempotency-Key; nothing was charged.").With("retryable", true)
		case carrier.NumberLimit:
			return (&naive.Error{Code: naive.EProviderError, Message: "The carrier account reached its plan's number limit.", Err: err}).
				WithHint("Release an unused number or raise the carrier plan.").With("retryable", false)
		case carrier.Invalid:
			fields := ce.Fields
			if fields == nil {
				fields = []string{}
			}
			hint := "Complete the subject's profile (PATCH /v1/subjects/{id}) and retry."
			if slices.ContainsFunc(fields, isContentField) {
				hint = "Change the campaign content the carrier refused (PATCH /v1/subjects/{id}/campaign-content) and retry."
			}
			return (&naive.Error{Code: naive.EInvalidInput, Message: fmt.Sprintf("The carrier refused to %s: %s", op, ce.Message), Err: err}).
				WithHint("%s", hint).With("carrier_fields", fields)
		}
		return (&naive.Error{Code: naive.EProviderError, Message: "The carrier refused to " + op + ": " + ce.Message, Err: err}).
			WithHint("Retry later; if it persists, report the request id.").With("retryable", false)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return (&naive.Error{Code: naive.EProviderError, Message: "The carrier could not be reached to " + op + ".", Err: err}).
		WithHint("Retry in a minute with the same Idempotency-Key; nothing was charged.").With("retryable", true)
}

// isContentField reports whether a field a carrier refused is the
// campaign's content (set with the campaign-content routes) rather than
// the subject's profile.
func isContentField(f string) bool {
	switch f {
	case "use_cases", "volume", "description", "message_samples", "consent_flow", "includes", "link_sample":
		return true
	}
	return false
}

// campaignCreate builds the 10DLC campaign of a subject: customer care and
// account notifications, low volume, consent through the company's site.
func campaignCreate(subj *naive.Subject) carrier.CampaignRequest {
	name := subj.LegalName
	return carrier.CampaignRequest{
		ConsentFlow: fmt.Sprintf("Customers of %s opt in by giving their mobile number on %s and checking an unchecked box agreeing to receive texts; the terms at %s describe frequency, rates and STOP.",
			name, subj.Website, subj.TermsURL),
		Description: fmt.Sprintf("%s uses SMS to answer customer care requests and send account notifications to its own customers who opted in.", name),
		MessageSamples: []string{
			fmt.Sprintf("You are now opted in to messages from %s. Frequency varies. Msg&data rates apply. Reply STOP to opt out.", name),
			fmt.Sprintf("Hi [customer name], this is %s support: your request [ticket id] has been updated. Reply STOP to opt out.", name),
		},
		PrivacyPolicyURL: subj.PrivacyPolicyURL,
		TermsURL:         subj.TermsURL,
		UseCases:         []string{"customer_care", "account_notification"},
		Volume:           "low",
	}
}

// provisionCarrier is the carrier a provision registers and buys with: the
// subject's brand's (a request naming another is a conflict), else the
// request's, else the mode's default. An unknown or unconfigured name is
// invalid_input.
func (s *Service) provisionCarrier(ctx context.Context, sc naive.Scope, req naive.ProvisionRequest, brand *naive.Brand) (string, error) {
	mode := sc.Mode
	if brand != nil {
		if req.Carrier != "" && req.Carrier != brand.Carrier {
			return "", (&naive.Error{Code: naive.EConflict, Param: "carrier",
				Message: fmt.Sprintf("The subject's brand lives at %s; carrier %s was sent.", brand.Carrier, req.Carrier)}).
				WithHint("Omit carrier (later numbers follow the brand), or create another subject for the other carrier.").
				With("brand_carrier", brand.Carrier)
		}
		_, err := s.brandCarrier(mode, brand)
		return brand.Carrier, err
	}
	if req.Carrier == "" {
		set, err := s.operatorSet(ctx, sc)
		if err != nil {
			return "", err
		}
		c, err := s.carrierNamed(mode, set.Default)
		if err != nil {
			return "", err
		}
		return c.Name(), nil
	}
	if _, err := s.carrierNamed(mode, req.Carrier); err != nil {
		return "", naive.InvalidParam("carrier", "Carrier %q is not configured for %s mode on this server.", req.Carrier, mode).
			WithHint("Send one of %s, or omit carrier for the default.", strings.Join(s.carrierNames(mode), ", "))
	}
	return req.Carrier, nil
}

// failover returns the mode's fallback carrier for a first number whose
// brand registration failed at the default carrier because it is down
// (unavailable: a 5xx or no answer) and left no brand recorded, or nil
// when the provision must fail as it is. A 5xx to a creation may hide a
// brand the default carrier made after all; a retry there could not find
// it either (the carrier has no idempotency keys), so failing over costs
// no more than retrying, and it is logged.
func (s *Service) failover(ctx context.Context, p naive.Principal, subj *naive.Subject, req naive.ProvisionRequest, from carrier.Carrier, err error) carrier.Carrier {
	set, serr := s.operatorSet(ctx, p.Scope())
	if serr != nil || set.Fallback == "" || set.Fallback == from.Name() || req.Carrier != "" || from.Name() != set.Default {
		return nil // no fallback, or the caller chose the carrier
	}
	if !carrier.Is(err, carrier.Unavailable) {
		return nil
	}
	if errors.Is(err, carrier.ErrUnknownOutcome) {
		s.log.Warn("failing over after a brand registration whose outcome is unknown: the default carrier may hold an unused brand",
			"subject_id", subj.ID, "carrier", from.Name())
	}
	if _, gerr := s.store.GetBrand(ctx, p.Scope(), subj.ID); gerr == nil || !errors.Is(gerr, store.ErrNotFound) {
		return nil // the default carrier holds (or may hold) the brand
	}
	return set.ByName[set.Fallback]
}

// operatorSet is the mode's carriers as the operator sees them: the
// server's, with the default and fallback the administrator gave the
// operator, if any (a carrier the server does not run stays named, so a
// provision says it is not configured).
func (s *Service) operatorSet(ctx context.Context, sc naive.Scope) (CarrierSet, error) {
	set := s.carriers(sc.Mode)
	oc, err := s.store.GetOperatorCarriers(ctx, sc)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return set, nil
	case err != nil:
		return set, err
	}
	set.Default, set.Fallback = oc.Default, oc.Fallback
	return set, nil
}
