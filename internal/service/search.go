package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// SearchNumbers lists numbers the carrier offers for sale now, for a
// provision to choose one by its e164. It needs what preflight needs (the
// subject's kit enables phone); nothing is reserved, so a number listed may
// be gone by the time it is bought (the provision then answers
// no_matching_numbers). The carrier's inventory browser is reached through
// the subject's brand's carrier account: before the brand exists (the
// subject's first number registers it) the answer is 409 conflict.
func (s *Service) SearchNumbers(ctx context.Context, subjectID string, req naive.NumberSearch) (*naive.List[naive.AvailableNumber], error) {
	p, subj, _, err := s.guard(ctx, "phone", subjectID)
	if err != nil {
		return nil, err
	}
	if err := ValidateNumberSearch(&req); err != nil {
		return nil, err
	}
	brand, err := s.store.GetBrand(ctx, p.Scope(), subj.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	cr, err := s.brandCarrier(p.Mode, brand)
	if err != nil {
		return nil, err
	}
	if brand == nil || brand.CarrierID == "" {
		return nil, (&naive.Error{Code: naive.EConflict,
			Message: "Numbers can be searched once the subject's carrier brand exists; its first number registers it."}).
			WithHint("Provision the first number with area_code (and type) to choose where it is (POST /v1/phone/provision {\"ein\": …, \"area_code\": \"415\"}); search before buying the next ones.").
			With("reason", "brand_not_registered")
	}
	nums, err := cr.AvailableNumbers(ctx, brand.CarrierID, carrier.NumberFilter{Type: req.Type, AreaCode: req.AreaCode})
	if carrier.Is(err, carrier.NotFound) {
		return nil, (&naive.Error{Code: naive.EProviderError, Err: err,
			Message: fmt.Sprintf("The carrier has no account %s, the subject's brand, to search numbers through.", brand.CarrierID)}).
			WithHint("GET /v1/phone/status says how to fix the subject's carrier account.").With("retryable", false)
	}
	if err != nil {
		return nil, searchError(err)
	}
	out := &naive.List[naive.AvailableNumber]{Data: []naive.AvailableNumber{}}
	for _, n := range nums {
		if len(out.Data) == req.Limit {
			break
		}
		an := naive.AvailableNumber{E164: n.E164, Type: n.Type, AreaCode: areaOf(n.E164), Country: n.Country,
			Locality: n.Locality, Region: n.Region}
		if an.Type != req.Type || (req.AreaCode != "" && an.AreaCode != req.AreaCode) {
			continue // not what was asked: never offer a number the provision would refuse
		}
		if an.Country == "" {
			an.Country = "US"
		}
		out.Data = append(out.Data, an)
	}
	return out, nil
}

// searchError maps a failed inventory search: as carrierError, without
// the purchase's wording (nothing is charged by a search, and it needs no
// Idempotency-Key).
func searchError(err error) error {
	e := naive.AsError(carrierError("search numbers", err))
	if e.Code == naive.EProviderError && e.Fields["retryable"] == true {
		e = e.WithHint("Retry in a minute.")
	}
	return e
}

// ValidateNumberSearch checks a search and fills its defaults (type
// local, limit DefaultNumberSearch).
func ValidateNumberSearch(r *naive.NumberSearch) *naive.Error {
	pr := naive.ProvisionRequest{Type: r.Type, AreaCode: r.AreaCode}
	if err := ValidateProvision(&pr); err != nil {
		return err
	}
	r.Type = pr.Type
	switch {
	case r.Limit == 0:
		r.Limit = naive.DefaultNumberSearch
	case r.Limit < 1 || r.Limit > naive.MaxNumberSearch:
		return naive.InvalidParam("limit", "limit must be between 1 and %d; got %d.", naive.MaxNumberSearch, r.Limit)
	}
	return nil
}

// areaOf is the area code of a North American E.164 number ("" otherwise).
func areaOf(e164 string) string {
	if len(e164) == 12 && strings.HasPrefix(e164, "+1") {
		return e164[2:5]
	}
	return ""
}

// prepareChosenNumber fills, before the kit's defaults apply, the type
// and area code a provision's chosen e164 implies when the request leaves
// them out (so a default area code never contradicts the number chosen).
// Whether the e164 is valid, and agrees with a type and area code given,
// is validateChosenNumber's check.
func prepareChosenNumber(r *naive.ProvisionRequest) {
	if r.E164 == "" || !isUSE164(r.E164) {
		return
	}
	area := areaOf(r.E164)
	if r.Type == "" {
		r.Type = kindName(isTollFree(area))
	}
	if r.AreaCode == "" {
		r.AreaCode = area
	}
}

// isUSE164 reports whether s is +1 followed by a valid NANP area code and
// seven digits, the first of them 2–9.
func isUSE164(s string) bool {
	if len(s) != 12 || !strings.HasPrefix(s, "+1") || !validAreaCode(s[2:5]) || s[5] < '2' || s[5] > '9' {
		return false
	}
	for _, c := range s[5:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validateChosenNumber checks that a chosen e164 agrees with the request's
// type and area code (ValidateProvision has checked those).
func validateChosenNumber(r *naive.ProvisionRequest) *naive.Error {
	if r.E164 == "" {
		return nil
	}
	if !isUSE164(r.E164) {
		return naive.InvalidParam("e164", "e164 must be a US number in E.164 format, such as +14155551234; got %q.", r.E164).
			WithHint("Pass a number exactly as GET /v1/phone/available lists it, or omit e164 to take any number of the area code.")
	}
	area := areaOf(r.E164)
	if r.AreaCode != "" && r.AreaCode != area {
		return naive.InvalidParam("e164", "e164 %s is in area code %s, not the area_code %s sent.", r.E164, area, r.AreaCode).
			WithHint("Omit area_code with e164, or choose a number of that area code from GET /v1/phone/available.")
	}
	if tf := isTollFree(area); tf != (r.Type == naive.PhoneTollFree) {
		return naive.InvalidParam("e164", "e164 %s is a %s number, not the %s type sent.", r.E164, kindName(tf), r.Type).
			WithHint("Omit type with e164, or choose a number of that type from GET /v1/phone/available.")
	}
	return nil
}

func kindName(tollFree bool) string {
	if tollFree {
		return naive.PhoneTollFree
	}
	return naive.PhoneLocal
}

// buyError maps a failed purchase. A chosen number the carrier no longer
// sells (taken since the search, or never offered) says so, on e164.
func buyError(req naive.ProvisionRequest, err error) error {
	if req.E164 != "" && carrier.Is(err, carrier.NoInventory) {
		return (&naive.Error{Code: naive.ENoMatchingNumbers, Param: "e164", Err: err,
			Message: fmt.Sprintf("The carrier no longer offers %s: it was taken since the search, or was never for sale; nothing was charged.", req.E164)}).
			WithHint("Search again (GET /v1/phone/available, type %s, area_code %s) and provision one of the numbers listed, or omit e164 to take any number of the area code.", req.Type, areaOf(req.E164))
	}
	return carrierError("buy a number", err)
}
