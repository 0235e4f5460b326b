package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// TestSubmitBrandVerification: on a carrier that verifies by code, the
// brand says so and the next step names the code's route; a malformed
// code never reaches the carrier; a wrong one is invalid_input on code and
// counted, a carrier outage is not; after VerificationCodeAttempts wrong
// codes even the right one is refused (rate_limited, on every process)
// until the window passed; the right code verifies the brand at once, and
// the next pass registers the campaign, once.
func TestSubmitBrandVerification(t *testing.T) {
	f := setup(t)
	f.cr.verifyBy, f.cr.code = naive.BrandVerifyCode, "493027"
	if _, err := f.svc.SubmitBrandVerification(f.human, "", "493027"); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("submit without a brand: %v, want conflict", err)
	}
	subj := f.soleProprietor(t)
	res, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierSoleProprietor})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Provisioned.BrandVerificationMethod; m != naive.BrandVerifyCode {
		t.Fatalf("provisioned brand_verification_method = %q, want code", m)
	}
	st, err := f.svc.PhoneStatus(f.human, subj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Brand.VerificationMethod != naive.BrandVerifyCode || !strings.Contains(st.NextStep, "POST /v1/phone/brand-verification {") ||
		strings.Contains(st.NextStep, "YES") {
		t.Fatalf("status: method %q, next step %q; want code, naming the code's route", st.Brand.VerificationMethod, st.NextStep)
	}
	if rs, err := f.svc.ResendBrandVerification(f.human, subj.ID); err != nil || rs.VerificationMethod != naive.BrandVerifyCode {
		t.Fatalf("resend = %+v, %v; want sent, method code", rs, err)
	}

	for _, code := range []string{"", "12", "12a456", "12345678901", "１２３４５６"} {
		_, err := f.svc.SubmitBrandVerification(f.human, subj.ID, code)
		if e := naive.AsError(err); e.Code != naive.EInvalidInput || e.Param != "code" {
			t.Errorf("code %q: %v (param %q), want invalid_input on code", code, err, e.Param)
		}
	}
	if f.cr.submits != 0 {
		t.Fatalf("malformed codes reached the carrier %d times", f.cr.submits)
	}

	// A carrier outage is a provider_error and no wrong guess.
	f.cr.outage = &carrier.Error{Kind: carrier.Unavailable, Message: "Telnyx could not be reached"}
	if _, err := f.svc.SubmitBrandVerification(f.human, subj.ID, "493027"); naive.ErrorCode(err) != naive.EProviderError {
		t.Fatalf("submit with the carrier down: %v, want provider_error", err)
	}
	f.cr.outage = nil

	for i := range service.VerificationCodeAttempts {
		_, err := f.svc.SubmitBrandVerification(f.ctx, subj.ID, "111111")
		e := naive.AsError(err)
		if e.Code != naive.EInvalidInput || e.Param != "code" || !strings.Contains(e.Hint, "/v1/phone/brand-verification/resend") {
			t.Fatalf("wrong code %d: %v (param %q, hint %q), want invalid_input on code naming the resend", i+1, err, e.Param, e.Hint)
		}
		if left := e.Fields["attempts_remaining"]; left != service.VerificationCodeAttempts-1-i {
			t.Fatalf("wrong code %d: attempts_remaining %v, want %d", i+1, left, service.VerificationCodeAttempts-1-i)
		}
	}
	// Locked now: the right code is not even checked, on any process.
	other := f.process("process-2")
	for _, svc := range []*service.Service{f.svc, other} {
		_, err := svc.SubmitBrandVerification(f.human, subj.ID, "493027")
		if e := naive.AsError(err); e.Code != naive.ERateLimited || e.RetryAfter <= 0 || e.RetryAfter > service.VerificationCodeWindow {
			t.Fatalf("submit after %d wrong codes: %v (retry after %v), want rate_limited", service.VerificationCodeAttempts, err, e.RetryAfter)
		}
	}
	if want := 1 + service.VerificationCodeAttempts; f.cr.submits != want {
		t.Fatalf("carrier asked %d times, want %d (an outage and the wrong codes)", f.cr.submits, want)
	}
	if st, _ := f.svc.PhoneStatus(f.human, subj.ID); st.Brand.Verification != naive.BrandVerificationPendingOTP {
		t.Fatalf("verified by wrong codes: %+v", st.Brand)
	}

	f.clock.add(service.VerificationCodeWindow)
	if err := f.svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.SubmitBrandVerification(f.human, subj.ID, " 493-027 ")
	if err != nil {
		t.Fatalf("the right code after the window: %v", err)
	}
	if got.BrandVerification != naive.BrandVerificationVerified || got.SubjectID != subj.ID {
		t.Fatalf("submitted = %+v, want verified", got)
	}
	// Recorded at once, without a pass; the counter is forgotten.
	st, err = f.svc.PhoneStatus(f.human, subj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Brand.Verification != naive.BrandVerificationVerified || st.Brand.VerificationMethod != "" {
		t.Fatalf("brand after the code: %+v, want verified (no method shown)", st.Brand)
	}
	if fs, err := f.st.LoginFailures(context.Background(), []string{"brand_code:" + subj.ID}, time.Time{}); err != nil || len(fs) != 0 {
		t.Fatalf("wrong codes still counted after the right one: %v, %v", fs, err)
	}
	f.svc.PollCampaigns(context.Background())
	f.svc.PollCampaigns(context.Background())
	if n := len(f.cr.camps); n != 1 {
		t.Fatalf("%d campaigns at the carrier after the code, want 1", n)
	}
	if _, err := f.svc.SubmitBrandVerification(f.human, subj.ID, "493027"); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("submit after verification: %v, want conflict", err)
	}
	// The sandbox's reply route: a brand verified by code awaits no reply.
	if err := f.svc.AwaitingVerification(f.ctx, subj.Contact.Phone); naive.ErrorCode(err) != naive.ENotFound {
		t.Fatalf("awaiting a reply after verification: %v, want not_found", err)
	}
	// A company's brand needs no code.
	if _, err := f.svc.ProvisionPhone(f.human, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SubmitBrandVerification(f.human, "", "493027"); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("submit for a company's brand: %v, want conflict", err)
	}
}

// TestSubmitBrandVerificationByReply: on a carrier that verifies by the
// owner's reply there is no code: submitting is a conflict saying so (the
// carrier is not asked), and the hints say to reply YES.
func TestSubmitBrandVerificationByReply(t *testing.T) {
	f := setup(t)
	subj := f.soleProprietor(t)
	res, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierSoleProprietor})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Provisioned.BrandVerificationMethod; m != naive.BrandVerifyReply {
		t.Fatalf("provisioned brand_verification_method = %q, want reply", m)
	}
	st, err := f.svc.PhoneStatus(f.human, subj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Brand.VerificationMethod != naive.BrandVerifyReply || !strings.Contains(st.NextStep, "reply YES") {
		t.Fatalf("status: method %q, next step %q; want reply, saying to reply YES", st.Brand.VerificationMethod, st.NextStep)
	}
	_, err = f.svc.SubmitBrandVerification(f.ctx, subj.ID, "123456")
	e := naive.AsError(err)
	if e.Code != naive.EConflict || e.Fields["verification_method"] != naive.BrandVerifyReply || !strings.Contains(e.Hint, "reply YES") {
		t.Fatalf("submit on a carrier verifying by reply: %v (%v, hint %q), want conflict with verification_method reply", err, e.Fields, e.Hint)
	}
	if f.cr.submits != 0 {
		t.Fatalf("carrier asked %d times, want 0", f.cr.submits)
	}
	if err := f.svc.AwaitingVerification(f.ctx, subj.Contact.Phone); err != nil {
		t.Fatalf("awaiting the owner's reply: %v", err)
	}
}

// TestAwaitingVerificationByCode: test mode's sandbox reply to the
// verification number is refused for a brand whose carrier verifies by
// code, with the route to submit it.
func TestAwaitingVerificationByCode(t *testing.T) {
	f := setup(t)
	f.cr.verifyBy, f.cr.code = naive.BrandVerifyCode, "493027"
	subj := f.soleProprietor(t)
	if _, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierSoleProprietor}); err != nil {
		t.Fatal(err)
	}
	err := f.svc.AwaitingVerification(f.ctx, subj.Contact.Phone)
	if e := naive.AsError(err); e.Code != naive.EConflict || !strings.Contains(e.Hint, "/phone/brand-verification {") {
		t.Fatalf("a reply to a brand verified by code: %v (hint %q), want conflict naming the code's route", err, e.Hint)
	}
	if err := f.svc.AwaitingVerification(f.ctx, "+14155550199"); naive.ErrorCode(err) != naive.ENotFound {
		t.Fatalf("a stranger's reply: %v, want not_found", err)
	}
}
