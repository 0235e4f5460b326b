package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/naive-oss/naive/internal/naive"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable"})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// subjectID is the subject a request names: the path's, else the
// Naive-Subject header, else "" (the default subject).
func subjectID(r *http.Request) string {
	if id := r.PathValue("sid"); id != "" {
		return id
	}
	return r.Header.Get("Naive-Subject")
}

// listParams reads ?limit= and ?cursor=.
func listParams(r *http.Request) (naive.ListParams, error) {
	lp := naive.ListParams{Cursor: r.URL.Query().Get("cursor")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lp, naive.InvalidParam("limit", "limit must be an integer between 1 and 200.")
		}
		if n < 1 || n > 200 {
			return lp, naive.InvalidParam("limit", "limit must be between 1 and 200.")
		}
		lp.Limit = n
	}
	return lp, nil
}

// ok writes v as 200, or the error.
func ok(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(w, status, v)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in naive.LoginRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.Login(naive.WithClient(r.Context(), naive.ClientOf(r, s.cfg.TrustForwardedFor)), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in naive.PasswordRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.ChangePassword(r.Context(), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.ListSessions(r.Context())
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) endSessions(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.EndSessions(r.Context())
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Logout(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.Whoami(r.Context())
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListKeys(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var in naive.KeyRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.CreateKey(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.RevokeKey(r.Context(), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listSubjects(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListSubjects(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) createSubject(w http.ResponseWriter, r *http.Request) error {
	var in naive.SubjectProfile
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.CreateSubject(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) getSubject(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetSubject(r.Context(), r.PathValue("sid"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) updateSubject(w http.ResponseWriter, r *http.Request) error {
	var in naive.SubjectPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.UpdateSubject(r.Context(), r.PathValue("sid"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) deleteSubject(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteSubject(r.Context(), r.PathValue("sid")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("sid"), "deleted": true})
}

func (s *Server) getFormation(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetFormation(r.Context(), subjectID(r))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) startFormation(w http.ResponseWriter, r *http.Request) error {
	var in naive.FormationRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.StartFormation(r.Context(), subjectID(r), in)
	return ok(w, http.StatusAccepted, res, err)
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListAgents(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request) error {
	var in naive.AgentRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.CreateAgent(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetAgent(r.Context(), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request) error {
	var in naive.AgentPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.UpdateAgent(r.Context(), r.PathValue("id"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) deleteAgent(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteAgent(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "deleted": true})
}

func (s *Server) credits(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.Credits(r.Context())
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) ledger(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.Ledger(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) grant(w http.ResponseWriter, r *http.Request) error {
	var in naive.GrantRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.GrantCredits(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) provision(w http.ResponseWriter, r *http.Request) error {
	var in naive.ProvisionRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.ProvisionPhone(r.Context(), subjectID(r), in)
	return ok(w, http.StatusAccepted, res, err)
}

func (s *Server) listPhones(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	all, sid, err := phoneListSubject(r)
	if err != nil {
		return err
	}
	if all {
		res, err := s.svc.ListAllPhones(r.Context(), r.URL.Query().Get("agent"), lp)
		return ok(w, http.StatusOK, res, err)
	}
	res, err := s.svc.ListPhones(r.Context(), sid, r.URL.Query().Get("agent"), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) phoneStatus(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.PhoneStatus(r.Context(), subjectID(r))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) getPhone(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetPhone(r.Context(), subjectID(r), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) updatePhone(w http.ResponseWriter, r *http.Request) error {
	var in naive.PhonePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.UpdatePhone(r.Context(), subjectID(r), r.PathValue("id"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) releasePhone(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.ReleasePhone(r.Context(), subjectID(r), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listKits(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListKits(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) createKit(w http.ResponseWriter, r *http.Request) error {
	var in naive.KitRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.CreateKit(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) getKit(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetKit(r.Context(), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) updateKit(w http.ResponseWriter, r *http.Request) error {
	var in naive.KitRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.UpdateKit(r.Context(), r.PathValue("id"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) deleteKit(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteKit(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "deleted": true})
}

func (s *Server) assignKit(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.AssignKit(r.Context(), r.PathValue("id"), r.PathValue("sid"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	res, err := s.svc.ListApprovals(r.Context(), naive.ApprovalListParams{Status: q.Get("status"), SubjectID: q.Get("subject_id"), ListParams: lp})
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetApproval(r.Context(), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error {
	var in naive.ApproveRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.ApproveApproval(r.Context(), r.PathValue("id"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request) error {
	var in naive.DenyRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.DenyApproval(r.Context(), r.PathValue("id"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListEvents(r.Context(), r.URL.Query().Get("type"), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) surgeWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	if err := s.carrier.HandleCarrierWebhookFrom(r.Context(), naive.CarrierSurge, r.Header, body); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"received": true})
}

// telnyxWebhook receives Telnyx's webhooks (Ed25519-signed).
func (s *Server) telnyxWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	if err := s.carrier.HandleCarrierWebhookFrom(r.Context(), naive.CarrierTelnyx, r.Header, body); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"received": true})
}

func (s *Server) phoneCampaign(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.PhoneCampaign(r.Context(), subjectID(r), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) preflight(w http.ResponseWriter, r *http.Request) error {
	var req naive.ProvisionRequest
	q := r.URL.Query()
	req.EIN, req.AreaCode, req.Type, req.Tier = q.Get("ein"), q.Get("area_code"), q.Get("type"), q.Get("tier")
	req.OverrideChecks = overrideChecks(q.Get("override_checks"))
	res, err := s.svc.Preflight(r.Context(), subjectID(r), req)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) sendSMS(w http.ResponseWriter, r *http.Request) error {
	var in naive.SendRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.SendSMS(r.Context(), subjectID(r), r.PathValue("id"), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListMessages(r.Context(), subjectID(r), r.PathValue("id"), lp)
	return ok(w, http.StatusOK, res, err)
}

// phoneSub serves GET /phone/{id}/campaign, /phone/{id}/messages,
// /phone/{id}/assignments, /phone/{id}/contacts and /phone/messages/{id}.
func (s *Server) phoneSub(w http.ResponseWriter, r *http.Request) error {
	id, sub := r.PathValue("id"), r.PathValue("sub")
	if id == "messages" {
		res, err := s.svc.GetMessage(r.Context(), subjectID(r), sub)
		return ok(w, http.StatusOK, res, err)
	}
	switch sub {
	case "campaign":
		return s.phoneCampaign(w, r)
	case "messages":
		return s.listMessages(w, r)
	case "assignments":
		return s.assignments(w, r)
	case "contacts":
		return s.listContacts(w, r)
	}
	return (&naive.Error{Code: naive.ENotFound, Message: "No route GET " + r.URL.Path + "."}).
		WithHint("Phone sub-resources are campaign, messages, assignments and contacts.")
}

func (s *Server) cancelMessage(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.CancelMessage(r.Context(), subjectID(r), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListContacts(r.Context(), subjectID(r), r.PathValue("id"), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) recordConsent(w http.ResponseWriter, r *http.Request) error {
	var in naive.ConsentRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.RecordConsent(r.Context(), subjectID(r), r.PathValue("id"), r.PathValue("e164"), in)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request) error {
	var in naive.AssignRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.AssignAgent(r.Context(), subjectID(r), r.PathValue("id"), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) assignments(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.ListAssignments(r.Context(), subjectID(r), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) unassign(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.UnassignAgent(r.Context(), subjectID(r), r.PathValue("id"), r.PathValue("agent")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"phone_id": r.PathValue("id"), "agent_id": r.PathValue("agent"), "deleted": true})
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListWebhooks(r.Context(), lp)
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in naive.WebhookRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.svc.CreateWebhook(r.Context(), in)
	return ok(w, http.StatusCreated, res, err)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "deleted": true})
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.TestWebhook(r.Context(), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.GetWebhook(r.Context(), r.PathValue("id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) resendDelivery(w http.ResponseWriter, r *http.Request) error {
	res, err := s.svc.ResendDelivery(r.Context(), r.PathValue("id"), r.PathValue("delivery_id"))
	return ok(w, http.StatusOK, res, err)
}

func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) error {
	lp, err := listParams(r)
	if err != nil {
		return err
	}
	res, err := s.svc.ListDeliveries(r.Context(), r.PathValue("id"), lp)
	return ok(w, http.StatusOK, res, err)
}

// sandboxSMS makes the sandbox carrier deliver an inbound text, as if a
// phone had texted one of the operator's test numbers.
func (s *Server) sandboxSMS(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		To   string `json:"to"`
		From string `json:"from"`
		Body string `json:"body"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, _ := naive.PrincipalFrom(r.Context())
	if p.Mode != naive.ModeTest {
		return (&naive.Error{Code: naive.EForbidden, Message: "The sandbox carrier serves test mode only."}).
			WithHint("Use a test key (nv_sk_test_…) or Naive-Mode: test.")
	}
	if s.cfg.SandboxInbound == nil {
		return naive.Errorf(naive.ENotConfigured, "This server has no sandbox carrier.")
	}
	carrierName := naive.CarrierSurge
	if in.To != "" && in.To == s.cfg.SandboxVerificationNumber {
		// The owner's reply to a sole proprietor's verification text.
		if err := s.phones.AwaitingVerification(r.Context(), in.From); err != nil {
			return err
		}
	} else if ph, err := s.phones.GetPhoneByNumber(r.Context(), in.To); err != nil {
		return err
	} else if ph.Carrier != "" {
		carrierName = ph.Carrier // the simulator of the number's carrier
	}
	if in.From == "" {
		in.From = "+14155550199"
	}
	if in.Body == "" {
		return naive.InvalidParam("body", "body is required.")
	}
	if err := s.cfg.SandboxInbound(carrierName, in.To, in.From, in.Body); err != nil {
		return naive.Errorf(naive.EInvalidInput, "The sandbox refused the text: %v", err)
	}
	return writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent", "to": in.To, "from": in.From})
}
