package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// CreateSubject stores a new subject (a company the agents act for) with
// its formation not started.
//
// Errors: invalid_input.
func (s *Service) CreateSubject(ctx context.Context, prof naive.SubjectProfile) (*naive.Subject, error) {
	if err := s.owner(ctx, "creating subjects"); err != nil {
		return nil, err
	}
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := ValidateProfile(&prof); err != nil {
		return nil, err
	}
	now := s.now()
	subj := &naive.Subject{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, SubjectProfile: prof,
		Formation: naive.Formation{Status: naive.FormationNotStarted}, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateSubject(ctx, subj); err != nil {
		return nil, err
	}
	return subj, nil
}

// GetSubject returns a subject ("" for the default one).
func (s *Service) GetSubject(ctx context.Context, id string) (*naive.Subject, error) {
	_, subj, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	subj.Formation = subj.Formation.Effective(s.now())
	return subj, nil
}

// ListSubjects lists the operator's subjects in the caller's mode.
func (s *Service) ListSubjects(ctx context.Context, lp naive.ListParams) (*naive.List[naive.Subject], error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListSubjects(ctx, p.Scope(), pg)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].Formation = rows[i].Formation.Effective(s.now())
	}
	l := page(rows, limit, func(x naive.Subject) string { return x.ID })
	return &l, nil
}

// UpdateSubject applies a patch to a subject's profile. The legal name and
// state are fixed once the formation is submitted: they are what was filed.
//
// Errors: invalid_input, not_found, conflict.
func (s *Service) UpdateSubject(ctx context.Context, id string, patch naive.SubjectPatch) (*naive.Subject, error) {
	if err := s.owner(ctx, "editing subjects"); err != nil {
		return nil, err
	}
	_, subj, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	prof := subj.SubjectProfile
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	filed := subj.Formation.Status != naive.FormationNotStarted && subj.Formation.Status != naive.FormationFailed
	if filed && ((patch.LegalName != nil && *patch.LegalName != prof.LegalName) || (patch.State != nil && !strings.EqualFold(*patch.State, prof.State))) {
		return nil, (&naive.Error{Code: naive.EConflict, Param: "legal_name", Message: "legal_name and state cannot change after the formation was submitted."}).
			WithHint("Create a new subject for a different legal entity.")
	}
	set(&prof.LegalName, patch.LegalName)
	set(&prof.State, patch.State)
	set(&prof.Website, patch.Website)
	set(&prof.Industry, patch.Industry)
	set(&prof.PrivacyPolicyURL, patch.PrivacyPolicyURL)
	set(&prof.TermsURL, patch.TermsURL)
	if patch.Address != nil {
		prof.Address = *patch.Address
	}
	if patch.Contact != nil {
		prof.Contact = *patch.Contact
	}
	if err := ValidateProfile(&prof); err != nil {
		return nil, err
	}
	subj.SubjectProfile = prof
	subj.UpdatedAt = s.now()
	if err := s.store.UpdateSubject(ctx, subj); err != nil {
		return nil, err
	}
	subj.Formation = subj.Formation.Effective(s.now())
	return subj, nil
}

// DeleteSubject soft-deletes a subject: gets, lists and every call naming
// it then answer not found. The default subject cannot be deleted, nor a
// subject whose numbers are not all released.
//
// Errors: not_found, conflict.
func (s *Service) DeleteSubject(ctx context.Context, id string) error {
	if err := s.owner(ctx, "deleting subjects"); err != nil {
		return err
	}
	p, err := s.principal(ctx)
	if err != nil {
		return err
	}
	if !validUUID(id) {
		return naive.NotFound("subject", id)
	}
	subj, err := s.subject(ctx, p, id)
	if err != nil {
		return err
	}
	if subj.IsDefault {
		return (&naive.Error{Code: naive.EConflict, Message: "The default subject cannot be deleted."}).
			WithHint("Calls that name no subject act on it; delete other subjects instead.")
	}
	err = s.store.DeleteSubject(ctx, p.Scope(), id, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return naive.NotFound("subject", id)
	case errors.Is(err, store.ErrConflict):
		return (&naive.Error{Code: naive.EConflict, Message: "The subject has active or provisioning numbers."}).
			WithHint("Release them first: GET /v1/subjects/%s/phone, then DELETE /v1/subjects/%s/phone/{id} for each.", id, id)
	}
	return err
}

// GetFormation returns a subject's formation.
func (s *Service) GetFormation(ctx context.Context, subjectID string) (*naive.Formation, error) {
	subj, err := s.GetSubject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	return &subj.Formation, nil
}

// StartFormation files the subject's LLC formation. In test mode the filing
// is simulated and completes within seconds. In live mode no filing partner
// is wired, so it records an existing LLC a human attests to.
//
// Errors: invalid_input, conflict (already submitted or completed),
// forbidden (agent attesting), not_configured (live filing).
func (s *Service) StartFormation(ctx context.Context, subjectID string, req naive.FormationRequest) (*naive.Formation, error) {
	if err := s.owner(ctx, "starting or recording a formation"); err != nil {
		return nil, err
	}
	p, subj, err := s.read(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(req.EntityType, "LLC") {
		return nil, naive.InvalidParam("entity_type", "entity_type must be \"LLC\".")
	}
	req.State = strings.ToUpper(req.State)
	if !usStates[req.State] {
		return nil, naive.InvalidParam("state", "state must be a two-letter US state code such as DE; got %q.", req.State)
	}
	now := s.now()
	cur := subj.Formation.Effective(now)
	switch cur.Status {
	case naive.FormationCompleted:
		return nil, naive.Errorf(naive.EConflict, "The formation is already completed.").WithHint("Nothing to do: the subject can provision numbers.")
	case naive.FormationSubmitted:
		return nil, naive.Errorf(naive.EConflict, "The formation was already submitted.").WithHint("Poll GET /v1/subjects/%s/formation until it completes.", subj.ID)
	}
	f := naive.Formation{EntityType: "LLC", State: req.State, LegalName: subj.LegalName, SubmittedAt: &now}
	if req.LegalName != "" {
		f.LegalName = strings.TrimSpace(req.LegalName)
	}
	if p.Mode == naive.ModeTest {
		at := now.Add(s.cfg.FormationDelay)
		f.Status, f.CompletesAt = naive.FormationSubmitted, &at
	} else {
		if !req.Attest {
			return nil, (&naive.Error{Code: naive.ENotConfigured, Message: "Filing a new LLC needs a filing partner, which this server does not have."}).
				WithHint("Record an existing LLC instead: send attest: true with legal_name, state and formed_at (YYYY-MM-DD), as a human.")
		}
		if p.Kind != naive.PrincipalHuman {
			return nil, errHumanOnly("attesting that an LLC exists")
		}
		formed, err := time.Parse("2006-01-02", req.FormedAt)
		if err != nil || formed.After(now) {
			return nil, naive.InvalidParam("formed_at", "formed_at must be the formation date as YYYY-MM-DD, not in the future.")
		}
		if f.LegalName == "" {
			return nil, naive.InvalidParam("legal_name", "legal_name is required to record an existing LLC.")
		}
		f.Status, f.FormedAt = naive.FormationCompleted, &formed
	}
	subj.Formation = f
	subj.UpdatedAt = now
	if err := s.store.UpdateSubject(ctx, subj); err != nil {
		return nil, err
	}
	return &f, nil
}

// CreateAgent registers an agent.
//
// Errors: invalid_input.
func (s *Service) CreateAgent(ctx context.Context, req naive.AgentRequest) (*naive.Agent, error) {
	if err := s.owner(ctx, "creating agents"); err != nil {
		return nil, err
	}
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	name, webhookURL := strings.TrimSpace(req.Name), req.WebhookURL
	if name == "" || len(name) > 128 {
		return nil, naive.InvalidParam("name", "name is required, at most 128 characters.")
	}
	if webhookURL != "" && !validURL(webhookURL) {
		return nil, naive.InvalidParam("webhook_url", "webhook_url must be an http(s) URL of at most 255 characters.")
	}
	a := &naive.Agent{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Name: name, WebhookURL: webhookURL, CreatedAt: s.now()}
	if err := s.store.CreateAgent(ctx, a); err != nil {
		return nil, err
	}
	if webhookURL != "" {
		// The agent hears sms.received on the numbers it is assigned to
		// with receive_sms, signed with its own secret.
		e := &naive.WebhookEndpoint{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, URL: webhookURL, AgentID: a.ID,
			EventTypes: []string{naive.EventSMSReceived}, SigningSecret: webhooksig.NewSecret(), CreatedAt: a.CreatedAt}
		if err := s.store.CreateWebhookEndpoint(ctx, e); err != nil {
			return nil, err
		}
		a.WebhookSecret = e.SigningSecret
	}
	return a, nil
}

// UpdateAgent applies a patch to an agent. Setting a webhook URL for the
// first time creates the agent's own endpoint, whose new secret is shown
// once in the answer; changing it moves that endpoint (same secret);
// "" removes it.
//
// Errors: invalid_input, not_found.
func (s *Service) UpdateAgent(ctx context.Context, id string, patch naive.AgentPatch) (*naive.Agent, error) {
	if err := s.owner(ctx, "editing agents"); err != nil {
		return nil, err
	}
	a, err := s.GetAgent(ctx, id)
	if err != nil {
		return nil, err
	}
	if patch.Name != nil {
		a.Name = strings.TrimSpace(*patch.Name)
		if a.Name == "" || len(a.Name) > 128 {
			return nil, naive.InvalidParam("name", "name is required, at most 128 characters.")
		}
	}
	if patch.WebhookURL != nil {
		a.WebhookURL = *patch.WebhookURL
		if a.WebhookURL != "" && !validURL(a.WebhookURL) {
			return nil, naive.InvalidParam("webhook_url", "webhook_url must be an http(s) URL of at most 255 characters, or \"\" to remove it.")
		}
	}
	e := &naive.WebhookEndpoint{ID: newID(), EventTypes: []string{naive.EventSMSReceived},
		SigningSecret: webhooksig.NewSecret(), CreatedAt: s.now()}
	created, err := s.store.UpdateAgent(ctx, a, e)
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("agent", id)
	}
	if err != nil {
		return nil, err
	}
	if created {
		a.WebhookSecret = e.SigningSecret
	}
	return a, nil
}

// DeleteAgent deletes an agent, its number assignments and its webhook.
// An agent an unrevoked API key is bound to stays: the key would go on
// acting as it.
//
// Errors: not_found, conflict.
func (s *Service) DeleteAgent(ctx context.Context, id string) error {
	if err := s.owner(ctx, "deleting agents"); err != nil {
		return err
	}
	p, err := s.principal(ctx)
	if err != nil {
		return err
	}
	if !validUUID(id) {
		return naive.NotFound("agent", id)
	}
	err = s.store.DeleteAgent(ctx, p.Scope(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return naive.NotFound("agent", id)
	case errors.Is(err, store.ErrConflict):
		return (&naive.Error{Code: naive.EConflict, Message: "An unrevoked API key is bound to this agent."}).
			WithHint("Revoke its keys first (as a human: GET /v1/keys, then DELETE /v1/keys/{id} for each key with agent_id %s).", id)
	}
	return err
}

// GetAgent returns an agent.
func (s *Service) GetAgent(ctx context.Context, id string) (*naive.Agent, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	if !validUUID(id) {
		return nil, naive.NotFound("agent", id)
	}
	a, err := s.store.GetAgent(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("agent", id)
	}
	return a, err
}

// ListAgents lists agents.
func (s *Service) ListAgents(ctx context.Context, lp naive.ListParams) (*naive.List[naive.Agent], error) {
	return list(ctx, s, lp, func(p naive.Principal, pg naive.Page) ([]naive.Agent, error) {
		return s.store.ListAgents(ctx, p.Scope(), pg)
	}, func(x naive.Agent) string { return x.ID })
}
