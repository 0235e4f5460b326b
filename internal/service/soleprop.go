package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Sole proprietors: one person trading without an LLC or an EIN. The
// brand is registered as the carrier's sole_proprietor type with the
// contact's mobile number, which the carrier texts to verify the person.
// The first number is bought at once and is live for inbound texts; the
// campaign is recorded with it but created at the carrier only after the
// contact confirmed the text (the background pass sees the brand ready and
// creates it), and outbound texting follows the campaign's review as for
// any brand. Carriers give sole-proprietor campaigns lower throughput, and
// a sole proprietor holds one number.

// VerificationResendInterval is the least time between two verification
// texts asked for one brand: each is a text to a person's phone, so
// resends are throttled.
const VerificationResendInterval = time.Minute

// A carrier that verifies by code (Telnyx) texts a short PIN, which can be
// guessed: after VerificationCodeAttempts wrong codes for one brand, each
// less than VerificationCodeWindow after the one before, its submissions
// are refused until VerificationCodeWindow after the last wrong one. The
// count is kept in the database (under the key "brand_code:<subject id>"
// of the failure counters failed logins use), so every process refuses
// the same guesser; an accepted code clears it.
const (
	VerificationCodeAttempts = 5
	VerificationCodeWindow   = 10 * time.Minute
)

// validateTier checks a provision request's tier against its other fields.
func validateTier(r *naive.ProvisionRequest) *naive.Error {
	switch r.Tier {
	case "", naive.TierStandard:
		return nil
	case naive.TierSoleProprietor:
	default:
		return naive.InvalidParam("tier", "tier must be \"standard\" or \"sole_proprietor\"; got %q.", r.Tier).
			WithHint("Omit tier for a company with an EIN; send \"sole_proprietor\" for one person without an EIN.")
	}
	if r.EIN != "" {
		return naive.InvalidParam("ein", "A sole proprietor registers without an EIN; ein was sent with tier sole_proprietor.").
			WithHint("Omit ein for a sole proprietor, or send tier \"standard\" for a company with an EIN.")
	}
	if r.Type == naive.PhoneTollFree {
		return naive.InvalidParam("type", "A sole proprietor's number is a local 10DLC number; toll_free was asked.").
			WithHint("Send \"type\": \"local\" (or omit type) with tier sole_proprietor.")
	}
	return nil
}

// tierOf is the tier a provision runs in: the request's, else the
// subject's brand's, else standard.
func tierOf(req naive.ProvisionRequest, brand *naive.Brand) string {
	switch {
	case req.Tier != "":
		return req.Tier
	case brand != nil && brand.Tier != "":
		return brand.Tier
	}
	return naive.TierStandard
}

func errTierMismatch(brand *naive.Brand, asked string) *naive.Error {
	return (&naive.Error{Code: naive.EConflict, Param: "tier",
		Message: fmt.Sprintf("The subject's brand is registered as %s; tier %s was sent.", brand.Tier, asked)}).
		WithHint("Omit tier (later numbers follow the brand), or create another subject for the other tier.").
		With("registered_tier", brand.Tier)
}

// soleProprietorProfile lists what a sole proprietor's registration lacks:
// the profile registration needs, with a US number for the contact, which
// receives the carrier's verification text.
func soleProprietorProfile(subj *naive.Subject) *naive.Error {
	if missing := missingForRegistration(subj.SubjectProfile); len(missing) > 0 {
		return (&naive.Error{Code: naive.EInvalidInput, Param: missing[0],
			Message: "The subject's profile lacks what carrier registration needs."}).
			WithHint("Fill these fields with PATCH /v1/subjects/%s, then retry.", subj.ID).
			With("fields_needed", missing)
	}
	if !usNumber(subj.Contact.Phone) {
		return (&naive.Error{Code: naive.EInvalidInput, Param: "contact.phone",
			Message: "A sole proprietor's contact.phone must be a US mobile number (+1…): the carrier texts it to verify the person."}).
			WithHint("Set contact.phone to the owner's mobile number with PATCH /v1/subjects/%s, then retry.", subj.ID)
	}
	return nil
}

// usNumber reports whether e164 is a North American number (+1 and ten
// digits, the area code not starting with 0 or 1). Whether it is a mobile
// only the carrier can tell.
func usNumber(e164 string) bool {
	return ValidE164(e164) && len(e164) == 12 && e164[:2] == "+1" && e164[2] >= '2'
}

// soleProprietorPrecheck refuses a sole proprietor's second number: the
// carriers allow one per sole-proprietor brand. (Two first provisions at
// the same moment both pass it; soleProprietorAlone, after the reserve,
// lets at most one of them buy.)
func (s *Service) soleProprietorPrecheck(ctx context.Context, sc naive.Scope, subj *naive.Subject) error {
	n, err := s.store.CountPhones(ctx, sc, subj.ID, naive.PhoneActive, naive.PhoneProvisioning)
	if err != nil {
		return err
	}
	if n > 0 {
		return (&naive.Error{Code: naive.EConflict, Param: "tier",
			Message: "A sole proprietor's brand holds one number, and this subject has one."}).
			WithHint("Use that number (GET /v1/subjects/%s/phone), or release it first; a company with an EIN can hold more.", subj.ID)
	}
	return nil
}

// startDeferredCampaign creates at the carrier a sole proprietor's campaign
// that was recorded without it, once the carrier reports the brand
// verified. The pass records the verification first, then claims the
// campaign (one pass at a time, across processes), adopts a campaign the
// carrier already has for the brand (a creation whose answer was lost) or
// creates it, and stores its id and status. Anything unfinished is tried
// again on the next pass.
func (s *Service) startDeferredCampaign(ctx context.Context, c *naive.Campaign) {
	sc := naive.Scope{OperatorID: c.OperatorID, Mode: c.Mode}
	log := s.log.With("campaign_id", c.ID, "subject_id", c.SubjectID)
	brand, err := s.store.GetBrand(ctx, sc, c.SubjectID)
	if err != nil || brand.Status != naive.BrandRegistered || brand.CarrierID == "" {
		return
	}
	cr := s.carrierOrNil(c.Mode, brand)
	if cr == nil {
		return
	}
	if brand.Verification == naive.BrandVerificationPendingOTP {
		st, err := cr.BrandStatus(ctx, brand.CarrierID)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("poll brand verification", "err", err)
			}
			return
		}
		if !st.Ready {
			return
		}
		if ok, err := s.store.VerifyBrand(ctx, c.SubjectID, s.now()); err != nil {
			log.Error("record brand verification", "err", err)
			return
		} else if ok {
			log.Info("sole proprietor's brand verified", "carrier_brand", brand.CarrierID)
		}
	}
	token, now := newID(), s.now()
	claimed, err := s.store.ClaimDeferredCampaign(ctx, c.ID, token, s.cfg.ProcessID, now, now.Add(-s.cfg.ClaimStale), s.liveAfter())
	if err != nil || !claimed {
		if err != nil {
			log.Error("claim deferred campaign", "err", err)
		}
		return
	}
	release := func() {
		if err := s.store.ReleaseDeferredCampaign(context.WithoutCancel(ctx), c.ID, token); err != nil {
			log.Error("release deferred campaign", "err", err)
		}
	}
	subj, err := s.store.GetSubject(ctx, sc, c.SubjectID)
	if err != nil {
		release()
		return
	}
	cp, err := s.createOrAdoptCampaign(ctx, cr, brand.CarrierID, subj)
	if err != nil {
		release()
		if ctx.Err() == nil {
			log.Warn("register the deferred campaign", "err", err)
		}
		return
	}
	if err := s.store.CompleteDeferredCampaign(context.WithoutCancel(ctx), c.ID, token, cp.ID, cp.Status, s.now()); err != nil {
		// Lost the claim: the pass that took it over adopts this
		// campaign (FindCampaign) rather than creating another.
		log.Warn("record the deferred campaign", "carrier_id", cp.ID, "err", err)
		return
	}
	log.Info("campaign registered after brand verification", "carrier_id", cp.ID, "status", cp.Status)
}

// createOrAdoptCampaign adopts the brand's campaign at the carrier, or
// creates it.
func (s *Service) createOrAdoptCampaign(ctx context.Context, cr carrier.Carrier, brandID string, subj *naive.Subject) (carrier.Campaign, error) {
	if err := s.mayAct(ctx); err != nil {
		return carrier.Campaign{}, err
	}
	cp, found, err := cr.FindCampaign(ctx, brandID)
	if err != nil || found {
		return cp, err
	}
	return s.createCampaign(ctx, cr, brandID, subj) // its campaign content (campaigncontent.go)
}

// ResendBrandVerification asks the carrier to text the sole proprietor's
// contact the verification message again. Resends are throttled to one per
// VerificationResendInterval per brand; the slot is taken in the database
// before the carrier is asked (so concurrent resends text once) and given
// back if the carrier refused.
//
// Errors: not_found (subject), conflict (no sole proprietor's brand
// awaiting verification), rate_limited, provider_error.
func (s *Service) ResendBrandVerification(ctx context.Context, subjectID string) (*naive.BrandVerificationResend, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	sc := p.Scope()
	brand, cr, err := s.pendingVerification(ctx, sc, subj.ID, "Nothing to resend; follow the campaign with GET /v1/phone/status.")
	if err != nil {
		return nil, err
	}
	now := s.now()
	if last := brand.VerificationSentAt; last != nil && now.Sub(*last) < VerificationResendInterval {
		return nil, errResendTooSoon(last.Add(VerificationResendInterval).Sub(now))
	}
	prev := brand.VerificationSentAt
	ok, err := s.store.SetBrandVerificationSent(ctx, sc, subj.ID, prev, &now, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errResendTooSoon(VerificationResendInterval) // another resend just took the slot
	}
	if err := s.mayAct(ctx); err != nil {
		s.giveBackResend(ctx, sc, subj.ID, now, prev)
		return nil, err
	}
	if err := cr.ResendBrandVerification(ctx, brand.CarrierID); err != nil {
		s.giveBackResend(ctx, sc, subj.ID, now, prev)
		if carrier.Is(err, carrier.Invalid) {
			// The carrier says the brand needs no verification any more:
			// the next background pass records it.
			return nil, (&naive.Error{Code: naive.EConflict, Message: "The carrier has no verification pending for this brand.", Err: err}).
				WithHint("The brand may have been verified moments ago; check GET /v1/phone/status.")
		}
		return nil, carrierError("resend the verification text", err)
	}
	s.log.Info("brand verification text resent", "subject_id", subj.ID, "carrier_brand", brand.CarrierID)
	return &naive.BrandVerificationResend{SubjectID: subj.ID, BrandVerification: naive.BrandVerificationPendingOTP,
		Status: "sent", SentTo: maskPhone(subj.Contact.Phone), NextResendAt: now.Add(VerificationResendInterval),
		VerificationMethod: cr.BrandVerificationMethod()}, nil
}

// pendingVerification returns the subject's brand awaiting its owner's
// verification, and its carrier. Errors: conflict (no registered brand,
// or one that awaits none: nothingHint says what to do then),
// not_configured.
func (s *Service) pendingVerification(ctx context.Context, sc naive.Scope, subjectID, nothingHint string) (*naive.Brand, carrier.Carrier, error) {
	brand, err := s.store.GetBrand(ctx, sc, subjectID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && brand.Status != naive.BrandRegistered) {
		return nil, nil, (&naive.Error{Code: naive.EConflict, Message: "The subject has no registered brand to verify."}).
			WithHint("Provision its first number with \"tier\": \"sole_proprietor\" (POST /v1/phone/provision); the carrier texts the contact then.").
			With("reason", "brand_not_registered")
	}
	if err != nil {
		return nil, nil, err
	}
	cr, err := s.brandCarrier(sc.Mode, brand)
	if err != nil {
		return nil, nil, err
	}
	if brand.Verification != naive.BrandVerificationPendingOTP {
		msg := "The subject's brand is a company's (tier standard): it is verified by its EIN, not by a text."
		if brand.Verification == naive.BrandVerificationVerified {
			msg = "The sole proprietor's brand is verified already."
		}
		return nil, nil, (&naive.Error{Code: naive.EConflict, Message: msg}).WithHint("%s", nothingHint).
			With("brand_verification", brand.Verification)
	}
	return brand, cr, nil
}

// verificationMethod is how the owner of a brand awaiting verification
// confirms the carrier's text (naive.BrandVerifyReply or
// naive.BrandVerifyCode): its carrier's way; "" for a brand that awaits
// none, or whose carrier is not configured here.
func (s *Service) verificationMethod(mode naive.Mode, b *naive.Brand) string {
	if b == nil || b.Verification != naive.BrandVerificationPendingOTP {
		return ""
	}
	if cr := s.carrierOrNil(mode, b); cr != nil {
		return cr.BrandVerificationMethod()
	}
	return ""
}

// verificationStep is the next step of a sole proprietor awaiting
// verification, by how its carrier verifies (sentTo is the masked number
// the text went to).
func verificationStep(method, sentTo string) string {
	if method == naive.BrandVerifyCode {
		return "The carrier texted a one-time code to the owner's mobile " + sentTo +
			": submit it with POST /v1/phone/brand-verification {\"code\":\"…\"} (POST /v1/phone/brand-verification/resend texts a new one); the campaign is registered once it is accepted."
	}
	return "The owner must reply YES to the carrier's verification text sent to " + sentTo +
		" (resend it with POST /v1/phone/brand-verification/resend); the campaign is registered once they do."
}

// SubmitBrandVerification submits the one-time code the carrier texted a
// sole proprietor's contact, on a carrier that verifies by code (Telnyx):
// the code is checked (digits only), wrong guesses are throttled
// (VerificationCodeAttempts per VerificationCodeWindow), the carrier is
// asked, and once it accepts, the brand is recorded verified at once; the
// next background pass registers the deferred campaign.
//
// Errors: not_found (subject), invalid_input (param code: malformed, or
// refused by the carrier), conflict (no sole proprietor's brand awaiting
// verification, or one whose carrier verifies by the owner's reply),
// rate_limited, not_configured, provider_error.
func (s *Service) SubmitBrandVerification(ctx context.Context, subjectID, code string) (*naive.BrandVerificationSubmitted, error) {
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	code, cerr := verificationCode(code)
	if cerr != nil {
		return nil, cerr
	}
	sc := p.Scope()
	brand, cr, err := s.pendingVerification(ctx, sc, subj.ID, "Nothing to submit; follow the campaign with GET /v1/phone/status.")
	if err != nil {
		return nil, err
	}
	if m := cr.BrandVerificationMethod(); m != naive.BrandVerifyCode {
		return nil, (&naive.Error{Code: naive.EConflict,
			Message: fmt.Sprintf("The brand's carrier (%s) verifies a sole proprietor by the owner's YES reply to its text; there is no code to submit.", cr.Name())}).
			WithHint("Ask the owner to reply YES to the text sent to %s; POST /v1/phone/brand-verification/resend sends it again.", maskPhone(subj.Contact.Phone)).
			With("verification_method", m)
	}
	key := "brand_code:" + subj.ID
	now := s.now()
	since := now.Add(-VerificationCodeWindow)
	fs, err := s.store.LoginFailures(ctx, []string{key}, since)
	if err != nil {
		return nil, err
	}
	if f, ok := fs[key]; ok && f.Failures >= VerificationCodeAttempts {
		return nil, errTooManyCodes(f.Last.Add(VerificationCodeWindow).Sub(now))
	}
	if err := s.mayAct(ctx); err != nil {
		return nil, err
	}
	// The attempt is counted before the carrier checks it, and the count
	// read back: of concurrent guesses, only those within the limit reach
	// the carrier (a burst cannot slip past a check they all read at
	// once). An accepted code clears the count, a wrong one keeps it, and
	// an attempt the carrier did not judge is given back.
	if err := s.store.RecordLoginFailure(ctx, []string{key}, now, since); err != nil {
		return nil, err
	}
	fs, err = s.store.LoginFailures(ctx, []string{key}, since)
	if err != nil {
		return nil, err
	}
	used := fs[key].Failures
	if used > VerificationCodeAttempts {
		return nil, errTooManyCodes(VerificationCodeWindow)
	}
	if err := cr.SubmitBrandVerification(ctx, brand.CarrierID, code); err != nil {
		var ce *carrier.Error
		wrong := errors.As(err, &ce) && ce.Kind == carrier.Invalid && slices.Contains(ce.Fields, "code")
		if !wrong {
			// Not judged (the carrier down, or no verification pending
			// there): no guess was spent.
			if err := s.store.ForgiveLoginFailure(context.WithoutCancel(ctx), key); err != nil {
				s.log.Warn("give back a verification attempt", "subject_id", subj.ID, "err", err)
			}
		}
		switch {
		case wrong:
			left := max(VerificationCodeAttempts-used, 0)
			return nil, (&naive.Error{Code: naive.EInvalidInput, Param: "code", Err: err,
				Message: "The carrier refused the code: it is not the one it texted, or it expired."}).
				WithHint("Check the code in the text sent to %s and submit it again; POST /v1/phone/brand-verification/resend texts a new one (once a minute).", maskPhone(subj.Contact.Phone)).
				With("attempts_remaining", left)
		case errors.As(err, &ce) && ce.Kind == carrier.Invalid:
			return nil, (&naive.Error{Code: naive.EConflict, Message: "The carrier has no code verification pending for this brand.", Err: err}).
				WithHint("The brand may have been verified moments ago; check GET /v1/phone/status.")
		}
		return nil, carrierError("submit the verification code", err)
	}
	if err := s.store.ClearLoginFailures(context.WithoutCancel(ctx), key); err != nil {
		s.log.Warn("clear wrong verification codes", "subject_id", subj.ID, "err", err)
	}
	// The carrier verified the brand: recorded now, so the next background
	// pass registers the campaign without asking again (if this write
	// fails, that pass reads the verification from the carrier instead).
	if _, err := s.store.VerifyBrand(context.WithoutCancel(ctx), subj.ID, s.now()); err != nil {
		s.log.Error("record brand verification", "subject_id", subj.ID, "err", err)
	}
	s.log.Info("sole proprietor's brand verified by code", "subject_id", subj.ID, "carrier_brand", brand.CarrierID)
	return &naive.BrandVerificationSubmitted{SubjectID: subj.ID, BrandVerification: naive.BrandVerificationVerified,
		NextStep: "The brand is verified: the campaign is registered with the carrier within moments, then reviewed; outbound SMS unlocks when it is active (GET /v1/phone/status)."}, nil
}

// Verification codes are digits; carriers text 4 to 10 of them (Telnyx: 6).
const (
	minVerificationCode = 4
	maxVerificationCode = 10
)

// verificationCode normalizes a submitted code (spaces and hyphens between
// the digits dropped) and checks it.
func verificationCode(code string) (string, error) {
	c := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
	ok := len(c) >= minVerificationCode && len(c) <= maxVerificationCode
	for _, r := range c {
		ok = ok && r >= '0' && r <= '9'
	}
	if !ok {
		shown := code
		if r := []rune(shown); len(r) > 20 {
			shown = string(r[:20]) + "…"
		}
		return "", naive.InvalidParam("code", "code must be the %d to %d digits of the carrier's verification text; got %q.", minVerificationCode, maxVerificationCode, shown).
			WithHint("Send the digits the owner received, e.g. {\"code\":\"123456\"}.")
	}
	return c, nil
}

func errTooManyCodes(wait time.Duration) *naive.Error {
	wait = wholeSeconds(wait)
	e := (&naive.Error{Code: naive.ERateLimited,
		Message: fmt.Sprintf("%d wrong verification codes were submitted for this brand; no code is checked for a while.", VerificationCodeAttempts)}).
		WithHint("Wait %s, then submit the code from the latest text (POST /v1/phone/brand-verification/resend texts a new one).", wait)
	e.RetryAfter = wait
	return e
}

// wholeSeconds is a wait as told to a caller: whole seconds, at least one.
func wholeSeconds(wait time.Duration) time.Duration {
	return max(wait.Round(time.Second), time.Second)
}

// giveBackResend returns the throttle slot of a resend the carrier did not
// make (only if no other resend moved it since).
func (s *Service) giveBackResend(ctx context.Context, sc naive.Scope, subjectID string, took time.Time, prev *time.Time) {
	if _, err := s.store.SetBrandVerificationSent(context.WithoutCancel(ctx), sc, subjectID, &took, prev, s.now()); err != nil {
		s.log.Warn("give back a verification resend", "subject_id", subjectID, "err", err)
	}
}

func errResendTooSoon(wait time.Duration) *naive.Error {
	wait = wholeSeconds(wait)
	e := (&naive.Error{Code: naive.ERateLimited,
		Message: fmt.Sprintf("A verification text was sent less than %s ago.", VerificationResendInterval)}).
		WithHint("Wait %s and resend (POST /v1/phone/brand-verification/resend); ask the owner to check their texts meanwhile.", wait)
	e.RetryAfter = wait
	return e
}

// maskPhone shows a phone number's last four digits only.
func maskPhone(e164 string) string {
	if len(e164) < 4 {
		return e164
	}
	return "•••" + e164[len(e164)-4:]
}

// soleProprietorPreflight adds a sole proprietor's checks: no formation and
// no EIN needed, the profile with the contact's US mobile number, the
// brand's tier and verification, and the one number a brand holds.
func (s *Service) soleProprietorPreflight(ctx context.Context, sc naive.Scope, subj *naive.Subject, brand *naive.Brand, out *naive.Preflight) error {
	add := func(c naive.PreflightCheck) { out.Checks = append(out.Checks, c) }
	if brand != nil && brand.Tier != naive.TierSoleProprietor {
		add(naive.PreflightCheck{Check: "tier", Field: "tier", Detail: "The brand is registered as " + brand.Tier + ".",
			Fix: "Omit tier, or create another subject for a sole proprietor."})
	} else {
		add(naive.PreflightCheck{Check: "tier", OK: true, Field: "tier",
			Detail: "A sole proprietor: no LLC and no EIN; the carrier verifies the owner by a text to contact.phone. Sole-proprietor campaigns send at lower throughput."})
	}
	add(naive.PreflightCheck{Check: "formation", OK: true, Detail: "A sole proprietor forms no LLC."})
	add(naive.PreflightCheck{Check: "ein", OK: true, Field: "ein", Detail: "A sole proprietor registers without an EIN."})
	if brand == nil || brand.Status != naive.BrandRegistered {
		if e := soleProprietorProfile(subj); e != nil {
			c := naive.PreflightCheck{Check: "profile", Field: e.Param, Detail: e.Message, Fix: e.Hint}
			if fields, ok := e.Fields["fields_needed"].([]string); ok {
				out.FieldsNeeded = append(out.FieldsNeeded, fields...)
				for _, f := range fields {
					add(naive.PreflightCheck{Check: "profile", Field: f, Detail: f + " is needed to register the brand and campaign.",
						Fix: fmt.Sprintf("PATCH /v1/subjects/%s with %s.", subj.ID, f)})
				}
			} else {
				add(c)
			}
		} else {
			add(naive.PreflightCheck{Check: "profile", OK: true, Detail: "The profile has what a sole proprietor's registration needs; the verification text goes to " +
				maskPhone(subj.Contact.Phone) + "."})
		}
	}
	if brand != nil && brand.Verification == naive.BrandVerificationPendingOTP {
		c := naive.PreflightCheck{Check: "brand_verification", OK: true, Detail: "The owner has not yet replied YES to the carrier's verification text; the campaign waits for it.",
			Fix: "POST /v1/phone/brand-verification/resend sends the text again."}
		if s.verificationMethod(sc.Mode, brand) == naive.BrandVerifyCode {
			c.Detail = "The one-time code the carrier texted the owner has not been submitted yet; the campaign waits for it."
			c.Fix = "Submit it with POST /v1/phone/brand-verification {\"code\":\"…\"}; POST /v1/phone/brand-verification/resend texts a new one."
		}
		add(c)
	}
	if err := s.soleProprietorPrecheck(ctx, sc, subj); err != nil {
		e := naive.AsError(err)
		if e.Code == naive.EInternal {
			return err
		}
		add(naive.PreflightCheck{Check: "numbers", Field: "tier", Detail: e.Message, Fix: e.Hint})
	}
	return nil
}

// AwaitingVerification checks that the caller has a sole proprietor's
// brand awaiting the verification reply of contactPhone: test mode's
// sandbox takes a reply to its verification number only then, so no
// tenant can answer another's text. A brand whose carrier verifies by
// code (Telnyx) awaits no reply: a conflict pointing to the code's route.
//
// Errors: not_found, conflict.
func (s *Service) AwaitingVerification(ctx context.Context, contactPhone string) error {
	p, err := s.principal(ctx)
	if err != nil {
		return err
	}
	sc := p.Scope()
	page := naive.Page{Limit: 200}
	var byCode error
	for range 50 {
		subjs, err := s.store.ListSubjects(ctx, sc, page)
		if err != nil {
			return err
		}
		for i := range subjs {
			if subjs[i].Contact.Phone != contactPhone {
				continue
			}
			b, err := s.store.GetBrand(ctx, sc, subjs[i].ID)
			if err != nil || b.Verification != naive.BrandVerificationPendingOTP {
				continue
			}
			if s.verificationMethod(sc.Mode, b) != naive.BrandVerifyCode {
				return nil
			}
			// Its carrier (Telnyx) texts a code to submit; a reply
			// verifies nothing there.
			byCode = (&naive.Error{Code: naive.EConflict,
				Message: fmt.Sprintf("The brand of %s is at %s, which verifies a sole proprietor by a one-time code, not by a reply.", contactPhone, b.Carrier)}).
				WithHint("Submit the code with POST /v1/subjects/%s/phone/brand-verification {\"code\":\"…\"}; the sandbox accepts 000000.", subjs[i].ID).
				With("verification_method", naive.BrandVerifyCode)
		}
		if len(subjs) < page.Limit {
			break
		}
		page.After = subjs[len(subjs)-1].ID
	}
	if byCode != nil {
		return byCode
	}
	return naive.Errorf(naive.ENotFound, "None of your sole proprietors' brands awaits a verification reply from %s.", contactPhone).
		WithHint("Send from the subject's contact.phone (GET /v1/phone/status names the brand awaiting it).")
}
