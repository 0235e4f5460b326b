package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// NoRejectionReason is the reason stored for a rejection the carrier gives
// none for (Surge's API does not: its reviewers' notes are emailed to the
// carrier account).
const NoRejectionReason = "The carrier rejected the campaign without giving a reason through its API; its reviewers' notes go to the carrier account's email."

// maxResubmitReplans bounds how many times a resubmission plans again
// because the campaign content changed after its plan read it.
const maxResubmitReplans = 3

func rejectionReason(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return NoRejectionReason
	}
	return reason
}

// ResubmitCampaign sends the subject's rejected 10DLC campaign back to
// review. The store's move rejected → in_review comes first and is
// conditional, so of two concurrent resubmissions one reaches the carrier
// and the other is a conflict; a carrier that refuses the update puts the
// campaign back to rejected with its reason, unless the carrier no longer
// holds it rejected (then its status is adopted). When the carrier's answer is
// lost the campaign stays in_review and the poller settles it: a carrier
// that did not take the update still reports it rejected.
func (s *Service) ResubmitCampaign(ctx context.Context, subjectID string, req naive.CampaignResubmission) (*naive.Campaign, error) {
	if err := validateResubmission(req); err != nil {
		return nil, err
	}
	p, subj, err := s.phoneCall(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	sc := p.Scope()
	brand, err := s.store.GetBrand(ctx, sc, subj.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	cr, err := s.brandCarrier(p.Mode, brand)
	if err != nil {
		return nil, err
	}
	c, err := s.campaign10DLC(ctx, sc, subj.ID)
	if err != nil {
		return nil, err
	}
	if c.Status != naive.CampaignRejected {
		return nil, notRejected(c)
	}
	// What it sends: the campaign content with req's changes (kept as the
	// content), if the compliance rules pass (compliance.go).
	content, overrides, planned, err := s.planResubmission(ctx, p, subj, req)
	if err != nil {
		return nil, err
	}
	prevReason := ""
	if c.RejectionReason != nil {
		prevReason = *c.RejectionReason
	}
	next := *c
	next.Status, next.RejectionReason, next.UpdatedAt = naive.CampaignInReview, nil, s.now()
	next.ETA = s.campaignETA(&next)
	ev, err := s.event(sc, naive.EventCampaignUpdated, CampaignUpdate{Campaign: next, PreviousStatus: c.Status})
	if err != nil {
		return nil, err
	}
	// Marked first, while still rejected (no poll reads a rejected
	// campaign), so that no poll stores an answer the carrier gives
	// between the move to in_review and its taking the update; of two
	// concurrent resubmissions one marks it, the other is a conflict.
	token := newID()
	marked, err := s.store.MarkResubmitting(ctx, sc, c.ID, token, s.cfg.ProcessID, s.now(), s.now().Add(-s.cfg.ClaimStale))
	if err != nil {
		return nil, err
	}
	if !marked {
		cur, gerr := s.store.GetCampaign(ctx, sc, c.ID)
		if gerr != nil {
			return nil, gerr
		}
		return nil, notRejected(cur)
	}
	// The mark is let go once the outcome is stored: a refused update's
	// restore below runs while no poll can race it.
	defer func() {
		if err := s.store.ReleaseDeferredCampaign(context.WithoutCancel(ctx), c.ID, token); err != nil {
			s.log.Error("release the resubmission mark", "campaign_id", c.ID, "err", err)
		}
	}()
	// The move is fenced on the content planned: a PATCH stored since the
	// plan read it (it was answered 200, the campaign still rejected)
	// makes it plan again on the content as stored now — req's changes
	// are stored already — so the carrier gets what the PATCH answered; a
	// PATCH after the move is refused (store.PatchCampaignContent).
	for replans := 0; ; replans++ {
		err = s.store.ResubmitCampaign(ctx, sc, c.ID, planned, next.UpdatedAt, []*naive.Event{ev})
		if !errors.Is(err, store.ErrContentChanged) {
			break
		}
		if replans == maxResubmitReplans {
			return nil, naive.Errorf(naive.EConflict, "The campaign content of subject %s kept changing while campaign %s was being resubmitted; it is still rejected.", subj.ID, c.ID).
				WithHint("Resubmit again once the changes to the campaign content (PATCH /v1/subjects/%s/campaign-content) are done.", subj.ID).With("status", c.Status)
		}
		content, overrides, planned, err = s.planResubmission(ctx, p, subj, naive.CampaignResubmission{OverrideChecks: req.OverrideChecks})
		if err != nil {
			return nil, err
		}
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		cur, gerr := s.store.GetCampaign(ctx, sc, c.ID)
		if gerr != nil {
			return nil, gerr
		}
		return nil, notRejected(cur)
	case errors.Is(err, store.ErrNotFound):
		return nil, naive.NotFound("campaign", c.ID)
	case err != nil:
		return nil, err
	}
	// The store now says in_review: finish at the carrier even if the
	// caller goes away.
	ctx = context.WithoutCancel(ctx)
	if len(overrides) > 0 {
		if err := s.store.AddCheckOverrides(ctx, sc, c.ID, overrides); err != nil {
			s.log.Error("record compliance overrides", "campaign_id", c.ID, "err", err)
		}
		next.ChecksOverridden = overrides
	}
	_, err = cr.ResubmitCampaign(ctx, c.CarrierID, request(content))
	if err != nil && !errors.Is(err, carrier.ErrUnknownOutcome) {
		// Refused. A carrier that no longer has it rejected (Surge locks a
		// campaign in review or approved) already reviews it: the rejection
		// naive holds came from a poll that raced an earlier resubmission.
		if now, serr := cr.CampaignStatus(ctx, c.CarrierID); serr == nil && now.Status != naive.CampaignRejected {
			if naive.CampaignRank(now.Status) > naive.CampaignRank(next.Status) {
				if _, aerr := s.advanceCampaign(ctx, &next, now.Status, "", nil, false); aerr != nil { // marked: no poll raced
					return nil, aerr
				}
				next.Status = now.Status
				next.ETA = s.campaignETA(&next)
			}
			s.log.Info("campaign resubmission found the carrier already reviewing it", "campaign_id", c.ID, "carrier_status", now.Status)
			return &next, nil
		}
		// Refused for certain: back to rejected, with the reason it had.
		if _, aerr := s.advanceCampaign(ctx, &next, naive.CampaignRejected, prevReason, nil, false); aerr != nil { // marked: no poll raced
			s.log.Error("restore rejected campaign", "campaign_id", c.ID, "err", aerr)
		}
		return nil, carrierError("resubmit the campaign", err)
	}
	if err != nil {
		s.log.Warn("campaign resubmission outcome unknown; the poller settles it", "campaign_id", c.ID, "err", err)
	}
	s.log.Info("campaign resubmitted", "campaign_id", c.ID, "subject_id", subj.ID)
	return &next, nil
}

// campaign10DLC is the subject's registered 10DLC campaign.
func (s *Service) campaign10DLC(ctx context.Context, sc naive.Scope, subjectID string) (*naive.Campaign, error) {
	camps, err := s.store.ListCampaigns(ctx, sc, subjectID)
	if err != nil {
		return nil, err
	}
	for i := range camps {
		if camps[i].Kind == naive.Campaign10DLC && camps[i].CarrierID != "" {
			return &camps[i], nil
		}
	}
	return nil, naive.Errorf(naive.ENotFound, "Subject %s has no 10DLC campaign.", subjectID).
		WithHint("A campaign is registered by the first local number's provisioning: POST /v1/phone/provision.")
}

func notRejected(c *naive.Campaign) error {
	return naive.Errorf(naive.EConflict, "Campaign %s is %s; only a rejected campaign can be resubmitted.", c.ID, c.Status).
		WithHint("Follow it with GET /v1/phone/status; resubmit only after it is rejected.").With("status", c.Status)
}

// validateResubmission checks req's fields against the carrier's limits,
// so a bad one is refused before anything changes.
func validateResubmission(req naive.CampaignResubmission) error {
	long := func(param, v string) error {
		if v == "" {
			return nil
		}
		if err := naive.CheckText(param, v); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(v)); n < 40 || n > 4096 {
			return naive.InvalidParam(param, "%s must be 40 to 4096 characters (it has %d).", param, n).
				WithHint("Omit %s to keep the subject's campaign content (GET /v1/campaign-content).", param)
		}
		return nil
	}
	if err := long("description", req.Description); err != nil {
		return err
	}
	if err := long("consent_flow", req.ConsentFlow); err != nil {
		return err
	}
	if req.MessageSamples != nil && (len(req.MessageSamples) < 2 || len(req.MessageSamples) > 5) {
		return naive.InvalidParam("message_samples", "message_samples must hold 2 to 5 texts (it has %d).", len(req.MessageSamples)).
			WithHint("Make the first the opt-in confirmation, e.g. \"You are now opted in to … Reply STOP to opt out.\"")
	}
	for i, m := range req.MessageSamples {
		param := fmt.Sprintf("message_samples[%d]", i)
		if err := naive.CheckText(param, m); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(m)); n == 0 || n > 1024 {
			return naive.InvalidParam(param, "%s must be 1 to 1024 characters.", param)
		}
	}
	for _, f := range []struct{ param, v string }{{"privacy_policy_url", req.PrivacyPolicyURL}, {"terms_url", req.TermsURL}} {
		param, v := f.param, f.v
		if v == "" {
			continue
		}
		if err := naive.CheckText(param, v); err != nil {
			return err
		}
		if !validURL(v) {
			return naive.InvalidParam(param, "%s must be an http(s) URL of at most 255 characters.", param)
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
