package mcp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/naive-oss/naive/internal/naive"
)

// verificationService answers naive_brand_verification_submit's call.
type verificationService struct {
	naive.Service
	submit func(subjectID, code string) (*naive.BrandVerificationSubmitted, error)
}

func (v *verificationService) SubmitBrandVerification(_ context.Context, subjectID, code string) (*naive.BrandVerificationSubmitted, error) {
	return v.submit(subjectID, code)
}

// TestBrandVerificationSubmit: the tool sends the code for the subject and
// answers verified; a wrong code is a tool error on code whose hint names
// the tools, not the REST routes.
func TestBrandVerificationSubmit(t *testing.T) {
	t.Parallel()
	var gotSubject, gotCode string
	svc := &verificationService{submit: func(subjectID, code string) (*naive.BrandVerificationSubmitted, error) {
		gotSubject, gotCode = subjectID, code
		if code != "493027" {
			return nil, (&naive.Error{Code: naive.EInvalidInput, Param: "code", Message: "The carrier refused the code."}).
				WithHint("Check the code in the text and submit it again; POST /v1/phone/brand-verification/resend texts a new one (once a minute).")
		}
		return &naive.BrandVerificationSubmitted{SubjectID: subjectID, BrandVerification: naive.BrandVerificationVerified}, nil
	}}
	cs := connect(t, svc)
	res := call(t, cs, "naive_brand_verification_submit", map[string]any{"code": "493027", "subject_id": "s1"})
	if res.IsError || gotSubject != "s1" || gotCode != "493027" {
		t.Fatalf("submit: error %v (%s), sent %q for %q", res.IsError, text(res), gotCode, gotSubject)
	}
	if out := structured(t, res); out["brand_verification"] != "verified" || !strings.Contains(out["next_step"].(string), "naive_phone_status") {
		t.Fatalf("answer %v", out)
	}
	res = call(t, cs, "naive_brand_verification_submit", map[string]any{"code": "111111"})
	if !res.IsError {
		t.Fatal("a wrong code is not an error result")
	}
	e := structured(t, res)["error"].(map[string]any)
	if e["code"] != "invalid_input" || e["param"] != "code" || !strings.Contains(e["hint"].(string), "naive_brand_verification_resend") ||
		strings.Contains(e["hint"].(string), "/v1/") {
		t.Fatalf("wrong code's error %v", e)
	}
}
