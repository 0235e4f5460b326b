package service

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// InvitePrefix starts every invite token.
const InvitePrefix = "nv_inv_"

// requireRole refuses a human caller whose role is not one of allowed,
// with forbidden naming the role and what was refused. Agents (API keys)
// have no role and pass: human roles never restrict them, and a method
// that is human-only refuses them itself. A context without a principal
// passes too: the method's own principal check answers unauthorized.
func (s *Service) requireRole(ctx context.Context, what string, allowed ...naive.Role) error {
	p, ok := naive.PrincipalFrom(ctx)
	if !ok || p.Kind != naive.PrincipalHuman {
		return nil
	}
	role := p.Role.EffectiveRole()
	for _, r := range allowed {
		if role == r {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, r := range allowed {
		names[i] = string(r)
	}
	return (&naive.Error{Code: naive.EForbidden, Message: "Your role, " + string(role) + ", does not allow " + what + "."}).
		WithHint("Ask an owner of this operator to do it, or to give you a role that may (%s).", strings.Join(names, " or ")).
		With("role", string(role)).With("roles_allowed", names)
}

// owner refuses a human who is not an owner; see requireRole.
func (s *Service) owner(ctx context.Context, what string) error {
	return s.requireRole(ctx, what, naive.RoleOwner)
}

// ListUsers lists the operator's humans, newest first. Any human may.
func (s *Service) ListUsers(ctx context.Context, lp naive.ListParams) (*naive.List[naive.User], error) {
	p, err := s.human(ctx, "listing people")
	if err != nil {
		return nil, err
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListUsers(ctx, p.OperatorID, pg)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].Role = rows[i].Role.EffectiveRole()
	}
	l := page(rows, limit, func(x naive.User) string { return x.ID })
	return &l, nil
}

// validEmail returns email trimmed if it is one bare address.
func validEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", naive.InvalidParam("email", "email is required.")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", naive.InvalidParam("email", "email must be one email address, such as ada@example.com; got %q.", email).
			WithHint("Send the bare address, without a name or angle brackets.")
	}
	return email, nil
}

func validRole(r naive.Role) error {
	if r == "" {
		return naive.InvalidParam("role", "role is required: owner, approver or viewer.")
	}
	if !r.Valid() {
		return naive.InvalidParam("role", "role must be owner, approver or viewer; got %q.", r).
			WithHint("owner may do everything; approver approves and denies approvals and reads; viewer only reads.")
	}
	return nil
}

// InviteUser creates a human with no usable password and an invite token,
// shown once, that sets it (AcceptInvite). Owners only.
func (s *Service) InviteUser(ctx context.Context, req naive.InviteRequest) (*naive.Invitation, error) {
	if err := s.owner(ctx, "inviting people"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "inviting people")
	if err != nil {
		return nil, err
	}
	email, err := validEmail(req.Email)
	if err != nil {
		return nil, err
	}
	if err := validRole(req.Role); err != nil {
		return nil, err
	}
	tok := InvitePrefix + randomToken(24)
	now := s.now()
	u := &naive.User{ID: newID(), OperatorID: p.OperatorID, Email: email, Role: req.Role, CreatedAt: now}
	exp := now.Add(naive.InviteLifetime)
	if err := s.store.CreateInvitedUser(ctx, u, hashToken(tok), exp); errors.Is(err, store.ErrConflict) {
		return nil, (&naive.Error{Code: naive.EConflict, Param: "email", Message: "A user with email " + email + " already exists."}).
			WithHint("Change their role instead (PATCH /v1/users/{id}), or remove them first; an email belongs to one user.")
	} else if err != nil {
		return nil, err
	}
	s.log.Info("user invited", "user_id", u.ID, "role", u.Role, "by", p.UserID)
	return &naive.Invitation{User: *u, InviteToken: tok, InviteURL: "/console/invite?token=" + tok, ExpiresAt: exp}, nil
}

func errLastOwner(what string) *naive.Error {
	return (&naive.Error{Code: naive.EConflict, Message: "This is the operator's last owner; " + what + " would leave nobody able to manage it. Nothing was changed."}).
		WithHint("Make another user an owner first (PATCH /v1/users/{id} with {\"role\": \"owner\"}; they must have accepted their invite), then try again.").
		With("reason", "last_owner")
}

// UpdateUser changes a human's role. Owners only; the last owner cannot
// be demoted.
func (s *Service) UpdateUser(ctx context.Context, id string, patch naive.UserPatch) (*naive.User, error) {
	if err := s.owner(ctx, "changing roles"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "changing roles")
	if err != nil {
		return nil, err
	}
	if !validUUID(id) {
		return nil, naive.NotFound("user", id)
	}
	if patch.Role == nil {
		return nil, naive.InvalidParam("role", "Nothing to change: send role (owner, approver or viewer).")
	}
	if err := validRole(*patch.Role); err != nil {
		return nil, err
	}
	u, err := s.store.UpdateUserRole(ctx, p.OperatorID, id, *patch.Role)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, naive.NotFound("user", id)
	case errors.Is(err, store.ErrConflict):
		return nil, errLastOwner("demoting them")
	case err != nil:
		return nil, err
	}
	s.log.Info("user role changed", "user_id", u.ID, "role", u.Role, "by", p.UserID)
	return u, nil
}

// DeleteUser removes a human and ends their sessions. Owners only; the
// last owner cannot be removed.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	if err := s.owner(ctx, "removing people"); err != nil {
		return err
	}
	p, err := s.human(ctx, "removing people")
	if err != nil {
		return err
	}
	if !validUUID(id) {
		return naive.NotFound("user", id)
	}
	n, err := s.store.DeleteUser(ctx, p.OperatorID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return naive.NotFound("user", id)
	case errors.Is(err, store.ErrConflict):
		return errLastOwner("removing them")
	case err != nil:
		return err
	}
	s.log.Info("user removed", "user_id", id, "ended_sessions", n, "by", p.UserID)
	return nil
}

// AcceptInvite sets an invited human's password, consumes the invite and
// opens a session, answered like Login. It needs no credentials: the
// token is one.
func (s *Service) AcceptInvite(ctx context.Context, req naive.AcceptInviteRequest) (*naive.LoginResult, error) {
	if req.Token == "" {
		return nil, naive.InvalidParam("token", "token is required: the invite token an owner received (nv_inv_…).")
	}
	if err := checkNewPassword("password", req.Password); err != nil {
		return nil, err
	}
	errBad := (&naive.Error{Code: naive.EUnauthorized, Message: "Unknown, used or expired invite token."}).
		WithHint("Ask an owner for a new invite: they remove you and invite you again (naive users invite).")
	if !strings.HasPrefix(req.Token, InvitePrefix) || len(req.Token) > 128 {
		return nil, errBad
	}
	tok, sess := s.newSession(ctx)
	u, err := s.store.AcceptInvite(ctx, hashToken(req.Token), HashPassword(req.Password), sess.CreatedAt, sess)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBad
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("invite accepted", "user_id", u.ID)
	return &naive.LoginResult{Token: tok, ExpiresAt: sess.ExpiresAt, UserID: u.ID, Operator: u.OperatorID}, nil
}
