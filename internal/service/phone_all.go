package service

import (
	"context"

	"github.com/naive-oss/naive/internal/naive"
)

// ListAllPhones lists the numbers of every subject of the caller's mode,
// newest first, each with its subject_id and capabilities. Numbers of a
// deleted subject stay listed (a subject is deleted only once its numbers
// are released). A key bound to an agent is refused: it lists its subject's
// numbers with ListPhones.
//
// Errors: invalid_input, forbidden.
func (s *Service) ListAllPhones(ctx context.Context, agentID string, lp naive.ListParams) (*naive.List[naive.Phone], error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Kind == naive.PrincipalAgent && p.AgentID != "" {
		return nil, (&naive.Error{Code: naive.EForbidden, Param: "subject_id",
			Message: "A key bound to an agent cannot list the numbers of every subject."}).
			WithHint("List the numbers of one subject with GET /v1/phone (or GET /v1/subjects/{id}/phone), or use an operator key or a human session.")
	}
	pg, limit, err := pageOf(lp)
	if err != nil {
		return nil, err
	}
	if agentID != "" && !validUUID(agentID) {
		return nil, naive.InvalidParam("agent", "agent must be an agent id (UUID).")
	}
	rows, err := s.store.ListAllPhones(ctx, p.Scope(), naive.PhoneFilter{AgentID: agentID, Page: pg})
	if err != nil {
		return nil, err
	}
	l := page(rows, limit, func(ph naive.Phone) string { return ph.ID })
	if err := s.withCapabilities(ctx, p.Scope(), l.Data); err != nil {
		return nil, err
	}
	return &l, nil
}
