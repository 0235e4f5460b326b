package api

import (
	"net/http"

	"github.com/naive-oss/naive/internal/naive"
)

func (s *Server) resubmitCampaign(w http.ResponseWriter, r *http.Request) error {
	var in naive.CampaignResubmission
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.ResubmitCampaign(r.Context(), subjectID(r), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) resendBrandVerification(w http.ResponseWriter, r *http.Request) error {
	var in struct{}
	if err := decode(r, &in); err != nil { // no parameters: {} or no body
		return err
	}
	res, err := s.svc.ResendBrandVerification(r.Context(), subjectID(r))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) submitBrandVerification(w http.ResponseWriter, r *http.Request) error {
	var in naive.BrandVerificationCode
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.SubmitBrandVerification(r.Context(), subjectID(r), in.Code)
	return ok(w, http.StatusOK, res, err)
}
