package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// gate is the approval seam of the guard: a kit that disables the action's
// primitive refuses it; when the subject's kit (or the built-in default:
// every subject but the operator's default one) requires approval and the
// caller is an agent, the request is frozen in a pending approval and the
// pending answer returned. Humans are never gated.
//
// The approval, its approval.requested event and the request's key (with
// the pending answer) are stored in one transaction, so a retry with the
// same key answers the same approval.
func (s *Service) gate(ctx context.Context, p naive.Principal, subj *naive.Subject, cfg naive.PrimitiveConfig, action string, payload any) (*naive.PendingApproval, error) {
	primitive := gatedActions[action]
	if primitive == "" {
		return nil, nil
	}
	required := !subj.IsDefault
	if cfg.RequiresApproval != nil {
		required = *cfg.RequiresApproval
	}
	if !required || p.Kind == naive.PrincipalHuman {
		return nil, nil
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &naive.Approval{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, SubjectID: subj.ID, Action: action,
		Primitive: primitive, Payload: raw, Cost: s.actionCost(action), Status: naive.ApprovalPending,
		RequestedBy: p.Actor(), RequesterAgentID: p.AgentID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ApprovalTTL)}
	a.Title, a.Message = approvalText(a, subj, payload)
	ev, err := s.event(p.Scope(), naive.EventApprovalRequested, presented(a))
	if err != nil {
		return nil, err
	}
	pending := &naive.PendingApproval{Status: "pending_approval", ApprovalID: a.ID, Action: action, Primitive: primitive,
		Title: a.Title, Message: a.Message}
	r := s.directRun(ctx, p, action)
	if err := s.store.CreateApproval(ctx, a, ev, r.once(a.ID, &naive.ProvisionResult{Pending: pending}, nil)); err != nil {
		return nil, phaseError(err)
	}
	r.stored()
	s.log.Info("approval requested", "approval_id", a.ID, "action", action, "subject_id", subj.ID)
	return pending, nil
}

// actionCost is what executing an action will charge.
func (s *Service) actionCost(action string) int64 {
	if action == ActionPhoneProvision {
		return s.cfg.PhonePrice
	}
	return 0
}

func approvalText(a *naive.Approval, subj *naive.Subject, payload any) (title, message string) {
	title = fmt.Sprintf("%s for %s", a.Action, subj.LegalName)
	if req, ok := payload.(naive.ProvisionRequest); ok {
		kind := "local"
		if req.Type == naive.PhoneTollFree {
			kind = "toll-free"
		}
		title = fmt.Sprintf("Provision a %s phone number for %s", kind, subj.LegalName)
		if req.AreaCode != "" {
			title = fmt.Sprintf("Provision a %s phone number (%s) for %s", kind, req.AreaCode, subj.LegalName)
		}
	}
	message = fmt.Sprintf("This needs a human's approval (it costs %d credits). Nothing was bought or charged. "+
		"A human approves with `naive approvals approve %s` or POST /v1/approvals/%s/approve; "+
		"poll GET /v1/approvals/%s (or `naive approvals watch %s`) for the result.", a.Cost, a.ID, a.ID, a.ID, a.ID)
	return title, message
}

// event builds an event whose data is v's JSON.
func (s *Service) event(sc naive.Scope, typ string, v any) (*naive.Event, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &naive.Event{ID: newID(), OperatorID: sc.OperatorID, Mode: sc.Mode, Type: typ, Data: data, CreatedAt: s.now()}, nil
}

// ListApprovals lists approvals in the caller's mode.
func (s *Service) ListApprovals(ctx context.Context, lp naive.ApprovalListParams) (*naive.List[naive.Approval], error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	switch lp.Status {
	case "", naive.ApprovalPending, naive.ApprovalExecuted, naive.ApprovalFailed, naive.ApprovalDenied, naive.ApprovalExpired:
	default:
		return nil, naive.InvalidParam("status", "status must be one of pending, executed, failed, denied, expired.")
	}
	if lp.SubjectID != "" && !validUUID(lp.SubjectID) {
		return nil, naive.InvalidParam("subject_id", "subject_id must be a UUID.")
	}
	pg, limit, err := pageOf(lp.ListParams)
	if err != nil {
		return nil, err
	}
	s.expireDue(ctx, false)
	rows, err := s.store.ListApprovals(ctx, p.Scope(), naive.ApprovalFilter{Status: lp.Status, SubjectID: lp.SubjectID, Page: pg})
	if err != nil {
		return nil, err
	}
	for i := range rows {
		present(&rows[i])
	}
	if err := s.withRequesters(ctx, p.Scope(), rows); err != nil {
		return nil, err
	}
	l := page(rows, limit, func(x naive.Approval) string { return x.ID })
	return &l, nil
}

// present shows an approval being executed as pending: to the outside the
// decision is made once it is executed or failed.
// It also masks the EIN of the frozen request, as every other answer does:
// the stored payload keeps it for the execution.
func present(a *naive.Approval) *naive.Approval {
	if a.Status == naive.ApprovalExecuting {
		a.Status = naive.ApprovalPending
	}
	var m map[string]any
	if json.Unmarshal(a.Payload, &m) == nil {
		if ein, ok := m["ein"].(string); ok && ein != "" {
			m["ein"] = maskEIN(ein)
			if b, err := json.Marshal(m); err == nil {
				a.Payload = b
			}
		}
	}
	return a
}

// presented is a masked copy of a, for events and answers.
func presented(a *naive.Approval) *naive.Approval {
	b := *a
	return present(&b)
}

// GetApproval returns an approval; a pending one past its expiry is
// expired first.
func (s *Service) GetApproval(ctx context.Context, id string) (*naive.Approval, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.loadApproval(ctx, p.Scope(), id)
	if err != nil {
		return nil, err
	}
	present(a)
	if err := s.withRequesters(ctx, p.Scope(), []naive.Approval{*a}, a); err != nil {
		return nil, err
	}
	return a, nil
}

// confirmRequester refuses to approve, without an explicit confirmation,
// a request whose key was revoked or whose agent was deleted after it
// asked: whoever revoked it may have meant to stop it.
func (s *Service) confirmRequester(ctx context.Context, sc naive.Scope, a *naive.Approval, req naive.ApproveRequest) error {
	if a.Status != naive.ApprovalPending || req.ConfirmRevokedRequester {
		return nil
	}
	if err := s.withRequesters(ctx, sc, []naive.Approval{*a}, a); err != nil {
		return err
	}
	if !a.Requester.Gone() {
		return nil
	}
	what := "the API key that asked for it was revoked"
	if a.Requester.AgentDeleted {
		what = "the agent that asked for it was deleted"
	}
	return naive.Errorf(naive.EConflict, "Approval %s is pending, but %s since; nothing was done.", a.ID, what).
		WithHint("Approve again with {\"confirm_revoked_requester\": true} to run it anyway (as that agent), or deny it.").
		With("requester_key_revoked", a.Requester.KeyRevoked).With("requester_agent_deleted", a.Requester.AgentDeleted)
}

// withRequesters sets, on pending approvals agents asked for, whether the
// requesting key was revoked or its agent deleted since (one read for
// them all). into, when given, receives the states instead of as (the
// same approvals, in order).
func (s *Service) withRequesters(ctx context.Context, sc naive.Scope, as []naive.Approval, into ...*naive.Approval) error {
	var pending []naive.Approval
	for _, a := range as {
		if a.Status == naive.ApprovalPending {
			pending = append(pending, a)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	states, err := s.store.RequesterStates(ctx, sc, pending)
	if err != nil {
		return err
	}
	for i := range as {
		dst := &as[i]
		if i < len(into) {
			dst = into[i]
		}
		if st, ok := states[as[i].ID]; ok {
			dst.Requester = &st
		}
	}
	return nil
}

func (s *Service) loadApproval(ctx context.Context, sc naive.Scope, id string) (*naive.Approval, error) {
	if !validUUID(id) {
		return nil, naive.NotFound("approval", id)
	}
	a, err := s.store.GetApproval(ctx, sc, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("approval", id)
	}
	if err != nil {
		return nil, err
	}
	if a.Status == naive.ApprovalPending && !s.now().Before(a.ExpiresAt) {
		if err := s.expire(ctx, a); err != nil {
			return nil, err
		}
		return s.store.GetApproval(ctx, sc, id)
	}
	return a, nil
}

// expire marks one due approval expired, with its event.
func (s *Service) expire(ctx context.Context, a *naive.Approval) error {
	now := s.now()
	b := *a
	b.Status, b.ResolvedAt = naive.ApprovalExpired, &now
	ev, err := s.event(naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}, naive.EventApprovalResolved, presented(&b))
	if err != nil {
		return err
	}
	ok, err := s.store.ExpireApproval(ctx, a.ID, now, ev)
	if ok {
		s.log.Info("approval expired", "approval_id", a.ID)
	}
	return err
}

// expireDue expires approvals past their time (all tenants) and, when
// resume is set, resumes those whose approver's process died
// mid-execution. The background sweep runs it with resume; lists run it
// without, so they never show a stale pending approval yet never call a
// carrier.
func (s *Service) expireDue(ctx context.Context, resume bool) {
	now := s.now()
	due, err := s.store.ListExpiredApprovals(ctx, now, s.liveAfter(), 200)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list expired approvals", "err", err)
		}
		return
	}
	for i := range due {
		a := &due[i]
		switch a.Status {
		case naive.ApprovalPending:
			if err := s.expire(ctx, a); err != nil {
				s.log.Error("expire approval", "approval_id", a.ID, "err", err)
			}
		case naive.ApprovalExecuting:
			if !resume {
				continue
			}
			// Its approver's process died mid-execution: resume it.
			if _, err := s.resumeApproval(ctx, a); err != nil && !errors.Is(err, store.ErrConflict) {
				s.log.Warn("resume approval", "approval_id", a.ID, "err", err)
			}
		}
	}
}

// SweepApprovals runs the expiry sweep once (a periodic job calls it). Each
// approval has its own expiry job; the sweep is the backstop, and it
// resumes executions whose approver's process died.
func (s *Service) SweepApprovals(ctx context.Context) { s.expireDue(ctx, true) }

// ExpireApproval expires approval id of scope sc if it is pending and due;
// its expiry job, enqueued with the approval, calls it at expires_at. It
// returns when to come back if the approval is pending but not due yet
// (processes' clocks differ), else the zero time: expired now, or decided
// before, nothing is left to do.
//
// Errors: not_found (the approval is gone: nothing will ever be due).
func (s *Service) ExpireApproval(ctx context.Context, sc naive.Scope, id string) (time.Time, error) {
	a, err := s.store.GetApproval(ctx, sc, id)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, naive.NotFound("approval", id)
	}
	if err != nil {
		return time.Time{}, err
	}
	if a.Status != naive.ApprovalPending {
		return time.Time{}, nil
	}
	if s.now().Before(a.ExpiresAt) {
		return a.ExpiresAt, nil
	}
	return time.Time{}, s.expire(ctx, a)
}

// ApproveApproval executes an approval's frozen request once, as the agent
// that asked, through the same run as a direct call, and answers the
// approval with its result or error. The claim is the execution's first
// phase; the request's own phases follow, each recording its progress on
// the approval, and the last stores the outcome with approval.resolved. An
// execution whose process died is resumed (by the sweep, or by its
// approver approving again) from where it stood.
//
// Errors: forbidden (agent, or the requester), not_found, conflict (not
// pending: resolved, expired or being executed).
func (s *Service) ApproveApproval(ctx context.Context, id string, req naive.ApproveRequest) (*naive.Approval, error) {
	p, err := s.decider(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.loadApproval(ctx, p.Scope(), id)
	if err != nil {
		return nil, err
	}
	if err := notRequester(p, a); err != nil {
		return nil, err
	}
	if err := s.confirmRequester(ctx, p.Scope(), a, req); err != nil {
		return nil, err
	}
	// The approver retrying (after a crash, with the same Idempotency-Key)
	// gets the execution's outcome, resuming it if its process died.
	if idem := naive.IdempotencyFrom(ctx); idem != nil && idem.Resume && a.ResolvedBy != nil && *a.ResolvedBy == p.Actor() {
		switch a.Status {
		case naive.ApprovalExecuted, naive.ApprovalFailed:
			return presented(a), nil
		case naive.ApprovalExecuting:
			return s.resumeApproval(ctx, a)
		}
	}
	claimed, err := s.store.ClaimApproval(context.WithoutCancel(ctx), p.Scope(), id, p.Actor(), s.now(), s.cfg.ProcessID)
	if errors.Is(err, store.ErrConflict) {
		return nil, s.notPending(ctx, p.Scope(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("approval", id)
	}
	if err != nil {
		// The claim may have committed unheard: let it go, so the sweep
		// (or approving again) takes it over (the store checks the owner).
		_ = s.store.SaveProgress(context.WithoutCancel(ctx), store.Progress{Approval: &store.ApprovalStep{ID: id,
			Owner: s.cfg.ProcessID, Release: true}})
		return nil, err
	}
	// From here the approval is ours alone; it must end executed or failed
	// whatever happens to this request.
	return s.executeApproval(context.WithoutCancel(ctx), claimed)
}

// withApprovalHint tells the approver of a refused approval what to do:
// grant credits, then approve again — it is still pending.
func withApprovalHint(err error, id string) error {
	e := naive.AsError(err)
	out := *e
	out.Message = e.Message + " The approval is still pending; nothing was bought or charged."
	out.Hint = fmt.Sprintf("Grant credits (POST /v1/credits/grant), then approve again (POST /v1/approvals/%s/approve).", id)
	return &out
}

// resumeApproval takes over an execution whose process died and resumes it.
func (s *Service) resumeApproval(ctx context.Context, a *naive.Approval) (*naive.Approval, error) {
	sc := naive.Scope{OperatorID: a.OperatorID, Mode: a.Mode}
	taken, err := s.store.TakeOverApproval(ctx, sc, a.ID, s.cfg.ProcessID, s.liveAfter())
	if errors.Is(err, store.ErrConflict) {
		return nil, s.notPending(ctx, sc, a.ID)
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("resuming an approval whose process died", "approval_id", a.ID, "resource_id", taken.ResourceID)
	return s.executeApproval(context.WithoutCancel(ctx), taken)
}

// executeApproval runs (or resumes) the request of an approval this process
// holds and answers the approval as it ended. An outcome that could not be
// stored leaves the approval executing, unlocked, for the sweep.
func (s *Service) executeApproval(ctx context.Context, a *naive.Approval) (*naive.Approval, error) {
	r := s.approvalRun(a)
	var err error
	switch a.Action {
	case ActionPhoneProvision:
		err = s.executeProvision(ctx, r)
	default:
		err = s.endBeforeReserve(ctx, r, naive.Errorf(naive.EInternal, "no executor for %s", a.Action))
	}
	r.release(ctx) // a no-op once the outcome is stored
	if r.reopened {
		// Refused before anything was spent, for a short balance: the
		// approval is pending again and the approver hears why.
		s.log.Info("approval left pending: balance short", "approval_id", a.ID)
		return nil, withApprovalHint(err, a.ID)
	}
	if r.released {
		// The outcome is not stored: the approval stays executing and the
		// sweep finishes it.
		return nil, (&naive.Error{Code: naive.EProviderError, Err: err,
			Message: "The approved request could not be finished now; it will be, in the background, exactly once."}).
			WithHint("Poll GET /v1/approvals/%s for its result; do not approve again.", a.ID).With("retryable", false)
	}
	b, err := s.store.GetApproval(ctx, r.p.Scope(), a.ID)
	if err != nil {
		return nil, err
	}
	s.log.Info("approval resolved", "approval_id", a.ID, "status", b.Status)
	return presented(b), nil
}

// executeProvision runs an approved provision: the subject and kit as they
// are now, the frozen request, the precheck again (things change while an
// approval waits), then the provision's phases — or resumes them.
func (s *Service) executeProvision(ctx context.Context, r *run) error {
	subj, err := s.store.GetSubject(ctx, r.p.Scope(), r.appr.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		return s.endBeforeReserve(ctx, r, naive.NotFound("subject", r.appr.SubjectID))
	}
	if err != nil {
		return err
	}
	req, err := decodeProvision(r.appr.Payload)
	if err != nil {
		return s.endBeforeReserve(ctx, r, err)
	}
	if r.resumed {
		_, err := s.resumeProvision(ctx, r, subj, req, true)
		return err
	}
	cfg, err := s.primitiveConfig(ctx, r.p.Scope(), subj, r.appr.Primitive)
	if err == nil {
		err = checkEnabled(cfg, r.appr.Primitive)
	}
	if err != nil {
		return s.endBeforeReserve(ctx, r, err)
	}
	pre, err := s.provisionPrecheck(ctx, r.p, subj, req)
	if err != nil {
		return s.endBeforeReserve(ctx, r, err)
	}
	_, err = s.provision(ctx, r, subj, req, pre)
	return err
}

// DenyApproval refuses an approval with a reason; nothing is executed.
//
// Errors: forbidden, not_found, conflict, invalid_input.
func (s *Service) DenyApproval(ctx context.Context, id string, req naive.DenyRequest) (*naive.Approval, error) {
	p, err := s.decider(ctx)
	if err != nil {
		return nil, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" || len(req.Reason) > 1000 {
		return nil, naive.InvalidParam("reason", "reason is required, at most 1000 characters; it is shown to the agent.")
	}
	a, err := s.loadApproval(ctx, p.Scope(), id)
	if err != nil {
		return nil, err
	}
	if err := notRequester(p, a); err != nil {
		return nil, err
	}
	now := s.now()
	actor := p.Actor()
	a.Status, a.ResolvedBy, a.ResolvedAt, a.Reason = naive.ApprovalDenied, &actor, &now, req.Reason
	ev, err := s.event(p.Scope(), naive.EventApprovalResolved, presented(a))
	if err != nil {
		return nil, err
	}
	err = s.store.DenyApproval(ctx, p.Scope(), a, ev)
	if errors.Is(err, store.ErrConflict) {
		return nil, s.notPending(ctx, p.Scope(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("approval", id)
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("approval denied", "approval_id", a.ID)
	return presented(a), nil
}

// decider is the caller of approve/deny: a human only.
func (s *Service) decider(ctx context.Context) (naive.Principal, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return p, err
	}
	if p.Kind != naive.PrincipalHuman {
		return p, (&naive.Error{Code: naive.EForbidden, Message: "Only a human can approve or deny; agents cannot decide their own requests."}).
			WithHint("Ask a human of this operator to approve it: POST /v1/approvals/{id}/approve, or in the console. Poll GET /v1/approvals/{id} meanwhile.")
	}
	if err := s.requireRole(ctx, "approving or denying approvals", naive.RoleOwner, naive.RoleApprover); err != nil {
		return p, err
	}
	return p, nil
}

func notRequester(p naive.Principal, a *naive.Approval) error {
	if a.RequestedBy == p.Actor() {
		return (&naive.Error{Code: naive.EForbidden, Message: "The requester of an approval cannot decide it."}).
			WithHint("Another human of this operator must approve or deny it.")
	}
	return nil
}

// notPending explains why an approval cannot be decided.
func (s *Service) notPending(ctx context.Context, sc naive.Scope, id string) error {
	a, err := s.store.GetApproval(ctx, sc, id)
	if err != nil {
		return err
	}
	status := a.Status
	msg := fmt.Sprintf("The approval is %s; only a pending approval can be decided.", status)
	if status == naive.ApprovalExecuting {
		// Transient: it ends executed or failed in moments.
		return (&naive.Error{Code: naive.EConflict, Message: "The approval is being executed."}).
			WithHint("Poll GET /v1/approvals/%s for its result; do not approve it again.", id).
			With("approval_status", naive.ApprovalPending).With("retryable", true)
	}
	if status == naive.ApprovalPending {
		status, msg = naive.ApprovalExpired, "The approval has expired."
	}
	return (&naive.Error{Code: naive.EConflict, Message: msg}).
		WithHint("Read it with GET /v1/approvals/%s; an expired or denied request must be sent again by the agent.", id).
		With("approval_status", status)
}

// ListEvents lists stored events, newest first.
func (s *Service) ListEvents(ctx context.Context, typ string, lp naive.ListParams) (*naive.List[naive.Event], error) {
	p, err := s.operatorWide(ctx, "reading the operator's events")
	if err != nil {
		return nil, err
	}
	if len(typ) > 64 {
		return nil, naive.InvalidParam("type", "type is an event type such as approval.requested.")
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListEvents(ctx, p.Scope(), naive.EventFilter{Type: typ, Page: pg})
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, func(x naive.Event) string { return x.ID })
	return &l, nil
}
