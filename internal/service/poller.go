package service

import (
	"context"
	"time"

	"github.com/naive-oss/naive/internal/naive"
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
		status, ok := s.campaignStatusNow(ctx, &c)
		if !ok || naive.CampaignRank(status) <= naive.CampaignRank(c.Status) {
			continue
		}
		if _, err := s.advanceCampaign(ctx, &c, status); err != nil {
			s.log.Error("advance campaign", "campaign_id", c.ID, "err", err)
		}
	}
}

// campaignStatusNow asks where a campaign stands.
func (s *Service) campaignStatusNow(ctx context.Context, c *naive.Campaign) (string, bool) {
	if c.Kind == naive.CampaignTollFree {
		// Toll-free verification has no carrier API; in test mode it is
		// simulated on the same schedule as the sandbox's 10DLC review.
		if c.Mode != naive.ModeTest {
			return "", false
		}
		age := s.now().Sub(c.CreatedAt)
		switch {
		case age >= s.cfg.TestReviewDelay:
			return naive.CampaignActive, true
		case age >= min(time.Second, s.cfg.TestReviewDelay/2):
			return naive.CampaignInReview, true
		}
		return "", false
	}
	if c.CarrierID == "" {
		return "", false
	}
	cr := s.cfg.Carrier(c.Mode)
	if cr == nil {
		return "", false
	}
	status, err := cr.CampaignStatus(ctx, c.CarrierID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("poll campaign", "campaign_id", c.ID, "err", err)
		}
		return "", false
	}
	return status, true
}

// ProvisionStale is how old a provisioning phone must be before the
// reconciler decides its fate; no live provision takes that long.
const ProvisionStale = 10 * time.Minute

// ReconcileProvisioning settles phones left provisioning by a process that
// died mid-purchase: a number the carrier holds under the phone's id is
// recorded as bought; otherwise the charge is refunded. Nothing is lost.
func (s *Service) ReconcileProvisioning(ctx context.Context) {
	phones, err := s.store.ListStaleProvisioning(ctx, s.now().Add(-ProvisionStale), 100)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list stale provisioning", "err", err)
		}
		return
	}
	for _, ph := range phones {
		p := naive.Principal{Kind: naive.PrincipalAgent, OperatorID: ph.OperatorID, Mode: ph.Mode, KeyID: "reconciler"}
		cr := s.cfg.Carrier(ph.Mode)
		if cr == nil {
			continue
		}
		brand, err := s.store.GetBrand(ctx, p.Scope(), ph.SubjectID)
		if err == nil && brand.CarrierID != "" {
			n, found, err := cr.FindNumber(ctx, brand.CarrierID, ph.ID)
			if err != nil {
				s.log.Warn("reconcile: find number", "phone_id", ph.ID, "err", err)
				continue // try again next round
			}
			if found {
				{
					camps, _ := s.store.ListCampaigns(ctx, p.Scope(), ph.SubjectID)
					campID := ""
					for _, c := range camps {
						if (c.Kind == naive.CampaignTollFree) == (ph.Type == naive.PhoneTollFree) {
							campID = c.ID
						}
					}
					if err := s.store.ActivatePhone(ctx, ph.ID, n.E164, n.ID, campID); err != nil {
						s.log.Error("reconcile: record number", "phone_id", ph.ID, "err", err)
					} else {
						s.log.Info("reconcile: recorded a purchase whose answer was lost", "phone_id", ph.ID, "e164", n.E164)
					}
				}
			}
			if found {
				continue
			}
		}
		s.failPhone(ctx, p, &ph)
		s.log.Info("reconcile: refunded an unfinished provision", "phone_id", ph.ID)
	}
	s.ReleaseLeakedNumbers(ctx)
	s.SettleStaleSends(ctx)
}
