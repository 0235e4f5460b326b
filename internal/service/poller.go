package service

import (
	"context"
	"errors"
	"time"

	"github.com/naive-oss/naive/internal/carrier"
	"github.com/naive-oss/naive/internal/naive"
	"github.com/naive-oss/naive/internal/store"
)

// PollCampaigns, ReconcileProvisioning and SweepApprovals are the
// background passes: internal/jobs runs them as River periodic jobs on the
// elected leader of all processes. They follow open campaigns (the carrier
// sends no webhook for a rejection; toll-free verification is simulated in
// test mode) and settle what a dead process left. Status only moves
// forward and every claim is stored, so a pass that races a webhook,
// another pass or another process is harmless; all state is in the
// database, so a restart loses nothing.

// PollCampaigns checks every open campaign once.
func (s *Service) PollCampaigns(ctx context.Context) {
	camps, err := s.store.ListOpenCampaigns(ctx, 500)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list open campaigns", "err", err)
		}
		return
	}
	for _, c := range camps {
		if ctx.Err() != nil {
			return
		}
		if c.Kind == naive.Campaign10DLC && c.CarrierID == "" {
			s.startDeferredCampaign(ctx, &c) // a sole proprietor's, waiting for the brand's verification
			continue
		}
		now, ok := s.campaignStatusNow(ctx, &c)
		if !ok || naive.CampaignRank(now.Status) <= naive.CampaignRank(c.Status) {
			continue
		}
		// Fenced by the campaign as listed: an answer about the campaign
		// before a resubmission (or any change since) is not stored.
		if _, err := s.advanceCampaign(ctx, &c, now.Status, now.Reason, nil, true); err != nil {
			s.log.Error("advance campaign", "campaign_id", c.ID, "err", err)
		}
	}
}

// campaignStatusNow asks where a campaign stands.
func (s *Service) campaignStatusNow(ctx context.Context, c *naive.Campaign) (carrier.Campaign, bool) {
	if c.Kind == naive.CampaignTollFree {
		// Toll-free verification has no carrier API; in test mode it is
		// simulated on the same schedule as the sandbox's 10DLC review.
		if c.Mode != naive.ModeTest {
			return carrier.Campaign{}, false
		}
		age := s.now().Sub(c.CreatedAt)
		switch {
		case age >= s.cfg.TestReviewDelay:
			return carrier.Campaign{Status: naive.CampaignActive}, true
		case age >= min(time.Second, s.cfg.TestReviewDelay/2):
			return carrier.Campaign{Status: naive.CampaignInReview}, true
		}
		return carrier.Campaign{}, false
	}
	if c.CarrierID == "" {
		return carrier.Campaign{}, false
	}
	brand, err := s.store.GetBrand(ctx, naive.Scope{OperatorID: c.OperatorID, Mode: c.Mode}, c.SubjectID)
	if err != nil {
		return carrier.Campaign{}, false
	}
	cr := s.carrierOrNil(c.Mode, brand)
	if cr == nil {
		return carrier.Campaign{}, false
	}
	now, err := cr.CampaignStatus(ctx, c.CarrierID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("poll campaign", "campaign_id", c.ID, "err", err)
		}
		return carrier.Campaign{}, false
	}
	return now, true
}

// ProvisionStale is how old a provisioning phone must be before the
// backstop below decides its fate without its run; no live provision takes
// that long, and a run whose process died is resumed long before.
const ProvisionStale = 10 * time.Minute

// ReconcileProvisioning is the background pass that settles what dead
// processes left: it resumes their runs, settles provisioning phones no run
// will finish (a number the carrier holds under the phone's id is recorded
// as bought, otherwise the charge is refunded), releases carrier numbers we
// do not hold, settles sends nobody finished and forgets expired keys.
// Nothing is lost and nothing is done twice.
func (s *Service) ReconcileProvisioning(ctx context.Context) {
	s.ResumeStaleRuns(ctx)
	s.settleOrphanPhones(ctx)
	s.ReleaseLeakedNumbers(ctx)
	s.SettleStaleSends(ctx)
	if n, err := s.store.PurgeIdempotent(ctx, s.now().Add(-store.KeyTTL)); err != nil {
		s.log.Warn("purge expired idempotency keys", "err", err)
	} else if n > 0 {
		s.log.Info("purged expired idempotency keys", "count", n)
	}
}

// settleOrphanPhones is the backstop for provisioning phones older than
// ProvisionStale: their runs are gone (expired) or cannot finish.
func (s *Service) settleOrphanPhones(ctx context.Context) {
	phones, err := s.store.ListStaleProvisioning(ctx, s.now().Add(-ProvisionStale), 100)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list stale provisioning", "err", err)
		}
		return
	}
	for i := range phones {
		ph := &phones[i]
		sc := naive.Scope{OperatorID: ph.OperatorID, Mode: ph.Mode}
		brand, err := s.store.GetBrand(ctx, sc, ph.SubjectID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			continue // try again next round
		}
		cr := s.carrierOrNil(ph.Mode, brand)
		if cr == nil {
			continue
		}
		if err == nil && brand.CarrierID != "" {
			n, found, err := cr.FindNumber(ctx, brand.CarrierID, ph.ID)
			if err != nil {
				s.log.Warn("reconcile: find number", "phone_id", ph.ID, "err", err)
				continue // try again next round
			}
			if found {
				camp, err := s.campaignOf(ctx, sc, ph)
				campID := ""
				if err == nil && camp != nil {
					campID = camp.ID
				}
				cp := *ph
				cp.Status, cp.E164, cp.CarrierID, cp.CampaignID, cp.Carrier = naive.PhoneActive, n.E164, n.ID, campID, brand.Carrier
				cp.Capabilities = capabilities(&cp, camp)
				var events []*naive.Event
				if ev, err := s.event(sc, naive.EventPhoneProvisioned, &cp); err == nil {
					events = append(events, ev)
				}
				if err := s.store.ActivatePhone(ctx, &store.PhoneActivation{ID: ph.ID, E164: n.E164, CarrierID: n.ID, CampaignID: campID,
					Carrier: brand.Carrier, Events: events}, store.Progress{}); err != nil {
					s.log.Error("reconcile: record number", "phone_id", ph.ID, "err", err)
				} else {
					s.log.Info("reconcile: recorded a purchase whose answer was lost", "phone_id", ph.ID, "e164", n.E164)
				}
				continue
			}
		}
		refund := &naive.LedgerEntry{ID: newID(), OperatorID: ph.OperatorID, Mode: ph.Mode, Amount: ph.Price,
			Reason: naive.LedgerPhoneRefund, ReferenceID: ph.ID, Actor: reconciler, CreatedAt: s.now()}
		if _, err := s.store.FailPhone(ctx, ph.ID, refund, store.Progress{}); err != nil && !errors.Is(err, store.ErrConflict) {
			s.log.Error("reconcile: refund", "phone_id", ph.ID, "err", err)
			continue
		}
		s.log.Info("reconcile: refunded an unfinished provision", "phone_id", ph.ID)
	}
}

// reconciler is the actor of what the background pass does.
var reconciler = naive.Actor{Type: "system", ID: "reconciler"}
