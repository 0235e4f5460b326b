package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/service"
)

// soleProprietor makes an unformed subject for one person with a US mobile.
func (f *fixture) soleProprietor(t *testing.T) *naive.Subject {
	t.Helper()
	def, err := f.svc.GetSubject(f.human, "")
	if err != nil {
		t.Fatal(err)
	}
	prof := def.SubjectProfile
	prof.LegalName, prof.Contact.Phone = "Ada Lovelace", "+14155550142"
	subj, err := f.svc.CreateSubject(f.human, prof)
	if err != nil {
		t.Fatal(err)
	}
	return subj
}

// TestSoleProprietorProvision: no formation and no EIN; the number is
// bought at once with the brand pending_otp and its campaign recorded
// without the carrier; the campaign is created at the carrier only once
// the owner confirmed, exactly once however many passes run.
func TestSoleProprietorProvision(t *testing.T) {
	f := setup(t)
	subj := f.soleProprietor(t)
	sole := naive.ProvisionRequest{Tier: naive.TierSoleProprietor, AreaCode: "415"}

	for _, tc := range []struct {
		name  string
		req   naive.ProvisionRequest
		param string
	}{
		{"ein", naive.ProvisionRequest{Tier: naive.TierSoleProprietor, EIN: "12-3456789"}, "ein"},
		{"toll-free", naive.ProvisionRequest{Tier: naive.TierSoleProprietor, Type: naive.PhoneTollFree}, "type"},
		{"unknown tier", naive.ProvisionRequest{Tier: "llc"}, "tier"},
	} {
		_, err := f.svc.ProvisionPhone(f.human, subj.ID, tc.req)
		if e := naive.AsError(err); e.Code != naive.EInvalidInput || e.Param != tc.param {
			t.Errorf("%s: err = %v (param %q), want invalid_input on %s", tc.name, err, e.Param, tc.param)
		}
	}
	// Without formation a standard provision is refused; a sole proprietor's is not.
	if _, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{EIN: "12-3456789"}); naive.ErrorCode(err) != naive.EFormationIncomplete {
		t.Fatalf("standard provision of an unformed subject: %v, want formation_incomplete", err)
	}
	pf, err := f.svc.Preflight(f.human, subj.ID, sole)
	if err != nil || !pf.Ready || pf.Tier != naive.TierSoleProprietor {
		t.Fatalf("sole proprietor's preflight = %+v, %v; want ready", pf, err)
	}
	res, err := f.svc.ProvisionPhone(f.human, subj.ID, sole)
	if err != nil {
		t.Fatal(err)
	}
	prov := res.Provisioned
	if prov.BrandVerification != naive.BrandVerificationPendingOTP || !prov.Phone.Capabilities.SMSInbound || prov.Phone.Capabilities.SMSOutbound {
		t.Fatalf("provisioned = verification %q caps %+v; want pending_otp, inbound only", prov.BrandVerification, prov.Phone.Capabilities)
	}
	st, err := f.svc.PhoneStatus(f.human, subj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Brand.Tier != naive.TierSoleProprietor || st.Brand.Verification != naive.BrandVerificationPendingOTP ||
		len(st.Campaigns) != 1 || st.Campaigns[0].CarrierID != "" {
		t.Fatalf("status = brand %+v campaigns %+v; want a pending sole proprietor with its campaign not at the carrier", st.Brand, st.Campaigns)
	}
	// One number per sole proprietor; no other tier for the brand.
	if _, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{}); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("second number: %v, want conflict", err)
	}
	if _, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierStandard, EIN: "12-3456789"}); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("standard tier on a sole proprietor's brand: %v, want conflict", err)
	}

	// Passes before the owner's YES create nothing at the carrier.
	f.svc.PollCampaigns(context.Background())
	if n := len(f.cr.camps); n != 0 {
		t.Fatalf("%d campaigns at the carrier before verification, want 0", n)
	}
	f.cr.verify()
	other := f.process("process-2")
	done := make(chan struct{})
	go func() { other.PollCampaigns(context.Background()); close(done) }()
	f.svc.PollCampaigns(context.Background())
	<-done
	f.svc.PollCampaigns(context.Background())
	if n := len(f.cr.camps); n != 1 {
		t.Fatalf("%d campaigns at the carrier after verification, want 1", n)
	}
	st, err = f.svc.PhoneStatus(f.human, subj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Brand.Verification != naive.BrandVerificationVerified || st.Campaigns[0].CarrierID == "" {
		t.Fatalf("after verification: brand %+v campaign %+v; want verified, campaign at the carrier", st.Brand, st.Campaigns[0])
	}
}

// TestResendBrandVerification: resends are throttled to one a minute, a
// refused one gives its slot back, and a brand needing none is a conflict.
func TestResendBrandVerification(t *testing.T) {
	f := setup(t)
	if _, err := f.svc.ResendBrandVerification(f.human, ""); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("resend without a brand: %v, want conflict", err)
	}
	subj := f.soleProprietor(t)
	if _, err := f.svc.ProvisionPhone(f.human, subj.ID, naive.ProvisionRequest{Tier: naive.TierSoleProprietor}); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.ResendBrandVerification(f.human, subj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.SentTo != "•••0142" || f.cr.resends != 1 {
		t.Fatalf("resend = %+v (carrier resends %d), want sent to •••0142 once", res, f.cr.resends)
	}
	_, err = f.svc.ResendBrandVerification(f.ctx, subj.ID)
	if e := naive.AsError(err); e.Code != naive.ERateLimited || e.RetryAfter <= 0 {
		t.Fatalf("resend within a minute: %v (retry after %v), want rate_limited", err, e.RetryAfter)
	}
	f.clock.add(service.VerificationResendInterval)
	if err := f.svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.cr.outage = &carrier.Error{Kind: carrier.Unavailable, Message: "Surge could not be reached"}
	if _, err := f.svc.ResendBrandVerification(f.human, subj.ID); naive.ErrorCode(err) != naive.EProviderError {
		t.Fatalf("resend with the carrier down: %v, want provider_error", err)
	}
	f.cr.outage = nil
	if _, err := f.svc.ResendBrandVerification(f.human, subj.ID); err != nil {
		t.Fatalf("resend after a refused one: %v (its slot should be given back)", err)
	}
	if f.cr.resends != 2 {
		t.Fatalf("carrier resends = %d, want 2", f.cr.resends)
	}
	f.cr.verify()
	f.svc.PollCampaigns(context.Background())
	f.clock.add(time.Hour)
	if err := f.svc.RegisterProcess(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResendBrandVerification(f.human, subj.ID); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("resend after verification: %v, want conflict", err)
	}
	// A company's brand needs none.
	if _, err := f.svc.ProvisionPhone(f.human, "", firstNumber); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResendBrandVerification(f.human, ""); naive.ErrorCode(err) != naive.EConflict {
		t.Fatalf("resend for a company's brand: %v, want conflict", err)
	}
}
