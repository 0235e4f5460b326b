package service

import (
	"context"
	"errors"
	"strings"

	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// Primitives a kit can configure, and the actions the approval gate can
// hold for each.
var gatedActions = map[string]string{
	ActionPhoneProvision: "phone",
}

// phoneDefaults are the provision fields a kit may default.
var phoneDefaults = map[string]bool{"area_code": true, "type": true, "label": true}

func validateKit(req *naive.KitRequest, partial bool) error {
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		if n == "" || len(n) > 128 {
			return naive.InvalidParam("name", "name is required, at most 128 characters.")
		}
		req.Name = &n
	} else if !partial {
		return naive.InvalidParam("name", "name is required.")
	}
	for prim, cfg := range req.PrimitivesConfig {
		if prim != "phone" {
			return naive.InvalidParam("primitives_config."+prim, "Unknown primitive %q; this server has: phone.", prim).
				WithHint("Configure primitives_config.phone.")
		}
		switch cfg.Consent {
		case "", naive.KitConsentRequired, naive.KitConsentNotRequired:
		default:
			return naive.InvalidParam("primitives_config.phone.consent", "consent must be %q or %q; got %q.",
				naive.KitConsentRequired, naive.KitConsentNotRequired, cfg.Consent)
		}
		if cfg.QuietHours != nil {
			if err := validQuietHours(cfg.QuietHours); err != nil {
				return err
			}
		}
		for k, v := range cfg.Defaults {
			if !phoneDefaults[k] {
				return naive.InvalidParam("primitives_config.phone.defaults."+k, "phone defaults may set area_code, type and label; not %q.", k)
			}
			probe := naive.ProvisionRequest{EIN: "12-3456789"}
			switch k {
			case "area_code":
				probe.AreaCode = v
				if tf := cfg.Defaults["type"]; tf != "" {
					probe.Type = tf
				}
			case "type":
				probe.Type = v
			case "label":
				probe.Label = v
			}
			if err := ValidateProvision(&probe); err != nil {
				err.Param = "primitives_config.phone.defaults." + k
				return err
			}
		}
	}
	return nil
}

// CreateKit stores an Account Kit (humans only).
//
// Errors: forbidden, invalid_input.
func (s *Service) CreateKit(ctx context.Context, req naive.KitRequest) (*naive.AccountKit, error) {
	if err := s.owner(ctx, "editing Account Kits"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "editing Account Kits")
	if err != nil {
		return nil, err
	}
	if err := validateKit(&req, false); err != nil {
		return nil, err
	}
	now := s.now()
	k := &naive.AccountKit{ID: newID(), OperatorID: p.OperatorID, Mode: p.Mode, Name: *req.Name,
		PrimitivesConfig: req.PrimitivesConfig, CreatedAt: now, UpdatedAt: now}
	if k.PrimitivesConfig == nil {
		k.PrimitivesConfig = map[string]naive.PrimitiveConfig{}
	}
	if err := s.store.CreateKit(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// GetKit returns a kit.
func (s *Service) GetKit(ctx context.Context, id string) (*naive.AccountKit, error) {
	p, err := s.principal(ctx)
	if err != nil {
		return nil, err
	}
	return s.getKit(ctx, p.Scope(), id)
}

func (s *Service) getKit(ctx context.Context, sc naive.Scope, id string) (*naive.AccountKit, error) {
	if !validUUID(id) {
		return nil, naive.NotFound("account kit", id)
	}
	k, err := s.store.GetKit(ctx, sc, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, naive.NotFound("account kit", id)
	}
	return k, err
}

// ListKits lists kits.
func (s *Service) ListKits(ctx context.Context, lp naive.ListParams) (*naive.List[naive.AccountKit], error) {
	return list(ctx, s, lp, func(p naive.Principal, pg naive.Page) ([]naive.AccountKit, error) {
		return s.store.ListKits(ctx, p.Scope(), pg)
	}, func(x naive.AccountKit) string { return x.ID })
}

// UpdateKit changes a kit's name or replaces the config of the primitives
// the request names (humans only).
//
// Errors: forbidden, invalid_input, not_found.
func (s *Service) UpdateKit(ctx context.Context, id string, req naive.KitRequest) (*naive.AccountKit, error) {
	if err := s.owner(ctx, "editing Account Kits"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "editing Account Kits")
	if err != nil {
		return nil, err
	}
	if err := validateKit(&req, true); err != nil {
		return nil, err
	}
	k, err := s.getKit(ctx, p.Scope(), id)
	if err != nil {
		return nil, err
	}
	if req.Name != nil {
		k.Name = *req.Name
	}
	for prim, cfg := range req.PrimitivesConfig {
		k.PrimitivesConfig[prim] = cfg
	}
	k.UpdatedAt = s.now()
	if err := s.store.UpdateKit(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// DeleteKit deletes a kit; its subjects fall back to the built-in default.
func (s *Service) DeleteKit(ctx context.Context, id string) error {
	if err := s.owner(ctx, "editing Account Kits"); err != nil {
		return err
	}
	p, err := s.human(ctx, "editing Account Kits")
	if err != nil {
		return err
	}
	if !validUUID(id) {
		return naive.NotFound("account kit", id)
	}
	err = s.store.DeleteKit(ctx, p.Scope(), id)
	if errors.Is(err, store.ErrNotFound) {
		return naive.NotFound("account kit", id)
	}
	return err
}

// AssignKit assigns a kit to a subject (humans only).
//
// Errors: forbidden, not_found.
func (s *Service) AssignKit(ctx context.Context, kitID, subjectID string) (*naive.Subject, error) {
	if err := s.owner(ctx, "assigning Account Kits"); err != nil {
		return nil, err
	}
	p, err := s.human(ctx, "assigning Account Kits")
	if err != nil {
		return nil, err
	}
	if _, err := s.getKit(ctx, p.Scope(), kitID); err != nil {
		return nil, err
	}
	subj, err := s.subject(ctx, p, subjectID)
	if err != nil {
		return nil, err
	}
	if err := s.store.AssignKit(ctx, p.Scope(), subj.ID, kitID, s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, naive.NotFound("subject", subjectID)
		}
		return nil, err
	}
	subj.AccountKitID = kitID
	return subj, nil
}

// primitiveConfig returns the subject's kit config for a primitive, or the
// zero config (the built-in default) when it has no kit.
func (s *Service) primitiveConfig(ctx context.Context, sc naive.Scope, subj *naive.Subject, primitive string) (naive.PrimitiveConfig, error) {
	if subj.AccountKitID == "" {
		return naive.PrimitiveConfig{}, nil
	}
	k, err := s.store.GetKit(ctx, sc, subj.AccountKitID)
	if errors.Is(err, store.ErrNotFound) {
		return naive.PrimitiveConfig{}, nil
	}
	if err != nil {
		return naive.PrimitiveConfig{}, err
	}
	return k.PrimitivesConfig[primitive], nil
}

// checkEnabled refuses every action of a primitive a kit disabled.
func checkEnabled(cfg naive.PrimitiveConfig, primitive string) error {
	if cfg.Enabled != nil && !*cfg.Enabled {
		return (&naive.Error{Code: naive.EForbidden, Message: "The subject's Account Kit disables the " + primitive + " primitive."}).
			WithHint("A human can enable it: PATCH /v1/account-kits/{id} with primitives_config.%s.enabled true.", primitive).
			With("reason", "primitive_disabled_by_kit")
	}
	return nil
}
