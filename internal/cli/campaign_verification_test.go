package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// verificationService answers the brand-verification calls.
type verificationService struct {
	naive.Service
	code string
}

func (v *verificationService) SubmitBrandVerification(_ context.Context, subjectID, code string) (*naive.BrandVerificationSubmitted, error) {
	v.code = code
	return &naive.BrandVerificationSubmitted{SubjectID: "s1", BrandVerification: naive.BrandVerificationVerified}, nil
}

func (v *verificationService) ResendBrandVerification(context.Context, string) (*naive.BrandVerificationResend, error) {
	return &naive.BrandVerificationResend{SubjectID: "s1", BrandVerification: naive.BrandVerificationPendingOTP, Status: "sent",
		SentTo: "•••0142", VerificationMethod: naive.BrandVerifyCode}, nil
}

// TestBrandVerificationSubmit: submit needs --code and sends it; a resend
// on a carrier verifying by code points to submit, not to a YES reply.
func TestBrandVerificationSubmit(t *testing.T) {
	t.Parallel()
	svc := &verificationService{}
	f, out, _ := testFactory(t, svc, true)
	cmd := NewCmdPhoneBrandVerification(f, nil)
	cmd.SetArgs([]string{"submit"})
	if err := cmd.Execute(); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--code") {
		t.Fatalf("submit without --code: %v, want a usage error naming --code", err)
	}
	cmd = NewCmdPhoneBrandVerification(f, nil)
	cmd.SetArgs([]string{"submit", "--code", "493027"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if svc.code != "493027" || !strings.Contains(out.String(), "the brand is verified") {
		t.Fatalf("sent code %q, printed %q", svc.code, out)
	}
	out.Reset()
	cmd = NewCmdPhoneBrandVerification(f, nil)
	cmd.SetArgs([]string{"resend"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "naive phone brand-verification submit --code") || strings.Contains(s, "YES") {
		t.Fatalf("resend on a carrier verifying by code printed %q", s)
	}
}
