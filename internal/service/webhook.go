package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
	"github.com/naive-oss/naive/internal/webhooksig"
)

// HandleCarrierWebhook verifies a carrier webhook with the carrier of each
// mode (the live carrier's secret, then the sandbox's) and applies it. The
// event's record (its id, for deduplication), its effect and the events it
// produces are one transaction: a redelivery with the same event id, on
// any process, whatever its body, is never applied twice, and a crash
// applies all of it or none (the carrier then delivers it again). An event
// whose data cannot be read is recorded and logged, since no retry can
// help; unknown event types are recorded and ignored.
//
// Errors: unauthorized (missing, bad or stale signature), invalid_input
// (not a carrier event).
func (s *Service) HandleCarrierWebhook(ctx context.Context, h http.Header, body []byte) error {
	return s.HandleCarrierWebhookFrom(ctx, "", h, body)
}

// HandleCarrierWebhookFrom is HandleCarrierWebhook for the carrier named
// (POST /webhooks/{carrier}): only that carrier's adapters, of each mode,
// are asked to verify it; "" asks every carrier.
func (s *Service) HandleCarrierWebhookFrom(ctx context.Context, name string, h http.Header, body []byte) error {
	mode, ev, err := s.verifyWebhook(name, h, body)
	if errors.Is(err, carrier.ErrUnreadable) && ev == nil {
		return naive.Errorf(naive.EInvalidInput, "The body is not a carrier event.").WithHint("Send the carrier's webhook envelope {id, type, data}.")
	}
	if err != nil && !errors.Is(err, carrier.ErrUnreadable) {
		return err
	}
	ce := &store.CarrierEvent{ID: ev.ID, Mode: mode, Type: ev.Type, AccountID: ev.BrandID, Payload: body, ReceivedAt: s.now()}
	if err != nil {
		s.log.Warn("carrier webhook with unreadable data", "event_id", ev.ID, "type", ev.Type, "err", err)
		return s.record(ctx, ce)
	}
	if err := s.applyCarrierEvent(ctx, mode, ev, ce); err != nil {
		if naive.ErrorCode(err) != naive.EInvalidInput {
			return err
		}
		s.log.Warn("carrier webhook not applied", "event_id", ev.ID, "type", ev.Type, "err", err)
		return s.record(ctx, ce)
	}
	return nil
}

// record stores a carrier event that has no effect, so a redelivery is
// recognised.
func (s *Service) record(ctx context.Context, ce *store.CarrierEvent) error {
	fresh, err := s.store.RecordCarrierEvent(ctx, ce)
	if err == nil && !fresh {
		s.log.Info("carrier webhook duplicate", "event_id", ce.ID, "type", ce.Type)
	}
	return err
}

// verifyWebhook finds the mode whose carrier verifies the request and
// returns the event it parsed.
func (s *Service) verifyWebhook(name string, h http.Header, body []byte) (naive.Mode, *carrier.Event, error) {
	if name == naive.CarrierSurge &&
		(h.Get(webhooksig.HeaderSignature) == "" || h.Get(webhooksig.HeaderID) == "" || h.Get(webhooksig.HeaderTimestamp) == "") {
		return "", nil, errUnauthorized("Missing webhook signature headers.").
			WithHint("Carrier webhooks must carry webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks).")
	}
	stale := false
	for _, m := range []naive.Mode{naive.ModeLive, naive.ModeTest} {
		for n, cr := range s.carriers(m).ByName {
			if cr == nil || (name != "" && n != name) {
				continue
			}
			ev, err := cr.ParseWebhook(h, body, s.now())
			switch {
			case err == nil, errors.Is(err, carrier.ErrUnreadable):
				return m, ev, err
			case errors.Is(err, carrier.ErrStaleSignature):
				stale = true
			}
		}
	}
	msg := "The webhook signature does not verify."
	if stale {
		msg = "The webhook timestamp is outside the 5-minute tolerance."
	}
	hint := "Check SURGE_WEBHOOK_SECRET matches the carrier's signing secret, and the clocks."
	if name == naive.CarrierTelnyx {
		hint = "Check TELNYX_PUBLIC_KEY is the account's public key (Mission Control → Keys), and the clocks."
	}
	return "", nil, errUnauthorized(msg).WithHint("%s", hint)
}

// applyCarrierEvent acts on one verified carrier event.
func (s *Service) applyCarrierEvent(ctx context.Context, mode naive.Mode, ev *carrier.Event, ce *store.CarrierEvent) error {
	switch ev.Kind {
	case carrier.EventCampaignStatus:
		return s.advanceByCarrierID(ctx, mode, ev.Campaign.CampaignID, ev.Campaign.Status, ce)
	case carrier.EventMessageReceived:
		return s.receive(ctx, mode, ev.Message, ce)
	case carrier.EventMessageStatus:
		return s.messageStatus(ctx, mode, ev.Message, ce)
	case carrier.EventContactOpt:
		return s.applyOptEvent(ctx, mode, ev, ce)
	}
	s.log.Info("carrier webhook ignored", "event_id", ev.ID, "type", ev.Type)
	return s.record(ctx, ce)
}

func (s *Service) advanceByCarrierID(ctx context.Context, mode naive.Mode, carrierID, status string, ce *store.CarrierEvent) error {
	c, err := s.store.GetCampaignByCarrierID(ctx, mode, carrierID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("carrier webhook for an unknown campaign", "carrier_id", carrierID)
		return s.record(ctx, ce)
	}
	if err != nil {
		return err
	}
	reason := ""
	if status == naive.CampaignRejected && naive.CampaignRank(status) > naive.CampaignRank(c.Status) {
		// A status update names no reason (Telnyx's, Surge's); the
		// carrier's campaign does, as a poll reads it. Best effort: without
		// it the generic reason is stored.
		if now, ok := s.campaignStatusNow(ctx, c); ok && now.Status == naive.CampaignRejected {
			reason = now.Reason
		}
	}
	_, err = s.advanceCampaign(ctx, c, status, reason, ce, false) // the carrier's word now: not fenced
	return err
}

// CampaignUpdate is the data of a campaign.updated event.
type CampaignUpdate struct {
	naive.Campaign
	PreviousStatus string `json:"previous_status"`
}

// advanceCampaign moves a campaign forward and, in the same transaction,
// stores campaign.updated and — when it becomes active — one
// phone.outbound_enabled per active number of its kind; ce, the carrier
// event reporting the change (nil when polled), is recorded with it.
// reason is the carrier's reason for a rejection ("" when it gives none:
// then a generic one is stored).
func (s *Service) advanceCampaign(ctx context.Context, c *naive.Campaign, status, reason string, ce *store.CarrierEvent, fenced bool) (bool, error) {
	if naive.CampaignRank(status) <= naive.CampaignRank(c.Status) {
		if ce != nil {
			return false, s.record(ctx, ce)
		}
		return false, nil
	}
	sc := naive.Scope{OperatorID: c.OperatorID, Mode: c.Mode}
	next := *c
	next.Status, next.UpdatedAt = status, s.now()
	next.ETA = s.campaignETA(&next)
	next.RejectionReason = nil
	if status == naive.CampaignRejected {
		reason = rejectionReason(reason)
		next.RejectionReason = &reason
	}
	upd, err := s.event(sc, naive.EventCampaignUpdated, CampaignUpdate{Campaign: next, PreviousStatus: c.Status})
	if err != nil {
		return false, err
	}
	events := []*naive.Event{upd}
	if status == naive.CampaignActive {
		phones, err := s.store.ListPhones(ctx, sc, c.SubjectID, naive.PhoneFilter{})
		if err != nil {
			return false, err
		}
		for i := range phones {
			ph := &phones[i]
			if ph.Status != naive.PhoneActive || ph.CampaignID != c.ID {
				continue
			}
			ph.Capabilities = capabilities(ph, &next)
			ev, err := s.event(sc, naive.EventPhoneOutboundEnabled, ph)
			if err != nil {
				return false, err
			}
			events = append(events, ev)
		}
	}
	var changed bool
	if fenced {
		changed, err = s.store.AdvanceCampaignFrom(ctx, c.ID, c.UpdatedAt, status, reason, s.now(), s.now().Add(-s.cfg.ClaimStale), events)
	} else {
		changed, err = s.store.AdvanceCampaign(ctx, c.ID, status, reason, s.now(), events, ce)
	}
	if changed {
		s.log.Info("campaign updated", "campaign_id", c.ID, "subject_id", c.SubjectID, "from", c.Status, "to", status)
	}
	return changed, err
}
