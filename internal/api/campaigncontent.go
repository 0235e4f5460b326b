package api

import (
	"net/http"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
)

func (s *Server) getCampaignContent(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetCampaignContent(r.Context(), subjectID(r))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) updateCampaignContent(w http.ResponseWriter, r *http.Request) error {
	var in naive.CampaignContentPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.UpdateCampaignContent(r.Context(), subjectID(r), in)
	return ok(w, http.StatusOK, res, err)
}

// overrideChecks reads preflight's ?override_checks=a,b.
func overrideChecks(v string) []string {
	var out []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}
