package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
)

func (s *Service) carrier(mode naive.Mode) (carrier.Carrier, error) {
	c := s.cfg.Carrier(mode)
	if c == nil {
		return nil, (&naive.Error{Code: naive.ENotConfigured, Message: "No carrier is configured for live mode."}).
			WithHint("Start the server with --carrier surge and SURGE_API_KEY, or use a test key (nv_sk_test_…) with the sandbox carrier.")
	}
	return c, nil
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
			return (&naive.Error{Code: naive.EInvalidInput, Message: fmt.Sprintf("The carrier refused to %s: %s", op, ce.Message), Err: err}).
				WithHint("Complete the subject's profile (PATCH /v1/subjects/{id}) and retry.").With("carrier_fields", fields)
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
