package surge_test

import (
	"testing"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/surge"
	"github.com/naive-oss/naive/internal/surge/surgesim"
)

// soleProfile is a complete profile of one person trading without an EIN.
var soleProfile = naive.SubjectProfile{LegalName: "Ada Lovelace", Website: "https://ada.example", Industry: "technology",
	PrivacyPolicyURL: "https://ada.example/privacy", TermsURL: "https://ada.example/terms",
	Address: naive.Address{Line1: "1 Main St", City: "San Francisco", Region: "CA", PostalCode: "94105", Country: "US"},
	Contact: naive.Contact{FirstName: "Ada", LastName: "Lovelace", Email: "ada@ada.example", Phone: "+14155550142", Title: "ceo"}}

// TestCarrierSoleProprietor: a sole proprietor's account is created with
// organization type sole_proprietor and no identifier; it reads as awaiting
// verification (not a problem, not ready) and its campaign is refused until
// the owner's YES reaches the verification number; resends are counted,
// and refused once verified or for a company.
func TestCarrierSoleProprietor(t *testing.T) {
	t.Parallel()
	b := setup(t, surgesim.Config{}, surge.Options{MaxRetries: -1})
	ctx := t.Context()
	cr := surge.NewCarrier(b.client, "")

	id, err := cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: soleProfile, Tier: naive.TierSoleProprietor})
	if err != nil {
		t.Fatal(err)
	}
	acct := must(b.client.GetAccount(ctx, id))
	if o := acct.Organization; o.Type == nil || *o.Type != "sole_proprietor" || o.Identifier != nil || o.MobileNumber == nil || *o.MobileNumber != "+14155550142" {
		t.Fatalf("organization %+v", o)
	}
	st := must(cr.BrandStatus(ctx, id))
	if st.Ready || st.Verification != naive.BrandVerificationPendingOTP || len(st.Problems) != 0 || len(st.FieldsNeeded) != 0 {
		t.Fatalf("status before the reply: %+v", st)
	}
	if state, sends := b.sim.BrandVerification(id); state != "pending" || sends != 1 {
		t.Fatalf("verification %q after %d texts, want pending after 1", state, sends)
	}
	if _, err := cr.CreateCampaign(ctx, id, carrier.CampaignRequest{}); err == nil {
		t.Fatal("campaign registered before verification")
	}
	if err := cr.ResendBrandVerification(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, sends := b.sim.BrandVerification(id); sends != 2 {
		t.Fatalf("%d verification texts after a resend, want 2", sends)
	}
	// A reply that is not YES changes nothing; a stranger's is not a reply.
	if _, err := b.sim.Inbound(surgesim.VerificationNumber, "+14155550142", "what is this"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.sim.Inbound(surgesim.VerificationNumber, "+14155550199", "YES"); err == nil {
		t.Fatal("a stranger's reply was taken")
	}
	if must(cr.BrandStatus(ctx, id)).Ready {
		t.Fatal("verified without YES")
	}
	if _, err := b.sim.Inbound(surgesim.VerificationNumber, "+14155550142", " yes "); err != nil {
		t.Fatal(err)
	}
	if st := must(cr.BrandStatus(ctx, id)); !st.Ready || st.Verification != "" {
		t.Fatalf("status after YES: %+v", st)
	}
	// Surge verifies by the reply: there is never a code to submit.
	if m := cr.BrandVerificationMethod(); m != naive.BrandVerifyReply {
		t.Fatalf("verification method %q, want reply", m)
	}
	if err := cr.SubmitBrandVerification(ctx, id, "123456"); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("submit a code to Surge: %v, want invalid", err)
	}
	if err := cr.ResendBrandVerification(ctx, id); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("resend after verification: %v, want invalid", err)
	}
	company := readyAccount(t, b)
	if err := cr.ResendBrandVerification(ctx, company.ID); !carrier.Is(err, carrier.Invalid) {
		t.Fatalf("resend for a company: %v, want invalid", err)
	}
	// A sole proprietor's mobile must be North American.
	uk := soleProfile
	uk.Contact.Phone = "+442071838750"
	id2, err := cr.CreateBrand(ctx, carrier.BrandRegistration{Profile: uk, Tier: naive.TierSoleProprietor})
	if err != nil {
		t.Fatal(err)
	}
	if st := must(cr.BrandStatus(ctx, id2)); st.Ready || len(st.Problems) == 0 || st.Problems[0].Field != "contact.phone" {
		t.Fatalf("status of a UK mobile: %+v", st)
	}
}
