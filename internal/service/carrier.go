package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge"
)

// Carrier is what the service needs from a carrier. *surge.Client
// implements it, against Surge itself or the sandbox simulator.
type Carrier interface {
	CreateAccount(ctx context.Context, in surge.AccountCreate) (surge.Account, error)
	AccountStatus(ctx context.Context, accountID string, capabilities ...string) (surge.AccountStatus, error)
	CreateCampaign(ctx context.Context, accountID string, in surge.CampaignCreate) (surge.Campaign, error)
	GetCampaign(ctx context.Context, id string) (surge.Campaign, error)
	PurchaseNumber(ctx context.Context, accountID string, in surge.NumberPurchase) (surge.PhoneNumber, error)
	ListNumbers(ctx context.Context, accountID string) ([]surge.PhoneNumber, error)
	ReleaseNumber(ctx context.Context, id string) (surge.PhoneNumber, error)
	SendMessage(ctx context.Context, accountID string, in surge.MessageCreate) (surge.Message, error)
	ListMessages(ctx context.Context, accountID string) ([]surge.Message, error)
	GetContact(ctx context.Context, id string) (surge.Contact, error)
}

func (s *Service) carrier(mode naive.Mode) (Carrier, error) {
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
	var se *surge.Error
	if errors.As(err, &se) {
		switch {
		case se.Type == "no_matching_numbers":
			return (&naive.Error{Code: naive.ENoMatchingNumbers, Param: "area_code", Message: "The carrier has no numbers available for that area code.", Err: err}).
				WithHint("Try a nearby area code, or omit area_code to take any available number.")
		case se.StatusCode == 429:
			e := &naive.Error{Code: naive.ERateLimited, Message: "The carrier is rate limiting requests.", RetryAfter: se.RetryAfter, Err: err}
			return e.WithHint("Back off and retry after the Retry-After delay.").With("retryable", true)
		case se.StatusCode >= 500:
			return (&naive.Error{Code: naive.EProviderError, Message: "The carrier failed while trying to " + op + ".", Err: err}).
				WithHint("Retry in a minute with the same Idempotency-Key; nothing was charged.").With("retryable", true)
		case se.Type == "phone_number_limit":
			return (&naive.Error{Code: naive.EProviderError, Message: "The carrier account reached its plan's number limit.", Err: err}).
				WithHint("Release an unused number or raise the carrier plan.").With("retryable", false)
		case se.Type == "validation_error" || se.Type == "account_not_ready":
			fields := make([]string, 0, len(se.Detail))
			for k := range se.Detail {
				fields = append(fields, k)
			}
			return (&naive.Error{Code: naive.EInvalidInput, Message: fmt.Sprintf("The carrier refused to %s: %s", op, se.Message), Err: err}).
				WithHint("Complete the subject's profile (PATCH /v1/subjects/{id}) and retry.").With("carrier_fields", fields)
		}
		return (&naive.Error{Code: naive.EProviderError, Message: "The carrier refused to " + op + ": " + se.Message, Err: err}).
			WithHint("Retry later; if it persists, report the request id.").With("retryable", false)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return (&naive.Error{Code: naive.EProviderError, Message: "The carrier could not be reached to " + op + ".", Err: err}).
		WithHint("Retry in a minute with the same Idempotency-Key; nothing was charged.").With("retryable", true)
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// accountCreate builds the carrier brand registration from a subject.
func accountCreate(subj *naive.Subject, ein string) surge.AccountCreate {
	p := subj.SubjectProfile
	return surge.AccountCreate{
		Name: p.LegalName,
		Organization: &surge.Organization{
			Type:               surge.String("llc"),
			RegisteredName:     ptr(p.LegalName),
			IdentifierType:     surge.String("ein"),
			Identifier:         ptr(ein),
			Country:            surge.String("US"),
			Website:            ptr(p.Website),
			Email:              ptr(p.Contact.Email),
			Industry:           ptr(p.Industry),
			RegionsOfOperation: []string{"usa_and_canada"},
			Address: &surge.Address{
				Line1: ptr(p.Address.Line1), Line2: ptr(p.Address.Line2), Locality: ptr(p.Address.City),
				Region: ptr(p.Address.Region), PostalCode: ptr(p.Address.PostalCode), Country: surge.String("US"),
			},
			Contact: &surge.Contact{
				FirstName: ptr(p.Contact.FirstName), LastName: ptr(p.Contact.LastName), Email: ptr(p.Contact.Email),
				PhoneNumber: ptr(p.Contact.Phone), Title: ptr(p.Contact.Title),
			},
		},
	}
}

// campaignCreate builds the 10DLC campaign of a subject: customer care and
// account notifications, low volume, consent through the company's site.
func campaignCreate(subj *naive.Subject) surge.CampaignCreate {
	name := subj.LegalName
	return surge.CampaignCreate{
		ConsentFlow: fmt.Sprintf("Customers of %s opt in by giving their mobile number on %s and checking an unchecked box agreeing to receive texts; the terms at %s describe frequency, rates and STOP.",
			name, subj.Website, subj.TermsURL),
		Description: fmt.Sprintf("%s uses SMS to answer customer care requests and send account notifications to its own customers who opted in.", name),
		MessageSamples: []string{
			fmt.Sprintf("You are now opted in to messages from %s. Frequency varies. Msg&data rates apply. Reply STOP to opt out.", name),
			fmt.Sprintf("Hi [customer name], this is %s support: your request [ticket id] has been updated. Reply STOP to opt out.", name),
		},
		PrivacyPolicyURL:      subj.PrivacyPolicyURL,
		TermsAndConditionsURL: subj.TermsURL,
		UseCases:              []string{"customer_care", "account_notification"},
		Volume:                "low",
	}
}

// carrierFieldToParam maps a Surge organization field path to the subject
// field that feeds it.
func carrierFieldToParam(f string) string {
	f = strings.TrimPrefix(f, "organization.")
	switch f {
	case "registered_name":
		return "legal_name"
	case "identifier", "identifier_type":
		return "ein"
	case "address.locality":
		return "address.city"
	case "contact.phone_number":
		return "contact.phone"
	case "email":
		return "contact.email"
	}
	return f
}
