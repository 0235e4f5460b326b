package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
)

// The carrier-side checks of Preflight and PhoneStatus. The database is
// not the carrier's truth: a memory-only or reset sandbox, or an account
// archived at Surge, leaves a registered brand here that the carrier no
// longer has, and every provision and text for the subject then fails. These checks ask the carrier, once per check and request
// (never once per number), and tell three answers apart: it has it (ok),
// it says it has not (failed, with what to do), and it could not be asked
// (unknown, with when to ask again). An outage never reads as "missing",
// and never fails the read itself.

// carrierCheckTimeout bounds the one carrier request a check makes, so a
// carrier that hangs costs a status read seconds, not the carrier client's
// own timeout and retries.
var carrierCheckTimeout = 5 * time.Second

// Check names.
const (
	checkCarrierAccount = "carrier_account"
	checkCarrierNumbers = "carrier_numbers"
)

// errCheckTimeout marks a check whose carrier request ran out of time.
var errCheckTimeout = errors.New("the carrier did not answer in time")

// askCarrier runs one carrier request of a check under carrierCheckTimeout.
func askCarrier[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, carrierCheckTimeout)
	defer cancel()
	v, err := call(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", errCheckTimeout, err)
	}
	return v, err
}

// accountFound is the passing carrier_account check.
func accountFound(brandID string) naive.PreflightCheck {
	return naive.PreflightCheck{Check: checkCarrierAccount, OK: true, Status: naive.CheckOK,
		Detail: fmt.Sprintf("The carrier has the brand's account %s.", brandID)}
}

// accountMissing is the carrier_account check of a brand whose account the
// carrier says it does not have: provisions and texts fail until it has.
func accountMissing(mode naive.Mode, brandID string, numbers int) naive.PreflightCheck {
	c := naive.PreflightCheck{Check: checkCarrierAccount, Status: naive.CheckFailed}
	held := ""
	if numbers > 0 {
		held = fmt.Sprintf(", and the subject's %d active number(s) with it", numbers)
	}
	if mode == naive.ModeTest {
		c.Detail = fmt.Sprintf("The sandbox carrier has no account %s, the subject's brand%s. The sandbox keeps its state in the database, "+
			"across restarts and for every server process on it, so an account goes missing only when the sandbox runs memory-only "+
			"(and restarted since), when the account was archived, or when the standalone sandbox this server uses (--sandbox-url) "+
			"was reset or is not the one that registered the brand. Provisions and texts for this subject fail.", brandID, held)
		c.Fix = fmt.Sprintf("Test account %s cannot be brought back. If this server points at the wrong sandbox, restart it with "+
			"--sandbox-url of the one that registered the brand and check again. Otherwise create a new subject (POST /v1/subjects, "+
			"then POST /v1/subjects/{id}/formation) and provision its numbers there, or start over with an empty database.", brandID)
		return c
	}
	c.Detail = fmt.Sprintf("The carrier has no account %s, the subject's brand%s: it was archived or deleted at the carrier. "+
		"Provisions and texts for this subject fail until it is back.", brandID, held)
	c.Fix = fmt.Sprintf("Ask the carrier (Surge) to restore account %s; naive does not register a second brand for a subject. "+
		"Or register the company as a new subject (POST /v1/subjects) and provision there.", brandID)
	return c
}

// carrierUnchecked is a check the carrier could not answer: an outage, a
// timeout, a rate limit, a refusal of the request itself. It says nothing
// of whether the account or numbers exist; again is the request to repeat.
func carrierUnchecked(check, what, again string, err error) naive.PreflightCheck {
	why, when := "the carrier failed or could not be reached", "in a minute"
	var ce *carrier.Error
	switch {
	case errors.Is(err, errCheckTimeout):
		why = fmt.Sprintf("the carrier did not answer within %s", carrierCheckTimeout)
	case errors.As(err, &ce) && ce.Kind == carrier.RateLimited:
		why = "the carrier is rate limiting requests"
		if ce.RetryAfter > 0 {
			when = "after " + ce.RetryAfter.Round(time.Second).String()
		}
	case errors.As(err, &ce) && ce.Kind != carrier.Unavailable && ce.Message != "":
		why = "the carrier refused the request: " + ce.Message
	}
	return naive.PreflightCheck{Check: check, Status: naive.CheckUnknown,
		Detail: fmt.Sprintf("Could not check %s: %s. This does not mean anything is missing.", what, why),
		Fix: fmt.Sprintf("Retry %s %s; nothing was changed. If it persists, check the carrier's status and the server's carrier settings.",
			again, when)}
}

// numbersHeld is the carrier_numbers check: which of the subject's active
// numbers the carrier's list of the brand's numbers lacks.
func numbersHeld(active []naive.Phone, held []carrier.Number) naive.PreflightCheck {
	ids := make(map[string]bool, len(held))
	for _, n := range held {
		ids[n.ID] = true
	}
	var gone []string
	for _, ph := range active {
		if !ids[ph.CarrierID] {
			gone = append(gone, ph.E164+" ("+ph.ID+")")
		}
	}
	if len(gone) == 0 {
		return naive.PreflightCheck{Check: checkCarrierNumbers, OK: true, Status: naive.CheckOK,
			Detail: fmt.Sprintf("The carrier holds the subject's %d active number(s).", len(active))}
	}
	const shown = 5
	list := strings.Join(gone[:min(len(gone), shown)], ", ")
	if len(gone) > shown {
		list += fmt.Sprintf(" and %d more", len(gone)-shown)
	}
	return naive.PreflightCheck{Check: checkCarrierNumbers, Status: naive.CheckFailed,
		Detail: fmt.Sprintf("The carrier no longer holds %d of the subject's %d active number(s): %s. They cannot send or receive texts.", len(gone), len(active), list),
		Fix:    "Release each (DELETE /v1/phone/{id}; a number the carrier no longer has releases without error) and provision a replacement (POST /v1/phone/provision)."}
}
