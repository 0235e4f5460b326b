package api

import (
	"net/http"

	"github.com/naive-oss/naive/internal/naive"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListUsers(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) error {
	var in naive.InviteRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.InviteUser(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in naive.UserPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.UpdateUser(r.Context(), r.PathValue("id"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteUser(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "deleted": true})
}

func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	var in naive.AcceptInviteRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.AcceptInvite(naive.WithClient(r.Context(), naive.ClientOf(r, s.cfg.TrustForwardedFor)), in)
	return ok(w, http.StatusOK, res, err)
}
