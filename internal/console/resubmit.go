package console

import (
	"net/http"

	"github.com/naive-oss/naive/internal/naive"
)

// subjectsResubmit sends the subject's rejected campaign back to review,
// with the description typed on the page when there is one.
func (c *Console) subjectsResubmit(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f, err := fields(r, "description")
	if err == nil {
		if _, err = c.svc.ResubmitCampaign(s.ctx, id, naive.CampaignResubmission{Description: f["description"]}); err == nil {
			return c.done(w, r, Path+"/subjects/"+id, "Campaign resubmitted: the carrier is reviewing it again. Reload to follow it.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.subjectsShowPage(w, r, s, statusOf(fe), func(v *subjectsShowView) {
		v.ResubmitErr = fe
		if f != nil {
			v.ResubmitDescription = f["description"]
		}
	})
}

// subjectsResendVerification asks the carrier to text a sole proprietor's
// owner the verification message again.
func (c *Console) subjectsResendVerification(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	res, err := c.svc.ResendBrandVerification(s.ctx, id)
	if err == nil {
		next := " again. Once the owner replies YES, the campaign is registered."
		if res.VerificationMethod == naive.BrandVerifyCode {
			next = " again, with a new code. Enter it on this page; once the carrier accepts it, the campaign is registered."
		}
		return c.done(w, r, Path+"/subjects/"+id, "The carrier is texting the verification message to "+res.SentTo+next)
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.subjectsShowPage(w, r, s, statusOf(fe), func(v *subjectsShowView) { v.ResendErr = fe })
}

// subjectsSubmitVerification submits the one-time code the carrier texted
// a sole proprietor's owner (a carrier that verifies by code).
func (c *Console) subjectsSubmitVerification(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	f, err := fields(r, "code")
	if err == nil {
		if _, err = c.svc.SubmitBrandVerification(s.ctx, id, f["code"]); err == nil {
			return c.done(w, r, Path+"/subjects/"+id, "The carrier accepted the code: the brand is verified. The campaign is registered within moments, then reviewed; reload to follow it.")
		}
	}
	fe, err := inPlace(err)
	if err != nil {
		return err
	}
	return c.subjectsShowPage(w, r, s, statusOf(fe), func(v *subjectsShowView) { v.CodeErr = fe })
}
